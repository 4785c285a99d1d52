//! Bodies of the RFC 9420 extensions that are structures: [`RequiredCapabilities`] (§11.1),
//! [`ExternalSender`] (§12.1.8.1) and [`ExternalPub`] (§12.4.3.2). (The `ratchet_tree` body is
//! [`RatchetTree`](super::RatchetTree); `application_id` is opaque.)

use braid_codec::codec_struct;

use super::{Credential, CredentialType, HpkePublicKey, ProposalType, SignaturePublicKey};
use crate::extensions::ExtensionType;

/// `RequiredCapabilities`: the body of `required_capabilities`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequiredCapabilities {
    /// `extension_types`.
    pub extension_types: Vec<ExtensionType>,
    /// `proposal_types`.
    pub proposal_types: Vec<ProposalType>,
    /// `credential_types`.
    pub credential_types: Vec<CredentialType>,
}
codec_struct!(RequiredCapabilities {
    extension_types,
    proposal_types,
    credential_types,
});

/// `ExternalSender`: one entry of the `external_senders` extension, whose body is
/// `ExternalSender external_senders<V>` (a `Vec<ExternalSender>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSender {
    /// `signature_key`.
    pub signature_key: SignaturePublicKey,
    /// `credential`.
    pub credential: Credential,
}
codec_struct!(ExternalSender {
    signature_key,
    credential,
});

/// `ExternalPub`: the body of `external_pub`, the key external joiners encapsulate to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalPub {
    /// `external_pub`.
    pub external_pub: HpkePublicKey,
}
codec_struct!(ExternalPub { external_pub });
