//! A persistent MLS client (DESIGN.md layer 6): the groups of [`braid_mls`] kept in a
//! [`braid_storage`] store, so that a group survives a restart and a process killed in the
//! middle of an operation comes back at the state before it or after it, never in between.
//!
//! # What is stored, and when
//!
//! A [`Client`] runs each operation on a copy of the caller's [`Group`], writes the result in
//! **one** store transaction, and only then hands the result out and replaces the caller's
//! group with the copy. A failed operation or a failed write leaves both the group and the
//! store as they were.
//!
//! | operation | what its transaction writes |
//! |---|---|
//! | [`create_group`](Client::create_group) | epoch 0, made current |
//! | [`join_from_welcome`](Client::join_from_welcome) | takes the KeyPackage's private material (used once, RFC 9420 §10, §16.8) and writes the joined epoch, made current |
//! | [`commit`](Client::commit) | the state holding the pending Commit, before the Commit can be sent |
//! | [`merge_pending_commit`](Client::merge_pending_commit), [`merge_staged_commit`](Client::merge_staged_commit) | the new epoch, made current; the previous epoch's row is deleted |
//! | [`process_message`](Client::process_message) | application messages and proposals: the state with the secret-tree key consumed (§9.2 deletion schedule); a staged Commit changes nothing and writes nothing |
//! | [`create_application_message`](Client::create_application_message) | the state with the sender's ratchet advanced, *before* the message is returned, so that a crash never reuses a key and nonce |
//! | [`update`](Client::update) | any other [`Group`] operation |
//! | [`generate_signer`](Client::generate_signer), [`create_key_package`](Client::create_key_package) | the signature key pair; the KeyPackage's private keys under its `KeyPackageRef` |
//!
//! # Epochs and retention
//!
//! An RFC 9420 group's epoch id in the store is its epoch number, 8 bytes big-endian
//! ([`epoch_id`]). The store holds exactly one epoch row per group, the current one: each
//! write of a new epoch deletes the rows of older epochs in the same transaction.
//!
//! The past epochs that a member keeps to read late application messages (§15.3, bounded by
//! [`GroupConfig::max_past_epochs`]) live *inside* the current row, in the group layer's state
//! ([`Group::to_bytes`]), not as rows of their own. Only what decrypts is kept of them (the
//! sender-data secret, the secret tree, the tree for signature keys): an epoch's `init_secret`
//! and other key schedule secrets are deleted once its successor is written, as the RFC's
//! forward secrecy requires, which a full row per past epoch would break. Reading a late
//! message mutates a past epoch's secret tree, and with the past epochs in the row that is
//! still one write. The store's live set and several rows per group are there for DMLS, whose
//! forks are real epochs with ids of their own.
//!
//! # Versions
//!
//! The group state is the group layer's versioned, self-describing format (`BRAIDGRP`, format
//! version, tagged fields); KeyPackage records carry their own magic and version
//! ([`KEY_PACKAGE_RECORD_VERSION`]); and the store versions its schema and every record. An
//! unknown version is an error, never a misread.
//!
//! ```
//! use braid_client::Client;
//! use braid_crypto::CipherSuite;
//! use braid_mls::group::{
//!     default_lifetime, CreateOptions, GroupConfig, LeafNodeOptions,
//! };
//! use braid_mls::messages::Credential;
//! use braid_provider::DefaultProvider;
//! use braid_storage::MemoryStore;
//!
//! # fn main() -> Result<(), braid_client::ClientError> {
//! let provider = DefaultProvider::new();
//! let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
//! let now = 1_700_000_000;
//! let mut client = Client::new(MemoryStore::new());
//! let signer = client.generate_signer(&provider, suite, Credential::basic("alice"))?;
//! let options = CreateOptions {
//!     group_id: b"group".to_vec(),
//!     extensions: Default::default(),
//!     leaf: LeafNodeOptions::default(),
//!     lifetime: default_lifetime(now),
//! };
//! let group = client.create_group(&provider, GroupConfig::default(), suite, signer, options)?;
//!
//! // What a restarted process does:
//! let loaded = client.load_group(b"group")?.expect("the group is stored");
//! assert_eq!(loaded.epoch_authenticator(), group.epoch_authenticator());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use braid_codec::{Decode, Encode};
use braid_crypto::{CipherSuite, CryptoError, CryptoProvider, Secret};
use braid_mls::group::{
    CommitBundle, CommitOptions, CreateOptions, Group, GroupConfig, GroupError, JoinOptions,
    KeyPackageBundle, KeyPackageOptions, ProcessedMessage, Signer, StagedCommit,
};
use braid_mls::messages::{Credential, KeyPackage, MlsMessage, Welcome};
use braid_mls::suite::Suite;
use braid_storage::{GroupStore, StorageError, StoreTransaction};

/// The first bytes of a stored KeyPackage record.
const KEY_PACKAGE_RECORD_MAGIC: &[u8; 8] = b"BRAIDKPB";

/// The format version of the KeyPackage records this build writes and reads: the magic, this
/// version as a `uint16`, then the group layer's encoding of the [`KeyPackageBundle`] (the
/// KeyPackage and the private keys of its `init_key` and leaf `encryption_key`).
pub const KEY_PACKAGE_RECORD_VERSION: u16 = 1;

/// The store's epoch id of epoch `epoch` of an RFC 9420 group: the epoch number, 8 bytes
/// big-endian (so that ids sort like epochs).
pub fn epoch_id(epoch: u64) -> [u8; 8] {
    epoch.to_be_bytes()
}

/// Why a client operation failed. Whatever failed, the caller's group and the store are as
/// they were before the operation.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The group operation itself failed (an invalid message, a policy violation, …).
    #[error("group operation failed: {0}")]
    Group(#[from] GroupError),
    /// The store failed (I/O, a busy database, a corrupt or too new record).
    #[error("storage failed: {0}")]
    Storage(#[from] StorageError),
    /// A cryptographic operation outside the group layer failed (key generation).
    #[error("cryptography failed: {0}")]
    Crypto(#[from] CryptoError),
    /// A group with this id is stored and active already: creating or joining it again would
    /// replace it. Delete it first ([`Client::delete_group`]) if that is intended.
    #[error("group {} is stored and active already", hex::encode(.0))]
    GroupExists(Vec<u8>),
    /// No entry of the Welcome names a KeyPackage whose private keys this client stores.
    #[error("the Welcome is addressed to none of this client's stored KeyPackages")]
    NoKeyPackage,
    /// The KeyPackage was consumed by another join between reading and taking it.
    #[error("KeyPackage {} was used by another join", hex::encode(.0))]
    KeyPackageUsed(Vec<u8>),
    /// The private key of this signature key is not stored (create signers with
    /// [`Client::generate_signer`]).
    #[error("no private key is stored for signature key {}", hex::encode(.0))]
    MissingSignatureKey(Vec<u8>),
    /// A stored record cannot be read.
    #[error("stored {what} {}: {reason}", hex::encode(.key))]
    BadRecord {
        /// What kind of record.
        what: &'static str,
        /// Its key in the store.
        key: Vec<u8>,
        /// What is wrong with it.
        reason: String,
    },
    /// Saving `saving` would move the group back from the newer epoch `stored`, resurrecting
    /// deleted secrets: the group value is stale.
    #[error("group {}: epoch {stored} is stored, refusing to save the older epoch {saving}", hex::encode(.group_id))]
    StaleGroup {
        /// The group id.
        group_id: Vec<u8>,
        /// The epoch in the store.
        stored: u64,
        /// The epoch of the group being saved.
        saving: u64,
    },
}

/// Result type of this crate.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// An MLS client whose groups, KeyPackages and signature keys live in the store `S`.
///
/// The client holds no group in memory: the caller owns its [`Group`] values and passes them
/// to the operations, which persist every change before returning (see the crate
/// documentation). One store belongs to one client.
#[derive(Debug)]
pub struct Client<S> {
    store: S,
}

impl<S: GroupStore> Client<S> {
    /// A client over `store`.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The store, for reads.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    // ----- identities and KeyPackages -------------------------------------------------------

    /// Generates a signature key pair of `cipher_suite`'s scheme for `credential`, stores it,
    /// and returns the signer.
    pub fn generate_signer(
        &mut self,
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        credential: Credential,
    ) -> Result<Signer> {
        let scheme = Suite::new(provider, cipher_suite)?.descriptor().signature;
        let pair = provider.signature_generate(scheme)?;
        let signer =
            Signer::from_private_key(provider, cipher_suite, credential, pair.private_key.clone())?;
        let mut tx = self.store.transaction()?;
        tx.put_signature_key_pair(scheme, &pair)?;
        tx.commit()?;
        Ok(signer)
    }

    /// The stored signer of `signature_key` with `credential`, for `cipher_suite`; `None` if
    /// no such key is stored.
    pub fn signer(
        &self,
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        credential: Credential,
        signature_key: &[u8],
    ) -> Result<Option<Signer>> {
        let Some(stored) = self.store.signature_key_pair(signature_key)? else {
            return Ok(None);
        };
        let signer = Signer::from_private_key(
            provider,
            cipher_suite,
            credential,
            stored.key_pair.private_key,
        )?;
        if signer.signature_key().as_slice() != signature_key {
            return Err(bad_record(
                "signature key pair",
                signature_key,
                "the private key does not belong to the public key",
            ));
        }
        Ok(Some(signer))
    }

    /// Creates a KeyPackage for `signer` (whose key pair must be stored, see
    /// [`generate_signer`](Self::generate_signer)), stores its private keys under its
    /// `KeyPackageRef`, and returns it to publish. A `last_resort` KeyPackage stays usable
    /// after a join.
    pub fn create_key_package(
        &mut self,
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        signer: &Signer,
        options: &KeyPackageOptions,
        last_resort: bool,
    ) -> Result<KeyPackage> {
        let signature_key = signer.signature_key().as_slice();
        if self.store.signature_key_pair(signature_key)?.is_none() {
            return Err(ClientError::MissingSignatureKey(signature_key.to_vec()));
        }
        let bundle = KeyPackageBundle::create(provider, cipher_suite, signer, options)?;
        let suite = Suite::new(provider, cipher_suite)?;
        let reference = bundle.key_package().make_ref(&suite)?;
        let record = encode_key_package_record(&bundle);
        let mut tx = self.store.transaction()?;
        tx.put_key_package(&reference, record.as_bytes(), last_resort)?;
        tx.commit()?;
        Ok(bundle.key_package().clone())
    }

    // ----- groups -----------------------------------------------------------------------------

    /// Creates a group with `signer` as its only member (RFC 9420 §11) and stores it.
    /// [`ClientError::GroupExists`] if an active group with this id is stored.
    pub fn create_group(
        &mut self,
        provider: &dyn CryptoProvider,
        config: GroupConfig,
        cipher_suite: CipherSuite,
        signer: Signer,
        options: CreateOptions,
    ) -> Result<Group> {
        let group = Group::create(provider, config, cipher_suite, signer, options)?;
        let mut tx = self.store.transaction()?;
        replace_inactive(&mut tx, group.group_id())?;
        write_group(&mut tx, &group)?;
        tx.commit()?;
        Ok(group)
    }

    /// Joins a group from a Welcome addressed to one of the stored KeyPackages (§12.4.3.1).
    ///
    /// The KeyPackage's private material is taken in the transaction that stores the joined
    /// group, so a KeyPackage serves one join (unless it is last-resort). The signer is the
    /// stored signature key of the KeyPackage's leaf, with its credential. A stored group of
    /// the same id is replaced only if it is inactive (this member was removed from it or it
    /// was reinitialized); otherwise [`ClientError::GroupExists`].
    pub fn join_from_welcome(
        &mut self,
        provider: &dyn CryptoProvider,
        config: GroupConfig,
        welcome: &Welcome,
        options: JoinOptions<'_>,
    ) -> Result<Group> {
        let mut found = None;
        for entry in &welcome.secrets {
            if let Some(record) = self.store.key_package(&entry.new_member)? {
                found = Some((entry.new_member.as_slice(), record));
                break;
            }
        }
        let (reference, record) = found.ok_or(ClientError::NoKeyPackage)?;
        let bundle = decode_key_package_record(reference, &record.private_material)?;
        let leaf = &bundle.key_package().leaf_node;
        let signer = self
            .signer(
                provider,
                welcome.cipher_suite,
                leaf.credential.clone(),
                &leaf.signature_key,
            )?
            .ok_or_else(|| ClientError::MissingSignatureKey(leaf.signature_key.0.clone()))?;
        let group = Group::join_from_welcome(provider, config, welcome, &bundle, signer, options)?;
        let mut tx = self.store.transaction()?;
        if tx.take_key_package(reference)?.is_none() {
            return Err(ClientError::KeyPackageUsed(reference.to_vec()));
        }
        replace_inactive(&mut tx, group.group_id())?;
        write_group(&mut tx, &group)?;
        tx.commit()?;
        tracing::debug!(
            group = %hex::encode(group.group_id()),
            epoch = group.epoch(),
            "joined from a Welcome"
        );
        Ok(group)
    }

    /// The group's stored current state; `None` if the group is not stored.
    pub fn load_group(&self, group_id: &[u8]) -> Result<Option<Group>> {
        let Some((stored_id, state)) = self.store.current_epoch_state(group_id)? else {
            return Ok(None);
        };
        let group = Group::from_bytes(state.as_bytes())
            .map_err(|e| bad_record("group state", group_id, e))?;
        if group.group_id() != group_id || epoch_id(group.epoch()) != stored_id.as_slice() {
            return Err(bad_record(
                "group state",
                group_id,
                format!(
                    "it holds epoch {} of group {}, stored as epoch {}",
                    group.epoch(),
                    hex::encode(group.group_id()),
                    hex::encode(&stored_id)
                ),
            ));
        }
        Ok(Some(group))
    }

    /// The size in bytes of the group's stored current state (what one member stores for
    /// it); `None` if the group is not stored.
    pub fn stored_state_size(&self, group_id: &[u8]) -> Result<Option<usize>> {
        Ok(self
            .store
            .current_epoch_state(group_id)?
            .map(|(_, state)| state.len()))
    }

    /// The ids of the stored groups, in byte order.
    pub fn group_ids(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.store.groups()?)
    }

    /// Writes `group`'s state as its current epoch, deleting older epochs' rows, in one
    /// transaction. The operations of this client call it; call it after changing a group by
    /// other means. [`ClientError::StaleGroup`] if a newer epoch is stored.
    pub fn save_group(&mut self, group: &Group) -> Result<()> {
        let mut tx = self.store.transaction()?;
        write_group(&mut tx, group)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a group with all its epochs. Returns whether it was stored.
    pub fn delete_group(&mut self, group_id: &[u8]) -> Result<bool> {
        let mut tx = self.store.transaction()?;
        let deleted = tx.delete_group(group_id)?;
        tx.commit()?;
        Ok(deleted)
    }

    // ----- operations ---------------------------------------------------------------------------

    /// Runs `operation` on a copy of `group`, stores the copy, and only then replaces `group`
    /// with it and returns the operation's result. If the operation or the write fails,
    /// `group` and the store are unchanged.
    pub fn update<T>(
        &mut self,
        group: &mut Group,
        operation: impl FnOnce(&mut Group) -> Result<T, GroupError>,
    ) -> Result<T> {
        let mut next = group.clone();
        let out = operation(&mut next)?;
        self.save_group(&next)?;
        *group = next;
        Ok(out)
    }

    /// Creates a Commit ([`Group::commit`]) and stores the group with the Commit pending
    /// before returning it: after a crash the group still recognizes the Commit's echo.
    pub fn commit(
        &mut self,
        provider: &dyn CryptoProvider,
        group: &mut Group,
        options: CommitOptions,
        now: u64,
    ) -> Result<CommitBundle> {
        self.update(group, |g| g.commit(provider, options, now))
    }

    /// Merges this member's pending Commit ([`Group::merge_pending_commit`]) and stores the
    /// new epoch.
    pub fn merge_pending_commit(&mut self, group: &mut Group) -> Result<()> {
        self.update(group, Group::merge_pending_commit)
    }

    /// Merges a staged Commit ([`Group::merge_staged_commit`]) and stores the new epoch.
    pub fn merge_staged_commit(&mut self, group: &mut Group, staged: StagedCommit) -> Result<()> {
        self.update(group, |g| g.merge_staged_commit(staged))
    }

    /// Encrypts application data ([`Group::create_application_message`]), storing the
    /// advanced ratchet before the message is returned.
    pub fn create_application_message(
        &mut self,
        provider: &dyn CryptoProvider,
        group: &mut Group,
        data: &[u8],
        authenticated_data: &[u8],
    ) -> Result<MlsMessage> {
        self.update(group, |g| {
            g.create_application_message(provider, data, authenticated_data)
        })
    }

    /// Processes a message ([`Group::process_message`]) and stores what it changed: the
    /// consumed key of an application message or proposal, the new epoch when it is the echo
    /// of this member's pending Commit. A staged Commit (to merge with
    /// [`merge_staged_commit`](Self::merge_staged_commit)) and the echo of an own proposal
    /// change nothing, and nothing is written.
    pub fn process_message(
        &mut self,
        provider: &dyn CryptoProvider,
        group: &mut Group,
        message: MlsMessage,
        now: u64,
    ) -> Result<ProcessedMessage> {
        let mut next = group.clone();
        let processed = next.process_message(provider, message, now)?;
        if !matches!(
            processed,
            ProcessedMessage::Commit(_) | ProcessedMessage::OwnProposal(_)
        ) {
            self.save_group(&next)?;
            *group = next;
        }
        Ok(processed)
    }
}

/// Writes `group` as its group's current epoch and deletes the rows of every other epoch.
fn write_group<T: StoreTransaction>(tx: &mut T, group: &Group) -> Result<()> {
    let group_id = group.group_id();
    let epoch = group.epoch();
    let id = epoch_id(epoch);
    if let Some(current) = tx.current_epoch(group_id)? {
        let stored = decode_epoch_id(group_id, &current)?;
        if stored > epoch {
            return Err(ClientError::StaleGroup {
                group_id: group_id.to_vec(),
                stored,
                saving: epoch,
            });
        }
    }
    let state = Secret::new(group.to_bytes());
    tx.put_epoch(group_id, &id, state.as_bytes())?;
    tx.set_current_epoch(group_id, Some(&id))?;
    for old in tx.epochs(group_id)? {
        if old.epoch_id != id {
            tx.delete_epoch(group_id, &old.epoch_id)?;
        }
    }
    tracing::debug!(
        group = %hex::encode(group_id),
        epoch,
        bytes = state.len(),
        "stored group state"
    );
    Ok(())
}

/// Deletes the stored group `group_id` if it is inactive, to make room for a new one;
/// [`ClientError::GroupExists`] if it is active.
fn replace_inactive<T: StoreTransaction>(tx: &mut T, group_id: &[u8]) -> Result<()> {
    let Some((_, state)) = tx.current_epoch_state(group_id)? else {
        return Ok(());
    };
    let stored =
        Group::from_bytes(state.as_bytes()).map_err(|e| bad_record("group state", group_id, e))?;
    if stored.is_active() {
        return Err(ClientError::GroupExists(group_id.to_vec()));
    }
    tx.delete_group(group_id)?;
    Ok(())
}

/// The epoch number of a stored RFC 9420 epoch id.
fn decode_epoch_id(group_id: &[u8], id: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(id)
        .map(u64::from_be_bytes)
        .map_err(|_| bad_record("epoch id of group", group_id, "not 8 bytes"))
}

fn bad_record(what: &'static str, key: &[u8], reason: impl ToString) -> ClientError {
    ClientError::BadRecord {
        what,
        key: key.to_vec(),
        reason: reason.to_string(),
    }
}

/// The stored form of a KeyPackage's private material (see [`KEY_PACKAGE_RECORD_VERSION`]).
fn encode_key_package_record(bundle: &KeyPackageBundle) -> Secret {
    let mut out = KEY_PACKAGE_RECORD_MAGIC.to_vec();
    KEY_PACKAGE_RECORD_VERSION.encode(&mut out);
    bundle.encode(&mut out);
    Secret::new(out)
}

/// Reads a KeyPackage record stored under `reference`.
fn decode_key_package_record(reference: &[u8], record: &Secret) -> Result<KeyPackageBundle> {
    let bad = |reason: &str| bad_record("KeyPackage", reference, reason);
    let rest = record
        .as_bytes()
        .strip_prefix(KEY_PACKAGE_RECORD_MAGIC.as_slice())
        .ok_or_else(|| bad("not a braid KeyPackage record"))?;
    let (version, body) = rest
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("truncated"))?;
    let version = u16::from_be_bytes(*version);
    if version != KEY_PACKAGE_RECORD_VERSION {
        return Err(bad(&format!(
            "format version {version}; this braid reads {KEY_PACKAGE_RECORD_VERSION}"
        )));
    }
    KeyPackageBundle::from_bytes(body).map_err(|e| bad(&e.to_string()))
}

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
