//! braid's default [`CryptoProvider`]: every algorithm of the seven RFC 9420 cipher suites
//! (RFC 9420 §17.1).
//!
//! | algorithms | backend |
//! |---|---|
//! | SHA-256/384/512, HMAC, HKDF | aws-lc-rs |
//! | AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 | aws-lc-rs |
//! | DHKEM(X25519), DHKEM(P-256), DHKEM(P-384), DHKEM(P-521) | aws-lc-rs + [`braid_crypto::dhkem`] |
//! | DHKEM(X448) | `x448` + [`braid_crypto::dhkem`] |
//! | Ed25519, ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 | aws-lc-rs |
//! | Ed448 | `ed448-goldilocks` |
//!
//! HPKE (RFC 9180) comes from [`braid_crypto::hpke`] on top of this provider.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aead;
mod cache;
mod hash;
mod kem;
mod sig;

use braid_crypto::dhkem;
use braid_crypto::{
    AeadId, CryptoError, CryptoProvider, HashAlgorithm, KdfId, KemId, KemKeyPair, KemOutput,
    Result, Secret, SignatureKeyPair, SignatureScheme,
};

/// The default provider: aws-lc-rs, with RustCrypto's `x448` and `ed448-goldilocks` for the
/// two algorithms aws-lc-rs lacks. Stateless and cheap to copy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DefaultProvider;

impl DefaultProvider {
    /// The provider.
    pub const fn new() -> Self {
        Self
    }
}

/// Runs `$body` with `$g` bound to the Diffie-Hellman group of `$kem`.
macro_rules! with_dh_group {
    ($kem:expr, |$g:ident| $body:expr) => {
        match $kem {
            KemId::DHKEM_X25519 => {
                let $g = &kem::X25519;
                $body
            }
            KemId::DHKEM_P256 => {
                let $g = &kem::P256;
                $body
            }
            KemId::DHKEM_P384 => {
                let $g = &kem::P384;
                $body
            }
            KemId::DHKEM_P521 => {
                let $g = &kem::P521;
                $body
            }
            KemId::DHKEM_X448 => {
                let $g = &kem::X448;
                $body
            }
            other => Err(CryptoError::UnsupportedKem(other)),
        }
    };
}

impl CryptoProvider for DefaultProvider {
    fn supports_kem(&self, kem: KemId) -> bool {
        matches!(
            kem,
            KemId::DHKEM_X25519
                | KemId::DHKEM_P256
                | KemId::DHKEM_P384
                | KemId::DHKEM_P521
                | KemId::DHKEM_X448
        )
    }

    fn supports_kdf(&self, kdf: KdfId) -> bool {
        kdf.hash().is_some()
    }

    fn supports_aead(&self, aead: AeadId) -> bool {
        aead::supports(aead)
    }

    fn supports_signature(&self, scheme: SignatureScheme) -> bool {
        sig::supports(scheme)
    }

    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
        Ok(hash::hash(alg, data))
    }

    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        Ok(hash::hmac(alg, key, data))
    }

    fn kdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret> {
        hash::kdf_extract(kdf, salt, ikm)
    }

    fn kdf_expand(&self, kdf: KdfId, prk: &[u8], info: &[u8], len: usize) -> Result<Secret> {
        hash::kdf_expand(kdf, prk, info, len)
    }

    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        aead::seal(aead, key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        aead::open(aead, key, nonce, aad, ciphertext)
    }

    fn kem_generate(&self, kem: KemId) -> Result<KemKeyPair> {
        with_dh_group!(kem, |g| dhkem::generate(g))
    }

    fn kem_derive_key_pair(&self, kem: KemId, ikm: &[u8]) -> Result<KemKeyPair> {
        with_dh_group!(kem, |g| dhkem::derive_key_pair(self, g, ikm))
    }

    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>> {
        with_dh_group!(kem, |g| dhkem::public_key(g, private_key))
    }

    fn kem_encap(&self, kem: KemId, public_key: &[u8]) -> Result<KemOutput> {
        with_dh_group!(kem, |g| dhkem::encap(self, g, public_key))
    }

    fn kem_decap(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret> {
        with_dh_group!(kem, |g| dhkem::decap(self, g, enc, private_key, public_key))
    }

    fn kem_encap_derand(&self, kem: KemId, public_key: &[u8], ikm_e: &[u8]) -> Result<KemOutput> {
        with_dh_group!(kem, |g| dhkem::encap_derand(self, g, public_key, ikm_e))
    }

    fn signature_generate(&self, scheme: SignatureScheme) -> Result<SignatureKeyPair> {
        sig::generate(scheme)
    }

    fn signature_public_key(&self, scheme: SignatureScheme, private_key: &[u8]) -> Result<Vec<u8>> {
        sig::public_key(scheme, private_key)
    }

    fn sign(&self, scheme: SignatureScheme, private_key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
        sig::sign(scheme, private_key, message)
    }

    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        sig::verify(scheme, public_key, message, signature)
    }

    fn random_fill(&self, out: &mut [u8]) -> Result<()> {
        aws_lc_rs::rand::fill(out).map_err(|_| CryptoError::RandomFailed)
    }
}
