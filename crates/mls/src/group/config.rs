//! Group policy (RFC 9420 §6 wire formats, §7.2 lifetimes, §9.2 / §15.3 out-of-order and
//! past-epoch messages, §15.1 padding, §8.6 resumption PSKs): the choices the RFC leaves to
//! the application, in one value that is stored with the group.

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};

use super::GroupError;
use crate::messages::MlsMessage;
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
    /// (§15.1); 0 or 1 means no padding. Padding never takes a plaintext beyond
    /// [`max_message_size`](Self::max_message_size) (a message the members would refuse).
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
    /// The largest encoded `MLSMessage` accepted, checked before decoding by
    /// [`GroupConfig::decode_message`] and [`Group::process_message_bytes`]. Decoding and
    /// processing cost at most linear time and memory in the message's size, so this bounds
    /// both.
    ///
    /// [`Group::process_message_bytes`]: super::Group::process_message_bytes
    pub max_message_size: u32,
    /// The most proposals stored for the next Commit (received and sent, §12.1); further
    /// proposal messages are rejected until a Commit clears the store.
    pub max_pending_proposals: u16,
}

/// [`GroupConfig::max_message_size`] by default: 16 MiB, room for a Commit adding thousands
/// of members by value.
pub const DEFAULT_MAX_MESSAGE_SIZE: u32 = 16 << 20;

/// [`GroupConfig::max_pending_proposals`] by default.
pub const DEFAULT_MAX_PENDING_PROPOSALS: u16 = 1024;

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
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_pending_proposals: DEFAULT_MAX_PENDING_PROPOSALS,
        }
    }
}

impl GroupConfig {
    /// The number of zero bytes to append to a plaintext of `len` bytes: up to the next
    /// multiple of [`padding_block`](Self::padding_block), but never past
    /// [`max_message_size`](Self::max_message_size), so that a block size from a corrupted
    /// store or a careless caller cannot make one message allocate more than that.
    pub fn padding_for(&self, len: usize) -> usize {
        match self.padding_block {
            0 | 1 => 0,
            block => {
                let block = block as usize;
                let room = (self.max_message_size as usize).saturating_sub(len);
                ((block - len % block) % block).min(room)
            }
        }
    }

    /// Decodes an `MLSMessage` from untrusted bytes, refusing more than
    /// [`max_message_size`](Self::max_message_size) bytes before reading any of them.
    pub fn decode_message(&self, bytes: &[u8]) -> Result<MlsMessage, GroupError> {
        let max = self.max_message_size;
        if u32::try_from(bytes.len()).map_or(true, |size| size > max) {
            return Err(GroupError::MessageTooLarge {
                size: bytes.len(),
                max,
            });
        }
        Ok(MlsMessage::from_bytes(bytes)?)
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
        self.max_message_size.encode(out);
        self.max_pending_proposals.encode(out);
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

/// Decodes the configuration as the last value of its reader: the resource limits, added
/// after the first release of the state format, take their defaults when a stored state ends
/// before them.
impl Decode for GroupConfig {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let outgoing_handshake = HandshakeFormat::decode(reader)?;
        let incoming_handshake = IncomingHandshake::decode(reader)?;
        let tree = StoredSecretTreeConfig::decode(reader)?;
        let mut config = Self {
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
            ..Self::default()
        };
        if !reader.is_empty() {
            config.max_message_size = u32::decode(reader)?;
            config.max_pending_proposals = u16::decode(reader)?;
        }
        Ok(config)
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
        // A huge block (e.g. from a corrupted store) pads only up to the message size limit
        // (found by fuzzing: 1.3 GB of padding for one message).
        let huge = GroupConfig {
            padding_block: 1_342_177_280,
            max_message_size: 1000,
            ..config
        };
        assert_eq!(huge.padding_for(100), 900);
        assert_eq!(huge.padding_for(1200), 0);
        let mut bytes = config.to_bytes();
        let flag = bytes.len() - 7;
        bytes[flag] = 2;
        assert!(GroupConfig::from_bytes(&bytes).is_err());
    }

    #[test]
    fn limits_round_trip_and_default_when_absent() {
        let config = GroupConfig {
            max_message_size: 1000,
            max_pending_proposals: 3,
            ..GroupConfig::default()
        };
        let bytes = config.to_bytes();
        assert_eq!(GroupConfig::from_bytes(&bytes).unwrap(), config);
        // A state written before the limits existed ends after `ratchet_tree_in_welcome`.
        let old = GroupConfig::from_bytes(&bytes[..bytes.len() - 6]).unwrap();
        assert_eq!(old.max_message_size, DEFAULT_MAX_MESSAGE_SIZE);
        assert_eq!(old.max_pending_proposals, DEFAULT_MAX_PENDING_PROPOSALS);
        // Half a limit is an error.
        assert!(GroupConfig::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn oversized_messages_are_refused_before_decoding() {
        let config = GroupConfig {
            max_message_size: 8,
            ..GroupConfig::default()
        };
        assert_eq!(
            config.decode_message(&[0xff; 9]).unwrap_err(),
            GroupError::MessageTooLarge { size: 9, max: 8 }
        );
        // At the limit the bytes are decoded (and these are not a message).
        assert!(matches!(
            config.decode_message(&[0xff; 8]).unwrap_err(),
            GroupError::Codec(_)
        ));
    }
}
