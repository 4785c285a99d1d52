//! Saving and restoring one leaf and its direct path (RFC 9420 §7.5): the only nodes that an
//! UpdatePath (or an Update proposal) changes, so that a failed or abandoned application can
//! be undone in O(log N) instead of copying the whole tree beforehand.
//!
//! Also here: installing an external joiner's leaf at a blank leaf before its UpdatePath is
//! merged (§12.4.2).
//!
//! This is an `impl RatchetTree` block of the TreeKEM module: it reaches into the tree's
//! storage and indexes, which only the tree module and its children can.

use std::sync::Arc;

use super::TreeKemError;
use crate::messages::{LeafNode, ParentNode};
use crate::tree::{leaf_node_index, RatchetTree, TreeError};
use crate::tree_math::{LeafIndex, NodeIndex};

/// A copy of one leaf and of every node of its direct path, taken by
/// [`RatchetTree::snapshot_path`] and put back by [`RatchetTree::restore_path`].
#[derive(Debug, Clone)]
pub struct PathSnapshot {
    leaf: LeafIndex,
    /// The tree's leaf count when the snapshot was taken: restoring needs the same shape.
    leaf_count: u32,
    leaf_node: Option<Arc<LeafNode>>,
    /// The direct path's nodes, from the leaf's parent up to the root.
    parents: Vec<(NodeIndex, Option<Arc<ParentNode>>)>,
}

impl PathSnapshot {
    /// The leaf whose path this is.
    pub fn leaf(&self) -> LeafIndex {
        self.leaf
    }
}

impl RatchetTree {
    /// Saves `leaf` and its direct path. O(log N).
    pub fn snapshot_path(&self, leaf: LeafIndex) -> Result<PathSnapshot, TreeError> {
        let node = self.leaf_node_checked(leaf)?;
        let n = self.leaf_count();
        let parents = node
            .direct_path(n)
            .into_iter()
            .flatten()
            .map(|p| (p, self.shared_parent(p)))
            .collect();
        Ok(PathSnapshot {
            leaf,
            leaf_count: n,
            leaf_node: self.shared_leaf(leaf),
            parents,
        })
    }

    /// Puts back the leaf and direct path saved in `snapshot`, with the key indexes and
    /// cached hashes brought up to date. O(log N).
    ///
    /// Meant to undo changes made to that path only (such as an UpdatePath). Fails, changing
    /// nothing, if the tree's size changed since, or if a key being restored is now held by a
    /// node outside the path ([`TreeKemError::SnapshotConflict`]).
    pub fn restore_path(&mut self, snapshot: PathSnapshot) -> Result<(), TreeKemError> {
        if snapshot.leaf_count != self.leaf_count() {
            return Err(TreeKemError::SnapshotConflict {
                leaf: snapshot.leaf,
                node: None,
            });
        }
        let leaf_node = leaf_node_index(snapshot.leaf);
        let on_path = |node: NodeIndex| node.is_ancestor_of(leaf_node);
        let conflict = |node| TreeKemError::SnapshotConflict {
            leaf: snapshot.leaf,
            node: Some(node),
        };
        // Check first, so a failure changes nothing.
        let saved_keys = snapshot
            .parents
            .iter()
            .filter_map(|(_, p)| p.as_ref().map(|p| &p.encryption_key))
            .chain(snapshot.leaf_node.as_ref().map(|l| &l.encryption_key));
        for key in saved_keys {
            if let Some(holder) = self.find_encryption_key(key).filter(|&n| !on_path(n)) {
                return Err(conflict(holder));
            }
        }
        if let Some(saved) = &snapshot.leaf_node {
            if let Some(holder) = self
                .find_signature_key(&saved.signature_key)
                .filter(|&l| l != snapshot.leaf)
            {
                return Err(conflict(leaf_node_index(holder)));
            }
        }
        // Forget every key of the current path, then index the saved ones.
        if let Some(current) = self.put_leaf(snapshot.leaf, None) {
            self.unindex_leaf(snapshot.leaf, &current);
        }
        for (node, _) in &snapshot.parents {
            if let Some(current) = self.put_parent(*node, None) {
                self.unindex_encryption_key(*node, &current.encryption_key);
            }
        }
        for (node, saved) in snapshot.parents {
            if let Some(parent) = &saved {
                self.index_encryption_key(node, &parent.encryption_key);
            }
            self.put_parent(node, saved);
        }
        if let Some(saved) = snapshot.leaf_node {
            self.index_leaf(snapshot.leaf, &saved);
            self.put_leaf(snapshot.leaf, Some(saved));
        }
        self.refresh_path(leaf_node);
        Ok(())
    }

    /// Puts `leaf_node` at the blank leaf `leaf`: an external joiner's leaf, about to have its
    /// UpdatePath merged (§12.4.2). Unlike an Add, the leaf is not recorded as unmerged at its
    /// ancestors, since the merge replaces its whole direct path. Fails, changing nothing, if
    /// a key of `leaf_node` is in the tree.
    pub(super) fn install_leaf(
        &mut self,
        leaf: LeafIndex,
        leaf_node: LeafNode,
    ) -> Result<(), TreeError> {
        let node = self.leaf_node_checked(leaf)?;
        self.check_leaf_keys(leaf, &leaf_node)?;
        self.index_leaf(leaf, &leaf_node);
        let leaf_node = self.share(leaf_node);
        self.put_leaf(leaf, Some(leaf_node));
        self.refresh_path(node);
        Ok(())
    }

    /// The node of `leaf`, which must be in the tree.
    fn leaf_node_checked(&self, leaf: LeafIndex) -> Result<NodeIndex, TreeError> {
        if leaf.0 < self.leaf_count() {
            Ok(leaf_node_index(leaf))
        } else {
            Err(TreeError::LeafOutOfRange {
                leaf,
                leaf_count: self.leaf_count(),
            })
        }
    }
}
