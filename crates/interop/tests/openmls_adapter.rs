//! The OpenMLS adapter on its own, through the [`Member`] trait: a group's life (RFC 9420
//! §11–§12: Add with and without the tree in the Welcome, application messages both ways and out
//! of order, Commits with a forced path, Remove, external PSKs, external joins) over every suite
//! the adapter supports, checking after every step that all members agree on the epoch, the
//! `epoch_authenticator` and an exported secret.

use braid_interop::openmls::{OpenMlsMember, SUITES};
use braid_interop::{CommitRequest, HandshakeWire, Member, MemberConfig, Received};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const GROUP_ID: &[u8] = b"openmls adapter group";

fn member(suite: u16, name: &str, handshake: HandshakeWire) -> Result<OpenMlsMember> {
    Ok(OpenMlsMember::new(&MemberConfig {
        handshake,
        ..MemberConfig::new(suite, name)
    })?)
}

/// The `wire_format` of an encoded `MLSMessage` (§6: `version` then `wire_format`, both u16).
fn wire_format(message: &[u8]) -> u16 {
    u16::from_be_bytes([message[2], message[3]])
}

const PUBLIC_MESSAGE: u16 = 1;
const PRIVATE_MESSAGE: u16 = 2;

/// All members are in the same epoch with the same authenticator, exporter and membership.
fn assert_agree(members: &[&dyn Member]) -> Result {
    let first = members[0];
    let authenticator = first.epoch_authenticator()?;
    let exported = first.export("interop", b"context", 32)?;
    assert_eq!(exported.len(), 32);
    for other in &members[1..] {
        assert_eq!(other.epoch(), first.epoch(), "epoch");
        assert_eq!(
            other.epoch_authenticator()?,
            authenticator,
            "epoch_authenticator"
        );
        assert_eq!(
            other.export("interop", b"context", 32)?,
            exported,
            "exporter"
        );
        assert_eq!(other.members(), first.members(), "members");
    }
    Ok(())
}

/// `sender` commits `request`, every receiver processes it, the sender merges.
fn commit_to(
    sender: &mut dyn Member,
    receivers: &mut [&mut dyn Member],
    request: &CommitRequest,
) -> Result<Option<Vec<u8>>> {
    let output = sender.commit(request)?;
    for receiver in receivers.iter_mut() {
        assert_eq!(receiver.process(&output.commit)?, Received::Commit);
    }
    sender.merge_pending_commit()?;
    Ok(output.welcome)
}

fn add(key_package: Vec<u8>, tree_in_welcome: bool) -> CommitRequest {
    CommitRequest {
        add: vec![key_package],
        tree_in_welcome,
        ..CommitRequest::default()
    }
}

fn scenario(suite: u16) -> Result {
    // alice sends handshakes as PrivateMessage, bob as PublicMessage: each must accept the other.
    let mut alice = member(suite, "alice", HandshakeWire::Ciphertext)?;
    let mut bob = member(suite, "bob", HandshakeWire::Plaintext)?;
    let mut carol = member(suite, "carol", HandshakeWire::Ciphertext)?;
    alice.create_group(GROUP_ID)?;
    assert_eq!((alice.epoch(), alice.members()), (0, vec![0]));

    // Add bob with the tree in the Welcome.
    let welcome = commit_to(&mut alice, &mut [], &add(bob.key_package()?, true))?
        .ok_or("no Welcome for an Add")?;
    bob.join(&welcome, None)?;
    assert_eq!(bob.own_leaf_index(), 1);
    assert_agree(&[&alice, &bob])?;

    // Add carol with the tree out of band; without it the Welcome cannot be used.
    let carol_kp = carol.key_package()?;
    let output = alice.commit(&add(carol_kp, false))?;
    assert_eq!(wire_format(&output.commit), PRIVATE_MESSAGE);
    assert_eq!(bob.process(&output.commit)?, Received::Commit);
    alice.merge_pending_commit()?;
    let welcome = output.welcome.ok_or("no Welcome for an Add")?;
    assert!(
        carol.fork()?.join(&welcome, None).is_err(),
        "joined without a tree"
    );
    carol.join(&welcome, Some(&alice.ratchet_tree()?))?;
    assert_eq!(carol.own_leaf_index(), 2);
    assert_agree(&[&alice, &bob, &carol])?;
    assert_eq!(alice.members(), vec![0, 1, 2]);

    // Application messages both ways, delivered out of order.
    let sent: Vec<Vec<u8>> = (0..4u8)
        .map(|i| alice.send(&[b'a', i]))
        .collect::<std::result::Result<_, _>>()?;
    for i in [3, 0, 2, 1] {
        assert_eq!(
            bob.process(&sent[i])?,
            Received::Application(vec![b'a', i as u8])
        );
        assert_eq!(
            carol.process(&sent[i])?,
            Received::Application(vec![b'a', i as u8])
        );
    }
    assert!(
        bob.process(&sent[1]).is_err(),
        "a replayed message was accepted"
    );
    let from_bob = bob.send(b"from bob")?;
    assert_eq!(wire_format(&from_bob), PRIVATE_MESSAGE);
    assert_eq!(
        alice.process(&from_bob)?,
        Received::Application(b"from bob".to_vec())
    );
    assert_eq!(
        carol.process(&from_bob)?,
        Received::Application(b"from bob".to_vec())
    );

    // An empty Commit with a forced path, from bob as PublicMessage.
    let epoch = alice.epoch();
    let force_path = CommitRequest {
        force_path: true,
        ..CommitRequest::default()
    };
    let output = bob.commit(&force_path)?;
    assert_eq!(wire_format(&output.commit), PUBLIC_MESSAGE);
    assert!(output.welcome.is_none());
    assert_eq!(alice.process(&output.commit)?, Received::Commit);
    assert_eq!(carol.process(&output.commit)?, Received::Commit);
    bob.merge_pending_commit()?;
    assert_eq!(bob.epoch(), epoch + 1);
    assert_agree(&[&alice, &bob, &carol])?;

    // Remove carol: the others agree on the new epoch, carol no longer follows.
    let remove = CommitRequest {
        remove: vec![2],
        ..CommitRequest::default()
    };
    let output = alice.commit(&remove)?;
    assert_eq!(bob.process(&output.commit)?, Received::Commit);
    assert_eq!(carol.process(&output.commit)?, Received::Commit);
    alice.merge_pending_commit()?;
    assert_eq!(alice.members(), vec![0, 1]);
    assert_agree(&[&alice, &bob])?;
    assert!(carol.send(b"after removal").is_err());

    // External PSK: unknown IDs are refused, stored ones enter the key schedule.
    let psk = CommitRequest {
        external_psks: vec![b"psk id".to_vec()],
        ..CommitRequest::default()
    };
    assert!(alice.commit(&psk).is_err(), "committed an unknown PSK");
    alice.store_external_psk(b"psk id", b"psk secret")?;
    let output = alice.commit(&psk)?;
    assert!(
        bob.process(&output.commit).is_err(),
        "processed without the PSK"
    );
    bob.store_external_psk(b"psk id", b"psk secret")?;
    assert_eq!(bob.process(&output.commit)?, Received::Commit);
    alice.merge_pending_commit()?;
    assert_agree(&[&alice, &bob])?;

    // External joins: dave with the tree in the GroupInfo, erin with it out of band.
    let mut dave = member(suite, "dave", HandshakeWire::Ciphertext)?;
    let commit = dave.join_external(&bob.group_info(true)?, None)?;
    assert_eq!(wire_format(&commit), PUBLIC_MESSAGE);
    assert_eq!(alice.process(&commit)?, Received::Commit);
    assert_eq!(bob.process(&commit)?, Received::Commit);
    assert_eq!(dave.own_leaf_index(), 2);
    assert_agree(&[&alice, &bob, &dave])?;

    let mut erin = member(suite, "erin", HandshakeWire::Plaintext)?;
    let group_info = alice.group_info(false)?;
    assert!(
        erin.fork()?.join_external(&group_info, None).is_err(),
        "joined without a tree"
    );
    let commit = erin.join_external(&group_info, Some(&alice.ratchet_tree()?))?;
    for existing in [&mut alice as &mut dyn Member, &mut bob, &mut dave] {
        assert_eq!(existing.process(&commit)?, Received::Commit);
    }
    assert_eq!(alice.members(), vec![0, 1, 2, 3]);
    assert_agree(&[&alice, &bob, &dave, &erin])?;

    // The joiners take part: erin commits with a path, dave sends.
    commit_to(
        &mut erin,
        &mut [&mut alice, &mut bob, &mut dave],
        &force_path,
    )?;
    assert_agree(&[&alice, &bob, &dave, &erin])?;
    let from_dave = dave.send(b"from dave")?;
    assert_eq!(
        erin.process(&from_dave)?,
        Received::Application(b"from dave".to_vec())
    );
    Ok(())
}

#[test]
fn group_life_over_every_suite() -> Result {
    assert_eq!(SUITES, &[1, 2, 3]);
    for &suite in SUITES {
        scenario(suite).map_err(|e| format!("suite {suite}: {e}"))?;
    }
    Ok(())
}

#[test]
fn unsupported_suites_are_refused() {
    for suite in [0, 4, 5, 6, 7, 0xffff] {
        assert!(
            OpenMlsMember::new(&MemberConfig::new(suite, "x")).is_err(),
            "suite {suite}"
        );
    }
}

#[test]
fn fork_is_independent() -> Result {
    for &suite in SUITES {
        let mut alice = member(suite, "alice", HandshakeWire::Ciphertext)?;
        let mut bob = member(suite, "bob", HandshakeWire::Plaintext)?;
        alice.create_group(GROUP_ID)?;
        let welcome =
            commit_to(&mut alice, &mut [], &add(bob.key_package()?, true))?.ok_or("no Welcome")?;
        bob.join(&welcome, None)?;

        let mut bob_fork = bob.fork()?;
        assert_eq!(bob_fork.state_bytes()?, bob.state_bytes()?);
        assert!(bob.state_bytes()? > 0);

        // The same message decrypts in both: the fork has its own secret tree.
        let message = alice.send(b"once")?;
        assert_eq!(
            bob.process(&message)?,
            Received::Application(b"once".to_vec())
        );
        assert_eq!(
            bob_fork.process(&message)?,
            Received::Application(b"once".to_vec())
        );
        assert!(bob.process(&message).is_err());

        // A Commit moves one and not the other, until the other processes it too.
        let output = alice.commit(&CommitRequest {
            force_path: true,
            ..CommitRequest::default()
        })?;
        alice.merge_pending_commit()?;
        assert_eq!(bob.process(&output.commit)?, Received::Commit);
        assert_eq!(bob_fork.epoch() + 1, bob.epoch());
        assert_ne!(bob_fork.epoch_authenticator()?, bob.epoch_authenticator()?);
        assert_eq!(bob_fork.process(&output.commit)?, Received::Commit);
        assert_agree(&[&alice, &bob, bob_fork.as_ref()])?;

        // A fork taken with a pending Commit keeps it.
        let output = bob.commit(&CommitRequest {
            force_path: true,
            ..CommitRequest::default()
        })?;
        let mut pending = bob.fork()?;
        pending.merge_pending_commit()?;
        assert_eq!(pending.epoch(), bob.epoch() + 1);
        assert_eq!(alice.process(&output.commit)?, Received::Commit);
        assert_agree(&[&alice, pending.as_ref()])?;
    }
    Ok(())
}
