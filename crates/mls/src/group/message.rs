//! Sending and receiving group messages (RFC 9420 §6, §12.1, §15): framing, signing and
//! protecting this member's messages under the group's wire-format policy, and processing an
//! incoming `MLSMessage`: the group and epoch checks, unprotection, the sender's signature
//! key by sender type, then the content (application data, a proposal to store, or a Commit
//! to stage). Application messages of retained past epochs are accepted (§15.3).
//!
//! Processing is atomic: every check runs before anything changes, and the secret-tree key
//! of a PrivateMessage is consumed only after the message authenticated.

use braid_codec::Encode;
use braid_crypto::{CryptoProvider, Secret};

use super::commit::StagedCommit;
use super::config::{HandshakeFormat, IncomingHandshake};
use super::key_package::LeafNodeOptions;
use super::proposals::{allowed_for_external_sender, check_standalone, QueuedProposal};
use super::state::EpochState;
use super::{GroupError, ProposalError};
use crate::extensions::Extensions;
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::messages::{
    AuthenticatedContent, Content, ContentType, FramedContent, GroupContextExtensions,
    HpkePublicKey, LeafNodeSource, MlsMessage, MlsMessageBody, PreSharedKey, PrivateMessage,
    Proposal, ProposalRef, PublicMessage, ReInit, Remove, Sender, Update, WireFormat,
};
use crate::protection::{
    protect_private, protect_public, sign_content, unprotect_private, unprotect_public,
    verify_content_signature,
};
use crate::psk::PreSharedKeyId;
use crate::secret_tree::{PreparedKey, SecretTree};
use crate::suite::Suite;
use crate::tree::RatchetTree;
use crate::tree_math::LeafIndex;

use super::key_package::new_leaf_node;
use super::{Group, ValidatedKeyPackage};

/// Decrypted application data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationMessage {
    /// The sender's leaf.
    pub sender: LeafIndex,
    /// The epoch the message was sent in (the current one or a retained past one).
    pub epoch: u64,
    /// `application_data`.
    pub data: Vec<u8>,
    /// `authenticated_data`.
    pub authenticated_data: Vec<u8>,
}

/// A proposal received and stored for the next Commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalMessage {
    /// Its `ProposalRef`.
    pub reference: ProposalRef,
    /// The proposal.
    pub proposal: Proposal,
    /// Who sent it.
    pub sender: Sender,
    /// `authenticated_data`.
    pub authenticated_data: Vec<u8>,
}

/// What processing a message produced.
#[derive(Debug)]
pub enum ProcessedMessage {
    /// Application data.
    Application(ApplicationMessage),
    /// A proposal, now stored in the group.
    Proposal(ProposalMessage),
    /// A Commit from another member or an external joiner, validated and staged: inspect it,
    /// then merge it with [`Group::merge_staged_commit`] (or drop it).
    Commit(Box<StagedCommit>),
    /// The echo of a proposal this member sent; nothing changed.
    OwnProposal(ProposalRef),
    /// The echo of this member's pending Commit: the delivery service accepted it, and it
    /// has been merged.
    OwnCommitMerged,
}

/// A message authenticated in the current epoch, with the secret-tree key it consumes.
struct Authenticated {
    content: AuthenticatedContent,
    key: Option<PreparedKey>,
}

impl Group {
    // ----- sending ----------------------------------------------------------------------

    /// The wire format of this member's handshake messages.
    pub(crate) fn handshake_wire_format(&self) -> WireFormat {
        match self.config.outgoing_handshake {
            HandshakeFormat::PublicMessage => WireFormat::PUBLIC_MESSAGE,
            HandshakeFormat::PrivateMessage => WireFormat::PRIVATE_MESSAGE,
        }
    }

    /// Signs `content` from this member in the current epoch, for `wire_format` (§6.1).
    pub(crate) fn sign(
        &self,
        suite: &Suite<'_>,
        wire_format: WireFormat,
        content: Content,
        authenticated_data: Vec<u8>,
    ) -> Result<AuthenticatedContent, GroupError> {
        let framed = FramedContent {
            group_id: self.group_id().to_vec(),
            epoch: self.epoch(),
            sender: Sender::Member(self.own_leaf_index()),
            authenticated_data,
            content,
        };
        Ok(sign_content(
            suite,
            wire_format,
            framed,
            Some(&self.epoch.group_context),
            self.signer.private_key(),
        )?)
    }

    /// Protects signed content with the current epoch's keys (§6.2, §6.3), padding
    /// PrivateMessages as configured.
    pub(crate) fn protect(
        &mut self,
        suite: &Suite<'_>,
        content: AuthenticatedContent,
    ) -> Result<MlsMessage, GroupError> {
        let epoch = &mut self.epoch;
        let body = if content.wire_format == WireFormat::PUBLIC_MESSAGE {
            MlsMessageBody::PublicMessage(protect_public(
                suite,
                content,
                &epoch.group_context,
                epoch.secrets.membership_key.as_bytes(),
            )?)
        } else {
            let padding = match self.config.padding_block {
                0 | 1 => 0,
                _ => {
                    let mut plaintext = Vec::new();
                    content.content.content.encode_body(&mut plaintext);
                    content.auth.encode(&mut plaintext);
                    self.config.padding_for(plaintext.len())
                }
            };
            MlsMessageBody::PrivateMessage(protect_private(
                suite,
                &content,
                &mut epoch.secret_tree,
                epoch.secrets.sender_data_secret.as_bytes(),
                padding,
            )?)
        };
        Ok(MlsMessage::new(body))
    }

    /// Encrypts application data for the group (§15). Fails while proposals of the epoch are
    /// uncommitted (§12.4: a member that has seen proposals must commit before sending
    /// application data), and when `data` and `authenticated_data` alone exceed the group's
    /// [`max_message_size`](super::GroupConfig::max_message_size).
    pub fn create_application_message(
        &mut self,
        provider: &dyn CryptoProvider,
        data: &[u8],
        authenticated_data: &[u8],
    ) -> Result<MlsMessage, GroupError> {
        self.check_active()?;
        if !self.proposals.is_empty() {
            return Err(GroupError::PendingProposals);
        }
        // Refuse what the group's members would refuse (and what no vector can encode).
        let max = self.config.max_message_size;
        let size = data.len().saturating_add(authenticated_data.len());
        let limit =
            usize::try_from(u64::from(max).min(braid_codec::MAX_VARINT)).unwrap_or(usize::MAX);
        if size > limit {
            return Err(GroupError::MessageTooLarge { size, max });
        }
        let suite = self.suite(provider)?;
        let content = self.sign(
            &suite,
            WireFormat::PRIVATE_MESSAGE,
            Content::Application(data.to_vec()),
            authenticated_data.to_vec(),
        )?;
        self.protect(&suite, content)
    }

    /// Sends `proposal` as a proposal message under the handshake policy and stores it for
    /// the next Commit (§12.1). `update_private_key` is the new leaf key of an Update.
    fn send_proposal(
        &mut self,
        provider: &dyn CryptoProvider,
        proposal: Proposal,
        update_private_key: Option<Secret>,
    ) -> Result<MlsMessage, GroupError> {
        self.check_active()?;
        self.check_proposal_room()?;
        let suite = self.suite(provider)?;
        let sender = Sender::Member(self.own_leaf_index());
        check_standalone(&suite, &self.epoch, &proposal, &sender)
            .map_err(|error| GroupError::InvalidProposal { index: None, error })?;
        let content = self.sign(
            &suite,
            self.handshake_wire_format(),
            Content::Proposal(proposal.clone()),
            Vec::new(),
        )?;
        let reference = content.make_proposal_ref(&suite)?;
        let message = self.protect(&suite, content)?;
        self.proposals.insert(QueuedProposal {
            reference,
            proposal,
            sender,
            sent: Some(message.clone()),
            update_private_key,
        });
        Ok(message)
    }

    /// Proposes adding the client of `key_package` (§12.1.1).
    pub fn propose_add(
        &mut self,
        provider: &dyn CryptoProvider,
        key_package: ValidatedKeyPackage,
    ) -> Result<MlsMessage, GroupError> {
        let add = crate::messages::Add {
            key_package: key_package.into_key_package(),
        };
        self.send_proposal(provider, Proposal::Add(Box::new(add)), None)
    }

    /// Proposes replacing this member's leaf with a fresh encryption key and, optionally, new
    /// capabilities and extensions (§12.1.2). `None` keeps the current ones.
    pub fn propose_update(
        &mut self,
        provider: &dyn CryptoProvider,
        leaf: Option<LeafNodeOptions>,
    ) -> Result<MlsMessage, GroupError> {
        self.check_active()?;
        let suite = self.suite(provider)?;
        let own = self.own_leaf_index();
        let current = self.own_leaf_node().ok_or(GroupError::NotAMember(own))?;
        let options = leaf.unwrap_or_else(|| LeafNodeOptions {
            capabilities: Some(current.capabilities.as_ref().clone()),
            extensions: current.extensions.clone(),
        });
        let key_pair = suite.generate_kem_key_pair()?;
        let leaf_node = new_leaf_node(
            &suite,
            &self.signer,
            HpkePublicKey(key_pair.public_key),
            &options,
            LeafNodeSource::Update,
            Some((self.group_id(), own)),
        )?;
        let update = Update { leaf_node };
        self.send_proposal(
            provider,
            Proposal::Update(Box::new(update)),
            Some(key_pair.private_key),
        )
    }

    /// Proposes removing the member at `leaf` (§12.1.3).
    pub fn propose_remove(
        &mut self,
        provider: &dyn CryptoProvider,
        leaf: LeafIndex,
    ) -> Result<MlsMessage, GroupError> {
        self.send_proposal(provider, Proposal::Remove(Remove { removed: leaf }), None)
    }

    /// Proposes injecting the PSK `psk` (with a fresh nonce) into the next epoch (§12.1.4).
    pub fn propose_psk(
        &mut self,
        provider: &dyn CryptoProvider,
        psk: crate::psk::Psk,
    ) -> Result<MlsMessage, GroupError> {
        let suite = self.suite(provider)?;
        let psk = PreSharedKeyId::new(&suite, psk)?;
        self.send_proposal(provider, Proposal::PreSharedKey(PreSharedKey { psk }), None)
    }

    /// Proposes reinitializing the group with new parameters (§12.1.5).
    pub fn propose_reinit(
        &mut self,
        provider: &dyn CryptoProvider,
        reinit: ReInit,
    ) -> Result<MlsMessage, GroupError> {
        self.send_proposal(provider, Proposal::ReInit(reinit), None)
    }

    /// Proposes replacing the GroupContext extensions (§12.1.7).
    pub fn propose_group_context_extensions(
        &mut self,
        provider: &dyn CryptoProvider,
        extensions: Extensions,
    ) -> Result<MlsMessage, GroupError> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions { extensions });
        self.send_proposal(provider, proposal, None)
    }

    // ----- receiving --------------------------------------------------------------------

    /// Fails if the proposal store is full (see [`GroupConfig::max_pending_proposals`]).
    ///
    /// [`GroupConfig::max_pending_proposals`]: super::GroupConfig::max_pending_proposals
    fn check_proposal_room(&self) -> Result<(), GroupError> {
        let max = self.config.max_pending_proposals;
        if self.proposals.len() >= usize::from(max) {
            return Err(GroupError::TooManyProposals { max });
        }
        Ok(())
    }

    /// Decodes an incoming `MLSMessage` of at most the configured
    /// [`max_message_size`](super::GroupConfig::max_message_size) bytes and processes it
    /// ([`Group::process_message`]). The entry point for bytes from the network.
    pub fn process_message_bytes(
        &mut self,
        provider: &dyn CryptoProvider,
        bytes: &[u8],
        now: u64,
    ) -> Result<ProcessedMessage, GroupError> {
        let message = self.config.decode_message(bytes)?;
        self.process_message(provider, message, now)
    }

    /// Processes an incoming message of this group (§6, §12).
    ///
    /// `now` (seconds since the Unix epoch) is the time leaf lifetimes are checked against
    /// (when the policy checks received lifetimes). On error the group is unchanged.
    pub fn process_message(
        &mut self,
        provider: &dyn CryptoProvider,
        message: MlsMessage,
        now: u64,
    ) -> Result<ProcessedMessage, GroupError> {
        if message.version != ProtocolVersion::MLS10 {
            return Err(GroupError::UnsupportedVersion(message.version));
        }
        if self
            .pending_commit
            .as_ref()
            .is_some_and(|pending| pending.message == message)
        {
            self.merge_pending_commit()?;
            return Ok(ProcessedMessage::OwnCommitMerged);
        }
        if let Some(own) = self.proposals.own_echo(&message) {
            return Ok(ProcessedMessage::OwnProposal(own.reference.clone()));
        }
        let suite = self.suite(provider)?;
        let authenticated = match message.body {
            MlsMessageBody::PublicMessage(message) => self.open_public(&suite, message)?,
            MlsMessageBody::PrivateMessage(message) => {
                let current = self.epoch();
                if message.group_id != self.group_id() {
                    return Err(GroupError::WrongGroup);
                }
                if message.epoch < current && message.content_type == ContentType::Application {
                    return self
                        .open_past(&suite, &message)
                        .map(ProcessedMessage::Application);
                }
                self.open_private(&suite, &message)?
            }
            other => return Err(GroupError::NotAGroupMessage(other.wire_format())),
        };
        self.handle(&suite, authenticated, now)
    }

    /// Checks the group and epoch of a handshake message and the wire-format policy.
    fn check_handshake(
        &self,
        content: &FramedContent,
        wire_format: WireFormat,
    ) -> Result<(), GroupError> {
        if content.group_id != self.group_id() {
            return Err(GroupError::WrongGroup);
        }
        if content.epoch != self.epoch() {
            return Err(GroupError::WrongEpoch {
                message: content.epoch,
                current: self.epoch(),
            });
        }
        let member = matches!(content.sender, Sender::Member(_));
        let content_type = content.content_type();
        let allowed = content_type == ContentType::Application
            || !member
            || match self.config.incoming_handshake {
                IncomingHandshake::Any => true,
                IncomingHandshake::PublicOnly => wire_format == WireFormat::PUBLIC_MESSAGE,
                IncomingHandshake::PrivateOnly => wire_format == WireFormat::PRIVATE_MESSAGE,
            };
        if allowed {
            Ok(())
        } else {
            Err(GroupError::WireFormatNotAllowed {
                wire_format,
                content_type,
            })
        }
    }

    /// Unprotects a PublicMessage of the current epoch and verifies its signature (§6.2).
    fn open_public(
        &self,
        suite: &Suite<'_>,
        message: PublicMessage,
    ) -> Result<Authenticated, GroupError> {
        self.check_handshake(&message.content, WireFormat::PUBLIC_MESSAGE)?;
        let epoch = &self.epoch;
        let content = unprotect_public(
            suite,
            message,
            &epoch.group_context,
            epoch.secrets.membership_key.as_bytes(),
        )?;
        let key = sender_signature_key(epoch, &content)?;
        verify_content_signature(suite, &content, Some(&epoch.group_context), &key)?;
        Ok(Authenticated { content, key: None })
    }

    /// Decrypts a PrivateMessage of the current epoch and verifies its signature (§6.3).
    fn open_private(
        &self,
        suite: &Suite<'_>,
        message: &PrivateMessage,
    ) -> Result<Authenticated, GroupError> {
        if message.epoch != self.epoch() {
            return Err(GroupError::WrongEpoch {
                message: message.epoch,
                current: self.epoch(),
            });
        }
        let epoch = &self.epoch;
        let (content, key) = decrypt_and_verify(
            suite,
            message,
            &epoch.secret_tree,
            epoch.secrets.sender_data_secret.as_bytes(),
            &epoch.tree,
            &epoch.group_context,
        )?;
        self.check_handshake(&content.content, WireFormat::PRIVATE_MESSAGE)?;
        Ok(Authenticated {
            content,
            key: Some(key),
        })
    }

    /// Reads a late application message of a retained past epoch (§15.3).
    fn open_past(
        &mut self,
        suite: &Suite<'_>,
        message: &PrivateMessage,
    ) -> Result<ApplicationMessage, GroupError> {
        let wrong_epoch = GroupError::WrongEpoch {
            message: message.epoch,
            current: self.epoch(),
        };
        let past = self
            .past_epochs
            .iter_mut()
            .find(|past| past.group_context.epoch == message.epoch)
            .ok_or(wrong_epoch)?;
        let (content, key) = decrypt_and_verify(
            suite,
            message,
            &past.secret_tree,
            past.sender_data_secret.as_bytes(),
            &past.tree,
            &past.group_context,
        )?;
        past.secret_tree.commit_key(key)?;
        application(content, message.epoch)
    }

    /// Acts on authenticated content of the current epoch.
    fn handle(
        &mut self,
        suite: &Suite<'_>,
        authenticated: Authenticated,
        now: u64,
    ) -> Result<ProcessedMessage, GroupError> {
        let Authenticated { content, key } = authenticated;
        match &content.content.content {
            Content::Application(_) => {
                if let Some(key) = key {
                    self.epoch.secret_tree.commit_key(key)?;
                }
                application(content, self.epoch()).map(ProcessedMessage::Application)
            }
            Content::Proposal(proposal) => {
                self.check_active()?;
                self.check_proposal_room()?;
                let sender = content.content.sender;
                check_standalone(suite, &self.epoch, proposal, &sender)
                    .map_err(|error| GroupError::InvalidProposal { index: None, error })?;
                let reference = content.make_proposal_ref(suite)?;
                if let Some(key) = key {
                    self.epoch.secret_tree.commit_key(key)?;
                }
                let message = ProposalMessage {
                    reference: reference.clone(),
                    proposal: proposal.clone(),
                    sender,
                    authenticated_data: content.content.authenticated_data.clone(),
                };
                self.proposals.insert(QueuedProposal {
                    reference,
                    proposal: proposal.clone(),
                    sender,
                    sent: None,
                    update_private_key: None,
                });
                Ok(ProcessedMessage::Proposal(message))
            }
            Content::Commit(_) => {
                self.check_active()?;
                let mut staged = self.stage_commit(suite, &content, now)?;
                staged.consumed_key = key;
                Ok(ProcessedMessage::Commit(Box::new(staged)))
            }
        }
    }
}

/// The application message of authenticated application content.
fn application(
    content: AuthenticatedContent,
    epoch: u64,
) -> Result<ApplicationMessage, GroupError> {
    let FramedContent {
        sender,
        authenticated_data,
        content,
        ..
    } = content.content;
    match (sender, content) {
        (Sender::Member(sender), Content::Application(data)) => Ok(ApplicationMessage {
            sender,
            epoch,
            data,
            authenticated_data,
        }),
        (sender, content) => Err(GroupError::SenderNotAllowed {
            sender,
            content_type: content.content_type(),
        }),
    }
}

/// Decrypts a PrivateMessage with an epoch's secrets and verifies the sender's signature
/// with its leaf in `tree`; returns the content and the key to consume.
fn decrypt_and_verify(
    suite: &Suite<'_>,
    message: &PrivateMessage,
    secret_tree: &SecretTree,
    sender_data_secret: &[u8],
    tree: &RatchetTree,
    group_context: &GroupContext,
) -> Result<(AuthenticatedContent, PreparedKey), GroupError> {
    let decrypted = unprotect_private(suite, message, secret_tree, sender_data_secret)?;
    let leaf = decrypted.key.leaf();
    let leaf_node = tree.leaf(leaf).ok_or(GroupError::UnknownMember(leaf))?;
    verify_content_signature(
        suite,
        &decrypted.content,
        Some(group_context),
        &leaf_node.signature_key,
    )?;
    Ok((decrypted.content, decrypted.key))
}

/// The signature key that must have signed `content`, by sender type (§6.1), with the
/// restrictions on what non-members may send.
fn sender_signature_key(
    epoch: &EpochState,
    content: &AuthenticatedContent,
) -> Result<Vec<u8>, GroupError> {
    let framed = &content.content;
    let not_allowed = || GroupError::SenderNotAllowed {
        sender: framed.sender,
        content_type: framed.content_type(),
    };
    match (&framed.sender, &framed.content) {
        (Sender::Member(leaf), _) => epoch
            .tree
            .leaf(*leaf)
            .map(|leaf_node| leaf_node.signature_key.0.clone())
            .ok_or(GroupError::UnknownMember(*leaf)),
        (Sender::External(index), Content::Proposal(proposal)) => {
            let proposal_type = proposal.proposal_type();
            if !allowed_for_external_sender(proposal_type) {
                return Err(GroupError::InvalidProposal {
                    index: None,
                    error: ProposalError::SenderNotAllowed(proposal_type),
                });
            }
            let senders = epoch.external_senders()?;
            senders
                .get(*index as usize)
                .map(|sender| sender.signature_key.0.clone())
                .ok_or(GroupError::UnknownExternalSender(*index))
        }
        (Sender::NewMemberProposal, Content::Proposal(Proposal::Add(add))) => {
            Ok(add.key_package.leaf_node.signature_key.0.clone())
        }
        (Sender::NewMemberCommit, Content::Commit(commit)) => commit
            .path
            .as_ref()
            .map(|path| path.leaf_node.signature_key.0.clone())
            .ok_or(GroupError::PathRequired),
        _ => Err(not_allowed()),
    }
}
