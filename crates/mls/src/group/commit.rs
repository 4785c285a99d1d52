//! Commits (RFC 9420 §12.4): creating one (§12.4.1) with its Welcome, processing one
//! (§12.4.2) into a [`StagedCommit`], and merging either into the group.
//!
//! Creating and processing share every step but the UpdatePath: the proposal list is
//! validated and applied to a copy of the tree ([`apply_proposals`]), the path is created or
//! decrypted, the transcript hashes and key schedule advance, and the new epoch is built as a
//! value beside the current one. The copy of the tree is the only O(N) work of a Commit
//! (one clone of the node arrays and caches, no re-hashing): everything else touches the
//! changed paths only.

use braid_codec::Encode;
use braid_crypto::{CryptoProvider, KemKeyPair, Secret};

use super::key_package::LeafNodeOptions;
use super::proposals::{
    apply_proposals, unmet_requirement, AppliedProposals, CommittedProposal, Committer,
    ResumptionMode, ValidationParams,
};
use super::state::{decode_extension, EpochState, GroupStatus, PastEpoch};
use super::welcome::{build_welcome, sign_group_info};
use super::{Group, GroupError, StateError};
use crate::extensions::{Extension, ExtensionType, Extensions};
use crate::group_context::GroupContext;
use crate::key_schedule::{
    receive_external_init_secret, EpochSecrets, JoinerSecret, Rfc9420InitStep,
};
use crate::messages::{
    AuthenticatedContent, Commit, Content, HpkePublicKey, LeafNode, Mac, MlsMessage,
    MlsMessageBody, Proposal, ProposalOrRef, ReInit, Sender, SignaturePublicKey, UpdatePath,
};
use crate::psk::{psk_secret, PreSharedKeyId};
use crate::secret_tree::PreparedKey;
use crate::suite::Suite;
use crate::transcript::{self, ConfirmedTranscriptHashInput};
use crate::tree::treekem::{
    apply_update_path, create_update_path, CreatedUpdatePath, ReceivedUpdatePath, TreePrivateKeys,
    UpdatePathParams,
};
use crate::tree::{LeafValidationContext, RatchetTree};
use crate::tree_math::LeafIndex;

/// What this member's next Commit contains.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// Proposals included by value (Add, Remove, PreSharedKey, GroupContextExtensions,
    /// ReInit; an Update of the committer itself is not allowed, §12.2).
    pub proposals: Vec<Proposal>,
    /// Whether the proposals received this epoch are included by reference (§12.4: SHOULD).
    /// The committer's own Updates are left out (its UpdatePath replaces them), and so are
    /// Removes of the committer (another member must commit those, §12.2); several changes
    /// to one leaf keep a Remove or else the newest Update, and a ReInit is left out when
    /// other proposals are pending.
    pub include_pending: bool,
    /// Whether to send an UpdatePath even when no proposal requires one.
    pub force_path: bool,
    /// The committer's new leaf capabilities and extensions (in its UpdatePath); `None`
    /// keeps the current ones.
    pub leaf: Option<LeafNodeOptions>,
    /// `authenticated_data` of the Commit message.
    pub authenticated_data: Vec<u8>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        Self {
            proposals: Vec::new(),
            include_pending: true,
            force_path: true,
            leaf: None,
            authenticated_data: Vec::new(),
        }
    }
}

/// The messages of a new Commit.
#[derive(Debug, Clone)]
pub struct CommitBundle {
    /// The Commit, to send to the group through the delivery service.
    pub commit: MlsMessage,
    /// The Welcome for the members it adds, to deliver once the Commit is accepted (§14).
    pub welcome: Option<MlsMessage>,
}

/// A validated Commit and the epoch it leads to, waiting to be merged.
///
/// Nothing of the group changed when it was staged: dropping it abandons the Commit.
#[derive(Debug)]
pub struct StagedCommit {
    pub(crate) group_id: Vec<u8>,
    /// The epoch the Commit was sent in.
    pub(crate) from_epoch: u64,
    pub(crate) sender: Sender,
    pub(crate) proposals: Vec<CommittedProposal>,
    pub(crate) added: Vec<LeafIndex>,
    pub(crate) removed: Vec<(LeafIndex, LeafNode)>,
    pub(crate) updated: Vec<LeafIndex>,
    /// The new epoch; `None` when the Commit removes this member.
    pub(crate) new_epoch: Option<Box<EpochState>>,
    pub(crate) reinit: Option<ReInit>,
    /// The secret-tree key of the PrivateMessage that carried the Commit, consumed on merge.
    pub(crate) consumed_key: Option<PreparedKey>,
}

impl StagedCommit {
    /// Who committed.
    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// The committed proposals, in the Commit's order, with their senders.
    pub fn proposals(&self) -> &[CommittedProposal] {
        &self.proposals
    }

    /// The leaves of the members the Commit adds.
    pub fn added_members(&self) -> &[LeafIndex] {
        &self.added
    }

    /// The leaves the Commit removes, with the leaf nodes they held.
    pub fn removed_members(&self) -> &[(LeafIndex, LeafNode)] {
        &self.removed
    }

    /// The leaves replaced by Update proposals.
    pub fn updated_members(&self) -> &[LeafIndex] {
        &self.updated
    }

    /// Whether the Commit removes this member (then there is no new epoch to join).
    pub fn self_removed(&self) -> bool {
        self.new_epoch.is_none()
    }

    /// The GroupContext of the new epoch.
    pub fn group_context(&self) -> Option<&GroupContext> {
        self.new_epoch.as_ref().map(|e| &e.group_context)
    }

    /// The new epoch's tree.
    pub fn ratchet_tree(&self) -> Option<&RatchetTree> {
        self.new_epoch.as_ref().map(|e| &e.tree)
    }

    /// The new epoch's `epoch_authenticator` (§8.7).
    pub fn epoch_authenticator(&self) -> Option<&[u8]> {
        self.new_epoch
            .as_ref()
            .map(|e| e.secrets.epoch_authenticator.as_bytes())
    }

    /// The ReInit the Commit applies, if any: after merging, the group is closed (§11.2).
    pub fn reinit(&self) -> Option<&ReInit> {
        self.reinit.as_ref()
    }
}

/// This member's Commit, sent and awaiting the delivery service's confirmation.
#[derive(Debug)]
pub(crate) struct PendingCommit {
    /// The message sent, to recognise its echo.
    pub(crate) message: MlsMessage,
    /// The Commit's new epoch; an own Commit consumes no received key, so `consumed_key`
    /// is always `None` here.
    pub(crate) staged: StagedCommit,
}

impl Clone for PendingCommit {
    fn clone(&self) -> Self {
        let staged = &self.staged;
        Self {
            message: self.message.clone(),
            staged: StagedCommit {
                group_id: staged.group_id.clone(),
                from_epoch: staged.from_epoch,
                sender: staged.sender,
                proposals: staged.proposals.clone(),
                added: staged.added.clone(),
                removed: staged.removed.clone(),
                updated: staged.updated.clone(),
                new_epoch: staged.new_epoch.clone(),
                reinit: staged.reinit.clone(),
                consumed_key: None,
            },
        }
    }
}

/// The parts of a Commit's new epoch that both sides compute after the UpdatePath.
pub(crate) struct EpochInputs<'a> {
    /// The provisional GroupContext, with the new tree hash.
    pub(crate) provisional: GroupContext,
    pub(crate) commit_secret: Secret,
    /// The `init_secret` the key schedule starts from (the previous epoch's, or the external
    /// init secret).
    pub(crate) init_secret: &'a Secret,
    /// The interim transcript hash of the previous epoch.
    pub(crate) interim_transcript_hash: &'a [u8],
}

/// The new GroupContext and key schedule of a Commit whose `AuthenticatedContent` is
/// `content` (signed, confirmation tag not needed yet).
pub(crate) fn advance_key_schedule(
    suite: &Suite<'_>,
    inputs: EpochInputs<'_>,
    psk_values: &[(&PreSharedKeyId, &[u8])],
    content: &AuthenticatedContent,
) -> Result<(GroupContext, EpochSecrets, JoinerSecret), GroupError> {
    let confirmed_input = ConfirmedTranscriptHashInput::from(content).to_bytes();
    let confirmed_transcript_hash = transcript::confirmed_transcript_hash(
        suite,
        inputs.interim_transcript_hash,
        &confirmed_input,
    )?;
    let group_context = GroupContext {
        confirmed_transcript_hash,
        ..inputs.provisional
    };
    let psk_secret = psk_secret(suite, psk_values.iter().map(|(id, psk)| (*id, *psk)))?;
    let (secrets, joiner) = EpochSecrets::new(
        suite,
        &Rfc9420InitStep,
        inputs.init_secret,
        inputs.commit_secret.as_bytes(),
        psk_secret.as_bytes(),
        &group_context,
    )?;
    Ok((group_context, secrets, joiner))
}

/// The provisional GroupContext (§12.4.1): new epoch and extensions, old confirmed
/// transcript hash; its tree hash is filled in once the tree is final.
pub(crate) fn provisional_context(
    old: &GroupContext,
    extensions: Extensions,
) -> Result<GroupContext, GroupError> {
    let epoch = old
        .epoch
        .checked_add(1)
        .ok_or(GroupError::Inactive("the epoch counter is exhausted"))?;
    Ok(GroupContext {
        version: old.version,
        cipher_suite: old.cipher_suite,
        group_id: old.group_id.clone(),
        epoch,
        tree_hash: Vec::new(),
        confirmed_transcript_hash: old.confirmed_transcript_hash.clone(),
        extensions,
    })
}

/// Puts a joiner's placeholder at the leftmost blank leaf (extending the tree if there is
/// none), where its UpdatePath then installs its leaf (§12.4.2: an external committer takes
/// the leftmost blank leaf). The placeholder carries empty keys, which no valid leaf has, so
/// validating the joiner's leaf "replacing" it compares it with every real member.
pub(crate) fn place_joiner(
    tree: &mut RatchetTree,
    leaf_node: &LeafNode,
) -> Result<LeafIndex, GroupError> {
    let mut placeholder = leaf_node.clone();
    placeholder.encryption_key = HpkePublicKey(Vec::new());
    placeholder.signature_key = SignaturePublicKey(Vec::new());
    Ok(tree.add_leaf(placeholder)?)
}

impl Group {
    /// The values of the PSKs `psks`, in order; [`GroupError::MissingPsk`] for the first
    /// unknown one (§12.4.2: "verify that all PreSharedKey proposals … are available").
    pub(crate) fn psk_values<'s>(
        &'s self,
        psks: &'s [PreSharedKeyId],
    ) -> Result<Vec<(&'s PreSharedKeyId, &'s [u8])>, GroupError> {
        psks.iter()
            .map(|id| {
                self.psk_value(id)
                    .map(|psk| (id, psk.as_bytes()))
                    .ok_or_else(|| GroupError::MissingPsk(Box::new(id.clone())))
            })
            .collect()
    }

    /// The validation parameters for proposals received from others at time `now`.
    fn received_params(&self, now: u64) -> ValidationParams {
        ValidationParams {
            now: self.config.check_received_lifetimes.then_some(now),
            max_lifetime: self.config.max_lifetime,
            resumption: ResumptionMode::Regular,
        }
    }

    // ----- processing (§12.4.2) ---------------------------------------------------------

    /// Validates a Commit of the current epoch whose signature has been verified, and builds
    /// the epoch it leads to.
    pub(crate) fn stage_commit(
        &self,
        suite: &Suite<'_>,
        content: &AuthenticatedContent,
        now: u64,
    ) -> Result<StagedCommit, GroupError> {
        let Content::Commit(commit) = &content.content.content else {
            return Err(GroupError::SenderNotAllowed {
                sender: content.content.sender,
                content_type: content.content.content_type(),
            });
        };
        let confirmation_tag = content
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(crate::protection::ProtectionError::MissingConfirmationTag)?;
        let epoch = &self.epoch;
        let own = epoch.own_leaf();
        let sender = content.content.sender;
        let committer = match sender {
            Sender::Member(leaf) if leaf == own => return Err(GroupError::CommitFromSelf),
            Sender::Member(leaf) => Committer::Member(leaf),
            Sender::NewMemberCommit => Committer::External,
            Sender::External(_) | Sender::NewMemberProposal => {
                return Err(GroupError::SenderNotAllowed {
                    sender,
                    content_type: content.content.content_type(),
                })
            }
        };
        let proposals = self.resolve_proposals(&commit.proposals, sender)?;
        let mut applied = apply_proposals(
            suite,
            &epoch.tree,
            &epoch.group_context,
            &proposals,
            committer,
            &self.received_params(now),
        )?;
        if applied.path_required && commit.path.is_none() {
            return Err(GroupError::PathRequired);
        }
        let psk_values = self.psk_values(&applied.psks)?;
        let mut staged = StagedCommit {
            group_id: self.group_id().to_vec(),
            from_epoch: self.epoch(),
            sender,
            proposals: Vec::new(),
            added: applied.added_leaves(),
            removed: std::mem::take(&mut applied.removed),
            updated: std::mem::take(&mut applied.updated),
            new_epoch: None,
            reinit: applied.reinit.take(),
            consumed_key: None,
        };
        if staged.removed.iter().any(|(leaf, _)| *leaf == own) {
            staged.proposals = proposals;
            return Ok(staged);
        }

        let private_keys = self.keys_after_proposals(&proposals, &applied.tree)?;
        let mut provisional =
            provisional_context(&epoch.group_context, applied.extensions.clone())?;
        let mut tree = applied.tree;
        let (commit_secret, private_keys) = match (&commit.path, committer) {
            (Some(path), committer) => {
                let sender_leaf = match committer {
                    Committer::Member(leaf) => leaf,
                    Committer::External => place_joiner(&mut tree, &path.leaf_node)?,
                };
                self.check_path_leaf(path, &applied.extensions)?;
                let required =
                    decode_extension(&applied.extensions, ExtensionType::REQUIRED_CAPABILITIES)?;
                let received = ReceivedUpdatePath {
                    sender: sender_leaf,
                    update_path: path,
                    group_context: &provisional,
                    added_leaves: &staged.added,
                    leaf_validation: LeafValidationContext {
                        group_id: &provisional.group_id,
                        required_capabilities: required.as_ref(),
                        now: None,
                        max_lifetime: self.config.max_lifetime,
                    },
                };
                let result = apply_update_path(suite, &mut tree, &private_keys, received)?;
                provisional = result.group_context;
                (result.commit_secret, result.private_keys)
            }
            (None, _) => {
                provisional.tree_hash = tree.tree_hash(suite)?;
                (Secret::zero(suite.hash_len()), private_keys)
            }
        };

        let external_init;
        let init_secret = match &applied.external_init {
            Some(kem_output) => {
                let key_pair = epoch.secrets.external_key_pair(suite)?;
                external_init = receive_external_init_secret(suite, &key_pair, kem_output)?;
                &external_init
            }
            None => &epoch.secrets.init_secret,
        };
        let inputs = EpochInputs {
            provisional,
            commit_secret,
            init_secret,
            interim_transcript_hash: &epoch.interim_transcript_hash,
        };
        let (group_context, secrets, _) =
            advance_key_schedule(suite, inputs, &psk_values, content)?;
        let valid = transcript::verify_confirmation_tag(
            suite,
            secrets.confirmation_key.as_bytes(),
            &group_context.confirmed_transcript_hash,
            confirmation_tag.as_slice(),
        )?;
        if !valid {
            return Err(GroupError::BadConfirmationTag);
        }
        let new_epoch = EpochState::new(
            suite,
            &self.config,
            group_context,
            tree,
            private_keys,
            secrets,
            confirmation_tag.clone(),
        )?;
        staged.new_epoch = Some(Box::new(new_epoch));
        staged.proposals = proposals;
        Ok(staged)
    }

    /// The proposals a Commit lists, by value (from the committer) or by reference (from
    /// the store).
    fn resolve_proposals(
        &self,
        list: &[ProposalOrRef],
        committer: Sender,
    ) -> Result<Vec<CommittedProposal>, GroupError> {
        list.iter()
            .map(|item| match item {
                ProposalOrRef::Proposal(proposal) => Ok(CommittedProposal {
                    proposal: proposal.clone(),
                    sender: committer,
                    reference: None,
                }),
                ProposalOrRef::Reference(reference) => self
                    .proposals
                    .get(reference)
                    .map(|queued| CommittedProposal {
                        proposal: queued.proposal.clone(),
                        sender: queued.sender,
                        reference: Some(reference.clone()),
                    })
                    .ok_or_else(|| GroupError::UnknownProposal(reference.clone())),
            })
            .collect()
    }

    /// This member's private keys once `proposals` are applied to `tree`: the key of its own
    /// committed Update replaces its leaf key, and keys of nodes that were blanked or
    /// replaced are dropped.
    fn keys_after_proposals(
        &self,
        proposals: &[CommittedProposal],
        tree: &RatchetTree,
    ) -> Result<TreePrivateKeys, GroupError> {
        let own = self.epoch.own_leaf();
        let own_update =
            proposals
                .iter()
                .find_map(|p| match (&p.proposal, p.sender, &p.reference) {
                    (Proposal::Update(update), Sender::Member(leaf), Some(reference))
                        if leaf == own =>
                    {
                        Some((update, reference))
                    }
                    _ => None,
                });
        let mut keys = match own_update {
            Some((update, reference)) => {
                let private_key = self
                    .proposals
                    .get(reference)
                    .and_then(|q| q.update_private_key.clone())
                    .ok_or(StateError::Inconsistent(
                        "an update of this member lacks its private key",
                    ))?;
                TreePrivateKeys::new(
                    own,
                    KemKeyPair {
                        private_key,
                        public_key: update.leaf_node.encryption_key.0.clone(),
                    },
                )?
            }
            None => self.epoch.private_keys.clone(),
        };
        keys.prune(tree);
        Ok(keys)
    }

    /// The checks on a Commit's path leaf that the tree does not do: support for every
    /// non-default GroupContext extension (§13.4).
    fn check_path_leaf(
        &self,
        path: &UpdatePath,
        extensions: &Extensions,
    ) -> Result<(), GroupError> {
        match super::key_package::unsupported_extension(&path.leaf_node.capabilities, extensions) {
            Some(t) => Err(GroupError::UnsupportedGroupExtension(t)),
            None => Ok(()),
        }
    }

    // ----- merging ----------------------------------------------------------------------

    /// Fails unless the group is still in the epoch `staged` was made for.
    fn check_fresh(&self, staged: &StagedCommit) -> Result<(), GroupError> {
        if staged.group_id != self.group_id() || staged.from_epoch != self.epoch() {
            return Err(GroupError::StaleStagedCommit {
                staged: staged.from_epoch,
                current: self.epoch(),
            });
        }
        Ok(())
    }

    /// Moves the group to the epoch of `staged` (or marks this member removed). Fails,
    /// changing nothing, if the group is no longer in the epoch the Commit was made for.
    ///
    /// The previous epoch's application secrets are kept as a past epoch (up to
    /// [`GroupConfig::max_past_epochs`](super::GroupConfig::max_past_epochs)), its
    /// `resumption_psk` too; the proposals of the epoch and any pending Commit of this
    /// member are dropped.
    pub fn merge_staged_commit(&mut self, staged: StagedCommit) -> Result<(), GroupError> {
        self.check_fresh(&staged)?;
        let StagedCommit {
            new_epoch,
            reinit,
            consumed_key,
            ..
        } = staged;
        self.proposals.clear();
        self.pending_commit = None;
        let Some(new_epoch) = new_epoch else {
            self.status = GroupStatus::Removed;
            return Ok(());
        };
        let mut old = std::mem::replace(&mut self.epoch, *new_epoch);
        if let Some(key) = consumed_key {
            // The key opened the Commit; delete it. A conflict means it is gone already.
            let _ = old.secret_tree.commit_key(key);
        }
        let max_past = usize::from(self.config.max_past_epochs);
        if max_past > 0 {
            self.past_epochs.push_back(PastEpoch {
                group_context: old.group_context.clone(),
                tree: old.tree,
                sender_data_secret: old.secrets.sender_data_secret.clone(),
                secret_tree: old.secret_tree,
            });
        }
        while self.past_epochs.len() > max_past {
            self.past_epochs.pop_front();
        }
        let max_psks = usize::from(self.config.max_resumption_psks).saturating_sub(1);
        self.resumption_psks
            .push_back((old.group_context.epoch, old.secrets.resumption_psk.clone()));
        while self.resumption_psks.len() > max_psks {
            self.resumption_psks.pop_front();
        }
        if let Some(reinit) = reinit {
            self.status = GroupStatus::ReInit(reinit);
        }
        Ok(())
    }

    /// Merges this member's pending Commit, once the delivery service confirmed it. Fails,
    /// keeping it pending, if there is none or the group moved on.
    pub fn merge_pending_commit(&mut self) -> Result<(), GroupError> {
        let pending = self
            .pending_commit
            .as_ref()
            .ok_or(GroupError::NoPendingCommit)?;
        self.check_fresh(&pending.staged)?;
        match self.pending_commit.take() {
            Some(pending) => self.merge_staged_commit(pending.staged),
            None => Err(GroupError::NoPendingCommit),
        }
    }

    // ----- creating (§12.4.1) -----------------------------------------------------------

    /// Creates a Commit of the proposals chosen by `options` (§12.4.1), and the Welcome for
    /// the members it adds. The group does not change (§14): the Commit stays pending until
    /// [`Group::merge_pending_commit`] (or its echo is processed); the Welcome must not be
    /// delivered before then. `now` is checked against the lifetimes of added KeyPackages.
    pub fn commit(
        &mut self,
        provider: &dyn CryptoProvider,
        options: CommitOptions,
        now: u64,
    ) -> Result<CommitBundle, GroupError> {
        self.check_active()?;
        if self.pending_commit.is_some() {
            return Err(GroupError::PendingCommitExists);
        }
        let suite = self.suite(provider)?;
        let own = self.own_leaf_index();
        let sender = Sender::Member(own);
        let mut list = Vec::new();
        let mut proposals = Vec::new();
        if options.include_pending {
            for queued in self.select_pending(own) {
                list.push(ProposalOrRef::Reference(queued.reference.clone()));
                proposals.push(CommittedProposal {
                    proposal: queued.proposal.clone(),
                    sender: queued.sender,
                    reference: Some(queued.reference.clone()),
                });
            }
        }
        for proposal in options.proposals {
            list.push(ProposalOrRef::Proposal(proposal.clone()));
            proposals.push(CommittedProposal {
                proposal,
                sender,
                reference: None,
            });
        }
        let params = ValidationParams {
            now: Some(now),
            max_lifetime: self.config.max_lifetime,
            resumption: ResumptionMode::Regular,
        };
        let bundle = self.build_commit(
            &suite,
            list,
            proposals,
            &params,
            options.force_path,
            options.leaf.as_ref(),
            options.authenticated_data,
        )?;
        Ok(bundle)
    }

    /// The pending proposals a Commit by `own` includes (see [`CommitOptions::include_pending`]).
    fn select_pending(&self, own: LeafIndex) -> Vec<&super::QueuedProposal> {
        let queue: Vec<&super::QueuedProposal> = self.proposals.iter().collect();
        let changed_leaf = |proposal: &Proposal, sender: Sender| match (proposal, sender) {
            (Proposal::Update(_), Sender::Member(leaf)) => Some(leaf),
            (Proposal::Remove(remove), _) => Some(remove.removed),
            _ => None,
        };
        let others = queue
            .iter()
            .filter(|q| !matches!(q.proposal, Proposal::ReInit(_)))
            .count();
        queue
            .iter()
            .enumerate()
            .filter(|(i, q)| {
                match (&q.proposal, q.sender) {
                    (Proposal::Update(_), Sender::Member(leaf)) if leaf == own => return false,
                    (Proposal::Remove(remove), _) if remove.removed == own => return false,
                    (Proposal::ReInit(_), _) if others > 0 => return false,
                    _ => {}
                }
                let Some(leaf) = changed_leaf(&q.proposal, q.sender) else {
                    return true;
                };
                // A Remove wins over Updates; among Updates the newest wins.
                let is_remove = matches!(q.proposal, Proposal::Remove(_));
                !queue.iter().enumerate().any(|(j, other)| {
                    j != *i
                        && changed_leaf(&other.proposal, other.sender) == Some(leaf)
                        && match (is_remove, matches!(other.proposal, Proposal::Remove(_))) {
                            (true, true) => j < *i,
                            (true, false) => false,
                            (false, true) => true,
                            (false, false) => j > *i,
                        }
                })
            })
            .map(|(_, q)| *q)
            .collect()
    }

    /// Builds this member's Commit of `proposals` (listed on the wire as `list`), its new
    /// epoch and Welcome, and stores it as the pending Commit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build_commit(
        &mut self,
        suite: &Suite<'_>,
        list: Vec<ProposalOrRef>,
        proposals: Vec<CommittedProposal>,
        params: &ValidationParams,
        force_path: bool,
        leaf_options: Option<&LeafNodeOptions>,
        authenticated_data: Vec<u8>,
    ) -> Result<CommitBundle, GroupError> {
        let own = self.own_leaf_index();
        let epoch = &self.epoch;
        let applied: AppliedProposals = apply_proposals(
            suite,
            &epoch.tree,
            &epoch.group_context,
            &proposals,
            Committer::Member(own),
            params,
        )?;
        let added = applied.added_leaves();
        let with_path = force_path || applied.path_required;
        let AppliedProposals {
            mut tree,
            extensions,
            added: added_with_index,
            removed,
            updated,
            psks,
            reinit,
            ..
        } = applied;
        let psk_values = self.psk_values(&psks)?;
        let mut provisional = provisional_context(&epoch.group_context, extensions)?;
        let mut created: Option<CreatedUpdatePath> = None;
        let (commit_secret, private_keys) = if with_path {
            let current = tree.leaf(own).ok_or(GroupError::NotAMember(own))?;
            let mut leaf_node = current.clone();
            if let Some(options) = leaf_options {
                if let Some(capabilities) = &options.capabilities {
                    leaf_node.capabilities = capabilities.clone().into();
                }
                leaf_node.extensions = options.extensions.clone();
            }
            let required = decode_extension(
                &provisional.extensions,
                ExtensionType::REQUIRED_CAPABILITIES,
            )?;
            if let Some(t) = unmet_requirement(
                &leaf_node.capabilities,
                &provisional.extensions,
                required.as_ref(),
            ) {
                return Err(GroupError::UnsupportedGroupExtension(t));
            }
            let path = create_update_path(
                suite,
                &mut tree,
                UpdatePathParams {
                    sender: own,
                    leaf_node,
                    signature_private_key: self.signer.private_key(),
                    group_context: &provisional,
                    added_leaves: &added,
                },
            )?;
            provisional = path.group_context.clone();
            let commit_secret = path.commit_secret.clone();
            let keys = path.private_keys.clone();
            created = Some(path);
            (commit_secret, keys)
        } else {
            provisional.tree_hash = tree.tree_hash(suite)?;
            let mut keys = epoch.private_keys.clone();
            keys.prune(&tree);
            (Secret::zero(suite.hash_len()), keys)
        };
        let commit = Commit {
            proposals: list,
            path: created.as_ref().map(|p| Box::new(p.update_path.clone())),
        };
        let mut content = self.sign(
            suite,
            self.handshake_wire_format(),
            Content::Commit(commit),
            authenticated_data,
        )?;
        let epoch = &self.epoch;
        let inputs = EpochInputs {
            provisional,
            commit_secret,
            init_secret: &epoch.secrets.init_secret,
            interim_transcript_hash: &epoch.interim_transcript_hash,
        };
        let (group_context, secrets, joiner) =
            advance_key_schedule(suite, inputs, &psk_values, &content)?;
        let confirmation_tag = Mac(transcript::confirmation_tag(
            suite,
            secrets.confirmation_key.as_bytes(),
            &group_context.confirmed_transcript_hash,
        )?);
        content.auth.confirmation_tag = Some(confirmation_tag.clone());
        let mut new_epoch = EpochState::new(
            suite,
            &self.config,
            group_context,
            tree,
            private_keys,
            secrets,
            confirmation_tag,
        )?;

        let welcome = if added_with_index.is_empty() {
            None
        } else {
            let mut extensions = Extensions::new();
            if self.config.ratchet_tree_in_welcome {
                extensions.set(Extension {
                    extension_type: ExtensionType::RATCHET_TREE,
                    extension_data: new_epoch.tree.to_bytes(),
                });
            }
            let group_info = sign_group_info(suite, &self.signer, &new_epoch, extensions)?;
            let new_members: Vec<_> = added_with_index
                .iter()
                .filter_map(|&(leaf, i)| match &proposals.get(i)?.proposal {
                    Proposal::Add(add) => Some((leaf, &add.key_package)),
                    _ => None,
                })
                .collect();
            let welcome = build_welcome(
                suite,
                &group_info,
                &joiner,
                &new_members,
                created.as_ref(),
                &psks,
            )?;
            Some(MlsMessage::new(MlsMessageBody::Welcome(welcome)))
        };
        // Hash caches of the new tree are warm; keep them for the new epoch.
        new_epoch.tree.tree_hash(suite)?;
        let message = self.protect(suite, content)?;
        let staged = StagedCommit {
            group_id: self.group_id().to_vec(),
            from_epoch: self.epoch(),
            sender: Sender::Member(own),
            added,
            removed,
            updated,
            new_epoch: Some(Box::new(new_epoch)),
            reinit,
            consumed_key: None,
            proposals,
        };
        self.pending_commit = Some(Box::new(PendingCommit {
            message: message.clone(),
            staged,
        }));
        Ok(CommitBundle {
            commit: message,
            welcome,
        })
    }
}
