//! Joining and proposing from outside the group: GroupInfo for external parties (§12.4.3),
//! external Commits that join or resync (§12.4.3.2), and proposals from `external_senders`
//! and `new_member_proposal` senders (§12.1.8).
//!
//! The members' side of an external Commit is ordinary Commit processing
//! ([`Group::process_message`]): the ExternalInit gives the init secret (§8.3) and the joiner
//! takes the leftmost blank leaf.

use braid_crypto::{CipherSuite, CryptoProvider};

use super::commit::{advance_key_schedule, place_joiner, provisional_context, EpochInputs};
use super::config::GroupConfig;
use super::key_package::{leaf_template, LeafNodeOptions};
use super::proposals::{
    allowed_for_external_sender, apply_proposals, unmet_requirement, CommittedProposal, Committer,
    ResumptionMode, ValidationParams,
};
use super::psk_store::PskStore;
use super::state::{decode_extension, EpochState};
use super::welcome::{sign_group_info, verified_tree};
use super::{Group, GroupError, ProposalError, Signer};
use crate::extensions::{Extension, ExtensionType, Extensions};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::key_schedule::external_init_secret;
use crate::messages::{
    Add, Commit, Content, ExternalInit, ExternalPub, FramedContent, GroupInfo, HpkePublicKey,
    KeyPackage, LeafNodeSource, Lifetime, Mac, MlsMessage, MlsMessageBody, PreSharedKey, Proposal,
    ProposalOrRef, RatchetTree as WireRatchetTree, Remove, RequiredCapabilities, Sender,
    WireFormat,
};
use crate::protection::{protect_public, sign_content};
use crate::psk::{PreSharedKeyId, Psk};
use crate::suite::Suite;
use crate::transcript;
use crate::tree::treekem::{create_update_path, UpdatePathParams};
use crate::tree_math::LeafIndex;

/// What a GroupInfo for external parties carries besides the group's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupInfoOptions {
    /// Include the tree in a `ratchet_tree` extension (§12.4.3.3).
    pub ratchet_tree: bool,
    /// Include the epoch's `external_pub`, so clients can join by external Commit
    /// (§12.4.3.2).
    pub external_pub: bool,
}

/// How to join by external Commit.
#[derive(Debug, Clone)]
pub struct ExternalJoinOptions<'a> {
    /// The ratchet tree, when the GroupInfo has no `ratchet_tree` extension.
    pub ratchet_tree: Option<&'a WireRatchetTree>,
    /// For a resync: this client's previous leaf, removed by the same Commit.
    pub resync: Option<LeafIndex>,
    /// PSKs to inject, each with a fresh nonce; their values come from `psk_store`.
    pub psks: Vec<Psk>,
    /// The values of the PSKs.
    pub psk_store: Option<&'a PskStore>,
    /// The joiner's leaf capabilities and extensions.
    pub leaf: LeafNodeOptions,
    /// `authenticated_data` of the Commit.
    pub authenticated_data: Vec<u8>,
    /// The time the tree's leaf lifetimes are checked against (when the policy checks
    /// received lifetimes).
    pub now: u64,
}

impl ExternalJoinOptions<'_> {
    /// A plain join at time `now`: tree from the GroupInfo, no resync, no PSKs.
    pub fn new(now: u64) -> Self {
        Self {
            ratchet_tree: None,
            resync: None,
            psks: Vec::new(),
            psk_store: None,
            leaf: LeafNodeOptions::default(),
            authenticated_data: Vec::new(),
            now,
        }
    }
}

impl Group {
    /// A GroupInfo of the current epoch signed by this member (§12.4.3), as an `MLSMessage`.
    pub fn group_info(
        &self,
        provider: &dyn CryptoProvider,
        options: GroupInfoOptions,
    ) -> Result<MlsMessage, GroupError> {
        let suite = self.suite(provider)?;
        let mut extensions = Extensions::new();
        if options.ratchet_tree {
            extensions.set(Extension {
                extension_type: ExtensionType::RATCHET_TREE,
                extension_data: braid_codec::Encode::to_bytes(&self.epoch.tree),
            });
        }
        if options.external_pub {
            let key_pair = self.epoch.secrets.external_key_pair(&suite)?;
            let body = ExternalPub {
                external_pub: HpkePublicKey(key_pair.public_key),
            };
            extensions.set(Extension {
                extension_type: ExtensionType::EXTERNAL_PUB,
                extension_data: braid_codec::Encode::to_bytes(&body),
            });
        }
        let group_info = sign_group_info(&suite, &self.signer, &self.epoch, extensions)?;
        Ok(MlsMessage::new(MlsMessageBody::GroupInfo(group_info)))
    }

    /// Joins the group of `group_info` by external Commit (§12.4.3.2): verifies the
    /// GroupInfo and tree, encapsulates to its `external_pub` (§8.3), takes the leftmost
    /// blank leaf with a fresh UpdatePath, and signs the Commit as `new_member_commit`.
    ///
    /// Returns the group in the epoch the Commit creates, and the Commit to send (a
    /// PublicMessage). If the delivery service rejects the Commit, drop the group.
    pub fn join_by_external_commit(
        provider: &dyn CryptoProvider,
        config: GroupConfig,
        group_info: &GroupInfo,
        signer: Signer,
        options: ExternalJoinOptions<'_>,
    ) -> Result<(Self, MlsMessage), GroupError> {
        let old_context: &GroupContext = &group_info.group_context;
        let cipher_suite = old_context.cipher_suite;
        let suite = Suite::new(provider, cipher_suite)
            .map_err(|_| GroupError::UnsupportedCipherSuite(cipher_suite))?;
        if old_context.version != ProtocolVersion::MLS10 {
            return Err(GroupError::UnsupportedVersion(old_context.version));
        }
        let received_now = config.check_received_lifetimes.then_some(options.now);
        let tree = verified_tree(
            &suite,
            group_info,
            options.ratchet_tree,
            received_now,
            config.max_lifetime,
        )?;
        let external_pub: ExternalPub =
            decode_extension(&group_info.extensions, ExtensionType::EXTERNAL_PUB)?
                .ok_or(GroupError::MissingExternalPub)?;
        let (kem_output, init_secret) = external_init_secret(&suite, &external_pub.external_pub)?;

        let mut proposals = vec![Proposal::ExternalInit(ExternalInit { kem_output })];
        if let Some(removed) = options.resync {
            proposals.push(Proposal::Remove(Remove { removed }));
        }
        for psk in options.psks {
            let psk = PreSharedKeyId::new(&suite, psk)?;
            proposals.push(Proposal::PreSharedKey(PreSharedKey { psk }));
        }
        let committed: Vec<CommittedProposal> = proposals
            .iter()
            .map(|proposal| CommittedProposal {
                proposal: proposal.clone(),
                sender: Sender::NewMemberCommit,
                reference: None,
            })
            .collect();
        let params = ValidationParams {
            now: received_now,
            max_lifetime: config.max_lifetime,
            resumption: ResumptionMode::Regular,
        };
        let applied = apply_proposals(
            &suite,
            &tree,
            old_context,
            &committed,
            Committer::External,
            &params,
        )?;
        let psk_values = applied
            .psks
            .iter()
            .map(|id| {
                options
                    .psk_store
                    .and_then(|store| store.get(&id.psk))
                    .map(|value| (id, value.as_bytes()))
                    .ok_or_else(|| GroupError::MissingPsk(Box::new(id.clone())))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let template = leaf_template(
            &suite,
            &signer,
            HpkePublicKey(Vec::new()),
            &options.leaf,
            LeafNodeSource::KeyPackage {
                lifetime: Lifetime {
                    not_before: 0,
                    not_after: 0,
                },
            },
        );
        let required: Option<RequiredCapabilities> =
            decode_extension(&applied.extensions, ExtensionType::REQUIRED_CAPABILITIES)?;
        if let Some(t) = unmet_requirement(
            &template.capabilities,
            &applied.extensions,
            required.as_ref(),
        ) {
            return Err(GroupError::UnsupportedGroupExtension(t));
        }
        let mut new_tree = applied.tree;
        let own = place_joiner(&mut new_tree, &template)?;
        let provisional = provisional_context(old_context, applied.extensions)?;
        let path = create_update_path(
            &suite,
            &mut new_tree,
            UpdatePathParams {
                sender: own,
                leaf_node: template,
                signature_private_key: signer.private_key(),
                group_context: &provisional,
                added_leaves: &[],
            },
        )?;

        let framed = FramedContent {
            group_id: old_context.group_id.clone(),
            epoch: old_context.epoch,
            sender: Sender::NewMemberCommit,
            authenticated_data: options.authenticated_data,
            content: Content::Commit(Commit {
                proposals: proposals.into_iter().map(ProposalOrRef::Proposal).collect(),
                path: Some(Box::new(path.update_path.clone())),
            }),
        };
        let mut content = sign_content(
            &suite,
            WireFormat::PUBLIC_MESSAGE,
            framed,
            Some(old_context),
            signer.private_key(),
        )?;
        let interim = transcript::interim_transcript_hash(
            &suite,
            &old_context.confirmed_transcript_hash,
            group_info.confirmation_tag.as_slice(),
        )?;
        let inputs = EpochInputs {
            provisional: path.group_context.clone(),
            commit_secret: path.commit_secret.clone(),
            init_secret: &init_secret,
            interim_transcript_hash: &interim,
        };
        let (group_context, secrets, _) =
            advance_key_schedule(&suite, inputs, &psk_values, &content)?;
        let confirmation_tag = Mac(transcript::confirmation_tag(
            &suite,
            secrets.confirmation_key.as_bytes(),
            &group_context.confirmed_transcript_hash,
        )?);
        content.auth.confirmation_tag = Some(confirmation_tag.clone());
        let epoch = EpochState::new(
            &suite,
            &config,
            group_context,
            new_tree,
            path.private_keys,
            secrets,
            confirmation_tag,
        )?;
        let message = protect_public(&suite, content, old_context, &[])?;
        let group = Self::from_epoch(config, signer, epoch);
        Ok((
            group,
            MlsMessage::new(MlsMessageBody::PublicMessage(message)),
        ))
    }
}

/// A proposal from an external sender: the `sender_index`-th entry of the group's
/// `external_senders` extension (§12.1.8), as a PublicMessage for epoch `epoch` of
/// `group_id`. Only Add, Remove, PreSharedKey, ReInit and GroupContextExtensions proposals
/// may be sent this way.
pub fn external_proposal(
    provider: &dyn CryptoProvider,
    cipher_suite: CipherSuite,
    group_id: &[u8],
    epoch: u64,
    signer: &Signer,
    sender_index: u32,
    proposal: Proposal,
) -> Result<MlsMessage, GroupError> {
    let proposal_type = proposal.proposal_type();
    if !allowed_for_external_sender(proposal_type) {
        return Err(GroupError::InvalidProposal {
            index: None,
            error: ProposalError::SenderNotAllowed(proposal_type),
        });
    }
    outside_message(
        provider,
        cipher_suite,
        group_id,
        epoch,
        signer,
        Sender::External(sender_index),
        proposal,
    )
}

/// A client's proposal to add itself with `key_package` to epoch `epoch` of `group_id`
/// (§12.1.8, `new_member_proposal`), as a PublicMessage signed by the KeyPackage's leaf key.
pub fn new_member_proposal(
    provider: &dyn CryptoProvider,
    group_id: &[u8],
    epoch: u64,
    signer: &Signer,
    key_package: KeyPackage,
) -> Result<MlsMessage, GroupError> {
    let cipher_suite = key_package.cipher_suite;
    let add = Proposal::Add(Box::new(Add { key_package }));
    outside_message(
        provider,
        cipher_suite,
        group_id,
        epoch,
        signer,
        Sender::NewMemberProposal,
        add,
    )
}

/// Signs a proposal from a non-member and wraps it as a PublicMessage (no membership tag).
fn outside_message(
    provider: &dyn CryptoProvider,
    cipher_suite: CipherSuite,
    group_id: &[u8],
    epoch: u64,
    signer: &Signer,
    sender: Sender,
    proposal: Proposal,
) -> Result<MlsMessage, GroupError> {
    let suite = Suite::new(provider, cipher_suite)
        .map_err(|_| GroupError::UnsupportedCipherSuite(cipher_suite))?;
    let framed = FramedContent {
        group_id: group_id.to_vec(),
        epoch,
        sender,
        authenticated_data: Vec::new(),
        content: Content::Proposal(proposal),
    };
    let content = sign_content(
        &suite,
        WireFormat::PUBLIC_MESSAGE,
        framed,
        None,
        signer.private_key(),
    )?;
    // The GroupContext only enters a member's membership tag, which these senders lack.
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite,
        group_id: group_id.to_vec(),
        epoch,
        tree_hash: Vec::new(),
        confirmed_transcript_hash: Vec::new(),
        extensions: Extensions::new(),
    };
    let message = protect_public(&suite, content, &context, &[])?;
    Ok(MlsMessage::new(MlsMessageBody::PublicMessage(message)))
}
