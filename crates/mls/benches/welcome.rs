//! Creating a Commit that adds many members at once, with its Welcome (RFC 9420 §12.4.1,
//! §12.4.3.1), with cipher suite 1, to a group of one member.
//!
//! The Commit's cost is dominated by the Welcome: one `EncryptWithLabel` of the GroupSecrets
//! to each new member's `init_key`, whose HPKE info holds the whole encrypted GroupInfo (and so
//! the ratchet tree of every member). The throughput reported is in added members.
//!
//! `cargo bench -p braid-mls --bench welcome -- --warm-up-time 1 --measurement-time 10`

use std::hint::black_box;

use braid_crypto::CipherSuite;
use braid_mls::extensions::Extensions;
use braid_mls::group::{
    default_lifetime, CommitOptions, CreateOptions, Group, GroupConfig, KeyPackageBundle,
    KeyPackageOptions, LeafNodeOptions, Signer,
};
use braid_mls::messages::{Add, Credential, Proposal};
use braid_provider::DefaultProvider;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const PROVIDER: DefaultProvider = DefaultProvider::new();
const NOW: u64 = 1_700_000_000;
const SIZES: [usize; 2] = [100, 1000];

fn signer(name: String) -> Signer {
    Signer::generate(&PROVIDER, SUITE, Credential::basic(name)).expect("signer")
}

fn add_members(c: &mut Criterion) {
    let creator = Group::create(
        &PROVIDER,
        GroupConfig::default(),
        SUITE,
        signer("creator".into()),
        CreateOptions {
            group_id: b"welcome benchmark".to_vec(),
            extensions: Extensions::new(),
            leaf: LeafNodeOptions::default(),
            lifetime: default_lifetime(NOW),
        },
    )
    .expect("group");
    let mut group = c.benchmark_group("commit_adding");
    group.sample_size(10);
    for size in SIZES {
        let adds: Vec<Proposal> = (0..size)
            .map(|i| {
                let bundle = KeyPackageBundle::create(
                    &PROVIDER,
                    SUITE,
                    &signer(format!("member {i}")),
                    &KeyPackageOptions::new(NOW),
                )
                .expect("key package");
                Proposal::Add(Box::new(Add {
                    key_package: bundle.key_package().clone(),
                }))
            })
            .collect();
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter_batched(
                || (creator.clone(), adds.clone()),
                |(mut committer, proposals)| {
                    let options = CommitOptions {
                        proposals,
                        ..CommitOptions::default()
                    };
                    black_box(committer.commit(&PROVIDER, options, NOW).expect("commit"))
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, add_members);
criterion_main!(benches);
