//! Proposals (RFC 9420 §12.1) and commits (§12.4): [`Proposal`] with its bodies,
//! [`ProposalOrRef`] and [`Commit`].

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};
use braid_crypto::CipherSuite;

use super::{invalid, KeyPackage, LeafNode, ProposalRef, UpdatePath};
use crate::extensions::Extensions;
use crate::group_context::ProtocolVersion;
use crate::psk::PreSharedKeyId;
use crate::tree_math::LeafIndex;

braid_codec::code_point!(
    /// `uint16 ProposalType` (§12.1; IANA "MLS Proposal Types").
    ProposalType: u16 {
        /// `add`.
        ADD = 0x0001,
        /// `update`.
        UPDATE = 0x0002,
        /// `remove`.
        REMOVE = 0x0003,
        /// `psk`.
        PSK = 0x0004,
        /// `reinit`.
        REINIT = 0x0005,
        /// `external_init`.
        EXTERNAL_INIT = 0x0006,
        /// `group_context_extensions`.
        GROUP_CONTEXT_EXTENSIONS = 0x0007,
    }
);

impl ProposalType {
    /// Whether this is one of the RFC 9420 default proposal types, which need not be listed in
    /// `Capabilities.proposals` (§7.2).
    pub fn is_default(self) -> bool {
        (0x0001..=0x0007).contains(&self.0)
    }
}

/// `Add`: add the client of `key_package`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Add {
    /// `key_package`.
    pub key_package: KeyPackage,
}
codec_struct!(Add { key_package });

/// `Update`: replace the sender's leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// `leaf_node` (with source `update`).
    pub leaf_node: LeafNode,
}
codec_struct!(Update { leaf_node });

/// `Remove`: remove the member at leaf `removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Remove {
    /// `removed`.
    pub removed: LeafIndex,
}
codec_struct!(Remove { removed });

/// `PreSharedKey`: inject a PSK into the next epoch's key schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreSharedKey {
    /// `psk`.
    pub psk: PreSharedKeyId,
}
codec_struct!(PreSharedKey { psk });

/// `ReInit`: close the group and restart it with new parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReInit {
    /// `group_id` of the new group.
    pub group_id: Vec<u8>,
    /// `version`.
    pub version: ProtocolVersion,
    /// `cipher_suite`.
    pub cipher_suite: CipherSuite,
    /// `extensions` of the new group.
    pub extensions: Extensions,
}
codec_struct!(ReInit {
    group_id,
    version,
    cipher_suite,
    extensions,
});

/// `ExternalInit`: the KEM output from which an external joiner's init secret is derived.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalInit {
    /// `kem_output`.
    pub kem_output: Vec<u8>,
}
codec_struct!(ExternalInit { kem_output });

/// `GroupContextExtensions`: replace the GroupContext's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupContextExtensions {
    /// `extensions`.
    pub extensions: Extensions,
}
codec_struct!(GroupContextExtensions { extensions });

/// `Proposal`: a proposal type and its body.
///
/// A proposal body carries no length, so one of a type this enum does not know cannot be
/// skipped: decoding rejects it (the RFC requires that proposals of unsupported types be
/// rejected anyway, §12.1). Add and Update are boxed so that the small proposals, and the
/// `proposals` list of a [`Commit`], stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// `add`.
    Add(Box<Add>),
    /// `update`.
    Update(Box<Update>),
    /// `remove`.
    Remove(Remove),
    /// `psk`.
    PreSharedKey(PreSharedKey),
    /// `reinit`.
    ReInit(ReInit),
    /// `external_init`.
    ExternalInit(ExternalInit),
    /// `group_context_extensions`.
    GroupContextExtensions(GroupContextExtensions),
}

impl Proposal {
    /// The `proposal_type`.
    pub fn proposal_type(&self) -> ProposalType {
        match self {
            Self::Add(_) => ProposalType::ADD,
            Self::Update(_) => ProposalType::UPDATE,
            Self::Remove(_) => ProposalType::REMOVE,
            Self::PreSharedKey(_) => ProposalType::PSK,
            Self::ReInit(_) => ProposalType::REINIT,
            Self::ExternalInit(_) => ProposalType::EXTERNAL_INIT,
            Self::GroupContextExtensions(_) => ProposalType::GROUP_CONTEXT_EXTENSIONS,
        }
    }
}

impl Encode for Proposal {
    fn encode(&self, out: &mut Vec<u8>) {
        self.proposal_type().encode(out);
        match self {
            Self::Add(body) => body.encode(out),
            Self::Update(body) => body.encode(out),
            Self::Remove(body) => body.encode(out),
            Self::PreSharedKey(body) => body.encode(out),
            Self::ReInit(body) => body.encode(out),
            Self::ExternalInit(body) => body.encode(out),
            Self::GroupContextExtensions(body) => body.encode(out),
        }
    }
}

impl Decode for Proposal {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match ProposalType::decode(reader)? {
            ProposalType::ADD => Self::Add(Decode::decode(reader)?),
            ProposalType::UPDATE => Self::Update(Decode::decode(reader)?),
            ProposalType::REMOVE => Self::Remove(Decode::decode(reader)?),
            ProposalType::PSK => Self::PreSharedKey(Decode::decode(reader)?),
            ProposalType::REINIT => Self::ReInit(Decode::decode(reader)?),
            ProposalType::EXTERNAL_INIT => Self::ExternalInit(Decode::decode(reader)?),
            ProposalType::GROUP_CONTEXT_EXTENSIONS => {
                Self::GroupContextExtensions(Decode::decode(reader)?)
            }
            ProposalType(other) => return Err(invalid("ProposalType", other)),
        })
    }
}

/// `ProposalOrRefType` (`uint8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProposalOrRefType {
    /// `proposal(1)`.
    Proposal = 1,
    /// `reference(2)`.
    Reference = 2,
}
codec_enum!(ProposalOrRefType: u8 { Proposal, Reference });

/// `ProposalOrRef`: a proposal in a Commit, by value or by reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalOrRef {
    /// `proposal`: the proposal itself.
    Proposal(Proposal),
    /// `reference`: the `ProposalRef` of a proposal sent earlier in the epoch.
    Reference(ProposalRef),
}

impl ProposalOrRef {
    /// The `type`.
    pub fn proposal_or_ref_type(&self) -> ProposalOrRefType {
        match self {
            Self::Proposal(_) => ProposalOrRefType::Proposal,
            Self::Reference(_) => ProposalOrRefType::Reference,
        }
    }
}

impl Encode for ProposalOrRef {
    fn encode(&self, out: &mut Vec<u8>) {
        self.proposal_or_ref_type().encode(out);
        match self {
            Self::Proposal(proposal) => proposal.encode(out),
            Self::Reference(reference) => reference.encode(out),
        }
    }
}

impl Decode for ProposalOrRef {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match ProposalOrRefType::decode(reader)? {
            ProposalOrRefType::Proposal => Self::Proposal(Proposal::decode(reader)?),
            ProposalOrRefType::Reference => Self::Reference(ProposalRef::decode(reader)?),
        })
    }
}

/// `Commit`: the proposals it applies and, optionally, the committer's new path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// `proposals`.
    pub proposals: Vec<ProposalOrRef>,
    /// `path` (boxed, so that a Commit without one stays small).
    pub path: Option<Box<UpdatePath>>,
}
codec_struct!(Commit { proposals, path });
