//! A deterministic [`CryptoProvider`]: braid's default provider with every random choice
//! (fresh KEM and signature keys, HPKE encapsulation, nonces and secrets) drawn from a
//! counter-mode SHA-256 stream over a fixed seed. Fixtures built with it are the same in
//! every run, so fuzz inputs derived from them (real ciphertexts, tags, references) keep
//! their meaning across runs and machines. For tests only: the stream is predictable.

use std::sync::atomic::{AtomicU64, Ordering};

use braid_crypto::{
    AeadId, CryptoError, CryptoProvider, HashAlgorithm, KdfId, KemId, KemKeyPair, KemOutput,
    Secret, SignatureKeyPair, SignatureScheme,
};
use braid_provider::DefaultProvider;

/// Bytes of randomness behind each KEM key pair and encapsulation (`DeriveKeyPair` input):
/// more than the largest `Nsk` (66, P-521).
const KEM_IKM_LEN: usize = 80;

/// The default provider with a seeded random stream.
#[derive(Debug)]
pub struct DeterministicProvider {
    inner: DefaultProvider,
    seed: u64,
    counter: AtomicU64,
}

impl DeterministicProvider {
    /// A provider whose random stream is determined by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self {
            inner: DefaultProvider::new(),
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// The length of a private key of `scheme`, and a mask for its first byte that keeps an
    /// ECDSA scalar below the group order.
    fn signature_key_shape(scheme: SignatureScheme) -> Result<(usize, u8), CryptoError> {
        Ok(match scheme {
            SignatureScheme::ED25519 => (32, 0xff),
            SignatureScheme::ED448 => (57, 0xff),
            SignatureScheme::ECDSA_SECP256R1_SHA256 => (32, 0x7f),
            SignatureScheme::ECDSA_SECP384R1_SHA384 => (48, 0x7f),
            SignatureScheme::ECDSA_SECP521R1_SHA512 => (66, 0x00),
            _ => return Err(CryptoError::UnsupportedOperation("signature scheme")),
        })
    }
}

impl CryptoProvider for DeterministicProvider {
    fn supports_kem(&self, kem: KemId) -> bool {
        self.inner.supports_kem(kem)
    }

    fn supports_kdf(&self, kdf: KdfId) -> bool {
        self.inner.supports_kdf(kdf)
    }

    fn supports_aead(&self, aead: AeadId) -> bool {
        self.inner.supports_aead(aead)
    }

    fn supports_signature(&self, scheme: SignatureScheme) -> bool {
        self.inner.supports_signature(scheme)
    }

    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.hash(alg, data)
    }

    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.hmac(alg, key, data)
    }

    fn kdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.inner.kdf_extract(kdf, salt, ikm)
    }

    fn kdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.inner.kdf_expand(kdf, prk, info, len)
    }

    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.aead_seal(aead, key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.aead_open(aead, key, nonce, aad, ciphertext)
    }

    fn kem_generate(&self, kem: KemId) -> Result<KemKeyPair, CryptoError> {
        let ikm = self.random_bytes(KEM_IKM_LEN)?;
        self.inner.kem_derive_key_pair(kem, &ikm)
    }

    fn kem_derive_key_pair(&self, kem: KemId, ikm: &[u8]) -> Result<KemKeyPair, CryptoError> {
        self.inner.kem_derive_key_pair(kem, ikm)
    }

    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.kem_public_key(kem, private_key)
    }

    fn kem_encap(&self, kem: KemId, public_key: &[u8]) -> Result<KemOutput, CryptoError> {
        let ikm = self.random_bytes(KEM_IKM_LEN)?;
        self.inner.kem_encap_derand(kem, public_key, &ikm)
    }

    fn kem_decap(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.inner.kem_decap(kem, enc, private_key, public_key)
    }

    fn kem_encap_derand(
        &self,
        kem: KemId,
        public_key: &[u8],
        ikm_e: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        self.inner.kem_encap_derand(kem, public_key, ikm_e)
    }

    fn signature_generate(&self, scheme: SignatureScheme) -> Result<SignatureKeyPair, CryptoError> {
        let (len, mask) = Self::signature_key_shape(scheme)?;
        let mut private_key = self.random_bytes(len)?;
        if let Some(first) = private_key.first_mut() {
            *first &= mask;
        }
        // A scalar of all zeros is the one ECDSA key this can produce that is invalid.
        if let Some(last) = private_key.last_mut() {
            *last |= 1;
        }
        let public_key = self.inner.signature_public_key(scheme, &private_key)?;
        Ok(SignatureKeyPair {
            private_key: Secret::new(private_key),
            public_key,
        })
    }

    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.signature_public_key(scheme, private_key)
    }

    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.sign(scheme, private_key, message)
    }

    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.inner.verify(scheme, public_key, message, signature)
    }

    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        for chunk in out.chunks_mut(32) {
            let counter = self.counter.fetch_add(1, Ordering::Relaxed);
            let mut input = [0u8; 16];
            input[..8].copy_from_slice(&self.seed.to_be_bytes());
            input[8..].copy_from_slice(&counter.to_be_bytes());
            let block = self.inner.hash(HashAlgorithm::Sha256, &input)?;
            let len = chunk.len();
            chunk.copy_from_slice(block.get(..len).ok_or(CryptoError::RandomFailed)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_depends_on_the_seed_only() {
        let a = DeterministicProvider::new(1);
        let b = DeterministicProvider::new(1);
        let c = DeterministicProvider::new(2);
        let first = a.random_bytes(70).unwrap();
        assert_eq!(first, b.random_bytes(70).unwrap());
        assert_ne!(first, c.random_bytes(70).unwrap());
        let again = a.random_bytes(70).unwrap();
        assert_ne!(first, again);
        assert_eq!(again, b.random_bytes(70).unwrap());
        let pair = a.signature_generate(SignatureScheme::ED25519).unwrap();
        assert_eq!(
            b.signature_generate(SignatureScheme::ED25519)
                .unwrap()
                .public_key,
            pair.public_key
        );
    }
}
