//! Array-based tree math (RFC 9420 Appendix C, §4.1.1, §7.1).
//!
//! Leaves sit at even node indices (`leaf i` is node `2i`), parents at odd ones. RFC 9420 trees
//! are always full: the number of leaves is a power of two (§7.7 extends and truncates by
//! doubling and halving). Every function here that takes a leaf count therefore returns `None`
//! when the count is zero or not a power of two, or when the node lies outside the tree; none
//! of them panics, whatever the indices. All of them run in O(1) or O(log n) integer steps.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::{Decode, Encode, Error, Reader};

/// The largest number of leaves whose nodes fit a `uint32` node index.
pub const MAX_LEAVES: u32 = 1 << 31;

/// `uint32 LeafIndex`: the position of a member's leaf among the tree's leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LeafIndex(pub u32);

/// A node's position in the array representation of the tree (`uint32 NodeIndex`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeIndex(pub u32);

macro_rules! u32_wire {
    ($($name:ident),*) => {$(
        impl Encode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                self.0.encode(out);
            }
        }
        impl Decode for $name {
            fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
                u32::decode(reader).map(Self)
            }
        }
    )*};
}
u32_wire!(LeafIndex, NodeIndex);

impl LeafIndex {
    /// The node holding this leaf (`2 * leaf`), or `None` beyond [`MAX_LEAVES`].
    pub fn node(self) -> Option<NodeIndex> {
        self.0.checked_mul(2).map(NodeIndex)
    }
}

impl TryFrom<NodeIndex> for LeafIndex {
    type Error = NodeIndex;

    /// The leaf held by a leaf node; a parent node is returned as the error.
    fn try_from(node: NodeIndex) -> Result<Self, NodeIndex> {
        node.leaf().ok_or(node)
    }
}

/// Whether `n_leaves` is a valid size of an RFC 9420 tree: a power of two that fits.
pub fn is_valid_leaf_count(n_leaves: u32) -> bool {
    n_leaves.is_power_of_two() && n_leaves <= MAX_LEAVES
}

/// The number of nodes of a tree with `n_leaves` leaves (`2 * (n - 1) + 1`, 0 for none), or
/// `None` if that does not fit a `uint32`.
pub fn node_width(n_leaves: u32) -> Option<u32> {
    match n_leaves {
        0 => Some(0),
        n if n <= MAX_LEAVES => Some(2 * (n - 1) + 1),
        _ => None,
    }
}

/// The smallest valid leaf count whose tree has room for `n_leaves` leaves.
pub fn leaf_count_for(n_leaves: u32) -> Option<u32> {
    n_leaves
        .max(1)
        .checked_next_power_of_two()
        .filter(|&n| n <= MAX_LEAVES)
}

/// The root of a full tree with `n_leaves` leaves.
pub fn root(n_leaves: u32) -> Option<NodeIndex> {
    is_valid_leaf_count(n_leaves).then(|| NodeIndex(n_leaves - 1))
}

impl NodeIndex {
    /// Whether this node is a leaf (even index).
    pub fn is_leaf(self) -> bool {
        self.0 & 1 == 0
    }

    /// The leaf this node holds, or `None` for a parent node.
    pub fn leaf(self) -> Option<LeafIndex> {
        self.is_leaf().then_some(LeafIndex(self.0 >> 1))
    }

    /// The node's level: 0 for leaves, one more than its children's for parents (the number
    /// of trailing one bits).
    pub fn level(self) -> u32 {
        self.0.trailing_ones()
    }

    /// Whether this node lies in a full tree of `n_leaves` leaves (`None` for an invalid
    /// leaf count is folded into `false`).
    pub fn in_tree(self, n_leaves: u32) -> bool {
        is_valid_leaf_count(n_leaves) && node_width(n_leaves).is_some_and(|w| self.0 < w)
    }

    /// The left child of a parent node; `None` for a leaf.
    pub fn left(self) -> Option<NodeIndex> {
        let k = self.level();
        (k != 0 && k < 32).then(|| NodeIndex(self.0 ^ (1 << (k - 1))))
    }

    /// The right child of a parent node; `None` for a leaf.
    pub fn right(self) -> Option<NodeIndex> {
        let k = self.level();
        // `x ^ (3 << (k - 1))` in 64 bits, so `k = 32` cannot overflow a shift.
        if k == 0 {
            return None;
        }
        let right = u64::from(self.0) ^ (3u64 << (k - 1));
        u32::try_from(right).ok().map(NodeIndex)
    }

    /// The parent of this node in a full tree of `n_leaves` leaves; `None` for the root, a node
    /// outside the tree, or an invalid leaf count.
    pub fn parent(self, n_leaves: u32) -> Option<NodeIndex> {
        if !self.in_tree(n_leaves) || Some(self) == root(n_leaves) {
            return None;
        }
        Some(self.parent_unchecked())
    }

    /// `parent(x)` of Appendix C for a node known to be a non-root node of a full tree, which
    /// keeps every shift below 32.
    fn parent_unchecked(self) -> NodeIndex {
        let x = u64::from(self.0);
        let k = self.level();
        let b = (x >> (k + 1)) & 1;
        // In a full tree of at most 2^31 leaves, a non-root node's parent is below the root.
        NodeIndex(((x | (1 << k)) ^ (b << (k + 1))) as u32)
    }

    /// The other child of this node's parent; `None` where [`NodeIndex::parent`] is.
    pub fn sibling(self, n_leaves: u32) -> Option<NodeIndex> {
        self.parent(n_leaves)
            .and_then(|parent| self.sibling_under(parent))
    }

    /// The other child of `parent`, which is this node's parent.
    fn sibling_under(self, parent: NodeIndex) -> Option<NodeIndex> {
        if self < parent {
            parent.right()
        } else {
            parent.left()
        }
    }

    /// The direct path of this node, from its parent up to and including the root (empty for
    /// the root). `None` if the node is outside the tree or the leaf count is invalid.
    pub fn direct_path(self, n_leaves: u32) -> Option<DirectPath> {
        let root = root(n_leaves)?;
        self.in_tree(n_leaves)
            .then_some(DirectPath { node: self, root })
    }

    /// The copath of this node: the sibling of the node and of each node of its direct path
    /// except the root, ordered from the leaf side up. `None` where
    /// [`NodeIndex::direct_path`] is.
    pub fn copath(self, n_leaves: u32) -> Option<Copath> {
        self.direct_path(n_leaves).map(|path| Copath { path })
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub fn is_ancestor_of(self, other: NodeIndex) -> bool {
        let k = self.level() + 1;
        // Both nodes share the bits above level k, and `other` is not higher than `self`.
        other.level() < k && u64::from(self.0) >> k == u64::from(other.0) >> k
    }

    /// The lowest node whose subtree contains both nodes (`common_ancestor_direct` of
    /// Appendix C). In a full tree the result lies in the tree whenever both inputs do.
    pub fn common_ancestor(self, other: NodeIndex) -> NodeIndex {
        if self.is_ancestor_of(other) {
            return self;
        }
        if other.is_ancestor_of(self) {
            return other;
        }
        let (x, y) = (u64::from(self.0), u64::from(other.0));
        // The number of low bits in which the two differ, highest differing bit included.
        let k = 64 - (x ^ y).leading_zeros();
        let prefix = x >> k;
        // A parent at level k-1 whose high bits are the common prefix; it is at most
        // max(x, y) with low bits changed, so it fits 32 bits.
        NodeIndex(((prefix << k) + (1 << (k - 1)) - 1) as u32)
    }
}

/// The nodes from a node's parent up to the root; see [`NodeIndex::direct_path`].
#[derive(Debug, Clone)]
pub struct DirectPath {
    node: NodeIndex,
    root: NodeIndex,
}

impl Iterator for DirectPath {
    type Item = NodeIndex;

    fn next(&mut self) -> Option<NodeIndex> {
        if self.node == self.root {
            return None;
        }
        self.node = self.node.parent_unchecked();
        Some(self.node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.len();
        (len, Some(len))
    }
}

impl ExactSizeIterator for DirectPath {
    fn len(&self) -> usize {
        (self.root.level() - self.node.level()) as usize
    }
}

/// The siblings along a node's path to the root; see [`NodeIndex::copath`].
#[derive(Debug, Clone)]
pub struct Copath {
    path: DirectPath,
}

impl Iterator for Copath {
    type Item = NodeIndex;

    fn next(&mut self) -> Option<NodeIndex> {
        let node = self.path.node;
        let parent = self.path.next()?;
        node.sibling_under(parent)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.path.size_hint()
    }
}

impl ExactSizeIterator for Copath {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference algorithms of Appendix C, written literally (loops instead of bit
    /// tricks), to check the fast versions against.
    mod reference {
        pub fn log2(x: u64) -> u64 {
            if x == 0 {
                return 0;
            }
            let mut k = 0;
            while (x >> k) > 0 {
                k += 1;
            }
            k - 1
        }
        pub fn level(x: u64) -> u64 {
            let mut k = 0;
            while (x >> k) & 1 == 1 {
                k += 1;
            }
            k
        }
        pub fn root(n: u64) -> u64 {
            (1 << log2(2 * (n - 1) + 1)) - 1
        }
        pub fn parent(x: u64, n: u64) -> Option<u64> {
            if x == root(n) {
                return None;
            }
            let k = level(x);
            let b = (x >> (k + 1)) & 1;
            Some((x | (1 << k)) ^ (b << (k + 1)))
        }
        pub fn direct_path(mut x: u64, n: u64) -> Vec<u64> {
            let mut d = Vec::new();
            while let Some(p) = parent(x, n) {
                d.push(p);
                x = p;
            }
            d
        }
        pub fn common_ancestor_semantic(x: u64, y: u64, n: u64) -> u64 {
            let mut dx = direct_path(x, n);
            dx.insert(0, x);
            let mut dy = direct_path(y, n);
            dy.insert(0, y);
            *dx.iter()
                .filter(|a| dy.contains(a))
                .min_by_key(|a| level(**a))
                .unwrap()
        }
    }

    #[test]
    fn eight_leaf_tree_of_the_figure() {
        let n = 8;
        assert_eq!(node_width(n), Some(15));
        assert_eq!(root(n), Some(NodeIndex(7)));
        assert_eq!(NodeIndex(7).left(), Some(NodeIndex(3)));
        assert_eq!(NodeIndex(7).right(), Some(NodeIndex(11)));
        assert_eq!(NodeIndex(4).parent(n), Some(NodeIndex(5)));
        assert_eq!(NodeIndex(4).sibling(n), Some(NodeIndex(6)));
        assert_eq!(NodeIndex(9).sibling(n), Some(NodeIndex(13)));
        let path: Vec<_> = NodeIndex(4).direct_path(n).unwrap().collect();
        assert_eq!(path, [NodeIndex(5), NodeIndex(3), NodeIndex(7)]);
        let copath: Vec<_> = NodeIndex(4).copath(n).unwrap().collect();
        assert_eq!(copath, [NodeIndex(6), NodeIndex(1), NodeIndex(11)]);
        assert_eq!(LeafIndex(5).node(), Some(NodeIndex(10)));
        assert_eq!(LeafIndex::try_from(NodeIndex(10)), Ok(LeafIndex(5)));
        assert_eq!(LeafIndex::try_from(NodeIndex(11)), Err(NodeIndex(11)));
    }

    #[test]
    fn undefined_cases_are_none() {
        assert_eq!(root(0), None);
        assert_eq!(root(3), None);
        assert_eq!(root(MAX_LEAVES.wrapping_mul(2)), None);
        assert_eq!(NodeIndex(0).left(), None);
        assert_eq!(NodeIndex(6).right(), None);
        assert_eq!(NodeIndex(7).parent(8), None);
        assert_eq!(NodeIndex(7).sibling(8), None);
        assert_eq!(NodeIndex(15).parent(8), None);
        assert_eq!(NodeIndex(2).parent(3), None);
        assert!(NodeIndex(15).direct_path(8).is_none());
        assert_eq!(NodeIndex(7).direct_path(8).unwrap().count(), 0);
        assert_eq!(NodeIndex(0).direct_path(1).unwrap().count(), 0);
        assert_eq!(NodeIndex(0).copath(1).unwrap().count(), 0);
        assert_eq!(LeafIndex(MAX_LEAVES).node(), None);
        assert_eq!(node_width(MAX_LEAVES + 1), None);
        assert_eq!(node_width(0), Some(0));
    }

    #[test]
    fn extreme_indices_do_not_panic() {
        let top = NodeIndex(u32::MAX);
        assert_eq!(top.level(), 32);
        assert_eq!(top.left(), None);
        assert_eq!(top.right(), None);
        assert_eq!(top.parent(MAX_LEAVES), None);
        let root = root(MAX_LEAVES).unwrap();
        assert_eq!(root, NodeIndex(u32::MAX >> 1));
        assert_eq!(root.right(), Some(NodeIndex(root.0 + (1 << 30))));
        let last = LeafIndex(MAX_LEAVES - 1).node().unwrap();
        assert_eq!(last.direct_path(MAX_LEAVES).unwrap().len(), 31);
        assert_eq!(last.direct_path(MAX_LEAVES).unwrap().last(), Some(root));
        assert_eq!(NodeIndex(0).common_ancestor(last), root);
        assert_eq!(NodeIndex(0).common_ancestor(top), top);
    }

    #[test]
    fn leaf_counts() {
        assert_eq!(leaf_count_for(0), Some(1));
        assert_eq!(leaf_count_for(5), Some(8));
        assert_eq!(leaf_count_for(8), Some(8));
        assert_eq!(leaf_count_for(MAX_LEAVES + 1), None);
        assert!(is_valid_leaf_count(1));
        assert!(!is_valid_leaf_count(6));
    }

    #[test]
    fn codec_is_uint32() {
        assert_eq!(LeafIndex(0x0102_0304).to_bytes(), [1, 2, 3, 4]);
        assert_eq!(NodeIndex::from_bytes(&[0, 0, 0, 9]).unwrap(), NodeIndex(9));
        assert!(LeafIndex::from_bytes(&[0, 0, 9]).is_err());
    }

    #[test]
    fn matches_reference_for_small_trees() {
        for log_n in 0..7 {
            let n = 1u32 << log_n;
            let width = node_width(n).unwrap();
            assert_eq!(root(n).unwrap().0 as u64, reference::root(n as u64));
            for x in 0..width {
                let node = NodeIndex(x);
                assert_eq!(node.level() as u64, reference::level(x as u64));
                assert_eq!(
                    node.parent(n).map(|p| p.0 as u64),
                    reference::parent(x as u64, n as u64)
                );
                let path: Vec<u64> = node.direct_path(n).unwrap().map(|p| p.0 as u64).collect();
                assert_eq!(path, reference::direct_path(x as u64, n as u64));
                // The copath is the sibling of the node and of every path node but the root.
                let copath: Vec<NodeIndex> = node.copath(n).unwrap().collect();
                let expected: Vec<NodeIndex> = std::iter::once(node)
                    .chain(node.direct_path(n).unwrap())
                    .filter_map(|y| y.sibling(n))
                    .collect();
                assert_eq!(copath, expected);
                for y in 0..width {
                    let ancestor = node.common_ancestor(NodeIndex(y));
                    assert_eq!(
                        ancestor.0 as u64,
                        reference::common_ancestor_semantic(x as u64, y as u64, n as u64),
                        "common ancestor of {x} and {y} in {n} leaves"
                    );
                    let in_path = x == y || path.contains(&(y as u64));
                    assert_eq!(NodeIndex(y).is_ancestor_of(node), in_path);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn children_and_parent_agree(log_n in 1u32..=31, seed in proptest::prelude::any::<u32>()) {
            let n = 1u32 << log_n;
            let x = NodeIndex(seed % node_width(n).unwrap());
            if let Some(parent) = x.parent(n) {
                proptest::prop_assert!(parent.left() == Some(x) || parent.right() == Some(x));
                proptest::prop_assert_eq!(parent.level(), x.level() + 1);
                let sibling = x.sibling(n).unwrap();
                proptest::prop_assert_eq!(sibling.parent(n), Some(parent));
                proptest::prop_assert_eq!(x.common_ancestor(sibling), parent);
            }
            if let (Some(l), Some(r)) = (x.left(), x.right()) {
                proptest::prop_assert_eq!(l.parent(n), Some(x));
                proptest::prop_assert_eq!(r.parent(n), Some(x));
            }
            let path = x.direct_path(n).unwrap();
            proptest::prop_assert_eq!(path.len(), (log_n - x.level()) as usize);
            proptest::prop_assert_eq!(x.copath(n).unwrap().len(), path.len());
        }
    }
}
