//! GroupInfo and Welcome (RFC 9420 §12.4.3, §12.4.3.1): signing and verifying a GroupInfo,
//! building the Welcome of a Commit, and joining a group from a Welcome, with the ratchet
//! tree in its `ratchet_tree` extension or supplied out of band (§12.4.3.3).
//!
//! The decryption steps are public functions ([`decrypt_group_secrets`],
//! [`decrypt_group_info`], [`verify_group_info_signature`]) so that tools can check a Welcome
//! without joining.

use braid_codec::{Decode, Encode};
use braid_crypto::{CryptoProvider, Secret};
use rayon::prelude::*;

use super::config::GroupConfig;
use super::key_package::unsupported_extension;
use super::psk_store::PskStore;
use super::state::{decode_extension, EpochState};
use super::{Group, GroupError, KeyPackageBundle, Signer};
use crate::extensions::{ExtensionType, Extensions};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::key_schedule::{JoinerSecret, Rfc9420InitStep};
use crate::messages::{
    EncryptedGroupSecrets, GroupInfo, GroupSecrets, KeyPackage, PathSecret,
    RatchetTree as WireRatchetTree, RequiredCapabilities, Welcome,
};
use crate::psk::{psk_secret, PreSharedKeyId, Psk, ResumptionPskUsage};
use crate::suite::Suite;
use crate::transcript;
use crate::tree::treekem::{CreatedUpdatePath, TreePrivateKeys};
use crate::tree::{LeafValidationContext, RatchetTree};
use crate::tree_math::LeafIndex;

/// `SignWithLabel` label of GroupInfo (§12.4.3).
const GROUP_INFO_TBS_LABEL: &[u8] = b"GroupInfoTBS";
/// `EncryptWithLabel` label of GroupSecrets (§12.4.3.1).
const WELCOME_LABEL: &[u8] = b"Welcome";

/// Signs the GroupInfo of `epoch` as its member `signer` (§12.4.3).
pub(crate) fn sign_group_info(
    suite: &Suite<'_>,
    signer: &Signer,
    epoch: &EpochState,
    extensions: Extensions,
) -> Result<GroupInfo, GroupError> {
    let mut group_info = GroupInfo {
        group_context: epoch.group_context.clone(),
        extensions,
        confirmation_tag: epoch.confirmation_tag.clone(),
        signer: epoch.own_leaf(),
        signature: Vec::new(),
    };
    let tbs = group_info.tbs().to_bytes();
    group_info.signature = signer.sign(suite, GROUP_INFO_TBS_LABEL, &tbs)?;
    Ok(group_info)
}

/// Verifies a GroupInfo's signature with the signer's `signature_key` (§12.4.3).
pub fn verify_group_info_signature(
    suite: &Suite<'_>,
    group_info: &GroupInfo,
    signature_key: &[u8],
) -> Result<(), GroupError> {
    let tbs = group_info.tbs().to_bytes();
    suite
        .verify_with_label(
            signature_key,
            GROUP_INFO_TBS_LABEL,
            &tbs,
            &group_info.signature,
        )
        .map_err(|_| GroupError::BadGroupInfoSignature(group_info.signer))
}

/// Builds the Welcome of a Commit (§12.4.3.1): the GroupInfo encrypted under the welcome key
/// and, for each new member at its leaf with its KeyPackage, the GroupSecrets (joiner secret,
/// the path secret of its lowest common ancestor with the committer when there is a path,
/// and the PSKs) encrypted to its `init_key`. The HPKE encryptions run in parallel and share
/// one prepared `EncryptContext`: its context is the encrypted GroupInfo, hashed once rather
/// than once per new member.
pub(crate) fn build_welcome(
    suite: &Suite<'_>,
    group_info: &GroupInfo,
    joiner: &JoinerSecret,
    new_members: &[(LeafIndex, &KeyPackage)],
    path: Option<&CreatedUpdatePath>,
    psks: &[PreSharedKeyId],
) -> Result<Welcome, GroupError> {
    let key = joiner.welcome_key_and_nonce(suite)?;
    let encrypted_group_info = suite.aead_seal(
        key.key.as_bytes(),
        key.nonce.as_bytes(),
        &[],
        &group_info.to_bytes(),
    )?;
    let context = suite.prepare_encrypt_context(WELCOME_LABEL, &encrypted_group_info)?;
    let seal = |&(leaf, key_package): &(LeafIndex, &KeyPackage)| -> Result<EncryptedGroupSecrets, GroupError> {
        let group_secrets = GroupSecrets {
            joiner_secret: joiner.joiner_secret().clone(),
            path_secret: path
                .and_then(|p| p.path_secret_for(leaf))
                .map(|(_, secret)| PathSecret {
                    path_secret: secret.clone(),
                }),
            psks: psks.to_vec(),
        };
        let plaintext = Secret::new(group_secrets.to_bytes());
        Ok(EncryptedGroupSecrets {
            new_member: key_package.make_ref(suite)?,
            encrypted_group_secrets: suite.encrypt_with_label_prepared(
                &key_package.init_key,
                &context,
                plaintext.as_bytes(),
            )?,
        })
    };
    let secrets = if new_members.len() >= crate::tree::treekem::PARALLEL_MIN {
        new_members
            .par_iter()
            .map(seal)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        new_members
            .iter()
            .map(seal)
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(Welcome {
        cipher_suite: suite.cipher_suite(),
        secrets,
        encrypted_group_info,
    })
}

/// Finds the Welcome's entry for `key_package` and decrypts its GroupSecrets with the
/// private key of the KeyPackage's `init_key` (§12.4.3.1).
pub fn decrypt_group_secrets(
    suite: &Suite<'_>,
    welcome: &Welcome,
    key_package: &KeyPackage,
    init_private_key: &Secret,
) -> Result<GroupSecrets, GroupError> {
    if key_package.cipher_suite != welcome.cipher_suite {
        return Err(GroupError::CipherSuiteMismatch {
            expected: welcome.cipher_suite,
            found: key_package.cipher_suite,
        });
    }
    let reference = key_package.make_ref(suite)?;
    let entry = welcome
        .secrets_for(&reference)
        .ok_or(GroupError::NotInvited(reference))?;
    let plaintext = suite.decrypt_with_label(
        init_private_key.as_bytes(),
        &key_package.init_key,
        WELCOME_LABEL,
        &welcome.encrypted_group_info,
        &entry.encrypted_group_secrets,
    )?;
    Ok(GroupSecrets::from_bytes(plaintext.as_bytes())?)
}

/// Decrypts the Welcome's GroupInfo with the welcome key and nonce of `joiner`
/// (§12.4.3.1).
pub fn decrypt_group_info(
    suite: &Suite<'_>,
    welcome: &Welcome,
    joiner: &JoinerSecret,
) -> Result<GroupInfo, GroupError> {
    let key = joiner.welcome_key_and_nonce(suite)?;
    let plaintext = suite.aead_open(
        key.key.as_bytes(),
        key.nonce.as_bytes(),
        &[],
        &welcome.encrypted_group_info,
    )?;
    Ok(GroupInfo::from_bytes(&plaintext)?)
}

/// How to join from a Welcome.
#[derive(Debug, Clone, Copy)]
pub struct JoinOptions<'a> {
    /// The ratchet tree, when the GroupInfo has no `ratchet_tree` extension (§12.4.3.3).
    pub ratchet_tree: Option<&'a WireRatchetTree>,
    /// External PSKs and other groups' resumption PSKs the Welcome may name.
    pub psks: Option<&'a PskStore>,
    /// The group this one resumes (ReInit or branch, §11.2, §11.3): its resumption PSK is
    /// looked up there and the resumption rules are checked against it.
    pub resumed_from: Option<&'a Group>,
    /// The time (seconds since the Unix epoch) the tree's leaf lifetimes are checked against
    /// when the policy checks received lifetimes.
    pub now: u64,
}

impl<'a> JoinOptions<'a> {
    /// Options with no out-of-band tree, PSKs or resumed group, at time `now`.
    pub fn new(now: u64) -> Self {
        Self {
            ratchet_tree: None,
            psks: None,
            resumed_from: None,
            now,
        }
    }
}

/// The PSKs of a Welcome with their values, and the single `reinit`/`branch` resumption PSK
/// if there is one.
struct WelcomePsks<'a> {
    values: Vec<(&'a PreSharedKeyId, Secret)>,
    resumption: Option<(ResumptionPskUsage, &'a PreSharedKeyId)>,
}

fn resolve_welcome_psks<'a>(
    psks: &'a [PreSharedKeyId],
    options: &JoinOptions<'_>,
) -> Result<WelcomePsks<'a>, GroupError> {
    let mut resumption = None;
    let mut values = Vec::with_capacity(psks.len());
    for id in psks {
        if let Psk::Resumption(r) = &id.psk {
            if matches!(
                r.usage,
                ResumptionPskUsage::Reinit | ResumptionPskUsage::Branch
            ) {
                if resumption.is_some() {
                    return Err(GroupError::InvalidResumption(
                        "more than one reinit or branch resumption psk",
                    ));
                }
                resumption = Some((r.usage, id));
            }
        }
        let from_group = options.resumed_from.and_then(|group| match &id.psk {
            Psk::Resumption(r) if r.psk_group_id == group.group_id() => {
                group.resumption_psk(r.psk_epoch)
            }
            _ => None,
        });
        let value = from_group
            .or_else(|| options.psks.and_then(|store| store.get(&id.psk)))
            .ok_or_else(|| GroupError::MissingPsk(Box::new(id.clone())))?;
        values.push((id, value.clone()));
    }
    Ok(WelcomePsks { values, resumption })
}

impl Group {
    /// Joins a group from a Welcome addressed to `key_package` (§12.4.3.1).
    ///
    /// Decrypts the GroupSecrets and GroupInfo, checks the GroupInfo signature, the cipher
    /// suite, support for every GroupContext extension, the whole tree (tree hash, parent
    /// hashes, unmerged leaves, every leaf, §7.3), finds this client's leaf, derives the path
    /// keys from the path secret, runs the key schedule and verifies the confirmation tag.
    /// A Welcome with a `reinit` or `branch` resumption PSK is checked against
    /// `options.resumed_from` (§11.2, §11.3).
    pub fn join_from_welcome(
        provider: &dyn CryptoProvider,
        config: GroupConfig,
        welcome: &Welcome,
        key_package: &KeyPackageBundle,
        signer: Signer,
        options: JoinOptions<'_>,
    ) -> Result<Self, GroupError> {
        let kp = key_package.key_package();
        let suite = Suite::new(provider, welcome.cipher_suite)
            .map_err(|_| GroupError::UnsupportedCipherSuite(welcome.cipher_suite))?;
        if signer.signature_key() != &kp.leaf_node.signature_key {
            return Err(GroupError::OwnLeafNotFound);
        }
        let group_secrets =
            decrypt_group_secrets(&suite, welcome, kp, key_package.init_private_key())?;
        let psks = resolve_welcome_psks(&group_secrets.psks, &options)?;
        let psk_secret = psk_secret(
            &suite,
            psks.values
                .iter()
                .map(|(id, value)| (*id, value.as_bytes())),
        )?;
        let joiner = JoinerSecret::new(
            &suite,
            group_secrets.joiner_secret.clone(),
            psk_secret.as_bytes(),
        )?;
        let group_info = decrypt_group_info(&suite, welcome, &joiner)?;
        let group_context = &group_info.group_context;
        if group_context.cipher_suite != kp.cipher_suite {
            return Err(GroupError::CipherSuiteMismatch {
                expected: kp.cipher_suite,
                found: group_context.cipher_suite,
            });
        }
        if group_context.version != ProtocolVersion::MLS10 {
            return Err(GroupError::UnsupportedVersion(group_context.version));
        }
        if let Some(t) =
            unsupported_extension(&kp.leaf_node.capabilities, &group_context.extensions)
        {
            return Err(GroupError::UnsupportedGroupExtension(t));
        }
        let now = config.check_received_lifetimes.then_some(options.now);
        let mut tree = verified_tree(
            &suite,
            &group_info,
            options.ratchet_tree,
            now,
            config.max_lifetime,
        )?;
        let own = tree
            .find_leaf(&kp.leaf_node)
            .ok_or(GroupError::OwnLeafNotFound)?;
        let mut private_keys = TreePrivateKeys::from_leaf_private_key(
            &suite,
            own,
            key_package.encryption_private_key().clone(),
        )?;
        private_keys.verify(&tree)?;
        if let Some(path_secret) = &group_secrets.path_secret {
            let (own_node, signer_node) = own
                .node()
                .zip(group_info.signer.node())
                .ok_or(GroupError::OwnLeafNotFound)?;
            let ancestor = own_node.common_ancestor(signer_node);
            private_keys.add_path_secret(
                &suite,
                &tree,
                ancestor,
                path_secret.path_secret.clone(),
            )?;
        }
        let secrets = joiner.epoch_secrets(&suite, &Rfc9420InitStep, &group_context.to_bytes())?;
        let confirmed = transcript::verify_confirmation_tag(
            &suite,
            secrets.confirmation_key.as_bytes(),
            &group_context.confirmed_transcript_hash,
            group_info.confirmation_tag.as_slice(),
        )?;
        if !confirmed {
            return Err(GroupError::BadConfirmationTag);
        }
        if let Some((usage, id)) = psks.resumption {
            check_resumption(usage, id, group_context, options.resumed_from)?;
        }
        // Warm the hash caches once for the first Commit.
        tree.tree_hash(&suite)?;
        let GroupInfo {
            group_context,
            confirmation_tag,
            ..
        } = group_info;
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

/// The tree of a GroupInfo (from its `ratchet_tree` extension, or `supplied`), verified as a
/// joiner must (§12.4.3.1): the GroupInfo's signature by its signer leaf, the tree hash,
/// parent hashes, unmerged leaves and every leaf.
pub(crate) fn verified_tree(
    suite: &Suite<'_>,
    group_info: &GroupInfo,
    supplied: Option<&WireRatchetTree>,
    now: Option<u64>,
    max_lifetime: Option<u64>,
) -> Result<RatchetTree, GroupError> {
    let from_extension: Option<WireRatchetTree> =
        decode_extension(&group_info.extensions, ExtensionType::RATCHET_TREE)?;
    let wire = match (from_extension, supplied) {
        (Some(tree), _) => tree,
        (None, Some(tree)) => tree.clone(),
        (None, None) => return Err(GroupError::MissingRatchetTree),
    };
    let mut tree = RatchetTree::from_wire(wire)?;
    let signer = tree
        .leaf(group_info.signer)
        .ok_or(GroupError::BadGroupInfoSignature(group_info.signer))?;
    verify_group_info_signature(suite, group_info, &signer.signature_key)?;
    let group_context: &GroupContext = &group_info.group_context;
    let required: Option<RequiredCapabilities> = decode_extension(
        &group_context.extensions,
        ExtensionType::REQUIRED_CAPABILITIES,
    )?;
    let context = LeafValidationContext {
        group_id: &group_context.group_id,
        required_capabilities: required.as_ref(),
        now,
        max_lifetime,
    };
    tree.verify(suite, &group_context.tree_hash, &context)?;
    Ok(tree)
}

/// The checks of a Welcome that resumes a group (§11.2, §11.3, §12.4.3.1): epoch 1; for a
/// ReInit, the resumed group's ReInit proposal matches the new GroupContext; for a branch,
/// the version and cipher suite are the old group's. (That the members match is the
/// application's check.)
fn check_resumption(
    usage: ResumptionPskUsage,
    id: &PreSharedKeyId,
    group_context: &GroupContext,
    resumed_from: Option<&Group>,
) -> Result<(), GroupError> {
    if group_context.epoch != 1 {
        return Err(GroupError::InvalidResumption(
            "a resumed group must start in epoch 1",
        ));
    }
    let Psk::Resumption(psk) = &id.psk else {
        return Err(GroupError::InvalidResumption("not a resumption psk"));
    };
    let old = resumed_from
        .filter(|old| old.group_id() == psk.psk_group_id)
        .ok_or(GroupError::InvalidResumption(
            "the resumed group is needed to check it",
        ))?;
    match usage {
        ResumptionPskUsage::Reinit => {
            let reinit = old.pending_reinit().ok_or(GroupError::InvalidResumption(
                "the old group's last commit has no reinit",
            ))?;
            let matches = reinit.group_id == group_context.group_id
                && reinit.version == group_context.version
                && reinit.cipher_suite == group_context.cipher_suite
                && reinit.extensions == group_context.extensions
                && psk.psk_epoch == old.epoch();
            if !matches {
                return Err(GroupError::InvalidResumption(
                    "the new group does not match the reinit proposal",
                ));
            }
        }
        _ => {
            let old_context = old.group_context();
            if old_context.version != group_context.version
                || old_context.cipher_suite != group_context.cipher_suite
            {
                return Err(GroupError::InvalidResumption(
                    "a branch keeps the version and cipher suite",
                ));
            }
        }
    }
    Ok(())
}
