//! The stored form of a group ([`Group::to_bytes`], [`Group::from_bytes`]): versioned and
//! self-describing, so that upgrades never lose groups.
//!
//! ```text
//! "BRAIDGRP" || uint16 format_version || Field fields[...]      (to the end)
//! struct { uint16 tag; opaque value<V>; } Field;
//! ```
//!
//! Each field holds one part of the state in braid's TLS-presentation encoding; a reader
//! skips tags it does not know, and fields a newer writer may omit have defaults. The
//! encoding is deterministic (maps are written in key order), so equal states give equal
//! bytes. It holds every private key and secret of the group: store it accordingly.

use std::collections::VecDeque;

use braid_codec::{encode_vector, Decode, Encode, Error, Reader};
use braid_crypto::{KemKeyPair, Secret};

use super::commit::{PendingCommit, StagedCommit};
use super::config::{decode_bool, GroupConfig};
use super::proposals::{CommittedProposal, ProposalStore, QueuedProposal};
use super::psk_store::PskStore;
use super::state::{EpochState, GroupStatus, PastEpoch};
use super::{Group, GroupError, Signer, StateError};
use crate::group_context::GroupContext;
use crate::key_schedule::EpochSecrets;
use crate::messages::{
    LeafNode, Mac, MlsMessage, Proposal, ProposalRef, RatchetTree as WireRatchetTree, ReInit,
    Sender,
};
use crate::secret_tree::SecretTree;
use crate::tree::treekem::TreePrivateKeys;
use crate::tree::RatchetTree;
use crate::tree_math::{LeafIndex, NodeIndex};

/// The first bytes of a stored group.
const MAGIC: &[u8; 8] = b"BRAIDGRP";
/// The format version this build writes and reads.
const FORMAT_VERSION: u16 = 1;

/// The field tags of format version 1.
mod tag {
    pub const CONFIG: u16 = 1;
    pub const SIGNER: u16 = 2;
    pub const EPOCH: u16 = 3;
    pub const PAST_EPOCHS: u16 = 4;
    pub const RESUMPTION_PSKS: u16 = 5;
    pub const PSKS: u16 = 6;
    pub const PROPOSALS: u16 = 7;
    pub const PENDING_COMMIT: u16 = 8;
    pub const STATUS: u16 = 9;
    /// One past the largest tag known.
    pub const END: u16 = 10;
}

fn encode_secret(secret: &Secret, out: &mut Vec<u8>) {
    secret.as_bytes().encode(out);
}

fn decode_secret(reader: &mut Reader<'_>) -> Result<Secret, Error> {
    reader.opaque().map(Secret::from_slice)
}

/// Writes `items` as a vector, each with `item`.
fn encode_list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    item: impl Fn(T, &mut Vec<u8>),
) {
    encode_vector(out, |out| {
        for value in items {
            item(value, out);
        }
    });
}

/// Reads a vector whose elements `item` decodes.
fn decode_list<T>(
    reader: &mut Reader<'_>,
    item: impl Fn(&mut Reader<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut body = reader.vector()?;
    let mut items = Vec::new();
    while !body.is_empty() {
        items.push(item(&mut body)?);
    }
    Ok(items)
}

// ----- parts --------------------------------------------------------------------------------

fn encode_private_keys(keys: &TreePrivateKeys, out: &mut Vec<u8>) {
    keys.leaf_index().encode(out);
    encode_list(out, keys.nodes(), |node, out| {
        node.encode(out);
        if let Some(pair) = keys.key_pair(node) {
            encode_secret(&pair.private_key, out);
            pair.public_key.encode(out);
        }
    });
}

fn decode_private_keys(reader: &mut Reader<'_>) -> Result<TreePrivateKeys, Error> {
    let leaf = LeafIndex::decode(reader)?;
    let pairs = decode_list(reader, |r| {
        let node = NodeIndex::decode(r)?;
        let pair = KemKeyPair {
            private_key: decode_secret(r)?,
            public_key: Vec::decode(r)?,
        };
        Ok((node, pair))
    })?;
    let bad = || Error::Malformed("private tree keys");
    let mut pairs = pairs.into_iter();
    let (node, pair) = pairs.next().ok_or_else(bad)?;
    if Some(node) != leaf.node() {
        return Err(bad());
    }
    let mut keys = TreePrivateKeys::new(leaf, pair).map_err(|_| bad())?;
    for (node, pair) in pairs {
        keys.insert_key_pair(node, pair).map_err(|_| bad())?;
    }
    Ok(keys)
}

fn encode_secrets(secrets: &EpochSecrets, out: &mut Vec<u8>) {
    for secret in [
        &secrets.sender_data_secret,
        &secrets.encryption_secret,
        &secrets.exporter_secret,
        &secrets.external_secret,
        &secrets.confirmation_key,
        &secrets.membership_key,
        &secrets.resumption_psk,
        &secrets.epoch_authenticator,
        &secrets.init_secret,
    ] {
        encode_secret(secret, out);
    }
}

fn decode_secrets(reader: &mut Reader<'_>) -> Result<EpochSecrets, Error> {
    Ok(EpochSecrets {
        sender_data_secret: decode_secret(reader)?,
        encryption_secret: decode_secret(reader)?,
        exporter_secret: decode_secret(reader)?,
        external_secret: decode_secret(reader)?,
        confirmation_key: decode_secret(reader)?,
        membership_key: decode_secret(reader)?,
        resumption_psk: decode_secret(reader)?,
        epoch_authenticator: decode_secret(reader)?,
        init_secret: decode_secret(reader)?,
    })
}

fn decode_tree(reader: &mut Reader<'_>) -> Result<RatchetTree, Error> {
    let wire = WireRatchetTree::decode(reader)?;
    RatchetTree::from_wire(wire).map_err(|_| Error::Malformed("ratchet tree"))
}

impl Encode for EpochState {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group_context.encode(out);
        self.tree.encode(out);
        encode_private_keys(&self.private_keys, out);
        encode_secrets(&self.secrets, out);
        self.secret_tree.encode(out);
        self.interim_transcript_hash.encode(out);
        self.confirmation_tag.encode(out);
    }
}

impl Decode for EpochState {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let state = Self {
            group_context: GroupContext::decode(reader)?,
            tree: decode_tree(reader)?,
            private_keys: decode_private_keys(reader)?,
            secrets: decode_secrets(reader)?,
            secret_tree: SecretTree::decode(reader)?,
            interim_transcript_hash: Vec::decode(reader)?,
            confirmation_tag: Mac::decode(reader)?,
        };
        state
            .private_keys
            .verify(&state.tree)
            .map_err(|_| Error::Malformed("private keys do not match the tree"))?;
        if state.secret_tree.n_leaves() != state.tree.leaf_count() {
            return Err(Error::Malformed("secret tree size does not match the tree"));
        }
        Ok(state)
    }
}

impl Encode for PastEpoch {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group_context.encode(out);
        self.tree.encode(out);
        encode_secret(&self.sender_data_secret, out);
        self.secret_tree.encode(out);
    }
}

impl Decode for PastEpoch {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            group_context: GroupContext::decode(reader)?,
            tree: decode_tree(reader)?,
            sender_data_secret: decode_secret(reader)?,
            secret_tree: SecretTree::decode(reader)?,
        })
    }
}

impl Encode for QueuedProposal {
    fn encode(&self, out: &mut Vec<u8>) {
        self.reference.encode(out);
        self.proposal.encode(out);
        self.sender.encode(out);
        self.sent.encode(out);
        match &self.update_private_key {
            None => out.push(0),
            Some(key) => {
                out.push(1);
                encode_secret(key, out);
            }
        }
    }
}

impl Decode for QueuedProposal {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            reference: ProposalRef::decode(reader)?,
            proposal: Proposal::decode(reader)?,
            sender: Sender::decode(reader)?,
            sent: Option::<MlsMessage>::decode(reader)?,
            update_private_key: match decode_bool(reader, "update key presence")? {
                false => None,
                true => Some(decode_secret(reader)?),
            },
        })
    }
}

impl Encode for CommittedProposal {
    fn encode(&self, out: &mut Vec<u8>) {
        self.proposal.encode(out);
        self.sender.encode(out);
        self.reference.encode(out);
    }
}

impl Decode for CommittedProposal {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            proposal: Proposal::decode(reader)?,
            sender: Sender::decode(reader)?,
            reference: Option::decode(reader)?,
        })
    }
}

impl Encode for PendingCommit {
    fn encode(&self, out: &mut Vec<u8>) {
        let staged = &self.staged;
        self.message.encode(out);
        staged.group_id.encode(out);
        staged.from_epoch.encode(out);
        staged.sender.encode(out);
        staged.proposals.encode(out);
        staged.added.encode(out);
        encode_list(out, &staged.removed, |(leaf, node), out| {
            leaf.encode(out);
            node.encode(out);
        });
        staged.updated.encode(out);
        staged.new_epoch.encode(out);
        staged.reinit.encode(out);
    }
}

impl Decode for PendingCommit {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let message = MlsMessage::decode(reader)?;
        let staged = StagedCommit {
            group_id: Vec::decode(reader)?,
            from_epoch: u64::decode(reader)?,
            sender: Sender::decode(reader)?,
            proposals: Vec::decode(reader)?,
            added: Vec::decode(reader)?,
            removed: decode_list(reader, |r| {
                Ok((LeafIndex::decode(r)?, LeafNode::decode(r)?))
            })?,
            updated: Vec::decode(reader)?,
            new_epoch: Option::<EpochState>::decode(reader)?.map(Box::new),
            reinit: Option::<ReInit>::decode(reader)?,
            consumed_key: None,
        };
        Ok(Self { message, staged })
    }
}

impl Encode for GroupStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Active => out.push(0),
            Self::Removed => out.push(1),
            Self::ReInit(reinit) => {
                out.push(2);
                reinit.encode(out);
            }
        }
    }
}

impl Decode for GroupStatus {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(reader)? {
            0 => Ok(Self::Active),
            1 => Ok(Self::Removed),
            2 => Ok(Self::ReInit(ReInit::decode(reader)?)),
            other => Err(Error::InvalidValue {
                what: "group status",
                value: u64::from(other),
            }),
        }
    }
}

// ----- the container ------------------------------------------------------------------------

/// Appends one field: its tag and its value as a vector.
fn field(out: &mut Vec<u8>, tag: u16, value: impl FnOnce(&mut Vec<u8>)) {
    tag.encode(out);
    encode_vector(out, value);
}

/// Decodes a whole field value as `T`.
fn value<T: Decode>(bytes: &[u8]) -> Result<T, GroupError> {
    Ok(T::from_bytes(bytes)?)
}

impl Group {
    /// The whole group state, private keys and secrets included, in braid's versioned,
    /// self-describing storage format (see the module documentation). Equal states encode
    /// to equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        FORMAT_VERSION.encode(&mut out);
        field(&mut out, tag::CONFIG, |out| self.config.encode(out));
        field(&mut out, tag::SIGNER, |out| self.signer.encode(out));
        field(&mut out, tag::EPOCH, |out| self.epoch.encode(out));
        field(&mut out, tag::PAST_EPOCHS, |out| {
            for past in &self.past_epochs {
                past.encode(out);
            }
        });
        field(&mut out, tag::RESUMPTION_PSKS, |out| {
            for (epoch, psk) in &self.resumption_psks {
                epoch.encode(out);
                encode_secret(psk, out);
            }
        });
        field(&mut out, tag::PSKS, |out| self.psks.encode(out));
        field(&mut out, tag::PROPOSALS, |out| {
            for proposal in self.proposals.iter() {
                proposal.encode(out);
            }
        });
        if let Some(pending) = &self.pending_commit {
            field(&mut out, tag::PENDING_COMMIT, |out| pending.encode(out));
        }
        field(&mut out, tag::STATUS, |out| self.status.encode(out));
        out
    }

    /// Reads a group stored with [`Group::to_bytes`]. Fields of unknown tags are skipped;
    /// the private keys are checked against the tree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(StateError::BadMagic)?;
        let mut reader = Reader::new(rest);
        let version = u16::decode(&mut reader)?;
        if version != FORMAT_VERSION {
            return Err(StateError::UnsupportedVersion(version).into());
        }
        let mut fields: [Option<&[u8]>; tag::END as usize] = [None; tag::END as usize];
        while !reader.is_empty() {
            let tag = u16::decode(&mut reader)?;
            let value = reader.opaque()?;
            if let Some(slot) = fields.get_mut(usize::from(tag)) {
                if slot.replace(value).is_some() {
                    return Err(StateError::DuplicateField(tag).into());
                }
            }
        }
        let field = |tag: u16| fields.get(usize::from(tag)).copied().flatten();
        let required = |tag: u16| field(tag).ok_or(StateError::MissingField(tag));
        let optional = |tag: u16| field(tag).unwrap_or_default();
        let config: GroupConfig = value(required(tag::CONFIG)?)?;
        let signer: Signer = value(required(tag::SIGNER)?)?;
        let epoch: EpochState = value(required(tag::EPOCH)?)?;
        let status: GroupStatus = value(required(tag::STATUS)?)?;
        let past_epochs = repeated(optional(tag::PAST_EPOCHS), PastEpoch::decode)?;
        let resumption_psks = repeated(optional(tag::RESUMPTION_PSKS), |r| {
            Ok((u64::decode(r)?, decode_secret(r)?))
        })?;
        let psks = match field(tag::PSKS) {
            Some(bytes) => value(bytes)?,
            None => PskStore::new(),
        };
        let proposals = repeated(optional(tag::PROPOSALS), QueuedProposal::decode)?;
        let pending_commit = field(tag::PENDING_COMMIT)
            .map(value::<PendingCommit>)
            .transpose()?
            .map(Box::new);
        let own_key = epoch.tree.leaf(epoch.own_leaf()).map(|l| &l.signature_key);
        if own_key != Some(signer.signature_key()) {
            return Err(StateError::Inconsistent("the signer is not the member's leaf").into());
        }
        Ok(Self {
            config,
            signer,
            epoch,
            past_epochs: VecDeque::from(past_epochs),
            resumption_psks: VecDeque::from(resumption_psks),
            psks,
            proposals: ProposalStore::from_vec(proposals),
            pending_commit,
            status,
        })
    }
}

/// Decodes `bytes` as a run of `item`s to its end.
fn repeated<T>(
    bytes: &[u8],
    item: impl Fn(&mut Reader<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, GroupError> {
    let mut reader = Reader::new(bytes);
    let mut items = Vec::new();
    while !reader.is_empty() {
        items.push(item(&mut reader)?);
    }
    Ok(items)
}
