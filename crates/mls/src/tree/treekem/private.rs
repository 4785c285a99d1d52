//! A member's private view of the ratchet tree (RFC 9420 §4.2 tree invariant, §7.4, §7.6,
//! §12.4.3.1): the HPKE private key of its leaf and of the nodes of its direct path it knows.
//!
//! [`TreePrivateKeys`] is a value: applying an UpdatePath yields a new one (it holds at most
//! one key per level, so copying it is O(log N)), and the old one stays valid for the old
//! epoch. Each key is kept with its public key, so a key that went stale (its node was blanked
//! or replaced) is recognised without any cryptography.

use braid_crypto::{KemKeyPair, Secret};

use super::{derive_path, node_key_pair, DerivedPath, TreeKemError};
use crate::messages::HpkePublicKey;
use crate::suite::Suite;
use crate::tree::{RatchetTree, TreeError};
use crate::tree_math::{LeafIndex, NodeIndex};

/// The private keys a member holds for its leaf and for nodes of its direct path.
#[derive(Debug, Clone)]
pub struct TreePrivateKeys {
    leaf: LeafIndex,
    /// At most one key per node of the leaf's path, ordered by node level (the leaf first).
    keys: Vec<(NodeIndex, KemKeyPair)>,
}

impl TreePrivateKeys {
    /// The state of a member at `leaf` that knows only its leaf's key pair (a new member, or
    /// one whose direct path is blank).
    pub fn new(leaf: LeafIndex, leaf_key_pair: KemKeyPair) -> Result<Self, TreeKemError> {
        let node = leaf.node().ok_or(TreeKemError::LeafOutOfRange(leaf))?;
        Ok(Self {
            leaf,
            keys: vec![(node, leaf_key_pair)],
        })
    }

    /// [`TreePrivateKeys::new`] from the leaf's private key alone, computing its public key.
    pub fn from_leaf_private_key(
        suite: &Suite<'_>,
        leaf: LeafIndex,
        private_key: Secret,
    ) -> Result<Self, TreeKemError> {
        let public_key = suite
            .provider()
            .kem_public_key(suite.descriptor().kem, private_key.as_bytes())?;
        Self::new(
            leaf,
            KemKeyPair {
                private_key,
                public_key,
            },
        )
    }

    /// The member's leaf.
    pub fn leaf_index(&self) -> LeafIndex {
        self.leaf
    }

    /// The key pair held for `node`, if any.
    pub fn key_pair(&self, node: NodeIndex) -> Option<&KemKeyPair> {
        self.keys
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, pair)| pair)
    }

    /// The nodes a key is held for, the leaf first, then up the direct path.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.keys.iter().map(|(node, _)| *node)
    }

    /// The key pair for `node` if it is the key of `node` in `tree` (not stale).
    pub(super) fn current_key_pair(
        &self,
        tree: &RatchetTree,
        node: NodeIndex,
    ) -> Option<&KemKeyPair> {
        let pair = self.key_pair(node)?;
        (tree.encryption_key(node)?.as_slice() == pair.public_key.as_slice()).then_some(pair)
    }

    /// Sets the key of `node`, a parent on the member's direct path, to the key pair derived
    /// from `path_secret` (`DeriveKeyPair(DeriveSecret(path_secret, "node"))`, §7.4), without
    /// deriving anything for the nodes above it. Check the result against the tree with
    /// [`TreePrivateKeys::verify`].
    pub fn insert_path_secret(
        &mut self,
        suite: &Suite<'_>,
        node: NodeIndex,
        path_secret: &[u8],
    ) -> Result<(), TreeKemError> {
        self.check_on_direct_path(node)?;
        let pair = node_key_pair(suite, path_secret)?;
        self.insert(node, pair);
        Ok(())
    }

    /// Sets the key pair of `node`, a parent on the member's direct path (as when loading a
    /// stored state, whose nodes and key pairs [`TreePrivateKeys::nodes`] and
    /// [`TreePrivateKeys::key_pair`] give). Check the result against the tree with
    /// [`TreePrivateKeys::verify`].
    pub fn insert_key_pair(
        &mut self,
        node: NodeIndex,
        key_pair: KemKeyPair,
    ) -> Result<(), TreeKemError> {
        self.check_on_direct_path(node)?;
        self.insert(node, key_pair);
        Ok(())
    }

    /// Takes in the path secret of `node`, a parent on the member's direct path, and derives
    /// the path secrets and key pairs of the non-blank nodes above it up to the root, as a
    /// receiver of an UpdatePath does from the path secret it decrypted (§7.5) and a new
    /// member from `GroupSecrets.path_secret` (§12.4.3.1, where `node` is the lowest common
    /// ancestor of the new member and the committer).
    ///
    /// The non-blank nodes from `node` up are exactly the committer's filtered direct path
    /// there, as its UpdatePath set them and blanked the rest. Every derived public key must
    /// be the one in `tree` ([`TreeKemError::PublicKeyMismatch`] otherwise); keys held for
    /// blank nodes on the way are dropped. Returns the path secret that follows the root's,
    /// which is the Commit's `commit_secret`. On error, nothing changes.
    pub fn add_path_secret(
        &mut self,
        suite: &Suite<'_>,
        tree: &RatchetTree,
        node: NodeIndex,
        path_secret: Secret,
    ) -> Result<Secret, TreeKemError> {
        self.check_on_direct_path(node)?;
        if tree.is_blank(node) {
            return Err(TreeKemError::PublicKeyMismatch { node });
        }
        let ancestors = node
            .direct_path(tree.leaf_count())
            .ok_or(TreeError::NodeOutOfRange {
                node,
                width: tree.node_width(),
            })?;
        let nodes: Vec<NodeIndex> = std::iter::once(node)
            .chain(ancestors.filter(|&n| !tree.is_blank(n)))
            .collect();
        let DerivedPath {
            key_pairs, next, ..
        } = derive_path(suite, path_secret, nodes.len())?;
        for (&node, pair) in nodes.iter().zip(&key_pairs) {
            if tree.encryption_key(node).map(HpkePublicKey::as_slice)
                != Some(pair.public_key.as_slice())
            {
                return Err(TreeKemError::PublicKeyMismatch { node });
            }
        }
        // Nodes from `node` up were all replaced: drop what was held there, then add the new.
        self.keys.retain(|(n, _)| !n.is_ancestor_of(node));
        self.keys.extend(nodes.into_iter().zip(key_pairs));
        Ok(next)
    }

    /// Checks that every key held belongs to its node in `tree`: the node is not blank and
    /// holds the matching public key ([`TreeKemError::StalePrivateKey`] otherwise). This is
    /// the consistency of a private state with the tree of §4.2 (the tree invariant).
    pub fn verify(&self, tree: &RatchetTree) -> Result<(), TreeKemError> {
        match self
            .keys
            .iter()
            .find(|(node, _)| self.current_key_pair(tree, *node).is_none())
        {
            Some(&(node, _)) => Err(TreeKemError::StalePrivateKey { node }),
            None => Ok(()),
        }
    }

    /// Drops every key that no longer belongs to its node in `tree` (the node was blanked or
    /// given another key), as a member must after Updates, Removes and UpdatePaths (§7.5:
    /// "delete outdated key material"). The leaf's key is kept while the leaf holds it.
    pub fn prune(&mut self, tree: &RatchetTree) {
        let stale: Vec<NodeIndex> = self
            .nodes()
            .filter(|&node| self.current_key_pair(tree, node).is_none())
            .collect();
        self.keys.retain(|(node, _)| !stale.contains(node));
    }

    /// A state holding only the member's new leaf key and the keys of its new path (the
    /// committer's, after its UpdatePath replaced its whole direct path).
    pub(super) fn from_committed_path(
        leaf: LeafIndex,
        leaf_key_pair: KemKeyPair,
        path: impl IntoIterator<Item = (NodeIndex, KemKeyPair)>,
    ) -> Result<Self, TreeKemError> {
        let mut keys = Self::new(leaf, leaf_key_pair)?;
        keys.keys.extend(path);
        Ok(keys)
    }

    /// Replaces or adds the key of `node`, keeping the keys ordered by level.
    fn insert(&mut self, node: NodeIndex, pair: KemKeyPair) {
        match self.keys.iter_mut().find(|(n, _)| *n == node) {
            Some(entry) => entry.1 = pair,
            None => {
                let at = self.keys.partition_point(|(n, _)| n.level() < node.level());
                self.keys.insert(at, (node, pair));
            }
        }
    }

    /// Fails unless `node` is a parent node above the member's leaf.
    fn check_on_direct_path(&self, node: NodeIndex) -> Result<(), TreeKemError> {
        let leaf = self
            .leaf
            .node()
            .ok_or(TreeKemError::LeafOutOfRange(self.leaf))?;
        if node != leaf && node.is_ancestor_of(leaf) {
            Ok(())
        } else {
            Err(TreeKemError::NotOnDirectPath {
                leaf: self.leaf,
                node,
            })
        }
    }
}
