//! The SQLite backend, braid's default store (see the crate docs for what is stored: RFC 9420
//! §8.1 epochs, §5.2 `KeyPackageRef`s, §8.4 PSKs, §9.2 deletion schedule).
//!
//! # Durability and concurrency
//!
//! - `journal_mode = WAL`: readers never block the writer and see the last committed snapshot
//!   while a transaction is open; a commit is one append to the write-ahead log, so a process
//!   killed at any point leaves either the whole transaction or none of it.
//! - `synchronous = FULL`: every commit is fsynced before [`StoreTransaction::commit`] returns.
//!   `NORMAL` would still be atomic after a crash, but a power loss could forget the last
//!   commits; for MLS that means coming back at an epoch the group has left, or reusing
//!   secret-tree keys and nonces the lost commit had consumed. One fsync per commit is the price.
//! - `secure_delete = ON`: deleted and replaced states are overwritten with zeros in the database
//!   file, so deleting a past epoch removes its secrets from the file (RFC 9420 §9.2), not only
//!   from the index. (Copies in the write-ahead log last until the log is overwritten.)
//! - `foreign_keys = ON`: the current epoch of a group must be a stored epoch of that group, and
//!   epochs belong to a stored group; the checks are deferred to commit.
//! - Transactions are `BEGIN IMMEDIATE`: a transaction takes the write lock when it begins, so
//!   two writers never deadlock upgrading a read lock; a second writer waits up to the busy
//!   timeout ([`SqliteConfig::busy_timeout`]) and then fails with [`StorageError::Busy`].
//!
//! Several [`SqliteStore`]s (in one process or in several) may open the same file.

mod schema;

use std::path::Path;
use std::time::{Duration, Instant};

use braid_crypto::{Secret, SignatureKeyPair, SignatureScheme};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Params, Row, Transaction, TransactionBehavior,
};

use crate::error::BackendError;
use crate::store::delegate_store_read;
use crate::{
    EpochInfo, GroupStore, KeyPackageRecord, Result, StorageError, StoreRead, StoreTransaction,
    StoredSignatureKeyPair, RECORD_FORMAT_VERSION,
};

/// Settings of a [`SqliteStore`].
#[derive(Clone, Debug)]
pub struct SqliteConfig {
    /// How long a writer waits for another writer's transaction to end before failing with
    /// [`StorageError::Busy`]. Default: 5 seconds.
    pub busy_timeout: Duration,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A store in an SQLite database file: braid's default backend.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// The schema version this code writes. Opening a database with an older version migrates
    /// it; a newer version is [`StorageError::SchemaTooNew`].
    pub const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;

    /// Opens (creating it if needed) the database at `path` with the default
    /// [`SqliteConfig`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &SqliteConfig::default())
    }

    /// Opens (creating it if needed) the database at `path`, configures the connection and
    /// brings the schema to [`Self::SCHEMA_VERSION`].
    pub fn open_with(path: impl AsRef<Path>, config: &SqliteConfig) -> Result<Self> {
        let path = path.as_ref();
        let mut conn = connect(path, config).map_err(|source| StorageError::Open {
            path: path.to_owned(),
            source,
        })?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn })
    }
}

/// More than the number of distinct statements this module prepares.
const STATEMENT_CACHE_CAPACITY: usize = 32;

/// Opens a connection and sets the pragmas the module docs describe.
fn connect(path: &Path, config: &SqliteConfig) -> std::result::Result<Connection, BackendError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(config.busy_timeout)?;
    enable_wal(&conn, config.busy_timeout)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(conn)
}

/// Switches the database to WAL mode (a persistent setting: a no-op once done).
///
/// The switch needs the database to itself, and SQLite reports a concurrent connection with
/// `SQLITE_BUSY` at once instead of calling the busy handler, so this retries until `timeout`.
fn enable_wal(conn: &Connection, timeout: Duration) -> std::result::Result<(), BackendError> {
    let deadline = Instant::now() + timeout;
    loop {
        match conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(
                    format!("the database refused WAL mode (journal_mode is {mode})").into(),
                )
            }
            Err(error)
                if error.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Maps an SQLite error to [`StorageError::Busy`] if another writer holds the lock, to
/// [`StorageError::Backend`] otherwise.
fn sqlite_error(context: &'static str) -> impl Fn(rusqlite::Error) -> StorageError {
    move |error| match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StorageError::Busy {
            context,
            source: Box::new(error),
        },
        _ => StorageError::Backend {
            context,
            source: Box::new(error),
        },
    }
}

/// [`StorageError::UnsupportedRecordFormat`] unless `format` is the one this code reads.
fn check_format(table: &'static str, format: i64) -> Result<()> {
    if format == RECORD_FORMAT_VERSION {
        Ok(())
    } else {
        Err(StorageError::UnsupportedRecordFormat {
            table,
            found: format,
            supported: RECORD_FORMAT_VERSION,
        })
    }
}

fn signature_scheme(value: i64) -> Result<SignatureScheme> {
    u16::try_from(value)
        .map(SignatureScheme)
        .map_err(|_| StorageError::Corrupt(format!("signature scheme {value} is not a u16")))
}

fn epoch_not_found(group_id: &[u8], epoch_id: &[u8]) -> StorageError {
    StorageError::EpochNotFound {
        group_id: group_id.to_vec(),
        epoch_id: epoch_id.to_vec(),
    }
}

/// The reads, on a connection or inside a transaction (which derefs to its connection).
struct SqliteReads<'c>(&'c Connection);

impl SqliteReads<'_> {
    /// Runs a query expected to return at most one row.
    fn one<T>(
        &self,
        context: &'static str,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        self.0
            .prepare_cached(sql)
            .and_then(|mut statement| statement.query_row(params, map).optional())
            .map_err(sqlite_error(context))
    }

    /// Runs a query and collects its rows.
    fn all<T>(
        &self,
        context: &'static str,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        self.0
            .prepare_cached(sql)
            .and_then(|mut statement| statement.query_map(params, map)?.collect())
            .map_err(sqlite_error(context))
    }
}

impl StoreRead for SqliteReads<'_> {
    fn groups(&self) -> Result<Vec<Vec<u8>>> {
        self.all(
            "listing groups",
            "SELECT group_id FROM braid_groups ORDER BY group_id",
            [],
            |row| row.get(0),
        )
    }

    fn current_epoch(&self, group_id: &[u8]) -> Result<Option<Vec<u8>>> {
        let row = self.one(
            "reading the current epoch",
            "SELECT format, current_epoch FROM braid_groups WHERE group_id = ?1",
            [group_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let Some((format, current)) = row else {
            return Ok(None);
        };
        check_format("braid_groups", format)?;
        Ok(current)
    }

    fn current_epoch_state(&self, group_id: &[u8]) -> Result<Option<(Vec<u8>, Secret)>> {
        type CurrentRow = (i64, Option<Vec<u8>>, Option<i64>, Option<Vec<u8>>);
        let row: Option<CurrentRow> = self.one(
            "reading the current epoch state",
            "SELECT g.format, g.current_epoch, e.format, e.state
             FROM braid_groups AS g
             LEFT JOIN braid_epochs AS e
                 ON e.group_id = g.group_id AND e.epoch_id = g.current_epoch
             WHERE g.group_id = ?1",
            [group_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        let Some((group_format, current, epoch_format, state)) = row else {
            return Ok(None);
        };
        check_format("braid_groups", group_format)?;
        let Some(current) = current else {
            return Ok(None);
        };
        match (epoch_format, state) {
            (Some(format), Some(state)) => {
                check_format("braid_epochs", format)?;
                Ok(Some((current, Secret::new(state))))
            }
            _ => Err(StorageError::Corrupt(format!(
                "the current epoch {} of group {} has no state",
                hex::encode(&current),
                hex::encode(group_id)
            ))),
        }
    }

    fn epochs(&self, group_id: &[u8]) -> Result<Vec<EpochInfo>> {
        let rows: Vec<(i64, EpochInfo)> = self.all(
            "listing epochs",
            "SELECT format, epoch_id, live FROM braid_epochs WHERE group_id = ?1 ORDER BY seq",
            [group_id],
            |row| {
                let info = EpochInfo {
                    epoch_id: row.get(1)?,
                    live: row.get(2)?,
                };
                Ok((row.get(0)?, info))
            },
        )?;
        rows.into_iter()
            .map(|(format, info)| check_format("braid_epochs", format).map(|()| info))
            .collect()
    }

    fn epoch_state(&self, group_id: &[u8], epoch_id: &[u8]) -> Result<Option<Secret>> {
        let row = self.one(
            "reading an epoch state",
            "SELECT format, state FROM braid_epochs WHERE group_id = ?1 AND epoch_id = ?2",
            [group_id, epoch_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        row.map(|(format, state)| {
            check_format("braid_epochs", format)?;
            Ok(Secret::new(state))
        })
        .transpose()
    }

    fn key_package(&self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>> {
        let row = self.one(
            "reading a KeyPackage",
            "SELECT format, last_resort, private_material FROM braid_key_packages
             WHERE key_package_ref = ?1",
            [key_package_ref],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        row.map(|(format, last_resort, private_material)| {
            check_format("braid_key_packages", format)?;
            Ok(KeyPackageRecord {
                private_material: Secret::new(private_material),
                last_resort,
            })
        })
        .transpose()
    }

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>> {
        self.all(
            "listing KeyPackages",
            "SELECT key_package_ref FROM braid_key_packages ORDER BY key_package_ref",
            [],
            |row| row.get(0),
        )
    }

    fn psk(&self, psk_id: &[u8]) -> Result<Option<Secret>> {
        let row = self.one(
            "reading a PSK",
            "SELECT format, psk FROM braid_psks WHERE psk_id = ?1",
            [psk_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        row.map(|(format, psk)| {
            check_format("braid_psks", format)?;
            Ok(Secret::new(psk))
        })
        .transpose()
    }

    fn signature_key_pair(&self, public_key: &[u8]) -> Result<Option<StoredSignatureKeyPair>> {
        let row = self.one(
            "reading a signature key pair",
            "SELECT format, scheme, private_key FROM braid_signature_keys WHERE public_key = ?1",
            [public_key],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        row.map(|(format, scheme, private_key)| {
            check_format("braid_signature_keys", format)?;
            Ok(StoredSignatureKeyPair {
                scheme: signature_scheme(scheme)?,
                key_pair: SignatureKeyPair {
                    private_key: Secret::new(private_key),
                    public_key: public_key.to_vec(),
                },
            })
        })
        .transpose()
    }

    fn signature_public_keys(&self) -> Result<Vec<(SignatureScheme, Vec<u8>)>> {
        let rows: Vec<(i64, i64, Vec<u8>)> = self.all(
            "listing signature keys",
            "SELECT format, scheme, public_key FROM braid_signature_keys ORDER BY public_key",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        rows.into_iter()
            .map(|(format, scheme, public_key)| {
                check_format("braid_signature_keys", format)?;
                Ok((signature_scheme(scheme)?, public_key))
            })
            .collect()
    }
}

delegate_store_read!(SqliteStore, |this| SqliteReads(&this.conn));

impl GroupStore for SqliteStore {
    type Transaction<'a> = SqliteTransaction<'a>;

    fn transaction(&mut self) -> Result<SqliteTransaction<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite_error("beginning a transaction"))?;
        Ok(SqliteTransaction { tx })
    }
}

/// A transaction on a [`SqliteStore`] (`BEGIN IMMEDIATE`); dropping it without
/// [`commit`](StoreTransaction::commit) rolls it back.
#[derive(Debug)]
pub struct SqliteTransaction<'a> {
    tx: Transaction<'a>,
}

delegate_store_read!(SqliteTransaction<'_>, |this| SqliteReads(&this.tx));

impl SqliteTransaction<'_> {
    /// Runs one write statement; returns the number of rows it changed.
    fn execute(&self, context: &'static str, sql: &str, params: impl Params) -> Result<usize> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map_err(sqlite_error(context))
    }

    /// `CurrentEpoch` if `epoch_id` is the group's current epoch.
    fn check_not_current(
        &self,
        group_id: &[u8],
        epoch_id: &[u8],
        action: &'static str,
    ) -> Result<()> {
        if self.current_epoch(group_id)?.as_deref() == Some(epoch_id) {
            Err(StorageError::CurrentEpoch {
                group_id: group_id.to_vec(),
                epoch_id: epoch_id.to_vec(),
                action,
            })
        } else {
            Ok(())
        }
    }

    /// Sets the liveness of a stored epoch; `EpochNotFound` if it is not stored.
    fn set_live(&self, group_id: &[u8], epoch_id: &[u8], live: bool) -> Result<()> {
        let changed = self.execute(
            "setting an epoch's liveness",
            "UPDATE braid_epochs SET live = ?3 WHERE group_id = ?1 AND epoch_id = ?2",
            (group_id, epoch_id, live),
        )?;
        if changed == 0 {
            return Err(epoch_not_found(group_id, epoch_id));
        }
        Ok(())
    }
}

impl StoreTransaction for SqliteTransaction<'_> {
    fn put_epoch(&mut self, group_id: &[u8], epoch_id: &[u8], state: &[u8]) -> Result<()> {
        self.execute(
            "storing a group",
            "INSERT INTO braid_groups (group_id, format) VALUES (?1, ?2)
             ON CONFLICT (group_id) DO NOTHING",
            (group_id, RECORD_FORMAT_VERSION),
        )?;
        self.execute(
            "storing an epoch state",
            "INSERT INTO braid_epochs (group_id, epoch_id, format, live, state)
             VALUES (?1, ?2, ?3, 0, ?4)
             ON CONFLICT (group_id, epoch_id)
             DO UPDATE SET format = excluded.format, state = excluded.state",
            (group_id, epoch_id, RECORD_FORMAT_VERSION, state),
        )?;
        Ok(())
    }

    fn set_current_epoch(&mut self, group_id: &[u8], epoch_id: Option<&[u8]>) -> Result<()> {
        if let Some(epoch_id) = epoch_id {
            self.set_live(group_id, epoch_id, true)?;
        }
        self.execute(
            "setting the current epoch",
            "UPDATE braid_groups SET current_epoch = ?2 WHERE group_id = ?1",
            (group_id, epoch_id),
        )?;
        Ok(())
    }

    fn set_epoch_live(&mut self, group_id: &[u8], epoch_id: &[u8], live: bool) -> Result<()> {
        if !live {
            self.check_not_current(group_id, epoch_id, "removed from the live set")?;
        }
        self.set_live(group_id, epoch_id, live)
    }

    fn delete_epoch(&mut self, group_id: &[u8], epoch_id: &[u8]) -> Result<bool> {
        self.check_not_current(group_id, epoch_id, "deleted")?;
        let deleted = self.execute(
            "deleting an epoch",
            "DELETE FROM braid_epochs WHERE group_id = ?1 AND epoch_id = ?2",
            [group_id, epoch_id],
        )?;
        Ok(deleted > 0)
    }

    fn delete_group(&mut self, group_id: &[u8]) -> Result<bool> {
        // Its epochs go with it (ON DELETE CASCADE).
        let deleted = self.execute(
            "deleting a group",
            "DELETE FROM braid_groups WHERE group_id = ?1",
            [group_id],
        )?;
        Ok(deleted > 0)
    }

    fn put_key_package(
        &mut self,
        key_package_ref: &[u8],
        private_material: &[u8],
        last_resort: bool,
    ) -> Result<()> {
        self.execute(
            "storing a KeyPackage",
            "INSERT OR REPLACE INTO braid_key_packages
             (key_package_ref, format, last_resort, private_material) VALUES (?1, ?2, ?3, ?4)",
            (
                key_package_ref,
                RECORD_FORMAT_VERSION,
                last_resort,
                private_material,
            ),
        )?;
        Ok(())
    }

    fn take_key_package(&mut self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>> {
        let record = self.key_package(key_package_ref)?;
        if record.as_ref().is_some_and(|record| !record.last_resort) {
            self.delete_key_package(key_package_ref)?;
        }
        Ok(record)
    }

    fn delete_key_package(&mut self, key_package_ref: &[u8]) -> Result<bool> {
        let deleted = self.execute(
            "deleting a KeyPackage",
            "DELETE FROM braid_key_packages WHERE key_package_ref = ?1",
            [key_package_ref],
        )?;
        Ok(deleted > 0)
    }

    fn put_psk(&mut self, psk_id: &[u8], psk: &[u8]) -> Result<()> {
        self.execute(
            "storing a PSK",
            "INSERT OR REPLACE INTO braid_psks (psk_id, format, psk) VALUES (?1, ?2, ?3)",
            (psk_id, RECORD_FORMAT_VERSION, psk),
        )?;
        Ok(())
    }

    fn delete_psk(&mut self, psk_id: &[u8]) -> Result<bool> {
        let deleted = self.execute(
            "deleting a PSK",
            "DELETE FROM braid_psks WHERE psk_id = ?1",
            [psk_id],
        )?;
        Ok(deleted > 0)
    }

    fn put_signature_key_pair(
        &mut self,
        scheme: SignatureScheme,
        key_pair: &SignatureKeyPair,
    ) -> Result<()> {
        self.execute(
            "storing a signature key pair",
            "INSERT OR REPLACE INTO braid_signature_keys (public_key, format, scheme, private_key)
             VALUES (?1, ?2, ?3, ?4)",
            (
                key_pair.public_key.as_slice(),
                RECORD_FORMAT_VERSION,
                scheme.0,
                key_pair.private_key.as_bytes(),
            ),
        )?;
        Ok(())
    }

    fn delete_signature_key_pair(&mut self, public_key: &[u8]) -> Result<bool> {
        let deleted = self.execute(
            "deleting a signature key pair",
            "DELETE FROM braid_signature_keys WHERE public_key = ?1",
            [public_key],
        )?;
        Ok(deleted > 0)
    }

    fn commit(self) -> Result<()> {
        self.tx.commit().map_err(sqlite_error("committing"))
    }
}
