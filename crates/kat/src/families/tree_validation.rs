//! `tree-validation.json`: resolutions and tree hashes of every node, parent-hash validity
//! and leaf signatures (with the group id) of trees of several shapes (RFC 9420 §4.1.1, §7.8,
//! §7.9.2, §7.3), and the whole join-time validation of §12.4.3.1.

use braid_codec::{Decode, Encode};
use braid_crypto::CipherSuite;
use braid_mls::messages;
use braid_mls::suite::Suite;
use braid_mls::tree::{LeafValidationContext, RatchetTree};
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
pub(crate) fn suite<'a>(
    provider: &'a DefaultProvider,
    cipher_suite: CipherSuite,
) -> Result<Suite<'a>, String> {
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
    check_eq(
        "number of resolutions",
        resolutions.len(),
        tree.node_width() as usize,
    )?;
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
    check_eq(
        "number of tree hashes",
        tree_hashes.len(),
        tree.node_width() as usize,
    )?;
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
        .map_err(|e| format!("leaf signatures: {e}"))?;

    // Beyond the vector's checks: the tree passes everything a joiner checks (§12.4.3.1),
    // unmerged leaves and leaf capabilities included.
    let tree_hash = tree
        .tree_hash(&suite)
        .map_err(|e| format!("tree hash: {e}"))?;
    let context = LeafValidationContext {
        group_id: &group_id,
        ..LeafValidationContext::default()
    };
    tree.verify(&suite, &tree_hash, &context)
        .map_err(|e| format!("join-time validation: {e}"))
}

#[cfg(test)]
mod tests {
    use braid_mls::messages::Node;
    use braid_mls::tree::TreeError;
    use braid_mls::tree_math::LeafIndex;

    use super::*;

    fn vector_cases() -> Vec<serde_json::Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-vectors/tree-validation.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str::<Vec<serde_json::Value>>(&text).unwrap()
    }

    /// Every vector tree, tampered with, is rejected with the specific error, in every suite.
    #[test]
    fn tampered_vector_trees_are_rejected() {
        let provider = DefaultProvider::new();
        for (i, value) in vector_cases().iter().enumerate() {
            let case = Case(value);
            let suite = suite(&provider, case.cipher_suite().unwrap()).unwrap();
            let group_id = case.hex("group_id").unwrap();
            let tree = import_tree(&case.hex("tree").unwrap(), "tree").unwrap();
            let context = LeafValidationContext {
                group_id: &group_id,
                ..LeafValidationContext::default()
            };
            let nodes = tree.to_wire().unwrap().into_nodes();

            // A wrong expected tree hash.
            let mut copy = tree.clone();
            assert_eq!(
                copy.verify(&suite, &[0; 4], &context),
                Err(TreeError::BadTreeHash),
                "case {i}"
            );

            // A corrupted signature on the last leaf.
            let last = (nodes.len() - 1) / 2;
            let mut tampered = nodes.clone();
            if let Some(Some(Node::Leaf(leaf))) = tampered.get_mut(2 * last) {
                let middle = leaf.signature.len() / 2;
                leaf.signature[middle] ^= 0x40;
            }
            let tampered = RatchetTree::from_nodes(tampered).unwrap();
            assert_eq!(
                tampered.verify_leaf_signatures(&suite, &group_id),
                Err(TreeError::BadLeafSignature {
                    leaf: LeafIndex(last as u32)
                }),
                "case {i}"
            );

            // A changed key in the root, when the root is set: it loses its link.
            let root = tree.root();
            if let Some(Some(Node::Parent(parent))) = nodes.get(root.0 as usize) {
                let mut tampered = nodes.clone();
                let mut parent = parent.clone();
                parent.encryption_key.0.push(0);
                tampered[root.0 as usize] = Some(Node::Parent(parent));
                let mut tampered = RatchetTree::from_nodes(tampered).unwrap();
                assert_eq!(
                    tampered.verify_parent_hashes(&suite),
                    Err(TreeError::BadParentHash { node: root }),
                    "case {i}"
                );
            }
        }
    }
}
