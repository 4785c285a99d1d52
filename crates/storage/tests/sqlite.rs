//! What only the SQLite backend has: persistence across reopening, schema and record versions,
//! corruption reporting, several connections on one database, and secure deletion.

use std::path::{Path, PathBuf};
use std::time::Duration;

use braid_storage::{
    GroupStore, SqliteConfig, SqliteStore, StorageError, StoreRead, StoreTransaction,
    RECORD_FORMAT_VERSION,
};
use rusqlite::Connection;
use tempfile::TempDir;

const G: &[u8] = b"group";

fn e(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.db");
    (dir, path)
}

/// A store at `path` with group `G` at epoch 2 (epoch 1 kept), a KeyPackage, a PSK and a
/// signature key pair.
fn populate(path: &Path) {
    let mut store = SqliteStore::open(path).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.put_epoch(G, &e(1), b"state 1").unwrap();
    tx.put_epoch(G, &e(2), b"state 2").unwrap();
    tx.set_current_epoch(G, Some(&e(2))).unwrap();
    tx.put_key_package(b"kp", b"kp private", false).unwrap();
    tx.put_psk(b"psk", b"psk secret").unwrap();
    let key_pair = braid_storage::SignatureKeyPair {
        private_key: braid_storage::Secret::from_slice(b"sk"),
        public_key: b"pk".to_vec(),
    };
    tx.put_signature_key_pair(braid_storage::SignatureScheme::ED25519, &key_pair)
        .unwrap();
    tx.commit().unwrap();
}

/// A raw connection to tamper with the database the way a bug, an old or newer braid, or a disk
/// error would.
fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn state_survives_reopening() {
    let (_dir, path) = db();
    populate(&path);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.groups().unwrap(), vec![G.to_vec()]);
    let (id, state) = store.current_epoch_state(G).unwrap().unwrap();
    assert_eq!(
        (id, state.as_bytes()),
        (e(2).to_vec(), b"state 2".as_slice())
    );
    assert_eq!(
        store.epoch_state(G, &e(1)).unwrap().unwrap().as_bytes(),
        b"state 1"
    );
    assert_eq!(store.epochs(G).unwrap().len(), 2);
    assert!(store.key_package(b"kp").unwrap().is_some());
    assert!(store.psk(b"psk").unwrap().is_some());
    assert!(store.signature_key_pair(b"pk").unwrap().is_some());
}

#[test]
fn uncommitted_writes_do_not_survive_reopening() {
    let (_dir, path) = db();
    populate(&path);
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        tx.put_epoch(G, &e(3), b"state 3").unwrap();
        tx.set_current_epoch(G, Some(&e(3))).unwrap();
        tx.delete_epoch(G, &e(1)).unwrap();
        // Dropped: rolled back.
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(2).to_vec()));
    assert_eq!(store.epochs(G).unwrap().len(), 2);
    assert_eq!(store.epoch_state(G, &e(3)).unwrap(), None);
}

#[test]
fn database_is_in_wal_mode() {
    let (_dir, path) = db();
    let store = SqliteStore::open(&path).unwrap();
    drop(store);
    // journal_mode is persistent: a new connection sees WAL.
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn new_database_gets_the_current_schema_version() {
    let (_dir, path) = db();
    SqliteStore::open(&path).unwrap();
    let version: i64 = raw(&path)
        .query_row("SELECT version FROM braid_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteStore::SCHEMA_VERSION);
    assert_eq!(SqliteStore::SCHEMA_VERSION, 1);
}

#[test]
fn application_database_is_migrated_and_keeps_its_tables() {
    // Version 0: a database without braid's tables, here an application's own.
    let (_dir, path) = db();
    raw(&path)
        .execute_batch("CREATE TABLE app_settings (k TEXT, v TEXT); INSERT INTO app_settings VALUES ('a', 'b');")
        .unwrap();
    populate(&path);
    let conn = raw(&path);
    let app: String = conn
        .query_row("SELECT v FROM app_settings WHERE k = 'a'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(app, "b");
    let version: i64 = conn
        .query_row("SELECT version FROM braid_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteStore::SCHEMA_VERSION);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.current_epoch(G).unwrap(), Some(e(2).to_vec()));
}

#[test]
fn newer_schema_is_refused_and_left_alone() {
    let (_dir, path) = db();
    populate(&path);
    raw(&path)
        .execute(
            "UPDATE braid_schema SET version = ?1",
            [SqliteStore::SCHEMA_VERSION + 1],
        )
        .unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::SchemaTooNew { found, supported }
                if found == SqliteStore::SCHEMA_VERSION + 1 && supported == SqliteStore::SCHEMA_VERSION
        ),
        "{error:?}"
    );
    let version: i64 = raw(&path)
        .query_row("SELECT version FROM braid_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteStore::SCHEMA_VERSION + 1, "not downgraded");
}

#[test]
fn schema_table_without_version_is_corrupt() {
    let (_dir, path) = db();
    populate(&path);
    raw(&path).execute("DELETE FROM braid_schema", []).unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error:?}");
}

#[test]
fn negative_schema_version_is_corrupt() {
    let (_dir, path) = db();
    populate(&path);
    raw(&path)
        .execute("UPDATE braid_schema SET version = -1", [])
        .unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error:?}");
}

#[test]
fn records_of_an_unknown_format_are_refused() {
    type Read = fn(&SqliteStore) -> Result<(), StorageError>;
    let cases: [(&str, Read); 7] = [
        ("braid_groups", |s| s.current_epoch(G).map(drop)),
        ("braid_groups", |s| s.current_epoch_state(G).map(drop)),
        ("braid_epochs", |s| s.epoch_state(G, &e(1)).map(drop)),
        ("braid_epochs", |s| s.epochs(G).map(drop)),
        ("braid_key_packages", |s| s.key_package(b"kp").map(drop)),
        ("braid_psks", |s| s.psk(b"psk").map(drop)),
        ("braid_signature_keys", |s| {
            s.signature_key_pair(b"pk").map(drop)
        }),
    ];
    for (table, read) in cases {
        let (_dir, path) = db();
        populate(&path);
        let store = SqliteStore::open(&path).unwrap();
        read(&store).unwrap();
        raw(&path)
            .execute(
                &format!("UPDATE {table} SET format = ?1"),
                [RECORD_FORMAT_VERSION + 1],
            )
            .unwrap();
        let error = read(&store).unwrap_err();
        assert!(
            matches!(
                error,
                StorageError::UnsupportedRecordFormat { table: t, found, .. }
                    if t == table && found == RECORD_FORMAT_VERSION + 1
            ),
            "{table}: {error:?}"
        );
    }
}

#[test]
fn current_epoch_without_its_state_is_corrupt() {
    let (_dir, path) = db();
    populate(&path);
    let conn = raw(&path);
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute("DELETE FROM braid_epochs WHERE epoch_id = ?1", [e(2)])
        .unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let error = store.current_epoch_state(G).unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error:?}");
}

#[test]
fn wrongly_typed_values_are_errors() {
    let (_dir, path) = db();
    populate(&path);
    // STRICT tables refuse the write itself...
    let refused = raw(&path).execute("UPDATE braid_epochs SET state = 'text'", []);
    assert!(refused.is_err());
    // ...and a value of the right type but out of range is reported on read.
    let conn = raw(&path);
    conn.execute_batch("PRAGMA ignore_check_constraints = ON")
        .unwrap();
    conn.execute("UPDATE braid_signature_keys SET scheme = 70000", [])
        .unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let error = store.signature_key_pair(b"pk").unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error:?}");
    let error = store.signature_public_keys().unwrap_err();
    assert!(matches!(error, StorageError::Corrupt(_)), "{error:?}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_open_error() {
    let (_dir, path) = db();
    std::fs::write(&path, vec![0xa5; 8192]).unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(&error, StorageError::Open { path: p, .. } if p == &path),
        "{error:?}"
    );
}

#[test]
fn readers_see_the_last_commit_while_a_writer_is_in_a_transaction() {
    let (_dir, path) = db();
    populate(&path);
    let mut writer = SqliteStore::open(&path).unwrap();
    let reader = SqliteStore::open(&path).unwrap();

    let mut tx = writer.transaction().unwrap();
    tx.put_epoch(G, &e(3), b"state 3").unwrap();
    tx.set_current_epoch(G, Some(&e(3))).unwrap();
    tx.delete_epoch(G, &e(1)).unwrap();
    // The reader is not blocked and sees the committed state only.
    let (id, state) = reader.current_epoch_state(G).unwrap().unwrap();
    assert_eq!(
        (id, state.as_bytes()),
        (e(2).to_vec(), b"state 2".as_slice())
    );
    assert_eq!(
        reader.epoch_state(G, &e(1)).unwrap().unwrap().as_bytes(),
        b"state 1"
    );
    assert_eq!(reader.epoch_state(G, &e(3)).unwrap(), None);
    tx.commit().unwrap();

    let (id, state) = reader.current_epoch_state(G).unwrap().unwrap();
    assert_eq!(
        (id, state.as_bytes()),
        (e(3).to_vec(), b"state 3".as_slice())
    );
    assert_eq!(reader.epoch_state(G, &e(1)).unwrap(), None);
}

#[test]
fn a_second_writer_is_busy_until_the_first_one_ends() {
    let (_dir, path) = db();
    populate(&path);
    let config = SqliteConfig {
        busy_timeout: Duration::from_millis(20),
    };
    let mut first = SqliteStore::open_with(&path, &config).unwrap();
    let mut second = SqliteStore::open_with(&path, &config).unwrap();

    let tx = first.transaction().unwrap();
    let error = second.transaction().unwrap_err();
    assert!(matches!(error, StorageError::Busy { .. }), "{error:?}");
    drop(tx);

    let mut tx = second.transaction().unwrap();
    tx.put_epoch(G, &e(3), b"state 3").unwrap();
    tx.commit().unwrap();
    assert!(first.epoch_state(G, &e(3)).unwrap().is_some());
}

#[test]
fn deleted_states_are_erased_from_the_file() {
    let (_dir, path) = db();
    let marker: Vec<u8> = b"EPOCH-SECRET-MARKER-".repeat(2000);
    let contains_marker = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        bytes.windows(20).any(|window| window == &marker[..20])
    };
    let checkpoint = |path: &Path| {
        raw(path)
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    };

    let mut store = SqliteStore::open(&path).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.put_epoch(G, &e(1), &marker).unwrap();
    tx.put_epoch(G, &e(2), b"state 2").unwrap();
    tx.set_current_epoch(G, Some(&e(2))).unwrap();
    tx.commit().unwrap();
    checkpoint(&path);
    assert!(
        contains_marker(&path),
        "the state is in the file before deletion"
    );

    let mut tx = store.transaction().unwrap();
    assert!(tx.delete_epoch(G, &e(1)).unwrap());
    tx.commit().unwrap();
    checkpoint(&path);
    assert!(
        !contains_marker(&path),
        "deleted state left in the database file"
    );
    let wal = path.with_extension("db-wal");
    assert!(
        !wal.exists() || !contains_marker(&wal),
        "deleted state left in the WAL"
    );
}

#[test]
fn opening_does_not_wait_for_a_writer() {
    let (_dir, path) = db();
    populate(&path);
    let mut writer = SqliteStore::open(&path).unwrap();
    let _tx = writer.transaction().unwrap();
    let config = SqliteConfig {
        busy_timeout: Duration::from_millis(1),
    };
    let reader = SqliteStore::open_with(&path, &config).unwrap();
    assert_eq!(reader.current_epoch(G).unwrap(), Some(e(2).to_vec()));
}

#[test]
fn concurrent_first_opens_migrate_once() {
    for _ in 0..10 {
        let (_dir, path) = db();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || SqliteStore::open(path).map(drop))
            })
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
        let version: i64 = raw(&path)
            .query_row("SELECT version FROM braid_schema", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, SqliteStore::SCHEMA_VERSION);
    }
}
