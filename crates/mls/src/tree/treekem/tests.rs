//! Tests of TreeKEM: groups simulated with real keys, where every commit's UpdatePath must be
//! decrypted by every other member to the same commit secret; tampered paths that must be
//! rejected without changing the tree; and the resolution counting against the tree's
//! resolutions.

use std::collections::BTreeMap;

use braid_codec::Encode;
use braid_crypto::{CipherSuite, SignatureKeyPair};
use braid_provider::DefaultProvider;
use proptest::prelude::*;

use super::*;
use crate::extensions::Extensions;
use crate::group_context::ProtocolVersion;
use crate::messages::{Capabilities, Credential, CredentialType, Lifetime};

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const PROVIDER: DefaultProvider = DefaultProvider::new();
const GROUP_ID: &[u8] = b"treekem tests";

fn suite() -> Suite<'static> {
    Suite::new(&PROVIDER, SUITE).unwrap()
}

/// Signs `leaf` over `LeafNodeTBS` (with the group and leaf index for update/commit leaves).
fn sign(leaf: &mut LeafNode, signer: &SignatureKeyPair, position: Option<LeafIndex>) {
    let tbs = leaf
        .tbs(position.map(|l| (GROUP_ID, l)))
        .unwrap()
        .to_bytes();
    leaf.signature = suite()
        .sign_with_label(signer.private_key.as_bytes(), LEAF_NODE_TBS_LABEL, &tbs)
        .unwrap();
}

/// A member: its signature key and private tree state.
struct Member {
    signer: SignatureKeyPair,
    keys: TreePrivateKeys,
}

/// A group whose members all share one view of the tree.
struct Sim {
    tree: RatchetTree,
    members: BTreeMap<LeafIndex, Member>,
    epoch: u64,
    next_id: u32,
}

impl Sim {
    fn new() -> Self {
        let (leaf, signer, key_pair) = Self::key_package_leaf(0);
        let keys = TreePrivateKeys::new(LeafIndex(0), key_pair).unwrap();
        let mut members = BTreeMap::new();
        members.insert(LeafIndex(0), Member { signer, keys });
        Self {
            tree: RatchetTree::new(leaf),
            members,
            epoch: 0,
            next_id: 1,
        }
    }

    /// A new member's KeyPackage leaf, signature key and encryption key pair.
    fn key_package_leaf(id: u32) -> (LeafNode, SignatureKeyPair, KemKeyPair) {
        let suite = suite();
        let signer = suite.generate_signature_key_pair().unwrap();
        let key_pair = suite.generate_kem_key_pair().unwrap();
        let mut leaf = LeafNode {
            encryption_key: key_pair.public_key.clone().into(),
            signature_key: signer.public_key.clone().into(),
            credential: Credential::basic(format!("member {id}")),
            capabilities: Capabilities {
                versions: vec![ProtocolVersion::MLS10],
                cipher_suites: vec![SUITE],
                extensions: vec![],
                proposals: vec![],
                credentials: vec![CredentialType::BASIC],
            }
            .into(),
            leaf_node_source: LeafNodeSource::KeyPackage {
                lifetime: Lifetime {
                    not_before: 0,
                    not_after: u64::MAX,
                },
            },
            extensions: Extensions::new(),
            signature: vec![],
        };
        sign(&mut leaf, &signer, None);
        (leaf, signer, key_pair)
    }

    fn context(&self) -> GroupContext {
        GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: SUITE,
            group_id: GROUP_ID.to_vec(),
            epoch: self.epoch + 1,
            tree_hash: vec![],
            confirmed_transcript_hash: vec![7; 32],
            extensions: Extensions::new(),
        }
    }

    fn add(&mut self) -> LeafIndex {
        let (leaf_node, signer, key_pair) = Self::key_package_leaf(self.next_id);
        self.next_id += 1;
        let leaf = self.tree.add_leaf(leaf_node).unwrap();
        let keys = TreePrivateKeys::new(leaf, key_pair).unwrap();
        self.members.insert(leaf, Member { signer, keys });
        leaf
    }

    fn remove(&mut self, leaf: LeafIndex) {
        self.tree.remove_leaf(leaf).unwrap();
        self.members.remove(&leaf);
        self.prune_all();
    }

    fn update(&mut self, leaf: LeafIndex) {
        let suite = suite();
        let key_pair = suite.generate_kem_key_pair().unwrap();
        let member = self.members.get_mut(&leaf).unwrap();
        let mut leaf_node = self.tree.leaf(leaf).unwrap().clone();
        leaf_node.encryption_key = key_pair.public_key.clone().into();
        leaf_node.leaf_node_source = LeafNodeSource::Update;
        sign(&mut leaf_node, &member.signer, Some(leaf));
        self.tree.update_leaf(leaf, leaf_node).unwrap();
        member.keys = TreePrivateKeys::new(leaf, key_pair).unwrap();
        self.prune_all();
    }

    fn prune_all(&mut self) {
        for member in self.members.values_mut() {
            member.keys.prune(&self.tree);
        }
    }

    fn params<'a>(
        &'a self,
        sender: LeafIndex,
        context: &'a GroupContext,
        added: &'a [LeafIndex],
    ) -> UpdatePathParams<'a> {
        UpdatePathParams {
            sender,
            leaf_node: self.tree.leaf(sender).unwrap().clone(),
            signature_private_key: self.members[&sender].signer.private_key.as_bytes(),
            group_context: context,
            added_leaves: added,
        }
    }

    /// A Commit by `sender` adding `adds` members, with an UpdatePath that every other
    /// member applies to its own copy of the tree and every new member joins from.
    fn commit(&mut self, sender: LeafIndex, adds: usize) -> Secret {
        let suite = suite();
        let old_members: Vec<LeafIndex> = self
            .members
            .keys()
            .copied()
            .filter(|&l| l != sender)
            .collect();
        let added: Vec<LeafIndex> = (0..adds).map(|_| self.add()).collect();
        let before = self.tree.clone();
        let context = self.context();
        let params = self.params(sender, &context, &added);
        let mut tree = self.tree.clone();
        let created = create_update_path(&suite, &mut tree, params).unwrap();
        self.tree = tree;
        created.private_keys.verify(&self.tree).unwrap();
        assert_eq!(
            created.group_context.tree_hash,
            self.tree.tree_hash(&suite).unwrap()
        );

        for receiver in old_members {
            let member = &self.members[&receiver];
            let mut tree = before.clone();
            let received = ReceivedUpdatePath {
                sender,
                update_path: &created.update_path,
                group_context: &context,
                added_leaves: &added,
                leaf_validation: LeafValidationContext::default(),
            };
            let applied = apply_update_path(&suite, &mut tree, &member.keys, received).unwrap();
            assert_eq!(tree, self.tree, "receiver {receiver:?} merged another tree");
            assert_eq!(applied.group_context, created.group_context);
            assert_eq!(
                applied.commit_secret, created.commit_secret,
                "receiver {receiver:?}"
            );
            let (node, secret) = created.path_secret_for(receiver).unwrap();
            assert_eq!(
                (applied.decrypted_node, &applied.path_secret),
                (node, secret)
            );
            applied.private_keys.verify(&tree).unwrap();
            self.members.get_mut(&receiver).unwrap().keys = applied.private_keys;
        }
        for joiner in added {
            let (node, secret) = created.path_secret_for(joiner).unwrap();
            let keys = &mut self.members.get_mut(&joiner).unwrap().keys;
            let commit_secret = keys
                .add_path_secret(&suite, &self.tree, node, secret.clone())
                .unwrap();
            assert_eq!(commit_secret, created.commit_secret);
            keys.verify(&self.tree).unwrap();
        }
        self.members.get_mut(&sender).unwrap().keys = created.private_keys;
        self.epoch += 1;
        self.check_invariant();
        created.commit_secret
    }

    /// The tree invariant (§4.2): each member holds exactly the current keys of its leaf and
    /// of the non-blank nodes of its direct path, except those where it is unmerged.
    fn check_invariant(&self) {
        let n = self.tree.leaf_count();
        for (&leaf, member) in &self.members {
            member.keys.verify(&self.tree).unwrap();
            let expected: Vec<NodeIndex> = std::iter::once(leaf.node().unwrap())
                .chain(leaf.node().unwrap().direct_path(n).unwrap().filter(|&p| {
                    self.tree
                        .parent(p)
                        .is_some_and(|p| !p.unmerged_leaves.contains(&leaf))
                }))
                .collect();
            assert_eq!(
                member.keys.nodes().collect::<Vec<_>>(),
                expected,
                "keys of {leaf:?}"
            );
        }
    }

    fn pick(&self, k: usize) -> LeafIndex {
        *self.members.keys().nth(k % self.members.len()).unwrap()
    }
}

/// A group of `size` members where member 0 committed last, so every receiver decrypts.
fn group(size: usize) -> Sim {
    let mut sim = Sim::new();
    for _ in 1..size {
        sim.add();
    }
    sim.commit(LeafIndex(0), 0);
    sim
}

#[test]
fn every_member_derives_the_commit_secret() {
    let mut sim = group(5);
    let first = sim.commit(LeafIndex(3), 0);
    let second = sim.commit(LeafIndex(1), 2);
    assert_ne!(first, second);
    assert_eq!(sim.tree.member_count(), 7);
    // After commits by 0, 3 and 1 the whole path of the early members is known.
    sim.commit(LeafIndex(6), 0);
}

#[test]
fn single_member_commit_has_an_empty_path() {
    let mut sim = Sim::new();
    let secret = sim.commit(LeafIndex(0), 0);
    assert_eq!(secret.len(), 32);
    // The committer's tree holds its new leaf, with an empty parent hash.
    let leaf = sim.tree.leaf(LeafIndex(0)).unwrap();
    assert_eq!(
        leaf.leaf_node_source,
        LeafNodeSource::Commit {
            parent_hash: vec![]
        }
    );
}

#[test]
fn path_secrets_are_encrypted_to_each_resolution_without_added_leaves() {
    let mut sim = group(4);
    sim.remove(LeafIndex(2));
    let joiner = sim.add();
    assert_eq!(joiner, LeafIndex(2));
    let suite = suite();
    let context = sim.context();
    let mut tree = sim.tree.clone();
    let created = create_update_path(
        &suite,
        &mut tree,
        sim.params(LeafIndex(0), &context, &[joiner]),
    )
    .unwrap();
    // Leaf 0's filtered direct path: node 1 (copath: leaf 1) and node 3 (copath: node 5,
    // blank, whose resolution is leaves 2 and 3 with 2 excluded).
    let counts: Vec<usize> = created
        .update_path
        .nodes
        .iter()
        .map(|node| node.encrypted_path_secret.len())
        .collect();
    assert_eq!(counts, [1, 1]);
    assert_eq!(created.path_secrets().len(), 2);
    assert_eq!(
        created.path_secret_for(joiner).map(|(node, _)| node),
        Some(NodeIndex(3))
    );
}

/// A group of 6 after commits, an UpdatePath from `sender` and the tree it applies to.
struct Tampering {
    sim: Sim,
    before: RatchetTree,
    context: GroupContext,
    created: CreatedUpdatePath,
    sender: LeafIndex,
}

impl Tampering {
    fn new(sender: LeafIndex) -> Self {
        let mut sim = group(6);
        sim.commit(LeafIndex(5), 0);
        let mut before = sim.tree.clone();
        before.tree_hash(&suite()).unwrap();
        let context = sim.context();
        let mut tree = sim.tree.clone();
        let created =
            create_update_path(&suite(), &mut tree, sim.params(sender, &context, &[])).unwrap();
        Self {
            sim,
            before,
            context,
            created,
            sender,
        }
    }

    /// Applies `path` at `receiver` and checks that a failure leaves the tree as it was.
    fn apply(
        &self,
        receiver: LeafIndex,
        path: &UpdatePath,
    ) -> Result<AppliedUpdatePath, TreeKemError> {
        let suite = suite();
        let mut tree = self.before.clone();
        let received = ReceivedUpdatePath {
            sender: self.sender,
            update_path: path,
            group_context: &self.context,
            added_leaves: &[],
            leaf_validation: LeafValidationContext::default(),
        };
        let result = apply_update_path(
            &suite,
            &mut tree,
            &self.sim.members[&receiver].keys,
            received,
        );
        if result.is_err() {
            assert_eq!(tree, self.before);
            assert_eq!(
                tree.tree_hash(&suite).unwrap(),
                self.before.clone().tree_hash(&suite).unwrap()
            );
            for node in (0..tree.node_width()).map(NodeIndex) {
                if let Some(key) = tree.encryption_key(node) {
                    assert_eq!(tree.find_encryption_key(key), Some(node));
                }
            }
        }
        result
    }

    fn resign(&self, path: &mut UpdatePath) {
        sign(
            &mut path.leaf_node,
            &self.sim.members[&self.sender].signer,
            Some(self.sender),
        );
    }

    /// Makes `path` consistent with its (tampered) public keys, as a malicious sender
    /// would: the leaf's parent hash and signature, and the path secrets encrypted under
    /// the resulting tree hash.
    fn make_consistent(&self, path: &mut UpdatePath) {
        let suite = suite();
        let mut tree = self.before.clone();
        let keys: Vec<HpkePublicKey> = path
            .nodes
            .iter()
            .map(|n| n.encryption_key.clone())
            .collect();
        let parent_hash = tree.merge_update_path(&suite, self.sender, &keys).unwrap();
        path.leaf_node.leaf_node_source = LeafNodeSource::Commit { parent_hash };
        self.resign(path);
        tree.set_leaf(self.sender, path.leaf_node.clone()).unwrap();
        let context = GroupContext {
            tree_hash: tree.tree_hash(&suite).unwrap(),
            ..self.context.clone()
        }
        .to_bytes();
        let steps = tree.filtered_direct_path(self.sender).unwrap();
        for ((step, node), (_, secret)) in steps
            .iter()
            .zip(&mut path.nodes)
            .zip(self.created.path_secrets())
        {
            node.encrypted_path_secret = tree
                .resolution(step.copath_child)
                .into_iter()
                .map(|r| {
                    let key = tree.encryption_key(r).unwrap();
                    suite
                        .encrypt_with_label(
                            key,
                            UPDATE_PATH_NODE_LABEL,
                            &context,
                            secret.as_bytes(),
                        )
                        .unwrap()
                })
                .collect();
        }
    }
}

#[test]
fn untampered_path_applies() {
    let t = Tampering::new(LeafIndex(1));
    for receiver in [0, 2, 3, 4, 5].map(LeafIndex) {
        let applied = t.apply(receiver, &t.created.update_path).unwrap();
        assert_eq!(applied.commit_secret, t.created.commit_secret);
    }
}

#[test]
fn wrong_path_length_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    path.nodes.pop();
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::WrongPathLength {
            expected: 3,
            actual: 2
        }
    );
}

#[test]
fn wrong_ciphertext_count_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    // Node 3's copath child, node 5, is blank: its resolution is leaves 2 and 3.
    path.nodes[1]
        .encrypted_path_secret
        .push(HpkeCiphertext::default());
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::WrongCiphertextCount {
            node: NodeIndex(3),
            expected: 2,
            actual: 3
        }
    );
}

#[test]
fn bad_leaf_parent_hash_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    path.leaf_node.leaf_node_source = LeafNodeSource::Commit {
        parent_hash: vec![0; 32],
    };
    t.resign(&mut path);
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::BadParentHash { leaf: LeafIndex(1) }
    );
}

#[test]
fn bad_leaf_signature_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    path.leaf_node.signature[0] ^= 1;
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::InvalidLeafNode(LeafNodeError::BadSignature)
    );
}

#[test]
fn reused_leaf_encryption_key_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    path.leaf_node.encryption_key = t.before.leaf(LeafIndex(1)).unwrap().encryption_key.clone();
    t.resign(&mut path);
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::InvalidLeafNode(LeafNodeError::EncryptionKeyNotChanged)
    );
}

#[test]
fn path_key_already_in_tree_is_rejected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    path.nodes[2].encryption_key = t.before.leaf(LeafIndex(4)).unwrap().encryption_key.clone();
    assert!(matches!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::Tree(TreeError::DuplicateEncryptionKey { .. })
    ));
}

#[test]
fn corrupted_ciphertext_fails_to_decrypt() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    // Leaf 0 decrypts the path secret of node 1 with its leaf key.
    path.nodes[0].encrypted_path_secret[0].ciphertext[0] ^= 1;
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::DecryptionFailed { node: NodeIndex(0) }
    );
    // Leaf 4 decrypts node 7's path secret with node 9's key (node 11 is blank).
    assert!(t.apply(LeafIndex(4), &path).is_ok());
}

#[test]
fn wrong_public_key_above_the_decrypted_node_is_detected() {
    let t = Tampering::new(LeafIndex(1));
    let mut path = t.created.update_path.clone();
    // A valid key no one derives: the root's key is swapped.
    let suite = suite();
    path.nodes[2].encryption_key = suite.generate_kem_key_pair().unwrap().public_key.into();
    // The leaf's parent hash covers the root's key.
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::BadParentHash { leaf: LeafIndex(1) }
    );
    // A sender that makes everything else consistent with the wrong key is caught by the
    // derivation: leaf 0 decrypts node 1's secret and derives nodes 3 and 7, whose key differs.
    t.make_consistent(&mut path);
    assert_eq!(
        t.apply(LeafIndex(0), &path).unwrap_err(),
        TreeKemError::PublicKeyMismatch { node: NodeIndex(7) }
    );
    // Leaf 4 decrypts the root's secret directly: the derived key is not the path's.
    assert_eq!(
        t.apply(LeafIndex(4), &path).unwrap_err(),
        TreeKemError::PublicKeyMismatch { node: NodeIndex(7) }
    );
}

#[test]
fn path_secret_under_the_wrong_context_does_not_decrypt() {
    let mut t = Tampering::new(LeafIndex(1));
    t.context.epoch += 1;
    assert_eq!(
        t.apply(LeafIndex(3), &t.created.update_path).unwrap_err(),
        TreeKemError::DecryptionFailed { node: NodeIndex(6) }
    );
}

#[test]
fn own_path_and_missing_keys_are_rejected() {
    let t = Tampering::new(LeafIndex(1));
    assert_eq!(
        t.apply(LeafIndex(1), &t.created.update_path).unwrap_err(),
        TreeKemError::OwnUpdatePath(LeafIndex(1))
    );
    // Leaf 4 with a wrong key for node 9, where the root's path secret went (node 11, the
    // root's copath child, is blank), cannot decrypt it.
    let suite = suite();
    let mut keys = t.sim.members[&LeafIndex(4)].keys.clone();
    keys.insert_path_secret(&suite, NodeIndex(9), &[9; 32])
        .unwrap();
    assert_eq!(
        keys.verify(&t.before),
        Err(TreeKemError::StalePrivateKey { node: NodeIndex(9) })
    );
    let mut tree = t.before.clone();
    let received = ReceivedUpdatePath {
        sender: t.sender,
        update_path: &t.created.update_path,
        group_context: &t.context,
        added_leaves: &[],
        leaf_validation: LeafValidationContext::default(),
    };
    assert_eq!(
        apply_update_path(&suite, &mut tree, &keys, received).unwrap_err(),
        TreeKemError::NoDecryptableNode {
            receiver: LeafIndex(4),
            node: Some(NodeIndex(7))
        }
    );
    keys.prune(&t.before);
    assert_eq!(
        keys.nodes().collect::<Vec<_>>(),
        [NodeIndex(8), NodeIndex(7)]
    );
}

#[test]
fn path_secrets_only_go_to_the_direct_path() {
    let sim = group(4);
    let mut keys = sim.members[&LeafIndex(1)].keys.clone();
    let suite = suite();
    assert_eq!(
        keys.insert_path_secret(&suite, NodeIndex(5), &[1; 32]),
        Err(TreeKemError::NotOnDirectPath {
            leaf: LeafIndex(1),
            node: NodeIndex(5)
        })
    );
    assert_eq!(
        keys.add_path_secret(&suite, &sim.tree, NodeIndex(2), Secret::zero(32)),
        Err(TreeKemError::NotOnDirectPath {
            leaf: LeafIndex(1),
            node: NodeIndex(2)
        })
    );
    // A wrong path secret for node 3 gives a key that is not node 3's.
    let before = keys.clone();
    assert_eq!(
        keys.add_path_secret(&suite, &sim.tree, NodeIndex(3), Secret::zero(32)),
        Err(TreeKemError::PublicKeyMismatch { node: NodeIndex(3) })
    );
    assert_eq!(
        keys.nodes().collect::<Vec<_>>(),
        before.nodes().collect::<Vec<_>>()
    );
}

#[test]
fn failed_create_leaves_the_tree_unchanged() {
    let sim = group(3);
    let suite = suite();
    let context = sim.context();
    let mut tree = sim.tree.clone();
    let mut params = sim.params(LeafIndex(1), &context, &[]);
    // The new leaf may not take another member's signature key.
    params.leaf_node.signature_key = sim.tree.leaf(LeafIndex(2)).unwrap().signature_key.clone();
    assert!(matches!(
        create_update_path(&suite, &mut tree, params),
        Err(TreeKemError::Tree(TreeError::DuplicateSignatureKey { .. }))
    ));
    assert_eq!(tree, sim.tree);
    assert_eq!(
        tree.tree_hash(&suite).unwrap(),
        sim.tree.clone().tree_hash(&suite).unwrap()
    );
}

#[test]
fn snapshot_restores_the_path_and_detects_conflicts() {
    let mut sim = group(5);
    let suite = suite();
    let original = sim.tree.clone();
    let hash = sim.tree.tree_hash(&suite).unwrap();
    let snapshot = sim.tree.snapshot_path(LeafIndex(2)).unwrap();
    sim.commit(LeafIndex(2), 0);
    assert_ne!(sim.tree, original);
    let mut tree = sim.tree.clone();
    tree.restore_path(snapshot.clone()).unwrap();
    assert_eq!(tree, original);
    assert_eq!(tree.tree_hash(&suite).unwrap(), hash);
    let old_key = original.leaf(LeafIndex(2)).unwrap().encryption_key.clone();
    assert_eq!(tree.find_encryption_key(&old_key), Some(NodeIndex(4)));

    // After the tree grew, the snapshot no longer fits.
    let mut grown = sim.tree.clone();
    for id in 100..104 {
        grown.add_leaf(Sim::key_package_leaf(id).0).unwrap();
    }
    assert_eq!(
        grown.restore_path(snapshot).unwrap_err(),
        TreeKemError::SnapshotConflict {
            leaf: LeafIndex(2),
            node: None
        }
    );
}

#[test]
fn external_joiner_takes_a_blank_leaf_with_its_path() {
    let mut sim = group(3);
    let suite = suite();
    let joiner = LeafIndex(3);
    assert!(sim.tree.leaf(joiner).is_none());
    let (leaf_node, signer, _) = Sim::key_package_leaf(99);
    let context = sim.context();
    let before = sim.tree.clone();
    let mut tree = sim.tree.clone();
    let params = UpdatePathParams {
        sender: joiner,
        leaf_node,
        signature_private_key: signer.private_key.as_bytes(),
        group_context: &context,
        added_leaves: &[],
    };
    let created = create_update_path(&suite, &mut tree, params).unwrap();
    assert_eq!(created.update_path.nodes.len(), 2);
    for (&receiver, member) in &mut sim.members {
        let mut theirs = before.clone();
        let received = ReceivedUpdatePath {
            sender: joiner,
            update_path: &created.update_path,
            group_context: &context,
            added_leaves: &[],
            leaf_validation: LeafValidationContext::default(),
        };
        let applied = apply_update_path(&suite, &mut theirs, &member.keys, received).unwrap();
        assert_eq!(
            applied.commit_secret, created.commit_secret,
            "receiver {receiver:?}"
        );
        assert_eq!(theirs, tree);
        member.keys = applied.private_keys;
    }
    // A joiner whose leaf's signature does not verify is rejected, and the blank leaf stays
    // blank.
    let mut path = created.update_path.clone();
    path.leaf_node.signature[0] ^= 1;
    let mut theirs = before.clone();
    let received = ReceivedUpdatePath {
        sender: joiner,
        update_path: &path,
        group_context: &context,
        added_leaves: &[],
        leaf_validation: LeafValidationContext::default(),
    };
    let keys = &sim.members[&LeafIndex(0)].keys;
    assert_eq!(
        apply_update_path(&suite, &mut theirs, keys, received).unwrap_err(),
        TreeKemError::InvalidLeafNode(LeafNodeError::BadSignature)
    );
    assert_eq!(theirs, before);
    sim.tree = tree;
    sim.members.insert(
        joiner,
        Member {
            signer,
            keys: created.private_keys,
        },
    );
    sim.prune_all();
    sim.check_invariant();
}

#[test]
fn large_group_encrypts_in_parallel_and_agrees() {
    // 20 members, then a commit from a member whose copath resolutions hold many leaves.
    let mut sim = Sim::new();
    for _ in 0..19 {
        sim.add();
    }
    sim.commit(LeafIndex(7), 0);
    sim.commit(LeafIndex(12), 3);
}

#[derive(Debug, Clone)]
enum Op {
    Add,
    Remove(usize),
    Update(usize),
    Commit(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Add),
        1 => any::<usize>().prop_map(Op::Remove),
        1 => any::<usize>().prop_map(Op::Update),
        3 => (any::<usize>(), 0usize..3).prop_map(|(k, adds)| Op::Commit(k, adds)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random groups: every UpdatePath is decrypted by every other member (and every new
    /// member joins from its path secret) to the committer's commit secret, and the counted
    /// resolution sizes equal the tree's resolutions, with and without excluded leaves.
    #[test]
    fn random_groups_agree(ops in proptest::collection::vec(op(), 1..20), mask in any::<u32>()) {
        let mut sim = Sim::new();
        for op in ops {
            match op {
                Op::Add => {
                    sim.add();
                }
                Op::Remove(k) if sim.members.len() > 1 => sim.remove(sim.pick(k)),
                Op::Update(k) => sim.update(sim.pick(k)),
                Op::Commit(k, adds) => {
                    sim.commit(sim.pick(k), adds);
                }
                Op::Remove(_) => {}
            }
            sim.check_invariant();
            let excluded: Vec<LeafIndex> =
                sim.members.keys().copied().filter(|l| mask >> (l.0 % 32) & 1 == 1).collect();
            for node in (0..sim.tree.node_width()).map(NodeIndex) {
                let size = sim.tree.resolution(node).len();
                prop_assert_eq!(sim.tree.resolution_size(node, &[]), size);
                prop_assert_eq!(
                    sim.tree.resolution_size(node, &excluded),
                    sim.tree.resolution_excluding(node, &excluded).len()
                );
            }
        }
    }
}

#[test]
fn private_state_rebuilds_from_its_key_pairs() {
    let mut sim = group(6);
    sim.commit(LeafIndex(5), 0);
    let keys = &sim.members[&LeafIndex(4)].keys;
    let leaf = LeafIndex(4).node().unwrap();
    let mut rebuilt =
        TreePrivateKeys::new(LeafIndex(4), keys.key_pair(leaf).unwrap().clone()).unwrap();
    for node in keys.nodes().filter(|&n| n != leaf) {
        rebuilt
            .insert_key_pair(node, keys.key_pair(node).unwrap().clone())
            .unwrap();
    }
    rebuilt.verify(&sim.tree).unwrap();
    assert_eq!(
        rebuilt.nodes().collect::<Vec<_>>(),
        keys.nodes().collect::<Vec<_>>()
    );
    // The leaf's own node is not a parent on its path.
    let pair = keys.key_pair(leaf).unwrap().clone();
    assert_eq!(
        rebuilt.insert_key_pair(leaf, pair),
        Err(TreeKemError::NotOnDirectPath {
            leaf: LeafIndex(4),
            node: leaf
        })
    );
}
