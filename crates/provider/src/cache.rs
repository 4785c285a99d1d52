//! Small per-thread caches of parsed keys, so that signing with the same private key or
//! verifying under the same public key again skips the key setup (for ECDSA and EdDSA signing
//! keys that setup is a scalar multiplication, as costly as the signature itself).
//!
//! Each thread keeps its own cache, so no lock is taken. Entries are looked up by scheme and
//! key bytes, most recently used first; private keys are compared in constant time and wiped
//! when evicted.

use std::collections::VecDeque;

use braid_crypto::{Result, Secret, SignatureScheme};

/// A bounded most-recently-used cache from `(scheme, key bytes)` to a parsed key `V`.
pub(crate) struct KeyCache<V> {
    entries: VecDeque<(SignatureScheme, Secret, V)>,
    capacity: usize,
    /// Whether the key bytes are secret (compared in constant time).
    secret: bool,
}

impl<V> KeyCache<V> {
    /// A cache of at most `capacity` keys.
    pub(crate) fn new(capacity: usize, secret: bool) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity),
            capacity,
            secret,
        }
    }

    /// Runs `use_key` on the parsed form of `key`, parsing it with `parse` (and caching the
    /// result) if it is not cached. A key that fails to parse is not cached.
    pub(crate) fn with<R>(
        &mut self,
        scheme: SignatureScheme,
        key: &[u8],
        parse: impl FnOnce() -> Result<V>,
        use_key: impl FnOnce(&V) -> Result<R>,
    ) -> Result<R> {
        let secret = self.secret;
        let hit = self.entries.iter().position(|(s, k, _)| {
            *s == scheme
                && if secret {
                    k.ct_eq(key)
                } else {
                    k.as_bytes() == key
                }
        });
        match hit {
            Some(0) => {}
            Some(i) => {
                if let Some(entry) = self.entries.remove(i) {
                    self.entries.push_front(entry);
                }
            }
            None => {
                let parsed = parse()?;
                if self.entries.len() == self.capacity {
                    self.entries.pop_back();
                }
                self.entries
                    .push_front((scheme, Secret::from_slice(key), parsed));
            }
        }
        let (_, _, parsed) = self
            .entries
            .front()
            .expect("the entry was just moved or inserted to the front");
        use_key(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_crypto::CryptoError;

    #[test]
    fn parses_once_per_key_and_evicts_least_recently_used() {
        let mut cache = KeyCache::new(2, true);
        let mut parses = 0;
        let mut get = |cache: &mut KeyCache<u8>, key: u8| {
            cache
                .with(
                    SignatureScheme::ED25519,
                    &[key],
                    || {
                        parses += 1;
                        Ok(key)
                    },
                    |v| Ok(*v),
                )
                .unwrap()
        };
        assert_eq!(get(&mut cache, 1), 1);
        assert_eq!(get(&mut cache, 2), 2);
        assert_eq!(get(&mut cache, 1), 1); // hit; 2 is now least recent
        assert_eq!(get(&mut cache, 3), 3); // evicts 2
        assert_eq!(get(&mut cache, 1), 1); // hit
        assert_eq!(get(&mut cache, 2), 2); // miss again
        assert_eq!(parses, 4);
    }

    #[test]
    fn failed_parse_is_not_cached_and_schemes_are_distinct() {
        let mut cache = KeyCache::new(2, false);
        let err = cache.with(
            SignatureScheme::ED448,
            b"k",
            || Err(CryptoError::InvalidPublicKey("x")),
            |v: &u8| Ok(*v),
        );
        assert_eq!(err, Err(CryptoError::InvalidPublicKey("x")));
        assert_eq!(
            cache.with(SignatureScheme::ED448, b"k", || Ok(1), |v| Ok(*v)),
            Ok(1)
        );
        assert_eq!(
            cache.with(SignatureScheme::ED25519, b"k", || Ok(2), |v| Ok(*v)),
            Ok(2)
        );
        assert_eq!(
            cache.with(SignatureScheme::ED448, b"k", || Ok(3), |v| Ok(*v)),
            Ok(1)
        );
    }
}
