//! The mls-rs adapter on its own, through the `Member` trait, in every suite it supports: Welcome
//! joins with and without the tree, application messages both ways and out of order (also
//! across an epoch change), Commits with forced paths, removes, external PSKs, external joins
//! with and without the tree, handshake wire formats, the exporter and `epoch_authenticator`
//! agreement (§8.5, §8.7), the state size and fork independence.

mod common;

use braid_interop::{
    CommitOutput, CommitRequest, HandshakeWire, Implementation, Member, MemberConfig, Received,
};
use common::{Change, Group};

/// The `wire_format` of an encoded `MLSMessage` (the two bytes after its `version`, §6).
fn wire_format(message: &[u8]) -> u16 {
    u16::from_be_bytes([message[2], message[3]])
}

const PUBLIC_MESSAGE: u16 = 1;
const PRIVATE_MESSAGE: u16 = 2;

fn member(suite: u16, name: &str, handshake: HandshakeWire) -> Box<dyn Member> {
    let config = MemberConfig {
        handshake,
        ..MemberConfig::new(suite, name)
    };
    Implementation::MlsRs.member(&config).unwrap()
}

/// Every member is in the same epoch with the same members, authenticator, exporter output and
/// tree; other exporter labels and contexts give other values.
fn assert_agree(members: &[Box<dyn Member>]) {
    let first = &members[0];
    let authenticator = first.epoch_authenticator().unwrap();
    let exported = first.export("mls-rs adapter", b"context", 42).unwrap();
    assert_eq!(exported.len(), 42);
    let tree = first.ratchet_tree().unwrap();
    for other in &members[1..] {
        assert_eq!(other.epoch(), first.epoch());
        assert_eq!(other.members(), first.members());
        assert_eq!(other.epoch_authenticator().unwrap(), authenticator);
        assert_eq!(
            other.export("mls-rs adapter", b"context", 42).unwrap(),
            exported
        );
        assert_eq!(other.ratchet_tree().unwrap(), tree);
    }
    assert_ne!(
        first
            .export("mls-rs adapter", b"other context", 42)
            .unwrap(),
        exported
    );
    assert_ne!(
        first.export("other label", b"context", 42).unwrap(),
        exported
    );
}

/// `members[committer]` merges its Commit; every other member processes it.
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

/// `members[sender]` sends `data`, a PrivateMessage; every other member reads it.
fn broadcast(members: &mut [Box<dyn Member>], sender: usize, data: &[u8]) {
    let message = members[sender].send(data).unwrap();
    assert_eq!(wire_format(&message), PRIVATE_MESSAGE);
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

/// The whole life of a group, step by step, with the checks the shared harness does not make.
fn scenario(suite: u16) {
    let mut alice = member(suite, "alice", HandshakeWire::Ciphertext);
    assert_eq!(alice.implementation(), Implementation::MlsRs);
    assert!(alice.epoch_authenticator().is_err(), "no group yet");
    assert!(alice.state_bytes().is_err(), "no group yet");
    assert!(alice.members().is_empty());
    alice.create_group(b"mls-rs adapter group").unwrap();
    assert_eq!((alice.epoch(), alice.members()), (0, vec![0]));
    let empty_state = alice.state_bytes().unwrap();
    assert!(empty_state > 0);
    let mut members = vec![alice];

    // Bob (plaintext handshakes), with two KeyPackages, is added by his second one with the
    // tree in the Welcome.
    let mut bob = member(suite, "bob", HandshakeWire::Plaintext);
    let _unused = bob.key_package().unwrap();
    let bob_kp = bob.key_package().unwrap();
    let CommitOutput { commit, welcome } = members[0]
        .commit(&CommitRequest {
            add: vec![bob_kp],
            tree_in_welcome: true,
            ..CommitRequest::default()
        })
        .unwrap();
    assert_eq!(wire_format(&commit), PRIVATE_MESSAGE);
    members[0].merge_pending_commit().unwrap();
    bob.join(&welcome.unwrap(), None).unwrap();
    assert_eq!(bob.own_leaf_index(), 1);
    members.push(bob);
    assert_agree(&members);
    assert!(members[0].state_bytes().unwrap() > empty_state);

    // Carol is added by Bob, whose Commit is a PublicMessage, without the tree in the Welcome:
    // the Welcome alone is not enough, and the KeyPackage is used up once she joins.
    let mut carol = member(suite, "carol", HandshakeWire::Ciphertext);
    let carol_kp = carol.key_package().unwrap();
    let CommitOutput { commit, welcome } = members[1]
        .commit(&CommitRequest {
            add: vec![carol_kp],
            tree_in_welcome: false,
            ..CommitRequest::default()
        })
        .unwrap();
    assert_eq!(wire_format(&commit), PUBLIC_MESSAGE);
    deliver_commit(&mut members, 1, &commit);
    let welcome = welcome.unwrap();
    assert!(carol.fork().unwrap().join(&welcome, None).is_err());
    let tree = members[1].ratchet_tree().unwrap();
    carol.join(&welcome, Some(&tree)).unwrap();
    assert_eq!(carol.own_leaf_index(), 2);
    members.push(carol);
    assert_agree(&members);
    assert_eq!(members[0].members(), vec![0, 1, 2]);

    // Application messages both ways, in order and out of order; a message is read once.
    broadcast(&mut members, 0, b"hello from alice");
    broadcast(&mut members, 2, b"hello from carol");
    let sent: Vec<Vec<u8>> = (0..4u8)
        .map(|i| members[1].send(&[i; 7]).unwrap())
        .collect();
    for i in [3usize, 0, 2, 1] {
        for receiver in [0, 2] {
            assert_eq!(
                members[receiver].process(&sent[i]).unwrap(),
                Received::Application(vec![i as u8; 7])
            );
        }
    }
    assert!(members[0].process(&sent[1]).is_err(), "replayed message");

    // A message of the previous epoch, delivered after the Commit that ended it.
    let late = members[2].send(b"late").unwrap();

    // External PSK: a PSK-only Commit needs no path, so forcing one makes it larger. A fork of
    // Alice tries the variant without a path.
    for member in members.iter_mut() {
        member
            .store_external_psk(b"psk one", b"the external secret")
            .unwrap();
    }
    let psk_request = CommitRequest {
        external_psks: vec![b"psk one".to_vec()],
        ..CommitRequest::default()
    };
    let without_path = members[0].fork().unwrap().commit(&psk_request).unwrap();
    let with_path = members[0]
        .commit(&CommitRequest {
            force_path: true,
            ..psk_request.clone()
        })
        .unwrap();
    assert!(with_path.welcome.is_none());
    assert!(with_path.commit.len() > without_path.commit.len());
    let epoch = members[0].epoch();
    deliver_commit(&mut members, 0, &with_path.commit);
    assert_eq!(members[1].epoch(), epoch + 1);
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

    // Dave joins externally from a GroupInfo with the tree, into Carol's old leaf.
    let mut dave = member(suite, "dave", HandshakeWire::Ciphertext);
    let group_info = members[0].group_info(true).unwrap();
    let commit = dave.join_external(&group_info, None).unwrap();
    assert_eq!(wire_format(&commit), PUBLIC_MESSAGE, "§12.4.3.2");
    for member in members.iter_mut() {
        assert_eq!(member.process(&commit).unwrap(), Received::Commit);
    }
    assert_eq!(dave.own_leaf_index(), 2);
    members.push(dave);
    assert_agree(&members);

    // Erin joins externally from a GroupInfo without the tree, given out of band.
    let mut erin = member(suite, "erin", HandshakeWire::Plaintext);
    let group_info = members[2].group_info(false).unwrap();
    assert!(erin
        .fork()
        .unwrap()
        .join_external(&group_info, None)
        .is_err());
    let tree = members[2].ratchet_tree().unwrap();
    let commit = erin.join_external(&group_info, Some(&tree)).unwrap();
    for member in members.iter_mut() {
        assert_eq!(member.process(&commit).unwrap(), Received::Commit);
    }
    members.push(erin);
    assert_agree(&members);
    assert_eq!(members[0].members(), vec![0, 1, 2, 3]);

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
    assert_eq!(wire_format(&commit), PUBLIC_MESSAGE);
    deliver_commit(&mut members, 3, &commit);
    assert_agree(&members);
    let state = members[0].state_bytes().unwrap();
    assert!(state > empty_state);
    assert_eq!(
        members[0].state_bytes().unwrap(),
        state,
        "measuring changes nothing"
    );
}

/// The same life through the shared harness (which checks agreement after every epoch), with
/// members of both handshake formats.
fn harness(suite: u16) {
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

#[test]
fn supported_suites_are_the_classical_aws_lc_ones() {
    assert_eq!(Implementation::MlsRs.suites(), &[1, 2, 3, 5, 7]);
    for suite in [4, 6, 0x1234] {
        let err = Implementation::MlsRs
            .member(&MemberConfig::new(suite, "x448"))
            .err()
            .expect("unsupported suite");
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}

#[test]
fn scenario_in_every_suite() {
    for &suite in Implementation::MlsRs.suites() {
        scenario(suite);
    }
}

#[test]
fn harness_in_every_suite() {
    for &suite in Implementation::MlsRs.suites() {
        harness(suite);
    }
}
