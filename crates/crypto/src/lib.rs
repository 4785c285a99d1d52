//! Cryptography for braid: cipher suites (RFC 9420 §17.1), the [`CryptoProvider`] trait every
//! backend implements, HPKE base mode (RFC 9180) on top of it, and the default provider.
//!
//! Nothing above this crate knows which provider is in use: the MLS core only calls the trait.
//! Algorithms are named by their IANA code points ([`KemId`], [`KdfId`], [`AeadId`],
//! [`SignatureScheme`]), so post-quantum KEMs and signatures with large keys fit the same
//! methods. Every method that a later feature may need has a default, so adding a feature never
//! breaks an existing provider.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dhkem;
mod error;
pub mod hpke;
mod provider;
mod secret;
mod suite;

pub use error::CryptoError;
pub use hpke::HpkeSuite;
pub use provider::{CryptoProvider, KemKeyPair, KemOutput, SignatureKeyPair};
pub use secret::Secret;
pub use suite::{
    AeadId, CipherSuite, HashAlgorithm, KdfId, KemId, SignatureScheme, SuiteDescriptor,
};

/// Result type of this crate.
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;
