//! Joining a group (RFC 9420 §12.4.3): [`GroupInfo`] and the [`GroupInfoTbs`] its signature
//! covers, and the [`Welcome`] message with its [`GroupSecrets`] (§12.4.3.1).

use braid_codec::{codec_struct, Decode, Encode, Error, Reader};
use braid_crypto::{CipherSuite, Secret};

use super::{KeyPackageRef, Mac};
use crate::extensions::Extensions;
use crate::group_context::GroupContext;
use crate::psk::PreSharedKeyId;
use crate::suite::HpkeCiphertext;
use crate::tree_math::LeafIndex;

/// `GroupInfo`: the signed public state a joiner needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `group_context`.
    pub group_context: GroupContext,
    /// `extensions` (of the GroupInfo, not of the group).
    pub extensions: Extensions,
    /// `confirmation_tag` of the epoch.
    pub confirmation_tag: Mac,
    /// `signer`: the leaf whose signature key signed.
    pub signer: LeafIndex,
    /// `signature`: `SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)`.
    pub signature: Vec<u8>,
}

impl GroupInfo {
    /// The `GroupInfoTBS` that [`signature`](Self::signature) covers.
    pub fn tbs(&self) -> GroupInfoTbs<'_> {
        GroupInfoTbs(self)
    }
}

impl Encode for GroupInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tbs().encode(out);
        self.signature.encode(out);
    }
}

impl Decode for GroupInfo {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            group_context: Decode::decode(reader)?,
            extensions: Decode::decode(reader)?,
            confirmation_tag: Decode::decode(reader)?,
            signer: Decode::decode(reader)?,
            signature: Decode::decode(reader)?,
        })
    }
}

/// `GroupInfoTBS`: every field of a [`GroupInfo`] but the signature, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct GroupInfoTbs<'a>(&'a GroupInfo);

impl Encode for GroupInfoTbs<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        let info = self.0;
        info.group_context.encode(out);
        info.extensions.encode(out);
        info.confirmation_tag.encode(out);
        info.signer.encode(out);
    }
}

/// Encodes a secret as `opaque <V>`.
fn encode_secret(secret: &Secret, out: &mut Vec<u8>) {
    secret.as_bytes().encode(out);
}

/// Decodes an `opaque <V>` as a secret.
fn decode_secret(reader: &mut Reader<'_>) -> Result<Secret, Error> {
    reader.opaque().map(Secret::from_slice)
}

/// `PathSecret`: the path secret of the lowest node a joiner shares with the committer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSecret {
    /// `path_secret`.
    pub path_secret: Secret,
}

impl Encode for PathSecret {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_secret(&self.path_secret, out);
    }
}

impl Decode for PathSecret {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        decode_secret(reader).map(|path_secret| Self { path_secret })
    }
}

/// `GroupSecrets`: what a Welcome encrypts to each joiner.
///
/// Its encoding holds secrets: callers should keep it in a [`Secret`] (for example
/// `Secret::new(group_secrets.to_bytes())`) until it is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSecrets {
    /// `joiner_secret`.
    pub joiner_secret: Secret,
    /// `path_secret`.
    pub path_secret: Option<PathSecret>,
    /// `psks`, in the order of the Commit's PreSharedKey proposals.
    pub psks: Vec<PreSharedKeyId>,
}

impl Encode for GroupSecrets {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_secret(&self.joiner_secret, out);
        self.path_secret.encode(out);
        self.psks.encode(out);
    }
}

impl Decode for GroupSecrets {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            joiner_secret: decode_secret(reader)?,
            path_secret: Decode::decode(reader)?,
            psks: Decode::decode(reader)?,
        })
    }
}

/// `EncryptedGroupSecrets`: the GroupSecrets sealed to one joiner's KeyPackage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedGroupSecrets {
    /// `new_member`: the joiner's KeyPackageRef.
    pub new_member: KeyPackageRef,
    /// `encrypted_group_secrets`.
    pub encrypted_group_secrets: HpkeCiphertext,
}
codec_struct!(EncryptedGroupSecrets {
    new_member,
    encrypted_group_secrets,
});

/// `Welcome`: the message that adds new members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// `cipher_suite`.
    pub cipher_suite: CipherSuite,
    /// `secrets`, one per joiner.
    pub secrets: Vec<EncryptedGroupSecrets>,
    /// `encrypted_group_info`.
    pub encrypted_group_info: Vec<u8>,
}
codec_struct!(Welcome {
    cipher_suite,
    secrets,
    encrypted_group_info,
});

impl Welcome {
    /// The entry of `secrets` for the KeyPackage `new_member`, if any.
    pub fn secrets_for(&self, new_member: &KeyPackageRef) -> Option<&EncryptedGroupSecrets> {
        self.secrets.iter().find(|s| s.new_member == *new_member)
    }
}
