//! AEAD encryption for the MLS suites (RFC 9420 §5.1, RFC 9180 §7.3): AES-128-GCM,
//! AES-256-GCM and ChaCha20-Poly1305, on aws-lc-rs.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use braid_crypto::{AeadId, CryptoError, Result};

fn algorithm(aead: AeadId) -> Result<&'static aead::Algorithm> {
    match aead {
        AeadId::AES_128_GCM => Ok(&aead::AES_128_GCM),
        AeadId::AES_256_GCM => Ok(&aead::AES_256_GCM),
        AeadId::CHACHA20_POLY1305 => Ok(&aead::CHACHA20_POLY1305),
        _ => Err(CryptoError::UnsupportedAead(aead)),
    }
}

pub(crate) fn supports(aead: AeadId) -> bool {
    algorithm(aead).is_ok()
}

/// The key and nonce for one operation, after checking their lengths.
fn key_and_nonce(aead: AeadId, key: &[u8], nonce: &[u8]) -> Result<(LessSafeKey, Nonce)> {
    let alg = algorithm(aead)?;
    if key.len() != alg.key_len() {
        return Err(CryptoError::InvalidLength {
            what: "AEAD key",
            expected: alg.key_len(),
            actual: key.len(),
        });
    }
    let nonce =
        Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::InvalidLength {
            what: "AEAD nonce",
            expected: alg.nonce_len(),
            actual: nonce.len(),
        })?;
    let key = UnboundKey::new(alg, key).map_err(|_| CryptoError::InvalidLength {
        what: "AEAD key",
        expected: alg.key_len(),
        actual: key.len(),
    })?;
    Ok((LessSafeKey::new(key), nonce))
}

/// Encrypts `plaintext`; returns ciphertext followed by the tag.
pub(crate) fn seal(
    aead: AeadId,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let (key, nonce) = key_and_nonce(aead, key, nonce)?;
    let mut buf = Vec::with_capacity(plaintext.len() + key.algorithm().tag_len());
    buf.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::UnsupportedOperation("AEAD plaintext too long"))?;
    Ok(buf)
}

/// Decrypts ciphertext-with-tag; [`CryptoError::AeadOpenFailed`] if it does not authenticate.
pub(crate) fn open(
    aead: AeadId,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    let (key, nonce) = key_and_nonce(aead, key, nonce)?;
    let mut buf = ciphertext.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::AeadOpenFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}
