//! Joining and proposing from outside: external Commits (join and resync), proposals from
//! `external_senders`, and `new_member_proposal` Adds.

mod common;

use braid_codec::Encode;
use braid_mls::extensions::{Extension, ExtensionType, Extensions};
use braid_mls::group::{
    external_proposal, new_member_proposal, CommitOptions, ExternalJoinOptions, Group, GroupConfig,
    GroupError, GroupInfoOptions, HandshakeFormat, ProcessedMessage, ProposalError,
};
use braid_mls::messages::{
    ExternalSender, GroupInfo, MlsMessage, MlsMessageBody, Proposal, Remove, Sender, Update,
};
use braid_mls::tree_math::LeafIndex;
use common::*;

fn group_info(group: &Group, ratchet_tree: bool) -> GroupInfo {
    let message = group
        .group_info(
            provider(),
            GroupInfoOptions {
                ratchet_tree,
                external_pub: true,
            },
        )
        .unwrap();
    match message.body {
        MlsMessageBody::GroupInfo(group_info) => group_info,
        other => panic!("{other:?}"),
    }
}

fn join_externally(
    groups: &mut Vec<Group>,
    client: &Client,
    options: ExternalJoinOptions<'_>,
) -> MlsMessage {
    let info = group_info(&groups[0], true);
    let (joined, commit) = Group::join_by_external_commit(
        provider(),
        GroupConfig::default(),
        &info,
        client.signer.clone(),
        options,
    )
    .unwrap();
    for group in groups.iter_mut() {
        match group
            .process_message(provider(), commit.clone(), NOW)
            .unwrap()
        {
            ProcessedMessage::Commit(staged) => {
                assert_eq!(staged.sender(), Sender::NewMemberCommit);
                group.merge_staged_commit(*staged).unwrap();
            }
            other => panic!("{other:?}"),
        }
    }
    groups.push(joined);
    assert_agree(groups);
    commit
}

#[test]
fn external_join_then_resync() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let joiner = Client::new("external");
    join_externally(&mut groups, &joiner, ExternalJoinOptions::new(NOW));
    let own = groups[3].own_leaf_index();
    assert_eq!(own, LeafIndex(3));
    // The joiner can talk and commit.
    let message = groups[3]
        .create_application_message(provider(), b"hi", b"")
        .unwrap();
    assert!(matches!(
        groups[0].process_message(provider(), message, NOW).unwrap(),
        ProcessedMessage::Application(_)
    ));
    let bundle = groups[3]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 3, &bundle.commit);
    assert_agree(&groups);

    // Resync: the same client rejoins, removing its old leaf.
    let old = groups.pop().unwrap();
    let mut options = ExternalJoinOptions::new(NOW);
    options.resync = Some(old.own_leaf_index());
    let commit = join_externally(&mut groups, &joiner, options);
    assert_eq!(groups[0].members().count(), 4);
    // The old state sees its own removal.
    let mut old = old;
    match old.process_message(provider(), commit, NOW).unwrap() {
        ProcessedMessage::Commit(staged) => {
            assert!(staged.self_removed());
            old.merge_staged_commit(*staged).unwrap();
        }
        other => panic!("{other:?}"),
    }
    assert!(old.is_removed());
}

#[test]
fn external_join_with_tree_out_of_band_and_public_handshakes() {
    let config = GroupConfig {
        outgoing_handshake: HandshakeFormat::PublicMessage,
        ..GroupConfig::default()
    };
    let (_, mut groups) = group_of(2, config);
    let joiner = Client::new("external");
    let info = group_info(&groups[0], false);
    let tree = groups[0].export_ratchet_tree().unwrap();
    let missing = Group::join_by_external_commit(
        provider(),
        config,
        &info,
        joiner.signer.clone(),
        ExternalJoinOptions::new(NOW),
    );
    assert_eq!(missing.unwrap_err(), GroupError::MissingRatchetTree);
    let mut options = ExternalJoinOptions::new(NOW);
    options.ratchet_tree = Some(&tree);
    let (joined, commit) =
        Group::join_by_external_commit(provider(), config, &info, joiner.signer.clone(), options)
            .unwrap();
    for group in groups.iter_mut() {
        match group
            .process_message(provider(), commit.clone(), NOW)
            .unwrap()
        {
            ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged).unwrap(),
            other => panic!("{other:?}"),
        }
    }
    groups.push(joined);
    assert_agree(&groups);
}

#[test]
fn group_info_without_external_pub_cannot_be_joined() {
    let (_, groups) = group_of(2, GroupConfig::default());
    let message = groups[0]
        .group_info(
            provider(),
            GroupInfoOptions {
                ratchet_tree: true,
                external_pub: false,
            },
        )
        .unwrap();
    let MlsMessageBody::GroupInfo(info) = message.body else {
        panic!()
    };
    let joiner = Client::new("external");
    let result = Group::join_by_external_commit(
        provider(),
        GroupConfig::default(),
        &info,
        joiner.signer.clone(),
        ExternalJoinOptions::new(NOW),
    );
    assert_eq!(result.unwrap_err(), GroupError::MissingExternalPub);
    // A GroupInfo whose signature does not verify is refused.
    let mut forged = group_info(&groups[0], true);
    forged.signature[0] ^= 1;
    let result = Group::join_by_external_commit(
        provider(),
        GroupConfig::default(),
        &forged,
        joiner.signer.clone(),
        ExternalJoinOptions::new(NOW),
    );
    assert!(matches!(
        result.unwrap_err(),
        GroupError::BadGroupInfoSignature(_)
    ));
}

#[test]
fn proposals_from_external_senders_and_new_members() {
    let (clients, mut groups) = group_of(3, GroupConfig::default());
    let service = Client::new("service");
    let senders = vec![ExternalSender {
        signature_key: service.signer.signature_key().clone(),
        credential: service.signer.credential().clone(),
    }];
    let extensions = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType::EXTERNAL_SENDERS,
        extension_data: senders.to_bytes(),
    }])
    .unwrap();
    let gce = groups[0]
        .propose_group_context_extensions(provider(), extensions)
        .unwrap();
    deliver_proposal(&mut groups, 0, &gce);
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let _ = clients;

    // The external sender proposes removing member 2; a newcomer proposes adding itself.
    let epoch = groups[0].epoch();
    let remove = external_proposal(
        provider(),
        SUITE,
        groups[0].group_id(),
        epoch,
        &service.signer,
        0,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    )
    .unwrap();
    let newcomer = Client::new("newcomer");
    let kp = newcomer.key_package();
    let add = new_member_proposal(
        provider(),
        groups[0].group_id(),
        epoch,
        &newcomer.signer,
        kp.key_package().clone(),
    )
    .unwrap();
    for group in groups.iter_mut() {
        for message in [&remove, &add] {
            match group
                .process_message(provider(), message.clone(), NOW)
                .unwrap()
            {
                ProcessedMessage::Proposal(p) => {
                    assert!(matches!(
                        p.sender,
                        Sender::External(0) | Sender::NewMemberProposal
                    ))
                }
                other => panic!("{other:?}"),
            }
        }
    }
    let bundle = groups[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 1, &bundle.commit);
    assert!(groups[2].is_removed());
    groups.remove(2);
    groups.push(join(
        &newcomer,
        &kp,
        bundle.welcome.as_ref().unwrap(),
        GroupConfig::default(),
    ));
    assert_agree(&groups);

    // External senders cannot send Updates, and an unknown sender index is rejected.
    let leaf = groups[0].own_leaf_node().unwrap().clone();
    assert!(matches!(
        external_proposal(
            provider(),
            SUITE,
            groups[0].group_id(),
            groups[0].epoch(),
            &service.signer,
            0,
            Proposal::Update(Box::new(Update { leaf_node: leaf })),
        )
        .unwrap_err(),
        GroupError::InvalidProposal {
            error: ProposalError::SenderNotAllowed(_),
            ..
        }
    ));
    let unknown = external_proposal(
        provider(),
        SUITE,
        groups[0].group_id(),
        groups[0].epoch(),
        &service.signer,
        5,
        Proposal::Remove(Remove {
            removed: LeafIndex(1),
        }),
    )
    .unwrap();
    assert_eq!(
        assert_rejected(&mut groups[0], unknown),
        GroupError::UnknownExternalSender(5)
    );
    // A signature by someone else than the listed sender does not verify.
    let impostor = Client::new("impostor");
    let forged = external_proposal(
        provider(),
        SUITE,
        groups[0].group_id(),
        groups[0].epoch(),
        &impostor.signer,
        0,
        Proposal::Remove(Remove {
            removed: LeafIndex(1),
        }),
    )
    .unwrap();
    assert!(matches!(
        assert_rejected(&mut groups[0], forged),
        GroupError::Protection(_)
    ));
}
