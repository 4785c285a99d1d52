use crate::{
    AeadId, CipherSuite, CryptoError, HashAlgorithm, KdfId, KemId, Result, Secret, SignatureScheme,
};

/// A KEM key pair: the private key as HPKE serializes it (`SerializePrivateKey`) and the
/// public key (`SerializePublicKey`).
#[derive(Debug, Clone)]
pub struct KemKeyPair {
    /// `SerializePrivateKey(skX)`.
    pub private_key: Secret,
    /// `SerializePublicKey(pkX)`.
    pub public_key: Vec<u8>,
}

/// The result of `Encap`: the shared secret and the encapsulation sent to the receiver.
#[derive(Debug, Clone)]
pub struct KemOutput {
    /// `shared_secret`.
    pub shared_secret: Secret,
    /// `enc`.
    pub enc: Vec<u8>,
}

/// A signature key pair in the encodings MLS uses (RFC 9420 §5.1.2): for Ed25519/Ed448 the
/// raw private key and public key, for ECDSA the big-endian scalar and the uncompressed point.
#[derive(Debug, Clone)]
pub struct SignatureKeyPair {
    /// The private key.
    pub private_key: Secret,
    /// The public key.
    pub public_key: Vec<u8>,
}

/// Everything the MLS layers need from a cryptography backend.
///
/// Algorithms are passed by code point; a provider returns the matching `Unsupported…` error
/// for one it does not implement. HPKE itself is built on these methods in [`crate::hpke`],
/// so a provider supplies KEMs, KDFs and AEADs and gets HPKE for free.
///
/// Methods added for later features always come with a default implementation.
pub trait CryptoProvider: Send + Sync + std::fmt::Debug {
    /// Whether the provider implements this KEM.
    fn supports_kem(&self, kem: KemId) -> bool;
    /// Whether the provider implements this KDF.
    fn supports_kdf(&self, kdf: KdfId) -> bool;
    /// Whether the provider implements this AEAD.
    fn supports_aead(&self, aead: AeadId) -> bool;
    /// Whether the provider implements this signature scheme.
    fn supports_signature(&self, scheme: SignatureScheme) -> bool;

    /// Whether every algorithm of `suite` is implemented.
    fn supports_suite(&self, suite: CipherSuite) -> bool {
        suite.descriptor().is_some_and(|d| {
            self.supports_kem(d.kem)
                && self.supports_kdf(d.kdf)
                && self.supports_aead(d.aead)
                && self.supports_signature(d.signature)
        })
    }

    /// `Hash(data)`.
    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>>;
    /// `HMAC(key, data)` with the given hash.
    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Vec<u8>>;

    /// `KDF.Extract(salt, ikm)`.
    fn kdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret>;
    /// `KDF.Expand(prk, info, len)`.
    fn kdf_expand(&self, kdf: KdfId, prk: &[u8], info: &[u8], len: usize) -> Result<Secret>;

    /// AEAD encryption; returns ciphertext followed by the tag.
    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>>;
    /// AEAD decryption of ciphertext-with-tag; [`CryptoError::AeadOpenFailed`] if it does not
    /// authenticate.
    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>>;

    /// A fresh random KEM key pair.
    fn kem_generate(&self, kem: KemId) -> Result<KemKeyPair>;
    /// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3 for the DHKEMs).
    fn kem_derive_key_pair(&self, kem: KemId, ikm: &[u8]) -> Result<KemKeyPair>;
    /// The public key that belongs to a serialized private key.
    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>>;
    /// `Encap(pkR)` with fresh randomness.
    fn kem_encap(&self, kem: KemId, public_key: &[u8]) -> Result<KemOutput>;
    /// `Decap(enc, skR)`; `public_key` is `pkR`, which DHKEM binds into the shared secret.
    fn kem_decap(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret>;
    /// Deterministic `Encap` from the encapsulation randomness `ikm_e` (test vectors, fuzzing).
    fn kem_encap_derand(&self, kem: KemId, public_key: &[u8], ikm_e: &[u8]) -> Result<KemOutput> {
        let _ = (kem, public_key, ikm_e);
        Err(CryptoError::UnsupportedOperation(
            "deterministic encapsulation",
        ))
    }

    /// A fresh random signature key pair.
    fn signature_generate(&self, scheme: SignatureScheme) -> Result<SignatureKeyPair>;
    /// The public key that belongs to a private signature key.
    fn signature_public_key(&self, scheme: SignatureScheme, private_key: &[u8]) -> Result<Vec<u8>>;
    /// Signs `message`.
    fn sign(&self, scheme: SignatureScheme, private_key: &[u8], message: &[u8]) -> Result<Vec<u8>>;
    /// Verifies `signature` over `message`; [`CryptoError::InvalidSignature`] if it does not.
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<()>;

    /// Fills `out` with cryptographically secure random bytes.
    fn random_fill(&self, out: &mut [u8]) -> Result<()>;

    /// `len` random bytes.
    fn random_bytes(&self, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0; len];
        self.random_fill(&mut out)?;
        Ok(out)
    }
}
