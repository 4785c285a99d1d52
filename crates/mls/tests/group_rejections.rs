//! Rejection of invalid messages, Welcomes and KeyPackages. Every rejected message must leave
//! the stored group state byte for byte as it was (`assert_rejected`).

mod common;

use braid_codec::Encode;
use braid_crypto::CipherSuite;
use braid_mls::extensions::{Extension, ExtensionType, Extensions};
use braid_mls::group::{
    CommitOptions, Group, GroupConfig, GroupError, HandshakeFormat, IncomingHandshake, JoinOptions,
    KeyPackageError, KeyPackageOptions, ProposalError, ValidatedKeyPackage,
};
use braid_mls::group_context::ProtocolVersion;
use braid_mls::messages::CredentialType;
use braid_mls::messages::{
    Add, GroupContextExtensions, MlsMessage, MlsMessageBody, Proposal, RequiredCapabilities,
};
use braid_mls::protection::ProtectionError;
use braid_mls::tree::{LeafNodeError, TreeError};
use common::*;

fn public() -> GroupConfig {
    GroupConfig {
        outgoing_handshake: HandshakeFormat::PublicMessage,
        ..GroupConfig::default()
    }
}

fn private_body(message: &mut MlsMessage) -> &mut braid_mls::messages::PrivateMessage {
    match &mut message.body {
        MlsMessageBody::PrivateMessage(m) => m,
        other => panic!("{other:?}"),
    }
}

fn public_body(message: &mut MlsMessage) -> &mut braid_mls::messages::PublicMessage {
    match &mut message.body {
        MlsMessageBody::PublicMessage(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn private_messages_for_another_group_epoch_or_with_tampering() {
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let message = groups[0]
        .create_application_message(provider(), b"m", b"")
        .unwrap();

    let mut wrong_group = message.clone();
    private_body(&mut wrong_group).group_id = b"other".to_vec();
    assert_eq!(
        assert_rejected(&mut groups[1], wrong_group),
        GroupError::WrongGroup
    );

    let mut future = message.clone();
    private_body(&mut future).epoch += 1;
    assert!(matches!(
        assert_rejected(&mut groups[1], future),
        GroupError::WrongEpoch { .. }
    ));

    let mut tampered = message.clone();
    private_body(&mut tampered).ciphertext[3] ^= 1;
    assert!(matches!(
        assert_rejected(&mut groups[1], tampered),
        GroupError::Protection(_)
    ));

    let mut bad_sender_data = message.clone();
    private_body(&mut bad_sender_data).encrypted_sender_data[0] ^= 1;
    assert_eq!(
        assert_rejected(&mut groups[1], bad_sender_data),
        GroupError::Protection(ProtectionError::SenderDataDecryption)
    );

    let mut bad_aad = message.clone();
    private_body(&mut bad_aad).authenticated_data = b"changed".to_vec();
    assert!(matches!(
        assert_rejected(&mut groups[1], bad_aad),
        GroupError::Protection(_)
    ));

    let mut version = message.clone();
    version.version = ProtocolVersion(2);
    assert_eq!(
        assert_rejected(&mut groups[1], version),
        GroupError::UnsupportedVersion(ProtocolVersion(2))
    );

    // The untampered message still opens: the rejections consumed no key.
    assert!(groups[1].process_message(provider(), message, NOW).is_ok());
}

#[test]
fn public_handshake_tampering_and_policy() {
    let (_, mut groups) = group_of(3, public());
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    let mut tampered = bundle.commit.clone();
    public_body(&mut tampered).content.authenticated_data = b"x".to_vec();
    assert_eq!(
        assert_rejected(&mut groups[1], tampered),
        GroupError::Protection(ProtectionError::BadMembershipTag)
    );
    let mut no_tag = bundle.commit.clone();
    public_body(&mut no_tag).membership_tag = None;
    assert_eq!(
        assert_rejected(&mut groups[1], no_tag),
        GroupError::Protection(ProtectionError::MembershipTagPresence)
    );
    // A member that only accepts encrypted handshakes refuses it.
    groups[2].set_config(GroupConfig {
        incoming_handshake: IncomingHandshake::PrivateOnly,
        ..public()
    });
    assert!(matches!(
        assert_rejected(&mut groups[2], bundle.commit.clone()),
        GroupError::WireFormatNotAllowed { .. }
    ));
    groups[2].set_config(public());
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert_agree(&groups);

    // And the other way round.
    groups[0].set_config(GroupConfig::default());
    groups[1].set_config(GroupConfig {
        incoming_handshake: IncomingHandshake::PublicOnly,
        ..public()
    });
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    assert!(matches!(
        assert_rejected(&mut groups[1], bundle.commit),
        GroupError::WireFormatNotAllowed { .. }
    ));
}

#[test]
fn commit_of_an_unknown_proposal() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let proposal = groups[1].propose_update(provider(), None).unwrap();
    // Only member 0 receives the proposal.
    groups[0]
        .process_message(provider(), proposal, NOW)
        .unwrap();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    assert!(matches!(
        assert_rejected(&mut groups[2], bundle.commit),
        GroupError::UnknownProposal(_)
    ));
}

#[test]
fn non_group_messages_are_refused() {
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let kp = Client::new("x").key_package();
    let message = MlsMessage::new(MlsMessageBody::KeyPackage(kp.key_package().clone()));
    assert!(matches!(
        assert_rejected(&mut groups[0], message),
        GroupError::NotAGroupMessage(_)
    ));
}

#[test]
fn expired_key_packages() {
    let client = Client::new("late");
    let mut options = KeyPackageOptions::new(NOW);
    options.lifetime.not_after = NOW + 10;
    let bundle =
        braid_mls::group::KeyPackageBundle::create(provider(), SUITE, &client.signer, &options)
            .unwrap();
    let later = NOW + 100;
    assert!(matches!(
        ValidatedKeyPackage::validate(provider(), bundle.key_package().clone(), later, None)
            .unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::InvalidLeafNode(
            LeafNodeError::Expired { .. }
        ))
    ));
    assert!(matches!(
        ValidatedKeyPackage::validate(provider(), bundle.key_package().clone(), NOW, Some(5))
            .unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::InvalidLeafNode(
            LeafNodeError::LifetimeTooLong { .. }
        ))
    ));

    // The committer adds it while valid; a receiver whose clock is later rejects the Add.
    let (_, mut groups) = group_of(2, GroupConfig::default());
    let add = Proposal::Add(Box::new(Add {
        key_package: bundle.key_package().clone(),
    }));
    let commit = groups[0]
        .commit(
            provider(),
            CommitOptions {
                proposals: vec![add.clone()],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    let before = groups[1].to_bytes();
    let error = groups[1]
        .process_message(provider(), commit.commit.clone(), later)
        .unwrap_err();
    assert_eq!(before, groups[1].to_bytes());
    assert!(
        matches!(
            error,
            GroupError::InvalidProposal {
                error: ProposalError::InvalidKeyPackage(KeyPackageError::InvalidLeafNode(
                    LeafNodeError::Expired { .. }
                )),
                ..
            }
        ),
        "{error}"
    );
    // Joining with a clock after the KeyPackage expired fails too (the tree holds its leaf).
    deliver_commit(&mut groups, 0, &commit.commit);
    let join = Group::join_from_welcome(
        provider(),
        GroupConfig::default(),
        welcome_of(commit.welcome.as_ref().unwrap()),
        &bundle,
        client.signer.clone(),
        JoinOptions::new(later),
    );
    assert!(matches!(
        join.unwrap_err(),
        GroupError::Tree(TreeError::InvalidLeafNode { .. })
    ));
    // The committer itself refuses to add an expired KeyPackage.
    let error = groups[0]
        .commit(
            provider(),
            CommitOptions {
                proposals: vec![add],
                ..CommitOptions::default()
            },
            later,
        )
        .unwrap_err();
    assert!(
        matches!(error, GroupError::InvalidProposal { .. }),
        "{error}"
    );
}

#[test]
fn invalid_key_packages() {
    let client = Client::new("kp");
    let bundle = client.key_package();
    let mut bad_signature = bundle.key_package().clone();
    bad_signature.signature[0] ^= 1;
    assert_eq!(
        ValidatedKeyPackage::validate(provider(), bad_signature, NOW, None).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::BadSignature)
    );
    let mut reused = bundle.key_package().clone();
    reused.init_key = reused.leaf_node.encryption_key.clone();
    assert_eq!(
        ValidatedKeyPackage::validate(provider(), reused, NOW, None).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::InitKeyReused)
    );
    let mut version = bundle.key_package().clone();
    version.version = ProtocolVersion(9);
    assert!(ValidatedKeyPackage::validate(provider(), version, NOW, None).is_err());
    let mut suite = bundle.key_package().clone();
    suite.cipher_suite = CipherSuite(0x7777);
    assert!(ValidatedKeyPackage::validate(provider(), suite, NOW, None).is_err());
    let mut leaf = bundle.key_package().clone();
    leaf.leaf_node.signature[1] ^= 1;
    assert_eq!(
        ValidatedKeyPackage::validate(provider(), leaf, NOW, None).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::InvalidLeafNode(
            LeafNodeError::BadSignature
        ))
    );
    let validated =
        ValidatedKeyPackage::validate(provider(), bundle.key_package().clone(), NOW, None).unwrap();
    assert_eq!(validated.key_package(), bundle.key_package());
}

#[test]
fn welcomes_for_others_or_tampered() {
    let (clients, mut groups) = group_of(2, GroupConfig::default());
    let newcomer = Client::new("newcomer");
    let kp = newcomer.key_package();
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
    let welcome = welcome_of(bundle.welcome.as_ref().unwrap()).clone();
    let other = Client::new("uninvited").key_package();
    let join = |welcome: &braid_mls::messages::Welcome, kp, client: &Client| {
        Group::join_from_welcome(
            provider(),
            GroupConfig::default(),
            welcome,
            kp,
            client.signer.clone(),
            JoinOptions::new(NOW),
        )
    };
    assert!(matches!(
        join(&welcome, &other, &newcomer).unwrap_err(),
        GroupError::OwnLeafNotFound | GroupError::NotInvited(_)
    ));
    let mut tampered = welcome.clone();
    tampered.encrypted_group_info[5] ^= 1;
    assert!(join(&tampered, &kp, &newcomer).is_err());
    let mut tampered = welcome.clone();
    tampered.secrets[0].encrypted_group_secrets.ciphertext[0] ^= 1;
    assert!(join(&tampered, &kp, &newcomer).is_err());
    // The wrong signer for the KeyPackage.
    assert_eq!(
        join(&welcome, &kp, &clients[0]).unwrap_err(),
        GroupError::OwnLeafNotFound
    );
    assert!(join(&welcome, &kp, &newcomer).is_ok());
}

#[test]
fn group_context_extensions_must_be_supported_by_every_member() {
    let (_, mut groups) = group_of(3, GroupConfig::default());
    let unsupported = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType(0xff00),
        extension_data: vec![],
    }])
    .unwrap();
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: unsupported,
    });
    let error = groups[0]
        .commit(
            provider(),
            CommitOptions {
                proposals: vec![gce],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap_err();
    assert!(matches!(
        error,
        GroupError::InvalidProposal {
            error: ProposalError::UnsupportedByMember { .. },
            ..
        }
    ));
    // Requiring a credential type nobody supports.
    let required = RequiredCapabilities {
        extension_types: vec![],
        proposal_types: vec![],
        credential_types: vec![CredentialType(0x0f0f)],
    };
    let extensions = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType::REQUIRED_CAPABILITIES,
        extension_data: required.to_bytes(),
    }])
    .unwrap();
    let proposal = groups[1]
        .propose_group_context_extensions(provider(), extensions)
        .unwrap();
    deliver_proposal(&mut groups, 1, &proposal);
    assert!(matches!(
        groups[2]
            .commit(provider(), CommitOptions::default(), NOW)
            .unwrap_err(),
        GroupError::InvalidProposal {
            error: ProposalError::UnsupportedByMember { .. },
            ..
        }
    ));
    // A malformed external_senders body is refused on receipt.
    let malformed = Extensions::from_vec(vec![Extension {
        extension_type: ExtensionType::EXTERNAL_SENDERS,
        extension_data: vec![5, 1],
    }])
    .unwrap();
    assert!(matches!(
        groups[0]
            .propose_group_context_extensions(provider(), malformed)
            .unwrap_err(),
        GroupError::InvalidProposal {
            error: ProposalError::MalformedExtension(_),
            ..
        }
    ));
}
