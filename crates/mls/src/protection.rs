//! Message protection (RFC 9420 §6.1–§6.3): signing [`FramedContent`] into an
//! [`AuthenticatedContent`], and turning that into a [`PublicMessage`] (membership tag, §6.2)
//! or a [`PrivateMessage`] (content and sender-data encryption, §6.3) and back.
//!
//! Unprotecting is two-phase, like the rest of braid: [`unprotect_private`] derives the content
//! key from the secret tree without changing it and hands back the [`PreparedKey`]; the caller
//! consumes the key ([`SecretTree::commit_key`]) only after the signature has verified, so a
//! forged or replayed message leaves the tree as it was.
//!
//! Which signature key belongs to a sender, and whether the message's group and epoch are the
//! current ones, is the group's business (§6.1, §12); this module checks the cryptography.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::{Decode, Encode};
use braid_crypto::CryptoError;
use thiserror::Error;

use crate::group_context::GroupContext;
use crate::messages::{
    AuthenticatedContent, AuthenticatedContentTbm, ContentType, FramedContent,
    FramedContentAuthData, Mac, MessageError, PrivateMessage, PrivateMessageContent, PublicMessage,
    Sender, SenderData, WireFormat,
};
use crate::secret_tree::{
    sender_data_key_and_nonce, PreparedKey, RatchetType, SecretTree, SecretTreeError,
};
use crate::suite::{KeyAndNonce, Suite};

/// `SignWithLabel` label of `FramedContentTBS` (§6.1).
const FRAMED_CONTENT_TBS_LABEL: &[u8] = b"FramedContentTBS";

/// Why a message could not be protected or unprotected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtectionError {
    /// A cryptographic primitive failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A decrypted structure is malformed.
    #[error("malformed decrypted content: {0}")]
    Codec(#[from] braid_codec::Error),
    /// A to-be-signed encoding could not be built.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The secret tree has no key for the message.
    #[error(transparent)]
    SecretTree(#[from] SecretTreeError),
    /// Application data must be sent as a PrivateMessage (§6, §15.2).
    #[error("application data cannot be sent or accepted as a PublicMessage")]
    ApplicationInPublicMessage,
    /// Only members send PrivateMessages (§6.3.2).
    #[error("a {0:?} sender cannot send a PrivateMessage")]
    NonMemberPrivateMessage(Sender),
    /// The AuthenticatedContent's wire format is not the one it is being sent as.
    #[error("content signed for wire format {signed:?} cannot be sent as {sent:?}")]
    WireFormatMismatch {
        /// The wire format covered by the signature.
        signed: WireFormat,
        /// The wire format of the message.
        sent: WireFormat,
    },
    /// A member's PublicMessage lacks its membership tag, or a non-member's carries one.
    #[error("membership tag presence does not match sender type")]
    MembershipTagPresence,
    /// The membership tag does not verify (§6.2).
    #[error("membership tag does not verify")]
    BadMembershipTag,
    /// The signature over FramedContentTBS does not verify (§6.1).
    #[error("signature over FramedContentTBS does not verify")]
    BadSignature,
    /// A commit lacks its confirmation tag.
    #[error("commit has no confirmation tag")]
    MissingConfirmationTag,
    /// The sender data does not decrypt (§6.3.2).
    #[error("sender data does not decrypt")]
    SenderDataDecryption,
    /// The content does not decrypt with the key of the claimed sender and generation (§6.3.1).
    #[error("content does not decrypt")]
    ContentDecryption,
}

/// Signs `content` as it will be sent in `wire_format` (§6.1). `context` is the current
/// GroupContext, required for `member` and `new_member_commit` senders. For a commit the
/// returned content has no confirmation tag yet: the caller computes it from the transcript
/// hash that this signature feeds, and sets `auth.confirmation_tag`.
pub fn sign_content(
    suite: &Suite<'_>,
    wire_format: WireFormat,
    content: FramedContent,
    context: Option<&GroupContext>,
    signature_private_key: &[u8],
) -> Result<AuthenticatedContent, ProtectionError> {
    let mut authenticated = AuthenticatedContent {
        wire_format,
        content,
        auth: FramedContentAuthData {
            signature: Vec::new(),
            confirmation_tag: None,
        },
    };
    let tbs = authenticated.tbs(context)?.to_bytes();
    authenticated.auth.signature =
        suite.sign_with_label(signature_private_key, FRAMED_CONTENT_TBS_LABEL, &tbs)?;
    Ok(authenticated)
}

/// Verifies the signature of `content` with the sender's `signature_public_key` (§6.1).
pub fn verify_content_signature(
    suite: &Suite<'_>,
    content: &AuthenticatedContent,
    context: Option<&GroupContext>,
    signature_public_key: &[u8],
) -> Result<(), ProtectionError> {
    let tbs = content.tbs(context)?.to_bytes();
    suite
        .verify_with_label(
            signature_public_key,
            FRAMED_CONTENT_TBS_LABEL,
            &tbs,
            &content.auth.signature,
        )
        .map_err(|error| match error {
            CryptoError::InvalidSignature => ProtectionError::BadSignature,
            other => ProtectionError::Crypto(other),
        })
}

/// `MAC(membership_key, AuthenticatedContentTBM)` (§6.2).
fn membership_tag(
    suite: &Suite<'_>,
    content: &FramedContent,
    auth: &FramedContentAuthData,
    context: &GroupContext,
    membership_key: &[u8],
) -> Result<Vec<u8>, ProtectionError> {
    let tbm = AuthenticatedContentTbm {
        content_tbs: crate::messages::FramedContentTbs::new(
            WireFormat::PUBLIC_MESSAGE,
            content,
            Some(context),
        )?,
        auth,
    };
    Ok(suite.mac(membership_key, &tbm.to_bytes())?)
}

/// Checks what both protections require of signed content before it is sent as `sent`.
fn check_sendable(content: &AuthenticatedContent, sent: WireFormat) -> Result<(), ProtectionError> {
    if content.wire_format != sent {
        return Err(ProtectionError::WireFormatMismatch {
            signed: content.wire_format,
            sent,
        });
    }
    if content.content.content_type() == ContentType::Commit
        && content.auth.confirmation_tag.is_none()
    {
        return Err(ProtectionError::MissingConfirmationTag);
    }
    Ok(())
}

/// Encodes signed content as a PublicMessage (§6.2), adding the membership tag for a member
/// sender. Application data is refused.
pub fn protect_public(
    suite: &Suite<'_>,
    content: AuthenticatedContent,
    context: &GroupContext,
    membership_key: &[u8],
) -> Result<PublicMessage, ProtectionError> {
    if content.content.content_type() == ContentType::Application {
        return Err(ProtectionError::ApplicationInPublicMessage);
    }
    check_sendable(&content, WireFormat::PUBLIC_MESSAGE)?;
    let membership_tag = match content.content.sender {
        Sender::Member(_) => Some(Mac(membership_tag(
            suite,
            &content.content,
            &content.auth,
            context,
            membership_key,
        )?)),
        Sender::External(_) | Sender::NewMemberProposal | Sender::NewMemberCommit => None,
    };
    Ok(PublicMessage {
        content: content.content,
        auth: content.auth,
        membership_tag,
    })
}

/// Decodes a PublicMessage into its AuthenticatedContent (§6.2), verifying the membership tag
/// of a member sender. The signature is checked separately with
/// [`verify_content_signature`], once the caller has looked up the sender's key.
pub fn unprotect_public(
    suite: &Suite<'_>,
    message: PublicMessage,
    context: &GroupContext,
    membership_key: &[u8],
) -> Result<AuthenticatedContent, ProtectionError> {
    if message.content.content_type() == ContentType::Application {
        return Err(ProtectionError::ApplicationInPublicMessage);
    }
    match (&message.content.sender, &message.membership_tag) {
        (Sender::Member(_), Some(tag)) => {
            let expected = membership_tag(
                suite,
                &message.content,
                &message.auth,
                context,
                membership_key,
            )?;
            if !tag.ct_eq(&expected) {
                return Err(ProtectionError::BadMembershipTag);
            }
        }
        (Sender::Member(_), None) => return Err(ProtectionError::MembershipTagPresence),
        (_, Some(_)) => return Err(ProtectionError::MembershipTagPresence),
        (_, None) => {}
    }
    Ok(AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: message.content,
        auth: message.auth,
    })
}

/// The content nonce: the ratchet nonce with its first four bytes XORed with the reuse guard
/// (§6.3.1).
fn guarded_nonce(key: &KeyAndNonce, reuse_guard: [u8; 4]) -> Vec<u8> {
    let mut nonce = key.nonce.as_bytes().to_vec();
    for (byte, guard) in nonce.iter_mut().zip(reuse_guard) {
        *byte ^= guard;
    }
    nonce
}

/// The secret-tree ratchet a content type is encrypted under (§9.1).
pub(crate) fn ratchet_for(content_type: ContentType) -> RatchetType {
    match content_type {
        ContentType::Application => RatchetType::Application,
        ContentType::Proposal | ContentType::Commit => RatchetType::Handshake,
    }
}

/// Encrypts signed content from a member as a PrivateMessage (§6.3), consuming the next
/// generation of the sender's ratchet. `padding` zero bytes are appended to the plaintext.
pub fn protect_private(
    suite: &Suite<'_>,
    content: &AuthenticatedContent,
    secret_tree: &mut SecretTree,
    sender_data_secret: &[u8],
    padding: usize,
) -> Result<PrivateMessage, ProtectionError> {
    check_sendable(content, WireFormat::PRIVATE_MESSAGE)?;
    let Sender::Member(leaf_index) = content.content.sender else {
        return Err(ProtectionError::NonMemberPrivateMessage(
            content.content.sender,
        ));
    };
    let content_type = content.content.content_type();
    let mut reuse_guard = [0u8; 4];
    suite.provider().random_fill(&mut reuse_guard)?;

    let (generation, key) = secret_tree.next_key(suite, leaf_index, ratchet_for(content_type))?;
    let framed = &content.content;
    let message = PrivateMessage {
        group_id: framed.group_id.clone(),
        epoch: framed.epoch,
        content_type,
        authenticated_data: framed.authenticated_data.clone(),
        encrypted_sender_data: Vec::new(),
        ciphertext: Vec::new(),
    };
    // PrivateMessageContent (§6.3.1), encoded in place rather than built from clones.
    let mut plaintext = Vec::new();
    framed.content.encode_body(&mut plaintext);
    content.auth.encode(&mut plaintext);
    plaintext.resize(plaintext.len() + padding, 0);
    let sender_data = SenderData {
        leaf_index,
        generation,
        reuse_guard,
    };
    seal_private(
        suite,
        message,
        &sender_data,
        &key,
        &plaintext,
        sender_data_secret,
    )
}

/// The last step of [`protect_private`]: encrypts `plaintext` (an encoded
/// `PrivateMessageContent` with its padding) under the content `key` of the generation in
/// `sender_data` (§6.3.1), then `sender_data` under the sender-data key (§6.3.2), into
/// `message`, whose `group_id`, `epoch`, `content_type` and `authenticated_data` are set.
/// Nothing checks that the plaintext is well formed, so tests can encrypt any bytes.
pub fn seal_private(
    suite: &Suite<'_>,
    mut message: PrivateMessage,
    sender_data: &SenderData,
    key: &KeyAndNonce,
    plaintext: &[u8],
    sender_data_secret: &[u8],
) -> Result<PrivateMessage, ProtectionError> {
    message.ciphertext = suite.aead_seal(
        key.key.as_bytes(),
        &guarded_nonce(key, sender_data.reuse_guard),
        &message.content_aad().to_bytes(),
        plaintext,
    )?;
    let sender_key = sender_data_key_and_nonce(suite, sender_data_secret, &message.ciphertext)?;
    message.encrypted_sender_data = suite.aead_seal(
        sender_key.key.as_bytes(),
        sender_key.nonce.as_bytes(),
        &message.sender_data_aad().to_bytes(),
        &sender_data.to_bytes(),
    )?;
    Ok(message)
}

/// A decrypted PrivateMessage whose signature has not been checked yet.
#[derive(Debug)]
pub struct DecryptedMessage {
    /// The content and its authentication data, as signed for `mls_private_message`.
    pub content: AuthenticatedContent,
    /// The generation the sender used.
    pub generation: u32,
    /// The secret-tree key that opened the message; consume it with
    /// [`SecretTree::commit_key`] once the signature verifies.
    pub key: PreparedKey,
}

/// Decrypts a PrivateMessage (§6.3.2 then §6.3.1) without changing `secret_tree`.
///
/// The caller must then check that the sender's leaf is not blank, verify the signature with
/// [`verify_content_signature`], and only then consume [`DecryptedMessage::key`].
pub fn unprotect_private(
    suite: &Suite<'_>,
    message: &PrivateMessage,
    secret_tree: &SecretTree,
    sender_data_secret: &[u8],
) -> Result<DecryptedMessage, ProtectionError> {
    let sender_key = sender_data_key_and_nonce(suite, sender_data_secret, &message.ciphertext)?;
    let sender_data = suite
        .aead_open(
            sender_key.key.as_bytes(),
            sender_key.nonce.as_bytes(),
            &message.sender_data_aad().to_bytes(),
            &message.encrypted_sender_data,
        )
        .map_err(|_| ProtectionError::SenderDataDecryption)?;
    let sender_data = SenderData::from_bytes(&sender_data)?;

    let key = secret_tree.prepare_key(
        suite,
        sender_data.leaf_index,
        ratchet_for(message.content_type),
        sender_data.generation,
    )?;
    let plaintext = suite
        .aead_open(
            key.key().key.as_bytes(),
            &guarded_nonce(key.key(), sender_data.reuse_guard),
            &message.content_aad().to_bytes(),
            &message.ciphertext,
        )
        .map_err(|_| ProtectionError::ContentDecryption)?;
    let decrypted = PrivateMessageContent::from_bytes_with(&plaintext, message.content_type)?;
    Ok(DecryptedMessage {
        content: AuthenticatedContent {
            wire_format: WireFormat::PRIVATE_MESSAGE,
            content: FramedContent {
                group_id: message.group_id.clone(),
                epoch: message.epoch,
                sender: Sender::Member(sender_data.leaf_index),
                authenticated_data: message.authenticated_data.clone(),
                content: decrypted.content,
            },
            auth: decrypted.auth,
        },
        generation: sender_data.generation,
        key,
    })
}
