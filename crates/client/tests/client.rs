//! The persistent client over both stores: groups survive a restart (the SQLite database is
//! closed and reopened), KeyPackages serve one join, every change is stored before its result
//! is handed out, and failures leave the group and the store unchanged.

use std::path::Path;

use braid_client::{epoch_id, Client, ClientError};
use braid_crypto::{CipherSuite, CryptoProvider};
use braid_mls::group::{
    default_lifetime, CommitOptions, CreateOptions, Group, GroupConfig, GroupError, JoinOptions,
    KeyPackageOptions, LeafNodeOptions, ProcessedMessage, Signer,
};
use braid_mls::messages::{Add, Credential, MlsMessage, MlsMessageBody, Proposal, Welcome};
use braid_provider::DefaultProvider;
use braid_storage::{GroupStore, MemoryStore, SqliteStore, StoreRead, StoreTransaction};

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const NOW: u64 = 1_700_000_000;
const GROUP: &[u8] = b"client test group";
static PROVIDER: DefaultProvider = DefaultProvider::new();

fn provider() -> &'static dyn CryptoProvider {
    &PROVIDER
}

fn create_options() -> CreateOptions {
    CreateOptions {
        group_id: GROUP.to_vec(),
        extensions: Default::default(),
        leaf: LeafNodeOptions::default(),
        lifetime: default_lifetime(NOW),
    }
}

fn new_signer<S: GroupStore>(client: &mut Client<S>, name: &str) -> Signer {
    client
        .generate_signer(provider(), SUITE, Credential::basic(name))
        .unwrap()
}

fn add(key_package: braid_mls::messages::KeyPackage) -> Proposal {
    Proposal::Add(Box::new(Add { key_package }))
}

fn welcome_of(message: Option<MlsMessage>) -> Welcome {
    match message.expect("a Welcome").body {
        MlsMessageBody::Welcome(welcome) => welcome,
        other => panic!("not a Welcome: {:?}", other.wire_format()),
    }
}

/// Alice creates the group and adds Bob, who joins from the Welcome through his client.
fn alice_and_bob<A: GroupStore, B: GroupStore>(
    alice: &mut Client<A>,
    bob: &mut Client<B>,
) -> (Group, Group) {
    let signer = new_signer(alice, "alice");
    let mut a = alice
        .create_group(
            provider(),
            GroupConfig::default(),
            SUITE,
            signer,
            create_options(),
        )
        .unwrap();
    let bob_signer = new_signer(bob, "bob");
    let key_package = bob
        .create_key_package(
            provider(),
            SUITE,
            &bob_signer,
            &KeyPackageOptions::new(NOW),
            false,
        )
        .unwrap();
    assert_eq!(bob.store().key_package_refs().unwrap().len(), 1);
    let options = CommitOptions {
        proposals: vec![add(key_package)],
        ..CommitOptions::default()
    };
    let bundle = alice.commit(provider(), &mut a, options, NOW).unwrap();
    // The pending Commit is stored before it is sent.
    assert!(alice
        .load_group(GROUP)
        .unwrap()
        .unwrap()
        .has_pending_commit());
    alice.merge_pending_commit(&mut a).unwrap();
    let welcome = welcome_of(bundle.welcome);
    let b = bob
        .join_from_welcome(
            provider(),
            GroupConfig::default(),
            &welcome,
            JoinOptions::new(NOW),
        )
        .unwrap();
    // The KeyPackage served its one join.
    assert!(bob.store().key_package_refs().unwrap().is_empty());
    assert!(matches!(
        bob.join_from_welcome(
            provider(),
            GroupConfig::default(),
            &welcome,
            JoinOptions::new(NOW)
        ),
        Err(ClientError::NoKeyPackage)
    ));
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    (a, b)
}

/// Sends `data` from `sender` to `receiver`, both through their clients.
fn send<A: GroupStore, B: GroupStore>(
    from: (&mut Client<A>, &mut Group),
    to: (&mut Client<B>, &mut Group),
    data: &[u8],
) {
    let message = from
        .0
        .create_application_message(provider(), from.1, data, b"")
        .unwrap();
    match to
        .0
        .process_message(provider(), to.1, message, NOW)
        .unwrap()
    {
        ProcessedMessage::Application(app) => assert_eq!(app.data, data),
        other => panic!("expected application data, got {other:?}"),
    }
}

/// The stored state of `client`'s group is exactly `group`.
fn assert_stored<S: GroupStore>(client: &Client<S>, group: &Group) {
    let stored = client.load_group(group.group_id()).unwrap().unwrap();
    assert_eq!(stored.to_bytes(), group.to_bytes());
    let epochs = client.store().epochs(group.group_id()).unwrap();
    assert_eq!(epochs.len(), 1, "one epoch row per group");
    assert_eq!(epochs[0].epoch_id, epoch_id(group.epoch()));
}

fn open(path: &Path) -> Client<SqliteStore> {
    Client::new(SqliteStore::open(path).unwrap())
}

#[test]
fn groups_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (alice_db, bob_db) = (dir.path().join("alice.db"), dir.path().join("bob.db"));
    let (alice_ab, bob_ab) = {
        let (mut alice, mut bob) = (open(&alice_db), open(&bob_db));
        let (mut a, mut b) = alice_and_bob(&mut alice, &mut bob);
        send(
            (&mut alice, &mut a),
            (&mut bob, &mut b),
            b"before the restart",
        );
        assert_stored(&alice, &a);
        assert_stored(&bob, &b);
        (a.epoch_authenticator().to_vec(), b.to_bytes())
    };
    // Both processes restart.
    let (mut alice, mut bob) = (open(&alice_db), open(&bob_db));
    let mut a = alice.load_group(GROUP).unwrap().unwrap();
    let mut b = bob.load_group(GROUP).unwrap().unwrap();
    assert_eq!(a.epoch_authenticator(), alice_ab);
    assert_eq!(b.to_bytes(), bob_ab);
    // They go on: a message in the same epoch, a Commit from Bob, a message in the new epoch.
    send(
        (&mut bob, &mut b),
        (&mut alice, &mut a),
        b"after the restart",
    );
    let bundle = bob
        .commit(provider(), &mut b, CommitOptions::default(), NOW)
        .unwrap();
    let ProcessedMessage::Commit(staged) = alice
        .process_message(provider(), &mut a, bundle.commit, NOW)
        .unwrap()
    else {
        panic!("expected a Commit");
    };
    alice.merge_staged_commit(&mut a, *staged).unwrap();
    bob.merge_pending_commit(&mut b).unwrap();
    assert_eq!(a.epoch(), 2);
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    send((&mut alice, &mut a), (&mut bob, &mut b), b"new epoch");
    assert_stored(&alice, &a);
    assert_stored(&bob, &b);
}

#[test]
fn failures_change_neither_the_group_nor_the_store() {
    let (mut alice, mut bob) = (
        Client::new(MemoryStore::new()),
        Client::new(MemoryStore::new()),
    );
    let (mut a, mut b) = alice_and_bob(&mut alice, &mut bob);
    let message = alice
        .create_application_message(provider(), &mut a, b"once", b"")
        .unwrap();
    bob.process_message(provider(), &mut b, message.clone(), NOW)
        .unwrap();
    let before = b.to_bytes();
    // A replay: its key was consumed, and the consumption was stored.
    let error = bob
        .process_message(provider(), &mut b, message, NOW)
        .unwrap_err();
    assert!(matches!(error, ClientError::Group(_)), "{error}");
    assert_eq!(b.to_bytes(), before);
    assert_stored(&bob, &b);
    // A failing operation through `update`.
    let error = bob
        .update(&mut b, |g| {
            g.create_application_message(provider(), b"x", b"")?;
            Err::<(), _>(GroupError::NoPendingCommit)
        })
        .unwrap_err();
    assert!(matches!(
        error,
        ClientError::Group(GroupError::NoPendingCommit)
    ));
    assert_eq!(b.to_bytes(), before);
    assert_stored(&bob, &b);
}

#[test]
fn a_stale_group_is_not_saved_over_a_newer_epoch() {
    let mut alice = Client::new(MemoryStore::new());
    let signer = new_signer(&mut alice, "alice");
    let mut group = alice
        .create_group(
            provider(),
            GroupConfig::default(),
            SUITE,
            signer,
            create_options(),
        )
        .unwrap();
    let stale = group.clone();
    alice
        .commit(provider(), &mut group, CommitOptions::default(), NOW)
        .unwrap();
    alice.merge_pending_commit(&mut group).unwrap();
    let error = alice.save_group(&stale).unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::StaleGroup {
                stored: 1,
                saving: 0,
                ..
            }
        ),
        "{error}"
    );
    assert_stored(&alice, &group);
}

#[test]
fn an_active_group_is_not_replaced() {
    let mut alice = Client::new(MemoryStore::new());
    let signer = new_signer(&mut alice, "alice");
    let group = alice
        .create_group(
            provider(),
            GroupConfig::default(),
            SUITE,
            signer.clone(),
            create_options(),
        )
        .unwrap();
    let error = alice
        .create_group(
            provider(),
            GroupConfig::default(),
            SUITE,
            signer,
            create_options(),
        )
        .unwrap_err();
    assert!(matches!(error, ClientError::GroupExists(ref id) if id == GROUP));
    assert_stored(&alice, &group);
    assert!(alice.delete_group(GROUP).unwrap());
    assert!(alice.load_group(GROUP).unwrap().is_none());
    assert!(alice.group_ids().unwrap().is_empty());
}

#[test]
fn key_packages_need_a_stored_signer_and_a_readable_record() {
    let mut bob = Client::new(MemoryStore::new());
    let outsider = Signer::generate(provider(), SUITE, Credential::basic("bob")).unwrap();
    let error = bob
        .create_key_package(
            provider(),
            SUITE,
            &outsider,
            &KeyPackageOptions::new(NOW),
            false,
        )
        .unwrap_err();
    assert!(matches!(error, ClientError::MissingSignatureKey(_)));

    // A record of an unknown format version is reported, not misread, and not consumed.
    let mut alice = Client::new(MemoryStore::new());
    let (mut a, _) = alice_and_bob(&mut alice, &mut Client::new(MemoryStore::new()));
    let signer = new_signer(&mut bob, "bob");
    let key_package = bob
        .create_key_package(
            provider(),
            SUITE,
            &signer,
            &KeyPackageOptions::new(NOW),
            false,
        )
        .unwrap();
    let options = CommitOptions {
        proposals: vec![add(key_package)],
        ..CommitOptions::default()
    };
    let bundle = alice.commit(provider(), &mut a, options, NOW).unwrap();
    let welcome = welcome_of(bundle.welcome);
    let mut store = bob.into_store();
    let reference = store.key_package_refs().unwrap().remove(0);
    let mut record = store.key_package(&reference).unwrap().unwrap();
    let mut bytes = record.private_material.as_bytes().to_vec();
    bytes[9] = 99; // the low byte of the format version
    record.private_material = braid_crypto::Secret::new(bytes);
    let mut tx = store.transaction().unwrap();
    tx.put_key_package(&reference, record.private_material.as_bytes(), false)
        .unwrap();
    tx.commit().unwrap();
    let mut bob = Client::new(store);
    let error = bob
        .join_from_welcome(
            provider(),
            GroupConfig::default(),
            &welcome,
            JoinOptions::new(NOW),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::BadRecord {
                what: "KeyPackage",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(bob.store().key_package_refs().unwrap(), vec![reference]);
    assert!(bob.group_ids().unwrap().is_empty());
}

#[test]
fn a_removed_member_can_join_the_group_again() {
    let (mut alice, mut bob) = (
        Client::new(MemoryStore::new()),
        Client::new(MemoryStore::new()),
    );
    let (mut a, mut b) = alice_and_bob(&mut alice, &mut bob);
    let bob_leaf = b.own_leaf_index();
    let bundle = alice
        .commit(
            provider(),
            &mut a,
            CommitOptions {
                proposals: vec![Proposal::Remove(braid_mls::messages::Remove {
                    removed: bob_leaf,
                })],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    alice.merge_pending_commit(&mut a).unwrap();
    let ProcessedMessage::Commit(staged) = bob
        .process_message(provider(), &mut b, bundle.commit, NOW)
        .unwrap()
    else {
        panic!("expected a Commit");
    };
    bob.merge_staged_commit(&mut b, *staged).unwrap();
    assert!(bob.load_group(GROUP).unwrap().unwrap().is_removed());

    // Added again: the inactive state is replaced by the new membership.
    let signer = bob
        .signer(
            provider(),
            SUITE,
            Credential::basic("bob"),
            b.signer().signature_key(),
        )
        .unwrap()
        .expect("Bob's key is stored");
    let key_package = bob
        .create_key_package(
            provider(),
            SUITE,
            &signer,
            &KeyPackageOptions::new(NOW),
            false,
        )
        .unwrap();
    let bundle = alice
        .commit(
            provider(),
            &mut a,
            CommitOptions {
                proposals: vec![add(key_package)],
                ..CommitOptions::default()
            },
            NOW,
        )
        .unwrap();
    alice.merge_pending_commit(&mut a).unwrap();
    let b = bob
        .join_from_welcome(
            provider(),
            GroupConfig::default(),
            &welcome_of(bundle.welcome),
            JoinOptions::new(NOW),
        )
        .unwrap();
    assert!(b.is_active());
    assert_eq!(b.epoch_authenticator(), a.epoch_authenticator());
    assert_stored(&bob, &b);
}
