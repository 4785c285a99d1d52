//! Credentials (RFC 9420 §5.3).

use braid_codec::{codec_struct, Decode, Encode, Error, Reader};

braid_codec::code_point!(
    /// `uint16 CredentialType` (§5.3; IANA "MLS Credential Types").
    CredentialType: u16 {
        /// `basic`: a bare identity.
        BASIC = 0x0001,
        /// `x509`: a chain of DER certificates.
        X509 = 0x0002,
    }
);

/// `Certificate`: one DER-encoded X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Certificate {
    /// `cert_data`.
    pub cert_data: Vec<u8>,
}
codec_struct!(Certificate { cert_data });

/// `Credential`: a credential type and its `select`ed content.
///
/// RFC 9420's `select` lists only `basic` and `x509`. Every credential type registered since
/// (the `multi` and `weak-multi` types of the MLS extensions draft included) has a body that is
/// a single variable-length vector, as both RFC 9420 types do, so a credential of any other
/// type is kept as [`Credential::Other`] holding that vector's content: it decodes and
/// re-encodes byte for byte, and whether it is acceptable is decided where credentials are
/// validated (a member must list the type in its capabilities, §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// `basic`: `opaque identity<V>`.
    Basic {
        /// The application-defined identity.
        identity: Vec<u8>,
    },
    /// `x509`: `Certificate certificates<V>`, end-entity first.
    X509 {
        /// The certificate chain.
        certificates: Vec<Certificate>,
    },
    /// Another credential type. `credential_type` must not be `basic` or `x509` (those decode
    /// to their own variants).
    Other {
        /// The credential type.
        credential_type: CredentialType,
        /// The content of the credential's body vector (without its length header).
        content: Vec<u8>,
    },
}

impl Credential {
    /// A `basic` credential.
    pub fn basic(identity: impl Into<Vec<u8>>) -> Self {
        Self::Basic {
            identity: identity.into(),
        }
    }

    /// The `credential_type`.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Self::Basic { .. } => CredentialType::BASIC,
            Self::X509 { .. } => CredentialType::X509,
            Self::Other {
                credential_type, ..
            } => *credential_type,
        }
    }
}

impl Encode for Credential {
    fn encode(&self, out: &mut Vec<u8>) {
        self.credential_type().encode(out);
        match self {
            Self::Basic { identity } => identity.encode(out),
            Self::X509 { certificates } => certificates.encode(out),
            Self::Other { content, .. } => content.encode(out),
        }
    }
}

impl Decode for Credential {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let credential_type = CredentialType::decode(reader)?;
        Ok(match credential_type {
            CredentialType::BASIC => Self::Basic {
                identity: Vec::decode(reader)?,
            },
            CredentialType::X509 => Self::X509 {
                certificates: Vec::decode(reader)?,
            },
            _ => Self::Other {
                credential_type,
                content: Vec::decode(reader)?,
            },
        })
    }
}
