//! Persistence for braid (DESIGN.md layer 5): a transactional store of what an MLS client keeps
//! between runs, behind one trait family with two backends.
//!
//! # What is stored
//!
//! - **Epoch states**, keyed by `(group id, epoch id)`. The group id is the MLS `group_id`
//!   (RFC 9420 §8.1); the epoch id is whatever names one epoch of the group: the 8-byte big-endian
//!   epoch number for RFC 9420 groups, the `dmls_epoch` id for DMLS groups, where several epochs
//!   with the same number live side by side after a fork. The state is the group layer's
//!   versioned, self-describing byte string: storage never interprets it, and returns exactly the
//!   bytes it was given (the group layer validates them when it decodes them).
//! - **Per group bookkeeping**: a set of *live* epochs (those that may still receive messages:
//!   DMLS forks, or past epochs an RFC 9420 client keeps for late messages) and at most one
//!   *current* epoch, which is always stored and live. Deleting old epochs is how a client
//!   applies its retention policy (RFC 9420 §9.2 deletion schedule, §15.3 late messages).
//! - **KeyPackage private material** keyed by `KeyPackageRef` (RFC 9420 §5.2): taken exactly once
//!   when a Welcome consumes it (§10, §12.4.3.1, §16.8), except last-resort KeyPackages
//!   (draft-ietf-mls-extensions), which stay.
//! - **External PSKs** by `psk_id` (RFC 9420 §8.4).
//! - **Signature key pairs** of the client, keyed by public key (the key a leaf node names).
//!
//! # Transactions
//!
//! Every write happens in a [`StoreTransaction`] obtained from [`GroupStore::transaction`]: a
//! commit that writes a new epoch, moves the current epoch and deletes an old one is one
//! transaction, so a process that dies in the middle comes back at the old or the new epoch,
//! never in between. [`StoreTransaction::commit`] makes the writes durable; dropping the
//! transaction rolls them back. Reads ([`StoreRead`]) work on the store itself (each call sees one
//! consistent snapshot) and inside a transaction (seeing its own writes).
//!
//! # Backends
//!
//! - [`SqliteStore`], the default: an embedded SQLite database (WAL mode, full fsync on commit,
//!   foreign keys, `BEGIN IMMEDIATE` transactions). Its schema is versioned (see
//!   [`SqliteStore::SCHEMA_VERSION`]) and every row carries a record format version
//!   ([`RECORD_FORMAT_VERSION`]), so later versions of braid migrate old databases instead of
//!   losing groups, and an older braid refuses a database it does not understand.
//! - [`MemoryStore`]: the same semantics in memory, for tests and for applications that persist
//!   elsewhere.
//!
//! The traits use only bytes, [`Secret`]s and braid types, so a server-side backend (PostgreSQL
//! for the delivery service) implements them the same way.
//!
//! ```
//! use braid_storage::{GroupStore, MemoryStore, StoreRead, StoreTransaction};
//!
//! # fn main() -> Result<(), braid_storage::StorageError> {
//! let mut store = MemoryStore::new();
//! let group = b"group";
//! let mut tx = store.transaction()?;
//! tx.put_epoch(group, &1u64.to_be_bytes(), b"epoch 1 state")?;
//! tx.set_current_epoch(group, Some(&1u64.to_be_bytes()))?;
//! tx.commit()?;
//!
//! let (epoch_id, state) = store.current_epoch_state(group)?.expect("the group is stored");
//! assert_eq!(epoch_id, 1u64.to_be_bytes());
//! assert_eq!(state.as_bytes(), b"epoch 1 state");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod memory;
mod records;
mod sqlite;
mod store;

pub use braid_crypto::{Secret, SignatureKeyPair, SignatureScheme};
pub use error::{BackendError, StorageError};
pub use memory::{MemoryStore, MemoryTransaction};
pub use records::{EpochInfo, KeyPackageRecord, StoredSignatureKeyPair, RECORD_FORMAT_VERSION};
pub use sqlite::{SqliteConfig, SqliteStore, SqliteTransaction};
pub use store::{GroupStore, StoreRead, StoreTransaction};

/// Result type of this crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
