//! `MLSMessage` (RFC 9420 §6): the envelope of everything MLS sends.

use braid_codec::{Decode, Encode, Error, Reader};

use super::{invalid, GroupInfo, KeyPackage, PrivateMessage, PublicMessage, Welcome, WireFormat};
use crate::group_context::ProtocolVersion;

/// `MLSMessage`: a protocol version and the message its wire format selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlsMessage {
    /// `version`. The RFC fixes it to `mls10`; decoding keeps what was sent, and the receiver
    /// checks it (and that a carried KeyPackage has the same version, §10).
    pub version: ProtocolVersion,
    /// `wire_format` and the message it selects.
    pub body: MlsMessageBody,
}

/// The `select (MLSMessage.wire_format)` of an [`MlsMessage`]. A wire format outside the five
/// of RFC 9420 is rejected on decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MlsMessageBody {
    /// `mls_public_message`.
    PublicMessage(PublicMessage),
    /// `mls_private_message`.
    PrivateMessage(PrivateMessage),
    /// `mls_welcome`.
    Welcome(Welcome),
    /// `mls_group_info`.
    GroupInfo(GroupInfo),
    /// `mls_key_package`.
    KeyPackage(KeyPackage),
}

impl MlsMessageBody {
    /// The `wire_format`.
    pub fn wire_format(&self) -> WireFormat {
        match self {
            Self::PublicMessage(_) => WireFormat::PUBLIC_MESSAGE,
            Self::PrivateMessage(_) => WireFormat::PRIVATE_MESSAGE,
            Self::Welcome(_) => WireFormat::WELCOME,
            Self::GroupInfo(_) => WireFormat::GROUP_INFO,
            Self::KeyPackage(_) => WireFormat::KEY_PACKAGE,
        }
    }
}

impl MlsMessage {
    /// An `mls10` message carrying `body`.
    pub fn new(body: MlsMessageBody) -> Self {
        Self {
            version: ProtocolVersion::MLS10,
            body,
        }
    }

    /// The `wire_format`.
    pub fn wire_format(&self) -> WireFormat {
        self.body.wire_format()
    }
}

impl Encode for MlsMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.version.encode(out);
        self.wire_format().encode(out);
        match &self.body {
            MlsMessageBody::PublicMessage(message) => message.encode(out),
            MlsMessageBody::PrivateMessage(message) => message.encode(out),
            MlsMessageBody::Welcome(welcome) => welcome.encode(out),
            MlsMessageBody::GroupInfo(group_info) => group_info.encode(out),
            MlsMessageBody::KeyPackage(key_package) => key_package.encode(out),
        }
    }
}

impl Decode for MlsMessage {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let version = ProtocolVersion::decode(reader)?;
        let body = match WireFormat::decode(reader)? {
            WireFormat::PUBLIC_MESSAGE => MlsMessageBody::PublicMessage(Decode::decode(reader)?),
            WireFormat::PRIVATE_MESSAGE => MlsMessageBody::PrivateMessage(Decode::decode(reader)?),
            WireFormat::WELCOME => MlsMessageBody::Welcome(Decode::decode(reader)?),
            WireFormat::GROUP_INFO => MlsMessageBody::GroupInfo(Decode::decode(reader)?),
            WireFormat::KEY_PACKAGE => MlsMessageBody::KeyPackage(Decode::decode(reader)?),
            WireFormat(other) => return Err(invalid("WireFormat", other)),
        };
        Ok(Self { version, body })
    }
}
