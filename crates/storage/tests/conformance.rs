//! The contract of the storage traits, checked against every backend: each behaviour is one
//! generic function, and `conformance!` runs all of them on each backend.

use braid_storage::{
    EpochInfo, GroupStore, KeyPackageRecord, MemoryStore, Secret, SignatureKeyPair,
    SignatureScheme, SqliteStore, StorageError, StoreRead, StoreTransaction,
};

const G: &[u8] = b"group-a";
const H: &[u8] = b"group-b";

fn e(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn state(n: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(31).wrapping_add(n) as u8)
        .collect()
}

fn info(epoch: u64, live: bool) -> EpochInfo {
    EpochInfo {
        epoch_id: e(epoch).to_vec(),
        live,
    }
}

/// Runs `write` in a transaction and commits it.
fn commit<S: GroupStore>(
    store: &mut S,
    write: impl FnOnce(&mut S::Transaction<'_>) -> Result<(), StorageError>,
) {
    let mut tx = store.transaction().unwrap();
    write(&mut tx).unwrap();
    tx.commit().unwrap();
}

/// A group `group` at epoch `current`, with epochs `epochs` stored (state `state(n, 64)`).
fn group_at<S: GroupStore>(store: &mut S, group: &[u8], epochs: &[u64], current: u64) {
    commit(store, |tx| {
        for &n in epochs {
            tx.put_epoch(group, &e(n), &state(n, 64))?;
        }
        tx.set_current_epoch(group, Some(&e(current)))
    });
}

fn empty_store_has_nothing<S: GroupStore>(store: &mut S) {
    assert!(store.groups().unwrap().is_empty());
    assert_eq!(store.current_epoch(G).unwrap(), None);
    assert!(store.current_epoch_state(G).unwrap().is_none());
    assert!(store.epochs(G).unwrap().is_empty());
    assert_eq!(store.epoch_state(G, &e(0)).unwrap(), None);
    assert_eq!(store.key_package(b"kp").unwrap(), None);
    assert!(store.key_package_refs().unwrap().is_empty());
    assert_eq!(store.psk(b"psk").unwrap(), None);
    assert!(store.signature_key_pair(b"pk").unwrap().is_none());
    assert!(store.signature_public_keys().unwrap().is_empty());
}

fn epoch_states_round_trip_exactly<S: GroupStore>(store: &mut S) {
    let large = state(7, 1 << 20);
    let binary: Vec<u8> = (0..=255).collect();
    commit(store, |tx| {
        tx.put_epoch(G, &e(1), &[])?;
        tx.put_epoch(G, &e(2), &binary)?;
        tx.put_epoch(G, &e(3), &large)?;
        tx.put_epoch(G, b"", b"empty epoch id")
    });
    assert_eq!(
        store.epoch_state(G, &e(1)).unwrap().unwrap().as_bytes(),
        b""
    );
    assert_eq!(
        store.epoch_state(G, &e(2)).unwrap().unwrap().as_bytes(),
        &binary[..]
    );
    assert_eq!(
        store.epoch_state(G, &e(3)).unwrap().unwrap().as_bytes(),
        &large[..]
    );
    assert_eq!(
        store.epoch_state(G, b"").unwrap().unwrap().as_bytes(),
        b"empty epoch id"
    );
    assert_eq!(
        store.epoch_state(H, &e(1)).unwrap(),
        None,
        "keyed by group too"
    );
    assert_eq!(store.groups().unwrap(), vec![G.to_vec()]);
    assert_eq!(
        store.current_epoch(G).unwrap(),
        None,
        "no current epoch until set"
    );
}

fn epochs_are_listed_in_write_order<S: GroupStore>(store: &mut S) {
    commit(store, |tx| {
        for n in [5, 1, 9, 3] {
            tx.put_epoch(G, &e(n), b"s")?;
        }
        Ok(())
    });
    commit(store, |tx| {
        tx.put_epoch(G, &e(2), b"s")?;
        tx.put_epoch(G, &e(9), b"rewritten")
    });
    let order: Vec<EpochInfo> = [5, 1, 9, 3, 2].map(|n| info(n, false)).into();
    assert_eq!(store.epochs(G).unwrap(), order);
}

fn put_epoch_replaces_state_and_keeps_liveness<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1, 2], 2);
    commit(store, |tx| tx.put_epoch(G, &e(2), b"new state"));
    assert_eq!(
        store.epoch_state(G, &e(2)).unwrap().unwrap().as_bytes(),
        b"new state"
    );
    assert_eq!(
        store.epochs(G).unwrap(),
        vec![info(1, false), info(2, true)]
    );
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(2).to_vec()));
}

fn current_epoch_is_live_and_moves<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1], 1);
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(1).to_vec()));
    let (id, current) = store.current_epoch_state(G).unwrap().unwrap();
    assert_eq!((id, current.as_bytes()), (e(1).to_vec(), &state(1, 64)[..]));
    assert_eq!(store.epochs(G).unwrap(), vec![info(1, true)]);

    // An RFC 9420 commit: store the next epoch, move to it, keep the old one for late messages.
    commit(store, |tx| {
        tx.put_epoch(G, &e(2), &state(2, 64))?;
        tx.set_current_epoch(G, Some(&e(2)))
    });
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(2).to_vec()));
    assert_eq!(store.epochs(G).unwrap(), vec![info(1, true), info(2, true)]);
    let (id, current) = store.current_epoch_state(G).unwrap().unwrap();
    assert_eq!((id, current.as_bytes()), (e(2).to_vec(), &state(2, 64)[..]));

    // Leaving the group without a current epoch keeps the live set.
    commit(store, |tx| tx.set_current_epoch(G, None));
    assert_eq!(store.current_epoch(G).unwrap(), None);
    assert!(store.current_epoch_state(G).unwrap().is_none());
    assert_eq!(store.epochs(G).unwrap(), vec![info(1, true), info(2, true)]);
}

fn missing_epochs_are_errors_that_change_nothing<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1], 1);
    let mut tx = store.transaction().unwrap();
    for result in [
        tx.set_current_epoch(G, Some(&e(2))),
        tx.set_current_epoch(H, Some(&e(1))),
        tx.set_epoch_live(G, &e(2), true),
        tx.set_epoch_live(H, &e(1), false),
    ] {
        assert!(
            matches!(result, Err(StorageError::EpochNotFound { .. })),
            "{result:?}"
        );
    }
    assert!(!tx.delete_epoch(G, &e(2)).unwrap());
    assert!(!tx.delete_group(H).unwrap());
    // The transaction goes on after the errors.
    tx.put_epoch(G, &e(2), b"two").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(1).to_vec()));
    assert_eq!(
        store.epochs(G).unwrap(),
        vec![info(1, true), info(2, false)]
    );
    assert_eq!(store.groups().unwrap(), vec![G.to_vec()]);
}

fn current_epoch_cannot_be_deleted_or_unlived<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1, 2], 2);
    let mut tx = store.transaction().unwrap();
    let deleted = tx.delete_epoch(G, &e(2));
    assert!(
        matches!(
            &deleted,
            Err(StorageError::CurrentEpoch {
                action: "deleted",
                ..
            })
        ),
        "{deleted:?}"
    );
    let unlived = tx.set_epoch_live(G, &e(2), false);
    assert!(
        matches!(unlived, Err(StorageError::CurrentEpoch { .. })),
        "{unlived:?}"
    );
    // Moving the current epoch first makes both possible, in the same transaction.
    tx.set_current_epoch(G, Some(&e(1))).unwrap();
    tx.set_epoch_live(G, &e(2), false).unwrap();
    assert!(tx.delete_epoch(G, &e(2)).unwrap());
    tx.commit().unwrap();
    assert_eq!(store.epochs(G).unwrap(), vec![info(1, true)]);
    assert_eq!(store.epoch_state(G, &e(2)).unwrap(), None);
}

fn retention_deletes_past_epochs<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1, 2, 3, 4], 4);
    commit(store, |tx| {
        assert!(tx.delete_epoch(G, &e(1))?);
        assert!(tx.delete_epoch(G, &e(2))?);
        assert!(!tx.delete_epoch(G, &e(2))?, "already deleted");
        tx.set_epoch_live(G, &e(3), true)
    });
    assert_eq!(store.epochs(G).unwrap(), vec![info(3, true), info(4, true)]);
    assert_eq!(store.epoch_state(G, &e(1)).unwrap(), None);
    assert_eq!(store.epoch_state(G, &e(2)).unwrap(), None);
    assert_eq!(
        store.epoch_state(G, &e(3)).unwrap().unwrap().as_bytes(),
        &state(3, 64)[..]
    );
    commit(store, |tx| tx.set_epoch_live(G, &e(3), false));
    assert_eq!(
        store.epochs(G).unwrap(),
        vec![info(3, false), info(4, true)]
    );
}

fn forks_keep_several_live_epochs<S: GroupStore>(store: &mut S) {
    // DMLS: two commits on epoch 1 fork the group; both children stay live until one wins.
    let (parent, left, right) = (
        b"parent".as_slice(),
        b"fork-l".as_slice(),
        b"fork-r".as_slice(),
    );
    commit(store, |tx| {
        tx.put_epoch(G, parent, b"p")?;
        tx.set_current_epoch(G, Some(parent))
    });
    commit(store, |tx| {
        tx.put_epoch(G, left, b"l")?;
        tx.put_epoch(G, right, b"r")?;
        tx.set_epoch_live(G, left, true)?;
        tx.set_epoch_live(G, right, true)?;
        tx.set_current_epoch(G, None)?;
        tx.set_epoch_live(G, parent, false)
    });
    let live = |store: &S| -> Vec<Vec<u8>> {
        let epochs = store.epochs(G).unwrap();
        epochs
            .into_iter()
            .filter(|epoch| epoch.live)
            .map(|epoch| epoch.epoch_id)
            .collect()
    };
    assert_eq!(live(store), vec![left.to_vec(), right.to_vec()]);
    // Fork choice: the right branch wins, the left one is dropped.
    commit(store, |tx| {
        tx.set_current_epoch(G, Some(right))?;
        assert!(tx.delete_epoch(G, left)?);
        assert!(tx.delete_epoch(G, parent)?);
        Ok(())
    });
    assert_eq!(live(store), vec![right.to_vec()]);
    assert_eq!(store.current_epoch(G).unwrap(), Some(right.to_vec()));
}

fn delete_group_removes_only_that_group<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1, 2], 2);
    group_at(store, H, &[1, 2], 1);
    commit(store, |tx| {
        assert!(tx.delete_group(G)?);
        assert!(!tx.delete_group(G)?);
        Ok(())
    });
    assert_eq!(store.groups().unwrap(), vec![H.to_vec()]);
    assert!(store.epochs(G).unwrap().is_empty());
    assert_eq!(store.current_epoch(G).unwrap(), None);
    assert_eq!(store.epoch_state(G, &e(1)).unwrap(), None);
    assert_eq!(
        store.epochs(H).unwrap(),
        vec![info(1, true), info(2, false)]
    );
    assert_eq!(store.current_epoch(H).unwrap(), Some(e(1).to_vec()));
    // The id can be used again, from scratch.
    commit(store, |tx| tx.put_epoch(G, &e(9), b"again"));
    assert_eq!(store.epochs(G).unwrap(), vec![info(9, false)]);
    assert_eq!(store.current_epoch(G).unwrap(), None);
}

fn groups_are_listed_in_byte_order<S: GroupStore>(store: &mut S) {
    let ids: [&[u8]; 4] = [b"b", b"a\xff", b"\x00", b"a"];
    commit(store, |tx| {
        for id in ids {
            tx.put_epoch(id, &e(0), b"s")?;
        }
        Ok(())
    });
    let expected: Vec<Vec<u8>> = [b"\x00".as_slice(), b"a", b"a\xff", b"b"]
        .map(<[u8]>::to_vec)
        .into();
    assert_eq!(store.groups().unwrap(), expected);
}

fn transaction_reads_its_own_writes<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1], 1);
    let mut tx = store.transaction().unwrap();
    tx.put_epoch(G, &e(2), b"two").unwrap();
    tx.set_current_epoch(G, Some(&e(2))).unwrap();
    tx.delete_epoch(G, &e(1)).unwrap();
    tx.put_key_package(b"kp", b"private", false).unwrap();
    assert_eq!(tx.current_epoch(G).unwrap(), Some(e(2).to_vec()));
    let (id, current) = tx.current_epoch_state(G).unwrap().unwrap();
    assert_eq!((id, current.as_bytes()), (e(2).to_vec(), b"two".as_slice()));
    assert_eq!(tx.epochs(G).unwrap(), vec![info(2, true)]);
    assert_eq!(tx.key_package_refs().unwrap(), vec![b"kp".to_vec()]);
    tx.commit().unwrap();
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(2).to_vec()));
    assert_eq!(store.epochs(G).unwrap(), vec![info(2, true)]);
    assert_eq!(store.key_package_refs().unwrap(), vec![b"kp".to_vec()]);
}

/// A group as a snapshot sees it: id, current epoch, epochs with their states.
type GroupSnapshot = (Vec<u8>, Option<Vec<u8>>, Vec<(EpochInfo, Option<Secret>)>);

/// Everything a store holds (PSKs by the ids given, since they are not listed).
#[derive(Debug, PartialEq)]
struct Snapshot {
    groups: Vec<GroupSnapshot>,
    key_packages: Vec<(Vec<u8>, Option<KeyPackageRecord>)>,
    psks: Vec<Option<Secret>>,
    signature_keys: Vec<(SignatureScheme, Vec<u8>, Secret)>,
}

fn snapshot(store: &impl StoreRead, psk_ids: &[&[u8]]) -> Snapshot {
    let groups = store.groups().unwrap().into_iter().map(|group| {
        let epochs = store.epochs(&group).unwrap().into_iter().map(|epoch| {
            let state = store.epoch_state(&group, &epoch.epoch_id).unwrap();
            (epoch, state)
        });
        (
            group.clone(),
            store.current_epoch(&group).unwrap(),
            epochs.collect(),
        )
    });
    let key_packages = store.key_package_refs().unwrap().into_iter().map(|kp_ref| {
        let record = store.key_package(&kp_ref).unwrap();
        (kp_ref, record)
    });
    let signature_keys = store
        .signature_public_keys()
        .unwrap()
        .into_iter()
        .map(|(scheme, pk)| {
            let stored = store.signature_key_pair(&pk).unwrap().unwrap();
            assert_eq!((stored.scheme, &stored.key_pair.public_key), (scheme, &pk));
            (scheme, pk, stored.key_pair.private_key)
        });
    Snapshot {
        groups: groups.collect(),
        key_packages: key_packages.collect(),
        psks: psk_ids.iter().map(|id| store.psk(id).unwrap()).collect(),
        signature_keys: signature_keys.collect(),
    }
}

fn key_pair(public_key: &[u8], private_key: &[u8]) -> SignatureKeyPair {
    SignatureKeyPair {
        private_key: Secret::from_slice(private_key),
        public_key: public_key.to_vec(),
    }
}

fn dropped_transaction_rolls_back_every_write<S: GroupStore>(store: &mut S) {
    group_at(store, G, &[1, 2, 3], 2);
    group_at(store, H, &[1], 1);
    commit(store, |tx| {
        tx.set_epoch_live(G, &e(3), true)?;
        tx.put_key_package(b"kp-once", b"one", false)?;
        tx.put_key_package(b"kp-last", b"last", true)?;
        tx.put_key_package(b"kp-old", b"old", false)?;
        tx.put_psk(b"psk-1", b"p1")?;
        tx.put_psk(b"psk-2", b"p2")?;
        tx.put_signature_key_pair(SignatureScheme::ED25519, &key_pair(b"pk-1", b"sk-1"))
    });
    let psk_ids: [&[u8]; 3] = [b"psk-1", b"psk-2", b"psk-new"];
    let before = snapshot(store, &psk_ids);

    let mut tx = store.transaction().unwrap();
    tx.put_epoch(G, &e(4), b"four").unwrap();
    tx.put_epoch(G, &e(2), b"rewritten").unwrap();
    tx.set_current_epoch(G, Some(&e(4))).unwrap();
    tx.set_epoch_live(G, &e(3), false).unwrap();
    tx.set_epoch_live(G, &e(1), true).unwrap();
    assert!(tx.delete_epoch(G, &e(2)).unwrap());
    assert!(tx.delete_group(H).unwrap());
    tx.put_epoch(b"group-new", &e(1), b"new").unwrap();
    tx.set_current_epoch(b"group-new", Some(&e(1))).unwrap();
    assert!(tx.take_key_package(b"kp-once").unwrap().is_some());
    assert!(tx.take_key_package(b"kp-last").unwrap().is_some());
    tx.put_key_package(b"kp-last", b"replaced", false).unwrap();
    assert!(tx.delete_key_package(b"kp-old").unwrap());
    tx.put_key_package(b"kp-new", b"new", false).unwrap();
    tx.put_psk(b"psk-1", b"replaced").unwrap();
    assert!(tx.delete_psk(b"psk-2").unwrap());
    tx.put_psk(b"psk-new", b"new").unwrap();
    assert!(tx.delete_signature_key_pair(b"pk-1").unwrap());
    tx.put_signature_key_pair(SignatureScheme::ED448, &key_pair(b"pk-2", b"sk-2"))
        .unwrap();
    assert_ne!(
        snapshot(&tx, &psk_ids),
        before,
        "the writes are visible in the transaction"
    );
    drop(tx);

    assert_eq!(snapshot(store, &psk_ids), before);
    // The store is usable afterwards, and new epochs still list after the old ones.
    commit(store, |tx| tx.put_epoch(G, &e(5), b"five"));
    let order: Vec<Vec<u8>> = store
        .epochs(G)
        .unwrap()
        .into_iter()
        .map(|i| i.epoch_id)
        .collect();
    assert_eq!(order, [1, 2, 3, 5].map(|n| e(n).to_vec()));
}

fn key_packages_are_taken_once<S: GroupStore>(store: &mut S) {
    commit(store, |tx| {
        tx.put_key_package(b"kp-1", b"private-1", false)?;
        tx.put_key_package(b"kp-0", b"private-0", false)
    });
    assert_eq!(
        store.key_package_refs().unwrap(),
        vec![b"kp-0".to_vec(), b"kp-1".to_vec()]
    );
    let record = store.key_package(b"kp-1").unwrap().unwrap();
    assert_eq!(record.private_material.as_bytes(), b"private-1");
    assert!(!record.last_resort);

    // Joining: the KeyPackage is taken in the transaction that stores the new group.
    let mut tx = store.transaction().unwrap();
    let taken = tx.take_key_package(b"kp-1").unwrap().unwrap();
    assert_eq!(taken, record);
    assert_eq!(tx.take_key_package(b"kp-1").unwrap(), None, "one use only");
    tx.put_epoch(G, &e(0), b"joined").unwrap();
    tx.set_current_epoch(G, Some(&e(0))).unwrap();
    tx.commit().unwrap();
    assert_eq!(store.key_package(b"kp-1").unwrap(), None);
    assert_eq!(store.key_package_refs().unwrap(), vec![b"kp-0".to_vec()]);
    commit(store, |tx| {
        assert_eq!(tx.take_key_package(b"kp-1")?, None);
        assert_eq!(tx.take_key_package(b"missing")?, None);
        Ok(())
    });
}

fn last_resort_key_packages_survive_use<S: GroupStore>(store: &mut S) {
    commit(store, |tx| tx.put_key_package(b"kp", b"last", true));
    for _ in 0..2 {
        commit(store, |tx| {
            let record = tx.take_key_package(b"kp")?.unwrap();
            assert_eq!(record.private_material.as_bytes(), b"last");
            assert!(record.last_resort);
            Ok(())
        });
    }
    assert_eq!(store.key_package_refs().unwrap(), vec![b"kp".to_vec()]);
    commit(store, |tx| {
        assert!(tx.delete_key_package(b"kp")?);
        assert!(!tx.delete_key_package(b"kp")?);
        Ok(())
    });
    assert!(store.key_package_refs().unwrap().is_empty());
}

fn key_packages_are_replaced_by_ref<S: GroupStore>(store: &mut S) {
    commit(store, |tx| tx.put_key_package(b"kp", b"first", true));
    commit(store, |tx| tx.put_key_package(b"kp", b"second", false));
    let record = store.key_package(b"kp").unwrap().unwrap();
    assert_eq!(record.private_material.as_bytes(), b"second");
    assert!(!record.last_resort);
    assert_eq!(store.key_package_refs().unwrap(), vec![b"kp".to_vec()]);
}

fn psks_are_stored_by_id<S: GroupStore>(store: &mut S) {
    commit(store, |tx| {
        tx.put_psk(b"id-1", b"secret-1")?;
        tx.put_psk(b"id-2", b"secret-2")
    });
    assert_eq!(store.psk(b"id-1").unwrap().unwrap().as_bytes(), b"secret-1");
    commit(store, |tx| {
        tx.put_psk(b"id-1", b"secret-1b")?;
        assert!(tx.delete_psk(b"id-2")?);
        assert!(!tx.delete_psk(b"id-2")?);
        Ok(())
    });
    assert_eq!(
        store.psk(b"id-1").unwrap().unwrap().as_bytes(),
        b"secret-1b"
    );
    assert_eq!(store.psk(b"id-2").unwrap(), None);
}

fn signature_key_pairs_are_stored_by_public_key<S: GroupStore>(store: &mut S) {
    let ecdsa = SignatureScheme::ECDSA_SECP256R1_SHA256;
    commit(store, |tx| {
        tx.put_signature_key_pair(SignatureScheme::ED25519, &key_pair(b"pk-b", b"sk-b"))?;
        tx.put_signature_key_pair(ecdsa, &key_pair(b"pk-a", b"sk-a"))?;
        tx.put_signature_key_pair(SignatureScheme(0xfe01), &key_pair(b"pk-c", b"sk-c"))
    });
    assert_eq!(
        store.signature_public_keys().unwrap(),
        vec![
            (ecdsa, b"pk-a".to_vec()),
            (SignatureScheme::ED25519, b"pk-b".to_vec()),
            (SignatureScheme(0xfe01), b"pk-c".to_vec()),
        ]
    );
    let stored = store.signature_key_pair(b"pk-a").unwrap().unwrap();
    assert_eq!(stored.scheme, ecdsa);
    assert_eq!(stored.key_pair.public_key, b"pk-a");
    assert_eq!(stored.key_pair.private_key.as_bytes(), b"sk-a");
    commit(store, |tx| {
        assert!(tx.delete_signature_key_pair(b"pk-a")?);
        assert!(!tx.delete_signature_key_pair(b"pk-a")?);
        tx.put_signature_key_pair(SignatureScheme::ED448, &key_pair(b"pk-b", b"sk-b2"))
    });
    assert!(store.signature_key_pair(b"pk-a").unwrap().is_none());
    let replaced = store.signature_key_pair(b"pk-b").unwrap().unwrap();
    assert_eq!(replaced.scheme, SignatureScheme::ED448);
    assert_eq!(replaced.key_pair.private_key.as_bytes(), b"sk-b2");
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $test() {
                super::$test(&mut braid_storage::MemoryStore::new());
            })*
        }
        mod sqlite {
            $(#[test]
            fn $test() {
                let dir = tempfile::tempdir().unwrap();
                let mut store = braid_storage::SqliteStore::open(dir.path().join("store.db")).unwrap();
                super::$test(&mut store);
            })*
        }
    };
}

conformance!(
    empty_store_has_nothing,
    epoch_states_round_trip_exactly,
    epochs_are_listed_in_write_order,
    put_epoch_replaces_state_and_keeps_liveness,
    current_epoch_is_live_and_moves,
    missing_epochs_are_errors_that_change_nothing,
    current_epoch_cannot_be_deleted_or_unlived,
    retention_deletes_past_epochs,
    forks_keep_several_live_epochs,
    delete_group_removes_only_that_group,
    groups_are_listed_in_byte_order,
    transaction_reads_its_own_writes,
    dropped_transaction_rolls_back_every_write,
    key_packages_are_taken_once,
    last_resort_key_packages_survive_use,
    key_packages_are_replaced_by_ref,
    psks_are_stored_by_id,
    signature_key_pairs_are_stored_by_public_key,
);

/// The two backends are interchangeable: the same writes leave the same snapshot.
#[test]
fn backends_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(dir.path().join("store.db")).unwrap();
    let mut memory = MemoryStore::new();
    fn scenario<S: GroupStore>(store: &mut S) -> Snapshot {
        group_at(store, G, &[1, 2, 3], 3);
        group_at(store, H, &[7], 7);
        commit(store, |tx| {
            tx.delete_epoch(G, &e(1))?;
            tx.put_key_package(b"kp", b"x", false)?;
            tx.put_psk(b"psk", b"y")?;
            tx.put_signature_key_pair(SignatureScheme::ED25519, &key_pair(b"pk", b"sk"))
        });
        snapshot(store, &[b"psk"])
    }
    assert_eq!(scenario(&mut sqlite), scenario(&mut memory));
}
