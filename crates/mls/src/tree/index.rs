//! Indexes over the tree's members for O(1) uniqueness checks (RFC 9420 §7.3, §12.4.2,
//! §16.8): encryption keys of all nodes, signature keys of leaves, and per credential type the
//! number of members using and supporting it.
//!
//! Keys are indexed by a keyed 64-bit fingerprint rather than by a copy of the key, so an
//! entry costs 12 bytes whatever the key size (post-quantum keys are kilobytes). A fingerprint
//! match is confirmed against the key stored in the tree; two different keys with the same
//! fingerprint (which needs a 2^-64 accident, as the fingerprint key is random per tree) are
//! kept exactly in a small overflow map, so the index is never wrong.
//!
//! The fingerprints are kept sorted and split by their leading bits into shared shards of
//! about [`SHARD_TARGET`] entries, so copying the index (with the tree) copies one pointer per
//! shard, a change copies one shard, and a lookup is a binary search in one shard.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;

use crate::messages::{CredentialType, LeafNode};

/// The average number of entries per shard the key maps aim for: they split their shards
/// when the average exceeds twice this, and merge them when it falls below half (tiny in
/// unit tests, so that small trees split and merge shards).
const SHARD_TARGET: usize = if cfg!(test) { 2 } else { 64 };

/// A key's fingerprint and the id holding the key, in 12 bytes (a `(u64, u32)` takes 16).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The fingerprint, high half first.
    fingerprint: [u32; 2],
    id: u32,
}

impl Entry {
    fn new(fingerprint: u64, id: u32) -> Self {
        Self {
            fingerprint: [(fingerprint >> 32) as u32, fingerprint as u32],
            id,
        }
    }

    fn fingerprint(&self) -> u64 {
        u64::from(self.fingerprint[0]) << 32 | u64::from(self.fingerprint[1])
    }
}

/// Public keys → the id (node or leaf index) of the one slot holding each.
#[derive(Clone)]
pub(super) struct KeyMap {
    /// The entries in fingerprint order, in `2^bits` shards: shard `s` holds the
    /// fingerprints whose leading `bits` bits are `s`. Shards grow one entry at a time.
    shards: Vec<Arc<Vec<Entry>>>,
    bits: u32,
    /// The number of entries in `shards`.
    len: usize,
    /// Keys whose fingerprint was already taken by another key when they were inserted.
    overflow: HashMap<Vec<u8>, u32>,
}

impl Default for KeyMap {
    fn default() -> Self {
        Self {
            shards: vec![Arc::default()],
            bits: 0,
            len: 0,
            overflow: HashMap::new(),
        }
    }
}

impl KeyMap {
    /// The shard that holds `fingerprint`.
    fn shard(&self, fingerprint: u64) -> usize {
        fingerprint.checked_shr(64 - self.bits).unwrap_or(0) as usize
    }

    /// The position of `fingerprint` in its shard (`Ok`) or where it would go (`Err`).
    fn find(&self, fingerprint: u64) -> (usize, Result<usize, usize>) {
        let s = self.shard(fingerprint);
        let position = self.shards.get(s).map_or(Err(0), |shard| {
            shard.binary_search_by_key(&fingerprint, Entry::fingerprint)
        });
        (s, position)
    }

    /// The id holding `key`. `key_at` returns the key stored at an id.
    pub(super) fn get<'t>(
        &self,
        fingerprint: u64,
        key: &[u8],
        key_at: impl Fn(u32) -> Option<&'t [u8]>,
    ) -> Option<u32> {
        if let (s, Ok(at)) = self.find(fingerprint) {
            let id = self.shards.get(s)?.get(at)?.id;
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
        match self.find(fingerprint) {
            (_, Ok(_)) => {
                self.overflow.insert(key.to_vec(), id);
            }
            (s, Err(at)) => {
                if let Some(shard) = self.shards.get_mut(s) {
                    let shard = Arc::make_mut(shard);
                    // Exact growth: a shard is small, and copied whole anyway when shared.
                    shard.reserve_exact(1);
                    shard.insert(at, Entry::new(fingerprint, id));
                    self.len += 1;
                }
                if self.len > 2 * SHARD_TARGET * self.shards.len() {
                    self.split();
                }
            }
        }
    }

    /// Forgets that `id` holds `key`.
    pub(super) fn remove(&mut self, fingerprint: u64, key: &[u8], id: u32) {
        if let (s, Ok(at)) = self.find(fingerprint) {
            if let Some(shard) = self
                .shards
                .get_mut(s)
                .filter(|shard| shard.get(at).is_some_and(|e| e.id == id))
            {
                Arc::make_mut(shard).remove(at);
                self.len -= 1;
                if self.bits > 0 && 2 * self.len < SHARD_TARGET * self.shards.len() {
                    self.merge();
                }
                return;
            }
        }
        if !self.overflow.is_empty() {
            self.overflow.remove(key);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len + self.overflow.len()
    }

    /// Doubles the shards: each splits on the next bit of its fingerprints.
    fn split(&mut self) {
        let next_bit = 1u64 << (63 - self.bits);
        self.shards = self
            .shards
            .iter()
            .flat_map(|shard| {
                let (low, high) =
                    shard.split_at(shard.partition_point(|e| e.fingerprint() & next_bit == 0));
                [Arc::new(low.to_vec()), Arc::new(high.to_vec())]
            })
            .collect();
        self.bits += 1;
    }

    /// Halves the shards: each pair that differs in the last bit becomes one.
    fn merge(&mut self) {
        self.shards = self
            .shards
            .chunks(2)
            .map(|pair| {
                let mut merged = Vec::with_capacity(pair.iter().map(|shard| shard.len()).sum());
                for shard in pair {
                    merged.extend_from_slice(shard);
                }
                Arc::new(merged)
            })
            .collect();
        self.bits -= 1;
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
        if !items.iter().take(i).any(|earlier| *earlier == item) {
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
    fn shards_split_and_merge_without_losing_entries() {
        let state = RandomState::new();
        let fingerprint = |id: u32| state.hash_one(id);
        let keys: Vec<[u8; 4]> = (0..2000u32).map(u32::to_be_bytes).collect();
        let key = |id: u32| keys[id as usize];
        let key_at = |id: u32| keys.get(id as usize).map(|k| &k[..]);
        let mut map = KeyMap::default();
        for id in 0..2000 {
            map.insert(fingerprint(id), &key(id), id);
        }
        assert!(
            map.bits >= 3,
            "{} shards for 2000 entries",
            map.shards.len()
        );
        let copy = map.clone();
        for id in 0..1990 {
            map.remove(fingerprint(id), &key(id), id);
        }
        assert_eq!(map.len(), 10);
        // Shards were merged as the entries went.
        assert!(map.shards.len() < copy.shards.len());
        assert!(map.bits == 0 || 2 * map.len() >= SHARD_TARGET * map.shards.len());
        for id in 0..2000 {
            let expected = (id >= 1990).then_some(id);
            assert_eq!(map.get(fingerprint(id), &key(id), key_at), expected);
            // The copy taken before the removals is unchanged.
            assert_eq!(copy.get(fingerprint(id), &key(id), key_at), Some(id));
        }
        // Every shard holds exactly the fingerprints of its prefix, in order.
        for (s, shard) in copy.shards.iter().enumerate() {
            assert!(shard
                .windows(2)
                .all(|w| w[0].fingerprint() < w[1].fingerprint()));
            assert!(shard.iter().all(|e| copy.shard(e.fingerprint()) == s));
        }
    }

    #[test]
    fn distinct_values_once_each() {
        let mut seen = Vec::new();
        for_each_distinct(&[3, 1, 3, 2, 1], |v| seen.push(v));
        assert_eq!(seen, [3, 1, 2]);
    }
}
