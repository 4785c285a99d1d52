//! Where the values of pre-shared keys come from (RFC 9420 §8.4, §8.6): external PSKs the
//! application provisions, and resumption PSKs of other groups (a ReInit's or branch's old
//! group). A group's own past `resumption_psk`s are kept by the group itself.

use std::collections::BTreeMap;

use braid_codec::{Decode, Encode, Error, Reader};
use braid_crypto::Secret;

use crate::psk::Psk;

/// PSK values by what `PreSharedKeyID` names (its `psktype` and fields, not its nonce).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PskStore {
    external: BTreeMap<Vec<u8>, Secret>,
    resumption: BTreeMap<(Vec<u8>, u64), Secret>,
}

impl PskStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the external PSK `psk_id`.
    pub fn insert_external(&mut self, psk_id: impl Into<Vec<u8>>, psk: Secret) {
        self.external.insert(psk_id.into(), psk);
    }

    /// Removes the external PSK `psk_id`, returning it.
    pub fn remove_external(&mut self, psk_id: &[u8]) -> Option<Secret> {
        self.external.remove(psk_id)
    }

    /// Adds (or replaces) the `resumption_psk` of epoch `epoch` of group `group_id`.
    pub fn insert_resumption(&mut self, group_id: impl Into<Vec<u8>>, epoch: u64, psk: Secret) {
        self.resumption.insert((group_id.into(), epoch), psk);
    }

    /// Removes the `resumption_psk` of epoch `epoch` of group `group_id`, returning it.
    pub fn remove_resumption(&mut self, group_id: &[u8], epoch: u64) -> Option<Secret> {
        self.resumption.remove(&(group_id.to_vec(), epoch))
    }

    /// The value of `psk`, if known.
    pub fn get(&self, psk: &Psk) -> Option<&Secret> {
        match psk {
            Psk::External(external) => self.external.get(&external.psk_id),
            Psk::Resumption(resumption) => self
                .resumption
                .get(&(resumption.psk_group_id.clone(), resumption.psk_epoch)),
        }
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.external.is_empty() && self.resumption.is_empty()
    }
}

impl Encode for PskStore {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.external.len() as u32).encode(out);
        for (id, psk) in &self.external {
            id.encode(out);
            psk.as_bytes().encode(out);
        }
        (self.resumption.len() as u32).encode(out);
        for ((group_id, epoch), psk) in &self.resumption {
            group_id.encode(out);
            epoch.encode(out);
            psk.as_bytes().encode(out);
        }
    }
}

impl Decode for PskStore {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let mut store = Self::new();
        for _ in 0..u32::decode(reader)? {
            let id = Vec::decode(reader)?;
            let psk = Secret::from_slice(reader.opaque()?);
            store.external.insert(id, psk);
        }
        for _ in 0..u32::decode(reader)? {
            let group_id = Vec::decode(reader)?;
            let epoch = u64::decode(reader)?;
            let psk = Secret::from_slice(reader.opaque()?);
            store.resumption.insert((group_id, epoch), psk);
        }
        Ok(store)
    }
}
