//! Pre-shared keys (RFC 9420 §8.4): `PreSharedKeyID`, `PSKLabel` and the chained `psk_secret`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};
use braid_crypto::{CryptoError, Secret};
use thiserror::Error;

use crate::suite::Suite;

/// `PSKType` (§8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PskType {
    /// `external(1)`: provided by the application.
    External = 1,
    /// `resumption(2)`: the `resumption_psk` of an earlier epoch.
    Resumption = 2,
}
codec_enum!(PskType: u8 { External, Resumption });

/// `ResumptionPSKUsage` (§8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResumptionPskUsage {
    /// `application(1)`.
    Application = 1,
    /// `reinit(2)`: the PSK of a reinitialized group (§11.2).
    Reinit = 2,
    /// `branch(3)`: the PSK of a subgroup branch (§11.3).
    Branch = 3,
}
codec_enum!(ResumptionPskUsage: u8 { Application, Reinit, Branch });

/// The `external` arm of `PreSharedKeyID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalPsk {
    /// `opaque psk_id<V>`.
    pub psk_id: Vec<u8>,
}
codec_struct!(ExternalPsk { psk_id });

/// The `resumption` arm of `PreSharedKeyID`: which group's `resumption_psk` of which epoch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResumptionPsk {
    /// `ResumptionPSKUsage usage`.
    pub usage: ResumptionPskUsage,
    /// `opaque psk_group_id<V>`.
    pub psk_group_id: Vec<u8>,
    /// `uint64 psk_epoch`.
    pub psk_epoch: u64,
}
codec_struct!(ResumptionPsk {
    usage,
    psk_group_id,
    psk_epoch
});

/// The `select (PreSharedKeyID.psktype)` part of `PreSharedKeyID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Psk {
    /// `psktype = external`.
    External(ExternalPsk),
    /// `psktype = resumption`.
    Resumption(ResumptionPsk),
}

impl Psk {
    /// The `psktype` of this PSK.
    pub fn psk_type(&self) -> PskType {
        match self {
            Self::External(_) => PskType::External,
            Self::Resumption(_) => PskType::Resumption,
        }
    }
}

impl Encode for Psk {
    fn encode(&self, out: &mut Vec<u8>) {
        self.psk_type().encode(out);
        match self {
            Self::External(psk) => psk.encode(out),
            Self::Resumption(psk) => psk.encode(out),
        }
    }
}

impl Decode for Psk {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match PskType::decode(reader)? {
            PskType::External => Self::External(ExternalPsk::decode(reader)?),
            PskType::Resumption => Self::Resumption(ResumptionPsk::decode(reader)?),
        })
    }
}

/// `PreSharedKeyID` (§8.4): which PSK, and the fresh nonce of this injection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreSharedKeyId {
    /// `psktype` and its fields.
    pub psk: Psk,
    /// `opaque psk_nonce<V>`: `KDF.Nh` fresh random bytes.
    pub psk_nonce: Vec<u8>,
}
codec_struct!(PreSharedKeyId { psk, psk_nonce });

impl PreSharedKeyId {
    /// An id for `psk` with a fresh `psk_nonce` of `KDF.Nh` bytes.
    pub fn new(suite: &Suite<'_>, psk: Psk) -> Result<Self, CryptoError> {
        Ok(Self {
            psk,
            psk_nonce: suite.random_bytes(suite.hash_len())?,
        })
    }
}

/// `PSKLabel` (§8.4): a PSK's id and its position in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PskLabel<'a> {
    /// `PreSharedKeyID id`.
    pub id: &'a PreSharedKeyId,
    /// `uint16 index`.
    pub index: u16,
    /// `uint16 count`.
    pub count: u16,
}

impl Encode for PskLabel<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id.encode(out);
        self.index.encode(out);
        self.count.encode(out);
    }
}

/// Why `psk_secret` could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PskError {
    /// More PSKs than `PSKLabel.count` (a `uint16`) can number.
    #[error("{0} PSKs given, at most 65535 can be injected")]
    TooManyPsks(usize),
    /// A KDF step failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// `psk_secret` (§8.4) of `psks` (each id with its PSK value), in the order of the Commit or
/// `GroupSecrets`:
///
/// ```text
/// psk_extracted_[i] = KDF.Extract(0, psk_[i])
/// psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
/// psk_secret_[i+1]  = KDF.Extract(psk_input_[i], psk_secret_[i]),  psk_secret_[0] = 0
/// ```
///
/// An empty list gives the all-zero vector of `KDF.Nh` bytes.
pub fn psk_secret<'p, I>(suite: &Suite<'_>, psks: I) -> Result<Secret, PskError>
where
    I: IntoIterator<Item = (&'p PreSharedKeyId, &'p [u8])>,
    I::IntoIter: ExactSizeIterator,
{
    let psks = psks.into_iter();
    let count = u16::try_from(psks.len()).map_err(|_| PskError::TooManyPsks(psks.len()))?;
    let zero = Secret::zero(suite.hash_len());
    let mut psk_secret = zero.clone();
    let mut label = Vec::new();
    for (index, (id, psk)) in (0..count).zip(psks) {
        label.clear();
        PskLabel { id, index, count }.encode(&mut label);
        let extracted = suite.extract(zero.as_bytes(), psk)?;
        let input = suite.expand_with_label(
            extracted.as_bytes(),
            b"derived psk",
            &label,
            suite.hash_len(),
        )?;
        psk_secret = suite.extract(input.as_bytes(), psk_secret.as_bytes())?;
    }
    Ok(psk_secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::test_suite;
    use braid_crypto::CipherSuite;

    fn external(id: &[u8], nonce: u8) -> PreSharedKeyId {
        PreSharedKeyId {
            psk: Psk::External(ExternalPsk {
                psk_id: id.to_vec(),
            }),
            psk_nonce: vec![nonce; 4],
        }
    }

    #[test]
    fn pre_shared_key_id_codec() {
        let id = external(b"ab", 7);
        assert_eq!(id.to_bytes(), [1, 2, b'a', b'b', 4, 7, 7, 7, 7]);
        let resumption = PreSharedKeyId {
            psk: Psk::Resumption(ResumptionPsk {
                usage: ResumptionPskUsage::Branch,
                psk_group_id: vec![9],
                psk_epoch: 3,
            }),
            psk_nonce: vec![],
        };
        let bytes = resumption.to_bytes();
        assert_eq!(bytes, [2, 3, 1, 9, 0, 0, 0, 0, 0, 0, 0, 3, 0]);
        assert_eq!(PreSharedKeyId::from_bytes(&bytes).unwrap(), resumption);
        assert!(PreSharedKeyId::from_bytes(&[3, 0, 0]).is_err());
        assert!(PreSharedKeyId::from_bytes(&[2, 4, 1, 9, 0, 0, 0, 0, 0, 0, 0, 3, 0]).is_err());
        let label = PskLabel {
            id: &id,
            index: 1,
            count: 2,
        };
        assert_eq!(label.to_bytes()[9..], [0, 1, 0, 2]);
    }

    #[test]
    fn psk_secret_chains_in_order() {
        let suite = test_suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519);
        let empty = psk_secret(&suite, std::iter::empty()).unwrap();
        assert_eq!(empty.as_bytes(), [0; 32]);

        let (a, b) = (external(b"a", 1), external(b"b", 2));
        let ab = psk_secret(&suite, [(&a, &[1u8; 32][..]), (&b, &[2u8; 32][..])]).unwrap();
        let ba = psk_secret(&suite, [(&b, &[2u8; 32][..]), (&a, &[1u8; 32][..])]).unwrap();
        assert_ne!(ab, ba);

        // One step by hand.
        let zero = [0u8; 32];
        let extracted = suite.extract(&zero, &[1; 32]).unwrap();
        let label = PskLabel {
            id: &a,
            index: 0,
            count: 1,
        }
        .to_bytes();
        let input = suite
            .expand_with_label(extracted.as_bytes(), b"derived psk", &label, 32)
            .unwrap();
        let expected = suite.extract(input.as_bytes(), &zero).unwrap();
        assert_eq!(
            psk_secret(&suite, [(&a, &[1u8; 32][..])]).unwrap(),
            expected
        );
    }
}
