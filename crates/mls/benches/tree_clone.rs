//! The public-tree work of processing a Commit in a large group, without the HPKE work: a
//! group state keeps the current epoch's tree untouched while a Commit is processed, so it
//! copies the tree, merges the Commit's UpdatePath into the copy (new path keys, parent
//! hashes, the committer's new leaf), computes the new tree hash, and later drops an old
//! epoch's tree.
//!
//! * `tree/clone`: copying the tree (dropped outside the measurement);
//! * `tree/drop`: dropping a copy that shares everything with the original;
//! * `tree/commit`: copy, merge an UpdatePath from leaf 0, tree hash, drop the copy;
//! * `tree/in_place`: the same changes without the copy, undone (outside the measurement)
//!   with a path snapshot after each iteration.
//!
//! Trees of 8192 and 16384 members with every parent node filled (the steady state of a
//! group whose members commit), built directly from nodes with made-up keys (no signature is
//! checked here), cipher suite 1 (SHA-256).
//!
//! `cargo bench -p braid-mls --bench tree_clone -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use braid_crypto::CipherSuite;
use braid_mls::extensions::Extensions;
use braid_mls::group_context::ProtocolVersion;
use braid_mls::messages::{
    Capabilities, Credential, CredentialType, HpkePublicKey, LeafNode, LeafNodeSource, Lifetime,
    Node, ParentNode,
};
use braid_mls::suite::Suite;
use braid_mls::tree::RatchetTree;
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const PROVIDER: DefaultProvider = DefaultProvider::new();
const SIZES: [u32; 2] = [8192, 16384];
const COMMITTER: LeafIndex = LeafIndex(0);

fn suite() -> Suite<'static> {
    Suite::new(&PROVIDER, SUITE).expect("suite 1 is supported")
}

/// 32 bytes that differ for every `(tag, i)`.
fn key(tag: u8, i: u32) -> Vec<u8> {
    let mut key = vec![tag; 32];
    key[..4].copy_from_slice(&i.to_be_bytes());
    key
}

fn leaf(i: u32, leaf_node_source: LeafNodeSource) -> LeafNode {
    LeafNode {
        encryption_key: key(1, i).into(),
        signature_key: key(2, i).into(),
        credential: Credential::basic(format!("member {i}")),
        capabilities: Capabilities {
            versions: vec![ProtocolVersion::MLS10],
            cipher_suites: vec![SUITE],
            extensions: vec![],
            proposals: vec![],
            credentials: vec![CredentialType::BASIC, CredentialType::X509],
        }
        .into(),
        leaf_node_source,
        extensions: Extensions::new(),
        signature: vec![0xab; 64],
    }
}

/// A tree of `n` members with every parent node filled, its hashes computed.
fn full_tree(n: u32) -> RatchetTree {
    let lifetime = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let nodes = (0..2 * n - 1)
        .map(|i| {
            Some(if i % 2 == 0 {
                Node::Leaf(leaf(i / 2, LeafNodeSource::KeyPackage { lifetime }))
            } else {
                Node::Parent(ParentNode {
                    encryption_key: key(3, i).into(),
                    parent_hash: vec![0xcd; 32],
                    unmerged_leaves: vec![],
                })
            })
        })
        .collect();
    let mut tree = RatchetTree::from_nodes(nodes).expect("valid tree");
    tree.tree_hash(&suite()).expect("tree hash");
    tree
}

/// What a receiver does to its copy of the tree for a Commit with an UpdatePath from leaf 0:
/// merge the path, install the committer's new leaf, compute the tree hash.
fn apply_commit(suite: &Suite<'_>, tree: &mut RatchetTree, generation: u32) -> Vec<u8> {
    let path_len = tree
        .filtered_direct_path(COMMITTER)
        .expect("committer in tree")
        .len();
    let path_keys: Vec<HpkePublicKey> = (0..path_len as u32)
        .map(|level| key(4, generation << 5 | level).into())
        .collect();
    let parent_hash = tree
        .merge_update_path(suite, COMMITTER, &path_keys)
        .expect("merge");
    let mut new_leaf = leaf(0, LeafNodeSource::Commit { parent_hash });
    new_leaf.encryption_key = key(5, generation).into();
    tree.set_leaf(COMMITTER, new_leaf).expect("set leaf");
    tree.tree_hash(suite).expect("tree hash")
}

fn bench_tree_clone(c: &mut Criterion) {
    let suite = suite();
    let trees: Vec<(u32, RatchetTree)> = SIZES.iter().map(|&n| (n, full_tree(n))).collect();

    let mut group = c.benchmark_group("tree");
    group.sample_size(20);
    for (n, tree) in &trees {
        group.bench_function(BenchmarkId::new("clone", n), |b| {
            b.iter_with_large_drop(|| black_box(tree).clone())
        });
        group.bench_function(BenchmarkId::new("drop", n), |b| {
            b.iter_batched(|| tree.clone(), drop, BatchSize::PerIteration)
        });
        let mut generation = 0;
        group.bench_function(BenchmarkId::new("commit", n), |b| {
            b.iter(|| {
                generation += 1;
                let mut copy = tree.clone();
                black_box(apply_commit(&suite, &mut copy, generation));
            })
        });
        let mut in_place = tree.clone();
        group.bench_function(BenchmarkId::new("in_place", n), |b| {
            b.iter_custom(|iterations| {
                let mut measured = Duration::ZERO;
                for _ in 0..iterations {
                    generation += 1;
                    let snapshot = in_place.snapshot_path(COMMITTER).expect("snapshot");
                    let start = Instant::now();
                    black_box(apply_commit(&suite, &mut in_place, generation));
                    measured += start.elapsed();
                    in_place.restore_path(snapshot).expect("restore");
                }
                measured
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_tree_clone);
criterion_main!(benches);
