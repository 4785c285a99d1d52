//! Group policy (RFC 9420 §6 wire formats, §7.2 lifetimes, §9.2 / §15.3 out-of-order and
//! past-epoch messages, §15.1 padding, §8.6 resumption PSKs): the choices the RFC leaves to
//! the application, in one value that is stored with the group.

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};

use crate::secret_tree::SecretTreeConfig;

/// How this member sends its proposals and commits (§6: handshake messages SHOULD be
/// PrivateMessages, MAY be PublicMessages when the delivery service must read them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeFormat {
    /// `mls_public_message`: signed and membership-tagged, not encrypted.
    PublicMessage = 1,
    /// `mls_private_message`: encrypted under the sender's handshake ratchet.
    PrivateMessage = 2,
}
codec_enum!(HandshakeFormat: u8 { PublicMessage, PrivateMessage });

/// Which wire formats are accepted for handshake messages from members. Non-members
/// (`external`, `new_member_*` senders) always use PublicMessage, which is accepted from them
/// whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncomingHandshake {
    /// Only PublicMessage.
    PublicOnly = 1,
    /// Only PrivateMessage.
    PrivateOnly = 2,
    /// Either.
    Any = 3,
}
codec_enum!(IncomingHandshake: u8 { PublicOnly, PrivateOnly, Any });

/// The policy of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    /// The wire format of this member's proposals and commits.
    pub outgoing_handshake: HandshakeFormat,
    /// The wire formats accepted for members' proposals and commits.
    pub incoming_handshake: IncomingHandshake,
    /// Out-of-order tolerance of each epoch's secret tree: how far ahead a generation may be
    /// and how many skipped keys are kept per sender (§9.2, §15.3).
    pub secret_tree: SecretTreeConfig,
    /// How many past epochs keep their application secrets, so that late application
    /// messages of those epochs can still be read (§15.3). 0 deletes them at each commit.
    pub max_past_epochs: u16,
    /// How many epochs' `resumption_psk` (the current one included) are kept for resumption
    /// PSKs (§8.6).
    pub max_resumption_psks: u16,
    /// PrivateMessage plaintexts are padded with zeros to a multiple of this many bytes
    /// (§15.1); 0 or 1 means no padding.
    pub padding_block: u32,
    /// The maximum span `not_after - not_before` accepted for a leaf's lifetime (§7.2); `None`
    /// for no limit.
    pub max_lifetime: Option<u64>,
    /// Whether the lifetimes of leaves received in Adds, trees and Welcomes are checked
    /// against the time passed in (§7.3: RECOMMENDED). Lifetimes of leaves this member sends
    /// are always checked.
    pub check_received_lifetimes: bool,
    /// Whether Welcomes carry the tree in a `ratchet_tree` extension (§12.4.3.3); otherwise
    /// joiners need the tree out of band.
    pub ratchet_tree_in_welcome: bool,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            outgoing_handshake: HandshakeFormat::PrivateMessage,
            incoming_handshake: IncomingHandshake::Any,
            secret_tree: SecretTreeConfig::default(),
            max_past_epochs: 2,
            max_resumption_psks: 8,
            padding_block: 0,
            max_lifetime: None,
            check_received_lifetimes: true,
            ratchet_tree_in_welcome: true,
        }
    }
}

impl GroupConfig {
    /// The number of zero bytes to append to a plaintext of `len` bytes.
    pub fn padding_for(&self, len: usize) -> usize {
        match self.padding_block {
            0 | 1 => 0,
            block => {
                let block = block as usize;
                (block - len % block) % block
            }
        }
    }
}

/// The stored form of [`SecretTreeConfig`].
#[derive(Debug, Clone, Copy)]
struct StoredSecretTreeConfig {
    max_forward_distance: u32,
    max_skipped_keys: u32,
}
codec_struct!(StoredSecretTreeConfig {
    max_forward_distance,
    max_skipped_keys,
});

impl Encode for GroupConfig {
    fn encode(&self, out: &mut Vec<u8>) {
        self.outgoing_handshake.encode(out);
        self.incoming_handshake.encode(out);
        StoredSecretTreeConfig {
            max_forward_distance: self.secret_tree.max_forward_distance,
            max_skipped_keys: u32::try_from(self.secret_tree.max_skipped_keys).unwrap_or(u32::MAX),
        }
        .encode(out);
        self.max_past_epochs.encode(out);
        self.max_resumption_psks.encode(out);
        self.padding_block.encode(out);
        self.max_lifetime.encode(out);
        u8::from(self.check_received_lifetimes).encode(out);
        u8::from(self.ratchet_tree_in_welcome).encode(out);
    }
}

/// Reads a `uint8` flag that must be 0 or 1.
pub(crate) fn decode_bool(reader: &mut Reader<'_>, what: &'static str) -> Result<bool, Error> {
    match u8::decode(reader)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::InvalidValue {
            what,
            value: u64::from(other),
        }),
    }
}

impl Decode for GroupConfig {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let outgoing_handshake = HandshakeFormat::decode(reader)?;
        let incoming_handshake = IncomingHandshake::decode(reader)?;
        let tree = StoredSecretTreeConfig::decode(reader)?;
        Ok(Self {
            outgoing_handshake,
            incoming_handshake,
            secret_tree: SecretTreeConfig {
                max_forward_distance: tree.max_forward_distance,
                max_skipped_keys: tree.max_skipped_keys as usize,
            },
            max_past_epochs: u16::decode(reader)?,
            max_resumption_psks: u16::decode(reader)?,
            padding_block: u32::decode(reader)?,
            max_lifetime: Option::decode(reader)?,
            check_received_lifetimes: decode_bool(reader, "check_received_lifetimes")?,
            ratchet_tree_in_welcome: decode_bool(reader, "ratchet_tree_in_welcome")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_pads() {
        let config = GroupConfig {
            outgoing_handshake: HandshakeFormat::PublicMessage,
            max_lifetime: Some(86_400),
            padding_block: 16,
            ..GroupConfig::default()
        };
        assert_eq!(GroupConfig::from_bytes(&config.to_bytes()).unwrap(), config);
        assert_eq!(config.padding_for(0), 0);
        assert_eq!(config.padding_for(5), 11);
        assert_eq!(config.padding_for(32), 0);
        assert_eq!(GroupConfig::default().padding_for(5), 0);
        let mut bytes = config.to_bytes();
        *bytes.last_mut().unwrap() = 2;
        assert!(GroupConfig::from_bytes(&bytes).is_err());
    }
}
