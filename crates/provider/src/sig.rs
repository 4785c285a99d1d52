//! Signature schemes of the MLS suites (RFC 9420 §5.1.2, §17.1): Ed25519 and ECDSA over
//! P-256/SHA-256, P-384/SHA-384 and P-521/SHA-512 on aws-lc-rs, Ed448 on RustCrypto's
//! `ed448-goldilocks`.
//!
//! Encodings (RFC 9420 §5.1.2): EdDSA keys are the raw RFC 8032 private and public keys; ECDSA
//! private keys are big-endian scalars of the curve's order length, public keys uncompressed
//! SEC1 points, signatures DER-encoded `Ecdsa-Sig-Value`s.

use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin, EcPrivateKeyBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, ParsedPublicKey,
    VerificationAlgorithm,
};
use braid_crypto::{CryptoError, Result, Secret, SignatureKeyPair, SignatureScheme};
use ed448_goldilocks::{SigningKey as Ed448SigningKey, VerifyingKey as Ed448VerifyingKey};
use zeroize::Zeroizing;

/// An ECDSA scheme: curve, hash and the encoding sizes.
struct Ecdsa {
    signing: &'static EcdsaSigningAlgorithm,
    verification: &'static dyn VerificationAlgorithm,
    /// Private scalar length (the byte length of the group order).
    scalar_len: usize,
    name: &'static str,
}

impl Ecdsa {
    /// Length of an uncompressed SEC1 point: `0x04 || x || y`.
    fn public_key_len(&self) -> usize {
        1 + 2 * self.scalar_len
    }
}

const ECDSA_P256: Ecdsa = Ecdsa {
    signing: &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    verification: &signature::ECDSA_P256_SHA256_ASN1,
    scalar_len: 32,
    name: "ECDSA P-256",
};
const ECDSA_P384: Ecdsa = Ecdsa {
    signing: &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
    verification: &signature::ECDSA_P384_SHA384_ASN1,
    scalar_len: 48,
    name: "ECDSA P-384",
};
const ECDSA_P521: Ecdsa = Ecdsa {
    signing: &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
    verification: &signature::ECDSA_P521_SHA512_ASN1,
    scalar_len: 66,
    name: "ECDSA P-521",
};

/// Ed25519 key and signature lengths (RFC 8032 §5.1.5, §5.1.6).
const ED25519_KEY_LEN: usize = 32;
const ED25519_SIGNATURE_LEN: usize = 64;
/// Ed448 key and signature lengths (RFC 8032 §5.2.5, §5.2.6).
const ED448_KEY_LEN: usize = ed448_goldilocks::SECRET_KEY_LENGTH;
const ED448_SIGNATURE_LEN: usize = ed448_goldilocks::SIGNATURE_LENGTH;

fn ecdsa(scheme: SignatureScheme) -> Option<&'static Ecdsa> {
    match scheme {
        SignatureScheme::ECDSA_SECP256R1_SHA256 => Some(&ECDSA_P256),
        SignatureScheme::ECDSA_SECP384R1_SHA384 => Some(&ECDSA_P384),
        SignatureScheme::ECDSA_SECP521R1_SHA512 => Some(&ECDSA_P521),
        _ => None,
    }
}

pub(crate) fn supports(scheme: SignatureScheme) -> bool {
    matches!(scheme, SignatureScheme::ED25519 | SignatureScheme::ED448) || ecdsa(scheme).is_some()
}

fn check_len(what: &'static str, bytes: &[u8], expected: usize) -> Result<()> {
    if bytes.len() != expected {
        return Err(CryptoError::InvalidLength { what, expected, actual: bytes.len() });
    }
    Ok(())
}

fn ed25519_key_pair(private_key: &[u8]) -> Result<Ed25519KeyPair> {
    check_len("Ed25519 private key", private_key, ED25519_KEY_LEN)?;
    Ed25519KeyPair::from_seed_unchecked(private_key).map_err(|_| CryptoError::InvalidPrivateKey("Ed25519"))
}

fn ed448_signing_key(private_key: &[u8]) -> Result<Ed448SigningKey> {
    check_len("Ed448 private key", private_key, ED448_KEY_LEN)?;
    Ed448SigningKey::try_from(private_key).map_err(|_| CryptoError::InvalidPrivateKey("Ed448"))
}

/// The key pair of a big-endian private scalar, parsed as an RFC 5915 `ECPrivateKey` without
/// the optional public key (aws-lc computes it). Rejects 0 and scalars `>= n`.
fn ecdsa_key_pair(ecdsa: &Ecdsa, private_key: &[u8]) -> Result<EcdsaKeyPair> {
    check_len("ECDSA private key", private_key, ecdsa.scalar_len)?;
    // SEQUENCE { INTEGER 1, OCTET STRING scalar }: at most 73 bytes, so short-form lengths.
    let octets = u8::try_from(private_key.len()).map_err(|_| CryptoError::InvalidPrivateKey(ecdsa.name))?;
    let mut der = Zeroizing::new(Vec::with_capacity(7 + private_key.len()));
    der.extend_from_slice(&[0x30, octets + 5, 0x02, 0x01, 0x01, 0x04, octets]);
    der.extend_from_slice(private_key);
    EcdsaKeyPair::from_private_key_der(ecdsa.signing, &der).map_err(|_| CryptoError::InvalidPrivateKey(ecdsa.name))
}

/// A fresh random key pair.
pub(crate) fn generate(scheme: SignatureScheme) -> Result<SignatureKeyPair> {
    let rng_failed = |_| CryptoError::RandomFailed;
    if let Some(ecdsa) = ecdsa(scheme) {
        let pair = EcdsaKeyPair::generate(ecdsa.signing).map_err(rng_failed)?;
        let scalar: EcPrivateKeyBin<'_> = pair.private_key().as_be_bytes().map_err(rng_failed)?;
        return Ok(SignatureKeyPair {
            private_key: Secret::from_slice(scalar.as_ref()),
            public_key: pair.public_key().as_ref().to_vec(),
        });
    }
    match scheme {
        SignatureScheme::ED25519 => {
            let pair = Ed25519KeyPair::generate().map_err(rng_failed)?;
            let seed: Curve25519SeedBin<'_> = pair.seed().and_then(|s| s.as_be_bytes()).map_err(rng_failed)?;
            Ok(SignatureKeyPair {
                private_key: Secret::from_slice(seed.as_ref()),
                public_key: pair.public_key().as_ref().to_vec(),
            })
        }
        SignatureScheme::ED448 => {
            let mut seed = Zeroizing::new([0u8; ED448_KEY_LEN]);
            aws_lc_rs::rand::fill(seed.as_mut_slice()).map_err(rng_failed)?;
            let key = ed448_signing_key(seed.as_slice())?;
            Ok(SignatureKeyPair {
                private_key: Secret::from_slice(seed.as_slice()),
                public_key: key.verifying_key().to_bytes().to_vec(),
            })
        }
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// The public key of a private key.
pub(crate) fn public_key(scheme: SignatureScheme, private_key: &[u8]) -> Result<Vec<u8>> {
    if let Some(ecdsa) = ecdsa(scheme) {
        return Ok(ecdsa_key_pair(ecdsa, private_key)?.public_key().as_ref().to_vec());
    }
    match scheme {
        SignatureScheme::ED25519 => Ok(ed25519_key_pair(private_key)?.public_key().as_ref().to_vec()),
        SignatureScheme::ED448 => Ok(ed448_signing_key(private_key)?.verifying_key().to_bytes().to_vec()),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// Signs `message` (EdDSA: pure Ed25519/Ed448 with an empty context; ECDSA: DER signature).
pub(crate) fn sign(scheme: SignatureScheme, private_key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    if let Some(ecdsa) = ecdsa(scheme) {
        let signature = ecdsa_key_pair(ecdsa, private_key)?
            .sign(&SystemRandom::new(), message)
            .map_err(|_| CryptoError::RandomFailed)?;
        return Ok(signature.as_ref().to_vec());
    }
    match scheme {
        SignatureScheme::ED25519 => Ok(ed25519_key_pair(private_key)?.sign(message).as_ref().to_vec()),
        SignatureScheme::ED448 => Ok(ed448_signing_key(private_key)?.sign_raw(message).to_bytes().to_vec()),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// Verifies `signature` over `message` under `public_key`.
pub(crate) fn verify(scheme: SignatureScheme, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    if let Some(ecdsa) = ecdsa(scheme) {
        check_len("ECDSA public key", public_key, ecdsa.public_key_len())?;
        // Only the uncompressed form (aws-lc would also take the hybrid form 0x06/0x07).
        if public_key.first() != Some(&0x04) {
            return Err(CryptoError::InvalidPublicKey(ecdsa.name));
        }
        // Parsing checks that the point is on the curve.
        let key = ParsedPublicKey::new(ecdsa.verification, public_key)
            .map_err(|_| CryptoError::InvalidPublicKey(ecdsa.name))?;
        return key.verify_sig(message, signature).map_err(|_| CryptoError::InvalidSignature);
    }
    match scheme {
        SignatureScheme::ED25519 => {
            check_len("Ed25519 public key", public_key, ED25519_KEY_LEN)?;
            if signature.len() != ED25519_SIGNATURE_LEN {
                return Err(CryptoError::InvalidSignature);
            }
            signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
                .verify(message, signature)
                .map_err(|_| CryptoError::InvalidSignature)
        }
        SignatureScheme::ED448 => {
            let key_bytes = public_key.try_into().map_err(|_| CryptoError::InvalidLength {
                what: "Ed448 public key",
                expected: ED448_KEY_LEN,
                actual: public_key.len(),
            })?;
            let key = Ed448VerifyingKey::from_bytes(key_bytes).map_err(|_| CryptoError::InvalidPublicKey("Ed448"))?;
            if signature.len() != ED448_SIGNATURE_LEN {
                return Err(CryptoError::InvalidSignature);
            }
            let signature =
                ed448_goldilocks::Signature::from_slice(signature).map_err(|_| CryptoError::InvalidSignature)?;
            key.verify_raw(&signature, message).map_err(|_| CryptoError::InvalidSignature)
        }
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}
