//! The wire structures of RFC 9420 and their exact TLS-presentation codecs.
//!
//! | structures | RFC 9420 |
//! |---|---|
//! | [`Credential`], [`Certificate`], [`CredentialType`] | §5.3 |
//! | [`KeyPackageRef`], [`ProposalRef`] (`HashReference`) | §5.2 |
//! | framing: [`MlsMessage`], [`FramedContent`], [`PublicMessage`], [`PrivateMessage`], … | §6 |
//! | [`LeafNode`], [`ParentNode`], [`Capabilities`], [`Lifetime`] | §7.1, §7.2 |
//! | [`UpdatePath`], [`UpdatePathNode`] | §7.6 |
//! | [`KeyPackage`] | §10 |
//! | [`RequiredCapabilities`] | §11.1 |
//! | [`Proposal`] and its bodies, [`ExternalSender`], [`Commit`] | §12.1, §12.4 |
//! | [`GroupInfo`], [`Welcome`], [`GroupSecrets`], [`ExternalPub`], [`RatchetTree`] | §12.4.3 |
//!
//! These types model what is on the wire, nothing more: decoding checks the syntax (lengths,
//! minimal varints, known `select` tags, presence flags, zero padding) and leaves every semantic
//! check (signatures, tags, tree invariants, capabilities) to the group layer. Every value that
//! decodes re-encodes to the same bytes.
//!
//! Structures that are signed or MACed have a borrowed `…Tbs` view ([`LeafNodeTbs`],
//! [`KeyPackageTbs`], [`GroupInfoTbs`], [`FramedContentTbs`], [`AuthenticatedContentTbm`]) and
//! the AEAD associated data has [`SenderDataAad`] and [`PrivateContentAad`]; these borrow the
//! fields they cover, so producing them copies nothing, and only implement [`Encode`].
//!
//! Decoding errors are [`braid_codec::Error`]s; [`MessageError`] covers the few ways of
//! *building* an encoding that can fail.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod credential;
mod extension_bodies;
mod framing;
mod key_package;
mod leaf_node;
mod mls_message;
mod proposal;
mod tree;
mod welcome;

#[cfg(test)]
mod tests;

use std::fmt;

use braid_codec::{Decode, Encode, Error, Reader};
use subtle::ConstantTimeEq;

pub use credential::{Certificate, Credential, CredentialType};
pub use extension_bodies::{ExternalPub, ExternalSender, RequiredCapabilities};
pub use framing::{
    AuthenticatedContent, AuthenticatedContentTbm, Content, ContentType, FramedContent,
    FramedContentAuthData, FramedContentTbs, PrivateContentAad, PrivateMessage,
    PrivateMessageContent, PublicMessage, Sender, SenderData, SenderDataAad, SenderType,
    WireFormat,
};
pub use key_package::{KeyPackage, KeyPackageTbs};
pub use leaf_node::{Capabilities, LeafNode, LeafNodeSource, LeafNodeTbs, Lifetime};
pub use mls_message::{MlsMessage, MlsMessageBody};
pub use proposal::{
    Add, Commit, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef,
    ProposalOrRefType, ProposalType, ReInit, Remove, Update,
};
pub use tree::{Node, NodeType, ParentNode, RatchetTree, UpdatePath, UpdatePathNode};
pub use welcome::{
    EncryptedGroupSecrets, GroupInfo, GroupInfoTbs, GroupSecrets, PathSecret, Welcome,
};

/// Why an encoding to be signed or MACed cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// `LeafNodeTBS` of a leaf whose source is `update` or `commit` covers the group id and the
    /// leaf index (§7.2), and none were given.
    #[error("LeafNodeTBS of an update- or commit-source leaf needs the group id and leaf index")]
    MissingLeafNodeGroup,
    /// `FramedContentTBS` of a message from a `member` or `new_member_commit` sender covers the
    /// GroupContext (§6.1), and none was given.
    #[error("FramedContentTBS for a {0:?} sender needs the GroupContext")]
    MissingGroupContext(SenderType),
}

/// Writes bytes as lowercase hex (for `Debug` of public byte strings).
struct Hex<'a>(&'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// Defines a newtype over the bytes of an `opaque <V>` that RFC 9420 gives a name to.
macro_rules! opaque_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub Vec<u8>);

        impl $name {
            /// The bytes.
            pub fn as_slice(&self) -> &[u8] {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = [u8];
            fn deref(&self) -> &[u8] {
                &self.0
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(bytes: Vec<u8>) -> Self {
                Self(bytes)
            }
        }

        impl From<&[u8]> for $name {
            fn from(bytes: &[u8]) -> Self {
                Self(bytes.to_vec())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), Hex(&self.0))
            }
        }

        impl braid_codec::Encode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                braid_codec::Encode::encode(&self.0, out);
            }
        }

        impl braid_codec::Decode for $name {
            fn decode(reader: &mut braid_codec::Reader<'_>) -> Result<Self, braid_codec::Error> {
                braid_codec::Decode::decode(reader).map(Self)
            }
        }
    };
}
opaque_newtype!(
    /// `opaque HPKEPublicKey<V>` (§5.1.1).
    HpkePublicKey
);
opaque_newtype!(
    /// `opaque SignaturePublicKey<V>` (§5.1.2).
    SignaturePublicKey
);
opaque_newtype!(
    /// `KeyPackageRef`: `opaque HashReference<V>` naming a KeyPackage (§5.2).
    KeyPackageRef
);
opaque_newtype!(
    /// `ProposalRef`: `opaque HashReference<V>` naming the AuthenticatedContent that carried a
    /// proposal (§5.2).
    ProposalRef
);

/// `opaque MAC<V>` (§6.1): a confirmation or membership tag. Equality is constant-time.
#[derive(Clone, Default)]
pub struct Mac(pub Vec<u8>);

impl Mac {
    /// The tag bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time comparison with `other` (lengths are public).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.len() == other.len() && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl PartialEq for Mac {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(&other.0)
    }
}

impl Eq for Mac {}

impl From<Vec<u8>> for Mac {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({:?})", Hex(&self.0))
    }
}

impl Encode for Mac {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for Mac {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Vec::decode(reader).map(Self)
    }
}

/// The error for a `select` tag or enum value that the structure `what` does not allow.
fn invalid(what: &'static str, value: impl Into<u64>) -> Error {
    Error::InvalidValue {
        what,
        value: value.into(),
    }
}
