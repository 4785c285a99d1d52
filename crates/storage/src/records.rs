//! The records a store returns (RFC 9420 §5.2 `KeyPackageRef`, §10 KeyPackages) and the record
//! format version persisted with each of them.

use braid_crypto::{Secret, SignatureKeyPair, SignatureScheme};

/// The format version of the records persistent backends write: version 1 stores the caller's
/// bytes verbatim.
///
/// Each persisted record carries the version it was written with, so a later braid that changes
/// a record's layout still reads old records (and converts them in a schema migration), and a
/// record newer than the code is reported as
/// [`StorageError::UnsupportedRecordFormat`](crate::StorageError::UnsupportedRecordFormat)
/// instead of being misread.
pub const RECORD_FORMAT_VERSION: i64 = 1;

/// One stored epoch of a group, as [`StoreRead::epochs`](crate::StoreRead::epochs) lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochInfo {
    /// The epoch id.
    pub epoch_id: Vec<u8>,
    /// Whether the epoch is in the group's live set.
    pub live: bool,
}

/// The private material of a KeyPackage, stored under its `KeyPackageRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPackageRecord {
    /// What the client needs to use the KeyPackage (its init and encryption private keys, as the
    /// group layer encodes them).
    pub private_material: Secret,
    /// Whether this is a last-resort KeyPackage, kept after use.
    pub last_resort: bool,
}

/// A stored signature key pair with its scheme.
#[derive(Clone, Debug)]
pub struct StoredSignatureKeyPair {
    /// The signature scheme the key belongs to.
    pub scheme: SignatureScheme,
    /// The key pair.
    pub key_pair: SignatureKeyPair,
}
