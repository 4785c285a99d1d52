//! The fuzz targets, as functions from input bytes to an [`Outcome`]. Each panics when an
//! invariant breaks (that is what the fuzzer looks for):
//!
//! * decoding never panics, and whatever decodes re-encodes to the same bytes;
//! * processing never panics, and a rejected input leaves the receiving group's stored state
//!   (`Group::to_bytes`) exactly as it was;
//! * an accepted input leaves a state that stores and loads back to the same bytes, and a
//!   staged Commit merges;
//! * members that accept the same Commit reach the same epoch (GroupContext and
//!   `epoch_authenticator`).
//!
//! Input layouts (a few leading bytes steer the target, the rest is a real encoding that the
//! fuzzer mutates):
//!
//! | target | input |
//! |---|---|
//! | `decode_message` | `MLSMessage` |
//! | `decode_wire` | selector byte, then an encoding of the structure [`DECODERS`] names |
//! | `decode_state` | a stored group (`Group::from_bytes`) |
//! | `key_package` | flags, `KeyPackage` |
//! | `ratchet_tree` | suite byte, `opaque group_id<V>`, `RatchetTree` |
//! | `welcome` | flags, `opaque group_secrets<V>`, `GroupInfo` |
//! | `process_message` | receiver byte, `MLSMessage` |
//! | `forged_content` | flags, `FramedContent`, `optional<MAC> confirmation_tag` |
//! | `private_content` | flags, `SenderData`, `opaque authenticated_data<V>`, plaintext |

use braid_codec::{Decode, Encode, Reader};
use braid_crypto::{CipherSuite, CryptoProvider, Secret};
use braid_mls::extensions::ExtensionType;
use braid_mls::group::{
    CommitOptions, Group, GroupConfig, JoinOptions, ProcessedMessage, ValidatedKeyPackage,
};
use braid_mls::group_context::GroupContext;
use braid_mls::key_schedule::{JoinerSecret, Rfc9420InitStep};
use braid_mls::messages::{
    Add, AuthenticatedContent, Capabilities, Commit, Content, ContentType, Credential,
    EncryptedGroupSecrets, ExternalInit, ExternalPub, ExternalSender, FramedContent,
    FramedContentAuthData, GroupContextExtensions, GroupInfo, GroupSecrets, KeyPackage, LeafNode,
    Lifetime, Mac, MlsMessage, Node, ParentNode, PreSharedKey, PrivateMessage,
    PrivateMessageContent, Proposal, ProposalOrRef, PublicMessage, ReInit, Remove,
    RequiredCapabilities, Sender, SenderData, Update, UpdatePath, UpdatePathNode, Welcome,
    WireFormat,
};
use braid_mls::psk::{psk_secret, PreSharedKeyId};
use braid_mls::suite::{HpkeCiphertext, Suite};
use braid_mls::transcript;
use braid_mls::tree::{LeafValidationContext, RatchetTree};
use braid_mls::tree_math::LeafIndex;

use crate::fixture::{
    fixture, Fixture, KnownSigner, EXTERNAL_JOINER, EXTERNAL_SENDER, GROUP_ID, NEW_MEMBER, NOW,
    RUN_SEED, SUITE,
};
use crate::provider::DeterministicProvider;

/// What a target made of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input lacks the shape the target steers by (missing leading bytes, or a
    /// structure it must rebuild does not decode): nothing was processed.
    Skipped,
    /// Decoded or processed, and rejected; every invariant held.
    Rejected,
    /// Decoded or processed, and accepted; every invariant held.
    Accepted,
}

fn run_provider() -> DeterministicProvider {
    DeterministicProvider::new(RUN_SEED)
}

/// Splits off the first byte.
fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

// ----- decoders -----------------------------------------------------------------------------

/// Decodes `bytes` as a `T`; what decodes must re-encode to `bytes`.
fn round_trip<T: Decode + Encode>(bytes: &[u8]) -> Outcome {
    match T::from_bytes(bytes) {
        Ok(value) => {
            assert!(
                value.to_bytes() == bytes,
                "{} does not re-encode to the bytes it was decoded from",
                std::any::type_name::<T>()
            );
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

/// `PrivateMessageContent` of `content_type`, padding included, must round-trip.
fn private_message_content(bytes: &[u8], content_type: ContentType) -> Outcome {
    match PrivateMessageContent::from_bytes_with(bytes, content_type) {
        Ok(content) => {
            assert!(
                content.to_bytes() == bytes,
                "PrivateMessageContent does not re-encode"
            );
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

/// `FramedContentAuthData` of `content_type` must round-trip.
fn auth_data(bytes: &[u8], content_type: ContentType) -> Outcome {
    let mut reader = Reader::new(bytes);
    match FramedContentAuthData::decode_with(&mut reader, content_type)
        .and_then(|auth| reader.finish().map(|()| auth))
    {
        Ok(auth) => {
            assert!(
                auth.to_bytes() == bytes,
                "FramedContentAuthData does not re-encode"
            );
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

/// A wire `RatchetTree` that imports into braid's tree must export to the same bytes.
fn imported_tree(bytes: &[u8]) -> Outcome {
    let Ok(wire) = braid_mls::messages::RatchetTree::from_bytes(bytes) else {
        return Outcome::Rejected;
    };
    match RatchetTree::from_wire(wire) {
        Ok(tree) => {
            assert!(
                tree.to_bytes() == bytes,
                "an imported ratchet tree exports other bytes"
            );
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

/// The stored configuration decodes to a value that encodes and decodes to itself (older
/// encodings lack the trailing limits, so the bytes need not match).
fn group_config(bytes: &[u8]) -> Outcome {
    match GroupConfig::from_bytes(bytes) {
        Ok(config) => {
            let again = GroupConfig::from_bytes(&config.to_bytes());
            assert!(again == Ok(config), "GroupConfig does not round-trip");
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

macro_rules! decoders {
    ($($name:literal => $decode:expr,)*) => {
        /// The structures of `decode_wire`, by selector byte (modulo their number): every
        /// wire struct of RFC 9420 with a decoder, and braid's stored key material.
        pub const DECODERS: &[(&str, fn(&[u8]) -> Outcome)] = &[$(($name, $decode),)*];
    };
}

decoders! {
    "MLSMessage" => round_trip::<MlsMessage>,
    "PublicMessage" => round_trip::<PublicMessage>,
    "PrivateMessage" => round_trip::<PrivateMessage>,
    "Welcome" => round_trip::<Welcome>,
    "GroupInfo" => round_trip::<GroupInfo>,
    "KeyPackage" => round_trip::<KeyPackage>,
    "LeafNode" => round_trip::<LeafNode>,
    "Proposal" => round_trip::<Proposal>,
    "Commit" => round_trip::<Commit>,
    "UpdatePath" => round_trip::<UpdatePath>,
    "UpdatePathNode" => round_trip::<UpdatePathNode>,
    "RatchetTree" => round_trip::<braid_mls::messages::RatchetTree>,
    "RatchetTree import" => imported_tree,
    "Node" => round_trip::<Node>,
    "ParentNode" => round_trip::<ParentNode>,
    "GroupSecrets" => round_trip::<GroupSecrets>,
    "EncryptedGroupSecrets" => round_trip::<EncryptedGroupSecrets>,
    "HPKECiphertext" => round_trip::<HpkeCiphertext>,
    "FramedContent" => round_trip::<FramedContent>,
    "AuthenticatedContent" => round_trip::<AuthenticatedContent>,
    "FramedContentAuthData (application)" => |b| auth_data(b, ContentType::Application),
    "FramedContentAuthData (commit)" => |b| auth_data(b, ContentType::Commit),
    "PrivateMessageContent (application)" =>
        |b| private_message_content(b, ContentType::Application),
    "PrivateMessageContent (proposal)" => |b| private_message_content(b, ContentType::Proposal),
    "PrivateMessageContent (commit)" => |b| private_message_content(b, ContentType::Commit),
    "SenderData" => round_trip::<SenderData>,
    "Sender" => round_trip::<Sender>,
    "Credential" => round_trip::<Credential>,
    "Capabilities" => round_trip::<Capabilities>,
    "Lifetime" => round_trip::<Lifetime>,
    "Extensions" => round_trip::<braid_mls::extensions::Extensions>,
    "ExternalSender<V>" => round_trip::<Vec<ExternalSender>>,
    "RequiredCapabilities" => round_trip::<RequiredCapabilities>,
    "ExternalPub" => round_trip::<ExternalPub>,
    "PreSharedKeyID" => round_trip::<PreSharedKeyId>,
    "GroupContext" => round_trip::<GroupContext>,
    "Add" => round_trip::<Add>,
    "Update" => round_trip::<Update>,
    "Remove" => round_trip::<Remove>,
    "PreSharedKey" => round_trip::<PreSharedKey>,
    "ReInit" => round_trip::<ReInit>,
    "ExternalInit" => round_trip::<ExternalInit>,
    "GroupContextExtensions" => round_trip::<GroupContextExtensions>,
    "ProposalOrRef" => round_trip::<ProposalOrRef>,
    "MAC" => round_trip::<Mac>,
    "opaque<V>" => round_trip::<Vec<u8>>,
    "uint16<V>" => round_trip::<Vec<u16>>,
    "KeyPackageBundle (stored)" => round_trip::<braid_mls::group::KeyPackageBundle>,
    "Signer (stored)" => round_trip::<braid_mls::group::Signer>,
    "GroupConfig (stored)" => group_config,
}

/// The selector byte of the structure `name` in [`DECODERS`].
pub fn decoder_selector(name: &str) -> Option<u8> {
    DECODERS
        .iter()
        .position(|(n, _)| *n == name)
        .and_then(|i| u8::try_from(i).ok())
}

/// `decode_message`: an `MLSMessage`.
pub fn decode_message(data: &[u8]) -> Outcome {
    round_trip::<MlsMessage>(data)
}

/// `decode_wire`: the structure the first byte selects.
pub fn decode_wire(data: &[u8]) -> Outcome {
    let Some((selector, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let (_, decode) = DECODERS[usize::from(selector) % DECODERS.len()];
    decode(bytes)
}

/// Whatever `Group::from_bytes` accepts stores back to bytes that load to the same state.
fn check_state_round_trip(group: &Group) {
    let bytes = group.to_bytes();
    match Group::from_bytes(&bytes) {
        Ok(loaded) => assert!(
            loaded.to_bytes() == bytes,
            "a stored group loads to another state"
        ),
        Err(error) => panic!("a stored group does not load: {error}"),
    }
}

/// `decode_state`: a stored group. One that loads must also survive use: processing the
/// fixture's messages, committing and sending (storage is not trusted to be well formed).
pub fn decode_state(data: &[u8]) -> Outcome {
    let Ok(group) = Group::from_bytes(data) else {
        return Outcome::Rejected;
    };
    check_state_round_trip(&group);
    let before = group.to_bytes();
    let provider = run_provider();
    let unchanged = |group: &Group, what: &str| {
        assert!(
            group.to_bytes() == before,
            "a failed {what} changed a loaded group"
        );
    };
    for seed in &fixture().messages {
        let mut copy = group.clone();
        if copy
            .process_message(&provider, seed.message.clone(), NOW)
            .is_err()
        {
            unchanged(&copy, "message");
        }
    }
    let mut copy = group.clone();
    if copy
        .commit(&provider, CommitOptions::default(), NOW)
        .is_err()
    {
        unchanged(&copy, "commit");
    }
    let mut copy = group;
    if copy
        .create_application_message(&provider, b"fuzz", b"")
        .is_err()
    {
        unchanged(&copy, "application message");
    }
    Outcome::Accepted
}

// ----- re-signing ---------------------------------------------------------------------------

const LEAF_NODE_TBS: &[u8] = b"LeafNodeTBS";
const KEY_PACKAGE_TBS: &[u8] = b"KeyPackageTBS";
const GROUP_INFO_TBS: &[u8] = b"GroupInfoTBS";

/// Signs `leaf` again with `signer` (over `group` for update and commit leaves).
fn sign_leaf(
    suite: &Suite<'_>,
    leaf: &mut LeafNode,
    signer: &KnownSigner,
    group: Option<(&[u8], LeafIndex)>,
) {
    let Ok(tbs) = leaf.tbs(group).map(|tbs| tbs.to_bytes()) else {
        return;
    };
    if let Ok(signature) = suite.sign_with_label(signer.private_key.as_bytes(), LEAF_NODE_TBS, &tbs)
    {
        leaf.signature = signature;
    }
}

/// Signs `leaf` again if the fixture knows the private key of its signature key.
fn resign_leaf(
    suite: &Suite<'_>,
    fixture: &Fixture,
    leaf: &mut LeafNode,
    group: Option<(&[u8], LeafIndex)>,
) {
    if let Some(signer) = fixture.signer_for(&leaf.signature_key) {
        sign_leaf(suite, leaf, signer, group);
    }
}

/// Signs a KeyPackage (its leaf, then the package) again with `signer`.
fn sign_key_package(suite: &Suite<'_>, key_package: &mut KeyPackage, signer: &KnownSigner) {
    sign_leaf(suite, &mut key_package.leaf_node, signer, None);
    let tbs = key_package.tbs().to_bytes();
    if let Ok(signature) =
        suite.sign_with_label(signer.private_key.as_bytes(), KEY_PACKAGE_TBS, &tbs)
    {
        key_package.signature = signature;
    }
}

/// Re-signs the leaf nodes and KeyPackages inside a proposal from leaf `sender`.
fn resign_proposal(
    suite: &Suite<'_>,
    fixture: &Fixture,
    proposal: &mut Proposal,
    sender: Option<LeafIndex>,
) {
    match proposal {
        Proposal::Add(add) => {
            if let Some(signer) = fixture.signer_for(&add.key_package.leaf_node.signature_key) {
                sign_key_package(suite, &mut add.key_package, signer);
            }
        }
        Proposal::Update(update) => {
            let group = sender.map(|leaf| (GROUP_ID, leaf));
            resign_leaf(suite, fixture, &mut update.leaf_node, group);
        }
        _ => {}
    }
}

/// Re-signs every leaf node and KeyPackage of forged content whose key the fixture knows,
/// so that mutations inside them reach the checks behind their signatures.
fn resign_content(suite: &Suite<'_>, fixture: &Fixture, content: &mut FramedContent) {
    let sender = match content.sender {
        Sender::Member(leaf) => Some(leaf),
        _ => None,
    };
    match &mut content.content {
        Content::Application(_) => {}
        Content::Proposal(proposal) => resign_proposal(suite, fixture, proposal, sender),
        Content::Commit(commit) => {
            for item in &mut commit.proposals {
                if let ProposalOrRef::Proposal(proposal) = item {
                    resign_proposal(suite, fixture, proposal, sender);
                }
            }
            if let (Some(path), Some(leaf)) = (&mut commit.path, sender) {
                resign_leaf(suite, fixture, &mut path.leaf_node, Some((GROUP_ID, leaf)));
            }
        }
    }
}

// ----- processing ---------------------------------------------------------------------------

/// Processes `message` at a copy of member `receiver` and checks the invariants; a Commit it
/// accepts must lead every other member that accepts it to the same epoch.
fn deliver(fixture: &Fixture, receiver: usize, message: MlsMessage) -> Outcome {
    let (outcome, new_epoch) = deliver_with(fixture, receiver, |group, provider| {
        group.process_message(provider, message.clone(), NOW)
    });
    if let Some(group) = new_epoch {
        check_agreement(fixture, receiver, &group, &message);
    }
    outcome
}

/// Runs `process` at a copy of member `receiver` and checks the invariants. Returns the
/// outcome and, when a Commit moved the member to a new epoch, the member.
fn deliver_with(
    fixture: &Fixture,
    receiver: usize,
    process: impl FnOnce(
        &mut Group,
        &dyn CryptoProvider,
    ) -> Result<ProcessedMessage, braid_mls::group::GroupError>,
) -> (Outcome, Option<Group>) {
    let receiver = receiver % fixture.members.len();
    let mut group = fixture.members[receiver].clone();
    let provider = run_provider();
    match process(&mut group, &provider) {
        Err(error) => {
            assert!(
                group.to_bytes() == fixture.member_bytes[receiver],
                "a rejected message changed the group ({error})"
            );
            (Outcome::Rejected, None)
        }
        Ok(ProcessedMessage::Commit(staged)) => {
            if let Err(error) = group.merge_staged_commit(*staged) {
                panic!("a staged commit does not merge: {error}");
            }
            check_state_round_trip(&group);
            let moved = !group.is_removed();
            (Outcome::Accepted, moved.then_some(group))
        }
        Ok(_) => {
            check_state_round_trip(&group);
            (Outcome::Accepted, None)
        }
    }
}

/// Every other member that accepts the Commit `message` reaches the epoch `group` reached
/// (same GroupContext, same `epoch_authenticator`), unless it was removed.
fn check_agreement(fixture: &Fixture, receiver: usize, group: &Group, message: &MlsMessage) {
    let provider = run_provider();
    for (i, member) in fixture.members.iter().enumerate() {
        if i == receiver % fixture.members.len() {
            continue;
        }
        let mut other = member.clone();
        let Ok(ProcessedMessage::Commit(staged)) =
            other.process_message(&provider, message.clone(), NOW)
        else {
            continue;
        };
        if let Err(error) = other.merge_staged_commit(*staged) {
            panic!("a staged commit does not merge: {error}");
        }
        if other.is_removed() {
            continue;
        }
        assert!(
            other.group_context() == group.group_context()
                && other.epoch_authenticator() == group.epoch_authenticator(),
            "members {i} and {receiver} accept one Commit into different epochs"
        );
    }
}

/// `process_message`: raw bytes delivered to the member the first byte picks.
pub fn process_message(data: &[u8]) -> Outcome {
    let Some((receiver, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let fixture = fixture();
    let (outcome, new_epoch) = deliver_with(fixture, usize::from(receiver), |group, provider| {
        group.process_message_bytes(provider, bytes, NOW)
    });
    if let (Some(group), Ok(message)) = (new_epoch, MlsMessage::from_bytes(bytes)) {
        check_agreement(fixture, usize::from(receiver), &group, &message);
    }
    outcome
}

/// Flags of `forged_content`: bits 0–1 the receiver, bit 2 PrivateMessage (else
/// PublicMessage), bit 3 re-sign inner leaf nodes and KeyPackages.
pub mod forged_flags {
    /// Send as a PrivateMessage.
    pub const PRIVATE: u8 = 0b0100;
    /// Re-sign the leaf nodes and KeyPackages inside the content.
    pub const RESIGN: u8 = 0b1000;
}

/// `forged_content`: any content, signed by the key its sender field names (fixture keys)
/// and protected with real epoch keys, delivered to a member.
pub fn forged_content(data: &[u8]) -> Outcome {
    let Some((flags, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let mut reader = Reader::new(bytes);
    let decoded = FramedContent::decode(&mut reader).and_then(|content| {
        let tag = Option::<Mac>::decode(&mut reader)?;
        reader.finish()?;
        Ok((content, tag))
    });
    let Ok((mut content, tag)) = decoded else {
        return Outcome::Skipped;
    };
    let fixture = fixture();
    let provider = run_provider();
    if flags & forged_flags::RESIGN != 0 {
        if let Ok(suite) = Suite::new(&provider, SUITE) {
            resign_content(&suite, fixture, &mut content);
        }
    }
    let signer = match content.sender {
        Sender::Member(LeafIndex(leaf)) => fixture
            .signers
            .get(leaf as usize)
            .filter(|_| (leaf as usize) < fixture.members.len()),
        Sender::External(_) => fixture.signers.get(EXTERNAL_SENDER),
        Sender::NewMemberProposal => fixture.signers.get(NEW_MEMBER),
        Sender::NewMemberCommit => fixture.signers.get(EXTERNAL_JOINER),
    };
    let Some(signer) = signer.or(fixture.signers.first()) else {
        return Outcome::Skipped;
    };
    let wire_format = if flags & forged_flags::PRIVATE != 0 {
        WireFormat::PRIVATE_MESSAGE
    } else {
        WireFormat::PUBLIC_MESSAGE
    };
    let mut forger = fixture.members[0].clone();
    let Ok(message) = forger.forge_message(&provider, &signer.signer, wire_format, content, tag)
    else {
        return Outcome::Skipped;
    };
    deliver(fixture, usize::from(flags & 0b11), message)
}

/// The content type of `private_content`'s flags (bits 2–3).
pub fn private_content_type(flags: u8) -> ContentType {
    match (flags >> 2) & 0b11 {
        1 => ContentType::Proposal,
        2 => ContentType::Commit,
        _ => ContentType::Application,
    }
}

/// `private_content`: any plaintext and sender data, encrypted with the keys the receiver
/// derives for them, delivered to the member of flags bits 0–1.
pub fn private_content(data: &[u8]) -> Outcome {
    let Some((flags, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let mut reader = Reader::new(bytes);
    let Ok((sender_data, authenticated_data)) = SenderData::decode(&mut reader)
        .and_then(|sender_data| Ok((sender_data, reader.opaque()?.to_vec())))
    else {
        return Outcome::Skipped;
    };
    let fixture = fixture();
    let receiver = usize::from(flags & 0b11) % fixture.members.len();
    let sender = &fixture.members[receiver];
    let header = PrivateMessage {
        group_id: GROUP_ID.to_vec(),
        epoch: sender.epoch(),
        content_type: private_content_type(flags),
        authenticated_data,
        encrypted_sender_data: Vec::new(),
        ciphertext: Vec::new(),
    };
    let provider = run_provider();
    let Ok(message) = sender.forge_private_content(&provider, header, &sender_data, reader.rest())
    else {
        return Outcome::Skipped;
    };
    deliver(fixture, receiver, message)
}

/// Flags of `key_package`.
pub mod key_package_flags {
    /// Sign the leaf and the KeyPackage again with the fixture's joiner key.
    pub const RESIGN: u8 = 0b0001;
    /// Put the joiner's signature key in the leaf first.
    pub const REPLACE_KEY: u8 = 0b0010;
    /// Validate with a maximum lifetime of 30 days.
    pub const MAX_LIFETIME: u8 = 0b0100;
    /// Once valid, add it to the group in a Commit by `m0`.
    pub const ADD: u8 = 0b1000;
}

/// `key_package`: KeyPackage validation (§10.1), optionally followed by an Add.
pub fn key_package(data: &[u8]) -> Outcome {
    use key_package_flags::*;
    let Some((flags, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let Ok(mut key_package) = KeyPackage::from_bytes(bytes) else {
        return Outcome::Skipped;
    };
    let fixture = fixture();
    let provider = run_provider();
    let signer = &fixture.joiner.0;
    if flags & REPLACE_KEY != 0 {
        key_package.leaf_node.signature_key = signer.signer.signature_key().clone();
    }
    if flags & RESIGN != 0 {
        if let Ok(suite) = Suite::new(&provider, key_package.cipher_suite) {
            sign_key_package(&suite, &mut key_package, signer);
        }
    }
    let max_lifetime = (flags & MAX_LIFETIME != 0).then_some(30 * 86_400);
    let validated = match ValidatedKeyPackage::validate(&provider, key_package, NOW, max_lifetime) {
        Ok(validated) => validated,
        Err(_) => return Outcome::Rejected,
    };
    assert!(
        KeyPackage::from_bytes(&validated.key_package().to_bytes()).as_ref()
            == Ok(validated.key_package()),
        "a validated KeyPackage does not round-trip"
    );
    if flags & ADD == 0 || validated.key_package().cipher_suite != SUITE {
        return Outcome::Accepted;
    }
    let mut group = fixture.members[0].clone();
    let options = CommitOptions {
        proposals: vec![Proposal::Add(Box::new(Add {
            key_package: validated.into_key_package(),
        }))],
        include_pending: false,
        ..CommitOptions::default()
    };
    match group.commit(&provider, options, NOW) {
        Ok(_) => {
            if let Err(error) = group.merge_pending_commit() {
                panic!("a pending commit does not merge: {error}");
            }
            check_state_round_trip(&group);
            Outcome::Accepted
        }
        Err(error) => {
            assert!(
                group.to_bytes() == fixture.member_bytes[0],
                "a failed commit changed the group ({error})"
            );
            Outcome::Rejected
        }
    }
}

/// `ratchet_tree`: import (§12.4.3.3), every query, full validation (§12.4.3.1), and
/// incremental tree hashes against recomputed ones after a removal.
pub fn ratchet_tree(data: &[u8]) -> Outcome {
    let Some((suite_byte, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let mut reader = Reader::new(bytes);
    let Ok(group_id) = reader.opaque() else {
        return Outcome::Skipped;
    };
    let tree_bytes = reader.rest();
    let provider = run_provider();
    let cipher_suite = CipherSuite(u16::from(suite_byte % 7) + 1);
    let Ok(suite) = Suite::new(&provider, cipher_suite) else {
        return Outcome::Skipped;
    };
    let Ok(wire) = braid_mls::messages::RatchetTree::from_bytes(tree_bytes) else {
        return Outcome::Rejected;
    };
    let Ok(mut tree) = RatchetTree::from_wire(wire) else {
        return Outcome::Rejected;
    };
    assert!(
        tree.to_bytes() == tree_bytes,
        "an imported ratchet tree exports other bytes"
    );
    let Ok(tree_hash) = tree.tree_hash(&suite) else {
        return Outcome::Rejected;
    };
    for leaf in 0..tree.leaf_count() {
        let leaf = LeafIndex(leaf);
        if let Some(node) = leaf.node() {
            assert!(
                tree.resolution(node).iter().all(|n| !tree.is_blank(*n)),
                "a resolution holds a blank node"
            );
        }
        // Errors are fine (blank leaves); panics are not.
        let _ = tree.filtered_direct_path(leaf);
    }
    let context = LeafValidationContext {
        group_id,
        required_capabilities: None,
        now: None,
        max_lifetime: None,
    };
    let verified = tree.verify(&suite, &tree_hash, &context);
    check_incremental_hash(&suite, &tree);
    match verified {
        Ok(()) => Outcome::Accepted,
        Err(_) => Outcome::Rejected,
    }
}

/// Removing the last member from a copy updates the cached tree hash to the hash of the
/// resulting tree imported afresh.
fn check_incremental_hash(suite: &Suite<'_>, tree: &RatchetTree) {
    let Some((last, _)) = tree.members().last() else {
        return;
    };
    if tree.member_count() < 2 {
        return;
    }
    let mut copy = tree.clone();
    if copy.remove_leaf(last).is_err() {
        return;
    }
    let Ok(incremental) = copy.tree_hash(suite) else {
        return;
    };
    let Some(wire) = copy.to_wire() else {
        panic!("a tree with members exports no nodes");
    };
    match RatchetTree::from_wire(wire) {
        Ok(mut fresh) => assert!(
            fresh.tree_hash(suite).ok() == Some(incremental),
            "the cached tree hash after a removal differs from a fresh computation"
        ),
        Err(error) => panic!("a tree after a removal does not import again: {error}"),
    }
}

/// Flags of `welcome`.
pub mod welcome_flags {
    /// Set the GroupContext's tree hash to the hash of the GroupInfo's tree.
    pub const FIX_TREE_HASH: u8 = 0b001;
    /// Compute the confirmation tag from the (mutated) secrets and GroupContext.
    pub const FIX_CONFIRMATION_TAG: u8 = 0b010;
    /// Sign the GroupInfo again with the key of the leaf it names as signer (if known).
    pub const RESIGN: u8 = 0b100;
}

/// `welcome`: joining (§12.4.3.1) from a Welcome built around any GroupSecrets and
/// GroupInfo, encrypted to the fixture's joiner, with the signature, tree hash and
/// confirmation tag optionally made consistent again.
pub fn welcome(data: &[u8]) -> Outcome {
    use welcome_flags::*;
    let Some((flags, bytes)) = split(data) else {
        return Outcome::Skipped;
    };
    let mut reader = Reader::new(bytes);
    let Ok(secrets_bytes) = reader.opaque() else {
        return Outcome::Skipped;
    };
    let (Ok(group_secrets), Ok(mut group_info)) = (
        GroupSecrets::from_bytes(secrets_bytes),
        GroupInfo::from_bytes(reader.rest()),
    ) else {
        return Outcome::Skipped;
    };
    let fixture = fixture();
    let provider = run_provider();
    let Ok(suite) = Suite::new(&provider, SUITE) else {
        return Outcome::Skipped;
    };
    if flags & FIX_TREE_HASH != 0 {
        let tree = group_info
            .extensions
            .get(ExtensionType::RATCHET_TREE)
            .and_then(|data| braid_mls::messages::RatchetTree::from_bytes(data).ok())
            .and_then(|wire| RatchetTree::from_wire(wire).ok());
        if let Some(hash) = tree.and_then(|mut tree| tree.tree_hash(&suite).ok()) {
            group_info.group_context.tree_hash = hash;
        }
    }
    // The PSK secret from the PSKs the joiner knows (unknown ones make joining fail anyway).
    let known: Vec<(&PreSharedKeyId, &[u8])> = group_secrets
        .psks
        .iter()
        .filter_map(|id| fixture.psks.get(&id.psk).map(|v| (id, v.as_bytes())))
        .collect();
    let Ok(psk) = psk_secret(&suite, known) else {
        return Outcome::Skipped;
    };
    let Ok(joiner) = JoinerSecret::new(&suite, group_secrets.joiner_secret.clone(), psk.as_bytes())
    else {
        return Outcome::Skipped;
    };
    if flags & FIX_CONFIRMATION_TAG != 0 {
        let context = &group_info.group_context;
        if let Ok(tag) = joiner
            .epoch_secrets(&suite, &Rfc9420InitStep, &context.to_bytes())
            .and_then(|secrets| {
                transcript::confirmation_tag(
                    &suite,
                    secrets.confirmation_key.as_bytes(),
                    &context.confirmed_transcript_hash,
                )
            })
        {
            group_info.confirmation_tag = Mac(tag);
        }
    }
    if flags & RESIGN != 0 {
        let signer = group_info
            .extensions
            .get(ExtensionType::RATCHET_TREE)
            .and_then(|data| braid_mls::messages::RatchetTree::from_bytes(data).ok())
            .and_then(|wire| RatchetTree::from_wire(wire).ok())
            .and_then(|tree| {
                tree.leaf(group_info.signer)
                    .and_then(|leaf| fixture.signer_for(&leaf.signature_key))
            });
        if let Some(signer) = signer {
            let tbs = group_info.tbs().to_bytes();
            if let Ok(signature) =
                suite.sign_with_label(signer.private_key.as_bytes(), GROUP_INFO_TBS, &tbs)
            {
                group_info.signature = signature;
            }
        }
    }
    let Some(welcome) = seal_welcome(&suite, fixture, &joiner, &group_secrets, &group_info) else {
        return Outcome::Skipped;
    };
    let (signer, bundle) = &fixture.joiner;
    let options = JoinOptions {
        psks: Some(&fixture.psks),
        ..JoinOptions::new(NOW)
    };
    match Group::join_from_welcome(
        &provider,
        GroupConfig::default(),
        &welcome,
        bundle,
        signer.signer.clone(),
        options,
    ) {
        Ok(group) => {
            check_state_round_trip(&group);
            Outcome::Accepted
        }
        Err(_) => Outcome::Rejected,
    }
}

/// A Welcome of `group_info` with `group_secrets` for the fixture's joiner (§12.4.3.1).
fn seal_welcome(
    suite: &Suite<'_>,
    fixture: &Fixture,
    joiner: &JoinerSecret,
    group_secrets: &GroupSecrets,
    group_info: &GroupInfo,
) -> Option<Welcome> {
    let key = joiner.welcome_key_and_nonce(suite).ok()?;
    let encrypted_group_info = suite
        .aead_seal(
            key.key.as_bytes(),
            key.nonce.as_bytes(),
            &[],
            &group_info.to_bytes(),
        )
        .ok()?;
    let key_package = fixture.joiner.1.key_package();
    let plaintext = Secret::new(group_secrets.to_bytes());
    let encrypted_group_secrets = suite
        .encrypt_with_label(
            &key_package.init_key,
            b"Welcome",
            &encrypted_group_info,
            plaintext.as_bytes(),
        )
        .ok()?;
    Some(Welcome {
        cipher_suite: SUITE,
        secrets: vec![EncryptedGroupSecrets {
            new_member: key_package.make_ref(suite).ok()?,
            encrypted_group_secrets,
        }],
        encrypted_group_info,
    })
}
