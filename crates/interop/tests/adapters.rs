//! Each adapter on its own, through the `Member` trait: a group's whole life (RFC 9420 §11–§12:
//! Welcome joins with and without the tree, application messages both ways and out of order
//! (also across an epoch change), Commits with forced paths, removes, external PSKs, external
//! joins with and without the tree, forks), with the handshake wire formats (§6), the exporter
//! and `epoch_authenticator` agreement (§8.5, §8.7) and the state size checked along the way.
//!
//! braid and mls-rs go through the same life ([`life`]); OpenMLS goes through a shorter one of
//! its own plus a fork test; mls-rs also goes through the shared harness of `common`.

mod common;

use std::ops::Deref;

use braid_codec::Decode;
use braid_interop::openmls::SUITES as OPENMLS_SUITES;
use braid_interop::{
    CommitOutput, CommitRequest, HandshakeWire, Implementation, Member, MemberConfig, Received,
};
use common::{assert_wire_format, Change, Group, WireFormat};

/// The exporter label compared by [`assert_agree`].
const LABEL: &str = "adapter";
/// The exporter context compared by [`assert_agree`].
const CONTEXT: &[u8] = b"context";
/// The exporter output length compared by [`assert_agree`].
const LENGTH: usize = 42;

/// A new member `name` of `implementation` in `suite`, sending handshakes as `handshake`.
fn member(
    implementation: Implementation,
    suite: u16,
    name: &str,
    handshake: HandshakeWire,
) -> Box<dyn Member> {
    let config = MemberConfig {
        handshake,
        ..MemberConfig::new(suite, name)
    };
    implementation
        .member(&config)
        .unwrap_or_else(|e| panic!("creating {name} ({implementation}, suite {suite}): {e}"))
}

/// Every member is in the same epoch with the same members, authenticator, exporter output and
/// ratchet tree (which decodes as one); other exporter labels and contexts give other values.
fn assert_agree<M: Deref<Target = dyn Member>>(members: &[M]) {
    let first = &members[0];
    let authenticator = first.epoch_authenticator().unwrap();
    let exported = first.export(LABEL, CONTEXT, LENGTH).unwrap();
    assert_eq!(exported.len(), LENGTH);
    let tree = first.ratchet_tree().unwrap();
    braid_mls::messages::RatchetTree::from_bytes(&tree).unwrap();
    for (i, other) in members.iter().enumerate().skip(1) {
        assert_eq!(other.epoch(), first.epoch(), "member {i}: epoch");
        assert_eq!(other.members(), first.members(), "member {i}: members");
        assert_eq!(
            other.epoch_authenticator().unwrap(),
            authenticator,
            "member {i}: epoch_authenticator"
        );
        assert_eq!(
            other.export(LABEL, CONTEXT, LENGTH).unwrap(),
            exported,
            "member {i}: exporter"
        );
        assert_eq!(other.ratchet_tree().unwrap(), tree, "member {i}: tree");
    }
    assert_ne!(
        first.export(LABEL, b"other context", LENGTH).unwrap(),
        exported
    );
    assert_ne!(
        first.export("other label", CONTEXT, LENGTH).unwrap(),
        exported
    );
}

/// `members[committer]` made `commit`: it merges, every other member processes it.
fn deliver_commit(members: &mut [Box<dyn Member>], committer: usize, commit: &[u8]) {
    for (i, member) in members.iter_mut().enumerate() {
        if i == committer {
            member.merge_pending_commit().unwrap();
        } else {
            assert_eq!(
                member.process(commit).unwrap(),
                Received::Commit,
                "member {i}"
            );
        }
    }
}

/// Every member processes the external Commit `commit` of a joiner (a PublicMessage,
/// §12.4.3.2).
fn deliver_external_commit(members: &mut [Box<dyn Member>], commit: &[u8]) {
    assert_wire_format(commit, WireFormat::PublicMessage, "an external joiner");
    for (i, member) in members.iter_mut().enumerate() {
        assert_eq!(
            member.process(commit).unwrap(),
            Received::Commit,
            "member {i}"
        );
    }
}

/// `members[sender]` sends `data`, a PrivateMessage; every other member reads it.
fn broadcast(members: &mut [Box<dyn Member>], sender: usize, data: &[u8]) {
    let message = members[sender].send(data).unwrap();
    assert_wire_format(
        &message,
        WireFormat::PrivateMessage,
        &format!("member {sender}"),
    );
    for (i, member) in members.iter_mut().enumerate() {
        if i != sender {
            assert_eq!(
                member.process(&message).unwrap(),
                Received::Application(data.to_vec()),
                "member {i}"
            );
        }
    }
}

/// `members[sender]` sends `order.len()` messages; every other member reads them in `order` (a
/// permutation of `0..order.len()`), and then cannot read the last one it read again.
fn out_of_order(members: &mut [Box<dyn Member>], sender: usize, order: &[usize]) {
    let sent: Vec<Vec<u8>> = (0..order.len())
        .map(|n| members[sender].send(&[n as u8; 7]).unwrap())
        .collect();
    for (i, member) in members.iter_mut().enumerate() {
        if i == sender {
            continue;
        }
        for &n in order {
            assert_eq!(
                member.process(&sent[n]).unwrap(),
                Received::Application(vec![n as u8; 7]),
                "member {i}, message {n}"
            );
        }
        assert!(
            order
                .last()
                .is_none_or(|&n| member.process(&sent[n]).is_err()),
            "member {i} read a message twice"
        );
    }
}

/// Dave joins externally from the GroupInfo of `members[dave_from]` with the tree in it, into
/// leaf 2; then Erin from that of `members[erin_from]` without it (which is not enough), given
/// the tree out of band. Every member processes each external Commit and all agree after each.
fn external_joins(
    members: &mut Vec<Box<dyn Member>>,
    member: impl Fn(&str, HandshakeWire) -> Box<dyn Member>,
    dave_from: usize,
    erin_from: usize,
) {
    let mut dave = member("dave", HandshakeWire::Ciphertext);
    let group_info = members[dave_from].group_info(true).unwrap();
    let commit = dave.join_external(&group_info, None).unwrap();
    deliver_external_commit(members, &commit);
    assert_eq!(dave.own_leaf_index(), 2);
    members.push(dave);
    assert_agree(members);

    let mut erin = member("erin", HandshakeWire::Plaintext);
    let group_info = members[erin_from].group_info(false).unwrap();
    assert!(
        erin.fork()
            .unwrap()
            .join_external(&group_info, None)
            .is_err(),
        "joined without a tree"
    );
    let tree = members[erin_from].ratchet_tree().unwrap();
    let commit = erin.join_external(&group_info, Some(&tree)).unwrap();
    deliver_external_commit(members, &commit);
    members.push(erin);
    assert_agree(members);
    assert_eq!(members[0].members(), vec![0, 1, 2, 3]);
}

/// The whole life of a group of `implementation` members in `suite`, step by step, with the
/// checks the shared harness does not make.
fn life(implementation: Implementation, suite: u16) {
    let member = |name: &str, handshake| member(implementation, suite, name, handshake);
    let mut alice = member("alice", HandshakeWire::Ciphertext);
    assert_eq!(alice.implementation(), implementation);
    assert!(alice.epoch_authenticator().is_err(), "no group yet");
    assert!(alice.state_bytes().is_err(), "no group yet");
    assert!(alice.members().is_empty());
    alice.create_group(b"adapter group").unwrap();
    assert_eq!((alice.epoch(), alice.members()), (0, vec![0]));
    let empty_state = alice.state_bytes().unwrap();
    assert!(empty_state > 0);
    let mut members = vec![alice];

    // Bob (plaintext handshakes), with two KeyPackages, is added by his second one with the
    // tree in the Welcome.
    let mut bob = member("bob", HandshakeWire::Plaintext);
    let _unused = bob.key_package().unwrap();
    let bob_kp = bob.key_package().unwrap();
    let CommitOutput { commit, welcome } = members[0].commit(&add(bob_kp, true)).unwrap();
    assert_wire_format(&commit, WireFormat::PrivateMessage, "alice");
    members[0].merge_pending_commit().unwrap();
    bob.join(&welcome.unwrap(), None).unwrap();
    assert_eq!(bob.own_leaf_index(), 1);
    members.push(bob);
    assert_agree(&members);
    assert!(members[0].state_bytes().unwrap() > empty_state);

    // Carol is added by Bob, whose Commit is a PublicMessage, without the tree in the Welcome:
    // the Welcome alone is not enough (and trying leaves her able to join), and the KeyPackage
    // is used up once she joins.
    let mut carol = member("carol", HandshakeWire::Ciphertext);
    let carol_kp = carol.key_package().unwrap();
    let CommitOutput { commit, welcome } = members[1].commit(&add(carol_kp, false)).unwrap();
    assert_wire_format(&commit, WireFormat::PublicMessage, "bob");
    deliver_commit(&mut members, 1, &commit);
    let welcome = welcome.unwrap();
    assert!(carol.fork().unwrap().join(&welcome, None).is_err());
    assert!(carol.join(&welcome, None).is_err());
    let tree = members[1].ratchet_tree().unwrap();
    carol.join(&welcome, Some(&tree)).unwrap();
    if implementation == Implementation::Braid {
        // The mls-rs adapter lets a fork join again from the same Welcome.
        assert!(carol.fork().unwrap().join(&welcome, Some(&tree)).is_err());
    }
    assert_eq!(carol.own_leaf_index(), 2);
    members.push(carol);
    assert_agree(&members);
    assert_eq!(members[0].members(), vec![0, 1, 2]);

    // Application messages from everyone, in order and out of order; a message is read once.
    for (sender, name) in ["alice", "bob", "carol"].into_iter().enumerate() {
        broadcast(
            &mut members,
            sender,
            format!("hello from {name}").as_bytes(),
        );
    }
    out_of_order(&mut members, 1, &[3, 0, 2, 1]);
    out_of_order(&mut members, 2, &[2, 0, 1]);

    // A message of the previous epoch, delivered after the Commit that ended it.
    let late = members[2].send(b"late").unwrap();

    // External PSK: a PSK-only Commit needs no path, so forcing one makes it larger. Bob
    // (plaintext handshakes) commits; a fork of him tries the variant without a path.
    for member in members.iter_mut() {
        member
            .store_external_psk(b"psk one", b"the external secret")
            .unwrap();
    }
    let psk_request = CommitRequest {
        external_psks: vec![b"psk one".to_vec()],
        ..CommitRequest::default()
    };
    let without_path = members[1].fork().unwrap().commit(&psk_request).unwrap();
    let with_path = members[1]
        .commit(&CommitRequest {
            force_path: true,
            ..psk_request.clone()
        })
        .unwrap();
    assert_wire_format(&with_path.commit, WireFormat::PublicMessage, "bob");
    assert!(with_path.welcome.is_none());
    assert!(with_path.commit.len() > without_path.commit.len());
    let epoch = members[0].epoch();
    deliver_commit(&mut members, 1, &with_path.commit);
    assert_eq!(members[0].epoch(), epoch + 1);
    assert_agree(&members);
    assert_eq!(
        members[0].process(&late).unwrap(),
        Received::Application(b"late".to_vec())
    );

    // A PSK the committer does not have cannot be injected; a member lacking a PSK cannot
    // process a Commit injecting it.
    assert!(members[0]
        .commit(&CommitRequest {
            external_psks: vec![b"unknown".to_vec()],
            ..CommitRequest::default()
        })
        .is_err());
    members[0]
        .store_external_psk(b"psk two", b"only alice has it")
        .unwrap();
    let lonely = members[0]
        .fork()
        .unwrap()
        .commit(&CommitRequest {
            external_psks: vec![b"psk two".to_vec()],
            ..CommitRequest::default()
        })
        .unwrap();
    assert!(members[1].fork().unwrap().process(&lonely.commit).is_err());

    // Fork independence: a fork of Bob reads the same message as Bob, and stays in its epoch
    // while Bob moves on.
    let message = members[0].send(b"read twice").unwrap();
    let mut bob_fork = members[1].fork().unwrap();
    for bob in [&mut members[1], &mut bob_fork] {
        assert_eq!(
            bob.process(&message).unwrap(),
            Received::Application(b"read twice".to_vec())
        );
    }
    members[2].process(&message).unwrap();

    // Bob removes Carol with a forced path; Carol processes her removal.
    let fork_epoch = bob_fork.epoch();
    let CommitOutput { commit, welcome } = members[1]
        .commit(&CommitRequest {
            remove: vec![2],
            force_path: true,
            ..CommitRequest::default()
        })
        .unwrap();
    assert!(welcome.is_none());
    deliver_commit(&mut members, 1, &commit);
    let carol = members.pop().unwrap();
    assert!(carol.fork().unwrap().send(b"still here?").is_err());
    assert_agree(&members);
    assert_eq!(members[0].members(), vec![0, 1]);
    assert_eq!(bob_fork.epoch(), fork_epoch);
    assert_eq!(bob_fork.members(), vec![0, 1, 2]);
    assert_ne!(
        bob_fork.epoch_authenticator().unwrap(),
        members[1].epoch_authenticator().unwrap()
    );
    // The fork goes on in its own branch: it can still commit there.
    let branch = bob_fork
        .commit(&CommitRequest {
            force_path: true,
            ..CommitRequest::default()
        })
        .unwrap();
    bob_fork.merge_pending_commit().unwrap();
    assert_eq!(bob_fork.epoch(), fork_epoch + 1);
    assert!(members[0].process(&branch.commit).is_err(), "other branch");

    // Dave and Erin join externally, into Carol's old leaf and a new one.
    external_joins(&mut members, member, 0, 2);

    // Everyone can still talk and commit; the state grows with the group.
    for sender in 0..members.len() {
        broadcast(&mut members, sender, format!("from {sender}").as_bytes());
    }
    let CommitOutput { commit, .. } = members[3]
        .commit(&CommitRequest {
            force_path: true,
            ..CommitRequest::default()
        })
        .unwrap();
    assert_wire_format(&commit, WireFormat::PublicMessage, "erin");
    deliver_commit(&mut members, 3, &commit);
    assert_agree(&members);
    let state = members[0].state_bytes().unwrap();
    assert!(state > empty_state);
    assert_eq!(
        members[0].state_bytes().unwrap(),
        state,
        "measuring changes nothing"
    );

    // Frank, who was given the PSK before joining, is added by a Commit that injects it;
    // Dave and Erin get it while in the group.
    for member in &mut members[2..] {
        member
            .store_external_psk(b"psk one", b"the external secret")
            .unwrap();
    }
    let mut frank = member("frank", HandshakeWire::Ciphertext);
    frank
        .store_external_psk(b"psk one", b"the external secret")
        .unwrap();
    let CommitOutput { commit, welcome } = members[0]
        .commit(&CommitRequest {
            add: vec![frank.key_package().unwrap()],
            external_psks: vec![b"psk one".to_vec()],
            tree_in_welcome: true,
            ..CommitRequest::default()
        })
        .unwrap();
    deliver_commit(&mut members, 0, &commit);
    frank.join(&welcome.unwrap(), None).unwrap();
    members.push(frank);
    assert_agree(&members);
    broadcast(&mut members, 4, b"from frank");
}

/// The mls-rs life through the shared harness (which checks agreement after every epoch), with
/// members of both handshake formats.
fn mls_rs_harness(suite: u16) {
    let mut group = Group::create(Implementation::MlsRs, HandshakeWire::Plaintext, suite);
    let creator = group.names()[0].clone();
    let joiners = vec![
        group.new_party(Implementation::MlsRs, HandshakeWire::Ciphertext),
        group.new_party(Implementation::MlsRs, HandshakeWire::Plaintext),
    ];
    group.commit(&creator, Change::add(joiners, false));
    let second = group.names()[1].clone();
    let joiner = group.new_party(Implementation::MlsRs, HandshakeWire::Ciphertext);
    group.commit(&second, Change::add(vec![joiner], true));
    group.everyone_sends(3);
    group.commit(&second, Change::update());
    group.commit(&creator, Change::psks(2));
    let highest = group.highest_leaf();
    group.commit(&second, Change::remove(&[&highest]));
    let joiner = group.new_party(Implementation::MlsRs, HandshakeWire::Plaintext);
    group.external_join(joiner, &second, false);
    let joiner = group.new_party(Implementation::MlsRs, HandshakeWire::Ciphertext);
    group.external_join(joiner, &creator, true);
    group.everyone_sends(2);
    assert_eq!(group.parties().len(), 5);
}

/// A Commit adding the owner of `key_package`.
fn add(key_package: Vec<u8>, tree_in_welcome: bool) -> CommitRequest {
    CommitRequest {
        add: vec![key_package],
        tree_in_welcome,
        ..CommitRequest::default()
    }
}

/// An OpenMLS group in `suite`: alice (PrivateMessage handshakes) creates it and adds bob
/// (PublicMessage handshakes) with the tree in the Welcome; each must accept the other's.
fn openmls_pair(suite: u16) -> (Box<dyn Member>, Box<dyn Member>) {
    let member = |name: &str, handshake| member(Implementation::OpenMls, suite, name, handshake);
    let mut alice = member("alice", HandshakeWire::Ciphertext);
    let mut bob = member("bob", HandshakeWire::Plaintext);
    alice.create_group(b"openmls adapter group").unwrap();
    assert_eq!((alice.epoch(), alice.members()), (0, vec![0]));
    let output = alice
        .commit(&add(bob.key_package().unwrap(), true))
        .unwrap();
    alice.merge_pending_commit().unwrap();
    bob.join(&output.welcome.expect("a Welcome for an Add"), None)
        .unwrap();
    assert_eq!(bob.own_leaf_index(), 1);
    assert_agree(&[&*alice, &*bob]);
    (alice, bob)
}

/// The OpenMLS life, from [`openmls_pair`] on.
fn openmls_life(suite: u16) {
    let member = |name: &str, handshake| member(Implementation::OpenMls, suite, name, handshake);
    let (mut alice, mut bob) = openmls_pair(suite);
    let mut carol = member("carol", HandshakeWire::Ciphertext);

    // Add carol with the tree out of band; without it the Welcome cannot be used.
    let carol_kp = carol.key_package().unwrap();
    let output = alice.commit(&add(carol_kp, false)).unwrap();
    assert_wire_format(&output.commit, WireFormat::PrivateMessage, "alice");
    assert_eq!(bob.process(&output.commit).unwrap(), Received::Commit);
    alice.merge_pending_commit().unwrap();
    let welcome = output.welcome.expect("a Welcome for an Add");
    assert!(
        carol.fork().unwrap().join(&welcome, None).is_err(),
        "joined without a tree"
    );
    carol
        .join(&welcome, Some(&alice.ratchet_tree().unwrap()))
        .unwrap();
    assert_eq!(carol.own_leaf_index(), 2);
    assert_agree(&[&*alice, &*bob, &*carol]);
    assert_eq!(alice.members(), vec![0, 1, 2]);

    // Application messages both ways, delivered out of order; a message is read once.
    let mut members = vec![alice, bob, carol];
    out_of_order(&mut members, 0, &[3, 0, 2, 1]);
    broadcast(&mut members, 1, b"from bob");

    // An empty Commit with a forced path, from bob as PublicMessage.
    let epoch = members[0].epoch();
    let force_path = CommitRequest {
        force_path: true,
        ..CommitRequest::default()
    };
    let output = members[1].commit(&force_path).unwrap();
    assert_wire_format(&output.commit, WireFormat::PublicMessage, "bob");
    assert!(output.welcome.is_none());
    deliver_commit(&mut members, 1, &output.commit);
    assert_eq!(members[1].epoch(), epoch + 1);
    assert_agree(&members);

    // Remove carol: the others agree on the new epoch, carol no longer follows.
    let remove = CommitRequest {
        remove: vec![2],
        ..CommitRequest::default()
    };
    let output = members[0].commit(&remove).unwrap();
    deliver_commit(&mut members, 0, &output.commit);
    let mut carol = members.pop().expect("carol");
    assert_eq!(members[0].members(), vec![0, 1]);
    assert_agree(&members);
    assert!(carol.send(b"after removal").is_err());

    // External PSK: unknown IDs are refused, stored ones enter the key schedule.
    let psk = CommitRequest {
        external_psks: vec![b"psk id".to_vec()],
        ..CommitRequest::default()
    };
    assert!(members[0].commit(&psk).is_err(), "committed an unknown PSK");
    members[0]
        .store_external_psk(b"psk id", b"psk secret")
        .unwrap();
    let output = members[0].commit(&psk).unwrap();
    assert!(
        members[1].process(&output.commit).is_err(),
        "processed without the PSK"
    );
    members[1]
        .store_external_psk(b"psk id", b"psk secret")
        .unwrap();
    deliver_commit(&mut members, 0, &output.commit);
    assert_agree(&members);

    // External joins from bob's GroupInfo, then alice's.
    external_joins(&mut members, member, 1, 0);

    // The joiners take part: erin commits with a path, dave sends.
    let output = members[3].commit(&force_path).unwrap();
    deliver_commit(&mut members, 3, &output.commit);
    assert_agree(&members);
    broadcast(&mut members, 2, b"from dave");
}

/// OpenMLS forks: independent secret trees and epochs, and a pending Commit kept.
fn openmls_fork(suite: u16) {
    let (mut alice, mut bob) = openmls_pair(suite);

    let mut bob_fork = bob.fork().unwrap();
    assert_eq!(bob_fork.state_bytes().unwrap(), bob.state_bytes().unwrap());
    assert!(bob.state_bytes().unwrap() > 0);

    // The same message decrypts in both: the fork has its own secret tree.
    let message = alice.send(b"once").unwrap();
    for bob in [&mut bob, &mut bob_fork] {
        assert_eq!(
            bob.process(&message).unwrap(),
            Received::Application(b"once".to_vec())
        );
    }
    assert!(bob.process(&message).is_err());

    // A Commit moves one and not the other, until the other processes it too.
    let force_path = CommitRequest {
        force_path: true,
        ..CommitRequest::default()
    };
    let output = alice.commit(&force_path).unwrap();
    alice.merge_pending_commit().unwrap();
    assert_eq!(bob.process(&output.commit).unwrap(), Received::Commit);
    assert_eq!(bob_fork.epoch() + 1, bob.epoch());
    assert_ne!(
        bob_fork.epoch_authenticator().unwrap(),
        bob.epoch_authenticator().unwrap()
    );
    assert_eq!(bob_fork.process(&output.commit).unwrap(), Received::Commit);
    assert_agree(&[&*alice, &*bob, &*bob_fork]);

    // A fork taken with a pending Commit keeps it.
    let output = bob.commit(&force_path).unwrap();
    let mut pending = bob.fork().unwrap();
    pending.merge_pending_commit().unwrap();
    assert_eq!(pending.epoch(), bob.epoch() + 1);
    assert_eq!(alice.process(&output.commit).unwrap(), Received::Commit);
    assert_agree(&[&*alice, &*pending]);
}

/// What `implementation` says when refusing to make a member in `suite`.
fn refusal(implementation: Implementation, suite: u16) -> String {
    implementation
        .member(&MemberConfig::new(suite, "x"))
        .err()
        .unwrap_or_else(|| panic!("{implementation} accepted suite {suite}"))
        .to_string()
}

#[test]
fn braid_life_in_suite_1() {
    life(Implementation::Braid, 1);
}

#[test]
fn braid_life_in_suite_2() {
    life(Implementation::Braid, 2);
}

#[test]
fn braid_life_in_suite_3() {
    life(Implementation::Braid, 3);
}

#[test]
fn mls_rs_supports_the_classical_aws_lc_suites() {
    assert_eq!(Implementation::MlsRs.suites(), &[1, 2, 3, 5, 7]);
    for suite in [4, 6, 0x1234] {
        let err = refusal(Implementation::MlsRs, suite);
        assert!(err.contains("not supported"), "{err}");
    }
}

#[test]
fn mls_rs_life_in_every_suite() {
    for &suite in Implementation::MlsRs.suites() {
        life(Implementation::MlsRs, suite);
    }
}

#[test]
fn mls_rs_harness_in_every_suite() {
    for &suite in Implementation::MlsRs.suites() {
        mls_rs_harness(suite);
    }
}

#[test]
fn openmls_supports_suites_1_to_3() {
    assert_eq!(OPENMLS_SUITES, &[1, 2, 3]);
    for suite in [0, 4, 5, 6, 7, 0xffff] {
        refusal(Implementation::OpenMls, suite);
    }
}

#[test]
fn openmls_life_in_every_suite() {
    for &suite in OPENMLS_SUITES {
        openmls_life(suite);
    }
}

#[test]
fn openmls_fork_is_independent() {
    for &suite in OPENMLS_SUITES {
        openmls_fork(suite);
    }
}
