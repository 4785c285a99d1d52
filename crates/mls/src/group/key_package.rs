//! KeyPackages (RFC 9420 §10): creating them ([`KeyPackageBundle`], with the private keys the
//! Welcome will need) and validating them (§10.1).
//!
//! A KeyPackage received from the network is the wire struct [`KeyPackage`]; the only way to
//! a [`ValidatedKeyPackage`], which the group API takes for Adds, is
//! [`ValidatedKeyPackage::validate`]. Proposals received from other members carry wire
//! KeyPackages and are validated against the group when committed (§12.2).

use braid_codec::{Decode, Encode, Error, Reader};
use braid_crypto::{CipherSuite, CryptoProvider, Secret};

use super::{GroupError, KeyPackageError, Signer};
use crate::extensions::{ExtensionType, Extensions};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::messages::{
    Capabilities, CredentialType, HpkePublicKey, KeyPackage, KeyPackageRef, LeafNode,
    LeafNodeSource, Lifetime,
};
use crate::suite::Suite;
use crate::tree::{
    verify_leaf_signature, LeafNodeError, LeafNodeUsage, LeafValidationContext, RatchetTree,
};
use crate::tree_math::LeafIndex;

/// `SignWithLabel` label of leaf nodes (§7.2).
pub(crate) const LEAF_NODE_TBS_LABEL: &[u8] = b"LeafNodeTBS";
/// `SignWithLabel` label of KeyPackages (§10).
const KEY_PACKAGE_TBS_LABEL: &[u8] = b"KeyPackageTBS";

/// The default lifetime span of a new KeyPackage: 90 days.
pub const DEFAULT_LIFETIME_SECONDS: u64 = 90 * 24 * 3600;

/// The capabilities a braid client advertises by default for `cipher_suite` and a
/// credential of `credential_type`: `mls10`, that suite, no non-default extensions or
/// proposals, and the `basic` and `x509` credential types (plus `credential_type`).
pub fn default_capabilities(
    cipher_suite: CipherSuite,
    credential_type: CredentialType,
) -> Capabilities {
    let mut credentials = vec![CredentialType::BASIC, CredentialType::X509];
    if !credentials.contains(&credential_type) {
        credentials.push(credential_type);
    }
    Capabilities {
        versions: vec![ProtocolVersion::MLS10],
        cipher_suites: vec![cipher_suite],
        extensions: Vec::new(),
        proposals: Vec::new(),
        credentials,
    }
}

/// A lifetime from `now` (minus an hour of clock skew) for [`DEFAULT_LIFETIME_SECONDS`].
pub fn default_lifetime(now: u64) -> Lifetime {
    Lifetime {
        not_before: now.saturating_sub(3600),
        not_after: now.saturating_add(DEFAULT_LIFETIME_SECONDS),
    }
}

/// What a new leaf node advertises besides its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeafNodeOptions {
    /// `capabilities`; `None` for [`default_capabilities`].
    pub capabilities: Option<Capabilities>,
    /// `extensions` of the leaf.
    pub extensions: Extensions,
}

/// The options of a new KeyPackage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPackageOptions {
    /// The leaf's `lifetime`.
    pub lifetime: Lifetime,
    /// The leaf's capabilities and extensions.
    pub leaf: LeafNodeOptions,
    /// `KeyPackage.extensions`.
    pub extensions: Extensions,
}

impl KeyPackageOptions {
    /// Defaults valid from `now` ([`default_lifetime`], default capabilities, no extensions).
    pub fn new(now: u64) -> Self {
        Self {
            lifetime: default_lifetime(now),
            leaf: LeafNodeOptions::default(),
            extensions: Extensions::new(),
        }
    }
}

/// An unsigned leaf node for `signer` with `options` (its `signature` is empty).
pub(crate) fn leaf_template(
    suite: &Suite<'_>,
    signer: &Signer,
    encryption_key: HpkePublicKey,
    options: &LeafNodeOptions,
    leaf_node_source: LeafNodeSource,
) -> LeafNode {
    let capabilities = options.capabilities.clone().unwrap_or_else(|| {
        default_capabilities(suite.cipher_suite(), signer.credential().credential_type())
    });
    LeafNode {
        encryption_key,
        signature_key: signer.signature_key().clone(),
        credential: signer.credential().clone(),
        capabilities: capabilities.into(),
        leaf_node_source,
        extensions: options.extensions.clone(),
        signature: Vec::new(),
    }
}

/// Builds and signs a leaf node for `signer` (§7.2). `group` is the group id and leaf index
/// that `update` and `commit` leaves sign over.
pub(crate) fn new_leaf_node(
    suite: &Suite<'_>,
    signer: &Signer,
    encryption_key: HpkePublicKey,
    options: &LeafNodeOptions,
    leaf_node_source: LeafNodeSource,
    group: Option<(&[u8], LeafIndex)>,
) -> Result<LeafNode, GroupError> {
    let mut leaf_node = leaf_template(suite, signer, encryption_key, options, leaf_node_source);
    let tbs = leaf_node.tbs(group)?.to_bytes();
    leaf_node.signature = signer.sign(suite, LEAF_NODE_TBS_LABEL, &tbs)?;
    Ok(leaf_node)
}

/// A KeyPackage together with the private keys of its `init_key` and of its leaf's
/// `encryption_key`: what a client keeps until it is welcomed into a group.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPackageBundle {
    key_package: KeyPackage,
    init_private_key: Secret,
    encryption_private_key: Secret,
}

impl std::fmt::Debug for KeyPackageBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPackageBundle")
            .field("key_package", &self.key_package)
            .finish_non_exhaustive()
    }
}

impl KeyPackageBundle {
    /// Creates a KeyPackage of `cipher_suite` for `signer` with fresh init and encryption
    /// keys (§10).
    pub fn create(
        provider: &dyn CryptoProvider,
        cipher_suite: CipherSuite,
        signer: &Signer,
        options: &KeyPackageOptions,
    ) -> Result<Self, GroupError> {
        let suite = Suite::new(provider, cipher_suite)?;
        let init = suite.generate_kem_key_pair()?;
        let encryption = suite.generate_kem_key_pair()?;
        let leaf_node = new_leaf_node(
            &suite,
            signer,
            HpkePublicKey(encryption.public_key),
            &options.leaf,
            LeafNodeSource::KeyPackage {
                lifetime: options.lifetime,
            },
            None,
        )?;
        let mut key_package = KeyPackage {
            version: ProtocolVersion::MLS10,
            cipher_suite,
            init_key: HpkePublicKey(init.public_key),
            leaf_node,
            extensions: options.extensions.clone(),
            signature: Vec::new(),
        };
        let tbs = key_package.tbs().to_bytes();
        key_package.signature = signer.sign(&suite, KEY_PACKAGE_TBS_LABEL, &tbs)?;
        Ok(Self {
            key_package,
            init_private_key: init.private_key,
            encryption_private_key: encryption.private_key,
        })
    }

    /// A bundle from a KeyPackage and the private keys of its `init_key` and its leaf's
    /// `encryption_key` (whose consistency is checked when joining).
    pub fn from_parts(
        key_package: KeyPackage,
        init_private_key: Secret,
        encryption_private_key: Secret,
    ) -> Self {
        Self {
            key_package,
            init_private_key,
            encryption_private_key,
        }
    }

    /// The KeyPackage.
    pub fn key_package(&self) -> &KeyPackage {
        &self.key_package
    }

    /// The private key of `init_key`.
    pub fn init_private_key(&self) -> &Secret {
        &self.init_private_key
    }

    /// The private key of the leaf's `encryption_key`.
    pub fn encryption_private_key(&self) -> &Secret {
        &self.encryption_private_key
    }
}

impl Encode for KeyPackageBundle {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key_package.encode(out);
        self.init_private_key.as_bytes().encode(out);
        self.encryption_private_key.as_bytes().encode(out);
    }
}

impl Decode for KeyPackageBundle {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            key_package: KeyPackage::decode(reader)?,
            init_private_key: reader.opaque().map(Secret::from_slice)?,
            encryption_private_key: reader.opaque().map(Secret::from_slice)?,
        })
    }
}

/// A KeyPackage that passed [`ValidatedKeyPackage::validate`], with its `KeyPackageRef`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedKeyPackage {
    key_package: KeyPackage,
    reference: KeyPackageRef,
}

impl ValidatedKeyPackage {
    /// Validates a KeyPackage on its own, as a client does before using it to add someone
    /// (§10.1, §7.3): version `mls10`, a supported cipher suite, a `key_package` leaf whose
    /// lifetime contains `now` and spans at most `max_lifetime`, whose credential type and
    /// non-default extensions are listed in its capabilities and whose signature verifies,
    /// a valid KeyPackage signature, and an `init_key` other than the leaf's
    /// `encryption_key`. What depends on the group (cipher suite, required capabilities, key
    /// uniqueness) is checked again when the Add is committed.
    pub fn validate(
        provider: &dyn CryptoProvider,
        key_package: KeyPackage,
        now: u64,
        max_lifetime: Option<u64>,
    ) -> Result<Self, GroupError> {
        if key_package.version != ProtocolVersion::MLS10 {
            return Err(KeyPackageError::WrongVersion(key_package.version).into());
        }
        let suite = Suite::new(provider, key_package.cipher_suite)
            .map_err(|_| GroupError::UnsupportedCipherSuite(key_package.cipher_suite))?;
        let leaf = &key_package.leaf_node;
        let invalid_leaf = |e| GroupError::from(KeyPackageError::InvalidLeafNode(e));
        let LeafNodeSource::KeyPackage { lifetime } = &leaf.leaf_node_source else {
            return Err(invalid_leaf(LeafNodeError::WrongSource {
                expected: "key_package",
                found: match leaf.leaf_node_source {
                    LeafNodeSource::Update => "update",
                    _ => "commit",
                },
            }));
        };
        check_lifetime(lifetime, Some(now), max_lifetime).map_err(invalid_leaf)?;
        let capabilities = &leaf.capabilities;
        let credential_type = leaf.credential.credential_type();
        if !capabilities.credentials.contains(&credential_type) {
            return Err(invalid_leaf(
                LeafNodeError::CredentialTypeNotInCapabilities(credential_type),
            ));
        }
        if let Some(t) = leaf
            .extensions
            .types()
            .find(|t| !t.is_default() && !capabilities.extensions.contains(t))
        {
            return Err(invalid_leaf(LeafNodeError::ExtensionNotInCapabilities(t)));
        }
        let tbs = leaf.tbs(None)?.to_bytes();
        suite
            .verify_with_label(
                &leaf.signature_key,
                LEAF_NODE_TBS_LABEL,
                &tbs,
                &leaf.signature,
            )
            .map_err(|_| invalid_leaf(LeafNodeError::BadSignature))?;
        verify_key_package(&suite, &key_package)?;
        let reference = key_package.make_ref(&suite)?;
        Ok(Self {
            key_package,
            reference,
        })
    }

    /// The KeyPackage.
    pub fn key_package(&self) -> &KeyPackage {
        &self.key_package
    }

    /// Its `KeyPackageRef` (§5.2).
    pub fn reference(&self) -> &KeyPackageRef {
        &self.reference
    }

    /// The KeyPackage, by value.
    pub fn into_key_package(self) -> KeyPackage {
        self.key_package
    }
}

/// Checks `lifetime` against `now` (when given) and `max_lifetime` (§7.2, §7.3).
fn check_lifetime(
    lifetime: &Lifetime,
    now: Option<u64>,
    max_lifetime: Option<u64>,
) -> Result<(), LeafNodeError> {
    let span = lifetime.not_after.saturating_sub(lifetime.not_before);
    if let Some(max) = max_lifetime.filter(|&max| span > max) {
        return Err(LeafNodeError::LifetimeTooLong {
            lifetime: span,
            max,
        });
    }
    match now {
        Some(now) if now < lifetime.not_before || now > lifetime.not_after => {
            Err(LeafNodeError::Expired {
                not_before: lifetime.not_before,
                not_after: lifetime.not_after,
                now,
            })
        }
        _ => Ok(()),
    }
}

/// The checks of §10.1 on the KeyPackage itself rather than its leaf: the signature over
/// `KeyPackageTBS` with the leaf's signature key, and `init_key != encryption_key`.
fn verify_key_package(suite: &Suite<'_>, key_package: &KeyPackage) -> Result<(), KeyPackageError> {
    if key_package.init_key == key_package.leaf_node.encryption_key {
        return Err(KeyPackageError::InitKeyReused);
    }
    let tbs = key_package.tbs().to_bytes();
    suite
        .verify_with_label(
            &key_package.leaf_node.signature_key,
            KEY_PACKAGE_TBS_LABEL,
            &tbs,
            &key_package.signature,
        )
        .map_err(|_| KeyPackageError::BadSignature)
}

/// Checks the KeyPackage of an Add against the group (§10.1, §12.1.1), all but its two
/// signatures (see [`verify_key_package_signatures`]): the group's version and cipher suite,
/// the leaf as a KeyPackage leaf of this tree (§7.3, with the group's required capabilities
/// in `context`), support for every non-default GroupContext extension (§13.4), and an
/// `init_key` different from the leaf's encryption key.
pub(crate) fn check_in_group(
    tree: &RatchetTree,
    group_context: &GroupContext,
    extensions: &Extensions,
    key_package: &KeyPackage,
    context: &LeafValidationContext<'_>,
) -> Result<(), KeyPackageError> {
    if key_package.version != group_context.version {
        return Err(KeyPackageError::WrongVersion(key_package.version));
    }
    if key_package.cipher_suite != group_context.cipher_suite {
        return Err(KeyPackageError::WrongCipherSuite(key_package.cipher_suite));
    }
    let leaf = &key_package.leaf_node;
    if let Some(t) = unsupported_extension(&leaf.capabilities, extensions) {
        return Err(KeyPackageError::UnsupportedGroupExtension(t));
    }
    tree.check_leaf_node(leaf, LeafNodeUsage::KeyPackage, context)
        .map_err(KeyPackageError::InvalidLeafNode)?;
    if key_package.init_key == leaf.encryption_key {
        return Err(KeyPackageError::InitKeyReused);
    }
    Ok(())
}

/// The two signatures of a KeyPackage (§10.1): its leaf's, then its own. They depend on
/// nothing in the group, so a Commit verifies those of all its Adds in parallel.
pub(crate) fn verify_key_package_signatures(
    suite: &Suite<'_>,
    key_package: &KeyPackage,
) -> Result<(), KeyPackageError> {
    verify_leaf_signature(suite, &key_package.leaf_node, None)
        .map_err(KeyPackageError::InvalidLeafNode)?;
    verify_key_package(suite, key_package)
}

/// The first non-default extension of `extensions` not listed in `capabilities`.
pub(crate) fn unsupported_extension(
    capabilities: &Capabilities,
    extensions: &Extensions,
) -> Option<ExtensionType> {
    extensions
        .types()
        .find(|t| !t.is_default() && !capabilities.extensions.contains(t))
}
