//! An in-memory store with the same semantics as the persistent ones (see the crate docs for what
//! is stored: RFC 9420 §8.1 epochs, §5.2 `KeyPackageRef`s, §8.4 PSKs).
//!
//! A transaction writes in place and keeps an undo log: each write records how to restore what
//! it replaced, so a commit costs nothing and a rollback replays the log backwards. No stored
//! value is ever copied to make a transaction possible.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use braid_crypto::{Secret, SignatureKeyPair, SignatureScheme};

use crate::store::delegate_store_read;
use crate::{
    EpochInfo, GroupStore, KeyPackageRecord, Result, StorageError, StoreRead, StoreTransaction,
    StoredSignatureKeyPair,
};

/// A store that keeps everything in memory, for tests and for applications that persist
/// elsewhere. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: MemoryState,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    /// The next epoch insertion number ([`StoreRead::epochs`] lists epochs in insertion order).
    next_seq: u64,
    groups: BTreeMap<Vec<u8>, GroupEntry>,
    key_packages: BTreeMap<Vec<u8>, KeyPackageRecord>,
    psks: BTreeMap<Vec<u8>, Secret>,
    signature_keys: BTreeMap<Vec<u8>, (SignatureScheme, Secret)>,
}

#[derive(Debug, Default)]
struct GroupEntry {
    current: Option<Vec<u8>>,
    epochs: BTreeMap<Vec<u8>, EpochEntry>,
}

#[derive(Debug)]
struct EpochEntry {
    seq: u64,
    live: bool,
    state: Secret,
}

impl MemoryState {
    fn epoch_mut(&mut self, group_id: &[u8], epoch_id: &[u8]) -> Option<&mut EpochEntry> {
        self.groups.get_mut(group_id)?.epochs.get_mut(epoch_id)
    }

    /// `EpochNotFound` unless the epoch is stored; `CurrentEpoch` if it is the current one.
    fn check_not_current(
        &self,
        group_id: &[u8],
        epoch_id: &[u8],
        action: &'static str,
    ) -> Result<()> {
        let is_current = self
            .groups
            .get(group_id)
            .and_then(|group| group.current.as_deref())
            .is_some_and(|current| current == epoch_id);
        if is_current {
            Err(StorageError::CurrentEpoch {
                group_id: group_id.to_vec(),
                epoch_id: epoch_id.to_vec(),
                action,
            })
        } else {
            Ok(())
        }
    }
}

fn epoch_not_found(group_id: &[u8], epoch_id: &[u8]) -> StorageError {
    StorageError::EpochNotFound {
        group_id: group_id.to_vec(),
        epoch_id: epoch_id.to_vec(),
    }
}

/// Puts `old` back under `key`: the inverse of an insert or remove that returned `old`.
fn restore<V>(map: &mut BTreeMap<Vec<u8>, V>, key: Vec<u8>, old: Option<V>) {
    match old {
        Some(value) => map.insert(key, value),
        None => map.remove(&key),
    };
}

impl StoreRead for MemoryState {
    fn groups(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.groups.keys().cloned().collect())
    }

    fn current_epoch(&self, group_id: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .groups
            .get(group_id)
            .and_then(|group| group.current.clone()))
    }

    fn current_epoch_state(&self, group_id: &[u8]) -> Result<Option<(Vec<u8>, Secret)>> {
        let Some(group) = self.groups.get(group_id) else {
            return Ok(None);
        };
        let Some(current) = &group.current else {
            return Ok(None);
        };
        match group.epochs.get(current) {
            Some(epoch) => Ok(Some((current.clone(), epoch.state.clone()))),
            None => Err(StorageError::Corrupt(format!(
                "the current epoch {} of group {} has no state",
                hex::encode(current),
                hex::encode(group_id)
            ))),
        }
    }

    fn epochs(&self, group_id: &[u8]) -> Result<Vec<EpochInfo>> {
        let Some(group) = self.groups.get(group_id) else {
            return Ok(Vec::new());
        };
        let mut epochs: Vec<(u64, EpochInfo)> = group
            .epochs
            .iter()
            .map(|(epoch_id, epoch)| {
                let info = EpochInfo {
                    epoch_id: epoch_id.clone(),
                    live: epoch.live,
                };
                (epoch.seq, info)
            })
            .collect();
        epochs.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(epochs.into_iter().map(|(_, info)| info).collect())
    }

    fn epoch_state(&self, group_id: &[u8], epoch_id: &[u8]) -> Result<Option<Secret>> {
        Ok(self
            .groups
            .get(group_id)
            .and_then(|group| group.epochs.get(epoch_id))
            .map(|epoch| epoch.state.clone()))
    }

    fn key_package(&self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>> {
        Ok(self.key_packages.get(key_package_ref).cloned())
    }

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.key_packages.keys().cloned().collect())
    }

    fn psk(&self, psk_id: &[u8]) -> Result<Option<Secret>> {
        Ok(self.psks.get(psk_id).cloned())
    }

    fn signature_key_pair(&self, public_key: &[u8]) -> Result<Option<StoredSignatureKeyPair>> {
        Ok(self
            .signature_keys
            .get(public_key)
            .map(|(scheme, private_key)| StoredSignatureKeyPair {
                scheme: *scheme,
                key_pair: SignatureKeyPair {
                    private_key: private_key.clone(),
                    public_key: public_key.to_vec(),
                },
            }))
    }

    fn signature_public_keys(&self) -> Result<Vec<(SignatureScheme, Vec<u8>)>> {
        Ok(self
            .signature_keys
            .iter()
            .map(|(public_key, (scheme, _))| (*scheme, public_key.clone()))
            .collect())
    }
}

delegate_store_read!(MemoryStore, |this| this.state);

impl GroupStore for MemoryStore {
    type Transaction<'a> = MemoryTransaction<'a>;

    fn transaction(&mut self) -> Result<MemoryTransaction<'_>> {
        Ok(MemoryTransaction {
            state: &mut self.state,
            undo: Vec::new(),
        })
    }
}

/// How to undo one write.
type Undo = Box<dyn FnOnce(&mut MemoryState) + Send>;

/// A transaction on a [`MemoryStore`]; dropping it without [`commit`](StoreTransaction::commit)
/// undoes its writes.
pub struct MemoryTransaction<'a> {
    state: &'a mut MemoryState,
    /// Inverse of every write so far, in write order.
    undo: Vec<Undo>,
}

impl std::fmt::Debug for MemoryTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTransaction")
            .field("writes", &self.undo.len())
            .finish_non_exhaustive()
    }
}

impl Drop for MemoryTransaction<'_> {
    fn drop(&mut self) {
        while let Some(undo) = self.undo.pop() {
            undo(self.state);
        }
    }
}

delegate_store_read!(MemoryTransaction<'_>, |this| *this.state);

impl MemoryTransaction<'_> {
    fn on_rollback(&mut self, undo: impl FnOnce(&mut MemoryState) + Send + 'static) {
        self.undo.push(Box::new(undo));
    }

    /// Sets (`Some`) or removes (`None`) `key` in one of the top-level tables, logging the undo.
    /// Returns whether the key was present.
    fn write_entry<V: Send + 'static>(
        &mut self,
        table: fn(&mut MemoryState) -> &mut BTreeMap<Vec<u8>, V>,
        key: &[u8],
        value: Option<V>,
    ) -> bool {
        let map = table(self.state);
        let old = match value {
            Some(value) => map.insert(key.to_vec(), value),
            None => map.remove(key),
        };
        let existed = old.is_some();
        let key = key.to_vec();
        self.on_rollback(move |state| restore(table(state), key, old));
        existed
    }

    /// Sets the liveness of a stored epoch, logging the undo.
    fn set_live(&mut self, group_id: &[u8], epoch_id: &[u8], live: bool) -> Result<()> {
        let epoch = self
            .state
            .epoch_mut(group_id, epoch_id)
            .ok_or_else(|| epoch_not_found(group_id, epoch_id))?;
        let old = std::mem::replace(&mut epoch.live, live);
        let (group_id, epoch_id) = (group_id.to_vec(), epoch_id.to_vec());
        self.on_rollback(move |state| {
            if let Some(epoch) = state.epoch_mut(&group_id, &epoch_id) {
                epoch.live = old;
            }
        });
        Ok(())
    }
}

impl StoreTransaction for MemoryTransaction<'_> {
    fn put_epoch(&mut self, group_id: &[u8], epoch_id: &[u8], state: &[u8]) -> Result<()> {
        let created = !self.state.groups.contains_key(group_id);
        let seq = self.state.next_seq;
        let group = self.state.groups.entry(group_id.to_vec()).or_default();
        let old = match group.epochs.entry(epoch_id.to_vec()) {
            Entry::Occupied(mut epoch) => Some(std::mem::replace(
                &mut epoch.get_mut().state,
                Secret::from_slice(state),
            )),
            Entry::Vacant(slot) => {
                slot.insert(EpochEntry {
                    seq,
                    live: false,
                    state: Secret::from_slice(state),
                });
                None
            }
        };
        if old.is_none() {
            self.state.next_seq += 1;
        }
        let (group_id, epoch_id) = (group_id.to_vec(), epoch_id.to_vec());
        self.on_rollback(move |state| {
            if created {
                state.groups.remove(&group_id);
            } else if let Some(group) = state.groups.get_mut(&group_id) {
                match old {
                    Some(old_state) => {
                        if let Some(epoch) = group.epochs.get_mut(&epoch_id) {
                            epoch.state = old_state;
                        }
                    }
                    None => {
                        group.epochs.remove(&epoch_id);
                    }
                }
            }
        });
        Ok(())
    }

    fn set_current_epoch(&mut self, group_id: &[u8], epoch_id: Option<&[u8]>) -> Result<()> {
        if let Some(epoch_id) = epoch_id {
            self.set_live(group_id, epoch_id, true)?;
        }
        let Some(group) = self.state.groups.get_mut(group_id) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut group.current, epoch_id.map(<[u8]>::to_vec));
        let group_id = group_id.to_vec();
        self.on_rollback(move |state| {
            if let Some(group) = state.groups.get_mut(&group_id) {
                group.current = old;
            }
        });
        Ok(())
    }

    fn set_epoch_live(&mut self, group_id: &[u8], epoch_id: &[u8], live: bool) -> Result<()> {
        if !live {
            self.state
                .check_not_current(group_id, epoch_id, "removed from the live set")?;
        }
        self.set_live(group_id, epoch_id, live)
    }

    fn delete_epoch(&mut self, group_id: &[u8], epoch_id: &[u8]) -> Result<bool> {
        self.state
            .check_not_current(group_id, epoch_id, "deleted")?;
        let Some(group) = self.state.groups.get_mut(group_id) else {
            return Ok(false);
        };
        let Some(old) = group.epochs.remove(epoch_id) else {
            return Ok(false);
        };
        let (group_id, epoch_id) = (group_id.to_vec(), epoch_id.to_vec());
        self.on_rollback(move |state| {
            if let Some(group) = state.groups.get_mut(&group_id) {
                group.epochs.insert(epoch_id, old);
            }
        });
        Ok(true)
    }

    fn delete_group(&mut self, group_id: &[u8]) -> Result<bool> {
        Ok(self.write_entry(|s| &mut s.groups, group_id, None))
    }

    fn put_key_package(
        &mut self,
        key_package_ref: &[u8],
        private_material: &[u8],
        last_resort: bool,
    ) -> Result<()> {
        let record = KeyPackageRecord {
            private_material: Secret::from_slice(private_material),
            last_resort,
        };
        self.write_entry(|s| &mut s.key_packages, key_package_ref, Some(record));
        Ok(())
    }

    fn take_key_package(&mut self, key_package_ref: &[u8]) -> Result<Option<KeyPackageRecord>> {
        let record = self.state.key_packages.get(key_package_ref).cloned();
        if record.as_ref().is_some_and(|record| !record.last_resort) {
            self.write_entry(|s| &mut s.key_packages, key_package_ref, None);
        }
        Ok(record)
    }

    fn delete_key_package(&mut self, key_package_ref: &[u8]) -> Result<bool> {
        Ok(self.write_entry(|s| &mut s.key_packages, key_package_ref, None))
    }

    fn put_psk(&mut self, psk_id: &[u8], psk: &[u8]) -> Result<()> {
        self.write_entry(|s| &mut s.psks, psk_id, Some(Secret::from_slice(psk)));
        Ok(())
    }

    fn delete_psk(&mut self, psk_id: &[u8]) -> Result<bool> {
        Ok(self.write_entry(|s| &mut s.psks, psk_id, None))
    }

    fn put_signature_key_pair(
        &mut self,
        scheme: SignatureScheme,
        key_pair: &SignatureKeyPair,
    ) -> Result<()> {
        let entry = (scheme, key_pair.private_key.clone());
        self.write_entry(|s| &mut s.signature_keys, &key_pair.public_key, Some(entry));
        Ok(())
    }

    fn delete_signature_key_pair(&mut self, public_key: &[u8]) -> Result<bool> {
        Ok(self.write_entry(|s| &mut s.signature_keys, public_key, None))
    }

    fn commit(mut self) -> Result<()> {
        self.undo.clear();
        Ok(())
    }
}
