//! Rejection of forged handshake messages that an honest member's API cannot produce: they
//! are signed with a member's real keys but break a rule of §6 or §12. Each must leave the
//! receiver's stored state unchanged. Also the list rules of §12.2 on their own.

use braid_crypto::{CipherSuite, CryptoProvider};
use braid_provider::DefaultProvider;

use super::proposals::{
    apply_proposals, CommittedProposal, Committer, ResumptionMode, ValidationParams,
};
use super::*;
use crate::extensions::Extensions;
use crate::group_context::ProtocolVersion;
use crate::messages::{
    Add, Commit, Content, Credential, ExternalInit, FramedContent, GroupContextExtensions, Mac,
    MlsMessage, MlsMessageBody, PreSharedKey, Proposal, ProposalOrRef, ProposalRef, PublicMessage,
    ReInit, Remove, Sender, Update, WireFormat,
};
use crate::protection::{protect_public, sign_content, ProtectionError};
use crate::psk::{ExternalPsk, PreSharedKeyId, Psk};
use crate::tree_math::LeafIndex;

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const NOW: u64 = 1_700_000_000;
static PROVIDER: DefaultProvider = DefaultProvider::new();

fn provider() -> &'static dyn CryptoProvider {
    &PROVIDER
}

fn signer(name: &str) -> Signer {
    Signer::generate(provider(), SUITE, Credential::basic(name.as_bytes())).unwrap()
}

fn key_package(name: &str) -> KeyPackageBundle {
    KeyPackageBundle::create(
        provider(),
        SUITE,
        &signer(name),
        &KeyPackageOptions::new(NOW),
    )
    .unwrap()
}

/// Three members sending PublicMessage handshakes.
fn three_members() -> Vec<Group> {
    let config = GroupConfig {
        outgoing_handshake: HandshakeFormat::PublicMessage,
        ..GroupConfig::default()
    };
    let signers: Vec<Signer> = (0..3).map(|i| signer(&format!("m{i}"))).collect();
    let mut creator = Group::create(
        provider(),
        config,
        SUITE,
        signers[0].clone(),
        CreateOptions {
            group_id: b"forged".to_vec(),
            extensions: Extensions::new(),
            leaf: LeafNodeOptions::default(),
            lifetime: default_lifetime(NOW),
        },
    )
    .unwrap();
    let bundles: Vec<KeyPackageBundle> = signers[1..]
        .iter()
        .map(|s| {
            KeyPackageBundle::create(provider(), SUITE, s, &KeyPackageOptions::new(NOW)).unwrap()
        })
        .collect();
    let proposals = bundles
        .iter()
        .map(|b| add(b.key_package().clone()))
        .collect();
    let bundle = creator
        .commit(
            provider(),
            CommitOptions {
                proposals,
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    creator.merge_pending_commit().unwrap();
    let MlsMessageBody::Welcome(welcome) = bundle.welcome.unwrap().body else {
        panic!()
    };
    let mut groups = vec![creator];
    for (signer, bundle) in signers[1..].iter().zip(&bundles) {
        groups.push(
            Group::join_from_welcome(
                provider(),
                config,
                &welcome,
                bundle,
                signer.clone(),
                JoinOptions::new(NOW),
            )
            .unwrap(),
        );
    }
    groups
}

fn add(key_package: crate::messages::KeyPackage) -> Proposal {
    Proposal::Add(Box::new(Add { key_package }))
}

/// A PublicMessage from `group`'s member with any content, a correct signature and
/// membership tag, and (for commits) the confirmation tag `tag`.
fn forge(group: &mut Group, content: Content, tag: Mac) -> MlsMessage {
    let tag = matches!(content, Content::Commit(_)).then_some(tag);
    let framed = FramedContent {
        group_id: group.group_id().to_vec(),
        epoch: group.epoch(),
        sender: Sender::Member(group.own_leaf_index()),
        authenticated_data: Vec::new(),
        content,
    };
    let signer = group.signer.clone();
    group
        .forge_message(provider(), &signer, WireFormat::PUBLIC_MESSAGE, framed, tag)
        .unwrap()
}

fn commit_of(proposals: Vec<Proposal>) -> Content {
    Content::Commit(Commit {
        proposals: proposals.into_iter().map(ProposalOrRef::Proposal).collect(),
        path: None,
    })
}

/// Processes `message`, expecting an error that leaves the stored state unchanged.
fn rejected(group: &mut Group, message: MlsMessage) -> GroupError {
    let before = group.to_bytes();
    let error = group.process_message(provider(), message, NOW).unwrap_err();
    assert_eq!(before, group.to_bytes(), "state changed on {error}");
    error
}

#[test]
fn bad_confirmation_tag() {
    let mut groups = three_members();
    let content = commit_of(vec![add(key_package("new").key_package().clone())]);
    let message = forge(&mut groups[0], content, Mac(vec![0; 32]));
    assert_eq!(
        rejected(&mut groups[1], message),
        GroupError::BadConfirmationTag
    );
}

#[test]
fn missing_path() {
    let mut groups = three_members();
    let content = commit_of(vec![Proposal::Remove(Remove {
        removed: LeafIndex(2),
    })]);
    let message = forge(&mut groups[0], content, Mac(vec![0; 32]));
    assert_eq!(rejected(&mut groups[1], message), GroupError::PathRequired);
    let empty = forge(&mut groups[0], commit_of(vec![]), Mac(vec![0; 32]));
    assert_eq!(rejected(&mut groups[1], empty), GroupError::PathRequired);
}

#[test]
fn committer_update_and_external_init_in_a_member_commit() {
    let mut groups = three_members();
    let leaf_node = groups[0].own_leaf_node().unwrap().clone();
    let update = commit_of(vec![Proposal::Update(Box::new(Update { leaf_node }))]);
    let message = forge(&mut groups[0], update, Mac(vec![0; 32]));
    assert!(matches!(
        rejected(&mut groups[1], message),
        GroupError::InvalidProposal {
            error: ProposalError::UpdateFromCommitter,
            ..
        }
    ));
    let init = commit_of(vec![Proposal::ExternalInit(ExternalInit {
        kem_output: vec![1; 32],
    })]);
    let message = forge(&mut groups[0], init, Mac(vec![0; 32]));
    assert!(matches!(
        rejected(&mut groups[1], message),
        GroupError::InvalidProposal {
            error: ProposalError::MisplacedExternalInit,
            ..
        }
    ));
    let removes_self = commit_of(vec![Proposal::Remove(Remove {
        removed: LeafIndex(0),
    })]);
    let message = forge(&mut groups[0], removes_self, Mac(vec![0; 32]));
    assert!(matches!(
        rejected(&mut groups[2], message),
        GroupError::InvalidProposal {
            error: ProposalError::RemovesCommitter,
            ..
        }
    ));
}

#[test]
fn signature_that_does_not_verify_under_a_valid_membership_tag() {
    let mut groups = three_members();
    let suite = groups[0].suite(provider()).unwrap();
    let proposal = Content::Proposal(Proposal::Remove(Remove {
        removed: LeafIndex(2),
    }));
    let mut signed = groups[0]
        .sign(&suite, WireFormat::PUBLIC_MESSAGE, proposal, Vec::new())
        .unwrap();
    signed.auth.signature[0] ^= 1;
    let message = groups[0].protect(&suite, signed).unwrap();
    assert_eq!(
        rejected(&mut groups[1], message),
        GroupError::Protection(ProtectionError::BadSignature)
    );
}

#[test]
fn commit_from_own_leaf_or_a_blank_leaf() {
    let mut groups = three_members();
    let message = forge(&mut groups[0], commit_of(vec![]), Mac(vec![0; 32]));
    assert_eq!(
        rejected(&mut groups[0], message),
        GroupError::CommitFromSelf
    );

    // A sender index with no member behind it (membership tag and signature otherwise fine).
    let suite = groups[0].suite(provider()).unwrap();
    let framed = FramedContent {
        group_id: groups[0].group_id().to_vec(),
        epoch: groups[0].epoch(),
        sender: Sender::Member(LeafIndex(7)),
        authenticated_data: Vec::new(),
        content: Content::Proposal(Proposal::Remove(Remove {
            removed: LeafIndex(1),
        })),
    };
    let epoch = &groups[0].epoch;
    let signed = sign_content(
        &suite,
        WireFormat::PUBLIC_MESSAGE,
        framed,
        Some(&epoch.group_context),
        groups[0].signer.private_key(),
    )
    .unwrap();
    let message = protect_public(
        &suite,
        signed,
        &epoch.group_context,
        epoch.secrets.membership_key.as_bytes(),
    )
    .unwrap();
    let message = MlsMessage::new(MlsMessageBody::PublicMessage(message));
    assert_eq!(
        rejected(&mut groups[1], message),
        GroupError::UnknownMember(LeafIndex(7))
    );
}

#[test]
fn application_data_in_a_public_message() {
    let mut groups = three_members();
    let suite = groups[0].suite(provider()).unwrap();
    let signed = groups[0]
        .sign(
            &suite,
            WireFormat::PUBLIC_MESSAGE,
            Content::Application(b"x".to_vec()),
            Vec::new(),
        )
        .unwrap();
    let message = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: signed.content,
        auth: signed.auth,
        membership_tag: Some(Mac(vec![0; 32])),
    }));
    assert_eq!(
        rejected(&mut groups[1], message),
        GroupError::Protection(ProtectionError::ApplicationInPublicMessage)
    );
}

#[test]
fn stored_proposal_is_not_duplicated_and_unknown_reference_fails() {
    let mut groups = three_members();
    let content = Content::Commit(Commit {
        proposals: vec![ProposalOrRef::Reference(ProposalRef(vec![9; 32]))],
        path: None,
    });
    let message = forge(&mut groups[0], content, Mac(vec![0; 32]));
    assert!(matches!(
        rejected(&mut groups[1], message),
        GroupError::UnknownProposal(_)
    ));
}

/// `apply_proposals` with `proposals` from member 1 (committer `committer`).
fn list_error(
    group: &Group,
    proposals: Vec<(Proposal, Option<ProposalRef>)>,
    committer: Committer,
) -> ProposalError {
    let suite = group.suite(provider()).unwrap();
    let committed: Vec<CommittedProposal> = proposals
        .into_iter()
        .map(|(proposal, reference)| CommittedProposal {
            proposal,
            sender: Sender::Member(LeafIndex(1)),
            reference,
        })
        .collect();
    let params = ValidationParams {
        now: Some(NOW),
        max_lifetime: None,
        resumption: ResumptionMode::Regular,
    };
    match apply_proposals(
        &suite,
        &group.epoch.tree,
        &group.epoch.group_context,
        &committed,
        committer,
        &params,
    ) {
        Err(GroupError::InvalidProposal { error, .. }) => error,
        other => panic!("expected an invalid proposal, got {other:?}"),
    }
}

#[test]
fn proposal_list_rules() {
    let groups = three_members();
    let group = &groups[0];
    let suite = group.suite(provider()).unwrap();
    let member = Committer::Member(LeafIndex(0));
    let psk = PreSharedKeyId::new(
        &suite,
        Psk::External(ExternalPsk {
            psk_id: b"p".to_vec(),
        }),
    )
    .unwrap();
    let psk_proposal = Proposal::PreSharedKey(PreSharedKey { psk: psk.clone() });
    assert_eq!(
        list_error(
            group,
            vec![(psk_proposal.clone(), None), (psk_proposal.clone(), None)],
            member
        ),
        ProposalError::DuplicatePsk
    );
    let short = Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: psk.psk.clone(),
            psk_nonce: vec![0; 3],
        },
    });
    assert_eq!(
        list_error(group, vec![(short, None)], member),
        ProposalError::BadPskNonce {
            expected: 32,
            found: 3
        }
    );
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Extensions::new(),
    });
    assert_eq!(
        list_error(
            group,
            vec![(gce.clone(), None), (gce.clone(), None)],
            member
        ),
        ProposalError::MultipleGroupContextExtensions
    );
    let reinit = |version| {
        Proposal::ReInit(ReInit {
            group_id: b"n".to_vec(),
            version,
            cipher_suite: SUITE,
            extensions: Extensions::new(),
        })
    };
    assert_eq!(
        list_error(
            group,
            vec![(reinit(ProtocolVersion::MLS10), None), (gce.clone(), None)],
            member
        ),
        ProposalError::ReInitNotAlone
    );
    assert_eq!(
        list_error(group, vec![(reinit(ProtocolVersion(0)), None)], member),
        ProposalError::ReInitVersionDowngrade(ProtocolVersion(0))
    );
    // External commits: exactly one ExternalInit, no references, only Remove/PSK besides.
    let init = Proposal::ExternalInit(ExternalInit { kem_output: vec![] });
    assert_eq!(
        list_error(
            group,
            vec![(psk_proposal.clone(), None)],
            Committer::External
        ),
        ProposalError::MisplacedExternalInit
    );
    assert_eq!(
        list_error(
            group,
            vec![(init.clone(), None), (gce, None)],
            Committer::External
        ),
        ProposalError::NotAllowedInExternalCommit(
            crate::messages::ProposalType::GROUP_CONTEXT_EXTENSIONS
        )
    );
    assert_eq!(
        list_error(
            group,
            vec![(init.clone(), Some(ProposalRef(vec![1])))],
            Committer::External
        ),
        ProposalError::ReferenceInExternalCommit
    );
    let remove = |leaf| {
        Proposal::Remove(Remove {
            removed: LeafIndex(leaf),
        })
    };
    assert_eq!(
        list_error(
            group,
            vec![(init.clone(), None), (remove(1), None), (remove(2), None)],
            Committer::External
        ),
        ProposalError::NotAllowedInExternalCommit(crate::messages::ProposalType::REMOVE)
    );
    assert_eq!(
        list_error(group, vec![(remove(5), None)], member),
        ProposalError::NotAMember(LeafIndex(5))
    );
    // An Add of a client already in the group (same signature key).
    let existing = group.epoch.tree.leaf(LeafIndex(2)).unwrap().clone();
    let mut bundle = key_package("dup").key_package().clone();
    bundle.leaf_node.signature_key = existing.signature_key;
    assert!(matches!(
        list_error(group, vec![(add(bundle), None)], member),
        ProposalError::InvalidKeyPackage(_)
    ));
}
