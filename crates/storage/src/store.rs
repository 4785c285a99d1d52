//! The storage traits: [`StoreRead`] (reads), [`StoreTransaction`] (atomic writes) and
//! [`GroupStore`] (a store that begins transactions).
//!
//! What the records mean for MLS (RFC 9420 §8.1 group ids and epochs, §5.2 `KeyPackageRef`, §8.4
//! PSKs, §9.2 deletion schedule) is described in the crate documentation. The traits use no
//! backend-specific type, so every backend (SQLite, memory, a server database) implements the same
//! contract, checked by one conformance suite (`tests/conformance.rs`).

use braid_crypto::{Secret, SignatureKeyPair, SignatureScheme};

use crate::{EpochInfo, KeyPackageRecord, Result, StoredSignatureKeyPair};

/// Reads from a store, on the store itself or inside a transaction (which sees its own writes).
///
/// Outside a transaction each call sees one consistent snapshot; two calls may see different
/// snapshots if another connection commits in between, so read what must agree in one call (for
/// instance [`current_epoch_state`](Self::current_epoch_state)) or inside a transaction.
/// Lists come in byte order of their keys, except [`epochs`](Self::epochs).
pub trait StoreRead {
    /// The ids of all stored groups, in byte order.
    fn groups(&self) -> Result<Vec<Vec<u8>>>;

    /// The id of the group's current epoch; `None` if the group is not stored or has no current
    /// epoch.
    fn current_epoch(&self, group_id: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The group's current epoch id and its state, read together.
    ///
    /// `None` if the group is not stored or has no current epoch. A current epoch whose state is
    /// missing is [`StorageError::Corrupt`](crate::StorageError::Corrupt).
    fn current_epoch_state(&self, group_id: &[u8]) -> Result<Option<(Vec<u8>, Secret)>>;

    /// The group's stored epochs, oldest first (in the order they were first written), with
    /// their liveness. Empty if the group is not stored.
    fn epochs(&self, group_id: &[u8]) -> Result<Vec<EpochInfo>>;

    /// The state of one epoch, exactly the bytes written; `None` if it is not stored.
    fn epoch_state(&self, group_id: &[u8], epoch_id: &[u8]) -> Result<Option<Secret>>;

    /// The KeyPackage private material stored under `key_package_ref`, without consuming it.
    fn key_package(&self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>>;

    /// The refs of all stored KeyPackages, in byte order (to count what is left to publish).
    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>>;

    /// The external PSK stored under `psk_id`.
    fn psk(&self, psk_id: &[u8]) -> Result<Option<Secret>>;

    /// The signature key pair whose public key is `public_key`.
    fn signature_key_pair(&self, public_key: &[u8]) -> Result<Option<StoredSignatureKeyPair>>;

    /// The scheme and public key of every stored signature key pair, in byte order of the
    /// public key.
    fn signature_public_keys(&self) -> Result<Vec<(SignatureScheme, Vec<u8>)>>;
}

/// A transaction: writes that become visible and durable together on [`commit`](Self::commit),
/// or not at all. Dropping a transaction without committing rolls it back.
///
/// A write that returns an error changes nothing, and the transaction stays usable (the caller
/// decides whether to go on or to drop it).
pub trait StoreTransaction: StoreRead {
    /// Stores the state of an epoch. A new epoch is not live; writing an epoch that is already
    /// stored replaces its state and keeps its liveness and its place in
    /// [`epochs`](StoreRead::epochs). The group is created by its first epoch.
    fn put_epoch(&mut self, group_id: &[u8], epoch_id: &[u8], state: &[u8]) -> Result<()>;

    /// Makes `epoch_id` the group's current epoch, and live; `None` leaves the group without a
    /// current epoch (its live set stays as it is).
    ///
    /// [`StorageError::EpochNotFound`](crate::StorageError::EpochNotFound) if the epoch is not
    /// stored.
    fn set_current_epoch(&mut self, group_id: &[u8], epoch_id: Option<&[u8]>) -> Result<()>;

    /// Adds a stored epoch to the group's live set or removes it.
    ///
    /// [`StorageError::EpochNotFound`](crate::StorageError::EpochNotFound) if the epoch is not
    /// stored; [`StorageError::CurrentEpoch`](crate::StorageError::CurrentEpoch) when removing the
    /// current epoch from the live set.
    fn set_epoch_live(&mut self, group_id: &[u8], epoch_id: &[u8], live: bool) -> Result<()>;

    /// Deletes an epoch's state (retention of past epochs). Returns whether it was stored.
    ///
    /// [`StorageError::CurrentEpoch`](crate::StorageError::CurrentEpoch) for the current epoch:
    /// move the current epoch first, in the same transaction.
    fn delete_epoch(&mut self, group_id: &[u8], epoch_id: &[u8]) -> Result<bool>;

    /// Deletes a group with all its epochs. Returns whether it was stored.
    fn delete_group(&mut self, group_id: &[u8]) -> Result<bool>;

    /// Stores the private material of a KeyPackage under its ref, replacing what was there.
    /// A `last_resort` KeyPackage survives [`take_key_package`](Self::take_key_package).
    fn put_key_package(
        &mut self,
        key_package_ref: &[u8],
        private_material: &[u8],
        last_resort: bool,
    ) -> Result<()>;

    /// Reads a KeyPackage's private material for one use: deletes it unless it is last-resort.
    /// Taking it in the transaction that stores the joined group makes the use exactly-once.
    fn take_key_package(&mut self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>>;

    /// Deletes a KeyPackage (for instance an expired one). Returns whether it was stored.
    fn delete_key_package(&mut self, key_package_ref: &[u8]) -> Result<bool>;

    /// Stores an external PSK under its id, replacing what was there.
    fn put_psk(&mut self, psk_id: &[u8], psk: &[u8]) -> Result<()>;

    /// Deletes an external PSK. Returns whether it was stored.
    fn delete_psk(&mut self, psk_id: &[u8]) -> Result<bool>;

    /// Stores a signature key pair under its public key, replacing what was there.
    fn put_signature_key_pair(
        &mut self,
        scheme: SignatureScheme,
        key_pair: &SignatureKeyPair,
    ) -> Result<()>;

    /// Deletes the signature key pair with this public key. Returns whether it was stored.
    fn delete_signature_key_pair(&mut self, public_key: &[u8]) -> Result<bool>;

    /// Makes every write of the transaction durable and visible to other readers, atomically.
    fn commit(self) -> Result<()>
    where
        Self: Sized;
}

/// A store: reads, and transactions for writes.
pub trait GroupStore: StoreRead {
    /// The transaction type of this store.
    type Transaction<'a>: StoreTransaction
    where
        Self: 'a;

    /// Begins a transaction. It holds the store's write lock until it is committed or dropped:
    /// another writer on the same database waits, and fails with
    /// [`StorageError::Busy`](crate::StorageError::Busy) if it waits too long.
    fn transaction(&mut self) -> Result<Self::Transaction<'_>>;
}

/// Implements [`StoreRead`] for `$ty` by forwarding every method to `$inner`, an expression in
/// `$this` (the `&self` of the implementation) whose value implements [`StoreRead`].
macro_rules! delegate_store_read {
    ($ty:ty, |$this:ident| $inner:expr) => {
        impl $crate::StoreRead for $ty {
            fn groups(&self) -> $crate::Result<Vec<Vec<u8>>> {
                let $this = self;
                $crate::StoreRead::groups(&$inner)
            }
            fn current_epoch(&self, group_id: &[u8]) -> $crate::Result<Option<Vec<u8>>> {
                let $this = self;
                $crate::StoreRead::current_epoch(&$inner, group_id)
            }
            fn current_epoch_state(
                &self,
                group_id: &[u8],
            ) -> $crate::Result<Option<(Vec<u8>, braid_crypto::Secret)>> {
                let $this = self;
                $crate::StoreRead::current_epoch_state(&$inner, group_id)
            }
            fn epochs(&self, group_id: &[u8]) -> $crate::Result<Vec<$crate::EpochInfo>> {
                let $this = self;
                $crate::StoreRead::epochs(&$inner, group_id)
            }
            fn epoch_state(
                &self,
                group_id: &[u8],
                epoch_id: &[u8],
            ) -> $crate::Result<Option<braid_crypto::Secret>> {
                let $this = self;
                $crate::StoreRead::epoch_state(&$inner, group_id, epoch_id)
            }
            fn key_package(
                &self,
                key_package_ref: &[u8],
            ) -> $crate::Result<Option<$crate::KeyPackageRecord>> {
                let $this = self;
                $crate::StoreRead::key_package(&$inner, key_package_ref)
            }
            fn key_package_refs(&self) -> $crate::Result<Vec<Vec<u8>>> {
                let $this = self;
                $crate::StoreRead::key_package_refs(&$inner)
            }
            fn psk(&self, psk_id: &[u8]) -> $crate::Result<Option<braid_crypto::Secret>> {
                let $this = self;
                $crate::StoreRead::psk(&$inner, psk_id)
            }
            fn signature_key_pair(
                &self,
                public_key: &[u8],
            ) -> $crate::Result<Option<$crate::StoredSignatureKeyPair>> {
                let $this = self;
                $crate::StoreRead::signature_key_pair(&$inner, public_key)
            }
            fn signature_public_keys(
                &self,
            ) -> $crate::Result<Vec<(braid_crypto::SignatureScheme, Vec<u8>)>> {
                let $this = self;
                $crate::StoreRead::signature_public_keys(&$inner)
            }
        }
    };
}
pub(crate) use delegate_store_read;
