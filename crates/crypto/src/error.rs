use thiserror::Error;

use crate::{AeadId, CipherSuite, KdfId, KemId, SignatureScheme};

/// Why a cryptographic operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// The cipher suite is unknown or the provider does not implement it.
    #[error("unsupported cipher suite {0:?}")]
    UnsupportedCipherSuite(CipherSuite),
    /// The provider does not implement this KEM.
    #[error("unsupported KEM {0:?}")]
    UnsupportedKem(KemId),
    /// The provider does not implement this KDF.
    #[error("unsupported KDF {0:?}")]
    UnsupportedKdf(KdfId),
    /// The provider does not implement this AEAD.
    #[error("unsupported AEAD {0:?}")]
    UnsupportedAead(AeadId),
    /// The provider does not implement this signature scheme.
    #[error("unsupported signature scheme {0:?}")]
    UnsupportedSignatureScheme(SignatureScheme),
    /// The provider does not implement an optional operation.
    #[error("operation not supported by this provider: {0}")]
    UnsupportedOperation(&'static str),
    /// An input has the wrong length.
    #[error("{what} has {actual} bytes, expected {expected}")]
    InvalidLength {
        /// Which input.
        what: &'static str,
        /// Length required.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// A public key is not a valid encoding or point.
    #[error("invalid public key for {0}")]
    InvalidPublicKey(&'static str),
    /// A private key is not a valid encoding or scalar.
    #[error("invalid private key for {0}")]
    InvalidPrivateKey(&'static str),
    /// A signature did not verify.
    #[error("signature verification failed")]
    InvalidSignature,
    /// AEAD decryption failed: wrong key, nonce, associated data, or a tampered ciphertext.
    #[error("AEAD decryption failed")]
    AeadOpenFailed,
    /// A KEM decapsulation or Diffie-Hellman step failed (e.g. an all-zero shared secret).
    #[error("KEM operation failed: {0}")]
    KemFailed(&'static str),
    /// `DeriveKeyPair` found no valid key within its attempt budget (RFC 9180 §7.1.3).
    #[error("DeriveKeyPair failed")]
    DeriveKeyPairFailed,
    /// A KDF was asked for more output than it can give.
    #[error("KDF output of {0} bytes is too long")]
    KdfOutputTooLong(usize),
    /// The HPKE sequence number would overflow (RFC 9180 §5.2).
    #[error("HPKE message limit reached")]
    MessageLimitReached,
    /// The system random number generator failed.
    #[error("random number generation failed")]
    RandomFailed,
}
