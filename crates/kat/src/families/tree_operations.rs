//! `tree-operations.json`: applying an Add, Update or Remove proposal to a tree (RFC 9420
//! §12.1.1–§12.1.3, §7.7) and the tree hashes before and after (§7.8).

use braid_codec::{Decode, Encode};
use braid_mls::messages::Proposal;
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;

use super::tree_validation::{import_tree, suite};
use crate::{check_bytes, Case, CaseResult};

/// Checks one proposal application.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider::new();
    let suite = suite(&provider, case.cipher_suite()?)?;
    let mut tree = import_tree(&case.hex("tree_before")?, "tree_before")?;
    let hash = tree
        .tree_hash(&suite)
        .map_err(|e| format!("tree hash before: {e}"))?;
    check_bytes("tree_hash_before", &hash, &case.hex("tree_hash_before")?)?;

    let proposal =
        Proposal::from_bytes(&case.hex("proposal")?).map_err(|e| format!("proposal: {e}"))?;
    let sender =
        u32::try_from(case.u64("proposal_sender")?).map_err(|_| "proposal_sender out of range")?;
    let applied = match proposal {
        Proposal::Add(add) => tree.add_leaf(add.key_package.leaf_node).map(drop),
        Proposal::Update(update) => tree.update_leaf(LeafIndex(sender), update.leaf_node),
        Proposal::Remove(remove) => tree.remove_leaf(remove.removed).map(drop),
        other => return Err(format!("unexpected {:?} proposal", other.proposal_type())),
    };
    applied.map_err(|e| format!("applying the proposal: {e}"))?;

    check_bytes("tree_after", &tree.to_bytes(), &case.hex("tree_after")?)?;
    let hash = tree
        .tree_hash(&suite)
        .map_err(|e| format!("tree hash after: {e}"))?;
    check_bytes("tree_hash_after", &hash, &case.hex("tree_hash_after")?)
}
