//! The SQLite schema and its migrations.
//!
//! The schema version lives in the one-row table `braid_schema`; a database without that table is
//! version 0 (empty, or an application's own database that braid's tables join). Migration `i`
//! in [`MIGRATIONS`] takes version `i` to `i + 1`; opening a database runs the missing ones in one
//! `BEGIN IMMEDIATE` transaction, so a process killed while migrating leaves the old version and
//! two processes opening the same database migrate it once.
//!
//! Rows of the value tables also carry a `format` column ([`crate::RECORD_FORMAT_VERSION`]), so a
//! migration may convert records lazily or a reader may refuse one it does not know.
//!
//! Tables are `STRICT` (SQLite checks column types on write) and named `braid_*` so they can live
//! in an application's database.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::sqlite_error;
use crate::{Result, StorageError};

/// Version 0 → 1: the first schema.
///
/// `braid_epochs.seq` (the rowid) orders a group's epochs by first write; an upsert keeps it.
/// The current epoch of a group references its epoch row (deferred: checked at commit, so a
/// transaction may move it in any order), and epochs belong to their group row.
const V1: &str = "
CREATE TABLE braid_schema (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;

CREATE TABLE braid_groups (
    group_id BLOB PRIMARY KEY NOT NULL,
    format INTEGER NOT NULL,
    current_epoch BLOB,
    FOREIGN KEY (group_id, current_epoch) REFERENCES braid_epochs (group_id, epoch_id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE braid_epochs (
    seq INTEGER PRIMARY KEY,
    group_id BLOB NOT NULL REFERENCES braid_groups (group_id) ON DELETE CASCADE,
    epoch_id BLOB NOT NULL,
    format INTEGER NOT NULL,
    live INTEGER NOT NULL CHECK (live IN (0, 1)),
    state BLOB NOT NULL,
    UNIQUE (group_id, epoch_id)
) STRICT;

CREATE TABLE braid_key_packages (
    key_package_ref BLOB PRIMARY KEY NOT NULL,
    format INTEGER NOT NULL,
    last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
    private_material BLOB NOT NULL
) STRICT;

CREATE TABLE braid_psks (
    psk_id BLOB PRIMARY KEY NOT NULL,
    format INTEGER NOT NULL,
    psk BLOB NOT NULL
) STRICT;

CREATE TABLE braid_signature_keys (
    public_key BLOB PRIMARY KEY NOT NULL,
    format INTEGER NOT NULL,
    scheme INTEGER NOT NULL CHECK (scheme BETWEEN 0 AND 65535),
    private_key BLOB NOT NULL
) STRICT;
";

/// The migrations, in order: entry `i` upgrades schema version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1];

/// The schema version this code writes: the number of migrations.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], or fails if it is newer than that.
///
/// A database already at the current version is only read, so opening it does not wait for
/// another connection's write transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    if check_version(schema_version(conn)?)? == MIGRATIONS.len() {
        return Ok(());
    }
    let context = "migrating the schema";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(context))?;
    // Read again under the write lock: another connection may have migrated meanwhile.
    let from = check_version(schema_version(&tx)?)?;
    for migration in MIGRATIONS.iter().skip(from) {
        tx.execute_batch(migration).map_err(sqlite_error(context))?;
    }
    tx.execute(
        "INSERT INTO braid_schema (id, version) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        [SCHEMA_VERSION],
    )
    .map_err(sqlite_error(context))?;
    tx.commit().map_err(sqlite_error(context))
}

/// The number of migrations already applied to a database at version `found`; an error if this
/// code cannot open it.
fn check_version(found: i64) -> Result<usize> {
    if found > SCHEMA_VERSION {
        return Err(StorageError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    usize::try_from(found)
        .map_err(|_| StorageError::Corrupt(format!("negative schema version {found}")))
}

/// The database's schema version: 0 without braid's tables.
fn schema_version(conn: &Connection) -> Result<i64> {
    let context = "reading the schema version";
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'braid_schema')",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite_error(context))?;
    if !has_table {
        return Ok(0);
    }
    conn.query_row("SELECT version FROM braid_schema WHERE id = 1", [], |row| {
        row.get(0)
    })
    .optional()
    .map_err(sqlite_error(context))?
    .ok_or_else(|| StorageError::Corrupt("braid_schema has no version row".into()))
}
