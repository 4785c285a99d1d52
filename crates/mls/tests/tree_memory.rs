//! Memory per member of the ratchet tree, counted by an instrumented global allocator:
//! every byte the tree holds on the heap (node arrays, nodes, hash cache, key index), as
//! requested from the allocator (the allocator's own per-block overhead comes on top).
//!
//! `cargo test --release -p braid-mls --test tree_memory -- --nocapture` prints the figures.
//! This binary holds one test only, so that no other test allocates while it counts.

use std::alloc::System;

use braid_codec::Encode;
use braid_crypto::CipherSuite;
use braid_mls::extensions::Extensions;
use braid_mls::group_context::ProtocolVersion;
use braid_mls::messages::{
    Capabilities, Credential, CredentialType, LeafNode, LeafNodeSource, Lifetime, Node, ParentNode,
};
use braid_mls::suite::Suite;
use braid_mls::tree::RatchetTree;
use braid_provider::DefaultProvider;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const MEMBERS: u32 = 8192;

/// 32 bytes that differ for every `(tag, i)`.
fn key(tag: u8, i: u32) -> Vec<u8> {
    let mut key = vec![tag; 32];
    key[..4].copy_from_slice(&i.to_be_bytes());
    key
}

/// A member's leaf as the group layer makes it by default: basic credential, Ed25519 and
/// X25519 keys, default capabilities, a KeyPackage lifetime.
fn leaf(i: u32) -> LeafNode {
    LeafNode {
        encryption_key: key(1, i).into(),
        signature_key: key(2, i).into(),
        credential: Credential::basic(format!("member {i:05}")),
        capabilities: Capabilities {
            versions: vec![ProtocolVersion::MLS10],
            cipher_suites: vec![SUITE],
            extensions: vec![],
            proposals: vec![],
            credentials: vec![CredentialType::BASIC, CredentialType::X509],
        }
        .into(),
        leaf_node_source: LeafNodeSource::KeyPackage {
            lifetime: Lifetime {
                not_before: 1_700_000_000,
                not_after: 1_800_000_000,
            },
        },
        extensions: Extensions::new(),
        signature: vec![0xab; 64],
    }
}

fn parent(node: u32) -> ParentNode {
    ParentNode {
        encryption_key: key(3, node).into(),
        parent_hash: vec![0xcd; 32],
        unmerged_leaves: vec![],
    }
}

/// A tree of [`MEMBERS`] members, with every parent node filled if `full`, hashes computed.
fn tree(full: bool) -> RatchetTree {
    let nodes = (0..2 * MEMBERS - 1)
        .map(|i| {
            if i % 2 == 0 {
                Some(Node::Leaf(leaf(i / 2)))
            } else {
                full.then(|| Node::Parent(parent(i)))
            }
        })
        .collect();
    let mut tree = RatchetTree::from_nodes(nodes).expect("valid tree");
    let provider = DefaultProvider::new();
    let suite = Suite::new(&provider, SUITE).expect("suite 1");
    tree.tree_hash(&suite).expect("tree hash");
    tree
}

/// What `value` holds on the heap, per member: the bytes and blocks that dropping it frees.
fn held<T>(value: T) -> (f64, f64) {
    let region = Region::new(GLOBAL);
    drop(value);
    let stats = region.change();
    let n = f64::from(MEMBERS);
    (
        stats.bytes_deallocated as f64 / n,
        stats.deallocations as f64 / n,
    )
}

#[test]
fn memory_per_member() {
    let encoded = leaf(1).to_bytes().len() as f64;
    let (leaf_bytes, leaf_blocks) = held((0..MEMBERS).map(leaf).collect::<Vec<_>>());
    let (sparse_bytes, sparse_blocks) = held(tree(false));
    let full = tree(true);
    let copy = full.clone();
    // A copy shares everything: dropping it frees next to nothing.
    let (copy_bytes, _) = held(copy);
    let (full_bytes, full_blocks) = held(full);
    println!("encoded LeafNode: {encoded} bytes");
    println!("Vec<LeafNode>: {leaf_bytes:.0} bytes/member in {leaf_blocks:.1} blocks");
    println!("tree, leaves only: {sparse_bytes:.0} bytes/member in {sparse_blocks:.1} blocks");
    println!("tree, every parent filled: {full_bytes:.0} bytes/member in {full_blocks:.1} blocks");
    println!("a copy of the full tree: {copy_bytes:.2} bytes/member");
    // Bounds with some room over the figures measured when they were set (435 and 599 bytes,
    // 1.2 for the copy, with SHA-256): a tree of members that never committed stays within
    // 2.6 times the encoded size of their leaves, and a copy costs next to nothing.
    assert!(sparse_bytes < 2.6 * encoded, "{sparse_bytes} bytes/member");
    assert!(full_bytes < 3.6 * encoded, "{full_bytes} bytes/member");
    assert!(copy_bytes < 2.0, "{copy_bytes} bytes/member for a copy");
}
