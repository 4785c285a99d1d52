//! Proposals (RFC 9420 §12.1): the store of proposals received in an epoch, kept by
//! `ProposalRef` for Commits that include them by reference; the checks of a proposal on its
//! own; and the validation (§12.2) and application (§12.3) of a Commit's proposal list to a
//! copy of the tree and GroupContext.

use braid_crypto::Secret;

use super::key_package::{check_in_group, unsupported_extension, verify_key_package_signatures};
use super::state::{decode_extension, EpochState};
use super::{GroupError, KeyPackageError, ProposalError};
use crate::extensions::{ExtensionType, Extensions};
use crate::group_context::GroupContext;
use crate::messages::{
    Capabilities, ExternalSender, KeyPackage, LeafNode, MlsMessage, Proposal, ProposalRef,
    ProposalType, ReInit, RequiredCapabilities, Sender,
};
use crate::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use crate::suite::Suite;
use crate::tree::{LeafNodeUsage, LeafValidationContext, RatchetTree, TreeError};
use crate::tree_math::LeafIndex;
use rayon::prelude::*;

/// A proposal received or sent in the current epoch, waiting for a Commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedProposal {
    /// The `ProposalRef` naming it (§5.2).
    pub reference: ProposalRef,
    /// The proposal.
    pub proposal: Proposal,
    /// Who sent it.
    pub sender: Sender,
    /// For this member's own proposals: the message that carried it, to recognise its echo.
    pub(crate) sent: Option<MlsMessage>,
    /// For this member's own Update: the private key of the new leaf's `encryption_key`.
    pub(crate) update_private_key: Option<Secret>,
}

/// The proposals of the current epoch, in arrival order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProposalStore {
    queue: Vec<QueuedProposal>,
}

impl ProposalStore {
    /// Adds a proposal; one whose reference is already stored is ignored.
    pub(crate) fn insert(&mut self, proposal: QueuedProposal) {
        if self.get(&proposal.reference).is_none() {
            self.queue.push(proposal);
        }
    }

    pub(crate) fn get(&self, reference: &ProposalRef) -> Option<&QueuedProposal> {
        self.queue.iter().find(|q| q.reference == *reference)
    }

    /// The own proposal that `message` carried, if it is the echo of one.
    pub(crate) fn own_echo(&self, message: &MlsMessage) -> Option<&QueuedProposal> {
        self.queue.iter().find(|q| q.sent.as_ref() == Some(message))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &QueuedProposal> + '_ {
        self.queue.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn from_vec(queue: Vec<QueuedProposal>) -> Self {
        Self { queue }
    }
}

/// A proposal as a Commit applies it: the proposal, its sender, and its reference if the
/// Commit included it by reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedProposal {
    /// The proposal.
    pub proposal: Proposal,
    /// Who proposed it (the committer for proposals included by value).
    pub sender: Sender,
    /// The `ProposalRef`, for proposals included by reference.
    pub reference: Option<ProposalRef>,
}

/// Who commits: a member at its leaf, or a joiner by external Commit with the leaf node of
/// its UpdatePath.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Committer {
    Member(LeafIndex),
    External,
}

/// Whether resumption PSKs restricted to ReInit or branching may appear (§8.4, §11.2, §11.3):
/// only in the first Commit of a group that resumes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResumptionMode {
    /// A regular Commit: `reinit` and `branch` resumption PSKs are invalid.
    Regular,
    /// The first Commit of a reinitialized or branched group: a PSK of this usage is allowed.
    Resuming(ResumptionPskUsage),
}

/// The parameters proposals are validated with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValidationParams {
    /// The time to check lifetimes of KeyPackage leaves against, if they are checked.
    pub(crate) now: Option<u64>,
    /// The maximum lifetime span of a leaf.
    pub(crate) max_lifetime: Option<u64>,
    /// Which restricted resumption PSKs are allowed.
    pub(crate) resumption: ResumptionMode,
}

/// The new tree and GroupContext extensions after a Commit's proposals, and what the rest of
/// the Commit needs from them.
#[derive(Debug, Clone)]
pub(crate) struct AppliedProposals {
    /// The tree with every proposal applied (a copy of the epoch's tree).
    pub(crate) tree: RatchetTree,
    /// The new GroupContext extensions.
    pub(crate) extensions: Extensions,
    /// The leaves of the new members, with the position of their Add in the list.
    pub(crate) added: Vec<(LeafIndex, usize)>,
    /// The removed leaves, with the leaf node each held.
    pub(crate) removed: Vec<(LeafIndex, LeafNode)>,
    /// The leaves replaced by Update proposals.
    pub(crate) updated: Vec<LeafIndex>,
    /// The PSKs, in list order.
    pub(crate) psks: Vec<PreSharedKeyId>,
    /// The `kem_output` of the ExternalInit.
    pub(crate) external_init: Option<Vec<u8>>,
    /// The ReInit.
    pub(crate) reinit: Option<ReInit>,
    /// Whether the Commit must carry an UpdatePath (§12.4).
    pub(crate) path_required: bool,
}

impl AppliedProposals {
    /// The leaves of the new members, sorted.
    pub(crate) fn added_leaves(&self) -> Vec<LeafIndex> {
        let mut leaves: Vec<LeafIndex> = self.added.iter().map(|(leaf, _)| *leaf).collect();
        leaves.sort_unstable();
        leaves
    }
}

fn invalid(index: usize, error: ProposalError) -> GroupError {
    GroupError::InvalidProposal {
        index: Some(index),
        error,
    }
}

fn list_invalid(error: ProposalError) -> GroupError {
    GroupError::InvalidProposal { index: None, error }
}

/// The proposal types an `external` sender may send (§12.1.8).
pub(crate) fn allowed_for_external_sender(proposal_type: ProposalType) -> bool {
    matches!(
        proposal_type,
        ProposalType::ADD
            | ProposalType::REMOVE
            | ProposalType::PSK
            | ProposalType::REINIT
            | ProposalType::GROUP_CONTEXT_EXTENSIONS
    )
}

/// The checks of a PreSharedKey proposal on its own (§12.1.4): the nonce length and the
/// usages reserved for ReInit and branching.
fn check_psk(
    suite: &Suite<'_>,
    id: &PreSharedKeyId,
    mode: ResumptionMode,
) -> Result<(), ProposalError> {
    if id.psk_nonce.len() != suite.hash_len() {
        return Err(ProposalError::BadPskNonce {
            expected: suite.hash_len(),
            found: id.psk_nonce.len(),
        });
    }
    if let Psk::Resumption(resumption) = &id.psk {
        let restricted = matches!(
            resumption.usage,
            ResumptionPskUsage::Reinit | ResumptionPskUsage::Branch
        );
        if restricted && mode != ResumptionMode::Resuming(resumption.usage) {
            return Err(ProposalError::RestrictedResumptionPsk);
        }
    }
    Ok(())
}

/// The checks a proposal received on its own must pass before it is stored (§12.1): what
/// can be decided without the rest of the Commit.
pub(crate) fn check_standalone(
    suite: &Suite<'_>,
    epoch: &EpochState,
    proposal: &Proposal,
    sender: &Sender,
) -> Result<(), ProposalError> {
    match proposal {
        Proposal::ExternalInit(_) => {
            Err(ProposalError::SenderNotAllowed(ProposalType::EXTERNAL_INIT))
        }
        Proposal::Update(_) if !matches!(sender, Sender::Member(_)) => {
            Err(ProposalError::UpdateFromNonMember)
        }
        Proposal::Remove(remove) if epoch.tree.leaf(remove.removed).is_none() => {
            Err(ProposalError::NotAMember(remove.removed))
        }
        Proposal::PreSharedKey(psk) => check_psk(suite, &psk.psk, ResumptionMode::Regular),
        Proposal::ReInit(reinit) if reinit.version < epoch.group_context.version => {
            Err(ProposalError::ReInitVersionDowngrade(reinit.version))
        }
        Proposal::GroupContextExtensions(gce) => check_group_extensions(&gce.extensions),
        _ => Ok(()),
    }
}

/// The bodies of the GroupContext extensions braid interprets must decode.
fn check_group_extensions(extensions: &Extensions) -> Result<(), ProposalError> {
    let malformed = |t| ProposalError::MalformedExtension(t);
    decode_extension::<RequiredCapabilities>(extensions, ExtensionType::REQUIRED_CAPABILITIES)
        .map_err(|_| malformed(ExtensionType::REQUIRED_CAPABILITIES))?;
    decode_extension::<Vec<ExternalSender>>(extensions, ExtensionType::EXTERNAL_SENDERS)
        .map_err(|_| malformed(ExtensionType::EXTERNAL_SENDERS))?;
    Ok(())
}

/// Validates a Commit's proposal list (§12.2) and applies it (§12.3) to a copy of `epoch`'s
/// tree and extensions: GroupContextExtensions first, then Updates, Removes, Adds (in list
/// order), and the PSKs, ExternalInit and ReInit noted for later.
///
/// The tree is copied once; every check on the proposals themselves is O(1) or O(log N) in
/// the group size besides signature verification, except a GroupContextExtensions proposal,
/// which is checked against every member.
pub(crate) fn apply_proposals(
    suite: &Suite<'_>,
    tree: &RatchetTree,
    group_context: &GroupContext,
    proposals: &[CommittedProposal],
    committer: Committer,
    params: &ValidationParams,
) -> Result<AppliedProposals, GroupError> {
    check_list(suite, tree, group_context, proposals, committer, params)?;

    let mut extensions = group_context.extensions.clone();
    let mut gce = false;
    for proposal in proposals {
        if let Proposal::GroupContextExtensions(body) = &proposal.proposal {
            extensions = body.extensions.clone();
            gce = true;
        }
    }
    let required: Option<RequiredCapabilities> =
        decode_extension(&extensions, ExtensionType::REQUIRED_CAPABILITIES)?;
    let leaf_context = LeafValidationContext {
        group_id: &group_context.group_id,
        required_capabilities: required.as_ref(),
        now: params.now,
        max_lifetime: params.max_lifetime,
    };

    let mut applied = AppliedProposals {
        tree: tree.clone(),
        extensions: Extensions::new(),
        added: Vec::new(),
        removed: Vec::new(),
        updated: Vec::new(),
        psks: Vec::new(),
        external_init: None,
        reinit: None,
        path_required: proposals.is_empty(),
    };
    let tree = &mut applied.tree;
    for (i, proposal) in proposals.iter().enumerate() {
        if let (Proposal::Update(update), Sender::Member(leaf)) =
            (&proposal.proposal, proposal.sender)
        {
            let leaf_node = &update.leaf_node;
            tree.validate_leaf_node(suite, leaf_node, LeafNodeUsage::Update(leaf), &leaf_context)
                .map_err(|e| invalid(i, ProposalError::InvalidUpdate(e)))?;
            if let Some(t) = unsupported_extension(&leaf_node.capabilities, &extensions) {
                return Err(invalid(
                    i,
                    ProposalError::UnsupportedByMember { leaf, extension: t },
                ));
            }
            tree.update_leaf(leaf, leaf_node.clone())
                .map_err(|e| invalid(i, ProposalError::Tree(e)))?;
            applied.updated.push(leaf);
        }
    }
    for (i, proposal) in proposals.iter().enumerate() {
        if let Proposal::Remove(remove) = &proposal.proposal {
            let removed = tree.remove_leaf(remove.removed).map_err(|e| match e {
                TreeError::BlankLeaf(leaf) | TreeError::LeafOutOfRange { leaf, .. } => {
                    invalid(i, ProposalError::NotAMember(leaf))
                }
                other => invalid(i, ProposalError::Tree(other)),
            })?;
            applied.removed.push((remove.removed, removed));
        }
    }
    // The added KeyPackages' signatures depend on nothing in the group: verify them all at
    // once, in parallel; each result is reported at its Add, after that Add's other checks.
    let signatures: Vec<Option<Result<(), KeyPackageError>>> = proposals
        .par_iter()
        .map(|proposal| match &proposal.proposal {
            Proposal::Add(add) => Some(verify_key_package_signatures(suite, &add.key_package)),
            _ => None,
        })
        .collect();
    for ((i, proposal), signature) in proposals.iter().enumerate().zip(signatures) {
        if let Proposal::Add(add) = &proposal.proposal {
            let key_package: &KeyPackage = &add.key_package;
            check_in_group(tree, group_context, &extensions, key_package, &leaf_context)
                .and(signature.unwrap_or(Ok(())))
                .map_err(|e| invalid(i, ProposalError::InvalidKeyPackage(e)))?;
            let leaf = tree
                .add_leaf(key_package.leaf_node.clone())
                .map_err(|e| invalid(i, ProposalError::Tree(e)))?;
            applied.added.push((leaf, i));
        }
    }
    for proposal in proposals {
        applied.path_required |= matches!(
            proposal.proposal,
            Proposal::Update(_)
                | Proposal::Remove(_)
                | Proposal::ExternalInit(_)
                | Proposal::GroupContextExtensions(_)
        );
        match &proposal.proposal {
            Proposal::PreSharedKey(psk) => applied.psks.push(psk.psk.clone()),
            Proposal::ExternalInit(init) => applied.external_init = Some(init.kem_output.clone()),
            Proposal::ReInit(reinit) => applied.reinit = Some(reinit.clone()),
            _ => {}
        }
    }
    if gce {
        check_members_support(tree, &extensions, required.as_ref())?;
    }
    applied.extensions = extensions;
    Ok(applied)
}

/// The list-level rules of §12.2, before anything is applied.
fn check_list(
    suite: &Suite<'_>,
    tree: &RatchetTree,
    group_context: &GroupContext,
    proposals: &[CommittedProposal],
    committer: Committer,
    params: &ValidationParams,
) -> Result<(), GroupError> {
    let (mut gce, mut reinit, mut external_init, mut removes) = (0, 0, 0, 0);
    let mut changed: Vec<(LeafIndex, usize)> = Vec::new();
    let mut psks: Vec<(&PreSharedKeyId, usize)> = Vec::new();
    for (i, proposal) in proposals.iter().enumerate() {
        let proposal_type = proposal.proposal.proposal_type();
        if let Committer::External = committer {
            if proposal.reference.is_some() {
                return Err(invalid(i, ProposalError::ReferenceInExternalCommit));
            }
            if !matches!(
                proposal_type,
                ProposalType::EXTERNAL_INIT | ProposalType::REMOVE | ProposalType::PSK
            ) {
                return Err(invalid(
                    i,
                    ProposalError::NotAllowedInExternalCommit(proposal_type),
                ));
            }
        }
        match &proposal.proposal {
            Proposal::Update(_) => {
                let Sender::Member(leaf) = proposal.sender else {
                    return Err(invalid(i, ProposalError::UpdateFromNonMember));
                };
                if matches!(committer, Committer::Member(c) if c == leaf) {
                    return Err(invalid(i, ProposalError::UpdateFromCommitter));
                }
                if tree.leaf(leaf).is_none() {
                    return Err(invalid(i, ProposalError::NotAMember(leaf)));
                }
                changed.push((leaf, i));
            }
            Proposal::Remove(remove) => {
                if matches!(committer, Committer::Member(c) if c == remove.removed) {
                    return Err(invalid(i, ProposalError::RemovesCommitter));
                }
                removes += 1;
                changed.push((remove.removed, i));
            }
            Proposal::PreSharedKey(psk) => {
                check_psk(suite, &psk.psk, params.resumption).map_err(|e| invalid(i, e))?;
                if psks.iter().any(|(other, _)| **other == psk.psk) {
                    return Err(invalid(i, ProposalError::DuplicatePsk));
                }
                psks.push((&psk.psk, i));
            }
            Proposal::GroupContextExtensions(body) => {
                gce += 1;
                if gce > 1 {
                    return Err(invalid(i, ProposalError::MultipleGroupContextExtensions));
                }
                check_group_extensions(&body.extensions).map_err(|e| invalid(i, e))?;
            }
            Proposal::ReInit(body) => {
                reinit += 1;
                if body.version < group_context.version {
                    return Err(invalid(
                        i,
                        ProposalError::ReInitVersionDowngrade(body.version),
                    ));
                }
            }
            Proposal::ExternalInit(_) => {
                external_init += 1;
                if matches!(committer, Committer::Member(_)) || external_init > 1 {
                    return Err(invalid(i, ProposalError::MisplacedExternalInit));
                }
            }
            Proposal::Add(_) => {}
        }
    }
    if reinit > 0 && proposals.len() > 1 {
        return Err(list_invalid(ProposalError::ReInitNotAlone));
    }
    if let Committer::External = committer {
        if external_init != 1 {
            return Err(list_invalid(ProposalError::MisplacedExternalInit));
        }
        if removes > 1 {
            return Err(list_invalid(ProposalError::NotAllowedInExternalCommit(
                ProposalType::REMOVE,
            )));
        }
    }
    changed.sort_unstable();
    let duplicate = changed.windows(2).find_map(|pair| match pair {
        [first, second] if first.0 == second.0 => Some(*second),
        _ => None,
    });
    if let Some((leaf, index)) = duplicate {
        return Err(invalid(index, ProposalError::DuplicateLeafChange(leaf)));
    }
    Ok(())
}

/// After a GroupContextExtensions proposal: every member must support each non-default
/// extension of the new GroupContext (§13.4) and the new `required_capabilities` (§11.1,
/// §12.1.7). O(N).
fn check_members_support(
    tree: &RatchetTree,
    extensions: &Extensions,
    required: Option<&RequiredCapabilities>,
) -> Result<(), GroupError> {
    for (leaf, leaf_node) in tree.members() {
        if let Some(extension) = unmet_requirement(&leaf_node.capabilities, extensions, required) {
            return Err(list_invalid(ProposalError::UnsupportedByMember {
                leaf,
                extension,
            }));
        }
    }
    Ok(())
}

/// The first requirement of a GroupContext with `extensions` that `capabilities` does not
/// meet: a non-default extension of the GroupContext or of `required_capabilities` that is
/// not listed (that extension's type), or a required proposal or credential type that is
/// not listed (`required_capabilities` itself).
pub(crate) fn unmet_requirement(
    capabilities: &Capabilities,
    extensions: &Extensions,
    required: Option<&RequiredCapabilities>,
) -> Option<ExtensionType> {
    if let Some(t) = unsupported_extension(capabilities, extensions) {
        return Some(t);
    }
    let required = required?;
    if let Some(&t) = required
        .extension_types
        .iter()
        .find(|t| !t.is_default() && !capabilities.extensions.contains(t))
    {
        return Some(t);
    }
    let missing = required
        .proposal_types
        .iter()
        .any(|t| !t.is_default() && !capabilities.proposals.contains(t))
        || required
            .credential_types
            .iter()
            .any(|t| !capabilities.credentials.contains(t));
    missing.then_some(ExtensionType::REQUIRED_CAPABILITIES)
}
