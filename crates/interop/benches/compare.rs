//! Comparative benchmarks of braid, OpenMLS and mls-rs (RFC 9420) on the same operations in the
//! same run, each measured against its public-key floor.
//!
//! Every implementation is driven through the [`Member`] trait of `braid-interop`, with cipher
//! suite 1 (DHKEM(X25519), AES-128-GCM, SHA-256, Ed25519) and handshakes sent as PrivateMessage.
//! Each operation is a criterion group named after it, with benchmark ids `<impl>/<size>`
//! (`braid`, `openmls`, `mls-rs`; group sizes 2, 16, 128, 1024, 8192).
//!
//! # Running
//!
//! ```text
//! BRAID_BENCH_SIZES=2,16,128,1024 cargo bench -p braid-interop --bench compare
//! ```
//!
//! * `BRAID_BENCH_SIZES`: comma-separated group sizes, powers of two ≥ 2 (default
//!   `2,16,128,1024,8192`).
//! * `BRAID_BENCH_IMPLS`: comma-separated implementations among `braid`, `openmls`, `mls-rs`
//!   (default all three).
//! * Criterion's own arguments follow `--` (a filter such as `commit_path_full`,
//!   `--profile-time 10` for `perf`).
//!
//! Outside `cargo bench` (no `--bench` argument, as under `cargo test --benches`) the binary
//! does nothing: building the groups takes minutes.
//!
//! Besides criterion's reports, a run writes to `target/criterion/`:
//! * `floor.csv`: per operation and size, the public-key operations the RFC requires and the
//!   floor `Σ count × unit cost`, the unit costs measured in the same run (group `unit_cost`);
//! * `state_bytes.csv`: the stored state of one member (`Member::state_bytes`) and per member;
//! * `compare_table.md`: per operation and size, the three medians, braid's ratio to the faster
//!   peer, braid's floor and braid/floor (only results written by this run are used).
//!
//! # Fixtures
//!
//! For each (implementation, size N), built once per run on first use and cached (at N = 8192
//! building took 13 s for braid, 36 s for mls-rs and 104 s for OpenMLS; a full run of all sizes
//! took 24 minutes on 2 shared cores, 11 of them OpenMLS's `create_add_all` at 8192, which takes
//! about a minute per iteration):
//! * N − 1 KeyPackages of fresh members of that implementation;
//! * the **sparse** group: member 0 creates the group and adds the N − 1 others in one Commit
//!   without a path (ratchet tree in the Welcome). Every parent node is blank, so the copath
//!   resolutions of leaf 0 are whole subtrees of 1, 2, 4, … leaves (N − 1 in all);
//! * the **full** group: from the sparse group, the members at leaves N/2, N/4, …, 2, 1 (in that
//!   order) each commit with a forced UpdatePath, and the other live members process it. A
//!   commit by leaf 2^k sets the root of the subtree of leaves [2^k, 2^(k+1)), which is leaf
//!   0's copath node at level k and is on no other committer's direct path, so afterwards each
//!   copath resolution of leaf 0 is exactly one node (log2 N in all).
//!
//! Both shapes are checked, for every implementation, by decoding the implementation's own
//! `ratchet_tree` with braid's wire types and computing leaf 0's resolutions
//! ([`path_work`]); the public-key counts of the floors come from these same trees, so a wrong
//! construction fails loudly instead of skewing a floor. Each fixture is also sanity-checked:
//! the commits it benchmarks are processed once by a receiver, the Welcome is joined once.
//!
//! The committer is always leaf 0 and the receiver leaf 1, which decrypts at the lowest level
//! and so derives every key of the path (the most work a receiver does).
//!
//! # Operations
//!
//! Timings exclude setup: state is copied with [`Member::fork`] in `iter_batched_ref`'s setup
//! (copies are dropped outside the measurement), KeyPackages and messages are prepared
//! beforehand. Counting rules (floor) are written next to each benchmark below.
//!
//! 1. `create_add_all`: `create_group` + one Commit adding N − 1 members + `merge_pending_commit`
//!    (tree in the Welcome).
//! 2. `add_one`: on the full group, a Commit adding one member, with its Welcome (no path, tree
//!    in the Welcome).
//! 3. `commit_path_full` / `commit_path_sparse`: a Commit with a forced UpdatePath and no
//!    proposals, by leaf 0 of the full / sparse group.
//! 4. `process_commit_full` / `process_commit_sparse`: leaf 1 processes (and merges) that Commit.
//! 5. `remove`: on the full group, leaf 0 commits the removal of leaf 1 (a Remove requires a
//!    path; leaf 1's direct path is blanked, so leaf 0's path has log2 N − 1 nodes).
//! 6. `join_welcome`: the joiner of `add_one` joins from its Welcome. **The ratchet tree is in
//!    the Welcome** (`ratchet_tree` extension of the GroupInfo), so no out-of-band input.
//! 7. `encrypt_<n>` / `decrypt_<n>` (100 B, 10 KiB): leaf 0 of the full group sends, leaf 1
//!    processes the messages in order (a chunk of messages is made outside the timing).
//! 8. Stored state per member: `Member::state_bytes` / N for leaf 0 of the sparse and full
//!    groups (not a timing; printed and written to `state_bytes.csv`).
//!
//! # Floors
//!
//! The floor of an operation is what its public-key operations cost alone, sequentially, with
//! braid-provider (aws-lc-rs) unit costs measured in group `unit_cost`: X25519 key generation,
//! `DeriveKeyPair`, HPKE single-shot seal (Encap + key schedule + AEAD of a 32-byte secret
//! with a 128-byte info) and open (Decap + …), Ed25519 sign and verify of 256 bytes. Hashing,
//! HKDF, AEAD of the message itself and encoding are left out, so the floor is a lower bound.
//! In particular Ed25519 hashes what it signs (SHA-512, twice when signing, once when
//! verifying), and the unit costs are for 256 bytes: where the signed content is large (a
//! 10 KiB application message, a GroupInfo carrying the ratchet tree, a sparse-tree Commit
//! carrying N − 1 ciphertexts) that hashing, not counted, is much of the real cost.
//! All three libraries spread independent HPKE work over rayon's pool, so on a machine with
//! several cores a ratio below 1 is possible for the encryption-bound operations.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use braid_codec::Decode;
use braid_crypto::hpke::{self, HpkeSuite};
use braid_crypto::{CipherSuite, CryptoProvider};
use braid_interop::{CommitRequest, Error, Implementation, Member, MemberConfig, Received};
use braid_mls::messages::{Node, RatchetTree};
use braid_mls::tree_math::{LeafIndex, NodeIndex};
use braid_provider::DefaultProvider;
use criterion::{BatchSize, Bencher, BenchmarkId, Criterion, SamplingMode};

/// Cipher suite 1: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const SUITE: u16 = 1;
/// The group id of every benchmark group.
const GROUP_ID: &[u8] = b"braid comparative benchmark";
/// The default group sizes.
const DEFAULT_SIZES: [u32; 5] = [2, 16, 128, 1024, 8192];
/// Sizes from which a benchmark is configured as a slow one (10 flat samples).
const LARGE: u32 = 1024;
/// The application message sizes, with the names of their encrypt and decrypt groups.
const MESSAGE_SIZES: [(usize, &str, &str); 2] = [
    (100, "encrypt_100B", "decrypt_100B"),
    (10 * 1024, "encrypt_10KiB", "decrypt_10KiB"),
];
/// How many application messages are made ahead of one timed stretch of decryptions.
const DECRYPT_CHUNK: u64 = 256;

// ---------------------------------------------------------------------------------------------
// Settings and helpers
// ---------------------------------------------------------------------------------------------

/// What to run, from the environment.
struct Settings {
    sizes: Vec<u32>,
    impls: Vec<Implementation>,
}

impl Settings {
    /// Reads `BRAID_BENCH_SIZES` and `BRAID_BENCH_IMPLS`; panics with a message on a bad value.
    fn from_env() -> Self {
        let sizes = match std::env::var("BRAID_BENCH_SIZES") {
            Ok(list) => list
                .split(',')
                .map(|s| {
                    let n: u32 = s
                        .trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("BRAID_BENCH_SIZES: {s:?} is not a number"));
                    assert!(
                        n >= 2 && n.is_power_of_two(),
                        "BRAID_BENCH_SIZES: {n} is not a power of two ≥ 2"
                    );
                    n
                })
                .collect(),
            Err(_) => DEFAULT_SIZES.to_vec(),
        };
        let impls = match std::env::var("BRAID_BENCH_IMPLS") {
            Ok(list) => list
                .split(',')
                .map(|s| {
                    let s = s.trim();
                    Implementation::ALL
                        .into_iter()
                        .find(|i| i.to_string() == s)
                        .unwrap_or_else(|| {
                            panic!("BRAID_BENCH_IMPLS: {s:?} is not braid, openmls or mls-rs")
                        })
                })
                .collect(),
            Err(_) => Implementation::ALL.to_vec(),
        };
        Settings { sizes, impls }
    }
}

/// The value of `result`, or a panic naming what failed (a broken fixture cannot be measured).
fn ok<T>(result: Result<T, Error>, what: &str) -> T {
    result.unwrap_or_else(|err| panic!("{what}: {err}"))
}

/// A fresh member of `imp` in suite 1, sending handshakes as PrivateMessage.
fn new_member(imp: Implementation, name: String) -> Box<dyn Member> {
    ok(imp.member(&MemberConfig::new(SUITE, name)), "new member")
}

/// A copy of `member` (benchmark setup).
fn fork(member: &dyn Member) -> Box<dyn Member> {
    ok(member.fork(), "fork")
}

/// A Commit with a forced UpdatePath and no proposals.
fn path_only() -> CommitRequest {
    CommitRequest {
        force_path: true,
        ..CommitRequest::default()
    }
}

/// A Commit adding `key_packages`, the tree in the Welcome.
fn adding(key_packages: Vec<Vec<u8>>) -> CommitRequest {
    CommitRequest {
        add: key_packages,
        tree_in_welcome: true,
        ..CommitRequest::default()
    }
}

/// `log2(n)` for a power of two.
fn log2(n: u32) -> u64 {
    u64::from(n.trailing_zeros())
}

// ---------------------------------------------------------------------------------------------
// Tree shape (RFC 9420 §4.1.1 resolution, §7.4 filtered direct path)
// ---------------------------------------------------------------------------------------------

/// The nodes of a ratchet tree extended to a full tree (blank nodes are `None`).
struct TreeShape {
    nodes: Vec<Option<Node>>,
    n_leaves: u32,
}

impl TreeShape {
    /// Decodes the `ratchet_tree` extension value an implementation exported.
    fn decode(bytes: &[u8], imp: Implementation) -> Self {
        let tree = RatchetTree::from_bytes(bytes)
            .unwrap_or_else(|err| panic!("{imp}: its ratchet_tree does not decode: {err}"));
        let mut nodes = tree.into_nodes();
        let n_leaves = u32::try_from(nodes.len().div_ceil(2))
            .expect("tree size fits u32")
            .next_power_of_two();
        nodes.resize(2 * n_leaves as usize - 1, None);
        TreeShape { nodes, n_leaves }
    }

    /// Whether node `x` is blank.
    fn is_blank(&self, x: NodeIndex) -> bool {
        self.nodes.get(x.0 as usize).is_none_or(Option::is_none)
    }

    /// The size of the resolution of `x` (§4.1.1): a non-blank node and its unmerged leaves,
    /// or the resolutions of a blank parent's children.
    fn resolution_len(&self, x: NodeIndex) -> usize {
        match self.nodes.get(x.0 as usize).and_then(Option::as_ref) {
            Some(Node::Leaf(_)) => 1,
            Some(Node::Parent(parent)) => 1 + parent.unmerged_leaves.len(),
            None => match (x.left(), x.right()) {
                (Some(left), Some(right)) => self.resolution_len(left) + self.resolution_len(right),
                _ => 0,
            },
        }
    }

    /// Whether every parent node is blank.
    fn parents_blank(&self) -> bool {
        (1..self.nodes.len() as u32)
            .step_by(2)
            .all(|x| self.is_blank(NodeIndex(x)))
    }

    /// The number of non-blank leaves.
    fn member_count(&self) -> u64 {
        (0..self.nodes.len() as u32)
            .step_by(2)
            .filter(|&x| !self.is_blank(NodeIndex(x)))
            .count() as u64
    }
}

/// The UpdatePath a member would send: for each node of its filtered direct path (§7.4), the
/// node and the size of its copath child's resolution (one HPKE encryption per resolution
/// node, §7.5).
struct PathWork(Vec<(NodeIndex, u64)>);

/// The UpdatePath of `committer` in `tree` after the leaves in `removed` (and their direct
/// paths) are blanked, as a Remove does before the path is made (§12.1.3).
fn path_work(tree: &TreeShape, committer: u32, removed: &[u32]) -> PathWork {
    let n = tree.n_leaves;
    let mut blanked = TreeShape {
        nodes: tree.nodes.clone(),
        n_leaves: n,
    };
    for &leaf in removed {
        let node = LeafIndex(leaf).node().expect("leaf in tree");
        for x in std::iter::once(node).chain(node.direct_path(n).expect("leaf in tree")) {
            blanked.nodes[x.0 as usize] = None;
        }
    }
    let leaf = LeafIndex(committer).node().expect("leaf in tree");
    let path = leaf.direct_path(n).expect("leaf in tree");
    let copath = leaf.copath(n).expect("leaf in tree");
    PathWork(
        path.zip(copath)
            .map(|(parent, child)| (parent, blanked.resolution_len(child) as u64))
            .filter(|&(_, len)| len > 0)
            .collect(),
    )
}

impl PathWork {
    /// Filtered direct path nodes: one `DeriveKeyPair` each for the committer.
    fn nodes(&self) -> u64 {
        self.0.len() as u64
    }

    /// Copath resolution nodes: one HPKE encryption each.
    fn encryptions(&self) -> u64 {
        self.0.iter().map(|&(_, len)| len).sum()
    }

    /// Path nodes at or above the lowest one whose subtree holds `receiver`: the keys a
    /// receiver derives after its one decryption (§12.4.2, steps 4–6).
    fn derived_by(&self, receiver: u32) -> u64 {
        let leaf = LeafIndex(receiver).node().expect("leaf in tree");
        self.0
            .iter()
            .filter(|(x, _)| x.is_ancestor_of(leaf))
            .count() as u64
    }

    /// The resolution sizes, leaf side first.
    fn resolution_sizes(&self) -> Vec<u64> {
        self.0.iter().map(|&(_, len)| len).collect()
    }
}

/// What the floor counts are computed from: the shapes of one (implementation, size) fixture.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    /// Group size N.
    n: u32,
    /// Leaf 0's UpdatePath in the full group.
    full: (u64, u64, u64),
    /// Leaf 0's UpdatePath in the sparse group.
    sparse: (u64, u64, u64),
    /// Leaf 0's UpdatePath in the full group after removing leaf 1.
    remove: (u64, u64),
    /// Members in the tree the joiner of `add_one` validates, itself excluded.
    join_other_leaves: u64,
}

/// (path nodes, encryptions, keys derived by leaf 1).
fn path_counts(work: &PathWork) -> (u64, u64, u64) {
    (work.nodes(), work.encryptions(), work.derived_by(1))
}

// ---------------------------------------------------------------------------------------------
// Public-key operation counts and unit costs
// ---------------------------------------------------------------------------------------------

/// Public-key operations of one benchmarked operation, per RFC 9420.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PkOps {
    /// Fresh X25519 key pairs (`GenerateKeyPair`).
    generate: u64,
    /// `DeriveKeyPair`.
    derive: u64,
    /// HPKE encryptions (one Encap each).
    seal: u64,
    /// HPKE decryptions (one Decap each).
    open: u64,
    /// Ed25519 signatures.
    sign: u64,
    /// Ed25519 verifications.
    verify: u64,
}

/// The unit costs, in nanoseconds, in the order of [`PkOps`]'s fields.
type UnitCosts = [f64; 6];

/// The criterion ids of the unit costs, in the order of [`PkOps`]'s fields.
const UNIT_IDS: [&str; 6] = [
    "x25519_generate",
    "x25519_derive_key_pair",
    "hpke_seal",
    "hpke_open",
    "ed25519_sign",
    "ed25519_verify",
];

impl PkOps {
    fn counts(&self) -> [u64; 6] {
        [
            self.generate,
            self.derive,
            self.seal,
            self.open,
            self.sign,
            self.verify,
        ]
    }

    /// `Σ count × unit cost`, in nanoseconds.
    fn floor(&self, units: &UnitCosts) -> f64 {
        self.counts()
            .iter()
            .zip(units)
            .map(|(&count, &unit)| count as f64 * unit)
            .sum()
    }
}

/// Measures the unit costs with braid-provider's public `CryptoProvider` API and HPKE.
fn unit_costs(c: &mut Criterion) {
    let p = DefaultProvider::new();
    let d = CipherSuite(SUITE).descriptor().expect("suite 1 is known");
    let hpke_suite = HpkeSuite::from(d);
    let mut group = c.benchmark_group("unit_cost");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));

    let ikm = [0x17; 32];
    group.bench_function(UNIT_IDS[0], |b| {
        b.iter(|| p.kem_generate(d.kem).expect("generate"))
    });
    group.bench_function(UNIT_IDS[1], |b| {
        b.iter(|| {
            p.kem_derive_key_pair(d.kem, black_box(&ikm))
                .expect("derive")
        })
    });

    let recipient = p.kem_generate(d.kem).expect("generate");
    let (sk, pk) = (recipient.private_key.as_bytes(), &recipient.public_key[..]);
    // EncryptWithLabel: info is the EncryptContext (label + GroupContext), the plaintext a
    // path secret or GroupSecrets.
    let info = [0x33; 128];
    let secret = [0x44; 32];
    group.bench_function(UNIT_IDS[2], |b| {
        b.iter(|| {
            hpke::seal_base(&p, hpke_suite, pk, &info, &[], black_box(&secret)).expect("seal")
        })
    });
    let (enc, ct) = hpke::seal_base(&p, hpke_suite, pk, &info, &[], &secret).expect("seal");
    group.bench_function(UNIT_IDS[3], |b| {
        b.iter(|| hpke::open_base(&p, hpke_suite, black_box(&enc), sk, pk, &info, &[], &ct))
    });

    let signer = p.signature_generate(d.signature).expect("signature key");
    let message = [0x55; 256];
    group.bench_function(UNIT_IDS[4], |b| {
        b.iter(|| {
            p.sign(
                d.signature,
                signer.private_key.as_bytes(),
                black_box(&message),
            )
            .expect("sign")
        })
    });
    let signature = p
        .sign(d.signature, signer.private_key.as_bytes(), &message)
        .expect("sign");
    group.bench_function(UNIT_IDS[5], |b| {
        b.iter(|| {
            p.verify(
                d.signature,
                &signer.public_key,
                black_box(&message),
                &signature,
            )
            .expect("verify")
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The prepared state of one implementation at one group size.
struct Fixture {
    /// N − 1 KeyPackages, for `create_add_all`.
    key_packages: Vec<Vec<u8>>,
    /// Leaf 0 and leaf 1 of the sparse group, and the path Commit leaf 0 makes there.
    sparse_committer: Box<dyn Member>,
    sparse_receiver: Box<dyn Member>,
    sparse_commit: Vec<u8>,
    /// Leaf 0 and leaf 1 of the full group, and the path Commit leaf 0 makes there.
    full_committer: Box<dyn Member>,
    full_receiver: Box<dyn Member>,
    full_commit: Vec<u8>,
    /// The KeyPackage `add_one` adds, its owner and the Welcome leaf 0 makes for it.
    add_key_package: Vec<u8>,
    joiner: Box<dyn Member>,
    welcome: Vec<u8>,
    /// The sender of `encrypt_*` (a copy of leaf 0 of the full group).
    encryptor: Option<Box<dyn Member>>,
    /// The sender and receiver of `decrypt_*` (copies of leaves 0 and 1 of the full group).
    decrypt_pair: Option<(Box<dyn Member>, Box<dyn Member>)>,
    shape: Shape,
    /// `state_bytes` of leaf 0 in the sparse and in the full group.
    state_bytes: (usize, usize),
}

/// Logs a step of fixture building to stderr.
fn step(imp: Implementation, n: u32, start: Instant, what: &str) {
    eprintln!(
        "[fixture {imp}/{n} +{:.1}s] {what}",
        start.elapsed().as_secs_f64()
    );
}

impl Fixture {
    /// Builds the sparse and the full group of `n` members of `imp` (see the module doc).
    fn build(imp: Implementation, n: u32) -> Self {
        let start = Instant::now();
        let what = |s: &str| format!("{imp}/{n}: {s}");
        // The members that will take part after the creation: leaves 1, 2, 4, …, N/2.
        let mut live: Vec<(u32, Box<dyn Member>)> = Vec::new();
        let mut key_packages = Vec::with_capacity(n as usize - 1);
        for leaf in 1..n {
            let mut member = new_member(imp, format!("member {leaf}"));
            key_packages.push(ok(member.key_package(), &what("key_package")));
            if leaf.is_power_of_two() {
                live.push((leaf, member));
            }
        }
        step(imp, n, start, "key packages made");

        let mut creator = new_member(imp, "member 0".into());
        ok(creator.create_group(GROUP_ID), &what("create_group"));
        let out = ok(
            creator.commit(&adding(key_packages.clone())),
            &what("commit adding all"),
        );
        ok(creator.merge_pending_commit(), &what("merge creation"));
        let welcome = out.welcome.expect("a Commit with Adds has a Welcome");
        for (leaf, member) in &mut live {
            ok(
                member.join(&welcome, None),
                &what("join the creation Welcome"),
            );
            assert_eq!(member.own_leaf_index(), *leaf, "{imp}/{n}: joiner's leaf");
        }
        step(imp, n, start, "sparse group made");

        // The sparse group: leaf 0's copath resolutions are the whole subtrees.
        let sparse_tree = TreeShape::decode(&ok(creator.ratchet_tree(), &what("tree")), imp);
        let sparse = path_work(&sparse_tree, 0, &[]);
        let expected: Vec<u64> = (0..log2(n)).map(|k| 1 << k).collect();
        assert_eq!(
            sparse.resolution_sizes(),
            expected,
            "{imp}/{n}: sparse tree: leaf 0's copath resolutions"
        );
        if !sparse_tree.parents_blank() {
            eprintln!("note: {imp}/{n}: the creation Commit filled parent nodes (it sent a path)");
        }
        let sparse_committer = fork(&*creator);
        let sparse_receiver = fork(&*live[0].1);
        let sparse_commit = ok(fork(&*creator).commit(&path_only()), &what("sparse commit")).commit;
        assert_eq!(
            ok(
                fork(&*sparse_receiver).process(&sparse_commit),
                &what("process sparse")
            ),
            Received::Commit
        );
        let sparse_state = ok(creator.state_bytes(), &what("state_bytes"));

        // The full group: leaves N/2, …, 2, 1 commit with a path, largest first (each then
        // encrypts to fewer nodes).
        for i in (0..live.len()).rev() {
            let out = ok(live[i].1.commit(&path_only()), &what("filling commit"));
            ok(
                live[i].1.merge_pending_commit(),
                &what("merge filling commit"),
            );
            ok(
                creator.process(&out.commit),
                &what("creator processes filling commit"),
            );
            for (j, (_, member)) in live.iter_mut().enumerate() {
                if j != i {
                    ok(member.process(&out.commit), &what("process filling commit"));
                }
            }
        }
        assert_eq!(
            ok(creator.epoch_authenticator(), &what("authenticator")),
            ok(live[0].1.epoch_authenticator(), &what("authenticator")),
            "{imp}/{n}: leaves 0 and 1 disagree"
        );
        let full_tree = TreeShape::decode(&ok(creator.ratchet_tree(), &what("tree")), imp);
        let full = path_work(&full_tree, 0, &[]);
        assert_eq!(
            full.resolution_sizes(),
            vec![1; log2(n) as usize],
            "{imp}/{n}: full tree: leaf 0's copath resolutions"
        );
        let remove = path_work(&full_tree, 0, &[1]);
        step(imp, n, start, "full group made");

        let full_receiver = live.swap_remove(0).1;
        drop(live);
        let full_commit = ok(fork(&*creator).commit(&path_only()), &what("full commit")).commit;
        assert_eq!(
            ok(
                fork(&*full_receiver).process(&full_commit),
                &what("process full")
            ),
            Received::Commit
        );
        let removal = CommitRequest {
            remove: vec![1],
            ..CommitRequest::default()
        };
        ok(fork(&*creator).commit(&removal), &what("remove"));

        let mut joiner = new_member(imp, "joiner".into());
        let add_key_package = ok(joiner.key_package(), &what("joiner key_package"));
        let welcome = ok(
            fork(&*creator).commit(&adding(vec![add_key_package.clone()])),
            &what("add one"),
        )
        .welcome
        .expect("a Commit with an Add has a Welcome");
        ok(fork(&*joiner).join(&welcome, None), &what("join"));
        let full_state = ok(creator.state_bytes(), &what("state_bytes"));
        step(imp, n, start, "fixture ready");

        Fixture {
            key_packages,
            sparse_committer,
            sparse_receiver,
            sparse_commit,
            full_receiver,
            full_commit,
            add_key_package,
            joiner,
            welcome,
            encryptor: None,
            decrypt_pair: None,
            shape: Shape {
                n,
                full: path_counts(&full),
                sparse: path_counts(&sparse),
                remove: (remove.nodes(), remove.encryptions()),
                join_other_leaves: full_tree.member_count(),
            },
            state_bytes: (sparse_state, full_state),
            full_committer: creator,
        }
    }
}

/// The run's shared state: settings, fixtures and the floor counts recorded per operation.
struct Ctx {
    settings: Settings,
    fixtures: RefCell<HashMap<(Implementation, u32), Fixture>>,
    /// Public-key counts per (operation, size), from the fixtures' trees.
    counts: RefCell<BTreeMap<(&'static str, u32), PkOps>>,
    /// Operations in the order they ran.
    operations: RefCell<Vec<&'static str>>,
}

impl Ctx {
    /// Runs `body` on the fixture of (`imp`, `n`), building it first if needed.
    fn with_fixture<R>(
        &self,
        imp: Implementation,
        n: u32,
        body: impl FnOnce(&mut Fixture) -> R,
    ) -> R {
        let mut fixtures = self.fixtures.borrow_mut();
        let fixture = fixtures
            .entry((imp, n))
            .or_insert_with(|| Fixture::build(imp, n));
        body(fixture)
    }
}

/// Runs operation `name` over every selected implementation and size: `body` measures it on a
/// fixture, `rule` counts its public-key operations from the fixture's shape.
fn run(
    c: &mut Criterion,
    ctx: &Ctx,
    name: &'static str,
    rule: fn(&Shape) -> PkOps,
    mut body: impl FnMut(&mut Bencher<'_>, &mut Fixture),
) {
    ctx.operations.borrow_mut().push(name);
    let mut group = c.benchmark_group(name);
    for &n in &ctx.settings.sizes {
        if n >= LARGE {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(2));
        } else {
            group
                .sample_size(20)
                .sampling_mode(SamplingMode::Auto)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
        }
        for &imp in &ctx.settings.impls {
            group.bench_with_input(BenchmarkId::new(imp.to_string(), n), &n, |b, &n| {
                ctx.with_fixture(imp, n, |fixture| {
                    let ops = rule(&fixture.shape);
                    let previous = ctx.counts.borrow_mut().insert((name, n), ops);
                    if previous.is_some_and(|p| p != ops) {
                        eprintln!("warning: {name}/{n}: {imp}'s tree gives other counts");
                    }
                    body(b, fixture);
                })
            });
        }
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// The operations
// ---------------------------------------------------------------------------------------------

/// Operation 1: `create_group`, then one Commit adding N − 1 members (Welcome with the tree), merged.
///
/// Floor: the creator's leaf: 1 generate + 1 sign (LeafNode); per KeyPackage: 2 verify
/// (KeyPackage and its LeafNode, §10.1); the Commit: 1 sign (FramedContent); the Welcome:
/// 1 sign (GroupInfo) + 1 seal per joiner (GroupSecrets). No path (Adds do not require one).
fn create_add_all(c: &mut Criterion, ctx: &Ctx) {
    run(
        c,
        ctx,
        "create_add_all",
        |s| {
            let joiners = u64::from(s.n - 1);
            PkOps {
                generate: 1,
                sign: 3,
                verify: 2 * joiners,
                seal: joiners,
                ..PkOps::default()
            }
        },
        |b, f| {
            let imp = f.full_committer.implementation();
            let request = adding(f.key_packages.clone());
            b.iter_batched_ref(
                || new_member(imp, "creator".into()),
                |m| {
                    ok(m.create_group(GROUP_ID), "create_group");
                    let out = ok(m.commit(&request), "commit adding all");
                    ok(m.merge_pending_commit(), "merge");
                    out
                },
                BatchSize::PerIteration,
            )
        },
    );
}

/// Operation 2: On the full group, leaf 0 commits one Add (with the Welcome, tree inside).
///
/// Floor: 2 verify (KeyPackage, LeafNode) + 1 sign (Commit) + 1 sign (GroupInfo) + 1 seal
/// (GroupSecrets). No path.
fn add_one(c: &mut Criterion, ctx: &Ctx) {
    run(
        c,
        ctx,
        "add_one",
        |_| PkOps {
            verify: 2,
            sign: 2,
            seal: 1,
            ..PkOps::default()
        },
        |b, f| {
            let request = adding(vec![f.add_key_package.clone()]);
            b.iter_batched_ref(
                || fork(&*f.full_committer),
                |m| ok(m.commit(&request), "commit add"),
                BatchSize::PerIteration,
            )
        },
    );
}

/// The floor of a Commit with an UpdatePath of `path_nodes` nodes encrypted to
/// `encryptions` resolution nodes: 1 generate (the new leaf key) + 1 DeriveKeyPair per path
/// node + 1 seal per resolution node + 2 sign (LeafNode, FramedContent) (§7.4, §7.5).
fn commit_floor(path_nodes: u64, encryptions: u64) -> PkOps {
    PkOps {
        generate: 1,
        derive: path_nodes,
        seal: encryptions,
        sign: 2,
        ..PkOps::default()
    }
}

/// The floor of processing such a Commit at a receiver that derives `derived` path keys:
/// 1 open + `derived` DeriveKeyPair (to check the public keys, §12.4.2) + 2 verify
/// (FramedContent, the committer's LeafNode).
fn process_floor(derived: u64) -> PkOps {
    PkOps {
        open: 1,
        derive: derived,
        verify: 2,
        ..PkOps::default()
    }
}

/// Operation 3: A forced-path Commit with no proposals by leaf 0, in the full tree (log2 N path nodes,
/// log2 N encryptions) and in the sparse tree (log2 N path nodes, N − 1 encryptions).
/// Floor: [`commit_floor`], counted from the implementation's tree.
fn commit_path(c: &mut Criterion, ctx: &Ctx) {
    run(
        c,
        ctx,
        "commit_path_full",
        |s| commit_floor(s.full.0, s.full.1),
        |b, f| {
            b.iter_batched_ref(
                || fork(&*f.full_committer),
                |m| ok(m.commit(&path_only()), "commit path full"),
                BatchSize::PerIteration,
            )
        },
    );
    run(
        c,
        ctx,
        "commit_path_sparse",
        |s| commit_floor(s.sparse.0, s.sparse.1),
        |b, f| {
            b.iter_batched_ref(
                || fork(&*f.sparse_committer),
                |m| ok(m.commit(&path_only()), "commit path sparse"),
                BatchSize::PerIteration,
            )
        },
    );
}

/// Operation 4: Leaf 1 processes and merges the Commit of 3 (same bytes on a fresh copy each time).
/// Floor: [`process_floor`] with every path node derived (leaf 1 decrypts at the lowest).
fn process_commit(c: &mut Criterion, ctx: &Ctx) {
    fn process(m: &mut Box<dyn Member>, commit: &[u8]) -> Received {
        let received = ok(m.process(commit), "process commit");
        assert_eq!(received, Received::Commit);
        received
    }
    run(
        c,
        ctx,
        "process_commit_full",
        |s| process_floor(s.full.2),
        |b, f| {
            b.iter_batched_ref(
                || fork(&*f.full_receiver),
                |m| process(m, &f.full_commit),
                BatchSize::PerIteration,
            )
        },
    );
    run(
        c,
        ctx,
        "process_commit_sparse",
        |s| process_floor(s.sparse.2),
        |b, f| {
            b.iter_batched_ref(
                || fork(&*f.sparse_receiver),
                |m| process(m, &f.sparse_commit),
                BatchSize::PerIteration,
            )
        },
    );
}

/// Operation 5: On the full group, leaf 0 commits the removal of leaf 1 (with the path a Remove
/// requires). Floor: [`commit_floor`] of the path left once leaf 1's direct path is blanked
/// (log2 N − 1 nodes and encryptions).
fn remove(c: &mut Criterion, ctx: &Ctx) {
    run(
        c,
        ctx,
        "remove",
        |s| commit_floor(s.remove.0, s.remove.1),
        |b, f| {
            let request = CommitRequest {
                remove: vec![1],
                ..CommitRequest::default()
            };
            b.iter_batched_ref(
                || fork(&*f.full_committer),
                |m| ok(m.commit(&request), "commit remove"),
                BatchSize::PerIteration,
            )
        },
    );
}

/// Operation 6: The joiner of 2 joins from the Welcome, the ratchet tree inside it.
///
/// Floor: 1 open (GroupSecrets) + 1 verify (GroupInfo) + 1 verify per other member's LeafNode
/// (tree validation, §7.9.2/§12.4.3.1; N). No path secret (the Commit had no path).
fn join_welcome(c: &mut Criterion, ctx: &Ctx) {
    run(
        c,
        ctx,
        "join_welcome",
        |s| PkOps {
            open: 1,
            verify: 1 + s.join_other_leaves,
            ..PkOps::default()
        },
        |b, f| {
            b.iter_batched_ref(
                || fork(&*f.joiner),
                |m| ok(m.join(&f.welcome, None), "join"),
                BatchSize::PerIteration,
            )
        },
    );
}

/// Operation 7: Application messages from leaf 0 to leaf 1 of the full group.
///
/// Floor: encrypt 1 sign, decrypt 1 verify (the FramedContent of a PrivateMessage is signed,
/// §6.1); the rest is symmetric.
fn application(c: &mut Criterion, ctx: &Ctx) {
    for (len, encrypt, decrypt) in MESSAGE_SIZES {
        let payload = vec![0x42; len];
        run(
            c,
            ctx,
            encrypt,
            |_| PkOps {
                sign: 1,
                ..PkOps::default()
            },
            |b, f| {
                let full_committer = &f.full_committer;
                let sender = f.encryptor.get_or_insert_with(|| fork(&**full_committer));
                b.iter(|| ok(sender.send(black_box(&payload)), "send"))
            },
        );
        run(
            c,
            ctx,
            decrypt,
            |_| PkOps {
                verify: 1,
                ..PkOps::default()
            },
            |b, f| {
                let (sender, receiver) = f
                    .decrypt_pair
                    .get_or_insert_with(|| (fork(&*f.full_committer), fork(&*f.full_receiver)));
                b.iter_custom(|iters| {
                    let mut measured = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let chunk = left.min(DECRYPT_CHUNK);
                        let messages: Vec<Vec<u8>> = (0..chunk)
                            .map(|_| ok(sender.send(&payload), "send"))
                            .collect();
                        let start = Instant::now();
                        for message in &messages {
                            match ok(receiver.process(message), "decrypt") {
                                Received::Application(data) => {
                                    black_box(data);
                                }
                                other => panic!("decrypt: got {other:?}"),
                            }
                        }
                        measured += start.elapsed();
                        left -= chunk;
                    }
                    measured
                })
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/// The directory criterion writes to: `$CARGO_TARGET_DIR/criterion` or, from the bench
/// binary's location (`target/<profile>/deps/compare-…`), `target/criterion`.
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion")
}

/// The median (ns) criterion wrote for `group/id` during this run (files older than `since`
/// are from earlier runs and ignored).
fn median_ns(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    // `{"mean":{…},"median":{"confidence_interval":{…},"point_estimate":X,…},…}`
    let median = &text[text.find("\"median\":")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

/// A duration in ns, with a unit that keeps 3–4 significant digits.
fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Writes `contents` to `dir/name` and says so.
fn write_report(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, contents)) {
        Ok(()) => println!("wrote {}", path.display()),
        Err(err) => eprintln!("could not write {}: {err}", path.display()),
    }
}

/// Prints and writes `state_bytes.csv`, building any fixture no benchmark needed.
fn state_bytes_report(ctx: &Ctx, dir: &Path) {
    let mut csv = String::from(
        "implementation,size,sparse_state_bytes,sparse_bytes_per_member,full_state_bytes,full_bytes_per_member\n",
    );
    println!("\nStored state of leaf 0 (Member::state_bytes), total and per member:");
    println!(
        "{:<8} {:>6} {:>14} {:>10} {:>14} {:>10}",
        "impl", "N", "sparse", "/member", "full", "/member"
    );
    for &n in &ctx.settings.sizes {
        for &imp in &ctx.settings.impls {
            let (sparse, full) = ctx.with_fixture(imp, n, |f| f.state_bytes);
            let per = |bytes: usize| bytes as f64 / f64::from(n);
            println!(
                "{:<8} {:>6} {:>14} {:>10.0} {:>14} {:>10.0}",
                imp.to_string(),
                n,
                sparse,
                per(sparse),
                full,
                per(full)
            );
            let _ = writeln!(
                csv,
                "{imp},{n},{sparse},{:.1},{full},{:.1}",
                per(sparse),
                per(full)
            );
        }
    }
    write_report(dir, "state_bytes.csv", &csv);
}

/// Prints and writes the floors (`floor.csv`) and the comparison table (`compare_table.md`).
fn floor_report(ctx: &Ctx, dir: &Path, since: SystemTime) {
    let units: Option<UnitCosts> = UNIT_IDS
        .iter()
        .map(|id| median_ns(dir, "unit_cost", id, since))
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.try_into().ok());
    let Some(units) = units else {
        println!("\nno unit costs measured in this run (group unit_cost filtered out): no floors");
        return;
    };
    println!("\nUnit costs (braid-provider, median):");
    for (id, ns) in UNIT_IDS.iter().zip(units) {
        println!("  {id:<24} {}", human(ns));
    }

    let mut csv = String::from(
        "operation,size,generate,derive_key_pair,hpke_seal,hpke_open,sign,verify,floor_ns\n",
    );
    let mut table = String::new();
    let _ = writeln!(
        table,
        "| operation | N | braid | openmls | mls-rs | braid / faster peer | braid floor | braid / floor |"
    );
    let _ = writeln!(table, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let counts = ctx.counts.borrow();
    for &operation in ctx.operations.borrow().iter() {
        for &n in &ctx.settings.sizes {
            let Some(ops) = counts.get(&(operation, n)) else {
                continue;
            };
            let floor = ops.floor(&units);
            let c = ops.counts();
            let _ = writeln!(
                csv,
                "{operation},{n},{},{},{},{},{},{},{floor:.0}",
                c[0], c[1], c[2], c[3], c[4], c[5]
            );
            let median = |imp: Implementation| {
                ctx.settings
                    .impls
                    .contains(&imp)
                    .then(|| median_ns(dir, operation, &format!("{imp}/{n}"), since))
                    .flatten()
            };
            let [braid, openmls, mls_rs] = Implementation::ALL.map(median);
            let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), human);
            let peer = match (openmls, mls_rs) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                _ => "–".to_owned(),
            };
            let _ = writeln!(
                table,
                "| {operation} | {n} | {} | {} | {} | {} | {} | {} |",
                cell(braid),
                cell(openmls),
                cell(mls_rs),
                ratio(braid, peer),
                human(floor),
                ratio(braid, Some(floor)),
            );
        }
    }
    println!("\n{table}");
    write_report(dir, "floor.csv", &csv);
    write_report(dir, "compare_table.md", &table);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and must not spend
    // minutes building groups.
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("compare: not run outside `cargo bench`");
        return;
    }
    let since = SystemTime::now();
    let ctx = Ctx {
        settings: Settings::from_env(),
        fixtures: RefCell::new(HashMap::new()),
        counts: RefCell::new(BTreeMap::new()),
        operations: RefCell::new(Vec::new()),
    };
    let mut c = Criterion::default().without_plots().configure_from_args();
    unit_costs(&mut c);
    create_add_all(&mut c, &ctx);
    add_one(&mut c, &ctx);
    commit_path(&mut c, &ctx);
    process_commit(&mut c, &ctx);
    remove(&mut c, &ctx);
    join_welcome(&mut c, &ctx);
    application(&mut c, &ctx);
    c.final_summary();

    let dir = criterion_dir();
    state_bytes_report(&ctx, &dir);
    floor_report(&ctx, &dir, since);
}
