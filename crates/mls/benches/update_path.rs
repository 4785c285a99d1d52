//! Creating and applying an UpdatePath (RFC 9420 §7.5, §7.6) with cipher suite 1
//! (X25519, AES-128-GCM, SHA-256, Ed25519), in trees of 16 to 16384 leaves of two shapes:
//!
//! * `full`: every node holds a key, so each resolution is one node and a path costs one
//!   HPKE encryption per level;
//! * `sparse`: members were added and never updated, so only leaves hold keys and the
//!   committer encrypts to every other member.
//!
//! The throughput reported is in HPKE operations (encryptions for `create`, the one
//! decryption for `apply`), so that the cost per operation can be compared across sizes.
//! The committer is leaf 0 and the receiver leaf 1, which decrypts at the lowest node and
//! derives every key of the path (the most work a receiver does).
//!
//! Each tree is built once, directly from its nodes with deterministic keys, outside the
//! measurement. `create` commits repeatedly on the committer's tree (the tree reaches a
//! steady state: the committer's path is refilled each time and the copath is untouched);
//! `apply` applies one UpdatePath and puts the path back with a snapshot, outside the
//! measured time, after each iteration.
//!
//! `cargo bench -p braid-mls --bench update_path -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use braid_codec::Encode;
use braid_crypto::{CipherSuite, KemKeyPair, SignatureKeyPair};
use braid_mls::extensions::Extensions;
use braid_mls::group_context::{GroupContext, ProtocolVersion};
use braid_mls::messages::{
    Capabilities, Credential, CredentialType, LeafNode, LeafNodeSource, Lifetime, Node, ParentNode,
    UpdatePath,
};
use braid_mls::suite::Suite;
use braid_mls::tree::treekem::{
    apply_update_path, create_update_path, ReceivedUpdatePath, TreePrivateKeys, UpdatePathParams,
};
use braid_mls::tree::{LeafValidationContext, RatchetTree};
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const PROVIDER: DefaultProvider = DefaultProvider::new();
const GROUP_ID: &[u8] = b"update path benchmark";
const SIZES: [u32; 4] = [16, 256, 4096, 16384];
const COMMITTER: LeafIndex = LeafIndex(0);
const RECEIVER: LeafIndex = LeafIndex(1);

fn suite() -> Suite<'static> {
    Suite::new(&PROVIDER, SUITE).expect("suite 1 is supported")
}

/// The deterministic seed of node `node`'s key.
fn seed(node: u32) -> [u8; 32] {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&node.to_be_bytes());
    seed
}

/// A leaf's key pair.
fn leaf_key_pair(node: u32) -> KemKeyPair {
    suite()
        .derive_key_pair(&seed(node))
        .expect("key derivation")
}

/// A parent's key pair, as `TreePrivateKeys::insert_path_secret` derives it from the seed.
fn parent_key_pair(node: u32) -> KemKeyPair {
    let suite = suite();
    let node_secret = suite
        .derive_secret(&seed(node), b"node")
        .expect("derive secret");
    suite
        .derive_key_pair(node_secret.as_bytes())
        .expect("key derivation")
}

/// The leaves of a group of `n` members; leaf 0 is signed by `committer`.
fn leaves(n: u32, committer: &SignatureKeyPair) -> Vec<LeafNode> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let suite = suite();
            // Only the committer's signature is ever checked; the other members get distinct
            // keys (as the tree requires) that sign nothing.
            let signature_key = if i == 0 {
                committer.public_key.clone()
            } else {
                suite.hash(&i.to_be_bytes()).expect("hash")
            };
            let mut leaf = LeafNode {
                encryption_key: leaf_key_pair(2 * i).public_key.into(),
                signature_key: signature_key.into(),
                credential: Credential::basic(format!("member {i}")),
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
            if i == 0 {
                let tbs = leaf.tbs(None).expect("key package leaf").to_bytes();
                leaf.signature = suite
                    .sign_with_label(committer.private_key.as_bytes(), b"LeafNodeTBS", &tbs)
                    .expect("sign");
            }
            leaf
        })
        .collect()
}

/// One benchmark setting: a tree, the committer's and receiver's state, and an UpdatePath
/// from the committer.
struct Setting {
    tree: RatchetTree,
    committer: SignatureKeyPair,
    receiver: TreePrivateKeys,
    context: GroupContext,
    update_path: UpdatePath,
    encryptions: u64,
}

impl Setting {
    fn new(leaves: &[LeafNode], committer: &SignatureKeyPair, full: bool) -> Self {
        let suite = suite();
        let width = 2 * leaves.len() - 1;
        let parents: Vec<Option<ParentNode>> = (0..width as u32 / 2)
            .into_par_iter()
            .map(|k| {
                full.then(|| ParentNode {
                    encryption_key: parent_key_pair(2 * k + 1).public_key.into(),
                    parent_hash: vec![],
                    unmerged_leaves: vec![],
                })
            })
            .collect();
        let nodes = (0..width)
            .map(|i| match i % 2 {
                0 => Some(Node::Leaf(leaves[i / 2].clone())),
                _ => parents[i / 2].clone().map(Node::Parent),
            })
            .collect();
        let mut tree = RatchetTree::from_nodes(nodes).expect("valid tree");
        let mut receiver =
            TreePrivateKeys::new(RECEIVER, leaf_key_pair(2 * RECEIVER.0)).expect("leaf in range");
        if full {
            let leaf = RECEIVER.node().expect("leaf in range");
            for node in leaf.direct_path(tree.leaf_count()).expect("leaf in tree") {
                receiver
                    .insert_path_secret(&suite, node, &seed(node.0))
                    .expect("on the path");
            }
        }
        receiver
            .verify(&tree)
            .expect("receiver's keys match the tree");
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: SUITE,
            group_id: GROUP_ID.to_vec(),
            epoch: 1,
            tree_hash: vec![],
            confirmed_transcript_hash: vec![0; 32],
            extensions: Extensions::new(),
        };
        tree.tree_hash(&suite).expect("tree hash");
        let mut scratch = tree.clone();
        let created = create_update_path(&suite, &mut scratch, params(&tree, committer, &context))
            .expect("create");
        let encryptions = created
            .update_path
            .nodes
            .iter()
            .map(|node| node.encrypted_path_secret.len() as u64)
            .sum();
        Self {
            tree,
            committer: committer.clone(),
            receiver,
            context,
            update_path: created.update_path,
            encryptions,
        }
    }
}

fn params<'a>(
    tree: &RatchetTree,
    committer: &'a SignatureKeyPair,
    context: &'a GroupContext,
) -> UpdatePathParams<'a> {
    UpdatePathParams {
        sender: COMMITTER,
        leaf_node: tree.leaf(COMMITTER).expect("committer is a member").clone(),
        signature_private_key: committer.private_key.as_bytes(),
        group_context: context,
        added_leaves: &[],
    }
}

fn bench_update_path(c: &mut Criterion) {
    let suite = suite();
    let committer = suite.generate_signature_key_pair().expect("key generation");
    let mut settings = Vec::new();
    for n in SIZES {
        let leaves = leaves(n, &committer);
        for full in [true, false] {
            let setup = Instant::now();
            let setting = Setting::new(&leaves, &committer, full);
            let shape = if full { "full" } else { "sparse" };
            eprintln!(
                "{shape} tree of {n} leaves: {} encryptions per UpdatePath (set up in {:.2?})",
                setting.encryptions,
                setup.elapsed()
            );
            settings.push((shape, n, setting));
        }
    }

    let mut group = c.benchmark_group("update_path/create");
    group.sample_size(10);
    for (shape, n, setting) in &mut settings {
        group.throughput(Throughput::Elements(setting.encryptions));
        let mut tree = setting.tree.clone();
        let (committer, context) = (&setting.committer, &setting.context);
        group.bench_function(BenchmarkId::new(*shape, n), |b| {
            b.iter(|| {
                let params = params(&tree, committer, context);
                black_box(create_update_path(&suite, &mut tree, params).expect("create"))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("update_path/apply");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for (shape, n, setting) in &mut settings {
        let Setting {
            tree,
            receiver,
            context,
            update_path,
            ..
        } = setting;
        group.bench_function(BenchmarkId::new(*shape, n), |b| {
            b.iter_custom(|iterations| {
                let mut measured = Duration::ZERO;
                for _ in 0..iterations {
                    let snapshot = tree.snapshot_path(COMMITTER).expect("snapshot");
                    let received = ReceivedUpdatePath {
                        sender: COMMITTER,
                        update_path,
                        group_context: context,
                        added_leaves: &[],
                        leaf_validation: LeafValidationContext::default(),
                    };
                    let start = Instant::now();
                    let applied =
                        apply_update_path(&suite, tree, receiver, received).expect("apply");
                    measured += start.elapsed();
                    black_box(applied);
                    tree.restore_path(snapshot).expect("restore");
                }
                measured
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_update_path);
criterion_main!(benches);
