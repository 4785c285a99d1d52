//! The cryptographic operations of an MLS cipher suite (RFC 9420 §5.1, §5.2, §8 and §9 labels).
//!
//! [`Suite`] binds a [`CryptoProvider`] to one cipher suite and offers the labeled
//! constructions MLS builds on the primitives: `ExpandWithLabel`, `DeriveSecret`,
//! `DeriveTreeSecret`, `RefHash`, `SignWithLabel` / `VerifyWithLabel` and `EncryptWithLabel` /
//! `DecryptWithLabel`. Every labeled input (`KDFLabel`, `SignContent`, `EncryptContext`,
//! `RefHashInput`) is written straight into a single buffer, with the `"MLS 1.0 "` prefix where
//! the RFC adds it.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::{codec_struct, write_varint};
use braid_crypto::hpke::{self, HpkeSuite};
use braid_crypto::{
    CipherSuite, CryptoError, CryptoProvider, KemKeyPair, Result, Secret, SignatureKeyPair,
    SuiteDescriptor,
};
use subtle::ConstantTimeEq;

/// The prefix RFC 9420 puts in front of every label (§5.1.2, §5.1.3, §8).
pub const LABEL_PREFIX: &[u8] = b"MLS 1.0 ";

/// `RefHash` label of `MakeKeyPackageRef` (§5.2).
const KEY_PACKAGE_REF_LABEL: &[u8] = b"MLS 1.0 KeyPackage Reference";
/// `RefHash` label of `MakeProposalRef` (§5.2).
const PROPOSAL_REF_LABEL: &[u8] = b"MLS 1.0 Proposal Reference";

/// `HPKECiphertext` (§7.6): the KEM output and the AEAD ciphertext of one HPKE encryption.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HpkeCiphertext {
    /// `opaque kem_output<V>`.
    pub kem_output: Vec<u8>,
    /// `opaque ciphertext<V>`.
    pub ciphertext: Vec<u8>,
}
codec_struct!(HpkeCiphertext {
    kem_output,
    ciphertext
});

/// An AEAD key and nonce: the output of the secret-tree ratchets (§9.1), of the sender-data
/// derivation (§6.3.2) and of the Welcome derivation (§12.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAndNonce {
    /// `AEAD.Nk` bytes.
    pub key: Secret,
    /// `AEAD.Nn` bytes.
    pub nonce: Secret,
}

/// A provider bound to one cipher suite, with the suite's sizes looked up once.
#[derive(Clone, Copy)]
pub struct Suite<'a> {
    provider: &'a dyn CryptoProvider,
    descriptor: SuiteDescriptor,
    /// `KDF.Nh`.
    nh: usize,
    /// `AEAD.Nk`.
    nk: usize,
    /// `AEAD.Nn`.
    nn: usize,
}

impl std::fmt::Debug for Suite<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("cipher_suite", &self.descriptor.suite)
            .field("provider", &self.provider)
            .finish()
    }
}

impl<'a> Suite<'a> {
    /// Binds `provider` to `suite`; [`CryptoError::UnsupportedCipherSuite`] if braid does not
    /// know the suite or the provider lacks one of its algorithms.
    pub fn new(provider: &'a dyn CryptoProvider, suite: CipherSuite) -> Result<Self> {
        let unsupported = CryptoError::UnsupportedCipherSuite(suite);
        let descriptor = suite.descriptor().ok_or(unsupported.clone())?;
        if !provider.supports_suite(suite) {
            return Err(unsupported);
        }
        let sizes = descriptor
            .kdf
            .output_len()
            .zip(descriptor.aead.key_len().zip(descriptor.aead.nonce_len()));
        let (nh, (nk, nn)) = sizes.ok_or(unsupported)?;
        Ok(Self {
            provider,
            descriptor,
            nh,
            nk,
            nn,
        })
    }

    /// The cipher suite's code point.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.descriptor.suite
    }

    /// The suite's algorithms.
    pub fn descriptor(&self) -> &SuiteDescriptor {
        &self.descriptor
    }

    /// The provider doing the work.
    pub fn provider(&self) -> &'a dyn CryptoProvider {
        self.provider
    }

    /// The HPKE suite (KEM, KDF, AEAD) of this cipher suite.
    pub fn hpke_suite(&self) -> HpkeSuite {
        HpkeSuite::from(self.descriptor)
    }

    /// `KDF.Nh`: the output length of `Extract`, the size of every key-schedule secret.
    pub fn hash_len(&self) -> usize {
        self.nh
    }

    /// `AEAD.Nk`: the AEAD key length.
    pub fn aead_key_len(&self) -> usize {
        self.nk
    }

    /// `AEAD.Nn`: the AEAD nonce length.
    pub fn aead_nonce_len(&self) -> usize {
        self.nn
    }

    /// `Hash(data)` with the suite's hash.
    pub fn hash(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.provider.hash(self.descriptor.hash, data)
    }

    /// `MAC(key, data)`: HMAC with the suite's hash.
    pub fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        self.provider.hmac(self.descriptor.hash, key, data)
    }

    /// Whether `tag` is `MAC(key, data)`, compared in constant time.
    pub fn verify_mac(&self, key: &[u8], data: &[u8], tag: &[u8]) -> Result<bool> {
        let expected = self.mac(key, data)?;
        Ok(bool::from(expected.as_slice().ct_eq(tag)))
    }

    /// `KDF.Extract(salt, ikm)`.
    pub fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret> {
        self.provider.kdf_extract(self.descriptor.kdf, salt, ikm)
    }

    /// `KDF.Expand(prk, info, length)`.
    pub fn expand(&self, prk: &[u8], info: &[u8], length: usize) -> Result<Secret> {
        self.provider
            .kdf_expand(self.descriptor.kdf, prk, info, length)
    }

    /// `ExpandWithLabel(secret, label, context, length)` (§8): `KDF.Expand` with the
    /// `KDFLabel { length, "MLS 1.0 " + label, context }` as info.
    pub fn expand_with_label(
        &self,
        secret: &[u8],
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret> {
        let length_field =
            u16::try_from(length).map_err(|_| CryptoError::KdfOutputTooLong(length))?;
        let mut info = Vec::with_capacity(2 + labeled_len(label, context));
        info.extend_from_slice(&length_field.to_be_bytes());
        write_labeled(&mut info, LABEL_PREFIX, label, context)?;
        self.expand(secret, &info, length)
    }

    /// `DeriveSecret(secret, label)` (§8): `ExpandWithLabel(secret, label, "", Nh)`.
    pub fn derive_secret(&self, secret: &[u8], label: &[u8]) -> Result<Secret> {
        self.expand_with_label(secret, label, &[], self.nh)
    }

    /// `DeriveTreeSecret(secret, label, generation, length)` (§9.1): `ExpandWithLabel` with
    /// the generation as a big-endian `uint32` context.
    pub fn derive_tree_secret(
        &self,
        secret: &[u8],
        label: &[u8],
        generation: u32,
        length: usize,
    ) -> Result<Secret> {
        self.expand_with_label(secret, label, &generation.to_be_bytes(), length)
    }

    /// `ExpandWithLabel(secret, "key", context, AEAD.Nk)` and
    /// `ExpandWithLabel(secret, "nonce", context, AEAD.Nn)`: the shape shared by the ratchet
    /// keys (`DeriveTreeSecret`, context = generation), the sender-data key (context =
    /// ciphertext sample) and the Welcome key (empty context).
    pub fn key_and_nonce(&self, secret: &[u8], context: &[u8]) -> Result<KeyAndNonce> {
        Ok(KeyAndNonce {
            key: self.expand_with_label(secret, b"key", context, self.nk)?,
            nonce: self.expand_with_label(secret, b"nonce", context, self.nn)?,
        })
    }

    /// `RefHash(label, value)` (§5.2): `Hash(RefHashInput { label, value })`. The label is
    /// used as given (the RFC's reference labels already carry `"MLS 1.0 "`).
    pub fn ref_hash(&self, label: &[u8], value: &[u8]) -> Result<Vec<u8>> {
        let mut input = Vec::with_capacity(labeled_len(label, value));
        write_labeled(&mut input, &[], label, value)?;
        self.hash(&input)
    }

    /// `MakeKeyPackageRef(value)` (§5.2) of an encoded `KeyPackage`.
    pub fn make_key_package_ref(&self, key_package: &[u8]) -> Result<Vec<u8>> {
        self.ref_hash(KEY_PACKAGE_REF_LABEL, key_package)
    }

    /// `MakeProposalRef(value)` (§5.2) of the encoded `AuthenticatedContent` carrying a
    /// proposal.
    pub fn make_proposal_ref(&self, authenticated_content: &[u8]) -> Result<Vec<u8>> {
        self.ref_hash(PROPOSAL_REF_LABEL, authenticated_content)
    }

    /// `SignWithLabel(key, label, content)` (§5.1.2): signs
    /// `SignContent { "MLS 1.0 " + label, content }`.
    pub fn sign_with_label(
        &self,
        private_key: &[u8],
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>> {
        let message = labeled_input(label, content)?;
        self.provider
            .sign(self.descriptor.signature, private_key, &message)
    }

    /// `VerifyWithLabel(key, label, content, signature)` (§5.1.2);
    /// [`CryptoError::InvalidSignature`] if the signature does not verify.
    pub fn verify_with_label(
        &self,
        public_key: &[u8],
        label: &[u8],
        content: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let message = labeled_input(label, content)?;
        self.provider
            .verify(self.descriptor.signature, public_key, &message, signature)
    }

    /// `EncryptWithLabel(public_key, label, context, plaintext)` (§5.1.3): single-shot HPKE
    /// `SealBase` with `EncryptContext { "MLS 1.0 " + label, context }` as info and empty aad.
    pub fn encrypt_with_label(
        &self,
        public_key: &[u8],
        label: &[u8],
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext> {
        let prepared = self.prepare_encrypt_context(label, context)?;
        self.encrypt_with_label_prepared(public_key, &prepared, plaintext)
    }

    /// The HPKE info `EncryptContext { "MLS 1.0 " + label, context }` of `EncryptWithLabel`
    /// (§5.1.3), hashed once for encrypting to many public keys with
    /// [`encrypt_with_label_prepared`](Self::encrypt_with_label_prepared): a Welcome's
    /// context is the whole encrypted GroupInfo, which holds the ratchet tree.
    pub fn prepare_encrypt_context(
        &self,
        label: &[u8],
        context: &[u8],
    ) -> Result<hpke::PreparedInfo> {
        let info = labeled_input(label, context)?;
        hpke::PreparedInfo::new(self.provider, self.hpke_suite(), &info)
    }

    /// `EncryptWithLabel(public_key, label, context, plaintext)` (§5.1.3) with the label and
    /// context of `prepared` (from [`prepare_encrypt_context`](Self::prepare_encrypt_context)
    /// of this suite; one of another suite is [`CryptoError::UnsupportedOperation`]).
    pub fn encrypt_with_label_prepared(
        &self,
        public_key: &[u8],
        prepared: &hpke::PreparedInfo,
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext> {
        if prepared.suite() != self.hpke_suite() {
            return Err(CryptoError::UnsupportedOperation(
                "EncryptWithLabel with a context prepared for another suite",
            ));
        }
        let (kem_output, ciphertext) =
            hpke::seal_base_prepared(self.provider, prepared, public_key, &[], plaintext)?;
        Ok(HpkeCiphertext {
            kem_output,
            ciphertext,
        })
    }

    /// `DecryptWithLabel(private_key, label, context, kem_output, ciphertext)` (§5.1.3).
    /// `public_key` is the public key of `private_key`, which DHKEM binds into the shared
    /// secret. The plaintext is returned as a [`Secret`]: in MLS it always carries secrets.
    pub fn decrypt_with_label(
        &self,
        private_key: &[u8],
        public_key: &[u8],
        label: &[u8],
        context: &[u8],
        ciphertext: &HpkeCiphertext,
    ) -> Result<Secret> {
        let info = labeled_input(label, context)?;
        hpke::open_base(
            self.provider,
            self.hpke_suite(),
            &ciphertext.kem_output,
            private_key,
            public_key,
            &info,
            &[],
            &ciphertext.ciphertext,
        )
        .map(Secret::new)
    }

    /// `KEM.DeriveKeyPair(secret)`: the HPKE key pair of a node or of `external_secret`.
    pub fn derive_key_pair(&self, secret: &[u8]) -> Result<KemKeyPair> {
        self.provider
            .kem_derive_key_pair(self.descriptor.kem, secret)
    }

    /// A fresh random HPKE key pair (for a KeyPackage's `init_key`).
    pub fn generate_kem_key_pair(&self) -> Result<KemKeyPair> {
        self.provider.kem_generate(self.descriptor.kem)
    }

    /// A fresh random key pair of the suite's signature scheme.
    pub fn generate_signature_key_pair(&self) -> Result<SignatureKeyPair> {
        self.provider.signature_generate(self.descriptor.signature)
    }

    /// AEAD encryption with the suite's AEAD; the tag is appended.
    pub fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.provider
            .aead_seal(self.descriptor.aead, key, nonce, aad, plaintext)
    }

    /// AEAD decryption with the suite's AEAD; [`CryptoError::AeadOpenFailed`] if it does not
    /// authenticate.
    pub fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        self.provider
            .aead_open(self.descriptor.aead, key, nonce, aad, ciphertext)
    }

    /// `len` fresh random bytes.
    pub fn random_bytes(&self, len: usize) -> Result<Vec<u8>> {
        self.provider.random_bytes(len)
    }

    /// A fresh random secret of `Nh` bytes (a `psk_nonce`, a leaf or commit secret).
    pub fn random_secret(&self) -> Result<Secret> {
        self.random_bytes(self.nh).map(Secret::new)
    }
}

/// The encoded length of `{ opaque label<V> = prefix + label; opaque value<V>; }` with the
/// worst-case (4-byte) length headers.
fn labeled_len(label: &[u8], value: &[u8]) -> usize {
    8 + LABEL_PREFIX.len() + label.len() + value.len()
}

/// Appends `struct { opaque label<V> = prefix + label; opaque value<V>; }`, the shape of
/// `KDFLabel` (after its length), `SignContent`, `EncryptContext` and `RefHashInput`.
fn write_labeled(out: &mut Vec<u8>, prefix: &[u8], label: &[u8], value: &[u8]) -> Result<()> {
    write_length(out, "label", prefix.len() + label.len())?;
    out.extend_from_slice(prefix);
    out.extend_from_slice(label);
    write_length(out, "labeled content", value.len())?;
    out.extend_from_slice(value);
    Ok(())
}

/// `SignContent` / `EncryptContext`: the `"MLS 1.0 "`-prefixed label and the content.
fn labeled_input(label: &[u8], value: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(labeled_len(label, value));
    write_labeled(&mut out, LABEL_PREFIX, label, value)?;
    Ok(out)
}

/// Suite 1 (or `cipher_suite`) over the default provider, for unit tests.
#[cfg(test)]
pub(crate) fn test_suite(cipher_suite: CipherSuite) -> Suite<'static> {
    static PROVIDER: braid_provider::DefaultProvider = braid_provider::DefaultProvider::new();
    Suite::new(&PROVIDER, cipher_suite).expect("the default provider supports every suite")
}

/// Appends a vector length header, failing for vectors beyond 2^30 - 1 bytes.
fn write_length(out: &mut Vec<u8>, what: &'static str, len: usize) -> Result<()> {
    write_varint(len as u64, out).map_err(|_| CryptoError::InvalidLength {
        what,
        expected: braid_codec::MAX_VARINT as usize,
        actual: len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_codec::{Decode, Encode};
    use braid_provider::DefaultProvider;

    const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

    #[test]
    fn unknown_suite_is_rejected() {
        let provider = DefaultProvider::new();
        let err = Suite::new(&provider, CipherSuite(0x0a0a)).unwrap_err();
        assert_eq!(
            err,
            CryptoError::UnsupportedCipherSuite(CipherSuite(0x0a0a))
        );
    }

    #[test]
    fn sizes_follow_the_suite() {
        let suite = test_suite(SUITE);
        assert_eq!(
            (
                suite.hash_len(),
                suite.aead_key_len(),
                suite.aead_nonce_len()
            ),
            (32, 16, 12)
        );
        assert_eq!(suite.cipher_suite(), SUITE);
        let p384 = test_suite(CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384);
        assert_eq!((p384.hash_len(), p384.aead_key_len()), (48, 32));
    }

    #[test]
    fn kdf_label_layout() {
        // ExpandWithLabel must equal Expand with the KDFLabel written by hand.
        let suite = test_suite(SUITE);
        let secret = [7u8; 32];
        let mut info = vec![0, 20, 13];
        info.extend_from_slice(b"MLS 1.0 hello");
        info.extend_from_slice(&[3, 1, 2, 3]);
        let expected = suite.expand(&secret, &info, 20).unwrap();
        let actual = suite
            .expand_with_label(&secret, b"hello", &[1, 2, 3], 20)
            .unwrap();
        assert_eq!(actual, expected);
        assert_eq!(
            suite.derive_tree_secret(&secret, b"key", 5, 16).unwrap(),
            suite
                .expand_with_label(&secret, b"key", &[0, 0, 0, 5], 16)
                .unwrap()
        );
        assert_eq!(
            suite.derive_secret(&secret, b"x").unwrap(),
            suite.expand_with_label(&secret, b"x", &[], 32).unwrap()
        );
        assert_eq!(
            suite
                .expand_with_label(&secret, b"x", &[], 70_000)
                .unwrap_err(),
            CryptoError::KdfOutputTooLong(70_000)
        );
    }

    #[test]
    fn ref_hash_has_no_extra_prefix() {
        let suite = test_suite(SUITE);
        let mut input = vec![KEY_PACKAGE_REF_LABEL.len() as u8];
        input.extend_from_slice(KEY_PACKAGE_REF_LABEL);
        input.extend_from_slice(&[2, 0xaa, 0xbb]);
        assert_eq!(
            suite.make_key_package_ref(&[0xaa, 0xbb]).unwrap(),
            suite.hash(&input).unwrap()
        );
        assert_ne!(
            suite.make_proposal_ref(&[0xaa, 0xbb]).unwrap(),
            suite.make_key_package_ref(&[0xaa, 0xbb]).unwrap()
        );
    }

    #[test]
    fn signatures_are_bound_to_their_label() {
        let suite = test_suite(SUITE);
        let keys = suite.generate_signature_key_pair().unwrap();
        let sig = suite
            .sign_with_label(keys.private_key.as_bytes(), b"LeafNodeTBS", b"content")
            .unwrap();
        suite
            .verify_with_label(&keys.public_key, b"LeafNodeTBS", b"content", &sig)
            .unwrap();
        assert_eq!(
            suite.verify_with_label(&keys.public_key, b"KeyPackageTBS", b"content", &sig),
            Err(CryptoError::InvalidSignature)
        );
        assert_eq!(
            suite.verify_with_label(&keys.public_key, b"LeafNodeTBS", b"other", &sig),
            Err(CryptoError::InvalidSignature)
        );
    }

    #[test]
    fn encryption_round_trips_and_is_bound_to_label_and_context() {
        let suite = test_suite(SUITE);
        let keys = suite.derive_key_pair(&[1; 32]).unwrap();
        let ct = suite
            .encrypt_with_label(&keys.public_key, b"UpdatePathNode", b"ctx", b"path secret")
            .unwrap();
        let decoded = HpkeCiphertext::from_bytes(&ct.to_bytes()).unwrap();
        assert_eq!(decoded, ct);
        let open = |label: &[u8], context: &[u8]| {
            suite.decrypt_with_label(
                keys.private_key.as_bytes(),
                &keys.public_key,
                label,
                context,
                &ct,
            )
        };
        assert_eq!(
            open(b"UpdatePathNode", b"ctx").unwrap().as_bytes(),
            b"path secret"
        );
        assert_eq!(
            open(b"Welcome", b"ctx").unwrap_err(),
            CryptoError::AeadOpenFailed
        );
        assert_eq!(
            open(b"UpdatePathNode", b"ctX").unwrap_err(),
            CryptoError::AeadOpenFailed
        );
    }

    #[test]
    fn prepared_encryption_matches_the_single_shot_form() {
        let suite = test_suite(SUITE);
        let keys = suite.derive_key_pair(&[2; 32]).unwrap();
        let prepared = suite.prepare_encrypt_context(b"Welcome", b"ctx").unwrap();
        let ct = suite
            .encrypt_with_label_prepared(&keys.public_key, &prepared, b"group secrets")
            .unwrap();
        let open = |label: &[u8], context: &[u8]| {
            suite.decrypt_with_label(
                keys.private_key.as_bytes(),
                &keys.public_key,
                label,
                context,
                &ct,
            )
        };
        assert_eq!(
            open(b"Welcome", b"ctx").unwrap().as_bytes(),
            b"group secrets"
        );
        assert_eq!(
            open(b"Welcome", b"ctX").unwrap_err(),
            CryptoError::AeadOpenFailed
        );
        // The prepared info is the HPKE key schedule's, byte for byte.
        let info = labeled_input(b"Welcome", b"ctx").unwrap();
        let direct =
            hpke::Context::key_schedule(suite.provider(), suite.hpke_suite(), &[9; 32], &info)
                .unwrap();
        let from_prepared =
            hpke::Context::key_schedule_prepared(suite.provider(), &prepared, &[9; 32]).unwrap();
        assert_eq!(direct.key(), from_prepared.key());
        assert_eq!(direct.base_nonce(), from_prepared.base_nonce());
        assert_eq!(direct.exporter_secret(), from_prepared.exporter_secret());
        let other = test_suite(CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256);
        assert!(matches!(
            other.encrypt_with_label_prepared(&keys.public_key, &prepared, b"x"),
            Err(CryptoError::UnsupportedOperation(_))
        ));
    }

    #[test]
    fn mac_verification() {
        let suite = test_suite(SUITE);
        let tag = suite.mac(b"key", b"data").unwrap();
        assert!(suite.verify_mac(b"key", b"data", &tag).unwrap());
        assert!(!suite.verify_mac(b"key", b"datA", &tag).unwrap());
        assert!(!suite.verify_mac(b"key", b"data", &tag[..31]).unwrap());
    }
}
