//! Algorithm identifiers and the cipher-suite table (RFC 9420 §17.1, RFC 9180 §7).
//!
//! This file is the one place that maps a cipher-suite code point to its algorithms. Suites of
//! drafts without assigned code points are added to [`SUITES`] here, so a code point changes in
//! one line.

use braid_codec::code_point;

code_point!(
    /// An MLS cipher suite (RFC 9420 §17.1).
    CipherSuite: u16 {
        /// Suite 1, mandatory to implement.
        MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519 = 0x0001,
        /// Suite 2.
        MLS_128_DHKEMP256_AES128GCM_SHA256_P256 = 0x0002,
        /// Suite 3.
        MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519 = 0x0003,
        /// Suite 4.
        MLS_256_DHKEMX448_AES256GCM_SHA512_ED448 = 0x0004,
        /// Suite 5.
        MLS_256_DHKEMP521_AES256GCM_SHA512_P521 = 0x0005,
        /// Suite 6.
        MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448 = 0x0006,
        /// Suite 7.
        MLS_256_DHKEMP384_AES256GCM_SHA384_P384 = 0x0007,
    }
);

code_point!(
    /// An HPKE KEM identifier (RFC 9180 §7.1).
    KemId: u16 {
        /// DHKEM(P-256, HKDF-SHA256).
        DHKEM_P256 = 0x0010,
        /// DHKEM(P-384, HKDF-SHA384).
        DHKEM_P384 = 0x0011,
        /// DHKEM(P-521, HKDF-SHA512).
        DHKEM_P521 = 0x0012,
        /// DHKEM(X25519, HKDF-SHA256).
        DHKEM_X25519 = 0x0020,
        /// DHKEM(X448, HKDF-SHA512).
        DHKEM_X448 = 0x0021,
    }
);

code_point!(
    /// An HPKE KDF identifier (RFC 9180 §7.2).
    KdfId: u16 {
        /// HKDF-SHA256.
        HKDF_SHA256 = 0x0001,
        /// HKDF-SHA384.
        HKDF_SHA384 = 0x0002,
        /// HKDF-SHA512.
        HKDF_SHA512 = 0x0003,
    }
);

code_point!(
    /// An HPKE AEAD identifier (RFC 9180 §7.3).
    AeadId: u16 {
        /// AES-128-GCM.
        AES_128_GCM = 0x0001,
        /// AES-256-GCM.
        AES_256_GCM = 0x0002,
        /// ChaCha20-Poly1305.
        CHACHA20_POLY1305 = 0x0003,
        /// Export-only: HPKE contexts that never seal or open.
        EXPORT_ONLY = 0xffff,
    }
);

code_point!(
    /// A TLS SignatureScheme (RFC 8446 §4.2.3) as MLS uses it.
    SignatureScheme: u16 {
        /// ECDSA over P-256 with SHA-256, DER-encoded signatures.
        ECDSA_SECP256R1_SHA256 = 0x0403,
        /// ECDSA over P-384 with SHA-384, DER-encoded signatures.
        ECDSA_SECP384R1_SHA384 = 0x0503,
        /// ECDSA over P-521 with SHA-512, DER-encoded signatures.
        ECDSA_SECP521R1_SHA512 = 0x0603,
        /// Ed25519.
        ED25519 = 0x0807,
        /// Ed448.
        ED448 = 0x0808,
    }
);

/// A hash function used as an MLS suite's `Hash` and, through HMAC, its `MAC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// The algorithms of one cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteDescriptor {
    /// The suite's code point.
    pub suite: CipherSuite,
    /// HPKE KEM.
    pub kem: KemId,
    /// KDF of the key schedule and of HPKE.
    pub kdf: KdfId,
    /// AEAD of message protection and of HPKE.
    pub aead: AeadId,
    /// Hash for `RefHash`, tree hashes and transcripts; HMAC with it is the suite's MAC.
    pub hash: HashAlgorithm,
    /// Signature scheme for credentials and message signatures.
    pub signature: SignatureScheme,
}

/// Every cipher suite braid knows, the single source of truth for code points.
pub const SUITES: &[SuiteDescriptor] = &[
    suite(
        CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
        KemId::DHKEM_X25519,
        KdfId::HKDF_SHA256,
        AeadId::AES_128_GCM,
        HashAlgorithm::Sha256,
        SignatureScheme::ED25519,
    ),
    suite(
        CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        KemId::DHKEM_P256,
        KdfId::HKDF_SHA256,
        AeadId::AES_128_GCM,
        HashAlgorithm::Sha256,
        SignatureScheme::ECDSA_SECP256R1_SHA256,
    ),
    suite(
        CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
        KemId::DHKEM_X25519,
        KdfId::HKDF_SHA256,
        AeadId::CHACHA20_POLY1305,
        HashAlgorithm::Sha256,
        SignatureScheme::ED25519,
    ),
    suite(
        CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
        KemId::DHKEM_X448,
        KdfId::HKDF_SHA512,
        AeadId::AES_256_GCM,
        HashAlgorithm::Sha512,
        SignatureScheme::ED448,
    ),
    suite(
        CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
        KemId::DHKEM_P521,
        KdfId::HKDF_SHA512,
        AeadId::AES_256_GCM,
        HashAlgorithm::Sha512,
        SignatureScheme::ECDSA_SECP521R1_SHA512,
    ),
    suite(
        CipherSuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
        KemId::DHKEM_X448,
        KdfId::HKDF_SHA512,
        AeadId::CHACHA20_POLY1305,
        HashAlgorithm::Sha512,
        SignatureScheme::ED448,
    ),
    suite(
        CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
        KemId::DHKEM_P384,
        KdfId::HKDF_SHA384,
        AeadId::AES_256_GCM,
        HashAlgorithm::Sha384,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
    ),
];

const fn suite(
    suite: CipherSuite,
    kem: KemId,
    kdf: KdfId,
    aead: AeadId,
    hash: HashAlgorithm,
    signature: SignatureScheme,
) -> SuiteDescriptor {
    SuiteDescriptor {
        suite,
        kem,
        kdf,
        aead,
        hash,
        signature,
    }
}

impl CipherSuite {
    /// The algorithms of this suite, or `None` for a code point braid does not know.
    pub fn descriptor(self) -> Option<SuiteDescriptor> {
        SUITES.iter().find(|d| d.suite == self).copied()
    }
}

impl KemId {
    /// `(Nsecret, Nenc, Npk, Nsk)` of RFC 9180 §7.1, for known KEMs.
    pub fn sizes(self) -> Option<(usize, usize, usize, usize)> {
        Some(match self {
            Self::DHKEM_P256 => (32, 65, 65, 32),
            Self::DHKEM_P384 => (48, 97, 97, 48),
            Self::DHKEM_P521 => (64, 133, 133, 66),
            Self::DHKEM_X25519 => (32, 32, 32, 32),
            Self::DHKEM_X448 => (64, 56, 56, 56),
            _ => return None,
        })
    }
}

impl KdfId {
    /// `Nh`, the output length of `Extract`, for known KDFs.
    pub fn output_len(self) -> Option<usize> {
        self.hash().map(HashAlgorithm::output_len)
    }

    /// The hash function behind a known HKDF.
    pub fn hash(self) -> Option<HashAlgorithm> {
        match self {
            Self::HKDF_SHA256 => Some(HashAlgorithm::Sha256),
            Self::HKDF_SHA384 => Some(HashAlgorithm::Sha384),
            Self::HKDF_SHA512 => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }
}

impl AeadId {
    /// `Nk`, the key length, for known AEADs (0 for export-only).
    pub fn key_len(self) -> Option<usize> {
        match self {
            Self::AES_128_GCM => Some(16),
            Self::AES_256_GCM | Self::CHACHA20_POLY1305 => Some(32),
            Self::EXPORT_ONLY => Some(0),
            _ => None,
        }
    }

    /// `Nn`, the nonce length, for known AEADs (0 for export-only).
    pub fn nonce_len(self) -> Option<usize> {
        match self {
            Self::AES_128_GCM | Self::AES_256_GCM | Self::CHACHA20_POLY1305 => Some(12),
            Self::EXPORT_ONLY => Some(0),
            _ => None,
        }
    }

    /// `Nt`, the tag length, for known AEADs.
    pub fn tag_len(self) -> Option<usize> {
        match self {
            Self::AES_128_GCM | Self::AES_256_GCM | Self::CHACHA20_POLY1305 => Some(16),
            _ => None,
        }
    }
}
