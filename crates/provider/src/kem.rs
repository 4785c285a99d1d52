//! The Diffie-Hellman groups of the DHKEMs of RFC 9180 §7.1: X25519, P-256, P-384 and P-521 on
//! aws-lc-rs, X448 on RustCrypto's `x448`. DHKEM itself (`Encap`, `Decap`, `DeriveKeyPair`) is
//! [`braid_crypto::dhkem`], run over these groups.

use aws_lc_rs::agreement::{self, ParsedPublicKey, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin, EcPrivateKeyBin};
use braid_crypto::dhkem::{DeriveKeyPairRule, DhGroup};
use braid_crypto::{CryptoError, KdfId, KemId, Result, Secret};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A DHKEM group implemented by aws-lc-rs.
#[derive(Debug)]
pub(crate) struct AwsLcGroup {
    alg: &'static agreement::Algorithm,
    kem: KemId,
    kdf: KdfId,
    rule: DeriveKeyPairRule,
    name: &'static str,
}

const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];
const P521_ORDER: [u8; 66] = [
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
];

/// DHKEM(X25519, HKDF-SHA256).
pub(crate) const X25519: AwsLcGroup = AwsLcGroup {
    alg: &agreement::X25519,
    kem: KemId::DHKEM_X25519,
    kdf: KdfId::HKDF_SHA256,
    rule: DeriveKeyPairRule::Direct,
    name: "X25519",
};

/// DHKEM(P-256, HKDF-SHA256).
pub(crate) const P256: AwsLcGroup = AwsLcGroup {
    alg: &agreement::ECDH_P256,
    kem: KemId::DHKEM_P256,
    kdf: KdfId::HKDF_SHA256,
    rule: DeriveKeyPairRule::RejectionSampling {
        order: &P256_ORDER,
        bitmask: 0xff,
    },
    name: "P-256",
};

/// DHKEM(P-384, HKDF-SHA384).
pub(crate) const P384: AwsLcGroup = AwsLcGroup {
    alg: &agreement::ECDH_P384,
    kem: KemId::DHKEM_P384,
    kdf: KdfId::HKDF_SHA384,
    rule: DeriveKeyPairRule::RejectionSampling {
        order: &P384_ORDER,
        bitmask: 0xff,
    },
    name: "P-384",
};

/// DHKEM(P-521, HKDF-SHA512).
pub(crate) const P521: AwsLcGroup = AwsLcGroup {
    alg: &agreement::ECDH_P521,
    kem: KemId::DHKEM_P521,
    kdf: KdfId::HKDF_SHA512,
    rule: DeriveKeyPairRule::RejectionSampling {
        order: &P521_ORDER,
        bitmask: 0x01,
    },
    name: "P-521",
};

impl AwsLcGroup {
    fn is_x25519(&self) -> bool {
        self.kem == KemId::DHKEM_X25519
    }

    /// `(Npk, Nsk)`.
    fn key_sizes(&self) -> (usize, usize) {
        self.kem
            .sizes()
            .map_or((0, 0), |(_, _, n_pk, n_sk)| (n_pk, n_sk))
    }
}

/// The error for an all-zero Diffie-Hellman result.
const ALL_ZERO: CryptoError = CryptoError::KemFailed("Diffie-Hellman result is all zero");

/// Fails with [`CryptoError::KemFailed`] if a DH output is all zero (RFC 9180 §7.1.4: X25519
/// and X448 with a small-order public key).
fn reject_all_zero(dh: &[u8]) -> Result<()> {
    let nonzero = dh.iter().fold(0u8, |acc, &b| acc | b);
    if bool::from(nonzero.ct_eq(&0)) {
        return Err(ALL_ZERO);
    }
    Ok(())
}

impl DhGroup for AwsLcGroup {
    type PrivateKey = PrivateKey;

    fn kem(&self) -> KemId {
        self.kem
    }

    fn kdf(&self) -> KdfId {
        self.kdf
    }

    fn derive_rule(&self) -> DeriveKeyPairRule {
        self.rule
    }

    fn generate(&self) -> Result<PrivateKey> {
        PrivateKey::generate(self.alg).map_err(|_| CryptoError::RandomFailed)
    }

    fn deserialize_private_key(&self, sk: &[u8]) -> Result<PrivateKey> {
        let (_, n_sk) = self.key_sizes();
        if sk.len() != n_sk {
            return Err(CryptoError::InvalidLength {
                what: "KEM private key",
                expected: n_sk,
                actual: sk.len(),
            });
        }
        // aws-lc rejects 0 and scalars >= n for the NIST curves.
        PrivateKey::from_private_key(self.alg, sk)
            .map_err(|_| CryptoError::InvalidPrivateKey(self.name))
    }

    fn serialize_private_key(&self, sk: &PrivateKey) -> Result<Secret> {
        let bytes = if self.is_x25519() {
            let seed: Curve25519SeedBin<'_> = sk
                .as_be_bytes()
                .map_err(|_| CryptoError::InvalidPrivateKey(self.name))?;
            Secret::from_slice(seed.as_ref())
        } else {
            let scalar: EcPrivateKeyBin<'_> = sk
                .as_be_bytes()
                .map_err(|_| CryptoError::InvalidPrivateKey(self.name))?;
            Secret::from_slice(scalar.as_ref())
        };
        Ok(bytes)
    }

    fn public_key(&self, sk: &PrivateKey) -> Result<Vec<u8>> {
        // Uncompressed point for the NIST curves (RFC 9180 §7.1.1), raw u-coordinate for X25519.
        let pk = sk
            .compute_public_key()
            .map_err(|_| CryptoError::InvalidPrivateKey(self.name))?;
        Ok(pk.as_ref().to_vec())
    }

    fn dh(&self, sk: &PrivateKey, pk: &[u8]) -> Result<Secret> {
        let (n_pk, _) = self.key_sizes();
        if pk.len() != n_pk {
            return Err(CryptoError::InvalidLength {
                what: "KEM public key",
                expected: n_pk,
                actual: pk.len(),
            });
        }
        // NIST curves: only the uncompressed SEC1 form (aws-lc would also take the hybrid form).
        if !self.is_x25519() && pk.first() != Some(&0x04) {
            return Err(CryptoError::InvalidPublicKey(self.name));
        }
        // Parsing checks that the point is on the curve.
        let peer = ParsedPublicKey::try_from(UnparsedPublicKey::new(self.alg, pk))
            .map_err(|_| CryptoError::InvalidPublicKey(self.name))?;
        // After a successful parse, aws-lc's X25519 fails only on an all-zero result.
        let failure = if self.is_x25519() {
            ALL_ZERO
        } else {
            CryptoError::KemFailed("Diffie-Hellman failed")
        };
        let dh = agreement::agree(sk, peer, failure, |z| Ok(Secret::from_slice(z)))?;
        reject_all_zero(dh.as_bytes())?;
        Ok(dh)
    }
}

/// DHKEM(X448, HKDF-SHA512), on RustCrypto's `x448`.
#[derive(Debug)]
pub(crate) struct X448;

/// Length of X448 keys and shared secrets (RFC 7748 §5).
const X448_LEN: usize = 56;

fn x448_array(bytes: &[u8], what: &'static str) -> Result<[u8; X448_LEN]> {
    bytes.try_into().map_err(|_| CryptoError::InvalidLength {
        what,
        expected: X448_LEN,
        actual: bytes.len(),
    })
}

impl DhGroup for X448 {
    type PrivateKey = Zeroizing<[u8; X448_LEN]>;

    fn kem(&self) -> KemId {
        KemId::DHKEM_X448
    }

    fn kdf(&self) -> KdfId {
        KdfId::HKDF_SHA512
    }

    fn derive_rule(&self) -> DeriveKeyPairRule {
        DeriveKeyPairRule::Direct
    }

    fn generate(&self) -> Result<Self::PrivateKey> {
        let mut sk = Zeroizing::new([0u8; X448_LEN]);
        aws_lc_rs::rand::fill(sk.as_mut_slice()).map_err(|_| CryptoError::RandomFailed)?;
        Ok(sk)
    }

    fn deserialize_private_key(&self, sk: &[u8]) -> Result<Self::PrivateKey> {
        // Every 56-byte string is an X448 private key: X448 clamps it (RFC 7748 §5).
        x448_array(sk, "KEM private key").map(Zeroizing::new)
    }

    fn serialize_private_key(&self, sk: &Self::PrivateKey) -> Result<Secret> {
        Ok(Secret::from_slice(sk.as_slice()))
    }

    fn public_key(&self, sk: &Self::PrivateKey) -> Result<Vec<u8>> {
        Ok(x448::x448_unchecked(**sk, x448::X448_BASEPOINT_BYTES).to_vec())
    }

    fn dh(&self, sk: &Self::PrivateKey, pk: &[u8]) -> Result<Secret> {
        let pk = x448_array(pk, "KEM public key")?;
        let dh = Zeroizing::new(x448::x448_unchecked(**sk, pk));
        reject_all_zero(dh.as_slice())?;
        Ok(Secret::from_slice(dh.as_slice()))
    }
}
