//! TreeKEM: creating and applying an UpdatePath (RFC 9420 §7.4–§7.6, with the parent hashes
//! of §7.9 and the path processing of §12.4.1 and §12.4.2).
//!
//! * [`create_update_path`]: the committer's side. Fresh path secrets for its filtered direct
//!   path (`path_secret[n] = DeriveSecret(path_secret[n-1], "path")`), node key pairs
//!   (`DeriveKeyPair(DeriveSecret(path_secret[n], "node"))`), the path merged into the tree with
//!   its parent hashes, a new signed `commit` leaf, and every path secret encrypted under the
//!   provisional GroupContext to the resolution of its copath child, leaving out the leaves
//!   added by the same Commit. Independent HPKE encryptions run in parallel (rayon) once there
//!   are [`PARALLEL_MIN`] of them.
//! * [`apply_update_path`]: a receiver's side. Checks the path's shape against the tree (one
//!   node per filtered direct path node, one ciphertext per resolution node), the new leaf
//!   (§7.3 with source `commit`) and its parent hash, merges the path, decrypts the one path
//!   secret meant for the receiver, derives the rest of the path and checks every derived
//!   public key against the path, and yields the `commit_secret`.
//! * [`TreePrivateKeys`]: the member's private keys, a value that both operations return anew.
//!
//! Both operations change the tree only on success: the leaf and direct path they touch are
//! saved first ([`RatchetTree::snapshot_path`]) and put back on any error. Besides the HPKE
//! operations (one encryption per resolution node for the committer, one decryption for a
//! receiver) and the O(log N) key derivations and hashes of the path, the work is O(log N):
//! a receiver counts resolution sizes from the tree's cached subtree counts rather than
//! building the resolutions.

mod private;
mod snapshot;

#[cfg(test)]
mod tests;

use braid_codec::Encode;
use braid_crypto::{CryptoError, KemKeyPair, Secret};
use rayon::prelude::*;

pub use private::TreePrivateKeys;
pub use snapshot::PathSnapshot;

use super::{
    leaf_range, LeafNodeError, LeafNodeUsage, LeafValidationContext, RatchetTree, TreeError,
};
use crate::group_context::GroupContext;
use crate::messages::{HpkePublicKey, LeafNode, LeafNodeSource, UpdatePath, UpdatePathNode};
use crate::suite::{HpkeCiphertext, Suite};
use crate::tree_math::{LeafIndex, NodeIndex};

/// The number of independent HPKE operations (or key derivations) from which they are spread
/// over rayon's thread pool; below it, the cost of dispatching outweighs the gain.
pub const PARALLEL_MIN: usize = 4;

/// The `EncryptWithLabel` label of path secrets (§7.6).
const UPDATE_PATH_NODE_LABEL: &[u8] = b"UpdatePathNode";
/// The `SignWithLabel` label of leaf nodes (§7.2).
const LEAF_NODE_TBS_LABEL: &[u8] = b"LeafNodeTBS";

/// Why an UpdatePath could not be created or applied, or a private tree state is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeKemError {
    /// The UpdatePath has not one node per node of the sender's filtered direct path (§7.6).
    #[error("UpdatePath has {actual} nodes, the sender's filtered direct path has {expected}")]
    WrongPathLength {
        /// The length of the filtered direct path.
        expected: usize,
        /// The number of `UpdatePathNode`s.
        actual: usize,
    },
    /// An `UpdatePathNode` has not one ciphertext per node of its copath child's resolution
    /// (without the leaves added by the Commit) (§7.6).
    #[error("UpdatePathNode of node {node:?} has {actual} ciphertexts, its resolution {expected}")]
    WrongCiphertextCount {
        /// The filtered direct path node.
        node: NodeIndex,
        /// The size of the copath child's resolution.
        expected: usize,
        /// The number of ciphertexts.
        actual: usize,
    },
    /// The UpdatePath's leaf node is invalid (§7.3, source `commit`).
    #[error("UpdatePath leaf node: {0}")]
    InvalidLeafNode(LeafNodeError),
    /// The UpdatePath's leaf node carries a `parent_hash` other than the parent hash of the
    /// first node of the merged path (§7.9.2).
    #[error("UpdatePath leaf node of leaf {leaf:?} has the wrong parent_hash")]
    BadParentHash {
        /// The sender's leaf.
        leaf: LeafIndex,
    },
    /// The receiver is the sender: a committer does not process its own UpdatePath.
    #[error("leaf {0:?} cannot apply its own UpdatePath")]
    OwnUpdatePath(LeafIndex),
    /// The receiver holds no current private key for a node of the resolution it must decrypt
    /// from (it is not in the tree, was added by this Commit, or its keys are stale).
    #[error("leaf {receiver:?} holds no key to decrypt the path secret of node {node:?}")]
    NoDecryptableNode {
        /// The receiver's leaf.
        receiver: LeafIndex,
        /// The filtered direct path node whose path secret the receiver needs (`None` if no
        /// node of the path is above the receiver).
        node: Option<NodeIndex>,
    },
    /// The path secret encrypted to a node does not decrypt.
    #[error("path secret encrypted to node {node:?} does not decrypt")]
    DecryptionFailed {
        /// The resolution node whose key was used.
        node: NodeIndex,
    },
    /// A public key derived from a path secret is not the node's public key in the path or
    /// tree (§7.5, §12.4.3.1).
    #[error("public key derived for node {node:?} does not match the node's public key")]
    PublicKeyMismatch {
        /// The node.
        node: NodeIndex,
    },
    /// A private key is held for a node that is blank or has another public key in the tree.
    #[error("private key for node {node:?} does not match the tree")]
    StalePrivateKey {
        /// The node.
        node: NodeIndex,
    },
    /// A path secret was given for a node that is not a parent above the member's leaf.
    #[error("node {node:?} is not on the direct path of leaf {leaf:?}")]
    NotOnDirectPath {
        /// The member's leaf.
        leaf: LeafIndex,
        /// The node.
        node: NodeIndex,
    },
    /// A leaf index beyond the largest tree.
    #[error("leaf {0:?} is beyond the largest tree")]
    LeafOutOfRange(LeafIndex),
    /// A [`PathSnapshot`] cannot be restored: the tree changed size, or a saved key is now
    /// held by `node`, outside the path.
    #[error("snapshot of leaf {leaf:?}'s path no longer fits the tree (conflict at {node:?})")]
    SnapshotConflict {
        /// The snapshot's leaf.
        leaf: LeafIndex,
        /// The node outside the path holding a saved key (`None` if the size changed).
        node: Option<NodeIndex>,
    },
    /// The tree rejected an operation.
    #[error("ratchet tree: {0}")]
    Tree(#[from] TreeError),
    /// The crypto provider failed.
    #[error("crypto operation failed: {0}")]
    Crypto(#[from] CryptoError),
}

/// What the committer supplies to [`create_update_path`].
#[derive(Debug, Clone)]
pub struct UpdatePathParams<'a> {
    /// The committer's leaf.
    pub sender: LeafIndex,
    /// The committer's new leaf node: its `encryption_key`, `leaf_node_source` and
    /// `signature` are replaced; the rest (signature key, credential, capabilities,
    /// extensions) is kept as given. Whether those are acceptable (§7.3) is the caller's to
    /// check.
    pub leaf_node: LeafNode,
    /// The private key of the leaf node's `signature_key`.
    pub signature_private_key: &'a [u8],
    /// The provisional GroupContext (§12.4.1): new epoch and extensions, old confirmed
    /// transcript hash. Its `tree_hash` is replaced by the tree hash after the merge.
    pub group_context: &'a GroupContext,
    /// The leaves added by the same Commit, left out of every resolution (§7.6).
    pub added_leaves: &'a [LeafIndex],
}

/// The result of [`create_update_path`].
#[derive(Debug, Clone)]
pub struct CreatedUpdatePath {
    /// The UpdatePath for the Commit.
    pub update_path: UpdatePath,
    /// The committer's private keys afterwards: the new leaf key and every path node's key.
    pub private_keys: TreePrivateKeys,
    /// `commit_secret`: the path secret following the last one.
    pub commit_secret: Secret,
    /// The provisional GroupContext, with the new tree hash.
    pub group_context: GroupContext,
    /// Each filtered direct path node with its path secret, leaf side first.
    path_secrets: Vec<(NodeIndex, Secret)>,
}

impl CreatedUpdatePath {
    /// Each node of the filtered direct path with its path secret, from the leaf up.
    pub fn path_secrets(&self) -> &[(NodeIndex, Secret)] {
        &self.path_secrets
    }

    /// The path secret a new member at `joiner` receives in its `GroupSecrets` (§12.4.3.1):
    /// that of the lowest common ancestor of the committer and the joiner. `None` if that
    /// node is not on the filtered direct path (the joiner is not in the tree).
    pub fn path_secret_for(&self, joiner: LeafIndex) -> Option<(NodeIndex, &Secret)> {
        let sender = self.private_keys.leaf_index().node()?;
        let ancestor = sender.common_ancestor(joiner.node()?);
        self.path_secrets
            .iter()
            .find(|(node, _)| *node == ancestor)
            .map(|(node, secret)| (*node, secret))
    }
}

/// An UpdatePath received in a Commit, with what [`apply_update_path`] checks it against.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedUpdatePath<'a> {
    /// The committer's leaf.
    pub sender: LeafIndex,
    /// The UpdatePath.
    pub update_path: &'a UpdatePath,
    /// The provisional GroupContext (§12.4.2); its `tree_hash` is replaced by the tree hash
    /// after the merge.
    pub group_context: &'a GroupContext,
    /// The leaves added by the same Commit.
    pub added_leaves: &'a [LeafIndex],
    /// The parameters the new leaf node is validated with (§7.3); the `group_id` is taken
    /// from `group_context`.
    pub leaf_validation: LeafValidationContext<'a>,
}

/// The result of [`apply_update_path`].
#[derive(Debug, Clone)]
pub struct AppliedUpdatePath {
    /// The receiver's private keys afterwards.
    pub private_keys: TreePrivateKeys,
    /// `commit_secret`: the path secret following the last one.
    pub commit_secret: Secret,
    /// The provisional GroupContext, with the new tree hash.
    pub group_context: GroupContext,
    /// The filtered direct path node whose path secret the receiver decrypted: the lowest
    /// common ancestor of sender and receiver.
    pub decrypted_node: NodeIndex,
    /// That path secret.
    pub path_secret: Secret,
}

/// Creates an UpdatePath for the member at `params.sender` (§7.5, §7.6, §12.4.1) and merges
/// it into `tree`, which must already reflect the Commit's proposals. On error the tree is
/// left as it was.
///
/// For an external Commit, `params.sender` is the blank leaf the joiner takes (§12.4.2: the
/// leftmost blank leaf, in a tree the caller extended if it had none).
pub fn create_update_path(
    suite: &Suite<'_>,
    tree: &mut RatchetTree,
    params: UpdatePathParams<'_>,
) -> Result<CreatedUpdatePath, TreeKemError> {
    let snapshot = tree.snapshot_path(params.sender)?;
    let result = create_and_merge(suite, tree, params);
    if result.is_err() {
        // Only the sender's path changed, so restoring cannot conflict.
        tree.restore_path(snapshot)?;
    }
    result
}

/// The part of [`create_update_path`] that changes the tree.
fn create_and_merge(
    suite: &Suite<'_>,
    tree: &mut RatchetTree,
    params: UpdatePathParams<'_>,
) -> Result<CreatedUpdatePath, TreeKemError> {
    let UpdatePathParams {
        sender,
        mut leaf_node,
        signature_private_key,
        group_context,
        added_leaves,
    } = params;
    let added = sorted(added_leaves);
    let path = tree.filtered_direct_path(sender)?;
    let leaf_key_pair = suite.generate_kem_key_pair()?;
    let derived = derive_path(suite, suite.random_secret()?, path.len())?;
    let path_keys: Vec<HpkePublicKey> = derived
        .key_pairs
        .iter()
        .map(|pair| HpkePublicKey::from(pair.public_key.as_slice()))
        .collect();

    if tree.leaf(sender).is_none() {
        tree.install_leaf(sender, leaf_node.clone())?;
    }
    let parent_hash = tree.merge_update_path(suite, sender, &path_keys)?;
    leaf_node.encryption_key = HpkePublicKey::from(leaf_key_pair.public_key.as_slice());
    leaf_node.leaf_node_source = LeafNodeSource::Commit { parent_hash };
    let tbs = leaf_node
        .tbs(Some((&group_context.group_id, sender)))
        .map_err(|_| TreeKemError::InvalidLeafNode(LeafNodeError::BadSignature))?
        .to_bytes();
    leaf_node.signature =
        suite.sign_with_label(signature_private_key, LEAF_NODE_TBS_LABEL, &tbs)?;
    tree.set_leaf(sender, leaf_node.clone())?;
    let group_context = provisional_context(suite, tree, group_context)?;
    let context = group_context.to_bytes();

    // One encryption per resolution node of each copath child, all independent.
    let resolutions: Vec<Vec<NodeIndex>> = path
        .iter()
        .map(|step| tree.resolution_excluding(step.copath_child, &added))
        .collect();
    let mut jobs = Vec::with_capacity(resolutions.iter().map(Vec::len).sum());
    for (resolution, path_secret) in resolutions.iter().zip(&derived.path_secrets) {
        for &node in resolution {
            let key = tree
                .encryption_key(node)
                .ok_or(TreeError::BlankParent(node))?;
            jobs.push((key, path_secret));
        }
    }
    let mut ciphertexts = map_parallel(&jobs, |(key, path_secret)| {
        suite.encrypt_with_label(
            key,
            UPDATE_PATH_NODE_LABEL,
            &context,
            path_secret.as_bytes(),
        )
    })?
    .into_iter();
    let nodes = path_keys
        .into_iter()
        .zip(&resolutions)
        .map(|(encryption_key, resolution)| UpdatePathNode {
            encryption_key,
            encrypted_path_secret: ciphertexts.by_ref().take(resolution.len()).collect(),
        })
        .collect();

    let DerivedPath {
        path_secrets,
        key_pairs,
        next: commit_secret,
    } = derived;
    let private_keys = TreePrivateKeys::from_committed_path(
        sender,
        leaf_key_pair,
        path.iter().map(|step| step.node).zip(key_pairs),
    )?;
    Ok(CreatedUpdatePath {
        update_path: UpdatePath { leaf_node, nodes },
        private_keys,
        commit_secret,
        group_context,
        path_secrets: path
            .iter()
            .map(|step| step.node)
            .zip(path_secrets)
            .collect(),
    })
}

/// Applies an UpdatePath received from another member (§7.5, §12.4.2) to `tree`, which must
/// already reflect the Commit's proposals: validates it, merges it, and decrypts and derives
/// the receiver's part of the path with `private_keys`. On error the tree is left as it was.
///
/// For an external Commit, `received.sender` is the blank leaf the joiner takes (§12.4.2);
/// its new leaf is validated without a previous leaf to differ from.
pub fn apply_update_path(
    suite: &Suite<'_>,
    tree: &mut RatchetTree,
    private_keys: &TreePrivateKeys,
    received: ReceivedUpdatePath<'_>,
) -> Result<AppliedUpdatePath, TreeKemError> {
    let ReceivedUpdatePath {
        sender,
        update_path,
        group_context,
        added_leaves,
        leaf_validation,
    } = received;
    let receiver = private_keys.leaf_index();
    if receiver == sender {
        return Err(TreeKemError::OwnUpdatePath(sender));
    }
    let added = sorted(added_leaves);

    // Everything that needs no change to the tree, cheapest first.
    let path = tree.filtered_direct_path(sender)?;
    if path.len() != update_path.nodes.len() {
        return Err(TreeKemError::WrongPathLength {
            expected: path.len(),
            actual: update_path.nodes.len(),
        });
    }
    for (step, node) in path.iter().zip(&update_path.nodes) {
        let expected = tree.resolution_size(step.copath_child, &added);
        if node.encrypted_path_secret.len() != expected {
            return Err(TreeKemError::WrongCiphertextCount {
                node: step.node,
                expected,
                actual: node.encrypted_path_secret.len(),
            });
        }
    }
    // The copath subtrees are not touched by the merge, so the node to decrypt with can be
    // found now.
    let receiver_node = receiver
        .node()
        .ok_or(TreeKemError::LeafOutOfRange(receiver))?;
    let no_node = |node| TreeKemError::NoDecryptableNode { receiver, node };
    let (step, path_node) = path
        .iter()
        .zip(&update_path.nodes)
        .find(|(step, _)| step.copath_child.is_ancestor_of(receiver_node))
        .ok_or(no_node(None))?;
    let (decryption_node, position) = tree
        .decryption_node(step.copath_child, private_keys, &added)
        .ok_or(no_node(Some(step.node)))?;
    let ciphertext = path_node
        .encrypted_path_secret
        .get(position)
        .ok_or(no_node(Some(step.node)))?;
    let validation = LeafValidationContext {
        group_id: &group_context.group_id,
        ..leaf_validation
    };
    // The new leaf is validated against the tree as it was (a copy-on-write clone, O(N/64)),
    // while the merge and the decryption run beside it: the leaf's signature check and the
    // HPKE decryption are the two costly steps and do not depend on each other. Either
    // failing restores the path; a bad leaf is reported first.
    let before = tree.clone();
    let snapshot = tree.snapshot_path(sender)?;
    let (validated, result) = rayon::join(
        || {
            before.validate_leaf_node(
                suite,
                &update_path.leaf_node,
                LeafNodeUsage::Commit(sender),
                &validation,
            )
        },
        || {
            merge_and_decrypt(
                suite,
                tree,
                private_keys,
                sender,
                update_path,
                group_context,
                (step.node, decryption_node, ciphertext),
            )
        },
    );
    if validated.is_err() || result.is_err() {
        tree.restore_path(snapshot)?;
    }
    validated.map_err(TreeKemError::InvalidLeafNode)?;
    result
}

/// The part of [`apply_update_path`] that changes the tree.
fn merge_and_decrypt(
    suite: &Suite<'_>,
    tree: &mut RatchetTree,
    private_keys: &TreePrivateKeys,
    sender: LeafIndex,
    update_path: &UpdatePath,
    group_context: &GroupContext,
    (path_node, decryption_node, ciphertext): (NodeIndex, NodeIndex, &HpkeCiphertext),
) -> Result<AppliedUpdatePath, TreeKemError> {
    let path_keys: Vec<HpkePublicKey> = update_path
        .nodes
        .iter()
        .map(|node| node.encryption_key.clone())
        .collect();
    if tree.leaf(sender).is_none() {
        tree.install_leaf(sender, update_path.leaf_node.clone())?;
    }
    let parent_hash = tree.merge_update_path(suite, sender, &path_keys)?;
    tree.set_committer_leaf(sender, update_path.leaf_node.clone(), &parent_hash)
        .map_err(|e| match e {
            TreeError::BadLeafParentHash { leaf } => TreeKemError::BadParentHash { leaf },
            other => other.into(),
        })?;
    let group_context = provisional_context(suite, tree, group_context)?;

    let key_pair = private_keys.current_key_pair(tree, decryption_node).ok_or(
        TreeKemError::NoDecryptableNode {
            receiver: private_keys.leaf_index(),
            node: Some(path_node),
        },
    )?;
    let path_secret = suite
        .decrypt_with_label(
            key_pair.private_key.as_bytes(),
            &key_pair.public_key,
            UPDATE_PATH_NODE_LABEL,
            &group_context.to_bytes(),
            ciphertext,
        )
        .map_err(|e| match e {
            CryptoError::AeadOpenFailed
            | CryptoError::InvalidPublicKey(_)
            | CryptoError::InvalidLength { .. } => TreeKemError::DecryptionFailed {
                node: decryption_node,
            },
            other => other.into(),
        })?;
    let mut private_keys = private_keys.clone();
    let commit_secret =
        private_keys.add_path_secret(suite, tree, path_node, path_secret.clone())?;
    Ok(AppliedUpdatePath {
        private_keys,
        commit_secret,
        group_context,
        decrypted_node: path_node,
        path_secret,
    })
}

/// `group_context` with the tree hash of `tree`.
fn provisional_context(
    suite: &Suite<'_>,
    tree: &mut RatchetTree,
    group_context: &GroupContext,
) -> Result<GroupContext, TreeKemError> {
    Ok(GroupContext {
        tree_hash: tree.tree_hash(suite)?,
        ..group_context.clone()
    })
}

/// The leaves, sorted and without duplicates (the order the tree's exclusion lists take).
fn sorted(leaves: &[LeafIndex]) -> Vec<LeafIndex> {
    let mut leaves = leaves.to_vec();
    leaves.sort_unstable();
    leaves.dedup();
    leaves
}

// ----- path secrets (§7.4) ------------------------------------------------------------------

/// The path secrets of a run of nodes and their key pairs.
struct DerivedPath {
    /// `path_secret[0..len]`.
    path_secrets: Vec<Secret>,
    /// The key pair of each node.
    key_pairs: Vec<KemKeyPair>,
    /// `path_secret[len]`, the secret after the last node's (the `commit_secret` when the run
    /// ends at the root); the first secret itself for an empty run.
    next: Secret,
}

/// `DeriveSecret(path_secret, "path")`: the path secret of the next node up.
fn next_path_secret(suite: &Suite<'_>, path_secret: &Secret) -> Result<Secret, CryptoError> {
    suite.derive_secret(path_secret.as_bytes(), b"path")
}

/// `KEM.DeriveKeyPair(DeriveSecret(path_secret, "node"))`: a node's key pair.
fn node_key_pair(suite: &Suite<'_>, path_secret: &[u8]) -> Result<KemKeyPair, CryptoError> {
    let node_secret = suite.derive_secret(path_secret, b"node")?;
    suite.derive_key_pair(node_secret.as_bytes())
}

/// The path secrets and key pairs of `len` consecutive nodes from `first` (§7.4). The chain
/// is sequential; the key pairs are derived in parallel.
fn derive_path(suite: &Suite<'_>, first: Secret, len: usize) -> Result<DerivedPath, CryptoError> {
    let mut path_secrets = Vec::with_capacity(len);
    let mut next = first;
    for _ in 0..len {
        let following = next_path_secret(suite, &next)?;
        path_secrets.push(std::mem::replace(&mut next, following));
    }
    let key_pairs = map_parallel(&path_secrets, |secret| {
        node_key_pair(suite, secret.as_bytes())
    })?;
    Ok(DerivedPath {
        path_secrets,
        key_pairs,
        next,
    })
}

/// `f` over `items`, in order, on rayon's pool when there are at least [`PARALLEL_MIN`].
fn map_parallel<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<U, E> + Sync + Send,
) -> Result<Vec<U>, E> {
    if items.len() >= PARALLEL_MIN {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

// ----- resolutions without building them (§4.1.1) -------------------------------------------

impl RatchetTree {
    /// `|resolution_excluding(node, excluded)|` without building the resolution: a non-blank
    /// node counts itself and its unmerged leaves, a subtree with no non-blank parent counts
    /// its members (from the cached counts), and only blank parents above parent nodes are
    /// descended into. O(log N) for trees whose parents are all blank or all filled, never
    /// more than O(|resolution| · log N).
    pub(crate) fn resolution_size(&self, node: NodeIndex, excluded: &[LeafIndex]) -> usize {
        let counts = self.subtree_counts(node);
        let is_excluded = |leaf: &LeafIndex| excluded.binary_search(leaf).is_ok();
        if counts.nodes == 0 {
            return 0;
        }
        if let Some(leaf) = node.leaf() {
            return usize::from(!is_excluded(&leaf));
        }
        if let Some(parent) = self.parent(node) {
            return 1 + parent
                .unmerged_leaves
                .iter()
                .filter(|l| !is_excluded(l))
                .count();
        }
        if counts.nodes == counts.leaves {
            let (start, end) = leaf_range(node);
            let from = excluded.partition_point(|l| l.0 < start);
            let to = excluded.partition_point(|l| l.0 < end);
            let excluded_members = excluded
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .filter(|&&l| self.leaf(l).is_some())
                .count();
            return counts.leaves as usize - excluded_members;
        }
        match (node.left(), node.right()) {
            (Some(left), Some(right)) => {
                self.resolution_size(left, excluded) + self.resolution_size(right, excluded)
            }
            _ => 0,
        }
    }

    /// The node of `resolution_excluding(top, excluded)` that the member with `keys` can
    /// decrypt with, and its position in that resolution: the first non-blank node on the
    /// way from `top` down to the member's leaf if the member holds its current key, else
    /// the member's leaf if it is one of that node's unmerged leaves. O(log N) besides the
    /// sizes of the resolutions to its left.
    fn decryption_node(
        &self,
        top: NodeIndex,
        keys: &TreePrivateKeys,
        excluded: &[LeafIndex],
    ) -> Option<(NodeIndex, usize)> {
        let leaf = keys.leaf_index();
        let leaf_node = leaf.node()?;
        if !top.is_ancestor_of(leaf_node) || excluded.binary_search(&leaf).is_ok() {
            return None;
        }
        let holds = |node| keys.current_key_pair(self, node).is_some();
        let mut offset = 0;
        let mut node = top;
        loop {
            if node == leaf_node {
                return holds(node).then_some((node, offset));
            }
            if let Some(parent) = self.parent(node) {
                if holds(node) {
                    return Some((node, offset));
                }
                let position = parent
                    .unmerged_leaves
                    .iter()
                    .filter(|l| excluded.binary_search(l).is_err())
                    .position(|&l| l == leaf)?;
                return holds(leaf_node).then_some((leaf_node, offset + 1 + position));
            }
            let (left, right) = (node.left()?, node.right()?);
            if left.is_ancestor_of(leaf_node) {
                node = left;
            } else {
                offset += self.resolution_size(left, excluded);
                node = right;
            }
        }
    }
}
