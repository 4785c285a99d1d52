//! One interface over three MLS implementations (RFC 9420): braid, OpenMLS and mls-rs.
//!
//! Every interop test and every comparative benchmark of this crate drives members through the
//! [`Member`] trait, so that a scenario is written once and run over every pairing. Everything
//! that crosses between members is the bytes of an `MLSMessage` (§6): KeyPackages, Welcomes,
//! GroupInfos, Commits, proposals and application messages, plus the `ratchet_tree`
//! extension's value (§12.4.3.3) when a tree is passed out of band. Nothing is shared in memory,
//! as between real clients of different vendors.
//!
//! The adapters use each library's public API only, the way an application would:
//!
//! | module | library | crypto provider |
//! |---|---|---|
//! | [`braid`] | braid-mls | braid-provider (aws-lc-rs) |
//! | [`openmls`] | OpenMLS 0.9 | openmls_rust_crypto (RustCrypto) |
//! | [`mls_rs`] | mls-rs 0.57 | mls-rs-crypto-awslc (aws-lc-rs) |
//!
//! Wire formats: OpenMLS by default accepts only PrivateMessage handshakes and mls-rs sends
//! PublicMessage handshakes, so every adapter takes the handshake format from
//! [`MemberConfig::handshake`] for what it sends and accepts both when receiving.

pub mod braid;
pub mod mls_rs;
pub mod openmls;

use std::fmt;

/// The implementations under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Implementation {
    /// braid-mls.
    Braid,
    /// OpenMLS.
    OpenMls,
    /// mls-rs.
    MlsRs,
}

impl Implementation {
    /// All three, braid first.
    pub const ALL: [Implementation; 3] = [
        Implementation::Braid,
        Implementation::OpenMls,
        Implementation::MlsRs,
    ];

    /// The cipher suites (IANA code points) this implementation's adapter supports.
    pub fn suites(self) -> &'static [u16] {
        match self {
            Implementation::Braid => &[1, 2, 3, 4, 5, 6, 7],
            Implementation::OpenMls => openmls::SUITES,
            Implementation::MlsRs => mls_rs::SUITES,
        }
    }

    /// A new member of this implementation, with a fresh signature key and credential.
    pub fn member(self, config: &MemberConfig) -> Result<Box<dyn Member>, Error> {
        Ok(match self {
            Implementation::Braid => Box::new(braid::BraidMember::new(config)?),
            Implementation::OpenMls => Box::new(openmls::OpenMlsMember::new(config)?),
            Implementation::MlsRs => Box::new(mls_rs::MlsRsMember::new(config)?),
        })
    }
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Implementation::Braid => "braid",
            Implementation::OpenMls => "openmls",
            Implementation::MlsRs => "mls-rs",
        })
    }
}

/// How handshake messages (proposals and Commits) are sent (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeWire {
    /// As PublicMessage, with a membership tag.
    Plaintext,
    /// As PrivateMessage.
    Ciphertext,
}

/// How a member is set up.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// The cipher suite (IANA code point).
    pub suite: u16,
    /// The member's identity: the content of its basic credential.
    pub identity: Vec<u8>,
    /// How this member sends handshake messages. Every adapter accepts both formats.
    pub handshake: HandshakeWire,
}

impl MemberConfig {
    /// A member named `identity` in `suite` that sends handshakes as PrivateMessage.
    pub fn new(suite: u16, identity: impl Into<Vec<u8>>) -> Self {
        MemberConfig {
            suite,
            identity: identity.into(),
            handshake: HandshakeWire::Ciphertext,
        }
    }
}

/// What goes into one Commit. Proposals are committed by value.
#[derive(Clone, Debug, Default)]
pub struct CommitRequest {
    /// KeyPackages to add, each an encoded `MLSMessage` (as returned by [`Member::key_package`]).
    pub add: Vec<Vec<u8>>,
    /// Leaf indices of members to remove.
    pub remove: Vec<u32>,
    /// IDs of external PSKs to inject (each must have been given to every member with
    /// [`Member::store_external_psk`]).
    pub external_psks: Vec<Vec<u8>>,
    /// Send an UpdatePath even when the proposals do not require one.
    pub force_path: bool,
    /// Put the ratchet tree into the Welcome's GroupInfo (`ratchet_tree` extension); otherwise the
    /// joiners get it out of band from [`Member::ratchet_tree`].
    pub tree_in_welcome: bool,
}

/// The messages a Commit produced.
#[derive(Clone, Debug)]
pub struct CommitOutput {
    /// The Commit, an encoded `MLSMessage`.
    pub commit: Vec<u8>,
    /// The Welcome for the added members, an encoded `MLSMessage`, if members were added.
    pub welcome: Option<Vec<u8>>,
}

/// What processing a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// An application message with this data.
    Application(Vec<u8>),
    /// A proposal, now stored for the next Commit.
    Proposal,
    /// A Commit, already merged: the member is in the next epoch (or was removed).
    Commit,
}

/// A failure in one implementation.
#[derive(Debug, thiserror::Error)]
#[error("{implementation}: {operation}: {message}")]
pub struct Error {
    /// Which implementation failed.
    pub implementation: Implementation,
    /// What it was asked to do.
    pub operation: &'static str,
    /// The library's error, formatted.
    pub message: String,
}

impl Error {
    /// An error of `implementation` while doing `operation`.
    pub fn new(
        implementation: Implementation,
        operation: &'static str,
        message: impl fmt::Display,
    ) -> Self {
        Error {
            implementation,
            operation,
            message: message.to_string(),
        }
    }
}

/// One client of one implementation, holding at most one group.
///
/// Commits are applied when the sender calls [`Member::merge_pending_commit`] (after the
/// delivery service accepted the Commit) and when receivers process them; an implementation
/// that stages Commits merges inside [`Member::process`].
pub trait Member: Send {
    /// Which implementation this is.
    fn implementation(&self) -> Implementation;

    /// A fresh KeyPackage for this member, an encoded `MLSMessage`. The member keeps its private
    /// keys for a later [`Member::join`].
    fn key_package(&mut self) -> Result<Vec<u8>, Error>;

    /// Creates a new group of one with this `group_id` (§11).
    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error>;

    /// Joins from a Welcome (§12.4.3.1). `ratchet_tree` is the `ratchet_tree` extension's value
    /// when the tree is not in the Welcome.
    fn join(&mut self, welcome: &[u8], ratchet_tree: Option<&[u8]>) -> Result<(), Error>;

    /// Joins by an external Commit (§12.4.3.2) from a GroupInfo `MLSMessage`; returns the Commit
    /// for the other members. The member is in the new epoch afterwards.
    fn join_external(
        &mut self,
        group_info: &[u8],
        ratchet_tree: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error>;

    /// A signed GroupInfo `MLSMessage` of the current epoch that allows external Commits
    /// (`external_pub` extension), with the ratchet tree inside if `with_tree`.
    fn group_info(&mut self, with_tree: bool) -> Result<Vec<u8>, Error>;

    /// The `ratchet_tree` extension's value (the encoded `optional<Node>` vector) of the current
    /// epoch.
    fn ratchet_tree(&self) -> Result<Vec<u8>, Error>;

    /// Creates a Commit. It stays pending until [`Member::merge_pending_commit`].
    fn commit(&mut self, request: &CommitRequest) -> Result<CommitOutput, Error>;

    /// Applies this member's pending Commit.
    fn merge_pending_commit(&mut self) -> Result<(), Error>;

    /// Processes a message from the group: decrypts application messages, stores proposals,
    /// validates and merges Commits.
    fn process(&mut self, message: &[u8]) -> Result<Received, Error>;

    /// Encrypts an application message (a PrivateMessage `MLSMessage`).
    fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Error>;

    /// Stores an external PSK (§8.4) under `id`.
    fn store_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Result<(), Error>;

    /// The current epoch.
    fn epoch(&self) -> u64;

    /// This member's leaf index.
    fn own_leaf_index(&self) -> u32;

    /// The leaf indices of all members, ascending.
    fn members(&self) -> Vec<u32>;

    /// The current epoch's `epoch_authenticator` (§8.7).
    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error>;

    /// `MLS-Exporter(label, context, length)` of the current epoch (§8.5).
    fn export(&self, label: &str, context: &[u8], length: usize) -> Result<Vec<u8>, Error>;

    /// The size in bytes of what the implementation stores to persist this member's group state
    /// (its own serialization, as written to its storage).
    fn state_bytes(&self) -> Result<usize, Error>;

    /// An independent deep copy: the copy and the original can go on separately (used by the
    /// benchmarks to process the same message many times).
    fn fork(&self) -> Result<Box<dyn Member>, Error>;
}
