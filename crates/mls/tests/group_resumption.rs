//! PSKs (external and resumption), ReInit (§11.2) and subgroup branching (§11.3).

mod common;

use braid_crypto::Secret;
use braid_mls::extensions::Extensions;
use braid_mls::group::{
    CommitOptions, Group, GroupConfig, GroupError, JoinOptions, PskStore, ResumeOptions,
};
use braid_mls::group_context::ProtocolVersion;
use braid_mls::messages::{PreSharedKey, Proposal, ReInit};
use braid_mls::psk::{ExternalPsk, PreSharedKeyId, Psk, ResumptionPsk, ResumptionPskUsage};
use braid_mls::suite::Suite;
use common::*;

fn external(id: &[u8]) -> Psk {
    Psk::External(ExternalPsk {
        psk_id: id.to_vec(),
    })
}

fn psk_by_value(psk: Psk) -> Proposal {
    let suite = Suite::new(provider(), SUITE).unwrap();
    Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId::new(&suite, psk).unwrap(),
    })
}

#[test]
fn external_psk_by_value_and_missing_psk() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    for group in &mut groups {
        group.add_external_psk(b"shared".to_vec(), Secret::new(vec![1; 32]));
    }
    let options = CommitOptions {
        proposals: vec![psk_by_value(external(b"shared"))],
        ..CommitOptions::default()
    };
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert_agree(&groups);

    // A PSK only the committer knows: the others reject the commit without changing.
    groups[0].add_external_psk(b"secret".to_vec(), Secret::new(vec![2; 32]));
    let options = CommitOptions {
        proposals: vec![psk_by_value(external(b"secret"))],
        ..CommitOptions::default()
    };
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    let error = assert_rejected(&mut groups[1], bundle.commit);
    assert!(matches!(error, GroupError::MissingPsk(_)), "{error}");
    // With a different value, the key schedules diverge: the confirmation tag fails.
    groups[0].clear_pending_commit();
    groups[2].add_external_psk(b"secret".to_vec(), Secret::new(vec![3; 32]));
    let options = CommitOptions {
        proposals: vec![psk_by_value(external(b"secret"))],
        ..CommitOptions::default()
    };
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    assert_eq!(
        assert_rejected(&mut groups[2], bundle.commit),
        GroupError::BadConfirmationTag
    );
}

#[test]
fn resumption_psk_of_an_earlier_epoch() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let earlier = groups[0].epoch();
    let bundle = groups[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 1, &bundle.commit);
    let psk = Psk::Resumption(ResumptionPsk {
        usage: ResumptionPskUsage::Application,
        psk_group_id: groups[0].group_id().to_vec(),
        psk_epoch: earlier,
    });
    let proposal = groups[2].propose_psk(provider(), psk).unwrap();
    deliver_proposal(&mut groups, 2, &proposal);
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert_agree(&groups);
    // Reinit and branch usages cannot be proposed in a running group.
    let restricted = Psk::Resumption(ResumptionPsk {
        usage: ResumptionPskUsage::Branch,
        psk_group_id: groups[0].group_id().to_vec(),
        psk_epoch: earlier,
    });
    let options = CommitOptions {
        proposals: vec![psk_by_value(restricted)],
        ..CommitOptions::default()
    };
    assert!(matches!(
        groups[0].commit(provider(), options, NOW).unwrap_err(),
        GroupError::InvalidProposal { .. }
    ));
}

fn resume_options(client: &Client) -> ResumeOptions {
    ResumeOptions {
        signer: client.signer.clone(),
        config: GroupConfig::default(),
        leaf: Default::default(),
        lifetime: braid_mls::group::default_lifetime(NOW),
        now: NOW,
    }
}

#[test]
fn reinit_creates_the_new_group() {
    let (clients, mut groups) = group_of(3, GroupConfig::default());
    let reinit = ReInit {
        group_id: b"reinitialized".to_vec(),
        version: ProtocolVersion::MLS10,
        cipher_suite: SUITE,
        extensions: Extensions::new(),
    };
    let proposal = groups[1]
        .propose_reinit(provider(), reinit.clone())
        .unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    let bundle = groups[2]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 2, &bundle.commit);
    for group in &groups {
        assert_eq!(group.pending_reinit(), Some(&reinit));
        assert!(!group.is_active());
    }
    assert!(matches!(
        groups[0]
            .create_application_message(provider(), b"x", b"")
            .unwrap_err(),
        GroupError::Inactive(_)
    ));
    // Member 0 recreates the group with the others' new KeyPackages.
    let bundles: Vec<_> = clients[1..].iter().map(Client::key_package).collect();
    let (new_group, welcome) = groups[0]
        .reinit(
            provider(),
            bundles.iter().map(Client::validated).collect(),
            resume_options(&clients[0]),
        )
        .unwrap();
    assert_eq!(new_group.group_id(), b"reinitialized");
    assert_eq!(new_group.epoch(), 1);
    let mut new_groups = vec![new_group];
    for (i, bundle) in bundles.iter().enumerate() {
        let mut options = JoinOptions::new(NOW);
        // Without the old group the Welcome's resumption PSK is unknown.
        assert!(matches!(
            Group::join_from_welcome(
                provider(),
                GroupConfig::default(),
                welcome_of(&welcome),
                bundle,
                clients[i + 1].signer.clone(),
                options,
            )
            .unwrap_err(),
            GroupError::MissingPsk(_)
        ));
        options.resumed_from = Some(&groups[i + 1]);
        new_groups.push(
            Group::join_from_welcome(
                provider(),
                GroupConfig::default(),
                welcome_of(&welcome),
                bundle,
                clients[i + 1].signer.clone(),
                options,
            )
            .unwrap(),
        );
    }
    assert_agree(&new_groups);
    // Giving the PSK value without the old group's ReInit fails the reinit check.
    let mut store = PskStore::new();
    store.insert_resumption(
        groups[1].group_id().to_vec(),
        groups[1].epoch(),
        groups[1].resumption_psk(groups[1].epoch()).unwrap().clone(),
    );
    let mut options = JoinOptions::new(NOW);
    options.psks = Some(&store);
    assert!(matches!(
        Group::join_from_welcome(
            provider(),
            GroupConfig::default(),
            welcome_of(&welcome),
            &bundles[0],
            clients[1].signer.clone(),
            options,
        )
        .unwrap_err(),
        GroupError::InvalidResumption(_)
    ));
}

#[test]
fn branch_a_subgroup() {
    let (clients, mut groups) = group_of(4, GroupConfig::default());
    let bundle = groups[3]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 3, &bundle.commit);
    let kp = clients[2].key_package();
    let (branch, welcome) = groups[1]
        .branch(
            provider(),
            b"subgroup".to_vec(),
            Extensions::new(),
            vec![Client::validated(&kp)],
            resume_options(&clients[1]),
        )
        .unwrap();
    let mut options = JoinOptions::new(NOW);
    options.resumed_from = Some(&groups[2]);
    let joined = Group::join_from_welcome(
        provider(),
        GroupConfig::default(),
        welcome_of(&welcome),
        &kp,
        clients[2].signer.clone(),
        options,
    )
    .unwrap();
    let mut subgroup = vec![branch, joined];
    assert_agree(&subgroup);
    assert_eq!(subgroup[0].members().count(), 2);
    let bundle = subgroup[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut subgroup, 1, &bundle.commit);
    assert_agree(&subgroup);
    // The original group goes on independently.
    assert!(groups[1].is_active());
}
