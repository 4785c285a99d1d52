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
use std::cell::RefCell;

use braid_crypto::{CryptoError, Result, Secret, SignatureKeyPair, SignatureScheme};
use ed448_goldilocks::{SigningKey as Ed448SigningKey, VerifyingKey as Ed448VerifyingKey};
use zeroize::Zeroizing;

use crate::cache::KeyCache;

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

static ECDSA_P256: Ecdsa = Ecdsa {
    signing: &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    verification: &signature::ECDSA_P256_SHA256_ASN1,
    scalar_len: 32,
    name: "ECDSA P-256",
};
static ECDSA_P384: Ecdsa = Ecdsa {
    signing: &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
    verification: &signature::ECDSA_P384_SHA384_ASN1,
    scalar_len: 48,
    name: "ECDSA P-384",
};
static ECDSA_P521: Ecdsa = Ecdsa {
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
        return Err(CryptoError::InvalidLength {
            what,
            expected,
            actual: bytes.len(),
        });
    }
    Ok(())
}

/// A parsed signing key.
enum Signer {
    Ed25519(Ed25519KeyPair),
    Ed448(Box<Ed448SigningKey>),
    Ecdsa(EcdsaKeyPair),
}

impl Signer {
    /// Parses a private key of `scheme`.
    fn parse(scheme: SignatureScheme, private_key: &[u8]) -> Result<Self> {
        if let Some(ecdsa) = ecdsa(scheme) {
            return ecdsa_key_pair(ecdsa, private_key).map(Self::Ecdsa);
        }
        match scheme {
            SignatureScheme::ED25519 => {
                check_len("Ed25519 private key", private_key, ED25519_KEY_LEN)?;
                Ed25519KeyPair::from_seed_unchecked(private_key)
                    .map(Self::Ed25519)
                    .map_err(|_| CryptoError::InvalidPrivateKey("Ed25519"))
            }
            SignatureScheme::ED448 => {
                check_len("Ed448 private key", private_key, ED448_KEY_LEN)?;
                Ed448SigningKey::try_from(private_key)
                    .map(|key| Self::Ed448(Box::new(key)))
                    .map_err(|_| CryptoError::InvalidPrivateKey("Ed448"))
            }
            other => Err(CryptoError::UnsupportedSignatureScheme(other)),
        }
    }

    fn public_key(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
            Self::Ed448(key) => key.verifying_key().to_bytes().to_vec(),
            Self::Ecdsa(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// EdDSA: pure Ed25519/Ed448 with an empty context; ECDSA: a DER signature.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        Ok(match self {
            Self::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            Self::Ed448(key) => key.sign_raw(message).to_bytes().to_vec(),
            Self::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map_err(|_| CryptoError::RandomFailed)?
                .as_ref()
                .to_vec(),
        })
    }
}

/// A parsed public key, for the schemes where parsing is worth caching (Ed25519 keys are
/// decoded inside aws-lc's verification itself).
enum Verifier {
    Ed448(Box<Ed448VerifyingKey>),
    Ecdsa(ParsedPublicKey),
}

impl Verifier {
    /// Parses and validates a public key of `scheme` (ECDSA or Ed448).
    fn parse(scheme: SignatureScheme, public_key: &[u8]) -> Result<Self> {
        if let Some(ecdsa) = ecdsa(scheme) {
            check_len("ECDSA public key", public_key, ecdsa.public_key_len())?;
            // Only the uncompressed form (aws-lc would also take the hybrid form 0x06/0x07).
            if public_key.first() != Some(&0x04) {
                return Err(CryptoError::InvalidPublicKey(ecdsa.name));
            }
            // Parsing checks that the point is on the curve.
            return ParsedPublicKey::new(ecdsa.verification, public_key)
                .map(Self::Ecdsa)
                .map_err(|_| CryptoError::InvalidPublicKey(ecdsa.name));
        }
        if scheme != SignatureScheme::ED448 {
            return Err(CryptoError::UnsupportedSignatureScheme(scheme));
        }
        let key_bytes = public_key
            .try_into()
            .map_err(|_| CryptoError::InvalidLength {
                what: "Ed448 public key",
                expected: ED448_KEY_LEN,
                actual: public_key.len(),
            })?;
        Ed448VerifyingKey::from_bytes(key_bytes)
            .map(|key| Self::Ed448(Box::new(key)))
            .map_err(|_| CryptoError::InvalidPublicKey("Ed448"))
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let valid = match self {
            Self::Ecdsa(key) => key.verify_sig(message, signature).is_ok(),
            Self::Ed448(key) => {
                signature.len() == ED448_SIGNATURE_LEN
                    && ed448_goldilocks::Signature::from_slice(signature)
                        .is_ok_and(|signature| key.verify_raw(&signature, message).is_ok())
            }
        };
        valid.then_some(()).ok_or(CryptoError::InvalidSignature)
    }
}

thread_local! {
    /// Recently used signing keys: a member signs with its own few keys again and again.
    static SIGNERS: RefCell<KeyCache<Signer>> = RefCell::new(KeyCache::new(4, true));
    /// Recently used verification keys: the group members' keys.
    static VERIFIERS: RefCell<KeyCache<Verifier>> = RefCell::new(KeyCache::new(32, false));
}

/// Runs `f` on the (cached) parsed signing key.
fn with_signer<R>(
    scheme: SignatureScheme,
    private_key: &[u8],
    f: impl FnOnce(&Signer) -> Result<R>,
) -> Result<R> {
    SIGNERS.with_borrow_mut(|cache| {
        cache.with(
            scheme,
            private_key,
            || Signer::parse(scheme, private_key),
            f,
        )
    })
}

/// The key pair of a big-endian private scalar, parsed as an RFC 5915 `ECPrivateKey` without
/// the optional public key (aws-lc computes it). Rejects 0 and scalars `>= n`.
fn ecdsa_key_pair(ecdsa: &Ecdsa, private_key: &[u8]) -> Result<EcdsaKeyPair> {
    // A big-endian scalar may come without its leading zero bytes (the official P-521 vectors
    // carry 65-byte keys): left-pad it to the field size, reject anything longer or empty.
    if private_key.is_empty() || private_key.len() > ecdsa.scalar_len {
        return Err(CryptoError::InvalidLength {
            what: "ECDSA private key",
            expected: ecdsa.scalar_len,
            actual: private_key.len(),
        });
    }
    // SEQUENCE { INTEGER 1, OCTET STRING scalar }: at most 73 bytes, so short-form lengths.
    let octets =
        u8::try_from(ecdsa.scalar_len).map_err(|_| CryptoError::InvalidPrivateKey(ecdsa.name))?;
    let mut der = Zeroizing::new(Vec::with_capacity(7 + ecdsa.scalar_len));
    der.extend_from_slice(&[0x30, octets + 5, 0x02, 0x01, 0x01, 0x04, octets]);
    let padded_len = der.len() + ecdsa.scalar_len - private_key.len();
    der.resize(padded_len, 0);
    der.extend_from_slice(private_key);
    EcdsaKeyPair::from_private_key_der(ecdsa.signing, &der)
        .map_err(|_| CryptoError::InvalidPrivateKey(ecdsa.name))
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
            let seed: Curve25519SeedBin<'_> = pair
                .seed()
                .and_then(|s| s.as_be_bytes())
                .map_err(rng_failed)?;
            Ok(SignatureKeyPair {
                private_key: Secret::from_slice(seed.as_ref()),
                public_key: pair.public_key().as_ref().to_vec(),
            })
        }
        SignatureScheme::ED448 => {
            let mut seed = Zeroizing::new([0u8; ED448_KEY_LEN]);
            aws_lc_rs::rand::fill(seed.as_mut_slice()).map_err(rng_failed)?;
            Ok(SignatureKeyPair {
                public_key: public_key(scheme, seed.as_slice())?,
                private_key: Secret::from_slice(seed.as_slice()),
            })
        }
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// The public key of a private key.
pub(crate) fn public_key(scheme: SignatureScheme, private_key: &[u8]) -> Result<Vec<u8>> {
    with_signer(scheme, private_key, |signer| Ok(signer.public_key()))
}

/// Signs `message`.
pub(crate) fn sign(scheme: SignatureScheme, private_key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    with_signer(scheme, private_key, |signer| signer.sign(message))
}

/// Verifies `signature` over `message` under `public_key`.
pub(crate) fn verify(
    scheme: SignatureScheme,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
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
        // ECDSA and Ed448; `Verifier::parse` rejects other schemes (and nothing is cached).
        _ => VERIFIERS.with_borrow_mut(|cache| {
            cache.with(
                scheme,
                public_key,
                || Verifier::parse(scheme, public_key),
                |key| key.verify(message, signature),
            )
        }),
    }
}
