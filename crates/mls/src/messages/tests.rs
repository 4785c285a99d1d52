//! Round-trip properties of every wire structure, and rejection of malformed input.

use std::collections::BTreeMap;
use std::fmt::Debug;

use braid_codec::{Decode, Encode, Error, Reader};
use braid_crypto::{CipherSuite, Secret};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::*;
use crate::extensions::{Extension, ExtensionType, Extensions};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::psk::{ExternalPsk, PreSharedKeyId, Psk, ResumptionPsk, ResumptionPskUsage};
use crate::suite::HpkeCiphertext;
use crate::tree_math::LeafIndex;

// ---------------------------------------------------------------------------------------------
// Strategies: random valid values of every structure.

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn hpke_public_key() -> impl Strategy<Value = HpkePublicKey> {
    bytes(40).prop_map(HpkePublicKey)
}

fn signature_public_key() -> impl Strategy<Value = SignaturePublicKey> {
    bytes(40).prop_map(SignaturePublicKey)
}

fn mac() -> impl Strategy<Value = Mac> {
    bytes(40).prop_map(Mac)
}

fn leaf_index() -> impl Strategy<Value = LeafIndex> {
    any::<u32>().prop_map(LeafIndex)
}

fn cipher_suite() -> impl Strategy<Value = CipherSuite> {
    any::<u16>().prop_map(CipherSuite)
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    any::<u16>().prop_map(ProtocolVersion)
}

fn extensions() -> impl Strategy<Value = Extensions> {
    vec((any::<u16>(), bytes(20)), 0..4).prop_map(|entries| {
        let unique: BTreeMap<u16, Vec<u8>> = entries.into_iter().collect();
        Extensions::from_vec(
            unique
                .into_iter()
                .map(|(t, extension_data)| Extension {
                    extension_type: ExtensionType(t),
                    extension_data,
                })
                .collect(),
        )
        .expect("types are unique")
    })
}

fn credential() -> impl Strategy<Value = Credential> {
    prop_oneof![
        bytes(30).prop_map(Credential::basic),
        vec(bytes(30), 0..3).prop_map(|certs| Credential::X509 {
            certificates: certs
                .into_iter()
                .map(|cert_data| Certificate { cert_data })
                .collect(),
        }),
        (3..=u16::MAX, bytes(30)).prop_map(|(t, content)| Credential::Other {
            credential_type: CredentialType(t),
            content,
        }),
    ]
}

fn capabilities() -> impl Strategy<Value = Capabilities> {
    (
        vec(version(), 0..3),
        vec(cipher_suite(), 0..3),
        vec(any::<u16>().prop_map(ExtensionType), 0..3),
        vec(any::<u16>().prop_map(ProposalType), 0..3),
        vec(any::<u16>().prop_map(CredentialType), 0..3),
    )
        .prop_map(
            |(versions, cipher_suites, extensions, proposals, credentials)| Capabilities {
                versions,
                cipher_suites,
                extensions,
                proposals,
                credentials,
            },
        )
}

fn leaf_node_source() -> impl Strategy<Value = LeafNodeSource> {
    prop_oneof![
        (any::<u64>(), any::<u64>()).prop_map(|(not_before, not_after)| {
            LeafNodeSource::KeyPackage {
                lifetime: Lifetime {
                    not_before,
                    not_after,
                },
            }
        }),
        Just(LeafNodeSource::Update),
        bytes(40).prop_map(|parent_hash| LeafNodeSource::Commit { parent_hash }),
    ]
}

fn leaf_node() -> impl Strategy<Value = LeafNode> {
    (
        hpke_public_key(),
        signature_public_key(),
        credential(),
        capabilities(),
        leaf_node_source(),
        extensions(),
        bytes(70),
    )
        .prop_map(
            |(
                encryption_key,
                signature_key,
                credential,
                capabilities,
                leaf_node_source,
                extensions,
                signature,
            )| LeafNode {
                encryption_key,
                signature_key,
                credential,
                capabilities: capabilities.into(),
                leaf_node_source,
                extensions,
                signature,
            },
        )
}

fn key_package() -> impl Strategy<Value = KeyPackage> {
    (
        version(),
        cipher_suite(),
        hpke_public_key(),
        leaf_node(),
        extensions(),
        bytes(70),
    )
        .prop_map(
            |(version, cipher_suite, init_key, leaf_node, extensions, signature)| KeyPackage {
                version,
                cipher_suite,
                init_key,
                leaf_node,
                extensions,
                signature,
            },
        )
}

fn parent_node() -> impl Strategy<Value = ParentNode> {
    (hpke_public_key(), bytes(40), vec(leaf_index(), 0..4)).prop_map(
        |(encryption_key, parent_hash, unmerged_leaves)| ParentNode {
            encryption_key,
            parent_hash,
            unmerged_leaves,
        },
    )
}

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![
        leaf_node().prop_map(Node::Leaf),
        parent_node().prop_map(Node::Parent)
    ]
}

fn ratchet_tree() -> impl Strategy<Value = RatchetTree> {
    (vec(option::of(node()), 0..5), node()).prop_map(|(mut nodes, last)| {
        nodes.push(Some(last));
        RatchetTree::new(nodes).expect("ends with a node")
    })
}

fn hpke_ciphertext() -> impl Strategy<Value = HpkeCiphertext> {
    (bytes(40), bytes(60)).prop_map(|(kem_output, ciphertext)| HpkeCiphertext {
        kem_output,
        ciphertext,
    })
}

fn update_path() -> impl Strategy<Value = UpdatePath> {
    let path_node = (hpke_public_key(), vec(hpke_ciphertext(), 0..3)).prop_map(
        |(encryption_key, encrypted_path_secret)| UpdatePathNode {
            encryption_key,
            encrypted_path_secret,
        },
    );
    (leaf_node(), vec(path_node, 0..3))
        .prop_map(|(leaf_node, nodes)| UpdatePath { leaf_node, nodes })
}

fn pre_shared_key_id() -> impl Strategy<Value = PreSharedKeyId> {
    let usage = prop_oneof![
        Just(ResumptionPskUsage::Application),
        Just(ResumptionPskUsage::Reinit),
        Just(ResumptionPskUsage::Branch),
    ];
    let psk = prop_oneof![
        bytes(20).prop_map(|psk_id| Psk::External(ExternalPsk { psk_id })),
        (usage, bytes(20), any::<u64>()).prop_map(|(usage, psk_group_id, psk_epoch)| {
            Psk::Resumption(ResumptionPsk {
                usage,
                psk_group_id,
                psk_epoch,
            })
        }),
    ];
    (psk, bytes(40)).prop_map(|(psk, psk_nonce)| PreSharedKeyId { psk, psk_nonce })
}

fn proposal() -> impl Strategy<Value = Proposal> {
    prop_oneof![
        key_package().prop_map(|key_package| Proposal::Add(Box::new(Add { key_package }))),
        leaf_node().prop_map(|leaf_node| Proposal::Update(Box::new(Update { leaf_node }))),
        leaf_index().prop_map(|removed| Proposal::Remove(Remove { removed })),
        pre_shared_key_id().prop_map(|psk| Proposal::PreSharedKey(PreSharedKey { psk })),
        (bytes(20), version(), cipher_suite(), extensions()).prop_map(
            |(group_id, version, cipher_suite, extensions)| {
                Proposal::ReInit(ReInit {
                    group_id,
                    version,
                    cipher_suite,
                    extensions,
                })
            }
        ),
        bytes(40).prop_map(|kem_output| Proposal::ExternalInit(ExternalInit { kem_output })),
        extensions().prop_map(|extensions| {
            Proposal::GroupContextExtensions(GroupContextExtensions { extensions })
        }),
    ]
}

fn commit() -> impl Strategy<Value = Commit> {
    let proposal_or_ref = prop_oneof![
        proposal().prop_map(ProposalOrRef::Proposal),
        bytes(40).prop_map(|r| ProposalOrRef::Reference(ProposalRef(r))),
    ];
    (
        vec(proposal_or_ref, 0..3),
        option::of(update_path().prop_map(Box::new)),
    )
        .prop_map(|(proposals, path)| Commit { proposals, path })
}

fn sender() -> impl Strategy<Value = Sender> {
    prop_oneof![
        leaf_index().prop_map(Sender::Member),
        any::<u32>().prop_map(Sender::External),
        Just(Sender::NewMemberProposal),
        Just(Sender::NewMemberCommit),
    ]
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        bytes(60).prop_map(Content::Application),
        proposal().prop_map(Content::Proposal),
        commit().prop_map(Content::Commit),
    ]
}

fn framed_content() -> impl Strategy<Value = FramedContent> {
    (bytes(20), any::<u64>(), sender(), bytes(20), content()).prop_map(
        |(group_id, epoch, sender, authenticated_data, content)| FramedContent {
            group_id,
            epoch,
            sender,
            authenticated_data,
            content,
        },
    )
}

/// Auth data consistent with `content_type` (a confirmation tag exactly for commits).
fn auth_for(content_type: ContentType) -> impl Strategy<Value = FramedContentAuthData> {
    (bytes(70), mac()).prop_map(move |(signature, tag)| FramedContentAuthData {
        signature,
        confirmation_tag: (content_type == ContentType::Commit).then_some(tag),
    })
}

fn authenticated_content() -> impl Strategy<Value = AuthenticatedContent> {
    (any::<u16>(), framed_content()).prop_flat_map(|(wire_format, content)| {
        auth_for(content.content_type()).prop_map(move |auth| AuthenticatedContent {
            wire_format: WireFormat(wire_format),
            content: content.clone(),
            auth,
        })
    })
}

fn public_message() -> impl Strategy<Value = PublicMessage> {
    (framed_content(), mac()).prop_flat_map(|(content, tag)| {
        let membership_tag = matches!(content.sender, Sender::Member(_)).then_some(tag);
        auth_for(content.content_type()).prop_map(move |auth| PublicMessage {
            content: content.clone(),
            auth,
            membership_tag: membership_tag.clone(),
        })
    })
}

fn content_type() -> impl Strategy<Value = ContentType> {
    prop_oneof![
        Just(ContentType::Application),
        Just(ContentType::Proposal),
        Just(ContentType::Commit),
    ]
}

fn private_message() -> impl Strategy<Value = PrivateMessage> {
    (
        bytes(20),
        any::<u64>(),
        content_type(),
        bytes(20),
        bytes(40),
        bytes(80),
    )
        .prop_map(
            |(
                group_id,
                epoch,
                content_type,
                authenticated_data,
                encrypted_sender_data,
                ciphertext,
            )| {
                PrivateMessage {
                    group_id,
                    epoch,
                    content_type,
                    authenticated_data,
                    encrypted_sender_data,
                    ciphertext,
                }
            },
        )
}

fn private_message_content() -> impl Strategy<Value = PrivateMessageContent> {
    (content(), 0..40usize).prop_flat_map(|(content, padding)| {
        auth_for(content.content_type()).prop_map(move |auth| PrivateMessageContent {
            content: content.clone(),
            auth,
            padding,
        })
    })
}

fn group_context() -> impl Strategy<Value = GroupContext> {
    (
        version(),
        cipher_suite(),
        bytes(20),
        any::<u64>(),
        bytes(40),
        bytes(40),
        extensions(),
    )
        .prop_map(
            |(
                version,
                cipher_suite,
                group_id,
                epoch,
                tree_hash,
                confirmed_transcript_hash,
                extensions,
            )| {
                GroupContext {
                    version,
                    cipher_suite,
                    group_id,
                    epoch,
                    tree_hash,
                    confirmed_transcript_hash,
                    extensions,
                }
            },
        )
}

fn group_info() -> impl Strategy<Value = GroupInfo> {
    (
        group_context(),
        extensions(),
        mac(),
        leaf_index(),
        bytes(70),
    )
        .prop_map(
            |(group_context, extensions, confirmation_tag, signer, signature)| GroupInfo {
                group_context,
                extensions,
                confirmation_tag,
                signer,
                signature,
            },
        )
}

fn group_secrets() -> impl Strategy<Value = GroupSecrets> {
    (
        bytes(40),
        option::of(bytes(40)),
        vec(pre_shared_key_id(), 0..3),
    )
        .prop_map(|(joiner_secret, path_secret, psks)| GroupSecrets {
            joiner_secret: Secret::new(joiner_secret),
            path_secret: path_secret.map(|s| PathSecret {
                path_secret: Secret::new(s),
            }),
            psks,
        })
}

fn welcome() -> impl Strategy<Value = Welcome> {
    let entry = (bytes(40), hpke_ciphertext()).prop_map(|(r, encrypted_group_secrets)| {
        EncryptedGroupSecrets {
            new_member: KeyPackageRef(r),
            encrypted_group_secrets,
        }
    });
    (cipher_suite(), vec(entry, 0..3), bytes(80)).prop_map(
        |(cipher_suite, secrets, encrypted_group_info)| Welcome {
            cipher_suite,
            secrets,
            encrypted_group_info,
        },
    )
}

fn mls_message() -> impl Strategy<Value = MlsMessage> {
    let body = prop_oneof![
        public_message().prop_map(MlsMessageBody::PublicMessage),
        private_message().prop_map(MlsMessageBody::PrivateMessage),
        welcome().prop_map(MlsMessageBody::Welcome),
        group_info().prop_map(MlsMessageBody::GroupInfo),
        key_package().prop_map(MlsMessageBody::KeyPackage),
    ];
    (version(), body).prop_map(|(version, body)| MlsMessage { version, body })
}

// ---------------------------------------------------------------------------------------------
// Round trips.

/// `decode(encode(value)) == value`, and re-encoding the decoded value gives the same bytes.
fn round_trip<T: Encode + Decode + PartialEq + Debug>(value: &T) -> Result<(), TestCaseError> {
    let bytes = value.to_bytes();
    let decoded = T::from_bytes(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    prop_assert_eq!(&decoded, value);
    prop_assert_eq!(decoded.to_bytes(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn credential_round_trips(value in credential()) {
        round_trip(&value)?;
    }

    #[test]
    fn leaf_node_round_trips(value in leaf_node()) {
        round_trip(&value)?;
    }

    #[test]
    fn key_package_round_trips(value in key_package()) {
        round_trip(&value)?;
    }

    #[test]
    fn ratchet_tree_round_trips(value in ratchet_tree()) {
        round_trip(&value)?;
    }

    #[test]
    fn proposal_round_trips(value in proposal()) {
        round_trip(&value)?;
    }

    #[test]
    fn commit_round_trips(value in commit()) {
        round_trip(&value)?;
    }

    #[test]
    fn authenticated_content_round_trips(value in authenticated_content()) {
        round_trip(&value)?;
    }

    #[test]
    fn group_secrets_round_trip(value in group_secrets()) {
        round_trip(&value)?;
    }

    #[test]
    fn mls_message_round_trips(value in mls_message()) {
        round_trip(&value)?;
    }

    #[test]
    fn private_message_content_round_trips(value in private_message_content()) {
        let bytes = value.to_bytes();
        let decoded = PrivateMessageContent::from_bytes_with(&bytes, value.content.content_type())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(decoded.to_bytes(), bytes);
    }

    #[test]
    fn extension_bodies_round_trip(
        sender in (signature_public_key(), credential()),
        external_pub in hpke_public_key(),
        required in (vec(any::<u16>(), 0..3), vec(any::<u16>(), 0..3), vec(any::<u16>(), 0..3)),
    ) {
        round_trip(&vec![ExternalSender { signature_key: sender.0, credential: sender.1 }])?;
        round_trip(&ExternalPub { external_pub })?;
        round_trip(&RequiredCapabilities {
            extension_types: required.0.into_iter().map(ExtensionType).collect(),
            proposal_types: required.1.into_iter().map(ProposalType).collect(),
            credential_types: required.2.into_iter().map(CredentialType).collect(),
        })?;
    }

    #[test]
    fn sender_data_round_trips(
        leaf in leaf_index(), generation in any::<u32>(), reuse_guard in any::<[u8; 4]>(),
    ) {
        round_trip(&SenderData { leaf_index: leaf, generation, reuse_guard })?;
    }

    /// Every strict prefix of a valid MLSMessage is rejected, without panicking.
    #[test]
    fn truncated_mls_messages_are_rejected(value in mls_message()) {
        let bytes = value.to_bytes();
        for len in 0..bytes.len() {
            prop_assert!(MlsMessage::from_bytes(&bytes[..len]).is_err(), "prefix of {len} bytes decoded");
        }
    }

    /// Random bytes never panic the decoder.
    #[test]
    fn arbitrary_bytes_do_not_panic(input in bytes(300)) {
        let _ = MlsMessage::from_bytes(&input);
        let _ = RatchetTree::from_bytes(&input);
        let _ = GroupSecrets::from_bytes(&input);
        for content_type in [ContentType::Application, ContentType::Proposal, ContentType::Commit] {
            let _ = PrivateMessageContent::from_bytes_with(&input, content_type);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed encodings and malformed input.

fn basic_leaf(leaf_node_source: LeafNodeSource) -> LeafNode {
    LeafNode {
        encryption_key: HpkePublicKey(vec![1, 2]),
        signature_key: SignaturePublicKey(vec![3]),
        credential: Credential::basic(b"al".to_vec()),
        capabilities: Capabilities::default().into(),
        leaf_node_source,
        extensions: Extensions::new(),
        signature: vec![9, 9],
    }
}

/// A PublicMessage from member 5 with an empty group id, epoch 7 and no authenticated data,
/// carrying application data `[0xab]`.
fn member_message() -> MlsMessage {
    MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: FramedContent {
            group_id: vec![],
            epoch: 7,
            sender: Sender::Member(LeafIndex(5)),
            authenticated_data: vec![],
            content: Content::Application(vec![0xab]),
        },
        auth: FramedContentAuthData {
            signature: vec![0x51],
            confirmation_tag: None,
        },
        membership_tag: Some(Mac(vec![0x3a])),
    }))
}

/// Offsets into the encoding of [`member_message`].
const WIRE_FORMAT_AT: usize = 2;
const GROUP_ID_AT: usize = 4;
const SENDER_TYPE_AT: usize = 13;
const CONTENT_TYPE_AT: usize = 19;

#[test]
fn member_message_has_the_expected_encoding() {
    let expected: Vec<u8> = [
        &[0, 1, 0, 1][..],         // mls10, mls_public_message
        &[0],                      // group_id
        &[0, 0, 0, 0, 0, 0, 0, 7], // epoch
        &[1, 0, 0, 0, 5],          // sender: member 5
        &[0],                      // authenticated_data
        &[1, 1, 0xab],             // application, application_data
        &[1, 0x51],                // signature
        &[1, 0x3a],                // membership_tag
    ]
    .concat();
    let bytes = member_message().to_bytes();
    assert_eq!(bytes, expected);
    assert_eq!(bytes[SENDER_TYPE_AT], 1);
    assert_eq!(bytes[CONTENT_TYPE_AT], 1);
    assert_eq!(MlsMessage::from_bytes(&bytes).unwrap(), member_message());
}

fn patched(offset: usize, replacement: &[u8], remove: usize) -> Vec<u8> {
    let mut bytes = member_message().to_bytes();
    bytes.splice(offset..offset + remove, replacement.iter().copied());
    bytes
}

#[test]
fn unknown_wire_formats_are_rejected() {
    for wire_format in [0u16, 6, 0x0a0a, 0xffff] {
        let bytes = patched(WIRE_FORMAT_AT, &wire_format.to_be_bytes(), 2);
        assert_eq!(
            MlsMessage::from_bytes(&bytes),
            Err(Error::InvalidValue {
                what: "WireFormat",
                value: u64::from(wire_format)
            })
        );
    }
}

#[test]
fn unknown_sender_and_content_types_are_rejected() {
    for sender_type in [0u8, 5, 0xff] {
        let bytes = patched(SENDER_TYPE_AT, &[sender_type], 1);
        assert!(matches!(
            MlsMessage::from_bytes(&bytes),
            Err(Error::InvalidValue {
                what: "SenderType",
                ..
            })
        ));
    }
    for content_type in [0u8, 4, 0xff] {
        let bytes = patched(CONTENT_TYPE_AT, &[content_type], 1);
        assert!(matches!(
            MlsMessage::from_bytes(&bytes),
            Err(Error::InvalidValue {
                what: "ContentType",
                ..
            })
        ));
    }
}

#[test]
fn non_minimal_lengths_inside_structures_are_rejected() {
    // group_id's empty length written in two bytes instead of one.
    let bytes = patched(GROUP_ID_AT, &[0x40, 0x00], 1);
    assert_eq!(
        MlsMessage::from_bytes(&bytes),
        Err(Error::NonMinimalVarint { value: 0 })
    );
    // A basic credential's identity length 2 written in four bytes.
    let mut leaf = basic_leaf(LeafNodeSource::Update).to_bytes();
    let at = leaf.windows(3).position(|w| w == [2, b'a', b'l']).unwrap();
    leaf.splice(at..at + 1, [0x80, 0, 0, 2]);
    assert_eq!(
        LeafNode::from_bytes(&leaf),
        Err(Error::NonMinimalVarint { value: 2 })
    );
}

#[test]
fn bad_optional_flags_are_rejected() {
    let commit = Commit {
        proposals: vec![],
        path: None,
    };
    assert_eq!(commit.to_bytes(), [0, 0]);
    for flag in [2u8, 0xff] {
        assert_eq!(
            Commit::from_bytes(&[0, flag]),
            Err(Error::InvalidValue {
                what: "optional presence flag",
                value: u64::from(flag)
            })
        );
        // A blank node of a ratchet tree with a bad flag.
        assert!(RatchetTree::from_bytes(&[1, flag]).is_err());
    }
    // GroupSecrets: joiner_secret [7], then a path_secret flag of 2.
    assert!(GroupSecrets::from_bytes(&[1, 7, 2, 0]).is_err());
    assert!(GroupSecrets::from_bytes(&[1, 7, 0, 0]).is_ok());
}

#[test]
fn non_zero_padding_is_rejected() {
    let content = PrivateMessageContent {
        content: Content::Application(vec![1, 2, 3]),
        auth: FramedContentAuthData {
            signature: vec![4],
            confirmation_tag: None,
        },
        padding: 5,
    };
    let mut bytes = content.to_bytes();
    assert_eq!(bytes, [3, 1, 2, 3, 1, 4, 0, 0, 0, 0, 0]);
    assert_eq!(
        PrivateMessageContent::from_bytes_with(&bytes, ContentType::Application),
        Ok(content)
    );
    for at in 6..bytes.len() {
        bytes[at] = 0x80;
        assert_eq!(
            PrivateMessageContent::from_bytes_with(&bytes, ContentType::Application),
            Err(Error::Malformed(
                "PrivateMessageContent padding is not all zero"
            ))
        );
        bytes[at] = 0;
    }
}

#[test]
fn private_message_content_needs_its_content_type() {
    // Empty application data and the signature [4]; read as a commit, the same bytes are an
    // empty proposal list followed by a malformed path.
    let bytes = [0, 1, 4];
    let application =
        PrivateMessageContent::from_bytes_with(&bytes, ContentType::Application).unwrap();
    assert_eq!(application.content, Content::Application(vec![]));
    assert_eq!(application.auth.signature, [4]);
    assert!(PrivateMessageContent::from_bytes_with(&bytes, ContentType::Commit).is_err());
    // A commit needs a confirmation tag after the signature.
    let commit =
        PrivateMessageContent::from_bytes_with(&[0, 0, 1, 4, 1, 6], ContentType::Commit).unwrap();
    assert_eq!(commit.auth.confirmation_tag, Some(Mac(vec![6])));
    assert_eq!(commit.padding, 0);
}

#[test]
fn unknown_select_tags_are_rejected() {
    // Proposal type 8 has no body we could skip.
    assert_eq!(
        Proposal::from_bytes(&[0, 8, 0]),
        Err(Error::InvalidValue {
            what: "ProposalType",
            value: 8
        })
    );
    assert!(ProposalOrRef::from_bytes(&[3, 0]).is_err());
    assert!(Node::from_bytes(&[0]).is_err());
    assert!(Node::from_bytes(&[3]).is_err());
    let mut leaf = basic_leaf(LeafNodeSource::Update).to_bytes();
    let at = leaf.len() - 5; // source, empty extensions, signature [2, 9, 9]
    assert_eq!(leaf[at], 2);
    leaf[at] = 4;
    assert_eq!(
        LeafNode::from_bytes(&leaf),
        Err(Error::InvalidValue {
            what: "LeafNodeSource",
            value: 4
        })
    );
}

#[test]
fn unknown_credential_types_round_trip_as_opaque() {
    let bytes = [0x0a, 0x0a, 3, 1, 2, 3];
    let credential = Credential::from_bytes(&bytes).unwrap();
    assert_eq!(
        credential,
        Credential::Other {
            credential_type: CredentialType(0x0a0a),
            content: vec![1, 2, 3]
        }
    );
    assert_eq!(credential.to_bytes(), bytes);
    // The body must still be a well-formed vector.
    assert!(Credential::from_bytes(&[0x0a, 0x0a, 4, 1, 2, 3]).is_err());
}

#[test]
fn ratchet_tree_must_end_with_a_node() {
    let leaf = Node::Leaf(basic_leaf(LeafNodeSource::Update));
    assert!(RatchetTree::new(vec![]).is_none());
    assert!(RatchetTree::new(vec![Some(leaf.clone()), None]).is_none());
    let tree = RatchetTree::new(vec![Some(leaf.clone()), None, Some(leaf.clone())]).unwrap();
    assert_eq!(RatchetTree::from_bytes(&tree.to_bytes()).unwrap(), tree);

    let trailing_blank = vec![Some(leaf), None].to_bytes();
    assert_eq!(
        RatchetTree::from_bytes(&trailing_blank),
        Err(Error::Malformed(
            "ratchet_tree is empty or ends with a blank node"
        ))
    );
    assert!(RatchetTree::from_bytes(&[0]).is_err());
}

#[test]
fn leaf_node_tbs_covers_the_group_for_update_and_commit_only() {
    let key_package_leaf = basic_leaf(LeafNodeSource::KeyPackage {
        lifetime: Lifetime {
            not_before: 1,
            not_after: 2,
        },
    });
    let signed = key_package_leaf.to_bytes();
    let unsigned = &signed[..signed.len() - 3];
    let tbs = key_package_leaf
        .tbs(Some((b"g", LeafIndex(1))))
        .unwrap()
        .to_bytes();
    assert_eq!(tbs, unsigned);
    assert_eq!(key_package_leaf.tbs(None).unwrap().to_bytes(), unsigned);

    for source in [
        LeafNodeSource::Update,
        LeafNodeSource::Commit {
            parent_hash: vec![5],
        },
    ] {
        let leaf = basic_leaf(source);
        assert_eq!(
            leaf.tbs(None).unwrap_err(),
            MessageError::MissingLeafNodeGroup
        );
        let signed = leaf.to_bytes();
        let expected = [&signed[..signed.len() - 3], &[1, b'g', 0, 0, 0, 9]].concat();
        assert_eq!(
            leaf.tbs(Some((b"g", LeafIndex(9)))).unwrap().to_bytes(),
            expected
        );
    }
}

#[test]
fn signed_structures_tbs_is_the_encoding_without_the_signature() {
    let key_package = KeyPackage {
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(1),
        init_key: HpkePublicKey(vec![8]),
        leaf_node: basic_leaf(LeafNodeSource::KeyPackage {
            lifetime: Lifetime {
                not_before: 0,
                not_after: 1,
            },
        }),
        extensions: Extensions::new(),
        signature: vec![0xee; 3],
    };
    let bytes = key_package.to_bytes();
    assert_eq!(key_package.tbs().to_bytes(), bytes[..bytes.len() - 4]);

    let group_info = GroupInfo {
        group_context: GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: CipherSuite(1),
            group_id: vec![1],
            epoch: 2,
            tree_hash: vec![3],
            confirmed_transcript_hash: vec![4],
            extensions: Extensions::new(),
        },
        extensions: Extensions::new(),
        confirmation_tag: Mac(vec![5]),
        signer: LeafIndex(6),
        signature: vec![0xee; 2],
    };
    let bytes = group_info.to_bytes();
    assert_eq!(group_info.tbs().to_bytes(), bytes[..bytes.len() - 3]);
}

#[test]
fn framed_content_tbs_includes_the_context_for_member_senders_only() {
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(1),
        group_id: vec![],
        epoch: 7,
        tree_hash: vec![],
        confirmed_transcript_hash: vec![],
        extensions: Extensions::new(),
    };
    let MlsMessageBody::PublicMessage(message) = member_message().body else {
        unreachable!("member_message is a PublicMessage")
    };
    let content = message.content;
    let prefix = [&[0, 1, 0, 1][..], &content.to_bytes()].concat();

    let tbs = FramedContentTbs::new(WireFormat::PUBLIC_MESSAGE, &content, Some(&context)).unwrap();
    assert_eq!(tbs.to_bytes(), [&prefix[..], &context.to_bytes()].concat());
    assert_eq!(
        FramedContentTbs::new(WireFormat::PUBLIC_MESSAGE, &content, None).unwrap_err(),
        MessageError::MissingGroupContext(SenderType::Member)
    );
    let tbm = AuthenticatedContentTbm {
        content_tbs: tbs,
        auth: &message.auth,
    };
    assert_eq!(
        tbm.to_bytes(),
        [&tbs.to_bytes()[..], &message.auth.to_bytes()].concat()
    );

    let external = FramedContent {
        sender: Sender::External(2),
        ..content
    };
    let prefix = [&[0, 1, 0, 1][..], &external.to_bytes()].concat();
    for given in [None, Some(&context)] {
        let tbs = FramedContentTbs::new(WireFormat::PUBLIC_MESSAGE, &external, given).unwrap();
        assert_eq!(tbs.to_bytes(), prefix);
    }
}

#[test]
fn membership_tag_is_read_for_member_senders_only() {
    let bytes = member_message().to_bytes();
    // Without the tag a member's message is truncated.
    assert!(MlsMessage::from_bytes(&bytes[..bytes.len() - 2]).is_err());
    // The same message from a new member has no tag: the tag bytes are trailing.
    let new_member = patched(SENDER_TYPE_AT, &[3], 5);
    assert_eq!(
        MlsMessage::from_bytes(&new_member),
        Err(Error::TrailingBytes(2))
    );
    let decoded = MlsMessage::from_bytes(&new_member[..new_member.len() - 2]).unwrap();
    let MlsMessageBody::PublicMessage(message) = decoded.body else {
        unreachable!("decoded a PublicMessage")
    };
    assert_eq!(message.content.sender, Sender::NewMemberProposal);
    assert_eq!(message.membership_tag, None);
}

#[test]
fn aad_encodings() {
    let message = PrivateMessage {
        group_id: vec![0xaa],
        epoch: 1,
        content_type: ContentType::Commit,
        authenticated_data: vec![0xbb, 0xcc],
        encrypted_sender_data: vec![],
        ciphertext: vec![],
    };
    let sender_data_aad = [&[1, 0xaa][..], &[0, 0, 0, 0, 0, 0, 0, 1], &[3]].concat();
    assert_eq!(message.sender_data_aad().to_bytes(), sender_data_aad);
    assert_eq!(
        message.content_aad().to_bytes(),
        [&sender_data_aad[..], &[2, 0xbb, 0xcc]].concat()
    );
    let sender_data = SenderData {
        leaf_index: LeafIndex(2),
        generation: 3,
        reuse_guard: [4, 5, 6, 7],
    };
    assert_eq!(sender_data.to_bytes(), [0, 0, 0, 2, 0, 0, 0, 3, 4, 5, 6, 7]);
    assert!(SenderData::from_bytes(&[0; 11]).is_err());
}

#[test]
fn auth_data_reads_a_confirmation_tag_for_commits_only() {
    let bytes = [1, 0x51, 1, 0x7c];
    let mut reader = Reader::new(&bytes);
    let commit = FramedContentAuthData::decode_with(&mut reader, ContentType::Commit).unwrap();
    assert!(reader.is_empty());
    assert_eq!(commit.confirmation_tag, Some(Mac(vec![0x7c])));
    let mut reader = Reader::new(&bytes);
    let proposal = FramedContentAuthData::decode_with(&mut reader, ContentType::Proposal).unwrap();
    assert_eq!(reader.remaining(), 2);
    assert_eq!(proposal.confirmation_tag, None);
}

#[test]
fn mac_equality_compares_contents() {
    assert_eq!(Mac(vec![1, 2]), Mac(vec![1, 2]));
    assert_ne!(Mac(vec![1, 2]), Mac(vec![1, 3]));
    assert_ne!(Mac(vec![1, 2]), Mac(vec![1, 2, 0]));
    assert!(Mac(vec![9]).ct_eq(&[9]));
}

#[test]
fn welcome_finds_secrets_by_key_package_ref() {
    let entry = |r: u8| EncryptedGroupSecrets {
        new_member: KeyPackageRef(vec![r]),
        encrypted_group_secrets: HpkeCiphertext {
            kem_output: vec![r],
            ciphertext: vec![],
        },
    };
    let welcome = Welcome {
        cipher_suite: CipherSuite(1),
        secrets: vec![entry(1), entry(2)],
        encrypted_group_info: vec![],
    };
    assert_eq!(
        welcome.secrets_for(&KeyPackageRef(vec![2])),
        Some(&entry(2))
    );
    assert_eq!(welcome.secrets_for(&KeyPackageRef(vec![3])), None);
}

/// `key_package` and `welcome` (both MLSMessages) of the suite-1 case of the official
/// `welcome.json`: the Welcome's entry is addressed to the KeyPackage's `KeyPackageRef`.
const WELCOME_KAT_KEY_PACKAGE: &[&str] = &[
    "00010005000100012028b2cd6417984dc4708c61a1cce7c0f11d181bd36d6f7a610ea21cb96f79ba6020275d",
    "9e6337b11a5e21ba755f2353053a500103efa1c5ac7c07d3a78f8817ad2d203de79c7e370156ce25a88d897a",
    "8ea7c8f90fea1f71fbeb5f31855312d8750007000120b640fbb0df8e646b29c83c5ed08aea89f72ab1089228",
    "27ea76cd3b917d6d99420200010c00010002000300040005000600000400010002010000000000000000ffff",
    "ffffffffffff004040fd81837a40a9ba774bb44db665081f4d0ff2a8f680ce5c902b17acc4ae6d9a14b9d4e9",
    "b4f8e7d74af8ff42032ec9caadf267e85931b550eebbe480150d4b9b0a0040401ec696ab731d5a7b1092b0db",
    "9912fe35086e188ce2946996bdf3cec463849f1a32f653b6e246b8b85a486ce3f604891501052c3d7bbee215",
    "5fff6a367e5a1f03",
];
const WELCOME_KAT_WELCOME: &[&str] = &[
    "0001000300014076208e1faada70f08b91ef7f7f79ed1da917d9ce3cea5e5ce22e4a8b10f4311559dd20a87d",
    "e170e9dc54bd4a8a48f38cd5c949f0cc82fce8ea72232417975ec6bad95033f6701d639694cbb51a4b2d0191",
    "f432add5267eea7b33f3c0c7edc65a28650adb0008f08b84a420bf1070516cb079a8e5c4159a40e80bee12b7",
    "8b86d125155b035f52e8a131469cf1b9645d70e270d3aa21c04945fa80b7fea30ccfceb436e4df23558cdc1a",
    "6cd435db3199314795b7c488b4bf0855cb589ad9c7eb43ea8bc9edef6b85ad1c97451b706e5de27aabe664dc",
    "a132a288b3fc091b9100e470fb506833aaa4ab279a44c92c21e34dd295b6e49978d8c93cf20537bebc1a4671",
    "77500d7fe6b127d5b3d13bf038cd2e8ec00937db6fd4996b2f2e416b810d0822b77bd71b59bf1e486c1ad74d",
    "a0de9872f839b63928a03ae11e4dfacb7cf27ea2c35ae233d9c63fe901ddd4e7be7e643912bb39ad8a728792",
    "753bc8314317388e",
];

fn unhex(parts: &[&str]) -> Vec<u8> {
    let text = parts.concat();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn key_package_ref_matches_the_welcome_vector() {
    let provider = braid_provider::DefaultProvider;
    let suite = crate::suite::Suite::new(&provider, CipherSuite(1)).unwrap();
    let MlsMessageBody::KeyPackage(key_package) =
        MlsMessage::from_bytes(&unhex(WELCOME_KAT_KEY_PACKAGE))
            .unwrap()
            .body
    else {
        panic!("not a KeyPackage")
    };
    let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(&unhex(WELCOME_KAT_WELCOME))
        .unwrap()
        .body
    else {
        panic!("not a Welcome")
    };
    let key_package_ref = key_package.make_ref(&suite).unwrap();
    assert_eq!(key_package_ref.len(), 32);
    assert!(welcome.secrets_for(&key_package_ref).is_some());
}

#[test]
fn proposal_ref_hashes_the_authenticated_content() {
    let provider = braid_provider::DefaultProvider;
    let suite = crate::suite::Suite::new(&provider, CipherSuite(1)).unwrap();
    let MlsMessageBody::PublicMessage(message) = member_message().body else {
        unreachable!("member_message is a PublicMessage")
    };
    let content = AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: message.content,
        auth: message.auth,
    };
    let expected = suite.make_proposal_ref(&content.to_bytes()).unwrap();
    assert_eq!(
        content.make_proposal_ref(&suite).unwrap(),
        ProposalRef(expected)
    );
    let other_wire_format = AuthenticatedContent {
        wire_format: WireFormat::PRIVATE_MESSAGE,
        ..content.clone()
    };
    assert_ne!(
        other_wire_format.make_proposal_ref(&suite).unwrap(),
        content.make_proposal_ref(&suite).unwrap()
    );
}
