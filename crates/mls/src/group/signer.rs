//! A client's signing identity (RFC 9420 §5.1.2 signature keys, §5.3 credentials): the
//! credential it presents and the signature key pair its leaf nodes, KeyPackages, messages
//! and GroupInfos are signed with.

use std::fmt;

use braid_codec::{Decode, Encode, Error, Reader};
use braid_crypto::{CipherSuite, CryptoProvider, Secret};

use super::GroupError;
use crate::messages::{Credential, SignaturePublicKey};
use crate::suite::Suite;

/// A credential with its signature key pair.
///
/// The private key never appears in `Debug` output. It is part of the stored group state
/// (`Group::to_bytes`), so that a restored group can keep signing.
#[derive(Clone, PartialEq, Eq)]
pub struct Signer {
    credential: Credential,
    signature_key: SignaturePublicKey,
    private_key: Secret,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("credential", &self.credential)
            .field("signature_key", &self.signature_key)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A fresh key pair of `cipher_suite`'s signature scheme for `credential`.
    pub fn generate(
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        credential: Credential,
    ) -> Result<Self, GroupError> {
        let suite = Suite::new(provider, cipher_suite)?;
        let pair = suite.generate_signature_key_pair()?;
        Ok(Self {
            credential,
            signature_key: SignaturePublicKey(pair.public_key),
            private_key: pair.private_key,
        })
    }

    /// A signer from an existing private key of `cipher_suite`'s signature scheme; the public
    /// key is computed from it.
    pub fn from_private_key(
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        credential: Credential,
        private_key: Secret,
    ) -> Result<Self, GroupError> {
        let suite = Suite::new(provider, cipher_suite)?;
        let public_key =
            provider.signature_public_key(suite.descriptor().signature, private_key.as_bytes())?;
        Ok(Self {
            credential,
            signature_key: SignaturePublicKey(public_key),
            private_key,
        })
    }

    /// The credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The signature public key.
    pub fn signature_key(&self) -> &SignaturePublicKey {
        &self.signature_key
    }

    /// `SignWithLabel(private_key, label, content)`.
    pub(crate) fn sign(
        &self,
        suite: &Suite<'_>,
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>, GroupError> {
        Ok(suite.sign_with_label(self.private_key.as_bytes(), label, content)?)
    }

    /// The private key bytes.
    pub(crate) fn private_key(&self) -> &[u8] {
        self.private_key.as_bytes()
    }
}

impl Encode for Signer {
    fn encode(&self, out: &mut Vec<u8>) {
        self.credential.encode(out);
        self.signature_key.encode(out);
        self.private_key.as_bytes().encode(out);
    }
}

impl Decode for Signer {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            credential: Credential::decode(reader)?,
            signature_key: SignaturePublicKey::decode(reader)?,
            private_key: reader.opaque().map(Secret::from_slice)?,
        })
    }
}
