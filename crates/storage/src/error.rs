//! Storage errors. Ids in messages are hex-encoded.

use std::error::Error as StdError;
use std::path::PathBuf;

use thiserror::Error;

/// A backend's own error (SQLite's, a server database's), boxed so the trait names no backend.
pub type BackendError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a storage operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An operation named an epoch that is not stored.
    #[error("epoch {} of group {} is not stored", hex::encode(.epoch_id), hex::encode(.group_id))]
    EpochNotFound {
        /// The group id.
        group_id: Vec<u8>,
        /// The epoch id.
        epoch_id: Vec<u8>,
    },
    /// An operation would delete the current epoch of a group, or remove it from the live set.
    #[error(
        "epoch {} is the current epoch of group {}: it cannot be {action}",
        hex::encode(.epoch_id),
        hex::encode(.group_id)
    )]
    CurrentEpoch {
        /// The group id.
        group_id: Vec<u8>,
        /// The epoch id.
        epoch_id: Vec<u8>,
        /// What was attempted ("deleted", "removed from the live set").
        action: &'static str,
    },
    /// The database was written by a newer braid, with a schema this code does not know.
    #[error(
        "the database has schema version {found}; this braid knows versions up to {supported}"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest schema version this code knows.
        supported: i64,
    },
    /// A record was written in a format this code does not read.
    #[error("a record of {table} has format version {found}; this braid reads format {supported}")]
    UnsupportedRecordFormat {
        /// The table (or kind of record) it was found in.
        table: &'static str,
        /// The record's format version.
        found: i64,
        /// The format this code reads.
        supported: i64,
    },
    /// The stored data breaks an invariant the store maintains (a missing row, a value out of
    /// range): it was changed outside braid or damaged.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// Another writer holds the store's write lock and did not release it in time.
    #[error("the store is locked by another writer ({context})")]
    Busy {
        /// What was being done.
        context: &'static str,
        /// The backend's error.
        #[source]
        source: BackendError,
    },
    /// The database at `path` could not be opened or configured.
    #[error("cannot open the database {}", .path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BackendError,
    },
    /// The backend failed.
    #[error("storage backend failed while {context}")]
    Backend {
        /// What was being done.
        context: &'static str,
        /// The backend's error.
        #[source]
        source: BackendError,
    },
}
