//! Shared helpers of the group integration tests: clients with real keys, groups built by
//! Commits and Welcomes, and delivery of a Commit to every member.

#![allow(dead_code)]

use braid_crypto::{CipherSuite, CryptoProvider};
use braid_mls::group::{
    CommitBundle, CommitOptions, CreateOptions, Group, GroupConfig, JoinOptions, KeyPackageBundle,
    KeyPackageOptions, LeafNodeOptions, ProcessedMessage, Signer, ValidatedKeyPackage,
};
use braid_mls::messages::{Credential, MlsMessage, MlsMessageBody, Welcome};
use braid_provider::DefaultProvider;

pub const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
/// The clock of every test (2023-11-14).
pub const NOW: u64 = 1_700_000_000;

pub static PROVIDER: DefaultProvider = DefaultProvider::new();

pub fn provider() -> &'static dyn CryptoProvider {
    &PROVIDER
}

/// A client: a name and a signing identity.
#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    pub signer: Signer,
}

impl Client {
    pub fn new(name: &str) -> Self {
        let signer =
            Signer::generate(provider(), SUITE, Credential::basic(name.as_bytes())).unwrap();
        Self {
            name: name.to_string(),
            signer,
        }
    }

    /// A client whose private signature key the test knows (to sign forged structures).
    pub fn with_private_key(name: &str) -> (Self, braid_crypto::Secret) {
        let scheme = braid_crypto::SignatureScheme::ED25519;
        let private_key = provider().signature_generate(scheme).unwrap().private_key;
        let signer = Signer::from_private_key(
            provider(),
            SUITE,
            Credential::basic(name.as_bytes()),
            private_key.clone(),
        )
        .unwrap();
        let client = Self {
            name: name.to_string(),
            signer,
        };
        (client, private_key)
    }

    pub fn key_package(&self) -> KeyPackageBundle {
        KeyPackageBundle::create(
            provider(),
            SUITE,
            &self.signer,
            &KeyPackageOptions::new(NOW),
        )
        .unwrap()
    }

    pub fn validated(bundle: &KeyPackageBundle) -> ValidatedKeyPackage {
        ValidatedKeyPackage::validate(provider(), bundle.key_package().clone(), NOW, None).unwrap()
    }
}

/// A group created by `creator` with `config`.
pub fn create_group(creator: &Client, config: GroupConfig, group_id: &[u8]) -> Group {
    Group::create(
        provider(),
        config,
        SUITE,
        creator.signer.clone(),
        CreateOptions {
            group_id: group_id.to_vec(),
            extensions: Default::default(),
            leaf: LeafNodeOptions::default(),
            lifetime: braid_mls::group::default_lifetime(NOW),
        },
    )
    .unwrap()
}

pub fn welcome_of(message: &MlsMessage) -> &Welcome {
    match &message.body {
        MlsMessageBody::Welcome(welcome) => welcome,
        other => panic!("not a welcome: {other:?}"),
    }
}

/// Delivers `commit` to every group in `groups` except the committer at `committer`, which
/// merges its pending commit.
pub fn deliver_commit(groups: &mut [Group], committer: usize, commit: &MlsMessage) {
    for (i, group) in groups.iter_mut().enumerate() {
        if i == committer {
            group.merge_pending_commit().unwrap();
            continue;
        }
        match group
            .process_message(provider(), commit.clone(), NOW)
            .unwrap()
        {
            ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged).unwrap(),
            other => panic!("member {i}: expected a commit, got {other:?}"),
        }
    }
}

/// Delivers a proposal message to every group but the sender's.
pub fn deliver_proposal(groups: &mut [Group], sender: usize, proposal: &MlsMessage) {
    for (i, group) in groups.iter_mut().enumerate() {
        if i == sender {
            continue;
        }
        match group
            .process_message(provider(), proposal.clone(), NOW)
            .unwrap()
        {
            ProcessedMessage::Proposal(_) => {}
            other => panic!("member {i}: expected a proposal, got {other:?}"),
        }
    }
}

/// Joins `client` with `bundle` from `welcome`.
pub fn join(
    client: &Client,
    bundle: &KeyPackageBundle,
    welcome: &MlsMessage,
    config: GroupConfig,
) -> Group {
    Group::join_from_welcome(
        provider(),
        config,
        welcome_of(welcome),
        bundle,
        client.signer.clone(),
        JoinOptions::new(NOW),
    )
    .unwrap()
}

/// A group of `n` members (clients `m0` … `m{n-1}`), each added by `m0` in one Commit.
pub fn group_of(n: usize, config: GroupConfig) -> (Vec<Client>, Vec<Group>) {
    let clients: Vec<Client> = (0..n).map(|i| Client::new(&format!("m{i}"))).collect();
    let groups = group_of_clients(&clients, config);
    (clients, groups)
}

/// A group of `clients`, each added by the first in one Commit.
pub fn group_of_clients(clients: &[Client], config: GroupConfig) -> Vec<Group> {
    let mut creator = create_group(&clients[0], config, b"test group");
    if clients.len() == 1 {
        return vec![creator];
    }
    let bundles: Vec<KeyPackageBundle> = clients[1..].iter().map(Client::key_package).collect();
    let adds = bundles
        .iter()
        .map(|b| {
            braid_mls::messages::Proposal::Add(Box::new(braid_mls::messages::Add {
                key_package: b.key_package().clone(),
            }))
        })
        .collect();
    let CommitBundle { welcome, .. } = creator
        .commit(
            provider(),
            CommitOptions {
                proposals: adds,
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    creator.merge_pending_commit().unwrap();
    let welcome = welcome.unwrap();
    let mut groups = vec![creator];
    for (client, bundle) in clients[1..].iter().zip(&bundles) {
        groups.push(join(client, bundle, &welcome, config));
    }
    assert_agree(&groups);
    groups
}

/// Every member is in the same epoch with the same authenticator and tree.
pub fn assert_agree(groups: &[Group]) {
    let first = &groups[0];
    for group in &groups[1..] {
        assert_eq!(group.epoch(), first.epoch());
        assert_eq!(group.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(group.group_context(), first.group_context());
        assert_eq!(group.ratchet_tree(), first.ratchet_tree());
    }
}

/// Processes `message` in `group`, expecting a rejection that leaves the stored state
/// unchanged; returns the error.
pub fn assert_rejected(group: &mut Group, message: MlsMessage) -> braid_mls::group::GroupError {
    let before = group.to_bytes();
    let error = group
        .process_message(provider(), message, NOW)
        .expect_err("the message must be rejected");
    assert_eq!(
        before,
        group.to_bytes(),
        "a rejected message changed the group ({error})"
    );
    error
}
