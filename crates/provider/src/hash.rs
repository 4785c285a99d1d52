//! Hashing, HMAC and HKDF (RFC 5869) for the MLS suites' SHA-256/384/512 (RFC 9420 §5.1,
//! RFC 9180 §7.2), on RustCrypto's `sha2` and `hmac`.
//!
//! MLS hashes and derives mostly short values (labels, secrets of one hash length), so the
//! cost is per call, not per byte: these run in Rust without allocation beyond the output,
//! where a call into aws-lc set up an HMAC context per derivation.

use braid_crypto::{CryptoError, HashAlgorithm, KdfId, Result, Secret};
use hmac::digest::{Digest, KeyInit, Mac};
use hmac::Hmac;
use sha2::{Sha256, Sha384, Sha512};

/// The hash behind a KDF this provider implements.
fn kdf_hash(kdf: KdfId) -> Result<HashAlgorithm> {
    kdf.hash().ok_or(CryptoError::UnsupportedKdf(kdf))
}

/// Runs `$body` with `$h` bound to the `sha2` type of `$alg`.
macro_rules! with_hash {
    ($alg:expr, $h:ident => $body:expr) => {
        match $alg {
            HashAlgorithm::Sha256 => {
                type $h = Sha256;
                $body
            }
            HashAlgorithm::Sha384 => {
                type $h = Sha384;
                $body
            }
            HashAlgorithm::Sha512 => {
                type $h = Sha512;
                $body
            }
        }
    };
}

/// `Hash(data)`.
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    with_hash!(alg, H => H::digest(data).to_vec())
}

/// `HMAC(key, data)`.
pub(crate) fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    with_hash!(alg, H => {
        // HMAC takes keys of any length (longer ones are hashed first).
        let mut mac = <Hmac<H> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    })
}

/// `HKDF-Extract(salt, ikm) = HMAC(salt, ikm)`. An empty salt is HMAC's zero-padded key, which
/// equals RFC 5869's default salt of `HashLen` zero bytes.
pub(crate) fn kdf_extract(kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret> {
    Ok(Secret::new(hmac(kdf_hash(kdf)?, salt, ikm)))
}

/// `HKDF-Expand(prk, info, len)` (RFC 5869 §2.3):
/// `T(i) = HMAC(prk, T(i-1) || info || i)`, output the first `len` bytes of `T(1) || T(2) ...`.
/// The keyed HMAC state is computed once and cloned for each block.
pub(crate) fn kdf_expand(kdf: KdfId, prk: &[u8], info: &[u8], len: usize) -> Result<Secret> {
    let alg = kdf_hash(kdf)?;
    if len > 255 * alg.output_len() {
        return Err(CryptoError::KdfOutputTooLong(len));
    }
    let mut out = Vec::with_capacity(len);
    with_hash!(alg, H => {
        let key = <Hmac<H> as KeyInit>::new_from_slice(prk)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        let mut previous: Option<hmac::digest::Output<Hmac<H>>> = None;
        for counter in 1..=u8::MAX {
            if out.len() >= len {
                break;
            }
            let mut mac = key.clone();
            if let Some(t) = &previous {
                mac.update(t.as_slice());
            }
            mac.update(info);
            mac.update(&[counter]);
            let t = mac.finalize().into_bytes();
            let take = (len - out.len()).min(t.len());
            out.extend_from_slice(t.get(..take).unwrap_or_default());
            previous = Some(t);
        }
    });
    Ok(Secret::new(out))
}
