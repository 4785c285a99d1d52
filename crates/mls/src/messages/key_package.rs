//! KeyPackages (RFC 9420 §10): [`KeyPackage`] and the [`KeyPackageTbs`] its signature covers.

use braid_codec::{Decode, Encode, Error, Reader};
use braid_crypto::{CipherSuite, CryptoError};

use super::{HpkePublicKey, KeyPackageRef, LeafNode};
use crate::extensions::Extensions;
use crate::group_context::ProtocolVersion;
use crate::suite::Suite;

/// `KeyPackage`: a client's signed offer to be added to groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPackage {
    /// `version`.
    pub version: ProtocolVersion,
    /// `cipher_suite`.
    pub cipher_suite: CipherSuite,
    /// `init_key`: the HPKE key the Welcome is encrypted to.
    pub init_key: HpkePublicKey,
    /// `leaf_node` (with source `key_package`).
    pub leaf_node: LeafNode,
    /// `extensions`.
    pub extensions: Extensions,
    /// `signature`: `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)`.
    pub signature: Vec<u8>,
}

impl KeyPackage {
    /// The `KeyPackageTBS` that [`signature`](Self::signature) covers.
    pub fn tbs(&self) -> KeyPackageTbs<'_> {
        KeyPackageTbs(self)
    }

    /// `MakeKeyPackageRef` (§5.2): the reference naming this KeyPackage. `suite` must be the
    /// KeyPackage's own [`cipher_suite`](Self::cipher_suite).
    pub fn make_ref(&self, suite: &Suite<'_>) -> Result<KeyPackageRef, CryptoError> {
        suite
            .make_key_package_ref(&self.to_bytes())
            .map(KeyPackageRef)
    }
}

impl Encode for KeyPackage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tbs().encode(out);
        self.signature.encode(out);
    }
}

impl Decode for KeyPackage {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            version: Decode::decode(reader)?,
            cipher_suite: Decode::decode(reader)?,
            init_key: Decode::decode(reader)?,
            leaf_node: Decode::decode(reader)?,
            extensions: Decode::decode(reader)?,
            signature: Decode::decode(reader)?,
        })
    }
}

/// `KeyPackageTBS`: every field of a [`KeyPackage`] but the signature, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct KeyPackageTbs<'a>(&'a KeyPackage);

impl Encode for KeyPackageTbs<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        let kp = self.0;
        kp.version.encode(out);
        kp.cipher_suite.encode(out);
        kp.init_key.encode(out);
        kp.leaf_node.encode(out);
        kp.extensions.encode(out);
    }
}
