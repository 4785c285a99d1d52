//! The group context (RFC 9420 §8.1) and the protocol version (§6, §17.1).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::codec_struct;
use braid_crypto::CipherSuite;

use crate::extensions::Extensions;

braid_codec::code_point!(
    /// `uint16 ProtocolVersion`. Values other than [`ProtocolVersion::MLS10`] stay decodable, so
    /// that `Capabilities.versions` can list versions braid does not speak.
    ProtocolVersion: u16 {
        /// `mls10(1)`.
        MLS10 = 1,
    }
);

impl Default for ProtocolVersion {
    fn default() -> Self {
        Self::MLS10
    }
}

/// `GroupContext` (§8.1): the summary of a group's state that every member agrees on in an
/// epoch, and the context of the key schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupContext {
    /// `ProtocolVersion version = mls10`.
    pub version: ProtocolVersion,
    /// `CipherSuite cipher_suite`.
    pub cipher_suite: CipherSuite,
    /// `opaque group_id<V>`.
    pub group_id: Vec<u8>,
    /// `uint64 epoch`.
    pub epoch: u64,
    /// `opaque tree_hash<V>`.
    pub tree_hash: Vec<u8>,
    /// `opaque confirmed_transcript_hash<V>`.
    pub confirmed_transcript_hash: Vec<u8>,
    /// `Extension extensions<V>`.
    pub extensions: Extensions,
}
codec_struct!(GroupContext {
    version,
    cipher_suite,
    group_id,
    epoch,
    tree_hash,
    confirmed_transcript_hash,
    extensions,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::{Extension, ExtensionType};
    use braid_codec::{Decode, Encode};

    fn context() -> GroupContext {
        GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
            group_id: b"group".to_vec(),
            epoch: 0x0102,
            tree_hash: vec![0xaa; 2],
            confirmed_transcript_hash: vec![],
            extensions: Extensions::from_vec(vec![Extension {
                extension_type: ExtensionType::EXTERNAL_SENDERS,
                extension_data: vec![9],
            }])
            .unwrap(),
        }
    }

    #[test]
    fn encoding_is_the_fields_in_order() {
        let bytes = context().to_bytes();
        let expected: Vec<u8> = [
            &[0, 1, 0, 1][..],
            &[5],
            b"group",
            &[0, 0, 0, 0, 0, 0, 1, 2],
            &[2, 0xaa, 0xaa],
            &[0],
            &[4, 0, 5, 1, 9],
        ]
        .concat();
        assert_eq!(bytes, expected);
        assert_eq!(GroupContext::from_bytes(&bytes).unwrap(), context());
    }

    #[test]
    fn unknown_versions_decode_and_truncation_fails() {
        let mut bytes = context().to_bytes();
        bytes[1] = 7;
        assert_eq!(
            GroupContext::from_bytes(&bytes).unwrap().version,
            ProtocolVersion(7)
        );
        assert!(GroupContext::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
