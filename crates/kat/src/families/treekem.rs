//! `treekem.json`: private tree states, UpdatePaths processed by every other member, and fresh
//! UpdatePaths created and processed (RFC 9420 §7.4–§7.6, §7.9, §12.4.2).
//!
//! Per case: each member's private state is loaded and checked against the tree; each given
//! UpdatePath is applied by every other member (decrypted path secret, commit secret, tree
//! hash after the merge, parent-hash validity of the merged tree); then the sender creates a
//! new UpdatePath over the same tree, which every other member must decrypt to the new commit
//! secret.

use braid_codec::Decode;
use braid_crypto::Secret;
use braid_mls::extensions::Extensions;
use braid_mls::group_context::{GroupContext, ProtocolVersion};
use braid_mls::messages::UpdatePath;
use braid_mls::suite::Suite;
use braid_mls::tree::treekem::{
    apply_update_path, create_update_path, AppliedUpdatePath, ReceivedUpdatePath, TreePrivateKeys,
    UpdatePathParams,
};
use braid_mls::tree::{LeafValidationContext, RatchetTree};
use braid_mls::tree_math::{LeafIndex, NodeIndex};
use braid_provider::DefaultProvider;

use super::tree_validation::{import_tree, suite};
use crate::json::decode_hex;
use crate::{check_bytes, Case, CaseResult};

/// A member of `leaves_private`.
struct Member {
    keys: TreePrivateKeys,
    signature_priv: Secret,
}

/// Checks one case.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider::new();
    let suite = suite(&provider, case.cipher_suite()?)?;
    let mut tree = import_tree(&case.hex("ratchet_tree")?, "ratchet_tree")?;
    // The provisional GroupContext; `tree_hash` is filled in by each UpdatePath's merge.
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: case.cipher_suite()?,
        group_id: case.hex("group_id")?,
        epoch: case.u64("epoch")?,
        tree_hash: tree
            .tree_hash(&suite)
            .map_err(|e| format!("tree hash: {e}"))?,
        confirmed_transcript_hash: case.hex("confirmed_transcript_hash")?,
        extensions: Extensions::new(),
    };

    let mut members = Vec::new();
    for (i, entry) in case.array("leaves_private")?.into_iter().enumerate() {
        let member =
            load_member(&suite, &tree, entry).map_err(|e| format!("leaves_private[{i}]: {e}"))?;
        members.push(member);
    }
    for (i, entry) in case.array("update_paths")?.into_iter().enumerate() {
        check_update_path(&suite, &tree, &context, &members, entry)
            .map_err(|e| format!("update_paths[{i}]: {e}"))?;
    }
    Ok(())
}

/// Loads a member's private state and checks it against the tree.
fn load_member(suite: &Suite<'_>, tree: &RatchetTree, entry: Case<'_>) -> Result<Member, String> {
    let leaf = leaf_index(entry.u64("index")?)?;
    let private_key = Secret::new(entry.hex("encryption_priv")?);
    let mut keys = TreePrivateKeys::from_leaf_private_key(suite, leaf, private_key)
        .map_err(|e| e.to_string())?;
    for path_secret in entry.array("path_secrets")? {
        let node =
            u32::try_from(path_secret.u64("node")?).map_err(|_| "node index out of range")?;
        keys.insert_path_secret(suite, NodeIndex(node), &path_secret.hex("path_secret")?)
            .map_err(|e| format!("path secret of node {node}: {e}"))?;
    }
    keys.verify(tree)
        .map_err(|e| format!("private state of leaf {}: {e}", leaf.0))?;
    Ok(Member {
        keys,
        signature_priv: Secret::new(entry.hex("signature_priv")?),
    })
}

fn leaf_index(value: u64) -> Result<LeafIndex, String> {
    u32::try_from(value)
        .map(LeafIndex)
        .map_err(|_| format!("leaf index {value} out of range"))
}

/// Applies `update_path` from `sender` to a copy of `tree` as `member`.
fn apply(
    suite: &Suite<'_>,
    tree: &RatchetTree,
    context: &GroupContext,
    sender: LeafIndex,
    update_path: &UpdatePath,
    member: &Member,
) -> Result<(RatchetTree, AppliedUpdatePath), String> {
    let mut tree = tree.clone();
    let received = ReceivedUpdatePath {
        sender,
        update_path,
        group_context: context,
        added_leaves: &[],
        leaf_validation: LeafValidationContext::default(),
    };
    let applied = apply_update_path(suite, &mut tree, &member.keys, received)
        .map_err(|e| format!("leaf {} applying the path: {e}", member.keys.leaf_index().0))?;
    Ok((tree, applied))
}

/// Checks one entry of `update_paths`.
fn check_update_path(
    suite: &Suite<'_>,
    tree: &RatchetTree,
    context: &GroupContext,
    members: &[Member],
    entry: Case<'_>,
) -> CaseResult {
    let sender = leaf_index(entry.u64("sender")?)?;
    let update_path = UpdatePath::from_bytes(&entry.hex("update_path")?)
        .map_err(|e| format!("update_path does not decode: {e}"))?;
    let path_secrets = entry
        .get("path_secrets")?
        .as_array()
        .ok_or("field `path_secrets` is not an array")?;
    let commit_secret = entry.hex("commit_secret")?;
    let tree_hash_after = entry.hex("tree_hash_after")?;

    // The public part alone: the merged tree is parent-hash valid, with the expected hash.
    let mut merged = tree.clone();
    let path_keys: Vec<_> = update_path
        .nodes
        .iter()
        .map(|n| n.encryption_key.clone())
        .collect();
    let parent_hash = merged
        .merge_update_path(suite, sender, &path_keys)
        .map_err(|e| format!("merging the path: {e}"))?;
    merged
        .set_committer_leaf(sender, update_path.leaf_node.clone(), &parent_hash)
        .map_err(|e| format!("installing the leaf: {e}"))?;
    merged
        .verify_parent_hashes(suite)
        .map_err(|e| format!("merged tree is not parent-hash valid: {e}"))?;
    let tree_hash = merged
        .tree_hash(suite)
        .map_err(|e| format!("tree hash after: {e}"))?;
    check_bytes("tree hash after", &tree_hash, &tree_hash_after)?;

    let receivers = members.iter().filter(|m| m.keys.leaf_index() != sender);
    for member in receivers.clone() {
        let leaf = member.keys.leaf_index().0;
        let (tree_after, applied) = apply(suite, tree, context, sender, &update_path, member)?;
        let expected = path_secrets
            .get(leaf as usize)
            .ok_or_else(|| format!("no path_secrets entry for leaf {leaf}"))?;
        check_bytes(
            &format!("path secret decrypted by leaf {leaf}"),
            applied.path_secret.as_bytes(),
            &decode_hex(expected, "path_secrets")?,
        )?;
        check_bytes(
            &format!("commit secret of leaf {leaf}"),
            applied.commit_secret.as_bytes(),
            &commit_secret,
        )?;
        check_bytes(
            &format!("tree hash after, leaf {leaf}"),
            &applied.group_context.tree_hash,
            &tree_hash_after,
        )?;
        if tree_after != merged {
            return Err(format!("leaf {leaf} merged another tree"));
        }
    }

    // A fresh UpdatePath from the same sender over the same tree.
    let signer = members
        .iter()
        .find(|m| m.keys.leaf_index() == sender)
        .ok_or_else(|| format!("no private state for sender {}", sender.0))?;
    let leaf_node = tree
        .leaf(sender)
        .ok_or_else(|| format!("sender leaf {} is blank", sender.0))?
        .clone();
    let mut new_tree = tree.clone();
    let params = UpdatePathParams {
        sender,
        leaf_node,
        signature_private_key: signer.signature_priv.as_bytes(),
        group_context: context,
        added_leaves: &[],
    };
    let created = create_update_path(suite, &mut new_tree, params)
        .map_err(|e| format!("creating a path: {e}"))?;
    created
        .private_keys
        .verify(&new_tree)
        .map_err(|e| format!("committer's new private state: {e}"))?;
    for member in receivers {
        let (merged, applied) = apply(suite, tree, context, sender, &created.update_path, member)?;
        let leaf = member.keys.leaf_index().0;
        check_bytes(
            &format!("new commit secret of leaf {leaf}"),
            applied.commit_secret.as_bytes(),
            created.commit_secret.as_bytes(),
        )?;
        if merged != new_tree {
            return Err(format!(
                "leaf {leaf} merged a tree other than the committer's"
            ));
        }
        applied
            .private_keys
            .verify(&merged)
            .map_err(|e| format!("new private state of leaf {leaf}: {e}"))?;
    }
    Ok(())
}
