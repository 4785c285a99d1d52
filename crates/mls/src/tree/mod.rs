//! The ratchet tree (RFC 9420 §4, §7, §12.1.1–§12.1.3, §12.4.3.1 and the `ratchet_tree`
//! extension of §12.4.3.3).
//!
//! [`RatchetTree`] is the public state of a group's tree: leaf and parent nodes, blanks and
//! unmerged leaves, kept in two arrays indexed by the array layout of Appendix C (leaf `i` at
//! node `2i`, parent node `2k+1` at slot `k`). Beside the nodes it keeps, incrementally,
//! everything that would otherwise cost a walk over the whole tree:
//!
//! * per node, its tree hash (§7.8, `Nh` bytes in one flat buffer), recomputed lazily and only
//!   along paths that changed, so an Add, Update, Remove or UpdatePath costs O(log N) hashes;
//! * per parent node, the number of non-blank nodes and of non-blank leaves below it, which
//!   makes the leftmost blank leaf, truncation, emptiness of a resolution (and so the filtered
//!   direct path) O(log N), and lets a resolution skip blank subtrees;
//! * an index of encryption keys (all nodes), signature keys (leaves) and credential types in
//!   use and supported, so the uniqueness and capability checks of §7.3 are O(1).
//!
//! # Operations
//!
//! * Proposals (§12.1): [`RatchetTree::add_leaf`], [`RatchetTree::update_leaf`],
//!   [`RatchetTree::remove_leaf`] (which truncates, §7.7).
//! * Views (§4.1): [`RatchetTree::resolution`], [`RatchetTree::filtered_direct_path`].
//! * Hashes: [`RatchetTree::tree_hash`] (§7.8), [`RatchetTree::parent_hash`] (§7.9).
//! * Validation: [`RatchetTree::validate_leaf_node`] (§7.3) for leaves that arrive in a
//!   KeyPackage, an Update or a Commit; [`RatchetTree::verify`] (§12.4.3.1) for a whole tree
//!   that arrives with a Welcome or for an external join.
//! * The `ratchet_tree` extension: [`RatchetTree::from_wire`] / [`RatchetTree::from_nodes`],
//!   and [`RatchetTree::to_wire`] or the tree's own [`Encode`] (trailing blanks stripped).
//!
//! # The TreeKEM seam
//!
//! Creating and applying an UpdatePath (§7.4–§7.6) lives in a sibling module `treekem`, built
//! on these public methods and holding the private keys itself:
//!
//! 1. [`RatchetTree::filtered_direct_path`] gives, for the committer's leaf, each node of the
//!    filtered direct path with its copath child; one path secret per entry.
//! 2. [`RatchetTree::resolution_excluding`] gives the resolution of each copath child without
//!    the leaves added in the same Commit: the nodes the path secret is encrypted to.
//! 3. [`RatchetTree::merge_update_path`] takes the new public keys (one per filtered direct
//!    path node), checks them for uniqueness, blanks the direct path, sets the path nodes with
//!    empty unmerged lists and their parent hashes (computed root to leaf), and returns the
//!    parent hash the committer's new leaf must carry.
//! 4. The committer signs its new `commit` leaf over that parent hash; a receiver checks the
//!    received leaf against it. Either then installs the leaf with [`RatchetTree::set_leaf`]
//!    ([`RatchetTree::set_committer_leaf`] does the check and the install in one step).
//!
//! [`RatchetTree::parent_hash`] computes the parent hash of any node with respect to either
//! child, for whoever needs it directly.
//!
//! Errors never leave a half-applied change behind for the checks done up front (keys,
//! indices, path length); a failure of the crypto provider in the middle of an operation can,
//! so callers apply a Commit to a copy of the tree, as group states are values anyway.
//!
//! # Copies
//!
//! Copying a tree is cheap: the node arrays and the tree-hash cache are chunked copy-on-write
//! arrays of shared nodes, and the key indexes are sharded the same way, so a copy costs
//! O(N / 64) pointer copies and the changes of a Commit then copy O(log N) chunks. Dropping
//! a copy frees only what it does not share.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod chunked;
mod error;
mod hash;
mod index;
mod validation;

pub mod treekem;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use braid_codec::{encode_vector, Encode};

use crate::messages::{
    Capabilities, HpkePublicKey, LeafNode, LeafNodeSource, Node, NodeType, ParentNode,
};
use crate::suite::Suite;
use crate::tree_math::{self, LeafIndex, NodeIndex, MAX_LEAVES};

pub use error::{LeafNodeError, TreeError, UnmergedLeafProblem};
pub(crate) use validation::verify_leaf_signature;
pub use validation::{LeafNodeUsage, LeafValidationContext};

use chunked::Chunked;
use hash::HashCache;
use index::TreeIndex;

/// A node of a filtered direct path (§4.1.2) and the child of it on the copath.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    /// The node on the filtered direct path.
    pub node: NodeIndex,
    /// Its child that is not on the direct path, whose resolution the node's path secret is
    /// encrypted to.
    pub copath_child: NodeIndex,
}

/// A borrowed non-blank node.
#[derive(Debug, Clone, Copy)]
enum NodeRef<'a> {
    Leaf(&'a LeafNode),
    Parent(&'a ParentNode),
}

/// Non-blank nodes and non-blank leaves in a parent node's subtree (the node included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SubtreeCounts {
    nodes: u32,
    leaves: u32,
}

/// The parent node `2k+1` (shared between copies of the tree) and the counts of its subtree.
#[derive(Debug, Clone, Default)]
struct ParentSlot {
    node: Option<Arc<ParentNode>>,
    counts: SubtreeCounts,
}

impl PartialEq for ParentSlot {
    /// Slots are equal when their nodes are; the counts follow from the nodes.
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

/// The public ratchet tree of a group; see the [module documentation](self).
#[derive(Clone)]
pub struct RatchetTree {
    /// Leaf `i` (node `2i`) at row `i`; the length is the leaf count, a power of two.
    leaves: Chunked<Option<Arc<LeafNode>>>,
    /// Node `2k+1` at row `k`; one fewer than the leaves.
    parents: Chunked<ParentSlot>,
    hashes: HashCache,
    index: TreeIndex,
    /// The distinct `Capabilities` stored most recently, at most [`SHARED_CAPABILITIES`]: a
    /// leaf stored with equal ones is given this copy instead of its own (see
    /// [`RatchetTree::share`]).
    shared_capabilities: Vec<Arc<Capabilities>>,
}

/// How many distinct `Capabilities` a tree keeps for its leaves to share.
const SHARED_CAPABILITIES: usize = 4;

impl std::fmt::Debug for RatchetTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RatchetTree")
            .field("leaves", &self.leaves.iter().collect::<Vec<_>>())
            .field(
                "parents",
                &self.parents.iter().map(|p| &p.node).collect::<Vec<_>>(),
            )
            .field("hashes", &self.hashes)
            .field("index", &self.index)
            .finish()
    }
}

impl PartialEq for RatchetTree {
    /// Trees are equal when their nodes are; caches do not matter.
    fn eq(&self, other: &Self) -> bool {
        self.leaves.same_elements(&other.leaves) && self.parents.same_elements(&other.parents)
    }
}

impl Eq for RatchetTree {}

/// The array slot of a node: leaf `i` for node `2i`, parent slot `k` for node `2k+1`.
fn slot(node: NodeIndex) -> usize {
    (node.0 >> 1) as usize
}

/// The node holding leaf `leaf` (in range by construction: the tree has at most 2^31 leaves).
fn leaf_node_index(leaf: LeafIndex) -> NodeIndex {
    NodeIndex(leaf.0 << 1)
}

/// The leaves `[start, end)` of a node's subtree.
fn leaf_range(node: NodeIndex) -> (u32, u32) {
    let level = node.level();
    let start = (u64::from(node.0) >> (level + 1)) << level;
    let end = start + (1u64 << level);
    // A subtree of a tree of at most 2^31 leaves: both bounds fit.
    (start as u32, end.min(u64::from(u32::MAX)) as u32)
}

impl RatchetTree {
    /// A one-member tree holding the group creator's leaf (§11).
    pub fn new(creator: LeafNode) -> Self {
        let mut tree = Self::blank(1);
        tree.index_leaf(LeafIndex(0), &creator);
        let creator = tree.share(creator);
        tree.put_leaf(LeafIndex(0), Some(creator));
        tree
    }

    /// A tree of `leaf_count` leaves, all blank, with empty indexes.
    fn blank(leaf_count: usize) -> Self {
        let mut tree = Self {
            leaves: Chunked::new(1, None),
            parents: Chunked::new(1, ParentSlot::default()),
            hashes: HashCache::default(),
            index: TreeIndex::default(),
            shared_capabilities: Vec::new(),
        };
        tree.leaves.resize(leaf_count);
        tree.parents.resize(leaf_count - 1);
        tree.hashes.resize(2 * leaf_count - 1);
        tree
    }

    // ----- shape and access -------------------------------------------------------------

    /// The number of leaves, blank or not: a power of two.
    pub fn leaf_count(&self) -> u32 {
        self.leaves.len() as u32
    }

    /// The number of nodes of the full tree (`2 * leaf_count - 1`).
    pub fn node_width(&self) -> u32 {
        (self.leaves.len() * 2 - 1) as u32
    }

    /// The number of members (non-blank leaves).
    pub fn member_count(&self) -> u32 {
        self.subtree_counts(self.root()).leaves
    }

    /// The root node.
    pub fn root(&self) -> NodeIndex {
        NodeIndex(self.leaf_count() - 1)
    }

    /// The leaf node at `leaf`, or `None` if it is blank or outside the tree.
    pub fn leaf(&self, leaf: LeafIndex) -> Option<&LeafNode> {
        self.leaves.get(leaf.0 as usize)?.as_deref()
    }

    /// The parent node at `node`, or `None` if it is blank, a leaf or outside the tree.
    pub fn parent(&self, node: NodeIndex) -> Option<&ParentNode> {
        if node.is_leaf() {
            return None;
        }
        self.parents.get(slot(node))?.node.as_deref()
    }

    /// Whether `node` is blank (nodes outside the tree count as blank).
    pub fn is_blank(&self, node: NodeIndex) -> bool {
        if node.is_leaf() {
            self.leaves.get(slot(node)).is_none_or(Option::is_none)
        } else {
            self.parents
                .get(slot(node))
                .is_none_or(|p| p.node.is_none())
        }
    }

    /// The members: every non-blank leaf with its index, left to right.
    pub fn members(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> + '_ {
        self.leaves
            .iter()
            .enumerate()
            .filter_map(|(i, leaf)| Some((LeafIndex(i as u32), leaf.as_deref()?)))
    }

    /// The HPKE encryption key of a non-blank node.
    pub fn encryption_key(&self, node: NodeIndex) -> Option<&HpkePublicKey> {
        match node.leaf() {
            Some(leaf) => self.leaf(leaf).map(|l| &l.encryption_key),
            None => self.parent(node).map(|p| &p.encryption_key),
        }
    }

    /// The node whose `encryption_key` is `key`, in O(1).
    pub fn find_encryption_key(&self, key: &[u8]) -> Option<NodeIndex> {
        let fingerprint = self.index.fingerprint(key);
        self.index
            .encryption
            .get(fingerprint, key, |id| {
                self.encryption_key(NodeIndex(id)).map(|k| k.as_slice())
            })
            .map(NodeIndex)
    }

    /// The leaf whose `signature_key` is `key`, in O(1).
    pub fn find_signature_key(&self, key: &[u8]) -> Option<LeafIndex> {
        let fingerprint = self.index.fingerprint(key);
        self.index
            .signature
            .get(fingerprint, key, |id| {
                self.leaf(LeafIndex(id)).map(|l| l.signature_key.as_slice())
            })
            .map(LeafIndex)
    }

    /// The leaf holding exactly `leaf_node` (as a joiner finds its own leaf, §12.4.3.1), in
    /// O(1) through the signature-key index.
    pub fn find_leaf(&self, leaf_node: &LeafNode) -> Option<LeafIndex> {
        let leaf = self.find_signature_key(&leaf_node.signature_key)?;
        (self.leaf(leaf)? == leaf_node).then_some(leaf)
    }

    /// Fails unless `leaf` is in the tree and non-blank.
    fn member(&self, leaf: LeafIndex) -> Result<&LeafNode, TreeError> {
        match self.leaves.get(leaf.0 as usize) {
            None => Err(TreeError::LeafOutOfRange {
                leaf,
                leaf_count: self.leaf_count(),
            }),
            Some(None) => Err(TreeError::BlankLeaf(leaf)),
            Some(Some(node)) => Ok(node),
        }
    }

    fn subtree_counts(&self, node: NodeIndex) -> SubtreeCounts {
        if node.is_leaf() {
            let present = u32::from(!self.is_blank(node));
            SubtreeCounts {
                nodes: present,
                leaves: present,
            }
        } else {
            self.parents
                .get(slot(node))
                .map(|p| p.counts)
                .unwrap_or_default()
        }
    }

    /// Replaces leaf `leaf` (in range) and returns what was there.
    fn put_leaf(&mut self, leaf: LeafIndex, node: Option<Arc<LeafNode>>) -> Option<Arc<LeafNode>> {
        let i = leaf.0 as usize;
        if node.is_none() && self.leaves.get(i)?.is_none() {
            // Nothing to change: leave the chunk shared.
            return None;
        }
        std::mem::replace(self.leaves.get_mut(i)?, node)
    }

    /// Replaces the parent node `node` (in range) and returns what was there.
    fn put_parent(
        &mut self,
        node: NodeIndex,
        parent: Option<Arc<ParentNode>>,
    ) -> Option<Arc<ParentNode>> {
        let k = slot(node);
        if parent.is_none() && self.parents.get(k)?.node.is_none() {
            return None;
        }
        std::mem::replace(&mut self.parents.get_mut(k)?.node, parent)
    }

    /// `leaf_node` ready to be stored: with the tree's copy of its capabilities if it holds
    /// equal ones (members' leaves nearly always advertise the same), so that each leaf
    /// costs only its own keys, credential and signature.
    fn share(&mut self, mut leaf_node: LeafNode) -> Arc<LeafNode> {
        match self
            .shared_capabilities
            .iter()
            .find(|shared| **shared == leaf_node.capabilities)
        {
            Some(shared) => leaf_node.capabilities = Arc::clone(shared),
            None => {
                if self.shared_capabilities.len() == SHARED_CAPABILITIES {
                    self.shared_capabilities.remove(0);
                }
                self.shared_capabilities
                    .push(Arc::clone(&leaf_node.capabilities));
            }
        }
        Arc::new(leaf_node)
    }

    /// Leaf `leaf`, shared.
    fn shared_leaf(&self, leaf: LeafIndex) -> Option<Arc<LeafNode>> {
        self.leaves.get(leaf.0 as usize)?.clone()
    }

    /// The parent node `node`, shared.
    fn shared_parent(&self, node: NodeIndex) -> Option<Arc<ParentNode>> {
        if node.is_leaf() {
            return None;
        }
        self.parents.get(slot(node))?.node.clone()
    }

    /// The parent node `node`, writable (copied first if another tree shares it).
    fn parent_mut(&mut self, node: NodeIndex) -> Option<&mut ParentNode> {
        self.parents
            .get_mut(slot(node))?
            .node
            .as_mut()
            .map(Arc::make_mut)
    }

    /// Recomputes the counts of a parent node from its children.
    fn recount(&mut self, node: NodeIndex) {
        if let (Some(left), Some(right)) = (node.left(), node.right()) {
            let (l, r) = (self.subtree_counts(left), self.subtree_counts(right));
            let counts = SubtreeCounts {
                nodes: u32::from(!self.is_blank(node)) + l.nodes + r.nodes,
                leaves: l.leaves + r.leaves,
            };
            if self.subtree_counts(node) != counts {
                if let Some(slot) = self.parents.get_mut(slot(node)) {
                    slot.counts = counts;
                }
            }
        }
    }

    /// After `node` changed: recounts and invalidates the cached hashes of it and every
    /// ancestor. O(log N).
    fn refresh_path(&mut self, node: NodeIndex) {
        self.hashes.invalidate(node);
        let n = self.leaf_count();
        if let Some(path) = node.direct_path(n) {
            for ancestor in path {
                self.recount(ancestor);
                self.hashes.invalidate(ancestor);
            }
        }
    }

    // ----- resolution and paths (§4.1) --------------------------------------------------

    /// The resolution of `node` (§4.1.1): the non-blank nodes covering its subtree, each
    /// parent followed by its unmerged leaves, left to right. Blank subtrees are skipped in
    /// O(1), so the cost is O(|resolution| · log N).
    pub fn resolution(&self, node: NodeIndex) -> Vec<NodeIndex> {
        self.resolution_excluding(node, &[])
    }

    /// The resolution of `node` without the leaves in `excluded` (sorted), wherever they
    /// appear: as nodes or as unmerged leaves. This is the resolution of a copath node that
    /// §7.6 asks for, where the leaves added by the same Commit are excluded.
    pub fn resolution_excluding(&self, node: NodeIndex, excluded: &[LeafIndex]) -> Vec<NodeIndex> {
        let mut out = Vec::new();
        self.push_resolution(node, excluded, &mut out);
        out
    }

    fn push_resolution(&self, node: NodeIndex, excluded: &[LeafIndex], out: &mut Vec<NodeIndex>) {
        if self.subtree_counts(node).nodes == 0 {
            return;
        }
        let is_excluded = |leaf: LeafIndex| excluded.binary_search(&leaf).is_ok();
        if let Some(leaf) = node.leaf() {
            if !is_excluded(leaf) {
                out.push(node);
            }
        } else if let Some(parent) = self.parent(node) {
            out.push(node);
            out.extend(
                parent
                    .unmerged_leaves
                    .iter()
                    .filter(|&&leaf| !is_excluded(leaf))
                    .filter_map(|leaf| leaf.node()),
            );
        } else if let (Some(left), Some(right)) = (node.left(), node.right()) {
            self.push_resolution(left, excluded, out);
            self.push_resolution(right, excluded, out);
        }
    }

    /// The filtered direct path of `leaf` (§4.1.2): its direct path without the nodes whose
    /// copath child has an empty resolution, each with that copath child. O(log N).
    pub fn filtered_direct_path(&self, leaf: LeafIndex) -> Result<Vec<PathStep>, TreeError> {
        if leaf.0 >= self.leaf_count() {
            return Err(TreeError::LeafOutOfRange {
                leaf,
                leaf_count: self.leaf_count(),
            });
        }
        let node = leaf_node_index(leaf);
        let n = self.leaf_count();
        let (Some(path), Some(copath)) = (node.direct_path(n), node.copath(n)) else {
            return Ok(Vec::new());
        };
        Ok(path
            .zip(copath)
            .filter(|&(_, copath_child)| self.subtree_counts(copath_child).nodes > 0)
            .map(|(node, copath_child)| PathStep { node, copath_child })
            .collect())
    }

    // ----- proposals (§12.1.1–§12.1.3) --------------------------------------------------

    /// Applies an Add (§12.1.1): puts `leaf_node` at the leftmost blank leaf, extending the
    /// tree if there is none (§7.7), and records the new leaf as unmerged at every non-blank
    /// node above it. Returns the new member's leaf index.
    ///
    /// Fails, leaving the tree as it was, if the encryption or signature key is already in the
    /// tree. Other validation (§7.3, §10.1) is the caller's: see
    /// [`RatchetTree::validate_leaf_node`].
    pub fn add_leaf(&mut self, leaf_node: LeafNode) -> Result<LeafIndex, TreeError> {
        let leaf = self
            .leftmost_blank_leaf()
            .unwrap_or(LeafIndex(self.leaf_count()));
        self.check_leaf_keys(leaf, &leaf_node)?;
        if leaf.0 == self.leaf_count() {
            self.extend()?;
        }
        let node = leaf_node_index(leaf);
        for ancestor in node.direct_path(self.leaf_count()).into_iter().flatten() {
            let missing = self
                .parent(ancestor)
                .and_then(|parent| parent.unmerged_leaves.binary_search(&leaf).err());
            if let (Some(at), Some(parent)) = (missing, self.parent_mut(ancestor)) {
                parent.unmerged_leaves.insert(at, leaf);
            }
        }
        self.index_leaf(leaf, &leaf_node);
        let leaf_node = self.share(leaf_node);
        self.put_leaf(leaf, Some(leaf_node));
        self.refresh_path(node);
        Ok(leaf)
    }

    /// Applies an Update (§12.1.2): replaces the member's leaf and blanks its direct path.
    ///
    /// Fails, leaving the tree as it was, if the leaf is blank or out of range or if a key of
    /// `leaf_node` is used by another node. Other validation (§7.3) is the caller's.
    pub fn update_leaf(&mut self, leaf: LeafIndex, leaf_node: LeafNode) -> Result<(), TreeError> {
        self.set_leaf(leaf, leaf_node)?;
        self.blank_direct_path(leaf)
    }

    /// Applies a Remove (§12.1.3): blanks the leaf and its direct path, then truncates the
    /// tree while its right half holds no member (§7.7). Returns the removed leaf node.
    pub fn remove_leaf(&mut self, leaf: LeafIndex) -> Result<LeafNode, TreeError> {
        self.member(leaf)?;
        self.blank_direct_path(leaf)?;
        let removed = self.put_leaf(leaf, None);
        let node = leaf_node_index(leaf);
        if let Some(removed) = &removed {
            self.unindex_leaf(leaf, removed);
        }
        self.refresh_path(node);
        self.truncate();
        removed
            .map(Arc::unwrap_or_clone)
            .ok_or(TreeError::BlankLeaf(leaf))
    }

    /// Replaces the leaf node of the member at `leaf`, leaving the rest of the tree as is.
    /// The keys of `leaf_node` must not appear in another node (they may equal the replaced
    /// leaf's; whether that is allowed is for [`RatchetTree::validate_leaf_node`] to say).
    pub fn set_leaf(&mut self, leaf: LeafIndex, leaf_node: LeafNode) -> Result<(), TreeError> {
        self.member(leaf)?;
        self.check_leaf_keys(leaf, &leaf_node)?;
        if let Some(old) = self.put_leaf(leaf, None) {
            self.unindex_leaf(leaf, &old);
        }
        self.index_leaf(leaf, &leaf_node);
        let leaf_node = self.share(leaf_node);
        self.put_leaf(leaf, Some(leaf_node));
        self.refresh_path(leaf_node_index(leaf));
        Ok(())
    }

    /// Blanks every node on the direct path of `leaf` (§7.4, §12.1.2, §12.1.3).
    pub fn blank_direct_path(&mut self, leaf: LeafIndex) -> Result<(), TreeError> {
        if leaf.0 >= self.leaf_count() {
            return Err(TreeError::LeafOutOfRange {
                leaf,
                leaf_count: self.leaf_count(),
            });
        }
        let node = leaf_node_index(leaf);
        for ancestor in node.direct_path(self.leaf_count()).into_iter().flatten() {
            if let Some(old) = self.put_parent(ancestor, None) {
                self.unindex_encryption_key(ancestor, &old.encryption_key);
            }
        }
        self.refresh_path(node);
        Ok(())
    }

    /// The leftmost blank leaf, found in O(log N) from the leaf counts.
    fn leftmost_blank_leaf(&self) -> Option<LeafIndex> {
        let mut node = self.root();
        if self.subtree_counts(node).leaves == self.leaf_count() {
            return None;
        }
        while let (Some(left), Some(right)) = (node.left(), node.right()) {
            let capacity = 1u32 << left.level();
            node = if self.subtree_counts(left).leaves < capacity {
                left
            } else {
                right
            };
        }
        node.leaf()
    }

    /// Doubles the tree: a new blank root whose left subtree is the old tree and whose right
    /// subtree is all blank (§7.7). Node indices of the old tree do not change.
    fn extend(&mut self) -> Result<(), TreeError> {
        let n = self.leaves.len();
        if n as u64 >= u64::from(MAX_LEAVES) {
            return Err(TreeError::TreeFull);
        }
        self.leaves.resize(2 * n);
        self.parents.resize(2 * n - 1);
        self.hashes.resize(4 * n - 1);
        let root = self.root();
        self.recount(root);
        Ok(())
    }

    /// Halves the tree while the right subtree of the root holds no member (§7.7, §12.1.3).
    fn truncate(&mut self) {
        while self.leaves.len() > 1 {
            let root = self.root();
            let (Some(left), Some(right)) = (root.left(), root.right()) else {
                break;
            };
            if self.subtree_counts(right).leaves > 0 {
                break;
            }
            // The root and the right subtree (nodes `root..width`) are dropped; forget any keys
            // they hold (none in a tree built by these operations, where the root was just
            // blanked and a parent node always has a member below it).
            if self.subtree_counts(root).nodes > self.subtree_counts(left).nodes {
                for id in root.0..self.node_width() {
                    if let Some(key) = self.encryption_key(NodeIndex(id)).cloned() {
                        self.unindex_encryption_key(NodeIndex(id), &key);
                    }
                }
            }
            let half = self.leaves.len() / 2;
            self.leaves.resize(half);
            self.parents.resize(half - 1);
            self.hashes.resize(2 * half - 1);
        }
    }

    // ----- index maintenance ------------------------------------------------------------

    /// Fails if a key of `leaf_node` is held by a node other than `leaf`.
    fn check_leaf_keys(&self, leaf: LeafIndex, leaf_node: &LeafNode) -> Result<(), TreeError> {
        let node = leaf_node_index(leaf);
        if let Some(first) = self.find_encryption_key(&leaf_node.encryption_key) {
            if first != node {
                return Err(TreeError::DuplicateEncryptionKey {
                    first,
                    second: node,
                });
            }
        }
        if let Some(first) = self.find_signature_key(&leaf_node.signature_key) {
            if first != leaf {
                return Err(TreeError::DuplicateSignatureKey {
                    first,
                    second: leaf,
                });
            }
        }
        Ok(())
    }

    /// Indexes a leaf about to be stored at `leaf` (its keys checked to be free).
    fn index_leaf(&mut self, leaf: LeafIndex, leaf_node: &LeafNode) {
        let node = leaf_node_index(leaf);
        let fingerprint = self.index.fingerprint(&leaf_node.encryption_key);
        self.index
            .encryption
            .insert(fingerprint, &leaf_node.encryption_key, node.0);
        let fingerprint = self.index.fingerprint(&leaf_node.signature_key);
        self.index
            .signature
            .insert(fingerprint, &leaf_node.signature_key, leaf.0);
        self.index.add_member(leaf_node);
    }

    /// Forgets the keys and credential types of the leaf node that was at `leaf`.
    fn unindex_leaf(&mut self, leaf: LeafIndex, leaf_node: &LeafNode) {
        self.unindex_encryption_key(leaf_node_index(leaf), &leaf_node.encryption_key);
        let fingerprint = self.index.fingerprint(&leaf_node.signature_key);
        self.index
            .signature
            .remove(fingerprint, &leaf_node.signature_key, leaf.0);
        self.index.remove_member(leaf_node);
    }

    fn index_encryption_key(&mut self, node: NodeIndex, key: &[u8]) {
        let fingerprint = self.index.fingerprint(key);
        self.index.encryption.insert(fingerprint, key, node.0);
    }

    fn unindex_encryption_key(&mut self, node: NodeIndex, key: &[u8]) {
        let fingerprint = self.index.fingerprint(key);
        self.index.encryption.remove(fingerprint, key, node.0);
    }

    // ----- the TreeKEM seam (§7.5, §7.9) ------------------------------------------------

    /// Merges the public part of an UpdatePath from `sender` into the tree (§7.5, "merges
    /// UpdatePath into the tree", steps 1–3): checks that `path_keys` has one key per node of
    /// the sender's filtered direct path and that none of them appears in the tree (§12.4.2)
    /// or twice in the path; blanks the sender's direct path; sets each filtered direct path
    /// node to its new key with no unmerged leaves; and computes the nodes' parent hashes
    /// from the root down (§7.9).
    ///
    /// Returns the parent hash of the first node of the filtered direct path, which the
    /// sender's new `commit` leaf carries (empty if the path is empty). The sender's leaf
    /// itself is not touched; install it with [`RatchetTree::set_leaf`] or
    /// [`RatchetTree::set_committer_leaf`].
    pub fn merge_update_path(
        &mut self,
        suite: &Suite<'_>,
        sender: LeafIndex,
        path_keys: &[HpkePublicKey],
    ) -> Result<Vec<u8>, TreeError> {
        self.member(sender)?;
        let path = self.filtered_direct_path(sender)?;
        if path.len() != path_keys.len() {
            return Err(TreeError::PathLengthMismatch {
                expected: path.len(),
                actual: path_keys.len(),
            });
        }
        for (i, (step, key)) in path.iter().zip(path_keys).enumerate() {
            if let Some(first) = self.find_encryption_key(key) {
                return Err(TreeError::DuplicateEncryptionKey {
                    first,
                    second: step.node,
                });
            }
            let mut earlier = path.iter().zip(path_keys).take(i);
            if let Some((first, _)) = earlier.find(|(_, earlier)| *earlier == key) {
                return Err(TreeError::DuplicateEncryptionKey {
                    first: first.node,
                    second: step.node,
                });
            }
        }
        self.blank_direct_path(sender)?;
        for (step, key) in path.iter().zip(path_keys) {
            self.index_encryption_key(step.node, key);
            self.put_parent(
                step.node,
                Some(Arc::new(ParentNode {
                    encryption_key: key.clone(),
                    parent_hash: Vec::new(),
                    unmerged_leaves: Vec::new(),
                })),
            );
        }
        self.refresh_path(leaf_node_index(sender));
        // From the root down: each node's parent_hash is the parent hash of the node above.
        let mut above = Vec::new();
        for step in path.iter().rev() {
            if let Some(parent) = self.parent_mut(step.node) {
                parent.parent_hash = above;
            }
            above = self.parent_hash(suite, step.node, step.copath_child)?;
        }
        Ok(above)
    }

    /// Installs the committer's new leaf after [`RatchetTree::merge_update_path`]: checks
    /// that it is a `commit` leaf carrying `expected_parent_hash` (§7.9.2) and replaces the
    /// sender's leaf with it ([`RatchetTree::set_leaf`]).
    pub fn set_committer_leaf(
        &mut self,
        sender: LeafIndex,
        leaf_node: LeafNode,
        expected_parent_hash: &[u8],
    ) -> Result<(), TreeError> {
        match &leaf_node.leaf_node_source {
            LeafNodeSource::Commit { parent_hash }
                if parent_hash.as_slice() == expected_parent_hash =>
            {
                self.set_leaf(sender, leaf_node)
            }
            _ => Err(TreeError::BadLeafParentHash { leaf: sender }),
        }
    }

    // ----- the ratchet_tree extension (§12.4.3.3) ---------------------------------------

    /// Builds a tree from the nodes of a `ratchet_tree` extension.
    ///
    /// Checks the shape (non-empty, last node non-blank, leaves at even and parents at odd
    /// positions, at most 2^31 leaves) and that no encryption key or signature key appears
    /// twice, then extends the list with blanks to a full tree. Everything else a joiner must
    /// check (§12.4.3.1) is [`RatchetTree::verify`].
    pub fn from_nodes(nodes: Vec<Option<Node>>) -> Result<Self, TreeError> {
        if !matches!(nodes.last(), Some(Some(_))) {
            return Err(TreeError::TrailingBlank);
        }
        let max_width = tree_math::node_width(MAX_LEAVES).unwrap_or(u32::MAX) as usize;
        if nodes.len() > max_width {
            return Err(TreeError::TooLarge(nodes.len()));
        }
        // The smallest full tree with at least `nodes.len()` nodes: 2L - 1 >= len. (The last
        // node may be a parent, in an array of even length: it is then kept, not dropped.)
        let leaf_count = tree_math::leaf_count_for((nodes.len() + 1).div_ceil(2) as u32)
            .ok_or(TreeError::TooLarge(nodes.len()))?;
        let mut tree = Self::blank(leaf_count as usize);
        for (i, node) in nodes.into_iter().enumerate() {
            let position = NodeIndex(i as u32);
            match (position.is_leaf(), node) {
                (true, Some(Node::Leaf(leaf))) => {
                    let leaf = tree.share(leaf);
                    tree.put_leaf(LeafIndex(position.0 >> 1), Some(leaf));
                }
                (false, Some(Node::Parent(parent))) => {
                    tree.put_parent(position, Some(Arc::new(parent)));
                }
                (_, None) => {}
                (is_leaf, Some(node)) => {
                    let name = |t: NodeType| {
                        if t == NodeType::Leaf {
                            "leaf"
                        } else {
                            "parent"
                        }
                    };
                    return Err(TreeError::WrongNodeType {
                        node: position,
                        expected: if is_leaf { "leaf" } else { "parent" },
                        found: name(node.node_type()),
                    });
                }
            }
        }
        tree.recount_subtree(tree.root());
        tree.build_index()?;
        Ok(tree)
    }

    /// Builds a tree from a decoded `ratchet_tree` extension; see [`RatchetTree::from_nodes`].
    pub fn from_wire(tree: crate::messages::RatchetTree) -> Result<Self, TreeError> {
        Self::from_nodes(tree.into_nodes())
    }

    /// The `ratchet_tree` extension body for this tree: its nodes in array order, without
    /// the blank nodes after the last non-blank one (§12.4.3.3). `None` if every node is
    /// blank (no members), which the extension cannot express.
    pub fn to_wire(&self) -> Option<crate::messages::RatchetTree> {
        let nodes = self
            .exported_nodes()
            .map(|node| {
                node.map(|node| match node {
                    NodeRef::Leaf(leaf) => Node::Leaf(leaf.clone()),
                    NodeRef::Parent(parent) => Node::Parent(parent.clone()),
                })
            })
            .collect();
        crate::messages::RatchetTree::new(nodes)
    }

    /// The nodes of the `ratchet_tree` extension, borrowed: array order, up to the last
    /// non-blank node.
    fn exported_nodes(&self) -> impl Iterator<Item = Option<NodeRef<'_>>> + '_ {
        (0..self.exported_width()).map(|i| {
            let node = NodeIndex(i);
            match node.leaf() {
                Some(leaf) => self.leaf(leaf).map(NodeRef::Leaf),
                None => self.parent(node).map(NodeRef::Parent),
            }
        })
    }

    /// The number of nodes up to and including the last non-blank one.
    fn exported_width(&self) -> u32 {
        (0..self.node_width())
            .rev()
            .find(|&i| !self.is_blank(NodeIndex(i)))
            .map_or(0, |last| last + 1)
    }

    fn recount_subtree(&mut self, node: NodeIndex) {
        if let (Some(left), Some(right)) = (node.left(), node.right()) {
            self.recount_subtree(left);
            self.recount_subtree(right);
            self.recount(node);
        }
    }

    /// Indexes every node of a freshly imported tree, rejecting duplicate keys.
    fn build_index(&mut self) -> Result<(), TreeError> {
        for id in 0..self.node_width() {
            let node = NodeIndex(id);
            match node.leaf() {
                Some(leaf) => {
                    let Some(leaf_node) = self.shared_leaf(leaf) else {
                        continue;
                    };
                    self.check_leaf_keys(leaf, &leaf_node)?;
                    self.index_leaf(leaf, &leaf_node);
                }
                None => {
                    let Some(parent) = self.shared_parent(node) else {
                        continue;
                    };
                    if let Some(first) = self.find_encryption_key(&parent.encryption_key) {
                        return Err(TreeError::DuplicateEncryptionKey {
                            first,
                            second: node,
                        });
                    }
                    self.index_encryption_key(node, &parent.encryption_key);
                }
            }
        }
        Ok(())
    }
}

/// The tree's `ratchet_tree` extension body (`optional<Node> ratchet_tree<V>`), written
/// straight from the tree without cloning nodes; the same bytes as encoding
/// [`RatchetTree::to_wire`].
impl Encode for RatchetTree {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_vector(out, |out| {
            for node in self.exported_nodes() {
                match node {
                    None => out.push(0),
                    Some(NodeRef::Leaf(leaf)) => {
                        out.push(1);
                        NodeType::Leaf.encode(out);
                        leaf.encode(out);
                    }
                    Some(NodeRef::Parent(parent)) => {
                        out.push(1);
                        NodeType::Parent.encode(out);
                        parent.encode(out);
                    }
                }
            }
        });
    }
}
