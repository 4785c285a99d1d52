//! Groups with real members: creation, Adds with Welcomes, each proposal type by value and
//! by reference, commits with and without an UpdatePath, application messages, echoes of
//! own messages, and storage round trips.

mod common;

use braid_crypto::Secret;
use braid_mls::extensions::{Extension, ExtensionType, Extensions};
use braid_mls::group::{
    CommitOptions, Group, GroupConfig, GroupError, HandshakeFormat, ProcessedMessage, ProposalError,
};
use braid_mls::messages::{Add, Proposal, Remove};
use braid_mls::psk::{ExternalPsk, Psk};
use braid_mls::tree_math::LeafIndex;
use common::*;

fn public_config() -> GroupConfig {
    GroupConfig {
        outgoing_handshake: HandshakeFormat::PublicMessage,
        ..GroupConfig::default()
    }
}

#[test]
fn create_add_welcome_and_talk() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    assert_eq!(groups[0].epoch(), 1);
    assert_eq!(groups[0].members().count(), 3);
    let message = groups[1]
        .create_application_message(provider(), b"hello", b"ad")
        .unwrap();
    for i in [0, 2] {
        match groups[i]
            .process_message(provider(), message.clone(), NOW)
            .unwrap()
        {
            ProcessedMessage::Application(app) => {
                assert_eq!(app.data, b"hello");
                assert_eq!(app.authenticated_data, b"ad");
                assert_eq!(app.sender, LeafIndex(1));
                assert_eq!(app.epoch, 1);
            }
            other => panic!("{other:?}"),
        }
    }
    let exported: Vec<_> = groups
        .iter()
        .map(|g| {
            g.export_secret(provider(), b"label", b"context", 32)
                .unwrap()
        })
        .collect();
    assert!(exported.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn commits_with_public_and_private_handshakes_agree() {
    for config in [GroupConfig::default(), public_config()] {
        let (_, mut groups) = group_of(4, config);
        for committer in 0..4 {
            let bundle = groups[committer]
                .commit(provider(), CommitOptions::default(), NOW)
                .unwrap();
            assert!(bundle.welcome.is_none());
            deliver_commit(&mut groups, committer, &bundle.commit);
            assert_agree(&groups);
        }
        assert_eq!(groups[0].epoch(), 5);
    }
}

#[test]
fn add_by_reference_and_by_value() {
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let carol = Client::new("carol");
    let dave = Client::new("dave");
    let carol_kp = carol.key_package();
    let dave_kp = dave.key_package();
    // Carol proposed by member 1, committed by reference by member 0; Dave by value.
    let proposal = groups[1]
        .propose_add(provider(), Client::validated(&carol_kp))
        .unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    let options = CommitOptions {
        proposals: vec![Proposal::Add(Box::new(Add {
            key_package: dave_kp.key_package().clone(),
        }))],
        force_path: false,
        ..CommitOptions::default()
    };
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    // Member 1 stages it and sees both adds.
    let staged = match groups[1]
        .process_message(provider(), bundle.commit.clone(), NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => staged,
        other => panic!("{other:?}"),
    };
    assert_eq!(staged.added_members(), [LeafIndex(2), LeafIndex(3)]);
    assert_eq!(staged.proposals().len(), 2);
    assert!(staged.proposals()[0].reference.is_some());
    assert!(staged.proposals()[1].reference.is_none());
    groups[1].merge_staged_commit(*staged).unwrap();
    groups[0].merge_pending_commit().unwrap();
    let welcome = bundle.welcome.unwrap();
    groups.push(join(&carol, &carol_kp, &welcome, GroupConfig::default()));
    groups.push(join(&dave, &dave_kp, &welcome, GroupConfig::default()));
    assert_agree(&groups);
    // The new members can commit and talk.
    let bundle = groups[3]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 3, &bundle.commit);
    assert_agree(&groups);
}

#[test]
fn update_remove_psk_and_group_context_extensions_by_reference() {
    let (_, mut groups) = group_of(4, public_config());
    for g in groups.iter_mut() {
        g.add_external_psk(b"psk id".to_vec(), Secret::new(vec![7; 32]));
    }
    let update = groups[1].propose_update(provider(), None).unwrap();
    deliver_proposal(&mut groups, 1, &update);
    let remove = groups[2].propose_remove(provider(), LeafIndex(3)).unwrap();
    deliver_proposal(&mut groups, 2, &remove);
    let psk = groups[3]
        .propose_psk(
            provider(),
            Psk::External(ExternalPsk {
                psk_id: b"psk id".to_vec(),
            }),
        )
        .unwrap();
    deliver_proposal(&mut groups, 3, &psk);
    let extensions = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType::EXTERNAL_SENDERS,
        extension_data: vec![0],
    }])
    .unwrap();
    let gce = groups[0]
        .propose_group_context_extensions(provider(), extensions.clone())
        .unwrap();
    deliver_proposal(&mut groups, 0, &gce);
    let before_leaf = groups[1].own_leaf_node().unwrap().encryption_key.clone();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let removed = groups.remove(3);
    assert!(removed.is_removed());
    assert!(!removed.is_active());
    assert_agree(&groups);
    assert_eq!(groups[0].members().count(), 3);
    assert_eq!(groups[0].group_context().extensions, extensions);
    assert_ne!(
        groups[1].own_leaf_node().unwrap().encryption_key,
        before_leaf
    );
    // Member 1 can still decrypt a path after its update.
    let bundle = groups[2]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 2, &bundle.commit);
    assert_agree(&groups);
}

#[test]
fn commit_without_path_for_adds_only() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let eve = Client::new("eve");
    let kp = eve.key_package();
    let tree_before = groups[0].ratchet_tree().clone();
    let options = CommitOptions {
        proposals: vec![Proposal::Add(Box::new(Add {
            key_package: kp.key_package().clone(),
        }))],
        force_path: false,
        ..CommitOptions::default()
    };
    let bundle = groups[1].commit(provider(), options, NOW).unwrap();
    deliver_commit(&mut groups, 1, &bundle.commit);
    groups.push(join(
        &eve,
        &kp,
        bundle.welcome.as_ref().unwrap(),
        GroupConfig::default(),
    ));
    assert_agree(&groups);
    // The committer's leaf did not change: there was no path.
    assert_eq!(
        groups[0].ratchet_tree().leaf(LeafIndex(1)),
        tree_before.leaf(LeafIndex(1))
    );
    // A Remove needs a path: asking for none still sends one.
    let options = CommitOptions {
        proposals: vec![Proposal::Remove(Remove {
            removed: LeafIndex(3),
        })],
        force_path: false,
        ..CommitOptions::default()
    };
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    deliver_commit(&mut groups[..3], 0, &bundle.commit);
    groups.pop();
    assert_agree(&groups);
}

#[test]
fn welcome_with_tree_out_of_band() {
    let config = GroupConfig {
        ratchet_tree_in_welcome: false,
        ..GroupConfig::default()
    };
    let (_, mut groups) = group_of(2, GroupConfig::default());
    groups[0].set_config(config);
    let frank = Client::new("frank");
    let kp = frank.key_package();
    let bundle = groups[0]
        .commit(
            provider(),
            CommitOptions {
                proposals: vec![Proposal::Add(Box::new(Add {
                    key_package: kp.key_package().clone(),
                }))],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let welcome = bundle.welcome.unwrap();
    let without_tree = Group::join_from_welcome(
        provider(),
        config,
        welcome_of(&welcome),
        &kp,
        frank.signer.clone(),
        braid_mls::group::JoinOptions::new(NOW),
    );
    assert_eq!(without_tree.unwrap_err(), GroupError::MissingRatchetTree);
    let tree = groups[0].export_ratchet_tree().unwrap();
    let mut options = braid_mls::group::JoinOptions::new(NOW);
    options.ratchet_tree = Some(&tree);
    let joined = Group::join_from_welcome(
        provider(),
        config,
        welcome_of(&welcome),
        &kp,
        frank.signer.clone(),
        options,
    )
    .unwrap();
    groups.push(joined);
    assert_agree(&groups);
}

#[test]
fn own_echoes_are_recognised() {
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let proposal = groups[0].propose_remove(provider(), LeafIndex(1)).unwrap();
    let reference = match groups[0]
        .process_message(provider(), proposal.clone(), NOW)
        .unwrap()
    {
        ProcessedMessage::OwnProposal(reference) => reference,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        groups[0].pending_proposals().next().unwrap().reference,
        reference
    );
    groups[0].clear_pending_proposals();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    assert!(groups[0].has_pending_commit());
    assert_eq!(groups[0].epoch(), 1);
    assert!(matches!(
        groups[0]
            .process_message(provider(), bundle.commit.clone(), NOW)
            .unwrap(),
        ProcessedMessage::OwnCommitMerged
    ));
    assert!(!groups[0].has_pending_commit());
    assert_eq!(groups[0].epoch(), 2);
    match groups[1]
        .process_message(provider(), bundle.commit, NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => groups[1].merge_staged_commit(*staged).unwrap(),
        other => panic!("{other:?}"),
    }
    assert_agree(&groups);
}

#[test]
fn a_competing_commit_discards_the_pending_one() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let mine = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    assert_eq!(
        groups[0]
            .commit(provider(), CommitOptions::default(), NOW)
            .unwrap_err(),
        GroupError::PendingCommitExists
    );
    let theirs = groups[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 1, &theirs.commit);
    assert!(!groups[0].has_pending_commit());
    assert_agree(&groups);
    // The losing commit is now from a past epoch.
    let error = assert_rejected(&mut groups[2], mine.commit);
    assert!(matches!(error, GroupError::WrongEpoch { .. }), "{error}");
}

#[test]
fn committer_rules_for_its_own_proposals() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    // Removing oneself by value is invalid (§12.2).
    let options = CommitOptions {
        proposals: vec![Proposal::Remove(Remove {
            removed: LeafIndex(0),
        })],
        ..CommitOptions::default()
    };
    let before = groups[0].to_bytes();
    let error = groups[0].commit(provider(), options, NOW).unwrap_err();
    assert_eq!(
        error,
        GroupError::InvalidProposal {
            index: Some(0),
            error: ProposalError::RemovesCommitter
        }
    );
    assert_eq!(before, groups[0].to_bytes());
    // Two removes of the same leaf.
    let options = CommitOptions {
        proposals: vec![
            Proposal::Remove(Remove {
                removed: LeafIndex(1),
            }),
            Proposal::Remove(Remove {
                removed: LeafIndex(1),
            }),
        ],
        ..CommitOptions::default()
    };
    assert!(matches!(
        groups[0].commit(provider(), options, NOW).unwrap_err(),
        GroupError::InvalidProposal {
            error: ProposalError::DuplicateLeafChange(LeafIndex(1)),
            ..
        }
    ));
    // An own Update is left out of the commit (the path replaces it); others' are kept.
    let own = groups[0].propose_update(provider(), None).unwrap();
    deliver_proposal(&mut groups, 0, &own);
    let theirs = groups[1].propose_update(provider(), None).unwrap();
    deliver_proposal(&mut groups, 1, &theirs);
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    let staged = match groups[2]
        .process_message(provider(), bundle.commit.clone(), NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => staged,
        other => panic!("{other:?}"),
    };
    assert_eq!(staged.updated_members(), [LeafIndex(1)]);
    drop(staged);
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert_agree(&groups);
}

#[test]
fn application_messages_need_committed_proposals() {
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let proposal = groups[0].propose_remove(provider(), LeafIndex(1)).unwrap();
    deliver_proposal(&mut groups, 0, &proposal);
    assert_eq!(
        groups[1]
            .create_application_message(provider(), b"x", b"")
            .unwrap_err(),
        GroupError::PendingProposals
    );
}

#[test]
fn storage_round_trip_keeps_working() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let proposal = groups[1].propose_update(provider(), None).unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    let bundle = groups[2]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    // Store every member, the committer with its pending commit, and continue from the
    // restored states.
    let mut restored: Vec<Group> = groups
        .iter()
        .map(|g| {
            let bytes = g.to_bytes();
            let restored = Group::from_bytes(&bytes).unwrap();
            assert_eq!(restored.to_bytes(), bytes);
            restored
        })
        .collect();
    assert!(restored[2].has_pending_commit());
    deliver_commit(&mut restored, 2, &bundle.commit);
    assert_agree(&restored);
    let message = restored[1]
        .create_application_message(provider(), b"after restore", b"")
        .unwrap();
    for i in [0, 2] {
        assert!(matches!(
            restored[i]
                .process_message(provider(), message.clone(), NOW)
                .unwrap(),
            ProcessedMessage::Application(_)
        ));
    }
    // Corrupted states are refused, never panic.
    let bytes = restored[0].to_bytes();
    assert!(Group::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(Group::from_bytes(b"NOTBRAID").is_err());
    for cut in (0..bytes.len()).step_by(97) {
        let _ = Group::from_bytes(&bytes[..cut]);
    }
}

#[test]
fn staging_changes_nothing_and_stale_stages_are_refused() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let first = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    let before = groups[2].to_bytes();
    let staged = match groups[2]
        .process_message(provider(), first.commit.clone(), NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => staged,
        other => panic!("{other:?}"),
    };
    assert_eq!(before, groups[2].to_bytes());
    assert_eq!(staged.group_context().unwrap().epoch, 2);
    assert!(!staged.self_removed());
    assert!(staged.epoch_authenticator().is_some());
    // Another commit wins the epoch; the staged one no longer applies.
    groups[0].clear_pending_commit();
    let second = groups[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 1, &second.commit);
    assert_eq!(
        groups[2].merge_staged_commit(*staged).unwrap_err(),
        GroupError::StaleStagedCommit {
            staged: 1,
            current: 2
        }
    );
    assert_agree(&groups);
}

#[test]
fn groups_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Group>();
    assert_send_sync::<braid_mls::group::StagedCommit>();
}

#[test]
fn a_proposal_to_remove_the_committer_is_left_to_others() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let proposal = groups[1].propose_remove(provider(), LeafIndex(0)).unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    // Member 0 commits without its own removal; member 2 then commits it.
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert_eq!(groups[0].members().count(), 3);
    let proposal = groups[1].propose_remove(provider(), LeafIndex(0)).unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    let bundle = groups[2]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 2, &bundle.commit);
    assert!(groups[0].is_removed());
    groups.remove(0);
    assert_agree(&groups);
    assert_eq!(groups[0].members().count(), 2);
}
