//! Tests of the ratchet tree: the RFC's examples, groups built with real signatures and then
//! tampered with, and property tests of the caches against from-scratch computations.

use braid_codec::{Decode, Encode};
use braid_crypto::{CipherSuite, SignatureKeyPair};
use braid_provider::DefaultProvider;
use proptest::prelude::*;

use super::*;
use crate::extensions::{Extension, ExtensionType, Extensions};
use crate::group_context::ProtocolVersion;
use crate::messages::{
    Capabilities, Credential, CredentialType, LeafNodeSource, Lifetime, ProposalType,
    RequiredCapabilities,
};

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const PROVIDER: DefaultProvider = DefaultProvider::new();
const GROUP_ID: &[u8] = b"tree tests";

fn suite() -> Suite<'static> {
    Suite::new(&PROVIDER, SUITE).unwrap()
}

fn capabilities() -> Capabilities {
    Capabilities {
        versions: vec![ProtocolVersion::MLS10],
        cipher_suites: vec![SUITE],
        extensions: vec![],
        proposals: vec![],
        credentials: vec![CredentialType::BASIC],
    }
}

/// An unsigned leaf with keys derived from `id` (for tests that do not check signatures).
fn fake_leaf(id: u32, source: LeafNodeSource) -> LeafNode {
    LeafNode {
        encryption_key: HpkePublicKey(format!("encryption key {id}").into_bytes()),
        signature_key: format!("signature key {id}").into_bytes().into(),
        credential: Credential::basic(format!("member {id}")),
        capabilities: capabilities().into(),
        leaf_node_source: source,
        extensions: Extensions::new(),
        signature: vec![],
    }
}

fn key_package_source() -> LeafNodeSource {
    LeafNodeSource::KeyPackage {
        lifetime: Lifetime {
            not_before: 1000,
            not_after: 2000,
        },
    }
}

fn fake_path_keys(tree: &RatchetTree, sender: LeafIndex, tag: u32) -> Vec<HpkePublicKey> {
    let len = tree.filtered_direct_path(sender).unwrap().len();
    (0..len)
        .map(|i| HpkePublicKey(format!("path key {tag}/{i}").into_bytes()))
        .collect()
}

// ----- a group with real signatures -------------------------------------------------------

/// A member's signature key and the way it signs its leaves.
struct Signer {
    keys: SignatureKeyPair,
    id: u32,
}

impl Signer {
    fn new(id: u32) -> Self {
        Self {
            keys: suite().generate_signature_key_pair().unwrap(),
            id,
        }
    }

    /// A leaf for this member, signed for `group` (`update`/`commit`) or without it.
    fn leaf(&self, generation: u32, source: LeafNodeSource, leaf: Option<LeafIndex>) -> LeafNode {
        let mut node = fake_leaf(self.id, source);
        node.encryption_key =
            HpkePublicKey(format!("encryption key {}/{generation}", self.id).into_bytes());
        node.signature_key = self.keys.public_key.clone().into();
        let tbs = node.tbs(leaf.map(|l| (GROUP_ID, l))).unwrap().to_bytes();
        node.signature = suite()
            .sign_with_label(self.keys.private_key.as_bytes(), b"LeafNodeTBS", &tbs)
            .unwrap();
        node
    }
}

/// A group being built: the tree and every member's signer by leaf index.
struct Group {
    tree: RatchetTree,
    signers: Vec<Option<Signer>>,
    generation: u32,
}

impl Group {
    fn new() -> Self {
        let creator = Signer::new(0);
        let tree = RatchetTree::new(creator.leaf(0, key_package_source(), None));
        Self {
            tree,
            signers: vec![Some(creator)],
            generation: 1,
        }
    }

    fn add(&mut self) -> LeafIndex {
        self.generation += 1;
        let signer = Signer::new(1000 + self.generation);
        let leaf = self
            .tree
            .add_leaf(signer.leaf(0, key_package_source(), None))
            .unwrap();
        let i = leaf.0 as usize;
        if self.signers.len() <= i {
            self.signers.resize_with(i + 1, || None);
        }
        self.signers[i] = Some(signer);
        leaf
    }

    fn commit(&mut self, sender: LeafIndex) {
        self.generation += 1;
        let suite = suite();
        let keys = fake_path_keys(&self.tree, sender, self.generation);
        let parent_hash = self.tree.merge_update_path(&suite, sender, &keys).unwrap();
        let signer = self.signers[sender.0 as usize].as_ref().unwrap();
        let leaf = signer.leaf(
            self.generation,
            LeafNodeSource::Commit {
                parent_hash: parent_hash.clone(),
            },
            Some(sender),
        );
        self.tree
            .set_committer_leaf(sender, leaf, &parent_hash)
            .unwrap();
    }

    fn update(&mut self, sender: LeafIndex) {
        self.generation += 1;
        let signer = self.signers[sender.0 as usize].as_ref().unwrap();
        let leaf = signer.leaf(self.generation, LeafNodeSource::Update, Some(sender));
        self.tree.update_leaf(sender, leaf).unwrap();
    }

    fn remove(&mut self, leaf: LeafIndex) {
        self.tree.remove_leaf(leaf).unwrap();
        self.signers[leaf.0 as usize] = None;
    }

    fn context(&self) -> LeafValidationContext<'static> {
        LeafValidationContext {
            group_id: GROUP_ID,
            ..Default::default()
        }
    }
}

/// A tree like those of the test vectors (`get_tree(n)`: each member commits after adding
/// the next), then changed further so that it has blank nodes, a parent-hash link that skips
/// a blank node, unmerged leaves (one listed by two nodes), and leaves of all three sources.
/// The last committer is leaf 0, whose path is nodes 1, 3 and 7 (the root).
fn rich_group() -> Group {
    let mut group = Group::new();
    for i in 0..6 {
        group.add();
        group.commit(LeafIndex(i));
    }
    group.remove(LeafIndex(3)); // blanks nodes 5, 3, 7
    group.commit(LeafIndex(6)); // sets 11 and 7, skipping the blank 13
    group.update(LeafIndex(1)); // blanks 1, 3, 7
    group.commit(LeafIndex(0)); // sets 1, 3, 7
    group.add(); // leaf 3: unmerged at 3 and 7
    group.add(); // leaf 7: unmerged at 11 and 7
    group
}

fn wire_nodes(tree: &RatchetTree) -> Vec<Option<Node>> {
    tree.to_wire().unwrap().into_nodes()
}

#[test]
fn built_group_verifies() {
    let mut group = rich_group();
    let suite = suite();
    let hash = group.tree.tree_hash(&suite).unwrap();
    group.tree.verify(&suite, &hash, &group.context()).unwrap();
    // The wire form round-trips and verifies the same.
    let bytes = group.tree.to_bytes();
    assert_eq!(bytes, group.tree.to_wire().unwrap().to_bytes());
    let mut imported =
        RatchetTree::from_wire(crate::messages::RatchetTree::from_bytes(&bytes).unwrap()).unwrap();
    assert_eq!(imported, group.tree);
    imported.verify(&suite, &hash, &group.context()).unwrap();
    // Some parent node has unmerged leaves, so that rule is exercised.
    assert!((0..imported.node_width()).any(|i| imported
        .parent(NodeIndex(i))
        .is_some_and(|p| !p.unmerged_leaves.is_empty())));
}

/// Imports `nodes` and runs the full join-time validation with the tree's own hash (as if
/// the GroupInfo matched), returning the first error.
fn verify_nodes(nodes: Vec<Option<Node>>) -> Result<(), TreeError> {
    let suite = suite();
    let mut tree = RatchetTree::from_nodes(nodes)?;
    let hash = tree.tree_hash(&suite)?;
    tree.verify(&suite, &hash, &Group::new().context())
}

fn parent_mut(nodes: &mut [Option<Node>], node: NodeIndex) -> &mut ParentNode {
    match &mut nodes[node.0 as usize] {
        Some(Node::Parent(parent)) => parent,
        _ => panic!("node {node:?} is not a parent"),
    }
}

fn leaf_mut(nodes: &mut [Option<Node>], leaf: LeafIndex) -> &mut LeafNode {
    match &mut nodes[2 * leaf.0 as usize] {
        Some(Node::Leaf(leaf)) => leaf,
        _ => panic!("leaf {leaf:?} is blank"),
    }
}

#[test]
fn tampered_tree_hash_is_rejected() {
    let mut group = rich_group();
    let suite = suite();
    let hash = group.tree.tree_hash(&suite).unwrap();
    let mut nodes = wire_nodes(&group.tree);
    leaf_mut(&mut nodes, LeafIndex(1)).extensions = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType::APPLICATION_ID,
        extension_data: b"x".to_vec(),
    }])
    .unwrap();
    let mut tree = RatchetTree::from_nodes(nodes).unwrap();
    assert_eq!(
        tree.verify(&suite, &hash, &group.context()),
        Err(TreeError::BadTreeHash)
    );
}

#[test]
fn tampered_parent_hash_is_rejected() {
    let group = rich_group();
    let root = group.tree.root();
    assert_eq!(root, NodeIndex(7));
    // The root's key or parent_hash changed: the node below no longer links to it.
    let mut nodes = wire_nodes(&group.tree);
    parent_mut(&mut nodes, root).encryption_key = HpkePublicKey(b"attacker key".to_vec());
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::BadParentHash { node: root })
    );
    let mut nodes = wire_nodes(&group.tree);
    parent_mut(&mut nodes, root).parent_hash = vec![1, 2, 3];
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::BadParentHash { node: root })
    );
    // Node 3's parent_hash changed: neither it nor the root is covered; 3 is reported first.
    let mut nodes = wire_nodes(&group.tree);
    parent_mut(&mut nodes, NodeIndex(3)).parent_hash[0] ^= 1;
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::BadParentHash { node: NodeIndex(3) })
    );
    // The sibling subtree of a link changed under it (a new key at the copath leaf of node 1
    // that leaf 0's commit did not encrypt to): node 1 is no longer covered.
    let mut nodes = wire_nodes(&group.tree);
    leaf_mut(&mut nodes, LeafIndex(1)).encryption_key = HpkePublicKey(b"swapped".to_vec());
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::BadParentHash { node: NodeIndex(1) })
    );
    // A parent node nobody links to (listing the unmerged leaf below it, as it must). It is
    // also in the sibling subtree of node 3's link, so node 3 fails too, and comes first.
    let mut nodes = wire_nodes(&group.tree);
    nodes[5] = fake_parent(5, &[3]);
    let mut tree = RatchetTree::from_nodes(nodes).unwrap();
    assert_eq!(
        tree.verify_parent_hashes(&suite()),
        Err(TreeError::BadParentHash { node: NodeIndex(3) })
    );
    // With node 3 blank as well, node 5 is uncovered (and so is the root, which lost its
    // link from node 3); node 5 comes first.
    let mut nodes = wire_nodes(&group.tree);
    nodes[5] = fake_parent(5, &[3]);
    nodes[3] = None;
    let mut tree = RatchetTree::from_nodes(nodes).unwrap();
    tree.verify_unmerged_leaves().unwrap();
    assert_eq!(
        tree.verify_parent_hashes(&suite()),
        Err(TreeError::BadParentHash { node: NodeIndex(5) })
    );
    // Without listing it, the unmerged-leaf rules catch it first.
    let mut nodes = wire_nodes(&group.tree);
    nodes[5] = fake_parent(5, &[]);
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::UnmergedLeafInconsistent {
            node: NodeIndex(3),
            leaf: LeafIndex(3),
            problem: UnmergedLeafProblem::MissingAt(NodeIndex(5))
        })
    );
}

#[test]
fn tampered_leaf_signature_is_rejected() {
    let group = rich_group();
    // The last committer's leaf is not below the copath of any parent-hash link, so only its
    // signature breaks.
    let mut nodes = wire_nodes(&group.tree);
    leaf_mut(&mut nodes, LeafIndex(0)).signature[5] ^= 1;
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::BadLeafSignature { leaf: LeafIndex(0) })
    );
    // A leaf signed for another position does not verify at this one.
    let mut nodes = wire_nodes(&group.tree);
    let moved =
        group.signers[1]
            .as_ref()
            .unwrap()
            .leaf(9, LeafNodeSource::Update, Some(LeafIndex(0)));
    *leaf_mut(&mut nodes, LeafIndex(1)) = moved;
    let tree = RatchetTree::from_nodes(nodes).unwrap();
    assert_eq!(
        tree.verify_leaf_signatures(&suite(), GROUP_ID),
        Err(TreeError::BadLeafSignature { leaf: LeafIndex(1) })
    );
    // And the group id is part of what update and commit leaves sign.
    assert_eq!(
        group
            .tree
            .verify_leaf_signatures(&suite(), b"another group"),
        Err(TreeError::BadLeafSignature { leaf: LeafIndex(0) })
    );
}

#[test]
fn duplicate_encryption_keys_are_rejected() {
    let group = rich_group();
    let root = group.tree.root();
    let mut nodes = wire_nodes(&group.tree);
    let leaf_key = leaf_mut(&mut nodes, LeafIndex(1)).encryption_key.clone();
    parent_mut(&mut nodes, root).encryption_key = leaf_key;
    assert_eq!(
        RatchetTree::from_nodes(nodes),
        Err(TreeError::DuplicateEncryptionKey {
            first: NodeIndex(2),
            second: root
        })
    );
    let mut nodes = wire_nodes(&group.tree);
    let key = leaf_mut(&mut nodes, LeafIndex(0)).signature_key.clone();
    leaf_mut(&mut nodes, LeafIndex(5)).signature_key = key;
    assert_eq!(
        RatchetTree::from_nodes(nodes),
        Err(TreeError::DuplicateSignatureKey {
            first: LeafIndex(0),
            second: LeafIndex(5)
        })
    );
}

/// A parent node listing unmerged leaves, and the tree's nodes.
fn node_with_unmerged(group: &Group) -> (NodeIndex, Vec<LeafIndex>) {
    (0..group.tree.node_width())
        .map(NodeIndex)
        .find_map(|n| {
            let p = group.tree.parent(n)?;
            (!p.unmerged_leaves.is_empty()).then(|| (n, p.unmerged_leaves.clone()))
        })
        .unwrap()
}

#[test]
fn inconsistent_unmerged_leaves_are_rejected() {
    let group = rich_group();
    let (node, unmerged) = node_with_unmerged(&group);
    let inconsistent = |problem, leaf| {
        Err(TreeError::UnmergedLeafInconsistent {
            node,
            leaf,
            problem,
        })
    };

    // A leaf outside the node's subtree.
    let outside = (0..group.tree.leaf_count())
        .map(LeafIndex)
        .find(|l| !node.is_ancestor_of(leaf_node_index(*l)) && group.tree.leaf(*l).is_some())
        .unwrap();
    let mut nodes = wire_nodes(&group.tree);
    let list = &mut parent_mut(&mut nodes, node).unmerged_leaves;
    list.push(outside);
    list.sort();
    assert_eq!(
        verify_nodes(nodes),
        inconsistent(UnmergedLeafProblem::NotDescendant, outside)
    );

    // Not sorted.
    let mut nodes = wire_nodes(&group.tree);
    let list = &mut parent_mut(&mut nodes, node).unmerged_leaves;
    list.push(unmerged[0]);
    assert_eq!(
        verify_nodes(nodes),
        inconsistent(UnmergedLeafProblem::NotSorted, unmerged[0])
    );

    // A blank leaf below the node: blank a member and list it.
    let (start, _) = leaf_range(node);
    let blank = LeafIndex(start);
    let mut nodes = wire_nodes(&group.tree);
    nodes[2 * blank.0 as usize] = None;
    let list = &mut parent_mut(&mut nodes, node).unmerged_leaves;
    list.push(blank);
    list.sort();
    assert_eq!(
        verify_nodes(nodes),
        inconsistent(UnmergedLeafProblem::BlankLeaf, blank)
    );

    // Listed at the node but not at a non-blank node in between: take an unmerged leaf
    // listed by two nodes and drop it from the lower one.
    let n = group.tree.leaf_count();
    let (upper, lower, leaf) = (0..group.tree.node_width())
        .map(NodeIndex)
        .filter_map(|x| Some((x, group.tree.parent(x)?)))
        .find_map(|(x, p)| {
            p.unmerged_leaves.iter().find_map(|&leaf| {
                let lower = leaf_node_index(leaf)
                    .direct_path(n)
                    .unwrap()
                    .take_while(|&y| y != x)
                    .find(|&y| group.tree.parent(y).is_some())?;
                Some((x, lower, leaf))
            })
        })
        .expect("some unmerged leaf is listed by two nodes");
    let mut nodes = wire_nodes(&group.tree);
    parent_mut(&mut nodes, lower)
        .unmerged_leaves
        .retain(|&l| l != leaf);
    assert_eq!(
        verify_nodes(nodes),
        Err(TreeError::UnmergedLeafInconsistent {
            node: upper,
            leaf,
            problem: UnmergedLeafProblem::MissingAt(lower)
        })
    );
}

#[test]
fn tree_shape_is_checked_on_import() {
    let leaf = || Some(Node::Leaf(fake_leaf(1, LeafNodeSource::Update)));
    assert_eq!(
        RatchetTree::from_nodes(vec![]),
        Err(TreeError::TrailingBlank)
    );
    assert_eq!(
        RatchetTree::from_nodes(vec![leaf(), None]),
        Err(TreeError::TrailingBlank)
    );
    let parent_at_leaf = Some(Node::Parent(ParentNode {
        encryption_key: HpkePublicKey(vec![1]),
        parent_hash: vec![],
        unmerged_leaves: vec![],
    }));
    assert_eq!(
        RatchetTree::from_nodes(vec![parent_at_leaf]),
        Err(TreeError::WrongNodeType {
            node: NodeIndex(0),
            expected: "leaf",
            found: "parent"
        })
    );
    // Three nodes → two leaves; five nodes → four leaves (padded with blanks).
    let tree = RatchetTree::from_nodes(vec![
        leaf(),
        None,
        None,
        None,
        Some(Node::Leaf(fake_leaf(2, LeafNodeSource::Update))),
    ])
    .unwrap();
    assert_eq!(tree.leaf_count(), 4);
    assert_eq!(tree.member_count(), 2);
    assert_eq!(tree.to_wire().unwrap().nodes().len(), 5);
    // An even-length array ends with a parent (allowed: only the last node being blank is
    // refused). It must extend to the next full tree, not lose that parent (found by fuzzing).
    for (len, leaves) in [(2, 2), (4, 4), (6, 4), (8, 8)] {
        let mut nodes: Vec<Option<Node>> = (0..len - 1)
            .map(|i| {
                (i % 2 == 0).then(|| Node::Leaf(fake_leaf(10 + i as u32, LeafNodeSource::Update)))
            })
            .collect();
        nodes.push(Some(Node::Parent(ParentNode {
            encryption_key: HpkePublicKey(vec![7]),
            parent_hash: vec![],
            unmerged_leaves: vec![],
        })));
        let tree = RatchetTree::from_nodes(nodes.clone()).unwrap();
        assert_eq!(tree.leaf_count(), leaves, "{len} nodes");
        assert_eq!(tree.to_wire().unwrap().nodes(), &nodes[..], "{len} nodes");
    }
}

// ----- the RFC's examples --------------------------------------------------------------------

fn fake_parent(id: u32, unmerged: &[u32]) -> Option<Node> {
    Some(Node::Parent(ParentNode {
        encryption_key: HpkePublicKey(format!("parent key {id}").into_bytes()),
        parent_hash: vec![],
        unmerged_leaves: unmerged.iter().copied().map(LeafIndex).collect(),
    }))
}

fn fake_leaf_node(id: u32) -> Option<Node> {
    Some(Node::Leaf(fake_leaf(id, LeafNodeSource::Update)))
}

#[test]
fn resolution_example_of_section_4_1_1() {
    // A B _ D E F _ H with X[B] over leaves 0..3 and Y over leaves 4, 5.
    let nodes = vec![
        fake_leaf_node(0),    // 0 A
        None,                 // 1
        fake_leaf_node(1),    // 2 B
        fake_parent(3, &[1]), // 3 X[B]
        None,                 // 4
        None,                 // 5
        fake_leaf_node(3),    // 6 D
        None,                 // 7 root
        fake_leaf_node(4),    // 8 E
        fake_parent(9, &[]),  // 9 Y
        fake_leaf_node(5),    // 10 F
        None,                 // 11
        None,                 // 12
        None,                 // 13
        fake_leaf_node(7),    // 14 H
    ];
    let tree = RatchetTree::from_nodes(nodes).unwrap();
    let res = |n: u32| {
        tree.resolution(NodeIndex(n))
            .into_iter()
            .map(|x| x.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(res(3), [3, 2]);
    assert_eq!(res(4), [] as [u32; 0]);
    assert_eq!(res(12), [] as [u32; 0]);
    assert_eq!(res(7), [3, 2, 9, 14]);
    assert_eq!(
        tree.resolution_excluding(NodeIndex(7), &[LeafIndex(1), LeafIndex(7)])
            .into_iter()
            .map(|x| x.0)
            .collect::<Vec<_>>(),
        [3, 9]
    );
}

#[test]
fn filtered_direct_path_example_of_section_4_1_2() {
    // A B _ _ E F G _ with T (1), W (7, root), X (9), Y (11) non-blank.
    let nodes = vec![
        fake_leaf_node(0),
        fake_parent(1, &[]),
        fake_leaf_node(1),
        None,
        None,
        None,
        None,
        fake_parent(7, &[]),
        fake_leaf_node(4),
        fake_parent(9, &[]),
        fake_leaf_node(5),
        fake_parent(11, &[]),
        fake_leaf_node(6),
    ];
    let tree = RatchetTree::from_nodes(nodes).unwrap();
    let fdp = |leaf: u32| {
        tree.filtered_direct_path(LeafIndex(leaf))
            .unwrap()
            .into_iter()
            .map(|s| s.node.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(fdp(0), [1, 7]); // A: T, W
    assert_eq!(fdp(1), [1, 7]); // B: T, W
    assert_eq!(fdp(4), [9, 11, 7]); // E: X, Y, W
    assert_eq!(fdp(5), [9, 11, 7]); // F: X, Y, W
    assert_eq!(fdp(6), [11, 7]); // G: Y, W
    let steps = tree.filtered_direct_path(LeafIndex(6)).unwrap();
    assert_eq!(steps[0].copath_child, NodeIndex(9));
    assert_eq!(steps[1].copath_child, NodeIndex(3));
}

// ----- proposals ---------------------------------------------------------------------------

#[test]
fn add_fills_leftmost_blank_then_extends() {
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    for id in 1..5 {
        assert_eq!(
            tree.add_leaf(fake_leaf(id, key_package_source())),
            Ok(LeafIndex(id))
        );
    }
    assert_eq!(tree.leaf_count(), 8);
    tree.remove_leaf(LeafIndex(1)).unwrap();
    tree.remove_leaf(LeafIndex(3)).unwrap();
    assert_eq!(tree.leaf_count(), 8);
    assert_eq!(
        tree.add_leaf(fake_leaf(10, key_package_source())),
        Ok(LeafIndex(1))
    );
    assert_eq!(
        tree.add_leaf(fake_leaf(11, key_package_source())),
        Ok(LeafIndex(3))
    );
    assert_eq!(
        tree.add_leaf(fake_leaf(12, key_package_source())),
        Ok(LeafIndex(5))
    );
    // Duplicate keys leave the tree untouched.
    let before = tree.clone();
    assert_eq!(
        tree.add_leaf(fake_leaf(12, key_package_source())),
        Err(TreeError::DuplicateEncryptionKey {
            first: NodeIndex(10),
            second: NodeIndex(12)
        })
    );
    let mut same_signer = fake_leaf(13, key_package_source());
    same_signer.signature_key = fake_leaf(0, key_package_source()).signature_key;
    assert_eq!(
        tree.add_leaf(same_signer),
        Err(TreeError::DuplicateSignatureKey {
            first: LeafIndex(0),
            second: LeafIndex(6)
        })
    );
    assert_eq!(tree, before);
}

#[test]
fn add_records_unmerged_leaves_at_nonblank_ancestors() {
    let suite = suite();
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    for id in 1..4 {
        tree.add_leaf(fake_leaf(id, key_package_source())).unwrap();
    }
    tree.merge_update_path(
        &suite,
        LeafIndex(0),
        &fake_path_keys(&tree, LeafIndex(0), 1),
    )
    .unwrap();
    tree.add_leaf(fake_leaf(4, key_package_source())).unwrap(); // extends: nodes 9, 11, 7 blank
    assert_eq!(tree.leaf_count(), 8);
    assert!(tree.parent(NodeIndex(7)).is_none());
    assert_eq!(tree.parent(NodeIndex(3)).unwrap().unmerged_leaves, []);
    let keys = fake_path_keys(&tree, LeafIndex(1), 2);
    assert_eq!(keys.len(), 3); // nodes 1, 3, 7
    tree.merge_update_path(&suite, LeafIndex(1), &keys).unwrap();
    tree.add_leaf(fake_leaf(5, key_package_source())).unwrap(); // leaf 5: only 7 is non-blank above
    assert_eq!(
        tree.parent(NodeIndex(7)).unwrap().unmerged_leaves,
        [LeafIndex(5)]
    );
    assert_eq!(tree.resolution(NodeIndex(7)), [NodeIndex(7), NodeIndex(10)]);
    assert_eq!(
        tree.resolution(NodeIndex(11)),
        [NodeIndex(8), NodeIndex(10)]
    );
    // Leaf 4 commits; node 11 is skipped (its copath child 13 is empty) and the root is
    // reset, so leaf 5 is merged there.
    let path = tree.filtered_direct_path(LeafIndex(4)).unwrap();
    assert_eq!(
        path.iter().map(|s| s.node).collect::<Vec<_>>(),
        [NodeIndex(9), NodeIndex(7)]
    );
    tree.merge_update_path(
        &suite,
        LeafIndex(4),
        &fake_path_keys(&tree, LeafIndex(4), 3),
    )
    .unwrap();
    assert_eq!(tree.parent(NodeIndex(7)).unwrap().unmerged_leaves, []);
    tree.add_leaf(fake_leaf(6, key_package_source())).unwrap();
    assert_eq!(
        tree.parent(NodeIndex(7)).unwrap().unmerged_leaves,
        [LeafIndex(6)]
    );
    tree.verify_unmerged_leaves().unwrap();
}

#[test]
fn remove_truncates_to_the_rightmost_member() {
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    for id in 1..9 {
        tree.add_leaf(fake_leaf(id, key_package_source())).unwrap();
    }
    assert_eq!(tree.leaf_count(), 16);
    tree.remove_leaf(LeafIndex(5)).unwrap();
    assert_eq!(tree.leaf_count(), 16);
    let removed = tree.remove_leaf(LeafIndex(8)).unwrap();
    assert_eq!(removed, fake_leaf(8, key_package_source()));
    assert_eq!(tree.leaf_count(), 8);
    for leaf in [7, 6, 4] {
        tree.remove_leaf(LeafIndex(leaf)).unwrap();
    }
    // Rightmost member is leaf 3: 2^d > 3 gives 4 leaves.
    assert_eq!(tree.leaf_count(), 4);
    assert_eq!(
        tree.remove_leaf(LeafIndex(5)),
        Err(TreeError::LeafOutOfRange {
            leaf: LeafIndex(5),
            leaf_count: 4
        })
    );
    tree.remove_leaf(LeafIndex(2)).unwrap();
    assert_eq!(
        tree.remove_leaf(LeafIndex(2)),
        Err(TreeError::BlankLeaf(LeafIndex(2)))
    );
    for leaf in [3, 1] {
        tree.remove_leaf(LeafIndex(leaf)).unwrap();
    }
    assert_eq!(tree.leaf_count(), 1);
    assert_eq!(tree.member_count(), 1);
    // The removed members' keys are gone from the index.
    assert_eq!(
        tree.find_encryption_key(&fake_leaf(3, key_package_source()).encryption_key),
        None
    );
    assert_eq!(
        tree.find_signature_key(&fake_leaf(0, key_package_source()).signature_key),
        Some(LeafIndex(0))
    );
}

#[test]
fn update_blanks_the_direct_path_and_changes_only_log_n_hashes() {
    let suite = suite();
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    for id in 1..1024 {
        tree.add_leaf(fake_leaf(id, key_package_source())).unwrap();
    }
    tree.merge_update_path(
        &suite,
        LeafIndex(700),
        &fake_path_keys(&tree, LeafIndex(700), 1),
    )
    .unwrap();
    tree.tree_hash(&suite).unwrap();
    tree.update_leaf(LeafIndex(700), fake_leaf(5000, LeafNodeSource::Update))
        .unwrap();
    let invalid = tree.hashes_invalid();
    assert_eq!(invalid, 11, "a leaf and its 10 ancestors");
    assert!(tree
        .filtered_direct_path(LeafIndex(700))
        .unwrap()
        .iter()
        .all(|s| tree.is_blank(s.node)));
    assert_eq!(tree.find_encryption_key(b"path key 1/0"), None);
    // Recomputed from the cache equals computed from scratch.
    let cached = tree.tree_hash(&suite).unwrap();
    tree.clear_hash_cache();
    assert_eq!(tree.tree_hash(&suite).unwrap(), cached);
}

impl RatchetTree {
    /// The number of nodes whose cached hash is invalid.
    fn hashes_invalid(&self) -> usize {
        (0..self.node_width())
            .filter(|&i| self.hashes.get(NodeIndex(i)).is_none())
            .count()
    }
}

#[test]
fn merge_update_path_checks_its_keys() {
    let suite = suite();
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    for id in 1..4 {
        tree.add_leaf(fake_leaf(id, key_package_source())).unwrap();
    }
    let before = tree.clone();
    assert_eq!(
        tree.merge_update_path(&suite, LeafIndex(0), &[HpkePublicKey(vec![1])]),
        Err(TreeError::PathLengthMismatch {
            expected: 2,
            actual: 1
        })
    );
    let leaf_key = tree.leaf(LeafIndex(2)).unwrap().encryption_key.clone();
    assert_eq!(
        tree.merge_update_path(&suite, LeafIndex(0), &[HpkePublicKey(vec![1]), leaf_key]),
        Err(TreeError::DuplicateEncryptionKey {
            first: NodeIndex(4),
            second: NodeIndex(3)
        })
    );
    assert_eq!(
        tree.merge_update_path(
            &suite,
            LeafIndex(0),
            &[HpkePublicKey(vec![1]), HpkePublicKey(vec![1])]
        ),
        Err(TreeError::DuplicateEncryptionKey {
            first: NodeIndex(1),
            second: NodeIndex(3)
        })
    );
    assert_eq!(tree, before);
    let parent_hash = tree
        .merge_update_path(
            &suite,
            LeafIndex(0),
            &fake_path_keys(&tree, LeafIndex(0), 1),
        )
        .unwrap();
    assert_eq!(
        tree.set_committer_leaf(
            LeafIndex(0),
            fake_leaf(
                50,
                LeafNodeSource::Commit {
                    parent_hash: vec![0; 32]
                }
            ),
            &parent_hash
        ),
        Err(TreeError::BadLeafParentHash { leaf: LeafIndex(0) })
    );
    tree.set_committer_leaf(
        LeafIndex(0),
        fake_leaf(
            50,
            LeafNodeSource::Commit {
                parent_hash: parent_hash.clone(),
            },
        ),
        &parent_hash,
    )
    .unwrap();
    tree.verify_parent_hashes(&suite).unwrap();
}

// ----- leaf node validation (§7.3) ------------------------------------------------------------

#[test]
fn leaf_node_validation_rules() {
    let group = rich_group();
    let suite = suite();
    let tree = &group.tree;
    let context = group.context();
    let newcomer = Signer::new(77);
    let kp_leaf = newcomer.leaf(0, key_package_source(), None);
    tree.validate_leaf_node(&suite, &kp_leaf, LeafNodeUsage::KeyPackage, &context)
        .unwrap();

    // Source.
    assert_eq!(
        tree.validate_leaf_node(
            &suite,
            &kp_leaf,
            LeafNodeUsage::Update(LeafIndex(1)),
            &context
        ),
        Err(LeafNodeError::WrongSource {
            expected: "update",
            found: "key_package"
        })
    );
    // Lifetime, with the time passed in.
    let at = |now| LeafValidationContext {
        now: Some(now),
        ..context
    };
    tree.validate_leaf_node(&suite, &kp_leaf, LeafNodeUsage::KeyPackage, &at(1500))
        .unwrap();
    assert_eq!(
        tree.validate_leaf_node(&suite, &kp_leaf, LeafNodeUsage::KeyPackage, &at(2001)),
        Err(LeafNodeError::Expired {
            not_before: 1000,
            not_after: 2000,
            now: 2001
        })
    );
    let short = LeafValidationContext {
        max_lifetime: Some(999),
        ..context
    };
    assert_eq!(
        tree.validate_leaf_node(&suite, &kp_leaf, LeafNodeUsage::KeyPackage, &short),
        Err(LeafNodeError::LifetimeTooLong {
            lifetime: 1000,
            max: 999
        })
    );
    // Signature: a key_package leaf signs no group context.
    let mut forged = kp_leaf.clone();
    forged.credential = Credential::basic("someone else");
    assert_eq!(
        tree.validate_leaf_node(&suite, &forged, LeafNodeUsage::KeyPackage, &context),
        Err(LeafNodeError::BadSignature)
    );
    // Update: signed over group id and leaf index, with a new encryption key.
    let signer = group.signers[1].as_ref().unwrap();
    let update = signer.leaf(99, LeafNodeSource::Update, Some(LeafIndex(1)));
    tree.validate_leaf_node(
        &suite,
        &update,
        LeafNodeUsage::Update(LeafIndex(1)),
        &context,
    )
    .unwrap();
    assert_eq!(
        tree.validate_leaf_node(
            &suite,
            &update,
            LeafNodeUsage::Update(LeafIndex(0)),
            &context
        ),
        Err(LeafNodeError::DuplicateSignatureKey(LeafIndex(1)))
    );
    let mut same_key = update.clone();
    same_key.encryption_key = tree.leaf(LeafIndex(1)).unwrap().encryption_key.clone();
    assert_eq!(
        tree.validate_leaf_node(
            &suite,
            &same_key,
            LeafNodeUsage::Update(LeafIndex(1)),
            &context
        ),
        Err(LeafNodeError::EncryptionKeyNotChanged)
    );
    let mut taken_key = update.clone();
    taken_key.encryption_key = tree.leaf(LeafIndex(0)).unwrap().encryption_key.clone();
    assert_eq!(
        tree.validate_leaf_node(
            &suite,
            &taken_key,
            LeafNodeUsage::Update(LeafIndex(1)),
            &context
        ),
        Err(LeafNodeError::DuplicateEncryptionKey(NodeIndex(0)))
    );
    let other_group = LeafValidationContext {
        group_id: b"other",
        ..context
    };
    assert_eq!(
        tree.validate_leaf_node(
            &suite,
            &update,
            LeafNodeUsage::Update(LeafIndex(1)),
            &other_group
        ),
        Err(LeafNodeError::BadSignature)
    );
}

#[test]
fn leaf_node_capability_rules() {
    let group = rich_group();
    let suite = suite();
    let tree = &group.tree;
    let context = group.context();
    let check = |leaf: &LeafNode, context: &LeafValidationContext<'_>| {
        tree.validate_leaf_node(&suite, leaf, LeafNodeUsage::KeyPackage, context)
    };
    let signer = Signer::new(88);
    let resign = |mut leaf: LeafNode| {
        let tbs = leaf.tbs(None).unwrap().to_bytes();
        leaf.signature = suite
            .sign_with_label(signer.keys.private_key.as_bytes(), b"LeafNodeTBS", &tbs)
            .unwrap();
        leaf
    };
    let base = signer.leaf(0, key_package_source(), None);

    // Its own credential type must be listed.
    let mut leaf = base.clone();
    Arc::make_mut(&mut leaf.capabilities).credentials = vec![CredentialType::X509];
    assert_eq!(
        check(&resign(leaf), &context),
        Err(LeafNodeError::CredentialTypeNotInCapabilities(
            CredentialType::BASIC
        ))
    );

    // Non-default extensions must be listed; default ones need not be.
    let custom = ExtensionType(0xff01);
    let mut leaf = base.clone();
    leaf.extensions = Extensions::from_vec(vec![
        Extension {
            extension_type: ExtensionType::APPLICATION_ID,
            extension_data: vec![],
        },
        Extension {
            extension_type: custom,
            extension_data: vec![],
        },
    ])
    .unwrap();
    assert_eq!(
        check(&resign(leaf.clone()), &context),
        Err(LeafNodeError::ExtensionNotInCapabilities(custom))
    );
    Arc::make_mut(&mut leaf.capabilities).extensions = vec![custom];
    check(&resign(leaf), &context).unwrap();

    // Required capabilities.
    let required = RequiredCapabilities {
        extension_types: vec![ExtensionType::RATCHET_TREE, custom],
        proposal_types: vec![],
        credential_types: vec![],
    };
    let with_required = LeafValidationContext {
        required_capabilities: Some(&required),
        ..context
    };
    assert_eq!(
        check(&base, &with_required),
        Err(LeafNodeError::MissingRequiredExtension(custom))
    );
    let required_credential = RequiredCapabilities {
        credential_types: vec![CredentialType::X509],
        ..RequiredCapabilities::default()
    };
    let with_required = LeafValidationContext {
        required_capabilities: Some(&required_credential),
        ..context
    };
    assert_eq!(
        check(&base, &with_required),
        Err(LeafNodeError::MissingRequiredCredential(
            CredentialType::X509
        ))
    );

    // A credential type the members do not support.
    let mut leaf = base.clone();
    leaf.credential = Credential::X509 {
        certificates: vec![],
    };
    Arc::make_mut(&mut leaf.capabilities).credentials =
        vec![CredentialType::BASIC, CredentialType::X509];
    assert_eq!(
        check(&resign(leaf), &context),
        Err(LeafNodeError::CredentialTypeUnsupportedByMembers(
            CredentialType::X509
        ))
    );
    // Not supporting a credential type in use.
    let mut leaf = base.clone();
    leaf.credential = Credential::X509 {
        certificates: vec![],
    };
    Arc::make_mut(&mut leaf.capabilities).credentials = vec![CredentialType::X509];
    leaf.encryption_key = HpkePublicKey(b"x509 member".to_vec());
    leaf.signature_key = b"x509 member".to_vec().into();
    let mut single = RatchetTree::new(leaf);
    let mut member = base.clone();
    Arc::make_mut(&mut member.capabilities).credentials =
        vec![CredentialType::BASIC, CredentialType::X509];
    single.add_leaf(resign(member)).unwrap();
    let other = Signer::new(89).leaf(0, key_package_source(), None);
    assert_eq!(
        single.validate_leaf_node(&suite, &other, LeafNodeUsage::KeyPackage, &context),
        Err(LeafNodeError::CredentialTypeUnsupportedByMembers(
            CredentialType::BASIC
        ))
    );
    // In the joined tree, a member that does not support another member's type is caught.
    assert_eq!(
        single.verify_leaves(&suite, &context),
        Err(TreeError::InvalidLeafNode {
            leaf: LeafIndex(0),
            error: LeafNodeError::MemberCredentialTypeUnsupported(CredentialType::BASIC)
        })
    );
}

// ----- properties ------------------------------------------------------------------------------

/// The tree hash of node `node` computed directly from the definition (§7.8), with no cache.
fn reference_tree_hash(suite: &Suite<'_>, nodes: &[Option<Node>], node: NodeIndex) -> Vec<u8> {
    let mut input = Vec::new();
    let value = nodes.get(node.0 as usize).cloned().flatten();
    match (node.left(), node.right()) {
        (Some(left), Some(right)) => {
            input.push(2);
            let parent = value.map(|v| match v {
                Node::Parent(p) => p,
                Node::Leaf(_) => unreachable!(),
            });
            parent.encode(&mut input);
            reference_tree_hash(suite, nodes, left).encode(&mut input);
            reference_tree_hash(suite, nodes, right).encode(&mut input);
        }
        _ => {
            input.push(1);
            (node.0 / 2).encode(&mut input);
            let leaf = value.map(|v| match v {
                Node::Leaf(l) => l,
                Node::Parent(_) => unreachable!(),
            });
            leaf.encode(&mut input);
        }
    }
    suite.hash(&input).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Add,
    Update(u32),
    Remove(u32),
    Commit(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Add),
        1 => any::<u32>().prop_map(Op::Update),
        2 => any::<u32>().prop_map(Op::Remove),
        2 => any::<u32>().prop_map(Op::Commit),
    ]
}

/// The `k`-th member (modulo the member count).
fn pick(tree: &RatchetTree, k: u32) -> LeafIndex {
    let members: Vec<LeafIndex> = tree.members().map(|(l, _)| l).collect();
    members[k as usize % members.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn caches_match_from_scratch(ops in proptest::collection::vec(op(), 1..48)) {
        let suite = suite();
        let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
        // Every operation changes a copy, as a group does; the earlier trees must not change.
        let mut history = Vec::new();
        let mut next = 1u32;
        for op in ops {
            next += 1;
            history.push((tree.clone(), wire_nodes(&tree)));
            match op {
                Op::Add => {
                    tree.add_leaf(fake_leaf(next, key_package_source())).unwrap();
                }
                Op::Update(k) => {
                    let leaf = pick(&tree, k);
                    tree.update_leaf(leaf, fake_leaf(next, LeafNodeSource::Update)).unwrap();
                }
                Op::Remove(k) if tree.member_count() > 1 => {
                    let leaf = pick(&tree, k);
                    tree.remove_leaf(leaf).unwrap();
                }
                Op::Remove(_) => {}
                Op::Commit(k) => {
                    let leaf = pick(&tree, k);
                    let keys = fake_path_keys(&tree, leaf, next);
                    let parent_hash = tree.merge_update_path(&suite, leaf, &keys).unwrap();
                    let node = fake_leaf(next, LeafNodeSource::Commit { parent_hash: parent_hash.clone() });
                    tree.set_committer_leaf(leaf, node, &parent_hash).unwrap();
                }
            }
            let nodes = wire_nodes(&tree);
            let root = tree.root();
            let expected = reference_tree_hash(&suite, &nodes, root);
            prop_assert_eq!(tree.tree_hash(&suite).unwrap(), expected.clone());
            // Parent hashes stay valid through adds, updates, removes and commits.
            prop_assert_eq!(tree.verify_parent_hashes(&suite), Ok(()));
            prop_assert_eq!(tree.verify_unmerged_leaves(), Ok(()));
            // Import of the exported tree gives the same tree and hash.
            let mut imported = RatchetTree::from_nodes(nodes).unwrap();
            prop_assert_eq!(&imported, &tree);
            prop_assert_eq!(imported.tree_hash(&suite).unwrap(), expected);
            // Truncation keeps the rightmost member in the right half.
            let last = tree.members().last().unwrap().0;
            prop_assert!(tree.leaf_count() == 1 || last.0 >= tree.leaf_count() / 2);
            // The index finds every key where it is.
            for i in 0..tree.node_width() {
                if let Some(key) = tree.encryption_key(NodeIndex(i)) {
                    prop_assert_eq!(tree.find_encryption_key(key), Some(NodeIndex(i)));
                }
            }
            for (leaf, node) in tree.members() {
                prop_assert_eq!(tree.find_signature_key(&node.signature_key), Some(leaf));
            }
        }
        for (mut old, nodes) in history {
            prop_assert_eq!(wire_nodes(&old), nodes.clone());
            let expected = reference_tree_hash(&suite, &nodes, old.root());
            prop_assert_eq!(old.tree_hash(&suite).unwrap(), expected);
            for i in 0..old.node_width() {
                if let Some(key) = old.encryption_key(NodeIndex(i)) {
                    prop_assert_eq!(old.find_encryption_key(key), Some(NodeIndex(i)));
                }
            }
            for (leaf, node) in old.members() {
                prop_assert_eq!(old.find_signature_key(&node.signature_key), Some(leaf));
            }
        }
    }
}

#[test]
fn leaves_share_equal_capabilities() {
    let mut tree = RatchetTree::new(fake_leaf(0, key_package_source()));
    let mut other = fake_leaf(1, key_package_source());
    Arc::make_mut(&mut other.capabilities).proposals = vec![ProposalType(0x0a0a)];
    tree.add_leaf(other.clone()).unwrap();
    tree.add_leaf(fake_leaf(2, key_package_source())).unwrap();
    let nodes = wire_nodes(&tree);
    let imported = RatchetTree::from_nodes(nodes).unwrap();
    for tree in [tree, imported] {
        let capabilities = |leaf| &tree.leaf(LeafIndex(leaf)).unwrap().capabilities;
        assert!(Arc::ptr_eq(capabilities(0), capabilities(2)));
        assert!(!Arc::ptr_eq(capabilities(0), capabilities(1)));
        // Sharing changes nothing that can be seen.
        assert_eq!(tree.leaf(LeafIndex(1)), Some(&other));
    }
}
