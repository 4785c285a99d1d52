//! Leaf nodes (RFC 9420 §7.2): [`LeafNode`], its [`Capabilities`], [`Lifetime`] and
//! [`LeafNodeSource`], and the [`LeafNodeTbs`] its signature covers.

use std::sync::Arc;

use braid_codec::{codec_struct, Decode, Encode, Error, Reader};
use braid_crypto::CipherSuite;

use super::{
    invalid, Credential, CredentialType, HpkePublicKey, MessageError, ProposalType,
    SignaturePublicKey,
};
use crate::extensions::{ExtensionType, Extensions};
use crate::group_context::ProtocolVersion;
use crate::tree_math::LeafIndex;

/// `Capabilities`: what a client supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `versions`.
    pub versions: Vec<ProtocolVersion>,
    /// `cipher_suites`.
    pub cipher_suites: Vec<CipherSuite>,
    /// `extensions`: the non-default extension types supported.
    pub extensions: Vec<ExtensionType>,
    /// `proposals`: the non-default proposal types supported.
    pub proposals: Vec<ProposalType>,
    /// `credentials`.
    pub credentials: Vec<CredentialType>,
}
codec_struct!(Capabilities {
    versions,
    cipher_suites,
    extensions,
    proposals,
    credentials,
});

/// `Lifetime`: the validity window of a KeyPackage's leaf, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lifetime {
    /// `not_before`.
    pub not_before: u64,
    /// `not_after`.
    pub not_after: u64,
}
codec_struct!(Lifetime {
    not_before,
    not_after,
});

/// The `leaf_node_source` of a [`LeafNode`] together with the fields its `select` adds.
///
/// On the wire this is `LeafNodeSource leaf_node_source` (`uint8`: `key_package(1)`,
/// `update(2)`, `commit(3)`; anything else is rejected) followed by the selected fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeafNodeSource {
    /// `key_package`: the leaf of a KeyPackage.
    KeyPackage {
        /// `lifetime`.
        lifetime: Lifetime,
    },
    /// `update`: the leaf of an Update proposal.
    Update,
    /// `commit`: the leaf of a Commit's UpdatePath.
    Commit {
        /// `parent_hash`.
        parent_hash: Vec<u8>,
    },
}

impl LeafNodeSource {
    fn code(&self) -> u8 {
        match self {
            Self::KeyPackage { .. } => 1,
            Self::Update => 2,
            Self::Commit { .. } => 3,
        }
    }
}

impl Encode for LeafNodeSource {
    fn encode(&self, out: &mut Vec<u8>) {
        self.code().encode(out);
        match self {
            Self::KeyPackage { lifetime } => lifetime.encode(out),
            Self::Update => {}
            Self::Commit { parent_hash } => parent_hash.encode(out),
        }
    }
}

impl Decode for LeafNodeSource {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(reader)? {
            1 => Ok(Self::KeyPackage {
                lifetime: Lifetime::decode(reader)?,
            }),
            2 => Ok(Self::Update),
            3 => Ok(Self::Commit {
                parent_hash: Vec::decode(reader)?,
            }),
            other => Err(invalid("LeafNodeSource", other)),
        }
    }
}

/// `LeafNode`: a member's public state in the tree, signed by the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafNode {
    /// `encryption_key`.
    pub encryption_key: HpkePublicKey,
    /// `signature_key`.
    pub signature_key: SignaturePublicKey,
    /// `credential`.
    pub credential: Credential,
    /// `capabilities`, behind an [`Arc`]: nearly every member of a group advertises the same
    /// ones, and the ratchet tree keeps one copy for all the leaves that do (five vectors
    /// per leaf otherwise). Build with `Capabilities { .. }.into()`; change with
    /// [`Arc::make_mut`].
    pub capabilities: Arc<Capabilities>,
    /// `leaf_node_source` and its `select`ed fields.
    pub leaf_node_source: LeafNodeSource,
    /// `extensions`.
    pub extensions: Extensions,
    /// `signature`: `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)`.
    pub signature: Vec<u8>,
}

impl LeafNode {
    /// The `LeafNodeTBS` that [`signature`](Self::signature) covers.
    ///
    /// `group` is the group id and this leaf's index; `LeafNodeTBS` includes them for `update`
    /// and `commit` leaves (then they are required) and not for `key_package` leaves (then
    /// they are ignored).
    pub fn tbs<'a>(
        &'a self,
        group: Option<(&'a [u8], LeafIndex)>,
    ) -> Result<LeafNodeTbs<'a>, MessageError> {
        let group = match self.leaf_node_source {
            LeafNodeSource::KeyPackage { .. } => None,
            LeafNodeSource::Update | LeafNodeSource::Commit { .. } => {
                Some(group.ok_or(MessageError::MissingLeafNodeGroup)?)
            }
        };
        Ok(LeafNodeTbs {
            leaf_node: self,
            group,
        })
    }

    /// Every field but `signature`: the part `LeafNode` and `LeafNodeTBS` share.
    fn encode_unsigned(&self, out: &mut Vec<u8>) {
        self.encryption_key.encode(out);
        self.signature_key.encode(out);
        self.credential.encode(out);
        self.capabilities.encode(out);
        self.leaf_node_source.encode(out);
        self.extensions.encode(out);
    }
}

impl Encode for LeafNode {
    fn encode(&self, out: &mut Vec<u8>) {
        self.encode_unsigned(out);
        self.signature.encode(out);
    }
}

impl Decode for LeafNode {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            encryption_key: Decode::decode(reader)?,
            signature_key: Decode::decode(reader)?,
            credential: Decode::decode(reader)?,
            capabilities: Arc::new(Decode::decode(reader)?),
            leaf_node_source: Decode::decode(reader)?,
            extensions: Decode::decode(reader)?,
            signature: Decode::decode(reader)?,
        })
    }
}

/// `LeafNodeTBS`, borrowed from a [`LeafNode`] (built by [`LeafNode::tbs`]).
#[derive(Debug, Clone, Copy)]
pub struct LeafNodeTbs<'a> {
    leaf_node: &'a LeafNode,
    /// `group_id` and `leaf_index`, present exactly for `update` and `commit` sources.
    group: Option<(&'a [u8], LeafIndex)>,
}

impl Encode for LeafNodeTbs<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.leaf_node.encode_unsigned(out);
        if let Some((group_id, leaf_index)) = self.group {
            group_id.encode(out);
            leaf_index.encode(out);
        }
    }
}
