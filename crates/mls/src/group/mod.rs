//! Groups (RFC 9420 §10–§12, §15): the lifecycle of a group from a member's point of view,
//! sans-IO.
//!
//! | RFC 9420 | module |
//! |---|---|
//! | §10 KeyPackages: creation, validation | `key_package` |
//! | §11 group creation | `create` |
//! | §12.1 proposals, §12.2 list validation, §12.3 application | `proposals` |
//! | §12.4.1 creating, §12.4.2 processing a Commit; staged and pending commits | `commit` |
//! | §12.4.3 GroupInfo, Welcome, joining | `welcome` |
//! | §12.4.3.2 external Commits, §12.1.8 external proposals | `external` |
//! | §11.2 ReInit, §11.3 branching | `reinit` |
//! | storage of the state | `persist` |
//! | §6, §15 sending and receiving messages, past epochs | `message` |
//! | §8.4 PSK values | `psk_store` |
//! | policy (wire formats, windows, padding, lifetimes) | `config` |
//! | the epoch value and the group | `state` |
//!
//! [`Group`] is a value: processing never changes the current epoch in place. A Commit is
//! validated into a [`StagedCommit`] that holds the next epoch beside the current one, and the
//! caller merges it. This member's own Commit stays pending until the delivery service
//! confirms it. Every rejected message or failed operation leaves the group exactly as it
//! was. The time is always passed in; nothing here reads a clock.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod commit;
mod config;
mod create;
mod error;
mod external;
mod key_package;
mod message;
mod persist;
mod proposals;
mod psk_store;
mod reinit;
mod signer;
mod state;
#[cfg(any(test, feature = "test-utils"))]
mod testing;
mod welcome;

pub use commit::{CommitBundle, CommitOptions, StagedCommit};
pub use config::{
    GroupConfig, HandshakeFormat, IncomingHandshake, DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_PENDING_PROPOSALS,
};
pub use create::CreateOptions;
pub use error::{GroupError, KeyPackageError, ProposalError, StateError};
pub use external::{external_proposal, new_member_proposal, ExternalJoinOptions, GroupInfoOptions};
pub use key_package::{
    default_capabilities, default_lifetime, KeyPackageBundle, KeyPackageOptions, LeafNodeOptions,
    ValidatedKeyPackage, DEFAULT_LIFETIME_SECONDS,
};
pub use message::{ApplicationMessage, ProcessedMessage, ProposalMessage};
pub use proposals::{CommittedProposal, QueuedProposal};
pub use psk_store::PskStore;
pub use reinit::ResumeOptions;
pub use signer::Signer;
pub use state::Group;
pub use welcome::{
    decrypt_group_info, decrypt_group_secrets, verify_group_info_signature, JoinOptions,
};

pub(crate) use commit::PendingCommit;

#[cfg(test)]
mod tests;
