//! Extensions (RFC 9420 §13.4) and the extension types of the IANA registry (§17.3).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::{codec_struct, Decode, Encode, Error, Reader};

braid_codec::code_point!(
    /// `uint16 ExtensionType` (IANA "MLS Extension Types", §17.3).
    ExtensionType: u16 {
        /// `application_id` (LeafNode).
        APPLICATION_ID = 0x0001,
        /// `ratchet_tree` (GroupInfo).
        RATCHET_TREE = 0x0002,
        /// `required_capabilities` (GroupContext).
        REQUIRED_CAPABILITIES = 0x0003,
        /// `external_pub` (GroupInfo).
        EXTERNAL_PUB = 0x0004,
        /// `external_senders` (GroupContext).
        EXTERNAL_SENDERS = 0x0005,
    }
);

impl ExtensionType {
    /// Whether this is one of the RFC 9420 default extensions, which need not be listed in
    /// `Capabilities.extensions` (§7.2).
    pub fn is_default(self) -> bool {
        (0x0001..=0x0005).contains(&self.0)
    }

    /// Whether this is a GREASE value (§13.5): `0x?A?A` with equal nibbles.
    pub fn is_grease(self) -> bool {
        is_grease(self.0)
    }
}

/// Whether a 16-bit code point is one of the GREASE values of RFC 9420 §13.5
/// (`0x0A0A`, `0x1A1A`, …, `0xEAEA`).
pub fn is_grease(value: u16) -> bool {
    let [high, low] = value.to_be_bytes();
    high == low && high & 0x0f == 0x0a && high != 0xfa
}

/// `Extension`: a type and opaque data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    /// `extension_type`.
    pub extension_type: ExtensionType,
    /// `extension_data`.
    pub extension_data: Vec<u8>,
}
codec_struct!(Extension {
    extension_type,
    extension_data
});

/// `Extension extensions<V>` with the rule that no type appears twice (§13.4: "each extension
/// type MUST appear at most once"); decoding rejects duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Extensions(Vec<Extension>);

impl Extensions {
    /// An empty list.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// A list from `extensions`, or `None` if a type repeats.
    pub fn from_vec(extensions: Vec<Extension>) -> Option<Self> {
        let unique = extensions.iter().enumerate().all(|(i, e)| {
            extensions
                .iter()
                .take(i)
                .all(|other| other.extension_type != e.extension_type)
        });
        unique.then_some(Self(extensions))
    }

    /// The extensions in wire order.
    pub fn as_slice(&self) -> &[Extension] {
        &self.0
    }

    /// The data of the extension of type `extension_type`, if present.
    pub fn get(&self, extension_type: ExtensionType) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|e| e.extension_type == extension_type)
            .map(|e| e.extension_data.as_slice())
    }

    /// Inserts or replaces the extension of `extension.extension_type`.
    pub fn set(&mut self, extension: Extension) {
        match self
            .0
            .iter_mut()
            .find(|e| e.extension_type == extension.extension_type)
        {
            Some(existing) => *existing = extension,
            None => self.0.push(extension),
        }
    }

    /// Removes the extension of `extension_type`, returning its data.
    pub fn remove(&mut self, extension_type: ExtensionType) -> Option<Vec<u8>> {
        let index = self
            .0
            .iter()
            .position(|e| e.extension_type == extension_type)?;
        Some(self.0.remove(index).extension_data)
    }

    /// The extension types present, in wire order.
    pub fn types(&self) -> impl Iterator<Item = ExtensionType> + '_ {
        self.0.iter().map(|e| e.extension_type)
    }
}

impl Encode for Extensions {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for Extensions {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Self::from_vec(Vec::decode(reader)?).ok_or(Error::Malformed("duplicate extension type"))
    }
}
