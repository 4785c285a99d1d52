//! The state of a group (RFC 9420 §8, §9, §12): [`EpochState`], the value that one epoch is
//! (GroupContext, ratchet tree, private path keys, key schedule, secret tree, transcript), and
//! [`Group`], a member's view: the current epoch, the past epochs kept for late application
//! messages, the proposals received this epoch, a pending own commit and the PSKs it knows.
//!
//! Epoch states are values keyed by `(group_id, epoch)`: processing a Commit builds the next
//! one beside the current one ([`StagedCommit`](super::StagedCommit)) and merging swaps them,
//! so several epochs can be alive at once and a rejected message changes nothing.

use std::collections::VecDeque;

use braid_crypto::{CipherSuite, CryptoProvider, Secret};

use super::config::GroupConfig;
use super::proposals::{ProposalStore, QueuedProposal};
use super::psk_store::PskStore;
use super::{GroupError, PendingCommit, Signer};
use crate::extensions::ExtensionType;
use crate::group_context::GroupContext;
use crate::key_schedule::EpochSecrets;
use crate::messages::{ExternalSender, LeafNode, Mac, RatchetTree as WireRatchetTree, ReInit};
use crate::psk::{PreSharedKeyId, Psk};
use crate::secret_tree::SecretTree;
use crate::suite::Suite;
use crate::transcript;
use crate::tree::treekem::TreePrivateKeys;
use crate::tree::RatchetTree;
use crate::tree_math::LeafIndex;

/// Everything a member holds for one epoch.
#[derive(Debug, Clone)]
pub(crate) struct EpochState {
    /// The epoch's GroupContext.
    pub(crate) group_context: GroupContext,
    /// The public ratchet tree.
    pub(crate) tree: RatchetTree,
    /// This member's leaf and the private keys of its path.
    pub(crate) private_keys: TreePrivateKeys,
    /// The key schedule's secrets; `encryption_secret` is emptied once the secret tree
    /// holds it.
    pub(crate) secrets: EpochSecrets,
    /// The secret tree (§9).
    pub(crate) secret_tree: SecretTree,
    /// `interim_transcript_hash` (§8.2).
    pub(crate) interim_transcript_hash: Vec<u8>,
    /// The confirmation tag of the Commit that started the epoch (or of group creation).
    pub(crate) confirmation_tag: Mac,
}

impl EpochState {
    /// An epoch from its key schedule output: derives the interim transcript hash from the
    /// confirmed one and `confirmation_tag`, and moves `encryption_secret` into a new secret
    /// tree over the tree's leaves.
    pub(crate) fn new(
        suite: &Suite<'_>,
        config: &GroupConfig,
        group_context: GroupContext,
        tree: RatchetTree,
        private_keys: TreePrivateKeys,
        mut secrets: EpochSecrets,
        confirmation_tag: Mac,
    ) -> Result<Self, GroupError> {
        let interim_transcript_hash = transcript::interim_transcript_hash(
            suite,
            &group_context.confirmed_transcript_hash,
            confirmation_tag.as_slice(),
        )?;
        let encryption_secret = std::mem::take(&mut secrets.encryption_secret);
        let secret_tree =
            SecretTree::new(encryption_secret, tree.leaf_count(), config.secret_tree)?;
        Ok(Self {
            group_context,
            tree,
            private_keys,
            secrets,
            secret_tree,
            interim_transcript_hash,
            confirmation_tag,
        })
    }

    /// This member's leaf.
    pub(crate) fn own_leaf(&self) -> LeafIndex {
        self.private_keys.leaf_index()
    }

    /// The `external_senders` of the GroupContext (§12.1.8.1), empty without the extension.
    pub(crate) fn external_senders(&self) -> Result<Vec<ExternalSender>, GroupError> {
        decode_extension(
            &self.group_context.extensions,
            ExtensionType::EXTERNAL_SENDERS,
        )
        .map(Option::unwrap_or_default)
    }
}

/// Decodes the body of extension `extension_type` in `extensions`, if present.
pub(crate) fn decode_extension<T: braid_codec::Decode>(
    extensions: &crate::extensions::Extensions,
    extension_type: ExtensionType,
) -> Result<Option<T>, GroupError> {
    extensions
        .get(extension_type)
        .map(|data| T::from_bytes(data).map_err(|_| GroupError::MalformedExtension(extension_type)))
        .transpose()
}

/// What is kept of a past epoch to read its late application messages (§15.3): the
/// GroupContext and tree (for the sender's signature key) and the secrets that decrypt.
#[derive(Debug, Clone)]
pub(crate) struct PastEpoch {
    pub(crate) group_context: GroupContext,
    pub(crate) tree: RatchetTree,
    pub(crate) sender_data_secret: Secret,
    pub(crate) secret_tree: SecretTree,
}

/// Whether a group can still be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupStatus {
    /// A member in good standing.
    Active,
    /// A Commit removed this member (§12.4.2): nothing can be sent any more.
    Removed,
    /// A Commit with this ReInit closed the group (§11.2): wait for, or create, the new one.
    ReInit(ReInit),
}

/// A member's state of one group.
///
/// Every operation either succeeds or leaves the group exactly as it was. Incoming
/// application messages and proposals take effect when processed; a Commit yields a
/// [`StagedCommit`](super::StagedCommit) to inspect and merge
/// ([`Group::merge_staged_commit`]); this member's own Commit stays pending until the
/// delivery service confirms it ([`Group::merge_pending_commit`], or processing its echo).
///
/// The whole state, private keys included, is stored with [`Group::to_bytes`] and read back
/// with [`Group::from_bytes`].
#[derive(Debug, Clone)]
pub struct Group {
    pub(crate) config: GroupConfig,
    pub(crate) signer: Signer,
    pub(crate) epoch: EpochState,
    /// Past epochs, oldest first, at most `config.max_past_epochs`.
    pub(crate) past_epochs: VecDeque<PastEpoch>,
    /// `resumption_psk`s of past epochs (epoch, value), oldest first; the current epoch's is
    /// in `epoch.secrets`.
    pub(crate) resumption_psks: VecDeque<(u64, Secret)>,
    /// External PSKs and other groups' resumption PSKs.
    pub(crate) psks: PskStore,
    pub(crate) proposals: ProposalStore,
    pub(crate) pending_commit: Option<Box<PendingCommit>>,
    pub(crate) status: GroupStatus,
}

impl Group {
    /// Assembles a group in `epoch` with no history.
    pub(crate) fn from_epoch(config: GroupConfig, signer: Signer, epoch: EpochState) -> Self {
        Self {
            config,
            signer,
            epoch,
            past_epochs: VecDeque::new(),
            resumption_psks: VecDeque::new(),
            psks: PskStore::new(),
            proposals: ProposalStore::default(),
            pending_commit: None,
            status: GroupStatus::Active,
        }
    }

    /// The suite of the group, bound to `provider`.
    pub(crate) fn suite<'p>(
        &self,
        provider: &'p dyn CryptoProvider,
    ) -> Result<Suite<'p>, GroupError> {
        let cipher_suite = self.epoch.group_context.cipher_suite;
        Suite::new(provider, cipher_suite)
            .map_err(|_| GroupError::UnsupportedCipherSuite(cipher_suite))
    }

    /// Fails unless the group can still send.
    pub(crate) fn check_active(&self) -> Result<(), GroupError> {
        match self.status {
            GroupStatus::Active => Ok(()),
            GroupStatus::Removed => Err(GroupError::Inactive("this member was removed")),
            GroupStatus::ReInit(_) => Err(GroupError::Inactive("the group was reinitialized")),
        }
    }

    // ----- accessors ------------------------------------------------------------------

    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        &self.epoch.group_context.group_id
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch.group_context.epoch
    }

    /// The cipher suite.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.epoch.group_context.cipher_suite
    }

    /// The current GroupContext (§8.1).
    pub fn group_context(&self) -> &GroupContext {
        &self.epoch.group_context
    }

    /// The group's policy.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Changes the group's policy. The out-of-order window applies from the next epoch on.
    pub fn set_config(&mut self, config: GroupConfig) {
        self.config = config;
    }

    /// This member's signing identity.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// This member's leaf index.
    pub fn own_leaf_index(&self) -> LeafIndex {
        self.epoch.own_leaf()
    }

    /// This member's leaf node.
    pub fn own_leaf_node(&self) -> Option<&LeafNode> {
        self.epoch.tree.leaf(self.own_leaf_index())
    }

    /// The members: each non-blank leaf with its index.
    pub fn members(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> + '_ {
        self.epoch.tree.members()
    }

    /// The public ratchet tree of the current epoch.
    pub fn ratchet_tree(&self) -> &RatchetTree {
        &self.epoch.tree
    }

    /// The tree as a `ratchet_tree` extension body (§12.4.3.3), to hand to joiners out of
    /// band.
    pub fn export_ratchet_tree(&self) -> Option<WireRatchetTree> {
        self.epoch.tree.to_wire()
    }

    /// The `epoch_authenticator` of the current epoch (§8.7).
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.epoch.secrets.epoch_authenticator.as_bytes()
    }

    /// The confirmation tag of the Commit that started the current epoch.
    pub fn confirmation_tag(&self) -> &Mac {
        &self.epoch.confirmation_tag
    }

    /// `MLS-Exporter(label, context, length)` of the current epoch (§8.5).
    pub fn export_secret(
        &self,
        provider: &dyn CryptoProvider,
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret, GroupError> {
        let suite = self.suite(provider)?;
        Ok(self
            .epoch
            .secrets
            .mls_exporter(&suite, label, context, length)?)
    }

    /// The `resumption_psk` of `epoch`, if it is the current epoch or a retained past one
    /// (§8.6).
    pub fn resumption_psk(&self, epoch: u64) -> Option<&Secret> {
        if epoch == self.epoch() {
            return Some(&self.epoch.secrets.resumption_psk);
        }
        self.resumption_psks
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, psk)| psk)
    }

    /// The proposals received (or sent) in the current epoch and not yet committed.
    pub fn pending_proposals(&self) -> impl Iterator<Item = &QueuedProposal> + '_ {
        self.proposals.iter()
    }

    /// Drops the proposals of the current epoch, so the next Commit does not include them.
    pub fn clear_pending_proposals(&mut self) {
        self.proposals.clear();
    }

    /// Whether a Commit of this member awaits confirmation.
    pub fn has_pending_commit(&self) -> bool {
        self.pending_commit.is_some()
    }

    /// Abandons this member's pending Commit (the delivery service rejected it, or another
    /// Commit won the epoch).
    pub fn clear_pending_commit(&mut self) {
        self.pending_commit = None;
    }

    /// Whether the group can still be used to send: this member was not removed and no
    /// ReInit closed the group.
    pub fn is_active(&self) -> bool {
        self.status == GroupStatus::Active
    }

    /// Whether a Commit removed this member.
    pub fn is_removed(&self) -> bool {
        self.status == GroupStatus::Removed
    }

    /// The ReInit proposal that closed the group, if any (§11.2).
    pub fn pending_reinit(&self) -> Option<&ReInit> {
        match &self.status {
            GroupStatus::ReInit(reinit) => Some(reinit),
            _ => None,
        }
    }

    /// Makes the external PSK `psk_id` available to Commits of this group (§8.4).
    pub fn add_external_psk(&mut self, psk_id: impl Into<Vec<u8>>, psk: Secret) {
        self.psks.insert_external(psk_id, psk);
    }

    /// Makes another group's `resumption_psk` of `epoch` available to Commits of this group.
    pub fn add_resumption_psk(&mut self, group_id: impl Into<Vec<u8>>, epoch: u64, psk: Secret) {
        self.psks.insert_resumption(group_id, epoch, psk);
    }

    /// The value of the PSK `id` names: an external PSK, this group's own `resumption_psk`
    /// of a retained epoch, or another group's resumption PSK that was added.
    pub(crate) fn psk_value(&self, id: &PreSharedKeyId) -> Option<&Secret> {
        match &id.psk {
            Psk::Resumption(r) if r.psk_group_id == self.group_id() => {
                self.resumption_psk(r.psk_epoch)
            }
            psk => self.psks.get(psk),
        }
    }
}
