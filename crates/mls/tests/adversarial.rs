//! Adversarial members and outsiders (RFC 9420 §6, §7, §9, §12, §16): messages signed and
//! protected with real keys (through the `test-utils` seams) that break one rule each. Every
//! one is rejected with the error naming that rule, and every honest receiver's stored state
//! stays byte for byte as it was (`assert_rejected`). Also the resource limits of
//! `GroupConfig` and the secret tree.
//!
//! Forged Commits carry the confirmation tag of the honest Commit they were made from; the
//! checks they target all run before the tag is verified (§12.4.2), so the tag only decides
//! the outcome for receivers the tampering does not concern.

mod common;

use braid_codec::{Decode, Encode};
use braid_crypto::{CipherSuite, Secret};
use braid_mls::extensions::{Extension, ExtensionType};
use braid_mls::group::{
    CommitOptions, ExternalJoinOptions, Group, GroupConfig, GroupError, GroupInfoOptions,
    HandshakeFormat, KeyPackageBundle, KeyPackageError, KeyPackageOptions, ProcessedMessage,
    ProposalError,
};
use braid_mls::messages::{
    Add, Commit, Content, Credential, FramedContent, GroupInfo, HpkePublicKey, LeafNode,
    LeafNodeSource, Mac, MlsMessage, MlsMessageBody, Node, PrivateMessage, Proposal, ProposalOrRef,
    RatchetTree, Remove, Sender, SenderData, WireFormat,
};
use braid_mls::protection::ProtectionError;
use braid_mls::secret_tree::{SecretTreeConfig, SecretTreeError};
use braid_mls::suite::Suite;
use braid_mls::tree::treekem::TreeKemError;
use braid_mls::tree::{LeafNodeError, TreeError};
use braid_mls::tree_math::{LeafIndex, NodeIndex};
use common::*;

fn public() -> GroupConfig {
    GroupConfig {
        outgoing_handshake: HandshakeFormat::PublicMessage,
        ..GroupConfig::default()
    }
}

/// Four members with public handshakes; the private signature key of `m0` (the adversary
/// of most tests) is known.
fn four_members() -> (Secret, Vec<Group>) {
    let (m0, key) = Client::with_private_key("m0");
    let mut clients = vec![m0];
    clients.extend((1..4).map(|i| Client::new(&format!("m{i}"))));
    (key, group_of_clients(&clients, public()))
}

fn suite() -> Suite<'static> {
    Suite::new(provider(), SUITE).unwrap()
}

/// The signed content and confirmation tag of a PublicMessage.
fn content_of(message: &MlsMessage) -> (FramedContent, Option<Mac>) {
    match &message.body {
        MlsMessageBody::PublicMessage(m) => (m.content.clone(), m.auth.confirmation_tag.clone()),
        other => panic!("not a public message: {other:?}"),
    }
}

fn commit_mut(content: &mut FramedContent) -> &mut Commit {
    match &mut content.content {
        Content::Commit(commit) => commit,
        other => panic!("not a commit: {other:?}"),
    }
}

/// Content of `group`'s member in its current epoch.
fn framed(group: &Group, content: Content) -> FramedContent {
    FramedContent {
        group_id: group.group_id().to_vec(),
        epoch: group.epoch(),
        sender: Sender::Member(group.own_leaf_index()),
        authenticated_data: Vec::new(),
        content,
    }
}

/// Signs and protects `content` as a PublicMessage from `group`'s own member.
fn forge(group: &mut Group, content: FramedContent, tag: Option<Mac>) -> MlsMessage {
    let signer = group.signer().clone();
    group
        .forge_message(
            provider(),
            &signer,
            WireFormat::PUBLIC_MESSAGE,
            content,
            tag,
        )
        .unwrap()
}

/// An honest Commit by `groups[0]` of `options`, abandoned by it, with its content.
fn honest_commit(groups: &mut [Group], options: CommitOptions) -> (FramedContent, Option<Mac>) {
    let bundle = groups[0].commit(provider(), options, NOW).unwrap();
    groups[0].clear_pending_commit();
    content_of(&bundle.commit)
}

/// A forged Commit of `proposals` from `groups[0]`, with a path and a meaningless tag.
fn commit_of(groups: &mut [Group], proposals: Vec<ProposalOrRef>) -> MlsMessage {
    let (mut content, _) = honest_commit(groups, CommitOptions::default());
    commit_mut(&mut content).proposals = proposals;
    forge(&mut groups[0], content, Some(Mac(vec![0; 32])))
}

fn by_value(proposal: Proposal) -> ProposalOrRef {
    ProposalOrRef::Proposal(proposal)
}

fn remove(leaf: u32) -> Proposal {
    Proposal::Remove(Remove {
        removed: LeafIndex(leaf),
    })
}

/// Signs `leaf` again with `key` (over the group id and leaf index for update and commit
/// leaves).
fn sign_leaf(leaf: &mut LeafNode, key: &Secret, group: Option<(&[u8], LeafIndex)>) {
    let tbs = leaf.tbs(group).unwrap().to_bytes();
    leaf.signature = suite()
        .sign_with_label(key.as_bytes(), b"LeafNodeTBS", &tbs)
        .unwrap();
}

fn invalid_proposal(error: GroupError) -> ProposalError {
    match error {
        GroupError::InvalidProposal { error, .. } => error,
        other => panic!("expected an invalid proposal, got {other}"),
    }
}

// ----- a malicious committer ----------------------------------------------------------------

#[test]
fn update_path_encrypted_wrongly_to_one_member() {
    let (_, mut groups) = four_members();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    groups[0].clear_pending_commit();
    // The provisional GroupContext the path secrets are encrypted under (§7.6): the new
    // epoch's, with the previous confirmed transcript hash.
    let mut provisional = match groups[2]
        .clone()
        .process_message(provider(), bundle.commit.clone(), NOW)
        .unwrap()
    {
        ProcessedMessage::Commit(staged) => staged.group_context().unwrap().clone(),
        other => panic!("{other:?}"),
    };
    provisional.confirmed_transcript_hash =
        groups[2].group_context().confirmed_transcript_hash.clone();

    // m0's path: node 1 (its secret for m1 alone), then the root (for m2 and m3). m1 gets a
    // well-formed ciphertext of another path secret.
    let (mut content, tag) = content_of(&bundle.commit);
    let path = commit_mut(&mut content).path.as_mut().unwrap();
    assert_eq!(path.nodes[0].encrypted_path_secret.len(), 1);
    let victim_key = groups[1].own_leaf_node().unwrap().encryption_key.clone();
    path.nodes[0].encrypted_path_secret[0] = suite()
        .encrypt_with_label(
            &victim_key,
            b"UpdatePathNode",
            &provisional.to_bytes(),
            &[0x42; 32],
        )
        .unwrap();
    let forged = forge(&mut groups[0], content, tag);
    assert_eq!(
        assert_rejected(&mut groups[1], forged.clone()),
        GroupError::TreeKem(TreeKemError::PublicKeyMismatch { node: NodeIndex(1) })
    );
    // m2 decrypts its own, untouched secret; the changed Commit fails its confirmation tag.
    assert_eq!(
        assert_rejected(&mut groups[2], forged),
        GroupError::BadConfirmationTag
    );

    // A ciphertext that does not decrypt at all.
    let (mut content, tag) = content_of(&bundle.commit);
    let path = commit_mut(&mut content).path.as_mut().unwrap();
    path.nodes[0].encrypted_path_secret[0].ciphertext[0] ^= 1;
    let forged = forge(&mut groups[0], content, tag);
    assert_eq!(
        assert_rejected(&mut groups[1], forged),
        GroupError::TreeKem(TreeKemError::DecryptionFailed { node: NodeIndex(2) })
    );
    // The honest Commit still works for everyone.
    for group in &mut groups[1..] {
        assert!(group
            .process_message(provider(), bundle.commit.clone(), NOW)
            .is_ok());
    }
}

#[test]
fn update_path_with_a_wrong_parent_hash() {
    let (key, mut groups) = four_members();
    let (content, tag) = honest_commit(&mut groups, CommitOptions::default());

    // The committer's leaf claims another parent hash, and is signed again so that only the
    // parent hash is wrong.
    let mut leaf_tampered = content.clone();
    let path = commit_mut(&mut leaf_tampered).path.as_mut().unwrap();
    path.leaf_node.leaf_node_source = LeafNodeSource::Commit {
        parent_hash: vec![7; 32],
    };
    let group_id = groups[0].group_id().to_vec();
    sign_leaf(&mut path.leaf_node, &key, Some((&group_id, LeafIndex(0))));
    let forged = forge(&mut groups[0], leaf_tampered, tag.clone());
    for group in &mut groups[1..] {
        assert_eq!(
            assert_rejected(group, forged.clone()),
            GroupError::TreeKem(TreeKemError::BadParentHash { leaf: LeafIndex(0) })
        );
    }

    // The root's public key is replaced: the parent-hash chain up from the leaf breaks.
    let mut root_tampered = content;
    let path = commit_mut(&mut root_tampered).path.as_mut().unwrap();
    let other_key = suite().generate_kem_key_pair().unwrap().public_key;
    path.nodes[1].encryption_key = HpkePublicKey(other_key);
    let forged = forge(&mut groups[0], root_tampered, tag);
    assert_eq!(
        assert_rejected(&mut groups[1], forged),
        GroupError::TreeKem(TreeKemError::BadParentHash { leaf: LeafIndex(0) })
    );
}

#[test]
fn duplicated_and_conflicting_proposals() {
    let (_, mut groups) = four_members();
    // Two Removes of one leaf, by value.
    let forged = commit_of(&mut groups, vec![by_value(remove(3)), by_value(remove(3))]);
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[1], forged)),
        ProposalError::DuplicateLeafChange(LeafIndex(3))
    );

    // An Update of m2 and a Remove of m2, both stored, committed together by reference; and
    // one reference listed twice.
    let update = groups[2].propose_update(provider(), None).unwrap();
    deliver_proposal(&mut groups, 2, &update);
    let removal = groups[3].propose_remove(provider(), LeafIndex(2)).unwrap();
    deliver_proposal(&mut groups, 3, &removal);
    let references: Vec<ProposalOrRef> = groups[0]
        .pending_proposals()
        .map(|p| ProposalOrRef::Reference(p.reference.clone()))
        .collect();
    assert_eq!(references.len(), 2);
    let forged = commit_of(&mut groups, references.clone());
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[1], forged)),
        ProposalError::DuplicateLeafChange(LeafIndex(2))
    );
    let twice = vec![references[1].clone(), references[1].clone()];
    let forged = commit_of(&mut groups, twice);
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[1], forged)),
        ProposalError::DuplicateLeafChange(LeafIndex(2))
    );

    // The same KeyPackage added twice.
    let newcomer = Client::new("newcomer").key_package();
    let add = Proposal::Add(Box::new(Add {
        key_package: newcomer.key_package().clone(),
    }));
    let forged = commit_of(&mut groups, vec![by_value(add.clone()), by_value(add)]);
    // The first Add put its leaf at leaf 4 (node 8); the second repeats its keys.
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[1], forged)),
        ProposalError::InvalidKeyPackage(KeyPackageError::InvalidLeafNode(
            LeafNodeError::DuplicateEncryptionKey(NodeIndex(8))
        ))
    );
}

#[test]
fn committer_removing_itself_by_reference() {
    // (Removing itself by value is in the group's unit tests.)
    let (_, mut groups) = four_members();
    let removal = groups[1].propose_remove(provider(), LeafIndex(0)).unwrap();
    deliver_proposal(&mut groups, 1, &removal);
    let reference = groups[2]
        .pending_proposals()
        .next()
        .unwrap()
        .reference
        .clone();
    let forged = commit_of(&mut groups, vec![ProposalOrRef::Reference(reference)]);
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[2], forged)),
        ProposalError::RemovesCommitter
    );
}

#[test]
fn adding_a_key_package_of_another_cipher_suite() {
    let (_, mut groups) = four_members();
    let other_suite = CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519;
    let client = Client::new("other suite");
    let bundle = KeyPackageBundle::create(
        provider(),
        other_suite,
        &client.signer,
        &KeyPackageOptions::new(NOW),
    )
    .unwrap();
    let add = Proposal::Add(Box::new(Add {
        key_package: bundle.key_package().clone(),
    }));
    let forged = commit_of(&mut groups, vec![by_value(add)]);
    assert_eq!(
        invalid_proposal(assert_rejected(&mut groups[3], forged)),
        ProposalError::InvalidKeyPackage(KeyPackageError::WrongCipherSuite(other_suite))
    );
}

// ----- outsiders and former members ---------------------------------------------------------

#[test]
fn membership_tag_forged_by_a_removed_member() {
    let (_, mut groups) = four_members();
    let bundle = groups[0]
        .commit(
            provider(),
            CommitOptions {
                proposals: vec![remove(3)],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    let mut removed = groups.pop().unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    // m3 still holds the old epoch's keys; it claims the new epoch, signs with its own key
    // and tags with the membership key it knows.
    let mut content = framed(&removed, Content::Proposal(remove(1)));
    content.epoch = groups[1].epoch();
    let forged = forge(&mut removed, content, None);
    assert_eq!(
        assert_rejected(&mut groups[1], forged),
        GroupError::Protection(ProtectionError::BadMembershipTag)
    );
}

#[test]
fn replayed_and_reordered_messages() {
    let (_, mut groups) = four_members();
    let first = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    let epoch = groups[0].epoch();
    // m2 has not seen `first` yet when m1's Commit of the next epoch arrives.
    let mut late = groups[2].clone();
    deliver_commit(&mut groups, 0, &first.commit);
    let second = groups[1]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    assert_eq!(
        assert_rejected(&mut late, second.commit.clone()),
        GroupError::WrongEpoch {
            message: epoch + 1,
            current: epoch
        }
    );
    // A replay of the Commit already merged.
    assert_eq!(
        assert_rejected(&mut groups[3], first.commit),
        GroupError::WrongEpoch {
            message: epoch,
            current: epoch + 1
        }
    );

    // A private proposal replayed in its epoch: its key was consumed.
    let mut private = groups.clone();
    for group in &mut private {
        group.set_config(GroupConfig::default());
    }
    let proposal = private[1].propose_update(provider(), None).unwrap();
    assert!(matches!(
        private[2].process_message(provider(), proposal.clone(), NOW),
        Ok(ProcessedMessage::Proposal(_))
    ));
    let error = assert_rejected(&mut private[2], proposal.clone());
    assert!(
        matches!(
            error,
            GroupError::Protection(ProtectionError::SecretTree(
                SecretTreeError::GenerationConsumed { generation: 0, .. }
            ))
        ),
        "{error}"
    );
    // And replayed after the epoch ended.
    let bundle = private[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut private, 0, &bundle.commit);
    assert!(matches!(
        assert_rejected(&mut private[2], proposal),
        GroupError::WrongEpoch { .. }
    ));
}

/// `group`'s GroupInfo with `tamper` applied to its ratchet tree; with `key`, signed again.
fn tampered_group_info(
    group: &Group,
    tamper: impl FnOnce(&mut Vec<Option<Node>>),
    key: Option<&Secret>,
    fix_tree_hash: bool,
) -> GroupInfo {
    let message = group
        .group_info(
            provider(),
            GroupInfoOptions {
                ratchet_tree: true,
                external_pub: true,
            },
        )
        .unwrap();
    let MlsMessageBody::GroupInfo(mut info) = message.body else {
        panic!()
    };
    let data = info.extensions.get(ExtensionType::RATCHET_TREE).unwrap();
    let mut nodes = RatchetTree::from_bytes(data).unwrap().into_nodes();
    tamper(&mut nodes);
    let tree = RatchetTree::new(nodes).unwrap();
    if fix_tree_hash {
        let mut imported = braid_mls::tree::RatchetTree::from_wire(tree.clone()).unwrap();
        info.group_context.tree_hash = imported.tree_hash(&suite()).unwrap();
    }
    info.extensions.set(Extension {
        extension_type: ExtensionType::RATCHET_TREE,
        extension_data: tree.to_bytes(),
    });
    if let Some(key) = key {
        let tbs = info.tbs().to_bytes();
        info.signature = suite()
            .sign_with_label(key.as_bytes(), b"GroupInfoTBS", &tbs)
            .unwrap();
    }
    info
}

fn join_externally(info: &GroupInfo) -> GroupError {
    Group::join_by_external_commit(
        provider(),
        public(),
        info,
        Client::new("joiner").signer,
        ExternalJoinOptions::new(NOW),
    )
    .unwrap_err()
}

#[test]
fn group_info_with_a_tampered_tree() {
    let (key, groups) = four_members();
    // m2's leaf gets another identity.
    let rename = |nodes: &mut Vec<Option<Node>>| match &mut nodes[4] {
        Some(Node::Leaf(leaf)) => leaf.credential = Credential::basic(b"mallory".to_vec()),
        other => panic!("{other:?}"),
    };
    // Tampered in transit: the GroupInfo signature breaks.
    assert_eq!(
        join_externally(&tampered_group_info(&groups[0], rename, None, false)),
        GroupError::BadGroupInfoSignature(LeafIndex(0))
    );
    // Signed by the malicious member m0: the tree no longer matches the tree hash.
    assert_eq!(
        join_externally(&tampered_group_info(&groups[0], rename, Some(&key), false)),
        GroupError::Tree(TreeError::BadTreeHash)
    );
    // With a matching tree hash too: m2's leaf is covered by the root's parent hash (set by
    // m1's UpdatePath as the original sibling tree of node 1), which no longer verifies.
    assert_eq!(
        join_externally(&tampered_group_info(&groups[0], rename, Some(&key), true)),
        GroupError::Tree(TreeError::BadParentHash { node: NodeIndex(3) })
    );
    // The untampered GroupInfo joins.
    let honest = tampered_group_info(&groups[0], |_| {}, None, false);
    assert!(Group::join_by_external_commit(
        provider(),
        public(),
        &honest,
        Client::new("joiner").signer,
        ExternalJoinOptions::new(NOW),
    )
    .is_ok());
}

// ----- resource limits ----------------------------------------------------------------------

#[test]
fn oversized_messages_are_refused_before_decoding() {
    let (_, mut groups) = four_members();
    let message = groups[1]
        .create_application_message(provider(), &[1; 200], b"")
        .unwrap()
        .to_bytes();
    let config = GroupConfig {
        max_message_size: u32::try_from(message.len()).unwrap() - 1,
        ..public()
    };
    groups[2].set_config(config);
    let before = groups[2].to_bytes();
    assert_eq!(
        groups[2]
            .process_message_bytes(provider(), &message, NOW)
            .unwrap_err(),
        GroupError::MessageTooLarge {
            size: message.len(),
            max: config.max_message_size
        }
    );
    assert_eq!(before, groups[2].to_bytes());
    // A vector header announcing 2^30 - 1 bytes that are not there: rejected without
    // allocating them.
    let mut claim = vec![0, 1, 0, 2]; // mls10, mls_private_message
    claim.extend_from_slice(&[0xbf, 0xff, 0xff, 0xff]);
    assert!(matches!(
        groups[2]
            .process_message_bytes(provider(), &claim, NOW)
            .unwrap_err(),
        GroupError::Codec(braid_codec::Error::UnexpectedEnd { .. })
    ));
    assert_eq!(before, groups[2].to_bytes());
    // A sender refuses to produce what its group would refuse.
    assert_eq!(
        groups[2]
            .create_application_message(provider(), &vec![0; message.len()], b"")
            .unwrap_err(),
        GroupError::MessageTooLarge {
            size: message.len(),
            max: config.max_message_size
        }
    );
    // At the limit the message is read.
    groups[2].set_config(GroupConfig {
        max_message_size: config.max_message_size + 1,
        ..config
    });
    assert!(groups[2]
        .process_message_bytes(provider(), &message, NOW)
        .is_ok());
}

/// A PrivateMessage from m1 (as seen by `forger`) with the given sender data and an empty
/// plaintext.
fn private_with_sender_data(forger: &Group, leaf: u32, generation: u32) -> MlsMessage {
    let header = PrivateMessage {
        group_id: forger.group_id().to_vec(),
        epoch: forger.epoch(),
        content_type: braid_mls::messages::ContentType::Application,
        authenticated_data: Vec::new(),
        encrypted_sender_data: Vec::new(),
        ciphertext: Vec::new(),
    };
    let sender_data = SenderData {
        leaf_index: LeafIndex(leaf),
        generation,
        reuse_guard: [0; 4],
    };
    forger
        .forge_private_content(provider(), header, &sender_data, &[])
        .unwrap()
}

#[test]
fn generation_jumps_and_unknown_senders_cost_nothing() {
    let window = SecretTreeConfig {
        max_forward_distance: 100,
        max_skipped_keys: 4,
    };
    let (_, mut groups) = four_members();
    for group in &mut groups {
        group.set_config(GroupConfig {
            secret_tree: window,
            ..public()
        });
    }
    // The window applies from the next epoch.
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let too_far = |error: GroupError, generation: u32| {
        matches!(
            error,
            GroupError::Protection(ProtectionError::SecretTree(SecretTreeError::TooFarAhead {
                generation: g,
                max: 100,
                ..
            })) if g == generation
        )
    };
    for generation in [101, 1 << 20, u32::MAX] {
        let message = private_with_sender_data(&groups[2], 1, generation);
        let error = assert_rejected(&mut groups[2], message);
        assert!(too_far(error.clone(), generation), "{error}");
    }
    // Exactly at the window's edge the key is derived (the empty plaintext then fails to
    // parse, which consumes nothing either).
    let edge = private_with_sender_data(&groups[2], 1, 100);
    let error = assert_rejected(&mut groups[2], edge);
    assert!(
        matches!(error, GroupError::Protection(ProtectionError::Codec(_))),
        "{error}"
    );
    // A sender leaf outside the tree.
    let message = private_with_sender_data(&groups[2], 1000, 0);
    assert_eq!(
        assert_rejected(&mut groups[2], message),
        GroupError::Protection(ProtectionError::SecretTree(
            SecretTreeError::LeafOutOfRange {
                leaf: 1000,
                n_leaves: 4
            }
        ))
    );
}

#[test]
fn pending_proposals_are_bounded() {
    let (_, mut groups) = four_members();
    for group in &mut groups {
        group.set_config(GroupConfig {
            max_pending_proposals: 2,
            ..public()
        });
    }
    let first = groups[1].propose_update(provider(), None).unwrap();
    let second = groups[2].propose_update(provider(), None).unwrap();
    let third = groups[3].propose_update(provider(), None).unwrap();
    for proposal in [&first, &second] {
        assert!(matches!(
            groups[0].process_message(provider(), proposal.clone(), NOW),
            Ok(ProcessedMessage::Proposal(_))
        ));
    }
    assert_eq!(
        assert_rejected(&mut groups[0], third),
        GroupError::TooManyProposals { max: 2 }
    );
    assert_eq!(
        groups[0]
            .propose_remove(provider(), LeafIndex(3))
            .unwrap_err(),
        GroupError::TooManyProposals { max: 2 }
    );
    // A Commit clears the store.
    groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    groups[0].merge_pending_commit().unwrap();
    assert!(groups[0].propose_remove(provider(), LeafIndex(3)).is_ok());
}

#[test]
fn retained_epochs_and_resumption_psks_are_bounded() {
    let (_, mut groups) = four_members();
    for group in &mut groups {
        group.set_config(GroupConfig {
            max_past_epochs: 1,
            max_resumption_psks: 2,
            ..public()
        });
    }
    let mut sizes = Vec::new();
    for _ in 0..5 {
        let bundle = groups[0]
            .commit(provider(), CommitOptions::default(), NOW)
            .unwrap();
        deliver_commit(&mut groups, 0, &bundle.commit);
        sizes.push(groups[1].to_bytes().len());
    }
    // Once the windows are full, the stored state stops growing.
    assert!(sizes[2..].iter().all(|size| *size == sizes[1]), "{sizes:?}");
    let epoch = groups[1].epoch();
    assert!(groups[1].resumption_psk(epoch).is_some());
    assert!(groups[1].resumption_psk(epoch - 1).is_some());
    assert!(groups[1].resumption_psk(epoch - 2).is_none());
}
