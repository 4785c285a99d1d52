//! The secret tree (RFC 9420 §9), its hash ratchets (§9.1) and deletion schedule (§9.2), and
//! the sender-data key and nonce (§6.3.2).
//!
//! The tree is lazy: it starts with `encryption_secret` at the root and derives a node's
//! children only when a leaf below it is first used; the node's secret is then deleted and the
//! child off the path kept. A leaf's secret is deleted as soon as its two ratchets (handshake
//! and application) are started, and a ratchet secret as soon as the next one is derived. A
//! key that has been handed out is deleted, so asking for the same generation again fails.
//! Messages may arrive out of order: the keys of skipped generations are kept, up to
//! [`SecretTreeConfig::max_skipped_keys`] per ratchet, and a generation may lie at most
//! [`SecretTreeConfig::max_forward_distance`] ahead.
//!
//! Decryption is two-phase so that a rejected message changes nothing: [`SecretTree::prepare_key`]
//! derives a key without touching the tree, and [`SecretTree::commit_key`] deletes what the key
//! consumed once the message has authenticated.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use std::collections::{HashMap, VecDeque};

use braid_crypto::{CryptoError, Secret};
use thiserror::Error;

use crate::suite::{KeyAndNonce, Suite};
use crate::tree_math::{self, LeafIndex, NodeIndex};

/// `sender_data_key` and `sender_data_nonce` (§6.3.2): `ExpandWithLabel(sender_data_secret,
/// "key" / "nonce", ciphertext_sample, AEAD.Nk / AEAD.Nn)`, where the sample is the first
/// `KDF.Nh` bytes of the content ciphertext, or all of it if it is shorter.
pub fn sender_data_key_and_nonce(
    suite: &Suite<'_>,
    sender_data_secret: &[u8],
    ciphertext: &[u8],
) -> Result<KeyAndNonce, CryptoError> {
    let sample = ciphertext.get(..suite.hash_len()).unwrap_or(ciphertext);
    suite.key_and_nonce(sender_data_secret, sample)
}

/// Which of a leaf's two hash ratchets: proposals and commits use the handshake ratchet,
/// application messages the application ratchet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RatchetType {
    /// `handshake_ratchet_secret`.
    Handshake,
    /// `application_ratchet_secret`.
    Application,
}

impl RatchetType {
    /// The `ExpandWithLabel` label of the ratchet's root.
    fn label(self) -> &'static [u8] {
        match self {
            Self::Handshake => b"handshake",
            Self::Application => b"application",
        }
    }
}

/// How much out-of-order delivery a [`SecretTree`] tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretTreeConfig {
    /// The largest gap between the next expected generation of a ratchet and a requested one.
    pub max_forward_distance: u32,
    /// The most keys of skipped generations kept per ratchet; the oldest are deleted first.
    pub max_skipped_keys: usize,
}

impl Default for SecretTreeConfig {
    fn default() -> Self {
        Self {
            max_forward_distance: 1000,
            max_skipped_keys: 32,
        }
    }
}

/// Why the secret tree could not give a key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretTreeError {
    /// The leaf count is zero, not a power of two, or too large.
    #[error("a secret tree needs a power-of-two number of leaves, got {0}")]
    InvalidLeafCount(u32),
    /// The leaf index lies outside the tree.
    #[error("leaf {leaf} is outside the secret tree of {n_leaves} leaves")]
    LeafOutOfRange {
        /// The requested leaf.
        leaf: u32,
        /// The tree's leaf count.
        n_leaves: u32,
    },
    /// The generation's key was used already, or was deleted when it left the out-of-order
    /// window.
    #[error("generation {generation} of leaf {leaf}'s {ratchet:?} ratchet was used or deleted")]
    GenerationConsumed {
        /// The leaf.
        leaf: u32,
        /// The ratchet.
        ratchet: RatchetType,
        /// The requested generation.
        generation: u32,
    },
    /// The generation lies further ahead than the configured maximum forward distance.
    #[error("generation {generation} of leaf {leaf}'s {ratchet:?} ratchet is more than {max} ahead of {next}")]
    TooFarAhead {
        /// The leaf.
        leaf: u32,
        /// The ratchet.
        ratchet: RatchetType,
        /// The requested generation.
        generation: u32,
        /// The next generation the ratchet expects.
        next: u32,
        /// The configured maximum forward distance.
        max: u32,
    },
    /// The ratchet reached the last `uint32` generation, which has no successor.
    #[error("leaf {leaf}'s {ratchet:?} ratchet is exhausted")]
    RatchetExhausted {
        /// The leaf.
        leaf: u32,
        /// The ratchet.
        ratchet: RatchetType,
    },
    /// The tree changed between [`SecretTree::prepare_key`] and [`SecretTree::commit_key`] in a
    /// way that conflicts with the prepared key.
    #[error("the secret tree changed since this key of leaf {0} was prepared")]
    StaleKey(u32),
    /// A KDF step failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// One hash ratchet of a leaf (§9.1).
#[derive(Debug, Clone)]
struct HashRatchet {
    /// The generation `secret` belongs to.
    next_generation: u32,
    /// `ratchet_secret_[N]_[next_generation]`.
    secret: Secret,
    /// Keys of generations below `next_generation` not used yet, oldest first.
    skipped: VecDeque<(u32, KeyAndNonce)>,
}

/// What taking one key changes in a ratchet.
#[derive(Debug)]
enum RatchetChange {
    /// The key was a stored key of a skipped generation; it is removed.
    TakeSkipped,
    /// The ratchet moved forward from `from` to `next_generation`.
    Advance {
        from: u32,
        next_generation: u32,
        secret: Secret,
        /// Keys of generations jumped over (only the ones the window can hold).
        skipped: Vec<(u32, KeyAndNonce)>,
    },
}

impl HashRatchet {
    fn new(secret: Secret) -> Self {
        Self {
            next_generation: 0,
            secret,
            skipped: VecDeque::new(),
        }
    }

    /// The key of `generation` and the change that consumes it, without modifying `self`.
    fn prepare(
        &self,
        suite: &Suite<'_>,
        config: &SecretTreeConfig,
        at: (LeafIndex, RatchetType),
        generation: u32,
    ) -> Result<(KeyAndNonce, RatchetChange), SecretTreeError> {
        let (LeafIndex(leaf), ratchet) = at;
        if generation < self.next_generation {
            let key = self
                .skipped
                .iter()
                .find(|(g, _)| *g == generation)
                .map(|(_, key)| key.clone())
                .ok_or(SecretTreeError::GenerationConsumed {
                    leaf,
                    ratchet,
                    generation,
                })?;
            return Ok((key, RatchetChange::TakeSkipped));
        }
        let next = self.next_generation;
        if generation - next > config.max_forward_distance {
            return Err(SecretTreeError::TooFarAhead {
                leaf,
                ratchet,
                generation,
                next,
                max: config.max_forward_distance,
            });
        }
        // Only the newest `max_skipped_keys` skipped generations can be kept: derive keys
        // just for those.
        let window = u32::try_from(config.max_skipped_keys).unwrap_or(u32::MAX);
        let keep_from = generation.saturating_sub(window);
        let mut skipped = Vec::new();
        let mut secret = self.secret.clone();
        for g in next..generation {
            if g >= keep_from {
                skipped.push((g, Self::key(suite, &secret, g)?));
            }
            secret = suite.derive_tree_secret(secret.as_bytes(), b"secret", g, suite.hash_len())?;
        }
        let key = Self::key(suite, &secret, generation)?;
        let next_generation = generation
            .checked_add(1)
            .ok_or(SecretTreeError::RatchetExhausted { leaf, ratchet })?;
        let secret =
            suite.derive_tree_secret(secret.as_bytes(), b"secret", generation, suite.hash_len())?;
        let change = RatchetChange::Advance {
            from: next,
            next_generation,
            secret,
            skipped,
        };
        Ok((key, change))
    }

    /// `ratchet_key_[N]_[j]` and `ratchet_nonce_[N]_[j]` from `ratchet_secret_[N]_[j]`.
    fn key(
        suite: &Suite<'_>,
        secret: &Secret,
        generation: u32,
    ) -> Result<KeyAndNonce, CryptoError> {
        suite.key_and_nonce(secret.as_bytes(), &generation.to_be_bytes())
    }

    /// Whether `change`, prepared for `generation`, still applies.
    fn accepts(&self, change: &RatchetChange, generation: u32) -> bool {
        match change {
            RatchetChange::TakeSkipped => self.skipped.iter().any(|(g, _)| *g == generation),
            RatchetChange::Advance { from, .. } => *from == self.next_generation,
        }
    }

    fn apply(&mut self, change: RatchetChange, generation: u32, config: &SecretTreeConfig) {
        match change {
            RatchetChange::TakeSkipped => self.skipped.retain(|(g, _)| *g != generation),
            RatchetChange::Advance {
                next_generation,
                secret,
                skipped,
                ..
            } => {
                self.next_generation = next_generation;
                self.secret = secret;
                self.skipped.extend(skipped);
                let excess = self.skipped.len().saturating_sub(config.max_skipped_keys);
                self.skipped.drain(..excess);
            }
        }
    }
}

/// A leaf's two ratchets.
#[derive(Debug, Clone)]
struct LeafRatchets {
    handshake: HashRatchet,
    application: HashRatchet,
}

impl LeafRatchets {
    fn get(&self, ratchet: RatchetType) -> &HashRatchet {
        match ratchet {
            RatchetType::Handshake => &self.handshake,
            RatchetType::Application => &self.application,
        }
    }

    fn get_mut(&mut self, ratchet: RatchetType) -> &mut HashRatchet {
        match ratchet {
            RatchetType::Handshake => &mut self.handshake,
            RatchetType::Application => &mut self.application,
        }
    }
}

/// The first use of a leaf: the tree secrets its derivation consumed and produced.
#[derive(Debug)]
struct FreshLeaf {
    /// The lowest stored ancestor of the leaf (possibly the leaf), now consumed.
    consumed: NodeIndex,
    /// The children off the path, kept for other leaves.
    siblings: Vec<(NodeIndex, Secret)>,
    /// The leaf's ratchets at generation 0.
    ratchets: LeafRatchets,
}

/// A key derived by [`SecretTree::prepare_key`], with what consuming it changes in the tree.
#[derive(Debug)]
pub struct PreparedKey {
    leaf: LeafIndex,
    ratchet: RatchetType,
    generation: u32,
    key: KeyAndNonce,
    fresh: Option<FreshLeaf>,
    change: RatchetChange,
}

impl PreparedKey {
    /// The key and nonce of the generation.
    pub fn key(&self) -> &KeyAndNonce {
        &self.key
    }

    /// The generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The leaf.
    pub fn leaf(&self) -> LeafIndex {
        self.leaf
    }

    /// The ratchet.
    pub fn ratchet(&self) -> RatchetType {
        self.ratchet
    }
}

/// The secret tree of one epoch over `n_leaves` leaves (§9).
#[derive(Debug, Clone)]
pub struct SecretTree {
    n_leaves: u32,
    /// Tree-node secrets derived and not consumed yet.
    nodes: HashMap<NodeIndex, Secret>,
    /// Ratchets of the leaves used so far.
    leaves: HashMap<LeafIndex, LeafRatchets>,
    config: SecretTreeConfig,
}

impl SecretTree {
    /// A tree with `encryption_secret` at the root of a full tree of `n_leaves` leaves.
    pub fn new(
        encryption_secret: Secret,
        n_leaves: u32,
        config: SecretTreeConfig,
    ) -> Result<Self, SecretTreeError> {
        let root = tree_math::root(n_leaves).ok_or(SecretTreeError::InvalidLeafCount(n_leaves))?;
        Ok(Self {
            n_leaves,
            nodes: HashMap::from([(root, encryption_secret)]),
            leaves: HashMap::new(),
            config,
        })
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    /// The configuration.
    pub fn config(&self) -> &SecretTreeConfig {
        &self.config
    }

    /// The next generation `leaf`'s `ratchet` expects (0 before its first use).
    pub fn next_generation(&self, leaf: LeafIndex, ratchet: RatchetType) -> u32 {
        self.leaves
            .get(&leaf)
            .map_or(0, |r| r.get(ratchet).next_generation)
    }

    /// Derives the key of `generation` of `leaf`'s `ratchet` without changing the tree.
    /// Consume it with [`SecretTree::commit_key`] once the message it opens has authenticated.
    pub fn prepare_key(
        &self,
        suite: &Suite<'_>,
        leaf: LeafIndex,
        ratchet: RatchetType,
        generation: u32,
    ) -> Result<PreparedKey, SecretTreeError> {
        let fresh = match self.leaves.get(&leaf) {
            Some(_) => None,
            None => Some(self.derive_leaf(suite, leaf)?),
        };
        let ratchets = match (&fresh, self.leaves.get(&leaf)) {
            (Some(fresh), _) => &fresh.ratchets,
            (None, Some(ratchets)) => ratchets,
            (None, None) => return Err(SecretTreeError::StaleKey(leaf.0)),
        };
        let (key, change) =
            ratchets
                .get(ratchet)
                .prepare(suite, &self.config, (leaf, ratchet), generation)?;
        Ok(PreparedKey {
            leaf,
            ratchet,
            generation,
            key,
            fresh,
            change,
        })
    }

    /// Consumes a prepared key: deletes its key, the ratchet secrets before it, and the tree
    /// secrets its derivation used, keeping the keys of skipped generations within the window.
    /// Returns the key. [`SecretTreeError::StaleKey`] if the tree changed in between in a way
    /// that conflicts (prepare again then).
    pub fn commit_key(&mut self, prepared: PreparedKey) -> Result<KeyAndNonce, SecretTreeError> {
        let PreparedKey {
            leaf,
            ratchet,
            generation,
            key,
            fresh,
            change,
        } = prepared;
        let stale = SecretTreeError::StaleKey(leaf.0);
        match fresh {
            Some(fresh) => {
                if self.leaves.contains_key(&leaf) || !self.nodes.contains_key(&fresh.consumed) {
                    return Err(stale);
                }
                self.nodes.remove(&fresh.consumed);
                self.nodes.extend(fresh.siblings);
                let mut ratchets = fresh.ratchets;
                ratchets
                    .get_mut(ratchet)
                    .apply(change, generation, &self.config);
                self.leaves.insert(leaf, ratchets);
            }
            None => {
                let hash_ratchet = self
                    .leaves
                    .get_mut(&leaf)
                    .map(|r| r.get_mut(ratchet))
                    .filter(|r| r.accepts(&change, generation))
                    .ok_or(stale)?;
                hash_ratchet.apply(change, generation, &self.config);
            }
        }
        Ok(key)
    }

    /// `ratchet_key_[leaf]_[generation]` and its nonce, consumed at once (§9.1, §9.2).
    pub fn ratchet_key_pair(
        &mut self,
        suite: &Suite<'_>,
        leaf: LeafIndex,
        ratchet: RatchetType,
        generation: u32,
    ) -> Result<KeyAndNonce, SecretTreeError> {
        let prepared = self.prepare_key(suite, leaf, ratchet, generation)?;
        self.commit_key(prepared)
    }

    /// The key a sender at `leaf` encrypts its next message with, and its generation.
    pub fn next_key(
        &mut self,
        suite: &Suite<'_>,
        leaf: LeafIndex,
        ratchet: RatchetType,
    ) -> Result<(u32, KeyAndNonce), SecretTreeError> {
        let generation = self.next_generation(leaf, ratchet);
        self.ratchet_key_pair(suite, leaf, ratchet, generation)
            .map(|key| (generation, key))
    }

    /// Derives `leaf`'s ratchets from its lowest stored ancestor, without changing the tree.
    fn derive_leaf(
        &self,
        suite: &Suite<'_>,
        leaf: LeafIndex,
    ) -> Result<FreshLeaf, SecretTreeError> {
        let out_of_range = SecretTreeError::LeafOutOfRange {
            leaf: leaf.0,
            n_leaves: self.n_leaves,
        };
        let target = leaf
            .node()
            .filter(|node| node.in_tree(self.n_leaves))
            .ok_or(out_of_range)?;
        let path = target
            .direct_path(self.n_leaves)
            .ok_or(SecretTreeError::InvalidLeafCount(self.n_leaves))?;
        let (consumed, stored) = std::iter::once(target)
            .chain(path)
            .find_map(|node| self.nodes.get(&node).map(|secret| (node, secret)))
            .ok_or(SecretTreeError::StaleKey(leaf.0))?;
        let nh = suite.hash_len();
        let mut siblings = Vec::with_capacity(consumed.level() as usize);
        let mut node = consumed;
        let mut secret = stored.clone();
        while let (Some(left), Some(right)) = (node.left(), node.right()) {
            let left_secret = suite.expand_with_label(secret.as_bytes(), b"tree", b"left", nh)?;
            let right_secret = suite.expand_with_label(secret.as_bytes(), b"tree", b"right", nh)?;
            (node, secret) = if target < node {
                siblings.push((right, right_secret));
                (left, left_secret)
            } else {
                siblings.push((left, left_secret));
                (right, right_secret)
            };
        }
        let root = |ratchet: RatchetType| {
            suite
                .expand_with_label(secret.as_bytes(), ratchet.label(), &[], nh)
                .map(HashRatchet::new)
        };
        Ok(FreshLeaf {
            consumed,
            siblings,
            ratchets: LeafRatchets {
                handshake: root(RatchetType::Handshake)?,
                application: root(RatchetType::Application)?,
            },
        })
    }

    /// How many tree-node secrets are stored (for tests of the deletion schedule).
    #[cfg(test)]
    fn stored_nodes(&self) -> usize {
        self.nodes.len()
    }
}

// ----- storage encoding ---------------------------------------------------------------------
//
// A secret tree is part of a stored group state. The encoding lists the config, the stored
// node secrets and the leaves' ratchets in index order (so equal trees encode equally), and
// decoding checks every index against the leaf count.

impl braid_codec::Encode for SecretTree {
    fn encode(&self, out: &mut Vec<u8>) {
        self.n_leaves.encode(out);
        self.config.max_forward_distance.encode(out);
        u32::try_from(self.config.max_skipped_keys)
            .unwrap_or(u32::MAX)
            .encode(out);
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_unstable_by_key(|(node, _)| **node);
        (nodes.len() as u32).encode(out);
        for (node, secret) in nodes {
            node.encode(out);
            secret.as_bytes().encode(out);
        }
        let mut leaves: Vec<_> = self.leaves.iter().collect();
        leaves.sort_unstable_by_key(|(leaf, _)| **leaf);
        (leaves.len() as u32).encode(out);
        for (leaf, ratchets) in leaves {
            leaf.encode(out);
            ratchets.handshake.encode(out);
            ratchets.application.encode(out);
        }
    }
}

impl braid_codec::Encode for HashRatchet {
    fn encode(&self, out: &mut Vec<u8>) {
        self.next_generation.encode(out);
        self.secret.as_bytes().encode(out);
        (self.skipped.len() as u32).encode(out);
        for (generation, key) in &self.skipped {
            generation.encode(out);
            key.key.as_bytes().encode(out);
            key.nonce.as_bytes().encode(out);
        }
    }
}

fn decode_secret(reader: &mut braid_codec::Reader<'_>) -> Result<Secret, braid_codec::Error> {
    reader.opaque().map(Secret::from_slice)
}

impl braid_codec::Decode for HashRatchet {
    fn decode(reader: &mut braid_codec::Reader<'_>) -> Result<Self, braid_codec::Error> {
        let next_generation = u32::decode(reader)?;
        let secret = decode_secret(reader)?;
        let mut skipped = VecDeque::new();
        for _ in 0..u32::decode(reader)? {
            let generation = u32::decode(reader)?;
            if generation >= next_generation {
                return Err(braid_codec::Error::Malformed(
                    "skipped generation not below the next one",
                ));
            }
            let key = KeyAndNonce {
                key: decode_secret(reader)?,
                nonce: decode_secret(reader)?,
            };
            skipped.push_back((generation, key));
        }
        Ok(Self {
            next_generation,
            secret,
            skipped,
        })
    }
}

impl braid_codec::Decode for SecretTree {
    fn decode(reader: &mut braid_codec::Reader<'_>) -> Result<Self, braid_codec::Error> {
        let n_leaves = u32::decode(reader)?;
        let width = tree_math::node_width(n_leaves)
            .filter(|_| tree_math::is_valid_leaf_count(n_leaves))
            .ok_or(braid_codec::Error::Malformed("secret tree leaf count"))?;
        let config = SecretTreeConfig {
            max_forward_distance: u32::decode(reader)?,
            max_skipped_keys: u32::decode(reader)? as usize,
        };
        let mut nodes = HashMap::new();
        for _ in 0..u32::decode(reader)? {
            let node = NodeIndex::decode(reader)?;
            if node.0 >= width || nodes.insert(node, decode_secret(reader)?).is_some() {
                return Err(braid_codec::Error::Malformed("secret tree node"));
            }
        }
        let mut leaves = HashMap::new();
        for _ in 0..u32::decode(reader)? {
            let leaf = LeafIndex::decode(reader)?;
            let ratchets = LeafRatchets {
                handshake: HashRatchet::decode(reader)?,
                application: HashRatchet::decode(reader)?,
            };
            if leaf.0 >= n_leaves || leaves.insert(leaf, ratchets).is_some() {
                return Err(braid_codec::Error::Malformed("secret tree leaf"));
            }
        }
        Ok(Self {
            n_leaves,
            nodes,
            leaves,
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::test_suite;
    use braid_crypto::CipherSuite;

    const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

    fn tree(n_leaves: u32, config: SecretTreeConfig) -> SecretTree {
        SecretTree::new(Secret::new(vec![5; 32]), n_leaves, config).unwrap()
    }

    /// The key by the formulas of §9 and §9.1, eagerly, from the root down.
    fn reference_key(
        suite: &Suite<'_>,
        n_leaves: u32,
        leaf: u32,
        ratchet: RatchetType,
        generation: u32,
    ) -> KeyAndNonce {
        let target = LeafIndex(leaf).node().unwrap();
        let mut node = tree_math::root(n_leaves).unwrap();
        let mut secret = Secret::new(vec![5; 32]);
        while node != target {
            let (side, child) = if target < node {
                (&b"left"[..], node.left().unwrap())
            } else {
                (&b"right"[..], node.right().unwrap())
            };
            secret = suite
                .expand_with_label(secret.as_bytes(), b"tree", side, 32)
                .unwrap();
            node = child;
        }
        let mut secret = suite
            .expand_with_label(secret.as_bytes(), ratchet.label(), &[], 32)
            .unwrap();
        for g in 0..generation {
            secret = suite
                .derive_tree_secret(secret.as_bytes(), b"secret", g, 32)
                .unwrap();
        }
        KeyAndNonce {
            key: suite
                .derive_tree_secret(secret.as_bytes(), b"key", generation, 16)
                .unwrap(),
            nonce: suite
                .derive_tree_secret(secret.as_bytes(), b"nonce", generation, 12)
                .unwrap(),
        }
    }

    #[test]
    fn lazy_tree_matches_the_eager_definition_in_any_order() {
        let suite = test_suite(CS);
        let mut tree = tree(8, SecretTreeConfig::default());
        for (leaf, ratchet, generation) in [
            (5, RatchetType::Application, 3),
            (4, RatchetType::Handshake, 0),
            (0, RatchetType::Application, 0),
            (7, RatchetType::Application, 1),
            (5, RatchetType::Handshake, 2),
            (5, RatchetType::Application, 1),
            (1, RatchetType::Application, 9),
        ] {
            let key = tree
                .ratchet_key_pair(&suite, LeafIndex(leaf), ratchet, generation)
                .unwrap();
            assert_eq!(key, reference_key(&suite, 8, leaf, ratchet, generation));
        }
    }

    #[test]
    fn consumed_secrets_are_deleted() {
        let suite = test_suite(CS);
        let mut tree = tree(4, SecretTreeConfig::default());
        assert_eq!(tree.stored_nodes(), 1);
        tree.ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Application, 1)
            .unwrap();
        // Root G and F consumed; E (node 1) and C (node 4) kept; D's secret consumed.
        assert_eq!(tree.stored_nodes(), 2);
        let again = tree.ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Application, 1);
        assert!(matches!(
            again,
            Err(SecretTreeError::GenerationConsumed { generation: 1, .. })
        ));
        // K0 is kept for out-of-order delivery, once.
        tree.ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Application, 0)
            .unwrap();
        assert!(tree
            .ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Application, 0)
            .is_err());
        // The handshake ratchet is independent.
        tree.ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Handshake, 0)
            .unwrap();
        for leaf in 0..3 {
            tree.ratchet_key_pair(&suite, LeafIndex(leaf), RatchetType::Handshake, 0)
                .unwrap();
        }
        assert_eq!(tree.stored_nodes(), 0);
    }

    #[test]
    fn window_limits() {
        let suite = test_suite(CS);
        let config = SecretTreeConfig {
            max_forward_distance: 10,
            max_skipped_keys: 3,
        };
        let mut tree = tree(2, config);
        let too_far = tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 11);
        assert!(matches!(
            too_far,
            Err(SecretTreeError::TooFarAhead {
                next: 0,
                max: 10,
                ..
            })
        ));
        tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 10)
            .unwrap();
        // Generations 7, 8, 9 are kept; 6 and before are gone.
        assert!(tree
            .ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 6)
            .is_err());
        for g in [9, 7, 8] {
            let key = tree
                .ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, g)
                .unwrap();
            assert_eq!(
                key,
                reference_key(&suite, 2, 0, RatchetType::Application, g)
            );
        }
        assert_eq!(
            tree.next_generation(LeafIndex(0), RatchetType::Application),
            11
        );
        // A later jump evicts the oldest stored keys first.
        tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 13)
            .unwrap();
        tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 16)
            .unwrap();
        assert!(tree
            .ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, 11)
            .is_err());
        for g in [12, 14, 15] {
            tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Application, g)
                .unwrap();
        }
    }

    #[test]
    fn prepare_changes_nothing_until_committed() {
        let suite = test_suite(CS);
        let mut tree = tree(4, SecretTreeConfig::default());
        let first = tree
            .prepare_key(&suite, LeafIndex(2), RatchetType::Handshake, 4)
            .unwrap();
        // Dropping a prepared key (a message that failed to authenticate) leaves all as is.
        let second = tree
            .prepare_key(&suite, LeafIndex(2), RatchetType::Handshake, 4)
            .unwrap();
        assert_eq!(first.key(), second.key());
        assert_eq!(tree.stored_nodes(), 1);
        drop(first);
        let key = tree.commit_key(second).unwrap();
        assert_eq!(key, reference_key(&suite, 4, 2, RatchetType::Handshake, 4));
        // Two keys prepared against the same state: the second is stale once the first lands.
        let a = tree
            .prepare_key(&suite, LeafIndex(2), RatchetType::Handshake, 5)
            .unwrap();
        let b = tree
            .prepare_key(&suite, LeafIndex(2), RatchetType::Handshake, 6)
            .unwrap();
        tree.commit_key(a).unwrap();
        assert_eq!(
            tree.commit_key(b).unwrap_err(),
            SecretTreeError::StaleKey(2)
        );
        let mut tree = self::tree(4, SecretTreeConfig::default());
        let c = tree
            .prepare_key(&suite, LeafIndex(3), RatchetType::Handshake, 0)
            .unwrap();
        let d = tree
            .prepare_key(&suite, LeafIndex(0), RatchetType::Handshake, 0)
            .unwrap();
        tree.commit_key(c).unwrap();
        // Leaf 0 was prepared from the root, which leaf 3's derivation consumed.
        assert_eq!(
            tree.commit_key(d).unwrap_err(),
            SecretTreeError::StaleKey(0)
        );
        tree.ratchet_key_pair(&suite, LeafIndex(0), RatchetType::Handshake, 0)
            .unwrap();
    }

    #[test]
    fn sender_uses_consecutive_generations() {
        let suite = test_suite(CS);
        let mut tree = tree(1, SecretTreeConfig::default());
        for expected in 0..3 {
            let (generation, key) = tree
                .next_key(&suite, LeafIndex(0), RatchetType::Application)
                .unwrap();
            assert_eq!(generation, expected);
            assert_eq!(
                key,
                reference_key(&suite, 1, 0, RatchetType::Application, expected)
            );
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let suite = test_suite(CS);
        assert_eq!(
            SecretTree::new(Secret::default(), 6, SecretTreeConfig::default()).unwrap_err(),
            SecretTreeError::InvalidLeafCount(6)
        );
        let mut tree = tree(4, SecretTreeConfig::default());
        for leaf in [4, u32::MAX] {
            assert_eq!(
                tree.ratchet_key_pair(&suite, LeafIndex(leaf), RatchetType::Handshake, 0)
                    .unwrap_err(),
                SecretTreeError::LeafOutOfRange { leaf, n_leaves: 4 }
            );
        }
        // The last uint32 generation has no successor secret.
        let ratchet = HashRatchet {
            next_generation: u32::MAX,
            secret: Secret::new(vec![1; 32]),
            skipped: VecDeque::new(),
        };
        let at = (LeafIndex(0), RatchetType::Handshake);
        assert!(matches!(
            ratchet.prepare(&suite, tree.config(), at, u32::MAX),
            Err(SecretTreeError::RatchetExhausted { leaf: 0, .. })
        ));
    }

    #[test]
    fn sender_data_sample() {
        let suite = test_suite(CS);
        let secret = [9u8; 32];
        let long: Vec<u8> = (0..40).collect();
        let full = sender_data_key_and_nonce(&suite, &secret, &long).unwrap();
        assert_eq!(full, suite.key_and_nonce(&secret, &long[..32]).unwrap());
        let short = sender_data_key_and_nonce(&suite, &secret, &long[..5]).unwrap();
        assert_eq!(short, suite.key_and_nonce(&secret, &long[..5]).unwrap());
        assert_eq!((full.key.len(), full.nonce.len()), (16, 12));
    }

    #[test]
    fn storage_encoding_round_trips() {
        use braid_codec::{Decode, Encode};
        let suite = test_suite(CS);
        let mut tree = tree(8, SecretTreeConfig::default());
        tree.ratchet_key_pair(&suite, LeafIndex(3), RatchetType::Application, 4)
            .unwrap();
        tree.ratchet_key_pair(&suite, LeafIndex(5), RatchetType::Handshake, 0)
            .unwrap();
        let bytes = tree.to_bytes();
        let mut restored = SecretTree::from_bytes(&bytes).unwrap();
        assert_eq!(restored.to_bytes(), bytes);
        // The restored tree gives the same keys, skipped ones included.
        for (leaf, generation) in [(3, 2), (3, 5), (6, 0)] {
            assert_eq!(
                restored
                    .ratchet_key_pair(
                        &suite,
                        LeafIndex(leaf),
                        RatchetType::Application,
                        generation
                    )
                    .unwrap(),
                tree.ratchet_key_pair(
                    &suite,
                    LeafIndex(leaf),
                    RatchetType::Application,
                    generation
                )
                .unwrap()
            );
        }
        assert!(SecretTree::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut bad = bytes.clone();
        bad[3] = 3; // 3 leaves: not a power of two
        assert!(SecretTree::from_bytes(&bad).is_err());
    }
}
