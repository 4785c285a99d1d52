//! Errors of the ratchet tree (RFC 9420 §7, §12.4.3.1).

use braid_crypto::CryptoError;

use crate::extensions::ExtensionType;
use crate::messages::{CredentialType, ProposalType};
use crate::tree_math::{LeafIndex, NodeIndex};

/// Why a ratchet tree, or an operation on one, was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The `ratchet_tree` node list has more nodes than a tree of `2^31` leaves.
    #[error("ratchet tree of {0} nodes is larger than a tree of 2^31 leaves")]
    TooLarge(usize),
    /// The `ratchet_tree` node list is empty or ends with a blank node (§12.4.3.3).
    #[error("ratchet tree is empty or ends with a blank node")]
    TrailingBlank,
    /// A node of the `ratchet_tree` list has the wrong type for its position: leaves sit at
    /// even indices, parents at odd ones.
    #[error("node {node:?} holds a {found} node where the tree has a {expected} node")]
    WrongNodeType {
        /// The node.
        node: NodeIndex,
        /// The node type its position requires (`leaf` or `parent`).
        expected: &'static str,
        /// The node type found.
        found: &'static str,
    },
    /// A leaf index outside the tree.
    #[error("leaf {leaf:?} is outside the tree of {leaf_count} leaves")]
    LeafOutOfRange {
        /// The leaf.
        leaf: LeafIndex,
        /// The tree's number of leaves (blank or not).
        leaf_count: u32,
    },
    /// A node index outside the tree.
    #[error("node {node:?} is outside the tree of {width} nodes")]
    NodeOutOfRange {
        /// The node.
        node: NodeIndex,
        /// The tree's number of nodes.
        width: u32,
    },
    /// A parent hash was asked with respect to a node that is not a child of the parent.
    #[error("node {child:?} is not a child of node {parent:?}")]
    NotAChild {
        /// The parent node.
        parent: NodeIndex,
        /// The supposed child.
        child: NodeIndex,
    },
    /// An operation needs a member at a leaf that is blank.
    #[error("leaf {0:?} is blank")]
    BlankLeaf(LeafIndex),
    /// A parent hash was asked of a blank parent node.
    #[error("parent node {0:?} is blank")]
    BlankParent(NodeIndex),
    /// The tree would grow beyond `2^31` leaves.
    #[error("the tree cannot grow beyond 2^31 leaves")]
    TreeFull,
    /// An HPKE encryption key appears in two nodes (§5.1.1 / §12.4.3.1 / §16.8).
    #[error("encryption key of node {second:?} already appears at node {first:?}")]
    DuplicateEncryptionKey {
        /// The node already holding the key.
        first: NodeIndex,
        /// The node that would hold it a second time.
        second: NodeIndex,
    },
    /// A signature key appears in two leaves (§7.3).
    #[error("signature key of leaf {second:?} is already used by leaf {first:?}")]
    DuplicateSignatureKey {
        /// The leaf already holding the key.
        first: LeafIndex,
        /// The leaf that would hold it a second time.
        second: LeafIndex,
    },
    /// The root tree hash is not the expected one (§12.4.3.1).
    #[error("tree hash does not match the expected tree hash")]
    BadTreeHash,
    /// A non-blank parent node is not parent-hash valid: no unique descendant chains to it
    /// (§7.9.2).
    #[error("parent node {node:?} is not parent-hash valid")]
    BadParentHash {
        /// The parent node.
        node: NodeIndex,
    },
    /// A committer's leaf carries a `parent_hash` other than the one its UpdatePath gives
    /// (§7.9.2, processing a Commit).
    #[error("leaf {leaf:?} has a parent_hash other than its UpdatePath's")]
    BadLeafParentHash {
        /// The committer's leaf.
        leaf: LeafIndex,
    },
    /// A leaf's signature over its `LeafNodeTBS` does not verify (§7.3).
    #[error("signature of leaf {leaf:?} does not verify")]
    BadLeafSignature {
        /// The leaf.
        leaf: LeafIndex,
    },
    /// A leaf node fails a validation rule of §7.3 other than its signature.
    #[error("leaf {leaf:?} is invalid: {error}")]
    InvalidLeafNode {
        /// The leaf.
        leaf: LeafIndex,
        /// The rule it breaks.
        error: LeafNodeError,
    },
    /// An entry of a parent node's `unmerged_leaves` breaks a rule of §7.1 or §12.4.3.1.
    #[error("unmerged leaf {leaf:?} of parent node {node:?}: {problem}")]
    UnmergedLeafInconsistent {
        /// The parent node whose list holds the entry.
        node: NodeIndex,
        /// The entry.
        leaf: LeafIndex,
        /// What is wrong with it.
        problem: UnmergedLeafProblem,
    },
    /// An UpdatePath has not one node per node of the sender's filtered direct path (§7.6).
    #[error("UpdatePath has {actual} nodes, the filtered direct path has {expected}")]
    PathLengthMismatch {
        /// The length of the filtered direct path.
        expected: usize,
        /// The number of nodes given.
        actual: usize,
    },
    /// The crypto provider failed (hashing, or a signature check that failed for a reason
    /// other than a bad signature).
    #[error("crypto operation failed: {0}")]
    Crypto(#[from] CryptoError),
}

/// What is wrong with an entry of a parent node's `unmerged_leaves`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnmergedLeafProblem {
    /// The list is not sorted in strictly increasing order (§7.1); the entry is the first one
    /// not greater than its predecessor.
    #[error("the list is not sorted in strictly increasing order")]
    NotSorted,
    /// The leaf is not a descendant of the parent node.
    #[error("the leaf is not a descendant of the node")]
    NotDescendant,
    /// The leaf is blank.
    #[error("the leaf is blank")]
    BlankLeaf,
    /// A non-blank node between the leaf and the parent node does not list the leaf.
    #[error("intermediate node {0:?} does not list the leaf")]
    MissingAt(NodeIndex),
}

/// Why a LeafNode is invalid (RFC 9420 §7.2, §7.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafNodeError {
    /// `leaf_node_source` is not the one its use requires.
    #[error("leaf_node_source is {found}, {expected} is required here")]
    WrongSource {
        /// The source required (`key_package`, `update` or `commit`).
        expected: &'static str,
        /// The source found.
        found: &'static str,
    },
    /// The signature over `LeafNodeTBS` does not verify.
    #[error("signature over LeafNodeTBS does not verify")]
    BadSignature,
    /// The current time is outside `lifetime`.
    #[error("lifetime [{not_before}, {not_after}] does not contain the current time {now}")]
    Expired {
        /// `lifetime.not_before`.
        not_before: u64,
        /// `lifetime.not_after`.
        not_after: u64,
        /// The current time given.
        now: u64,
    },
    /// `lifetime` spans more than the application's maximum (§7.2).
    #[error("lifetime of {lifetime} s exceeds the maximum of {max} s")]
    LifetimeTooLong {
        /// `not_after - not_before`.
        lifetime: u64,
        /// The maximum allowed.
        max: u64,
    },
    /// An Update or Commit leaf keeps the `encryption_key` of the leaf it replaces.
    #[error("encryption_key is the same as the replaced leaf's")]
    EncryptionKeyNotChanged,
    /// `encryption_key` already appears in a node of the tree.
    #[error("encryption_key already appears at node {0:?}")]
    DuplicateEncryptionKey(NodeIndex),
    /// `signature_key` is already used by another member.
    #[error("signature_key is already used by leaf {0:?}")]
    DuplicateSignatureKey(LeafIndex),
    /// The credential's type is not listed in `capabilities.credentials` (§7.2).
    #[error("credential type {0:?} is not listed in the leaf's capabilities")]
    CredentialTypeNotInCapabilities(CredentialType),
    /// A non-default extension of the leaf is not listed in `capabilities.extensions`.
    #[error("extension {0:?} is not listed in the leaf's capabilities")]
    ExtensionNotInCapabilities(ExtensionType),
    /// An extension type of the group's `required_capabilities` is not supported.
    #[error("required extension {0:?} is not supported")]
    MissingRequiredExtension(ExtensionType),
    /// A proposal type of the group's `required_capabilities` is not supported.
    #[error("required proposal {0:?} is not supported")]
    MissingRequiredProposal(ProposalType),
    /// A credential type of the group's `required_capabilities` is not supported.
    #[error("required credential type {0:?} is not supported")]
    MissingRequiredCredential(CredentialType),
    /// The leaf's credential type is not supported by every other member.
    #[error("credential type {0:?} is not supported by every member")]
    CredentialTypeUnsupportedByMembers(CredentialType),
    /// A credential type in use by another member is not supported by this leaf.
    #[error("credential type {0:?}, in use by a member, is not supported")]
    MemberCredentialTypeUnsupported(CredentialType),
    /// The crypto provider failed for a reason other than a bad signature.
    #[error("crypto operation failed: {0}")]
    Crypto(CryptoError),
}
