//! Hashing, HMAC and HKDF (RFC 5869) for the MLS suites' SHA-256/384/512 (RFC 9420 §5.1,
//! RFC 9180 §7.2), on aws-lc-rs.

use aws_lc_rs::{digest, hmac};
use braid_crypto::{CryptoError, HashAlgorithm, KdfId, Result, Secret};

fn digest_algorithm(alg: HashAlgorithm) -> &'static digest::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
        HashAlgorithm::Sha512 => &digest::SHA512,
    }
}

fn hmac_algorithm(alg: HashAlgorithm) -> hmac::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
        HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        HashAlgorithm::Sha512 => hmac::HMAC_SHA512,
    }
}

/// The hash behind a KDF this provider implements.
fn kdf_hash(kdf: KdfId) -> Result<HashAlgorithm> {
    kdf.hash().ok_or(CryptoError::UnsupportedKdf(kdf))
}

/// `Hash(data)`.
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_algorithm(alg), data)
        .as_ref()
        .to_vec()
}

/// `HMAC(key, data)`.
pub(crate) fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac_algorithm(alg), key), data)
        .as_ref()
        .to_vec()
}

/// `HKDF-Extract(salt, ikm) = HMAC(salt, ikm)`. An empty salt is HMAC's zero-padded key, which
/// equals RFC 5869's default salt of `HashLen` zero bytes.
pub(crate) fn kdf_extract(kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret> {
    Ok(Secret::new(hmac(kdf_hash(kdf)?, salt, ikm)))
}

/// `HKDF-Expand(prk, info, len)` (RFC 5869 §2.3):
/// `T(i) = HMAC(prk, T(i-1) || info || i)`, output the first `len` bytes of `T(1) || T(2) ...`.
pub(crate) fn kdf_expand(kdf: KdfId, prk: &[u8], info: &[u8], len: usize) -> Result<Secret> {
    let alg = kdf_hash(kdf)?;
    let hash_len = alg.output_len();
    if len > 255 * hash_len {
        return Err(CryptoError::KdfOutputTooLong(len));
    }
    let key = hmac::Key::new(hmac_algorithm(alg), prk);
    let mut out = Vec::with_capacity(len);
    let mut previous: Option<hmac::Tag> = None;
    for counter in 1..=u8::MAX {
        if out.len() >= len {
            break;
        }
        let mut ctx = hmac::Context::with_key(&key);
        if let Some(t) = &previous {
            ctx.update(t.as_ref());
        }
        ctx.update(info);
        ctx.update(&[counter]);
        let t = ctx.sign();
        let take = (len - out.len()).min(hash_len);
        out.extend_from_slice(t.as_ref().get(..take).unwrap_or_default());
        previous = Some(t);
    }
    Ok(Secret::new(out))
}
