//! Ratchet-tree nodes on the wire: [`ParentNode`] (RFC 9420 §7.1), [`Node`] and the
//! `ratchet_tree` extension body [`RatchetTree`] (§12.4.3.3), and [`UpdatePath`] (§7.6).

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};

use super::{HpkePublicKey, LeafNode};
use crate::suite::HpkeCiphertext;
use crate::tree_math::LeafIndex;

/// `ParentNode`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParentNode {
    /// `encryption_key`.
    pub encryption_key: HpkePublicKey,
    /// `parent_hash`.
    pub parent_hash: Vec<u8>,
    /// `unmerged_leaves` (sorted in increasing order, §7.1; checked by tree validation).
    pub unmerged_leaves: Vec<LeafIndex>,
}
codec_struct!(ParentNode {
    encryption_key,
    parent_hash,
    unmerged_leaves,
});

/// `NodeType` (`uint8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    /// `leaf(1)`.
    Leaf = 1,
    /// `parent(2)`.
    Parent = 2,
}
codec_enum!(NodeType: u8 { Leaf, Parent });

/// `Node`: a node type and the node it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// `leaf`.
    Leaf(LeafNode),
    /// `parent`.
    Parent(ParentNode),
}

impl Node {
    /// The `node_type`.
    pub fn node_type(&self) -> NodeType {
        match self {
            Self::Leaf(_) => NodeType::Leaf,
            Self::Parent(_) => NodeType::Parent,
        }
    }
}

impl Encode for Node {
    fn encode(&self, out: &mut Vec<u8>) {
        self.node_type().encode(out);
        match self {
            Self::Leaf(leaf) => leaf.encode(out),
            Self::Parent(parent) => parent.encode(out),
        }
    }
}

impl Decode for Node {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match NodeType::decode(reader)? {
            NodeType::Leaf => Self::Leaf(LeafNode::decode(reader)?),
            NodeType::Parent => Self::Parent(ParentNode::decode(reader)?),
        })
    }
}

/// `optional<Node> ratchet_tree<V>`: the body of the `ratchet_tree` extension, the tree's nodes
/// in array order with `None` for blank nodes.
///
/// The list is never empty and never ends with a blank node: senders "MUST NOT include blank
/// nodes after the last non-blank node" and receivers "MUST check that the last node in
/// `ratchet_tree` is non-blank" (§12.4.3.3), so [`RatchetTree::new`] and decoding enforce it.
/// Extending the list to a full tree is the tree layer's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatchetTree(Vec<Option<Node>>);

impl RatchetTree {
    /// The tree with `nodes`, or `None` if the list is empty or its last node is blank.
    pub fn new(nodes: Vec<Option<Node>>) -> Option<Self> {
        matches!(nodes.last(), Some(Some(_))).then_some(Self(nodes))
    }

    /// The nodes in array order.
    pub fn nodes(&self) -> &[Option<Node>] {
        &self.0
    }

    /// The nodes in array order, by value.
    pub fn into_nodes(self) -> Vec<Option<Node>> {
        self.0
    }
}

impl Encode for RatchetTree {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for RatchetTree {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Self::new(Vec::decode(reader)?).ok_or(Error::Malformed(
            "ratchet_tree is empty or ends with a blank node",
        ))
    }
}

/// `UpdatePathNode`: a new public key on the committer's filtered direct path and the path
/// secret encrypted to each node of the copath child's resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePathNode {
    /// `encryption_key`.
    pub encryption_key: HpkePublicKey,
    /// `encrypted_path_secret`.
    pub encrypted_path_secret: Vec<HpkeCiphertext>,
}
codec_struct!(UpdatePathNode {
    encryption_key,
    encrypted_path_secret,
});

/// `UpdatePath`: the committer's new leaf and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePath {
    /// `leaf_node` (with source `commit`).
    pub leaf_node: LeafNode,
    /// `nodes`, one per node of the filtered direct path.
    pub nodes: Vec<UpdatePathNode>,
}
codec_struct!(UpdatePath { leaf_node, nodes });
