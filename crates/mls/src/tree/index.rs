//! Indexes over the tree's members for O(1) uniqueness checks (RFC 9420 §7.3, §12.4.2,
//! §16.8): encryption keys of all nodes, signature keys of leaves, and per credential type the
//! number of members using and supporting it.
//!
//! Keys are indexed by a keyed 64-bit fingerprint rather than by a copy of the key, so an
//! entry costs 12 bytes whatever the key size (post-quantum keys are kilobytes). A fingerprint
//! match is confirmed against the key stored in the tree; two different keys with the same
//! fingerprint (which needs a 2^-64 accident, as the fingerprint key is random per tree) are
//! kept exactly in a small overflow map, so the index is never wrong.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use crate::messages::{CredentialType, LeafNode};

/// A hasher for keys that already are uniformly distributed 64-bit fingerprints.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Public keys → the id (node or leaf index) of the one slot holding each.
#[derive(Clone, Default)]
pub(super) struct KeyMap {
    fingerprints: HashMap<u64, u32, BuildHasherDefault<Passthrough>>,
    /// Keys whose fingerprint was already taken by another key when they were inserted.
    overflow: HashMap<Vec<u8>, u32>,
}

impl KeyMap {
    /// The id holding `key`. `key_at` returns the key stored at an id.
    pub(super) fn get<'t>(
        &self,
        fingerprint: u64,
        key: &[u8],
        key_at: impl Fn(u32) -> Option<&'t [u8]>,
    ) -> Option<u32> {
        if let Some(&id) = self.fingerprints.get(&fingerprint) {
            if key_at(id) == Some(key) {
                return Some(id);
            }
        }
        if self.overflow.is_empty() {
            None
        } else {
            self.overflow.get(key).copied()
        }
    }

    /// Records that `id` holds `key`, which no id holds yet (the caller checked with `get`).
    pub(super) fn insert(&mut self, fingerprint: u64, key: &[u8], id: u32) {
        match self.fingerprints.entry(fingerprint) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.overflow.insert(key.to_vec(), id);
            }
        }
    }

    /// Forgets that `id` holds `key`.
    pub(super) fn remove(&mut self, fingerprint: u64, key: &[u8], id: u32) {
        if self.fingerprints.get(&fingerprint) == Some(&id) {
            self.fingerprints.remove(&fingerprint);
        } else if !self.overflow.is_empty() {
            self.overflow.remove(key);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.fingerprints.len() + self.overflow.len()
    }
}

/// Every index the tree keeps beside its nodes.
#[derive(Clone, Default)]
pub(super) struct TreeIndex {
    /// The fingerprint key.
    state: RandomState,
    /// HPKE encryption keys of leaves and parents → node index.
    pub(super) encryption: KeyMap,
    /// Signature keys of leaves → leaf index.
    pub(super) signature: KeyMap,
    /// Credential type → number of members whose credential has it.
    credentials_in_use: HashMap<CredentialType, u32>,
    /// Credential type → number of members listing it in `capabilities.credentials`.
    credentials_supported: HashMap<CredentialType, u32>,
}

impl std::fmt::Debug for TreeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeIndex")
            .field("encryption_keys", &self.encryption.len())
            .field("signature_keys", &self.signature.len())
            .field("credentials_in_use", &self.credentials_in_use)
            .finish_non_exhaustive()
    }
}

impl TreeIndex {
    /// The keyed fingerprint of a public key.
    pub(super) fn fingerprint(&self, key: &[u8]) -> u64 {
        let mut hasher = self.state.build_hasher();
        hasher.write(key);
        hasher.finish()
    }

    /// Counts a member's credential type and the credential types it supports.
    pub(super) fn add_member(&mut self, leaf: &LeafNode) {
        self.count_member(leaf, |count| *count += 1);
    }

    /// Undoes [`TreeIndex::add_member`].
    pub(super) fn remove_member(&mut self, leaf: &LeafNode) {
        self.count_member(leaf, |count| *count = count.saturating_sub(1));
        self.credentials_in_use.retain(|_, count| *count > 0);
        self.credentials_supported.retain(|_, count| *count > 0);
    }

    fn count_member(&mut self, leaf: &LeafNode, change: impl Fn(&mut u32)) {
        change(
            self.credentials_in_use
                .entry(leaf.credential.credential_type())
                .or_default(),
        );
        for_each_distinct(&leaf.capabilities.credentials, |credential_type| {
            change(
                self.credentials_supported
                    .entry(credential_type)
                    .or_default(),
            );
        });
    }

    /// Credential types in use, with the number of members using each.
    pub(super) fn credentials_in_use(&self) -> impl Iterator<Item = (CredentialType, u32)> + '_ {
        self.credentials_in_use.iter().map(|(&t, &n)| (t, n))
    }

    /// The number of members listing `credential_type` in their capabilities.
    pub(super) fn members_supporting(&self, credential_type: CredentialType) -> u32 {
        self.credentials_supported
            .get(&credential_type)
            .copied()
            .unwrap_or(0)
    }
}

/// Calls `f` once for each distinct value of a short list (capability lists are a handful
/// of entries, so the quadratic scan beats hashing).
pub(super) fn for_each_distinct<T: Copy + PartialEq>(items: &[T], mut f: impl FnMut(T)) {
    for (i, &item) in items.iter().enumerate() {
        if !items[..i].contains(&item) {
            f(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_fingerprints_stay_exact() {
        let keys: [&[u8]; 3] = [b"key a", b"key b", b"key c"];
        let key_at = |id: u32| keys.get(id as usize).copied();
        let mut map = KeyMap::default();
        // Force all three keys onto one fingerprint.
        for (id, key) in keys.iter().enumerate() {
            assert_eq!(map.get(7, key, key_at), None);
            map.insert(7, key, id as u32);
        }
        for (id, key) in keys.iter().enumerate() {
            assert_eq!(map.get(7, key, key_at), Some(id as u32));
        }
        assert_eq!(map.get(7, b"key d", key_at), None);
        map.remove(7, keys[0], 0);
        assert_eq!(map.get(7, keys[0], key_at), None);
        assert_eq!(map.get(7, keys[1], key_at), Some(1));
        map.remove(7, keys[1], 1);
        assert_eq!(map.get(7, keys[1], key_at), None);
        assert_eq!(map.get(7, keys[2], key_at), Some(2));
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn distinct_values_once_each() {
        let mut seen = Vec::new();
        for_each_distinct(&[3, 1, 3, 2, 1], |v| seen.push(v));
        assert_eq!(seen, [3, 1, 2]);
    }
}
