//! Tree hashes (RFC 9420 §7.8) and parent hashes (§7.9), with the per-node tree-hash cache.
//!
//! The cache holds, per node, a validity flag and `Nh` bytes, in a chunked copy-on-write
//! array shared between copies of the tree. Changing a node invalidates it and its
//! ancestors, so the invalid nodes always form a union of paths up to the root, and
//! recomputing after k changed leaves costs O(k log N) hashes. Extending the tree adds invalid
//! nodes; truncating drops the right half and keeps the left subtree's hashes, which do not
//! depend on the tree's size.

use std::collections::hash_map::{Entry, HashMap};

use braid_codec::{encode_vector, Encode};
use braid_crypto::CryptoError;

use super::chunked::Chunked;
use super::{leaf_range, slot, RatchetTree, TreeError};
use crate::messages::LeafNodeSource;
use crate::suite::Suite;
use crate::tree_math::{LeafIndex, NodeIndex};

/// `NodeType` code points of `TreeHashInput` (§7.8).
const LEAF: u8 = 1;
const PARENT: u8 = 2;

/// The cached tree hash of every node: row `i` is node `i`'s validity flag (1 when valid)
/// followed by its hash.
#[derive(Clone)]
pub(super) struct HashCache {
    rows: Chunked<u8>,
}

impl Default for HashCache {
    /// An empty cache for hashes of unknown length (set by the first computation).
    fn default() -> Self {
        Self {
            rows: Chunked::new(1, 0),
        }
    }
}

impl std::fmt::Debug for HashCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let valid = (0..self.rows.len())
            .filter(|&i| self.rows.row(i).is_some_and(|row| row.first() == Some(&1)))
            .count();
        write!(f, "HashCache({valid} of {} nodes valid)", self.rows.len())
    }
}

impl HashCache {
    /// `Nh` of the hashes held (0 before the first computation).
    fn hash_len(&self) -> usize {
        self.rows.row_len() - 1
    }

    /// Resizes to `width` nodes; new nodes are invalid, kept nodes keep their hashes.
    pub(super) fn resize(&mut self, width: usize) {
        self.rows.resize(width);
    }

    pub(super) fn invalidate(&mut self, node: NodeIndex) {
        let i = node.0 as usize;
        // Test first, so that a chunk shared with another tree is copied only if it changes.
        if self.rows.row(i).is_some_and(|row| row.first() == Some(&1)) {
            if let Some(flag) = self.rows.row_mut(i).and_then(|row| row.first_mut()) {
                *flag = 0;
            }
        }
    }

    /// Drops every cached hash.
    pub(super) fn clear(&mut self) {
        self.rows.reset();
    }

    /// Switches to hashes of `hash_len` bytes, dropping the cache if that changes the size.
    fn prepare(&mut self, hash_len: usize) {
        if self.hash_len() != hash_len {
            let width = self.rows.len();
            self.rows = Chunked::new(1 + hash_len, 0);
            self.rows.resize(width);
        }
    }

    pub(super) fn get(&self, node: NodeIndex) -> Option<&[u8]> {
        match self.rows.row(node.0 as usize)? {
            [1, hash @ ..] => Some(hash),
            _ => None,
        }
    }

    fn set(&mut self, node: NodeIndex, hash: &[u8]) -> Result<(), TreeError> {
        if hash.len() != self.hash_len() {
            return Err(CryptoError::InvalidLength {
                what: "tree hash",
                expected: self.hash_len(),
                actual: hash.len(),
            }
            .into());
        }
        if let Some([valid, target @ ..]) = self.rows.row_mut(node.0 as usize) {
            target.copy_from_slice(hash);
            *valid = 1;
        }
        Ok(())
    }
}

impl RatchetTree {
    /// The tree hash of the root (§7.8), the `tree_hash` of the GroupContext. Only nodes
    /// changed since the last call are rehashed.
    pub fn tree_hash(&mut self, suite: &Suite<'_>) -> Result<Vec<u8>, TreeError> {
        let root = self.root();
        self.node_tree_hash(suite, root).map(<[u8]>::to_vec)
    }

    /// The tree hash of any node (§7.8), computing what is not cached.
    pub fn node_tree_hash(
        &mut self,
        suite: &Suite<'_>,
        node: NodeIndex,
    ) -> Result<&[u8], TreeError> {
        if node.0 >= self.node_width() {
            return Err(TreeError::NodeOutOfRange {
                node,
                width: self.node_width(),
            });
        }
        self.hashes.prepare(suite.hash_len());
        let mut buf = Vec::new();
        self.update_hash(suite, node, &mut buf)?;
        self.hashes.get(node).ok_or(TreeError::NodeOutOfRange {
            node,
            width: self.node_width(),
        })
    }

    /// Drops every cached tree hash, so the next request recomputes all of them.
    pub fn clear_hash_cache(&mut self) {
        self.hashes.clear();
    }

    /// Recomputes the invalid hashes of `node`'s subtree (which are a union of paths).
    fn update_hash(
        &mut self,
        suite: &Suite<'_>,
        node: NodeIndex,
        buf: &mut Vec<u8>,
    ) -> Result<(), TreeError> {
        if self.hashes.get(node).is_some() {
            return Ok(());
        }
        let children = node.left().zip(node.right());
        if let Some((left, right)) = children {
            self.update_hash(suite, left, buf)?;
            self.update_hash(suite, right, buf)?;
        }
        buf.clear();
        let (left, right) = match children {
            Some((left, right)) => (self.hashes.get(left), self.hashes.get(right)),
            None => (None, None),
        };
        self.write_tree_hash_input(
            node,
            &[],
            left.unwrap_or_default(),
            right.unwrap_or_default(),
            buf,
        );
        let hash = suite.hash(buf)?;
        self.hashes.set(node, &hash)
    }

    /// The tree hash of `node` in the tree where the leaves of `excluded` (sorted, all in the
    /// subtree) are blanked and removed from every `unmerged_leaves` list: the
    /// `original_sibling_tree_hash` of §7.9. Cached hashes are reused for every subtree
    /// without an excluded leaf, so the cost is O(|excluded| · log N) hashes.
    fn subtree_hash(
        &self,
        suite: &Suite<'_>,
        node: NodeIndex,
        excluded: &[LeafIndex],
        buf: &mut Vec<u8>,
    ) -> Result<Vec<u8>, TreeError> {
        if excluded.is_empty() {
            if let Some(hash) = self.hashes.get(node) {
                return Ok(hash.to_vec());
            }
        }
        let (left_hash, right_hash) = match node.left().zip(node.right()) {
            Some((left, right)) => {
                let middle = leaf_range(right).0;
                // `partition_point` returns at most `excluded.len()`, so the split is in range.
                let (left_excluded, right_excluded) =
                    excluded.split_at(excluded.partition_point(|leaf| leaf.0 < middle));
                (
                    self.subtree_hash(suite, left, left_excluded, buf)?,
                    self.subtree_hash(suite, right, right_excluded, buf)?,
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        buf.clear();
        self.write_tree_hash_input(node, excluded, &left_hash, &right_hash, buf);
        Ok(suite.hash(buf)?)
    }

    /// Writes the `TreeHashInput` of `node` (§7.8), with the leaves of `excluded` (sorted)
    /// treated as blank and left out of `unmerged_leaves`.
    fn write_tree_hash_input(
        &self,
        node: NodeIndex,
        excluded: &[LeafIndex],
        left_hash: &[u8],
        right_hash: &[u8],
        out: &mut Vec<u8>,
    ) {
        let is_excluded = |leaf: &LeafIndex| excluded.binary_search(leaf).is_ok();
        if let Some(leaf) = node.leaf() {
            out.push(LEAF);
            leaf.encode(out);
            self.leaf(leaf).filter(|_| !is_excluded(&leaf)).encode(out);
        } else {
            out.push(PARENT);
            match self.parent(node) {
                None => out.push(0),
                Some(parent) => {
                    out.push(1);
                    parent.encryption_key.encode(out);
                    parent.parent_hash.encode(out);
                    encode_vector(out, |out| {
                        for leaf in parent.unmerged_leaves.iter().filter(|l| !is_excluded(l)) {
                            leaf.encode(out);
                        }
                    });
                }
            }
            left_hash.encode(out);
            right_hash.encode(out);
        }
    }

    /// The parent hash of the non-blank parent `node` with copath child `copath_child` (§7.9):
    /// `Hash(ParentHashInput { encryption_key, parent_hash, original_sibling_tree_hash })`,
    /// where the sibling's tree hash is taken with `node`'s unmerged leaves blanked.
    pub fn parent_hash(
        &mut self,
        suite: &Suite<'_>,
        node: NodeIndex,
        copath_child: NodeIndex,
    ) -> Result<Vec<u8>, TreeError> {
        if node.left() != Some(copath_child) && node.right() != Some(copath_child) {
            return Err(TreeError::NotAChild {
                parent: node,
                child: copath_child,
            });
        }
        self.node_tree_hash(suite, copath_child)?;
        self.cached_parent_hash(suite, node, copath_child, &mut Vec::new())
    }

    /// [`RatchetTree::parent_hash`] for a `copath_child` whose subtree hashes are cached.
    fn cached_parent_hash(
        &self,
        suite: &Suite<'_>,
        node: NodeIndex,
        copath_child: NodeIndex,
        buf: &mut Vec<u8>,
    ) -> Result<Vec<u8>, TreeError> {
        let parent = self.parent(node).ok_or(TreeError::BlankParent(node))?;
        let (start, end) = leaf_range(copath_child);
        let mut excluded: Vec<LeafIndex> = parent
            .unmerged_leaves
            .iter()
            .copied()
            .filter(|leaf| (start..end).contains(&leaf.0))
            .collect();
        excluded.sort_unstable();
        excluded.dedup();
        let sibling_hash = self.subtree_hash(suite, copath_child, &excluded, buf)?;
        buf.clear();
        parent.encryption_key.encode(buf);
        parent.parent_hash.encode(buf);
        sibling_hash.encode(buf);
        Ok(suite.hash(buf)?)
    }

    /// Verifies that every non-blank parent node is parent-hash valid (§7.9.2), as a joiner
    /// must: each is covered by exactly one descendant `D` whose `parent_hash` is the node's
    /// parent hash with respect to the other child, where `D` is in the resolution of its own
    /// side's child `C` and the node's unmerged leaves under `C` are that resolution without
    /// `D`. Chains are followed bottom up: the only candidate parent for `D` is its nearest
    /// non-blank ancestor, so the whole check costs O(N log N) steps and one parent hash per
    /// candidate (node, side).
    ///
    /// Fails with [`TreeError::BadParentHash`] naming the first uncovered node.
    pub fn verify_parent_hashes(&mut self, suite: &Suite<'_>) -> Result<(), TreeError> {
        let root = self.root();
        self.node_tree_hash(suite, root)?;
        // (D, P, C): candidate D, its nearest non-blank ancestor P, and P's child towards D.
        let mut candidates = Vec::new();
        for id in 0..self.node_width() {
            let node = NodeIndex(id);
            if self.claimed_parent_hash(node).is_none() {
                continue;
            }
            if let Some((ancestor, child)) = self.nearest_nonblank_ancestor(node) {
                candidates.push((node, ancestor, child));
            }
        }
        let mut parent_hashes: HashMap<(NodeIndex, NodeIndex), Vec<u8>> = HashMap::new();
        let mut buf = Vec::new();
        let mut covered = vec![0u8; self.parents.len()];
        for (node, ancestor, child) in candidates {
            let Some(sibling) = [ancestor.left(), ancestor.right()]
                .into_iter()
                .flatten()
                .find(|&s| s != child)
            else {
                continue;
            };
            let expected = match parent_hashes.entry((ancestor, sibling)) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => {
                    entry.insert(self.cached_parent_hash(suite, ancestor, sibling, &mut buf)?)
                }
            };
            if self.claimed_parent_hash(node) == Some(expected.as_slice())
                && self.unmerged_leaves_match(ancestor, child, node)
            {
                if let Some(count) = covered.get_mut(slot(ancestor)) {
                    *count = count.saturating_add(1);
                }
            }
        }
        for (k, count) in covered.iter().enumerate() {
            let node = NodeIndex(2 * k as u32 + 1);
            if *count != 1 && !self.is_blank(node) {
                return Err(TreeError::BadParentHash { node });
            }
        }
        Ok(())
    }

    /// The `parent_hash` field of a non-blank node: a parent's, or a `commit` leaf's.
    fn claimed_parent_hash(&self, node: NodeIndex) -> Option<&[u8]> {
        match node.leaf() {
            Some(leaf) => match &self.leaf(leaf)?.leaf_node_source {
                LeafNodeSource::Commit { parent_hash } => Some(parent_hash),
                _ => None,
            },
            None => self.parent(node).map(|p| p.parent_hash.as_slice()),
        }
    }

    /// The nearest non-blank proper ancestor of `node` and its child on the way to `node`.
    fn nearest_nonblank_ancestor(&self, node: NodeIndex) -> Option<(NodeIndex, NodeIndex)> {
        let mut child = node;
        for ancestor in node.direct_path(self.leaf_count())? {
            if !self.is_blank(ancestor) {
                return Some((ancestor, child));
            }
            child = ancestor;
        }
        None
    }

    /// The unmerged-leaves condition of §7.9.2: `P.unmerged_leaves ∩ subtree(C)` equals
    /// `resolution(C) \ {D}`.
    fn unmerged_leaves_match(&self, parent: NodeIndex, child: NodeIndex, node: NodeIndex) -> bool {
        let Some(parent) = self.parent(parent) else {
            return false;
        };
        let mut resolution = self.resolution(child);
        let Some(position) = resolution.iter().position(|&n| n == node) else {
            return false;
        };
        resolution.swap_remove(position);
        resolution.sort_unstable();
        let (start, end) = leaf_range(child);
        let mut unmerged: Vec<NodeIndex> = parent
            .unmerged_leaves
            .iter()
            .filter(|leaf| (start..end).contains(&leaf.0))
            .filter_map(|leaf| leaf.node())
            .collect();
        unmerged.sort_unstable();
        resolution == unmerged
    }
}
