//! The braid adapter on its own, through the `Member` trait: a group's whole life (Welcome
//! joins with and without the tree, application messages in and out of order, forced paths,
//! removes, external PSKs, external joins, forks) in suites 1, 2 and 3.

use braid_codec::Decode;
use braid_interop::{
    CommitOutput, CommitRequest, HandshakeWire, Implementation, Member, MemberConfig, Received,
};

/// The `wire_format` of an encoded `MLSMessage` (after its `version`).
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
    Implementation::Braid.member(&config).unwrap()
}

/// Every member is in the same epoch with the same members, authenticator, exporter output
/// and tree.
fn assert_agree(members: &[Box<dyn Member>]) {
    let first = &members[0];
    let authenticator = first.epoch_authenticator().unwrap();
    let exported = first.export("interop", b"context", 32).unwrap();
    assert_eq!(exported.len(), 32);
    let tree = first.ratchet_tree().unwrap();
    braid_mls::messages::RatchetTree::from_bytes(&tree).unwrap();
    for other in &members[1..] {
        assert_eq!(other.epoch(), first.epoch());
        assert_eq!(other.members(), first.members());
        assert_eq!(other.epoch_authenticator().unwrap(), authenticator);
        assert_eq!(other.export("interop", b"context", 32).unwrap(), exported);
        assert_eq!(other.ratchet_tree().unwrap(), tree);
    }
    // Other labels and contexts give other secrets.
    assert_ne!(first.export("interop", b"other", 32).unwrap(), exported);
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

/// `members[sender]` sends `data`; every other member reads it.
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

fn scenario(suite: u16) {
    let mut members = vec![member(suite, "alice", HandshakeWire::Ciphertext)];
    assert_eq!(members[0].implementation(), Implementation::Braid);
    assert!(members[0].epoch_authenticator().is_err(), "no group yet");
    members[0].create_group(b"braid adapter group").unwrap();
    assert_eq!(members[0].epoch(), 0);
    assert_eq!(members[0].members(), vec![0]);
    assert!(members[0].state_bytes().unwrap() > 0);

    // Bob, with two KeyPackages, is added by his second one with the tree in the Welcome.
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

    // Carol is added without the tree: the Welcome alone is not enough.
    let mut carol = member(suite, "carol", HandshakeWire::Ciphertext);
    let carol_kp = carol.key_package().unwrap();
    let CommitOutput { commit, welcome } = members[0]
        .commit(&CommitRequest {
            add: vec![carol_kp],
            tree_in_welcome: false,
            ..CommitRequest::default()
        })
        .unwrap();
    deliver_commit(&mut members, 0, &commit);
    let welcome = welcome.unwrap();
    assert!(carol.join(&welcome, None).is_err());
    let tree = members[0].ratchet_tree().unwrap();
    carol.join(&welcome, Some(&tree)).unwrap();
    // The KeyPackage is used up.
    assert!(carol.fork().unwrap().join(&welcome, Some(&tree)).is_err());
    assert_eq!(carol.own_leaf_index(), 2);
    members.push(carol);
    assert_agree(&members);
    assert_eq!(members[0].members(), vec![0, 1, 2]);

    // Application messages both ways, and out of order.
    broadcast(&mut members, 0, b"hello from alice");
    broadcast(&mut members, 1, b"hello from bob");
    let sent: Vec<Vec<u8>> = (0..3u8)
        .map(|i| members[2].send(&[i; 5]).unwrap())
        .collect();
    for i in [2usize, 0, 1] {
        assert_eq!(
            members[0].process(&sent[i]).unwrap(),
            Received::Application(vec![i as u8; 5])
        );
    }
    // A message is read once.
    assert!(members[0].process(&sent[1]).is_err());

    // A PSK-only Commit needs no path: forcing one makes it larger. Bob (plaintext
    // handshakes) commits; a fork of him tries the variant without a path.
    for member in members.iter_mut() {
        member
            .store_external_psk(b"psk one", b"external secret")
            .unwrap();
    }
    let psk_request = CommitRequest {
        external_psks: vec![b"psk one".to_vec()],
        force_path: false,
        ..CommitRequest::default()
    };
    let without_path = members[1].fork().unwrap().commit(&psk_request).unwrap();
    let with_path = members[1]
        .commit(&CommitRequest {
            force_path: true,
            ..psk_request.clone()
        })
        .unwrap();
    assert_eq!(wire_format(&with_path.commit), PUBLIC_MESSAGE);
    assert!(with_path.welcome.is_none());
    assert!(with_path.commit.len() > without_path.commit.len());
    let epoch = members[0].epoch();
    deliver_commit(&mut members, 1, &with_path.commit);
    assert_eq!(members[0].epoch(), epoch + 1);
    assert_agree(&members);

    // A PSK nobody has cannot be committed.
    assert!(members[0]
        .commit(&CommitRequest {
            external_psks: vec![b"unknown".to_vec()],
            ..CommitRequest::default()
        })
        .is_err());

    // Fork independence: a fork of Bob reads the same message as Bob, and stays in its
    // epoch while Bob moves on.
    let message = members[0].send(b"read twice").unwrap();
    let mut bob_fork = members[1].fork().unwrap();
    for bob in [&mut members[1], &mut bob_fork] {
        assert_eq!(
            bob.process(&message).unwrap(),
            Received::Application(b"read twice".to_vec())
        );
    }
    members[2].process(&message).unwrap();

    // Bob removes Carol with a forced path.
    let fork_epoch = bob_fork.epoch();
    let CommitOutput { commit, .. } = members[1]
        .commit(&CommitRequest {
            remove: vec![2],
            force_path: true,
            ..CommitRequest::default()
        })
        .unwrap();
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

    // Dave joins externally from a GroupInfo with the tree, into Carol's old leaf.
    let mut dave = member(suite, "dave", HandshakeWire::Ciphertext);
    let group_info = members[0].group_info(true).unwrap();
    let commit = dave.join_external(&group_info, None).unwrap();
    assert_eq!(wire_format(&commit), PUBLIC_MESSAGE);
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

    // Everyone can still talk, and commit.
    for sender in 0..members.len() {
        broadcast(&mut members, sender, format!("from {sender}").as_bytes());
    }
    let CommitOutput { commit, .. } = members[3]
        .commit(&CommitRequest {
            force_path: true,
            ..CommitRequest::default()
        })
        .unwrap();
    deliver_commit(&mut members, 3, &commit);
    assert_agree(&members);

    // Frank, who was given the PSK before joining, is added by a Commit that injects it;
    // Dave and Erin get it while in the group.
    for member in &mut members[2..] {
        member
            .store_external_psk(b"psk one", b"external secret")
            .unwrap();
    }
    let mut frank = member(suite, "frank", HandshakeWire::Ciphertext);
    frank
        .store_external_psk(b"psk one", b"external secret")
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

#[test]
fn suite_1() {
    scenario(1);
}

#[test]
fn suite_2() {
    scenario(2);
}

#[test]
fn suite_3() {
    scenario(3);
}
