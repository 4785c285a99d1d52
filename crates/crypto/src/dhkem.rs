//! DHKEM (RFC 9180 §4.1) and its `DeriveKeyPair` (RFC 9180 §7.1.3), generic over a
//! Diffie-Hellman group.
//!
//! A provider implements [`DhGroup`] for each curve (the raw `DH`, key generation and
//! (de)serialization) and gets `Encap`, `Decap`, `DeriveKeyPair` and the deterministic encap of
//! the test vectors from the functions here, with the KDF taken from the provider itself.

use subtle::{Choice, ConstantTimeEq};

use crate::hpke::{labeled_expand, labeled_extract};
use crate::{CryptoError, CryptoProvider, KdfId, KemId, KemKeyPair, KemOutput, Result, Secret};

/// How `DeriveKeyPair` turns `dkp_prk` into a private key (RFC 9180 §7.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeriveKeyPairRule {
    /// X25519 and X448: `sk = LabeledExpand(dkp_prk, "sk", "", Nsk)`, used as is.
    Direct,
    /// P-256, P-384 and P-521: rejection sampling of `LabeledExpand(dkp_prk, "candidate",
    /// I2OSP(counter, 1), Nsk)` with the first byte masked by `bitmask`, until the big-endian
    /// integer is in `[1, order - 1]`.
    RejectionSampling {
        /// The group order `n`, big-endian, `Nsk` bytes long.
        order: &'static [u8],
        /// The mask applied to the first byte of each candidate (`0xff` or `0x01` for P-521).
        bitmask: u8,
    },
}

/// A Diffie-Hellman group that DHKEM runs over.
///
/// `PrivateKey` is the provider's parsed form of a private key, so `Encap` generates and uses
/// the ephemeral key without serializing and re-parsing it.
pub trait DhGroup {
    /// The provider's in-memory private key.
    type PrivateKey;

    /// The KEM this group implements.
    fn kem(&self) -> KemId;
    /// The KDF of the KEM (the `HKDF-SHAxxx` of `DHKEM(Group, HKDF-SHAxxx)`).
    fn kdf(&self) -> KdfId;
    /// How `DeriveKeyPair` samples a private key.
    fn derive_rule(&self) -> DeriveKeyPairRule;

    /// A fresh random private key.
    fn generate(&self) -> Result<Self::PrivateKey>;
    /// `DeserializePrivateKey(sk)`; rejects wrong lengths and invalid scalars.
    fn deserialize_private_key(&self, sk: &[u8]) -> Result<Self::PrivateKey>;
    /// `SerializePrivateKey(sk)`.
    fn serialize_private_key(&self, sk: &Self::PrivateKey) -> Result<Secret>;
    /// `SerializePublicKey(pk(sk))`.
    fn public_key(&self, sk: &Self::PrivateKey) -> Result<Vec<u8>>;
    /// `DH(sk, pk)` with `pk` a serialized public key. Rejects invalid public keys
    /// ([`CryptoError::InvalidPublicKey`] / [`CryptoError::InvalidLength`]) and an all-zero
    /// result ([`CryptoError::KemFailed`]).
    fn dh(&self, sk: &Self::PrivateKey, pk: &[u8]) -> Result<Secret>;
}

/// `suite_id = concat("KEM", I2OSP(kem_id, 2))` (RFC 9180 §4.1).
pub fn kem_suite_id(kem: KemId) -> [u8; 5] {
    let [k0, k1] = kem.0.to_be_bytes();
    [b'K', b'E', b'M', k0, k1]
}

/// `(Nsecret, Npk, Nsk)` of the group's KEM.
fn sizes<G: DhGroup>(group: &G) -> Result<(usize, usize, usize)> {
    let kem = group.kem();
    let (n_secret, _n_enc, n_pk, n_sk) = kem.sizes().ok_or(CryptoError::UnsupportedKem(kem))?;
    Ok((n_secret, n_pk, n_sk))
}

/// `ExtractAndExpand(dh, kem_context)` (RFC 9180 §4.1).
fn extract_and_expand<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    dh: &[u8],
    kem_context: &[u8],
) -> Result<Secret> {
    let (n_secret, _, _) = sizes(group)?;
    let suite_id = kem_suite_id(group.kem());
    let eae_prk = labeled_extract(provider, group.kdf(), &suite_id, b"", b"eae_prk", dh)?;
    labeled_expand(
        provider,
        group.kdf(),
        &suite_id,
        eae_prk.as_bytes(),
        b"shared_secret",
        kem_context,
        n_secret,
    )
}

/// A fresh random key pair (`GenerateKeyPair`).
pub fn generate<G: DhGroup>(group: &G) -> Result<KemKeyPair> {
    let sk = group.generate()?;
    Ok(KemKeyPair {
        public_key: group.public_key(&sk)?,
        private_key: group.serialize_private_key(&sk)?,
    })
}

/// The serialized public key of a serialized private key.
pub fn public_key<G: DhGroup>(group: &G, sk: &[u8]) -> Result<Vec<u8>> {
    group.public_key(&group.deserialize_private_key(sk)?)
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3), returning the private key in parsed form and the
/// serialized key pair.
fn derive<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    ikm: &[u8],
) -> Result<(G::PrivateKey, KemKeyPair)> {
    let (_, _, n_sk) = sizes(group)?;
    let kdf = group.kdf();
    let suite_id = kem_suite_id(group.kem());
    let dkp_prk = labeled_extract(provider, kdf, &suite_id, b"", b"dkp_prk", ikm)?;
    let sk_bytes = match group.derive_rule() {
        DeriveKeyPairRule::Direct => labeled_expand(
            provider,
            kdf,
            &suite_id,
            dkp_prk.as_bytes(),
            b"sk",
            b"",
            n_sk,
        )?,
        DeriveKeyPairRule::RejectionSampling { order, bitmask } => {
            let mut found = None;
            for counter in 0..=u8::MAX {
                let mut candidate = labeled_expand(
                    provider,
                    kdf,
                    &suite_id,
                    dkp_prk.as_bytes(),
                    b"candidate",
                    &[counter],
                    n_sk,
                )?
                .as_bytes()
                .to_vec();
                if let Some(first) = candidate.first_mut() {
                    *first &= bitmask;
                }
                let candidate = Secret::new(candidate);
                if is_valid_scalar(candidate.as_bytes(), order) {
                    found = Some(candidate);
                    break;
                }
            }
            found.ok_or(CryptoError::DeriveKeyPairFailed)?
        }
    };
    let sk = group.deserialize_private_key(sk_bytes.as_bytes())?;
    let public_key = group.public_key(&sk)?;
    Ok((
        sk,
        KemKeyPair {
            private_key: sk_bytes,
            public_key,
        },
    ))
}

/// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3). For X25519/X448 the private key is the expanded
/// bytes as they are (`SerializePrivateKey` does not clamp).
pub fn derive_key_pair<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    ikm: &[u8],
) -> Result<KemKeyPair> {
    derive(provider, group, ikm).map(|(_, pair)| pair)
}

/// Whether the big-endian `scalar` lies in `[1, order - 1]`, in constant time.
fn is_valid_scalar(scalar: &[u8], order: &[u8]) -> bool {
    if scalar.len() != order.len() {
        return false;
    }
    // Borrow of `scalar - order`, from the least significant byte up: set iff scalar < order.
    let mut borrow = 0u16;
    let mut nonzero = 0u8;
    for (&s, &n) in scalar.iter().rev().zip(order.iter().rev()) {
        borrow = (u16::from(s).wrapping_sub(u16::from(n)).wrapping_sub(borrow) >> 8) & 1;
        nonzero |= s;
    }
    let below_order = Choice::from(borrow as u8);
    let is_zero = nonzero.ct_eq(&0);
    bool::from(below_order & !is_zero)
}

/// The shared secret of an encapsulation with ephemeral key `sk_e` to `pk_r`.
fn encap_with<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    sk_e: &G::PrivateKey,
    pk_e: Vec<u8>,
    pk_r: &[u8],
) -> Result<KemOutput> {
    let dh = group.dh(sk_e, pk_r)?;
    let mut kem_context = Vec::with_capacity(pk_e.len() + pk_r.len());
    kem_context.extend_from_slice(&pk_e);
    kem_context.extend_from_slice(pk_r);
    let shared_secret = extract_and_expand(provider, group, dh.as_bytes(), &kem_context)?;
    Ok(KemOutput {
        shared_secret,
        enc: pk_e,
    })
}

/// `Encap(pkR)` (RFC 9180 §4.1) with a fresh ephemeral key.
pub fn encap<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    pk_r: &[u8],
) -> Result<KemOutput> {
    let sk_e = group.generate()?;
    let pk_e = group.public_key(&sk_e)?;
    encap_with(provider, group, &sk_e, pk_e, pk_r)
}

/// `Encap(pkR)` with the ephemeral key `DeriveKeyPair(ikm_e)`, as in the test vectors.
pub fn encap_derand<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    pk_r: &[u8],
    ikm_e: &[u8],
) -> Result<KemOutput> {
    let (sk_e, pair) = derive(provider, group, ikm_e)?;
    encap_with(provider, group, &sk_e, pair.public_key, pk_r)
}

/// `Decap(enc, skR)` (RFC 9180 §4.1). `pk_r` is `SerializePublicKey(pk(skR))`, passed in so
/// that it need not be recomputed; it must be the public key of `sk_r`.
pub fn decap<G: DhGroup>(
    provider: &dyn CryptoProvider,
    group: &G,
    enc: &[u8],
    sk_r: &[u8],
    pk_r: &[u8],
) -> Result<Secret> {
    let (_, n_pk, _) = sizes(group)?;
    if pk_r.len() != n_pk {
        return Err(CryptoError::InvalidLength {
            what: "KEM public key pkR",
            expected: n_pk,
            actual: pk_r.len(),
        });
    }
    let sk = group.deserialize_private_key(sk_r)?;
    let dh = group.dh(&sk, enc)?;
    let mut kem_context = Vec::with_capacity(enc.len() + pk_r.len());
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(pk_r);
    extract_and_expand(provider, group, dh.as_bytes(), &kem_context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kem_suite_id_is_kem_and_code_point() {
        assert_eq!(kem_suite_id(KemId::DHKEM_X25519), *b"KEM\x00\x20");
    }

    #[test]
    fn scalar_range_is_one_to_order_minus_one() {
        let order = [0x01, 0x00, 0x05];
        assert!(!is_valid_scalar(&[0, 0, 0], &order));
        assert!(is_valid_scalar(&[0, 0, 1], &order));
        assert!(is_valid_scalar(&[0x01, 0x00, 0x04], &order));
        assert!(is_valid_scalar(&[0x00, 0xff, 0xff], &order));
        assert!(!is_valid_scalar(&[0x01, 0x00, 0x05], &order));
        assert!(!is_valid_scalar(&[0x01, 0x00, 0x06], &order));
        assert!(!is_valid_scalar(&[0xff, 0x00, 0x00], &order));
        assert!(!is_valid_scalar(&[0, 1], &order));
    }
}
