//! A commit in a large group costs O(log N) besides its HPKE work and one copy of the tree
//! (which the test times on its own).
//! Run with `cargo test --release -p braid-mls --test group_scale -- --ignored --nocapture`
//! to see the timings; the default run uses a small group.

mod common;

use std::time::Instant;

use braid_mls::group::{CommitOptions, GroupConfig, KeyPackageBundle, ProcessedMessage};
use braid_mls::messages::{Add, Proposal};
use common::*;

fn run(n: usize) {
    let config = GroupConfig::default();
    let clients: Vec<Client> = (0..n).map(|i| Client::new(&format!("m{i}"))).collect();
    let mut creator = create_group(&clients[0], config, b"scale");
    let bundles: Vec<KeyPackageBundle> = clients[1..].iter().map(Client::key_package).collect();
    let start = Instant::now();
    let adds = bundles
        .iter()
        .map(|b| {
            Proposal::Add(Box::new(Add {
                key_package: b.key_package().clone(),
            }))
        })
        .collect();
    let bundle = creator
        .commit(
            provider(),
            CommitOptions {
                proposals: adds,
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    creator.merge_pending_commit().unwrap();
    println!("{n} members: adding all took {:?}", start.elapsed());
    let start = Instant::now();
    let mut member = join(
        &clients[n / 2],
        &bundles[n / 2 - 1],
        bundle.welcome.as_ref().unwrap(),
        config,
    );
    println!(
        "{n} members: joining (whole tree verified) took {:?}",
        start.elapsed()
    );
    // Fill the tree's parent nodes with a few commits, then time one commit each way.
    for _ in 0..2 {
        let bundle = creator
            .commit(provider(), CommitOptions::default(), NOW)
            .unwrap();
        let start = Instant::now();
        match member
            .process_message(provider(), bundle.commit, NOW)
            .unwrap()
        {
            ProcessedMessage::Commit(staged) => member.merge_staged_commit(*staged).unwrap(),
            other => panic!("{other:?}"),
        }
        println!(
            "{n} members: processing a commit took {:?}",
            start.elapsed()
        );
        creator.merge_pending_commit().unwrap();
    }
    let start = Instant::now();
    let copy = member.ratchet_tree().clone();
    println!("{n} members: copying the tree took {:?}", start.elapsed());
    let start = Instant::now();
    drop(copy);
    println!("{n} members: dropping the copy took {:?}", start.elapsed());
    let start = Instant::now();
    let bundle = creator
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    println!("{n} members: creating a commit took {:?}", start.elapsed());
    let start = Instant::now();
    let staged = match member
        .process_message(provider(), bundle.commit, NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => staged,
        other => panic!("{other:?}"),
    };
    member.merge_staged_commit(*staged).unwrap();
    creator.merge_pending_commit().unwrap();
    println!(
        "{n} members: processing a commit took {:?}",
        start.elapsed()
    );
    assert_eq!(member.epoch_authenticator(), creator.epoch_authenticator());
}

#[test]
fn commits_in_a_group_of_64() {
    run(64);
}

#[test]
#[ignore = "slow without --release; prints timings"]
fn commits_in_a_group_of_8192() {
    run(8192);
}
