//! Group creation (RFC 9420 §11): a one-member group in epoch 0 with the creator's leaf, a
//! random epoch secret, and the confirmation tag and interim transcript hash computed over
//! the empty confirmed transcript hash.

use braid_crypto::{CipherSuite, CryptoProvider};

use super::config::GroupConfig;
use super::key_package::{new_leaf_node, LeafNodeOptions};
use super::proposals::unmet_requirement;
use super::state::{decode_extension, EpochState};
use super::{Group, GroupError, Signer};
use crate::extensions::{ExtensionType, Extensions};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::key_schedule::{EpochSecrets, Rfc9420InitStep};
use crate::messages::{
    ExternalSender, HpkePublicKey, LeafNodeSource, Lifetime, Mac, RequiredCapabilities,
};
use crate::suite::Suite;
use crate::transcript;
use crate::tree::treekem::TreePrivateKeys;
use crate::tree::RatchetTree;
use crate::tree_math::LeafIndex;

/// The parameters of a new group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// The group id; a fresh random value of `KDF.Nh` bytes is RECOMMENDED (§11).
    pub group_id: Vec<u8>,
    /// The GroupContext extensions.
    pub extensions: Extensions,
    /// The creator's leaf capabilities and extensions.
    pub leaf: LeafNodeOptions,
    /// The creator's leaf lifetime.
    pub lifetime: Lifetime,
}

impl Group {
    /// Creates a group with `signer` as its only member (§11).
    ///
    /// The creator's leaf must support every non-default GroupContext extension and the
    /// group's `required_capabilities`.
    pub fn create(
        provider: &dyn CryptoProvider,
        config: GroupConfig,
        cipher_suite: CipherSuite,
        signer: Signer,
        options: CreateOptions,
    ) -> Result<Self, GroupError> {
        let suite = Suite::new(provider, cipher_suite)
            .map_err(|_| GroupError::UnsupportedCipherSuite(cipher_suite))?;
        let required: Option<RequiredCapabilities> =
            decode_extension(&options.extensions, ExtensionType::REQUIRED_CAPABILITIES)?;
        decode_extension::<Vec<ExternalSender>>(
            &options.extensions,
            ExtensionType::EXTERNAL_SENDERS,
        )?;
        let key_pair = suite.generate_kem_key_pair()?;
        let leaf_node = new_leaf_node(
            &suite,
            &signer,
            HpkePublicKey(key_pair.public_key.clone()),
            &options.leaf,
            LeafNodeSource::KeyPackage {
                lifetime: options.lifetime,
            },
            None,
        )?;
        if let Some(t) = unmet_requirement(
            &leaf_node.capabilities,
            &options.extensions,
            required.as_ref(),
        ) {
            return Err(GroupError::UnsupportedGroupExtension(t));
        }
        let mut tree = RatchetTree::new(leaf_node);
        let group_context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite,
            group_id: options.group_id,
            epoch: 0,
            tree_hash: tree.tree_hash(&suite)?,
            confirmed_transcript_hash: Vec::new(),
            extensions: options.extensions,
        };
        let epoch_secret = suite.random_secret()?;
        let secrets =
            EpochSecrets::from_epoch_secret(&suite, &Rfc9420InitStep, epoch_secret.as_bytes())?;
        let confirmation_tag = Mac(transcript::confirmation_tag(
            &suite,
            secrets.confirmation_key.as_bytes(),
            &group_context.confirmed_transcript_hash,
        )?);
        let private_keys = TreePrivateKeys::new(LeafIndex(0), key_pair)?;
        let epoch = EpochState::new(
            &suite,
            &config,
            group_context,
            tree,
            private_keys,
            secrets,
            confirmation_tag,
        )?;
        Ok(Self::from_epoch(config, signer, epoch))
    }
}
