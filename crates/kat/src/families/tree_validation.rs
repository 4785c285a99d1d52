//! `tree-validation.json`: resolutions and tree hashes of every node, parent-hash validity
//! and leaf signatures (with the group id) of trees of several shapes (RFC 9420 §4.1.1, §7.8,
//! §7.9.2, §7.3).

use braid_codec::{Decode, Encode};
use braid_crypto::CipherSuite;
use braid_mls::messages;
use braid_mls::suite::Suite;
use braid_mls::tree::RatchetTree;
use braid_mls::tree_math::NodeIndex;
use braid_provider::DefaultProvider;

use crate::{check_bytes, check_eq, Case, CaseResult};

/// Imports a serialized `ratchet_tree` as a tree, checking that it re-encodes to the same
/// bytes.
pub(crate) fn import_tree(bytes: &[u8], what: &str) -> Result<RatchetTree, String> {
    let wire = messages::RatchetTree::from_bytes(bytes).map_err(|e| format!("{what}: {e}"))?;
    let tree = RatchetTree::from_wire(wire).map_err(|e| format!("{what}: {e}"))?;
    check_bytes(&format!("{what} re-encoded"), &tree.to_bytes(), bytes)?;
    Ok(tree)
}

/// The suite of a case, bound to the default provider.
pub(crate) fn suite<'a>(provider: &'a DefaultProvider, cipher_suite: CipherSuite) -> Result<Suite<'a>, String> {
    Suite::new(provider, cipher_suite).map_err(|e| format!("cipher suite: {e}"))
}

/// Checks one tree.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider::new();
    let suite = suite(&provider, case.cipher_suite()?)?;
    let mut tree = import_tree(&case.hex("tree")?, "tree")?;
    let group_id = case.hex("group_id")?;

    let resolutions = case
        .get("resolutions")?
        .as_array()
        .ok_or("field `resolutions` is not an array")?;
    check_eq("number of resolutions", resolutions.len(), tree.node_width() as usize)?;
    for (i, expected) in resolutions.iter().enumerate() {
        let expected: Vec<u64> = expected
            .as_array()
            .and_then(|nodes| nodes.iter().map(|n| n.as_u64()).collect())
            .ok_or_else(|| format!("resolutions[{i}] is not an array of integers"))?;
        let actual: Vec<u64> = tree
            .resolution(NodeIndex(i as u32))
            .into_iter()
            .map(|node| u64::from(node.0))
            .collect();
        check_eq(&format!("resolution of node {i}"), actual, expected)?;
    }

    let tree_hashes = case.array("tree_hashes")?;
    check_eq("number of tree hashes", tree_hashes.len(), tree.node_width() as usize)?;
    for (i, expected) in tree_hashes.iter().enumerate() {
        let expected = crate::json::decode_hex(expected.0, "tree_hashes")?;
        let actual = tree
            .node_tree_hash(&suite, NodeIndex(i as u32))
            .map_err(|e| format!("tree hash of node {i}: {e}"))?;
        check_bytes(&format!("tree hash of node {i}"), actual, &expected)?;
    }

    tree.verify_parent_hashes(&suite)
        .map_err(|e| format!("parent hashes: {e}"))?;
    tree.verify_leaf_signatures(&suite, &group_id)
        .map_err(|e| format!("leaf signatures: {e}"))
}
