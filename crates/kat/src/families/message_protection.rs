//! `message-protection.json`: PublicMessage and PrivateMessage protection (RFC 9420 §6) of a
//! proposal, a commit and application data sent by leaf 1 of a two-member group.
//!
//! For each: the given PublicMessage (not for application data) and PrivateMessage must
//! unprotect to the raw content and verify with `signature_pub`; freshly protected messages
//! must unprotect again; application data must be refused as a PublicMessage.

use braid_codec::{Decode, Encode};
use braid_crypto::Secret;
use braid_mls::extensions::Extensions;
use braid_mls::group_context::{GroupContext, ProtocolVersion};
use braid_mls::messages::{
    AuthenticatedContent, Commit, Content, FramedContent, Mac, MlsMessage, MlsMessageBody,
    Proposal, Sender, WireFormat,
};
use braid_mls::protection::{self, ProtectionError};
use braid_mls::secret_tree::{SecretTree, SecretTreeConfig};
use braid_mls::suite::Suite;
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;

use crate::{check_eq, Case, CaseResult};

/// The inputs shared by the three content types of one case.
struct Setup<'a> {
    suite: Suite<'a>,
    context: GroupContext,
    signature_priv: Vec<u8>,
    signature_pub: Vec<u8>,
    encryption_secret: Vec<u8>,
    sender_data_secret: Vec<u8>,
    membership_key: Vec<u8>,
}

impl Setup<'_> {
    fn secret_tree(&self) -> Result<SecretTree, String> {
        SecretTree::new(
            Secret::from_slice(&self.encryption_secret),
            2,
            SecretTreeConfig::default(),
        )
        .map_err(|e| format!("secret tree: {e}"))
    }

    fn framed(&self, content: Content) -> FramedContent {
        FramedContent {
            group_id: self.context.group_id.clone(),
            epoch: self.context.epoch,
            sender: Sender::Member(LeafIndex(1)),
            authenticated_data: Vec::new(),
            content,
        }
    }

    /// Unprotects a serialized MLSMessage(PublicMessage) and checks it carries `expected`.
    fn open_public(
        &self,
        bytes: &[u8],
        expected: &Content,
    ) -> Result<AuthenticatedContent, String> {
        let MlsMessageBody::PublicMessage(message) = decode_message(bytes)?.body else {
            return Err("expected a PublicMessage".into());
        };
        let content =
            protection::unprotect_public(&self.suite, message, &self.context, &self.membership_key)
                .map_err(|e| format!("unprotect PublicMessage: {e}"))?;
        self.verify(&content)?;
        check_eq("PublicMessage content", &content.content.content, expected)?;
        Ok(content)
    }

    /// Unprotects a serialized MLSMessage(PrivateMessage) with a fresh secret tree.
    fn open_private(
        &self,
        bytes: &[u8],
        expected: &Content,
    ) -> Result<AuthenticatedContent, String> {
        let MlsMessageBody::PrivateMessage(message) = decode_message(bytes)?.body else {
            return Err("expected a PrivateMessage".into());
        };
        let mut tree = self.secret_tree()?;
        let decrypted =
            protection::unprotect_private(&self.suite, &message, &tree, &self.sender_data_secret)
                .map_err(|e| format!("unprotect PrivateMessage: {e}"))?;
        self.verify(&decrypted.content)?;
        tree.commit_key(decrypted.key)
            .map_err(|e| format!("consume key: {e}"))?;
        check_eq(
            "PrivateMessage content",
            &decrypted.content.content.content,
            expected,
        )?;
        check_eq(
            "sender",
            decrypted.content.content.sender,
            Sender::Member(LeafIndex(1)),
        )?;
        Ok(decrypted.content)
    }

    fn verify(&self, content: &AuthenticatedContent) -> Result<(), String> {
        protection::verify_content_signature(
            &self.suite,
            content,
            Some(&self.context),
            &self.signature_pub,
        )
        .map_err(|e| format!("signature: {e}"))
    }

    fn sign(
        &self,
        wire_format: WireFormat,
        content: &Content,
        confirmation_tag: Option<&Mac>,
    ) -> Result<AuthenticatedContent, String> {
        let mut signed = protection::sign_content(
            &self.suite,
            wire_format,
            self.framed(content.clone()),
            Some(&self.context),
            &self.signature_priv,
        )
        .map_err(|e| format!("sign: {e}"))?;
        signed.auth.confirmation_tag = confirmation_tag.cloned();
        Ok(signed)
    }

    /// Protects `content` afresh both ways and unprotects the results.
    fn round_trip(&self, content: &Content, confirmation_tag: Option<&Mac>) -> CaseResult {
        let public = self.sign(WireFormat::PUBLIC_MESSAGE, content, confirmation_tag)?;
        let public =
            protection::protect_public(&self.suite, public, &self.context, &self.membership_key);
        match (content, public) {
            (Content::Application(_), Err(ProtectionError::ApplicationInPublicMessage)) => {}
            (Content::Application(_), other) => {
                return Err(format!("application data as PublicMessage: {other:?}"));
            }
            (_, Ok(public)) => {
                let bytes = MlsMessage::new(MlsMessageBody::PublicMessage(public)).to_bytes();
                self.open_public(&bytes, content)?;
            }
            (_, Err(e)) => return Err(format!("protect PublicMessage: {e}")),
        }

        let private = self.sign(WireFormat::PRIVATE_MESSAGE, content, confirmation_tag)?;
        let mut tree = self.secret_tree()?;
        let private = protection::protect_private(
            &self.suite,
            &private,
            &mut tree,
            &self.sender_data_secret,
            0,
        )
        .map_err(|e| format!("protect PrivateMessage: {e}"))?;
        let bytes = MlsMessage::new(MlsMessageBody::PrivateMessage(private)).to_bytes();
        self.open_private(&bytes, content).map(drop)
    }
}

fn decode_message(bytes: &[u8]) -> Result<MlsMessage, String> {
    MlsMessage::from_bytes(bytes).map_err(|e| format!("MLSMessage: {e}"))
}

/// Checks one cipher suite's case.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider;
    let cipher_suite = case.cipher_suite()?;
    let suite = Suite::new(&provider, cipher_suite).map_err(|e| e.to_string())?;
    let setup = Setup {
        suite,
        context: GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite,
            group_id: case.hex("group_id")?,
            epoch: case.u64("epoch")?,
            tree_hash: case.hex("tree_hash")?,
            confirmed_transcript_hash: case.hex("confirmed_transcript_hash")?,
            extensions: Extensions::new(),
        },
        signature_priv: case.hex("signature_priv")?,
        signature_pub: case.hex("signature_pub")?,
        encryption_secret: case.hex("encryption_secret")?,
        sender_data_secret: case.hex("sender_data_secret")?,
        membership_key: case.hex("membership_key")?,
    };

    let proposal = Content::Proposal(
        Proposal::from_bytes(&case.hex("proposal")?).map_err(|e| format!("proposal: {e}"))?,
    );
    setup.open_public(&case.hex("proposal_pub")?, &proposal)?;
    setup.open_private(&case.hex("proposal_priv")?, &proposal)?;
    setup.round_trip(&proposal, None)?;

    let commit = Content::Commit(
        Commit::from_bytes(&case.hex("commit")?).map_err(|e| format!("commit: {e}"))?,
    );
    let given = setup.open_public(&case.hex("commit_pub")?, &commit)?;
    setup.open_private(&case.hex("commit_priv")?, &commit)?;
    setup.round_trip(&commit, given.auth.confirmation_tag.as_ref())?;

    let application = Content::Application(case.hex("application")?);
    setup.open_private(&case.hex("application_priv")?, &application)?;
    setup.round_trip(&application, None)
}
