//! Seed inputs of every target, generated rather than stored: from the official test
//! vectors in `test-vectors/` (messages, KeyPackages, trees, Welcomes of other
//! implementations) and from the [fixture](crate::fixture) (real messages of the live group
//! the processing targets run against), in each target's input layout.

use std::collections::BTreeSet;
use std::path::PathBuf;

use braid_codec::{Decode, Encode};
use braid_mls::messages::{
    Content, FramedContent, MlsMessage, MlsMessageBody, Proposal, ProposalOrRef, Sender, WireFormat,
};
use braid_mls::protection::sign_content;
use braid_mls::suite::Suite;
use serde_json::Value;

use crate::fixture::{fixture, SUITE};
use crate::provider::DeterministicProvider;
use crate::targets::{decoder_selector, forged_flags, key_package_flags, welcome_flags};

/// The folder of the official vectors.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors")
}

/// The JSON of vector file `name` (`Value::Null` if it cannot be read).
fn vector_file(name: &str) -> Value {
    std::fs::read(vectors_dir().join(name))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// Every hex string (or list of hex strings) under a key in `keys`, anywhere in `value`.
fn hex_fields(value: &Value, keys: &[&str], out: &mut Vec<Vec<u8>>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                if keys.contains(&key.as_str()) {
                    let strings: Vec<&str> = match field {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    out.extend(
                        strings
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .filter_map(|s| hex::decode(s).ok()),
                    );
                }
                hex_fields(field, keys, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| hex_fields(item, keys, out)),
        _ => {}
    }
}

/// The hex fields `keys` of vector file `file`.
fn vectors(file: &str, keys: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    hex_fields(&vector_file(file), keys, &mut out);
    out
}

/// The files and fields of the vectors that hold `MLSMessage`s.
const MESSAGE_FIELDS: &[(&str, &[&str])] = &[
    (
        "messages.json",
        &[
            "mls_welcome",
            "mls_group_info",
            "mls_key_package",
            "public_message_application",
            "public_message_proposal",
            "public_message_commit",
            "private_message",
        ],
    ),
    ("welcome.json", &["key_package", "welcome"]),
    (
        "message-protection.json",
        &[
            "proposal_pub",
            "proposal_priv",
            "commit_pub",
            "commit_priv",
            "application_priv",
        ],
    ),
    (
        "passive-client-welcome.json",
        &["key_package", "welcome", "proposals", "commit"],
    ),
    (
        "passive-client-handling-commit.json",
        &["key_package", "welcome", "proposals", "commit"],
    ),
    (
        "passive-client-random.json",
        &["key_package", "welcome", "proposals", "commit"],
    ),
];

/// Every `MLSMessage` of the vectors.
fn vector_messages() -> Vec<Vec<u8>> {
    MESSAGE_FIELDS
        .iter()
        .flat_map(|(file, keys)| vectors(file, keys))
        .collect()
}

/// Removes duplicates, keeping a stable order.
fn dedup(seeds: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut seen = BTreeSet::new();
    seeds
        .into_iter()
        .filter(|seed| seen.insert(seed.clone()))
        .collect()
}

fn prefixed(prefix: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.extend_from_slice(body);
    out
}

/// `decode_message` seeds.
pub fn decode_message() -> Vec<Vec<u8>> {
    let fixture = fixture();
    let mut seeds = vector_messages();
    seeds.extend(fixture.messages.iter().map(|m| m.message.to_bytes()));
    seeds.push(MlsMessage::new(MlsMessageBody::Welcome(fixture.welcome.clone())).to_bytes());
    seeds.push(MlsMessage::new(MlsMessageBody::GroupInfo(fixture.group_info.clone())).to_bytes());
    dedup(seeds)
}

/// `decode_wire` seeds: `(structure, encoding)` pairs behind their selector.
pub fn decode_wire() -> Vec<Vec<u8>> {
    let mut pairs: Vec<(&str, Vec<u8>)> = Vec::new();
    let from_vectors: &[(&str, &str)] = &[
        ("mls_welcome", "MLSMessage"),
        ("public_message_commit", "MLSMessage"),
        ("private_message", "MLSMessage"),
        ("ratchet_tree", "RatchetTree"),
        ("ratchet_tree", "RatchetTree import"),
        ("group_secrets", "GroupSecrets"),
        ("add_proposal", "Add"),
        ("update_proposal", "Update"),
        ("remove_proposal", "Remove"),
        ("pre_shared_key_proposal", "PreSharedKey"),
        ("re_init_proposal", "ReInit"),
        ("external_init_proposal", "ExternalInit"),
        (
            "group_context_extensions_proposal",
            "GroupContextExtensions",
        ),
        ("commit", "Commit"),
    ];
    let messages = vector_file("messages.json");
    for (key, name) in from_vectors {
        let mut found = Vec::new();
        hex_fields(&messages, &[key], &mut found);
        // A few of each: the vectors repeat the same shapes across suites.
        pairs.extend(found.into_iter().take(8).map(|bytes| (*name, bytes)));
    }
    // The vectors' vector headers, behind a body of the length they announce (short ones).
    if let Value::Array(cases) = vector_file("deserialization.json") {
        for case in &cases {
            let mut header = Vec::new();
            hex_fields(case, &["vlbytes_header"], &mut header);
            let length = case
                .get("length")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            if let (Some(mut bytes), Ok(length @ 0..=4096)) =
                (header.pop(), usize::try_from(length))
            {
                bytes.resize(bytes.len() + length, 0xa5);
                pairs.push(("opaque<V>", bytes));
            }
        }
    }

    let fixture = fixture();
    for seed in &fixture.messages {
        pairs.push(("MLSMessage", seed.message.to_bytes()));
        match &seed.message.body {
            MlsMessageBody::PublicMessage(public) => {
                pairs.push(("PublicMessage", public.to_bytes()));
                pairs.push(("FramedContent", public.content.to_bytes()));
                pairs.push(("Sender", public.content.sender.to_bytes()));
                let auth = if public.auth.confirmation_tag.is_some() {
                    "FramedContentAuthData (commit)"
                } else {
                    "FramedContentAuthData (application)"
                };
                pairs.push((auth, public.auth.to_bytes()));
                pairs.extend(content_pairs(&public.content));
            }
            MlsMessageBody::PrivateMessage(private) => {
                pairs.push(("PrivateMessage", private.to_bytes()));
            }
            _ => {}
        }
    }
    let group = &fixture.members[0];
    let context = group.group_context();
    pairs.push(("GroupContext", context.to_bytes()));
    pairs.push(("Extensions", context.extensions.to_bytes()));
    if let Some(data) = context
        .extensions
        .get(braid_mls::extensions::ExtensionType::EXTERNAL_SENDERS)
    {
        pairs.push(("ExternalSender<V>", data.to_vec()));
    }
    if let Some(tree) = group.export_ratchet_tree() {
        pairs.push(("RatchetTree", tree.to_bytes()));
        pairs.push(("RatchetTree import", tree.to_bytes()));
    }
    if let Some(leaf) = group.own_leaf_node() {
        pairs.push(("LeafNode", leaf.to_bytes()));
        pairs.push(("Credential", leaf.credential.to_bytes()));
        pairs.push(("Capabilities", leaf.capabilities.to_bytes()));
    }
    pairs.push(("Welcome", fixture.welcome.to_bytes()));
    pairs.extend(fixture.welcome.secrets.iter().flat_map(|s| {
        [
            ("EncryptedGroupSecrets", s.to_bytes()),
            ("HPKECiphertext", s.encrypted_group_secrets.to_bytes()),
        ]
    }));
    pairs.push(("GroupInfo", fixture.group_info.to_bytes()));
    pairs.push(("GroupSecrets", fixture.group_secrets.to_bytes()));
    pairs.push(("MAC", fixture.group_info.confirmation_tag.to_bytes()));
    for key_package in &fixture.key_packages {
        pairs.push(("KeyPackage", key_package.to_bytes()));
        if let braid_mls::messages::LeafNodeSource::KeyPackage { lifetime } =
            &key_package.leaf_node.leaf_node_source
        {
            pairs.push(("Lifetime", lifetime.to_bytes()));
        }
    }
    pairs.push(("KeyPackageBundle (stored)", fixture.joiner.1.to_bytes()));
    pairs.push(("Signer (stored)", fixture.joiner.0.signer.to_bytes()));
    pairs.push(("GroupConfig (stored)", group.config().to_bytes()));

    let mut seeds: Vec<Vec<u8>> = pairs
        .into_iter()
        .filter_map(|(name, bytes)| decoder_selector(name).map(|s| prefixed(&[s], &bytes)))
        .collect();
    // Every structure at least once, if only as its empty encoding.
    seeds.extend(
        (0..crate::targets::DECODERS.len()).filter_map(|i| u8::try_from(i).ok().map(|i| vec![i])),
    );
    dedup(seeds)
}

/// The proposals, Commit and UpdatePath inside `content`, as `decode_wire` pairs.
fn content_pairs(content: &FramedContent) -> Vec<(&'static str, Vec<u8>)> {
    fn proposal(p: &Proposal, pairs: &mut Vec<(&'static str, Vec<u8>)>) {
        pairs.push(("Proposal", p.to_bytes()));
        if let Proposal::PreSharedKey(psk) = p {
            pairs.push(("PreSharedKeyID", psk.psk.to_bytes()));
        }
    }
    let mut pairs = Vec::new();
    match &content.content {
        Content::Proposal(p) => proposal(p, &mut pairs),
        Content::Commit(commit) => {
            pairs.push(("Commit", commit.to_bytes()));
            for item in &commit.proposals {
                pairs.push(("ProposalOrRef", item.to_bytes()));
                if let ProposalOrRef::Proposal(p) = item {
                    proposal(p, &mut pairs);
                }
            }
            if let Some(path) = &commit.path {
                pairs.push(("UpdatePath", path.to_bytes()));
                pairs.extend(path.nodes.iter().map(|n| ("UpdatePathNode", n.to_bytes())));
            }
        }
        Content::Application(_) => {}
    }
    pairs
}

/// `decode_state` seeds: the members' stored states.
pub fn decode_state() -> Vec<Vec<u8>> {
    fixture().member_bytes.clone()
}

/// `key_package` seeds: every KeyPackage of the vectors as is, and the fixture's re-signed
/// and added to the group.
pub fn key_package() -> Vec<Vec<u8>> {
    use key_package_flags::*;
    let mut seeds: Vec<Vec<u8>> = vector_messages()
        .into_iter()
        .filter_map(|bytes| match MlsMessage::from_bytes(&bytes).ok()?.body {
            MlsMessageBody::KeyPackage(kp) => Some(prefixed(&[0], &kp.to_bytes())),
            _ => None,
        })
        .collect();
    for key_package in &fixture().key_packages {
        let bytes = key_package.to_bytes();
        seeds.push(prefixed(&[ADD], &bytes));
        seeds.push(prefixed(
            &[RESIGN | REPLACE_KEY | MAX_LIFETIME | ADD],
            &bytes,
        ));
    }
    dedup(seeds)
}

/// The index of a suite code point as the `ratchet_tree` suite byte.
fn suite_byte(value: &Value) -> u8 {
    value
        .get("cipher_suite")
        .and_then(Value::as_u64)
        .and_then(|suite| u8::try_from(suite.saturating_sub(1)).ok())
        .unwrap_or(0)
}

/// `ratchet_tree` seeds: the trees of the vectors (with their suite and group id) and the
/// fixture's.
pub fn ratchet_tree() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let files: &[(&str, &[&str])] = &[
        ("tree-validation.json", &["tree"]),
        ("treekem.json", &["ratchet_tree"]),
        ("tree-operations.json", &["tree_before", "tree_after"]),
        ("messages.json", &["ratchet_tree"]),
    ];
    for (file, keys) in files {
        let Value::Array(cases) = vector_file(file) else {
            continue;
        };
        // The vectors repeat shapes across suites; a bounded sample of each file suffices.
        for case in cases.iter().take(40) {
            let mut group_id = Vec::new();
            hex_fields(case, &["group_id"], &mut group_id);
            let group_id = group_id.into_iter().next().unwrap_or_default();
            let mut trees = Vec::new();
            hex_fields(case, keys, &mut trees);
            for tree in trees {
                let mut seed = vec![suite_byte(case)];
                group_id.encode(&mut seed);
                seed.extend_from_slice(&tree);
                seeds.push(seed);
            }
        }
    }
    if let Some(tree) = fixture().members[0].export_ratchet_tree() {
        let mut seed = vec![0];
        crate::fixture::GROUP_ID.encode(&mut seed);
        seed.extend_from_slice(&tree.to_bytes());
        seeds.push(seed);
    }
    dedup(seeds)
}

/// `welcome` seeds: the fixture's Welcome, with every consistency fix and with none.
pub fn welcome() -> Vec<Vec<u8>> {
    use welcome_flags::*;
    let fixture = fixture();
    let mut body = Vec::new();
    fixture.group_secrets.to_bytes().encode(&mut body);
    body.extend_from_slice(&fixture.group_info.to_bytes());
    vec![
        prefixed(&[FIX_TREE_HASH | FIX_CONFIRMATION_TAG | RESIGN], &body),
        prefixed(&[0], &body),
    ]
}

/// `process_message` seeds: every fixture message to every member.
pub fn process_message() -> Vec<Vec<u8>> {
    let fixture = fixture();
    let mut seeds = Vec::new();
    for seed in &fixture.messages {
        let bytes = seed.message.to_bytes();
        for receiver in 0..fixture.members.len() {
            seeds.push(prefixed(&[receiver as u8], &bytes));
        }
    }
    seeds
}

/// `forged_content` seeds: the content of every public fixture message, to members 1–3, as
/// a PublicMessage and as a PrivateMessage, with inner signatures redone.
pub fn forged_content() -> Vec<Vec<u8>> {
    use forged_flags::*;
    let mut seeds = Vec::new();
    for seed in &fixture().messages {
        let Some((content, tag)) = &seed.content else {
            continue;
        };
        let mut body = content.to_bytes();
        tag.encode(&mut body);
        for receiver in 1..4u8 {
            seeds.push(prefixed(&[receiver | RESIGN], &body));
        }
        seeds.push(prefixed(&[1 | RESIGN | PRIVATE], &body));
    }
    seeds
}

/// `private_content` seeds: plaintexts of member content signed for a PrivateMessage, with
/// the sender data of the sender's first unused generation at the receiver.
pub fn private_content() -> Vec<Vec<u8>> {
    let fixture = fixture();
    let provider = DeterministicProvider::new(0);
    let Ok(suite) = Suite::new(&provider, SUITE) else {
        return Vec::new();
    };
    let mut contents: Vec<FramedContent> = fixture
        .messages
        .iter()
        .filter_map(|m| m.content.as_ref().map(|(content, _)| content.clone()))
        .filter(|content| matches!(content.sender, Sender::Member(_)))
        .collect();
    contents.push(FramedContent {
        group_id: crate::fixture::GROUP_ID.to_vec(),
        epoch: fixture.members[0].epoch(),
        sender: Sender::Member(braid_mls::tree_math::LeafIndex(2)),
        authenticated_data: b"aad".to_vec(),
        content: Content::Application(b"private content".to_vec()),
    });
    let mut seeds = Vec::new();
    for content in contents {
        let Sender::Member(leaf) = content.sender else {
            continue;
        };
        let Some(signer) = fixture.signers.get(leaf.0 as usize) else {
            continue;
        };
        let content_type = content.content_type();
        let authenticated_data = content.authenticated_data.clone();
        let context = fixture.members[0].group_context();
        let Ok(signed) = sign_content(
            &suite,
            WireFormat::PRIVATE_MESSAGE,
            content,
            Some(context),
            signer.private_key.as_bytes(),
        ) else {
            continue;
        };
        let type_bits = match content_type {
            braid_mls::messages::ContentType::Application => 0,
            braid_mls::messages::ContentType::Proposal => 1,
            braid_mls::messages::ContentType::Commit => 2,
        };
        // Receiver 1 (or 3 for content from 1), generation 0 of the sender's ratchet.
        let receiver: u8 = if leaf.0 == 1 { 3 } else { 1 };
        let mut seed = vec![receiver | (type_bits << 2)];
        leaf.encode(&mut seed);
        0u32.encode(&mut seed);
        seed.extend_from_slice(&[1, 2, 3, 4]);
        authenticated_data.encode(&mut seed);
        signed.content.content.encode_body(&mut seed);
        signed.auth.encode(&mut seed);
        seeds.push(seed);
    }
    seeds
}
