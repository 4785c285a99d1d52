//! Leaf node validation (RFC 9420 §7.3) and the validation of a whole tree received by a
//! joiner (§12.4.3.1).
//!
//! Credential validation with the Authentication Service (§5.3.1) is the application's: it
//! is not part of these checks.

use braid_codec::Encode;
use braid_crypto::CryptoError;
use rayon::prelude::*;

use super::{
    leaf_node_index, leaf_range, LeafNodeError, RatchetTree, TreeError, UnmergedLeafProblem,
};
use crate::messages::{LeafNode, LeafNodeSource, Lifetime, RequiredCapabilities};
use crate::suite::Suite;
use crate::tree_math::{LeafIndex, NodeIndex};

/// The signature label of leaf nodes (§7.2).
const LEAF_NODE_TBS: &[u8] = b"LeafNodeTBS";

/// Where a LeafNode being validated comes from (§7.3, "Verify the `leaf_node_source`").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafNodeUsage {
    /// The leaf of a KeyPackage (an Add): source `key_package`, signed without group context.
    KeyPackage,
    /// The leaf of an Update proposal from the member at this leaf: source `update`, a new
    /// `encryption_key`, signed over the group id and this leaf index.
    Update(LeafIndex),
    /// The leaf of a Commit's UpdatePath from the member at this leaf (for an external
    /// joiner, the blank leaf it will take): source `commit`, a new `encryption_key`, signed
    /// over the group id and this leaf index.
    Commit(LeafIndex),
}

/// The group parameters a LeafNode is validated against.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeafValidationContext<'a> {
    /// The group id, covered by the signature of `update` and `commit` leaves.
    pub group_id: &'a [u8],
    /// The group's `required_capabilities`, if the GroupContext has one.
    pub required_capabilities: Option<&'a RequiredCapabilities>,
    /// The current time in seconds since the Unix epoch, to check `lifetime` of
    /// `key_package` leaves against; `None` skips the check (it is only RECOMMENDED for
    /// received leaves, §7.3).
    pub now: Option<u64>,
    /// The application's maximum `lifetime` span in seconds (§7.2); `None` for no limit.
    pub max_lifetime: Option<u64>,
}

fn source_name(source: &LeafNodeSource) -> &'static str {
    match source {
        LeafNodeSource::KeyPackage { .. } => "key_package",
        LeafNodeSource::Update => "update",
        LeafNodeSource::Commit { .. } => "commit",
    }
}

impl RatchetTree {
    /// Validates a LeafNode arriving in a KeyPackage, an Update or a Commit against this tree
    /// and the group (§7.3): its source, its lifetime (when `context.now` is given), its
    /// capabilities (its own credential type and extensions listed; the group's required
    /// capabilities; its credential type supported by every other member and every credential
    /// type in use supported by it), the uniqueness of its encryption and signature keys (an
    /// Update or Commit must also change the encryption key), and finally its signature.
    ///
    /// All checks but the signature are O(1) in the group size.
    pub fn validate_leaf_node(
        &self,
        suite: &Suite<'_>,
        leaf_node: &LeafNode,
        usage: LeafNodeUsage,
        context: &LeafValidationContext<'_>,
    ) -> Result<(), LeafNodeError> {
        let position = self.check_leaf_node(leaf_node, usage, context)?;
        verify_leaf_signature(
            suite,
            leaf_node,
            position.map(|leaf| (context.group_id, leaf)),
        )
    }

    /// Every check of [`RatchetTree::validate_leaf_node`] but the signature, which the caller
    /// verifies with [`verify_leaf_signature`] (so that many can run in parallel). Returns the
    /// leaf position the signature covers (`None` for a KeyPackage leaf).
    pub(crate) fn check_leaf_node(
        &self,
        leaf_node: &LeafNode,
        usage: LeafNodeUsage,
        context: &LeafValidationContext<'_>,
    ) -> Result<Option<LeafIndex>, LeafNodeError> {
        let (expected, position) = match usage {
            LeafNodeUsage::KeyPackage => ("key_package", None),
            LeafNodeUsage::Update(leaf) => ("update", Some(leaf)),
            LeafNodeUsage::Commit(leaf) => ("commit", Some(leaf)),
        };
        let found = source_name(&leaf_node.leaf_node_source);
        if found != expected {
            return Err(LeafNodeError::WrongSource { expected, found });
        }
        // The member being replaced, whose own keys and capabilities do not count.
        let replaced = position.filter(|&leaf| self.leaf(leaf).is_some());
        self.check_leaf_contents(leaf_node, replaced, context)?;
        if let Some(node) = self.find_encryption_key(&leaf_node.encryption_key) {
            return Err(if replaced.map(leaf_node_index) == Some(node) {
                LeafNodeError::EncryptionKeyNotChanged
            } else {
                LeafNodeError::DuplicateEncryptionKey(node)
            });
        }
        if let Some(leaf) = self.find_signature_key(&leaf_node.signature_key) {
            if Some(leaf) != replaced {
                return Err(LeafNodeError::DuplicateSignatureKey(leaf));
            }
        }
        Ok(position)
    }

    /// The checks of §7.3 that need neither the signature nor the key index: lifetime,
    /// capabilities against the leaf itself, the group and the other members. `replaced` is
    /// the member whose leaf this one replaces (or is, in a tree being validated).
    fn check_leaf_contents(
        &self,
        leaf_node: &LeafNode,
        replaced: Option<LeafIndex>,
        context: &LeafValidationContext<'_>,
    ) -> Result<(), LeafNodeError> {
        if let LeafNodeSource::KeyPackage { lifetime } = &leaf_node.leaf_node_source {
            check_lifetime(lifetime, context)?;
        }
        let capabilities = &leaf_node.capabilities;
        let credential_type = leaf_node.credential.credential_type();
        if !capabilities.credentials.contains(&credential_type) {
            return Err(LeafNodeError::CredentialTypeNotInCapabilities(
                credential_type,
            ));
        }
        if let Some(extension) = leaf_node
            .extensions
            .types()
            .find(|t| !t.is_default() && !capabilities.extensions.contains(t))
        {
            return Err(LeafNodeError::ExtensionNotInCapabilities(extension));
        }
        if let Some(required) = context.required_capabilities {
            if let Some(&t) = required
                .extension_types
                .iter()
                .find(|t| !t.is_default() && !capabilities.extensions.contains(t))
            {
                return Err(LeafNodeError::MissingRequiredExtension(t));
            }
            if let Some(&t) = required
                .proposal_types
                .iter()
                .find(|t| !t.is_default() && !capabilities.proposals.contains(t))
            {
                return Err(LeafNodeError::MissingRequiredProposal(t));
            }
            if let Some(&t) = required
                .credential_types
                .iter()
                .find(|t| !capabilities.credentials.contains(t))
            {
                return Err(LeafNodeError::MissingRequiredCredential(t));
            }
        }
        // The other members: everyone but the replaced leaf, counted through the index.
        let replaced_node = replaced.and_then(|leaf| self.leaf(leaf));
        let others = self
            .member_count()
            .saturating_sub(u32::from(replaced_node.is_some()));
        let replaced_supports = replaced_node
            .is_some_and(|old| old.capabilities.credentials.contains(&credential_type));
        let supporting = self
            .index
            .members_supporting(credential_type)
            .saturating_sub(u32::from(replaced_supports));
        if supporting < others {
            return Err(LeafNodeError::CredentialTypeUnsupportedByMembers(
                credential_type,
            ));
        }
        let unsupported = self
            .index
            .credentials_in_use()
            .filter(|&(t, count)| {
                let replaced_uses =
                    replaced_node.is_some_and(|old| old.credential.credential_type() == t);
                count > u32::from(replaced_uses) && !capabilities.credentials.contains(&t)
            })
            .map(|(t, _)| t)
            .min();
        match unsupported {
            Some(t) => Err(LeafNodeError::MemberCredentialTypeUnsupported(t)),
            None => Ok(()),
        }
    }

    /// Validates a tree received by a joiner (§12.4.3.1), cheapest checks first:
    ///
    /// 1. the `unmerged_leaves` of every parent node ([`RatchetTree::verify_unmerged_leaves`]);
    /// 2. the root tree hash against `tree_hash` (from the GroupInfo);
    /// 3. every non-blank parent node is parent-hash valid
    ///    ([`RatchetTree::verify_parent_hashes`]);
    /// 4. every leaf is valid (§7.3: signature over the group id and its index, lifetime when
    ///    `context.now` is given, capabilities), checked in parallel.
    ///
    /// Uniqueness of encryption and signature keys was checked when the tree was built
    /// ([`RatchetTree::from_nodes`]).
    pub fn verify(
        &mut self,
        suite: &Suite<'_>,
        tree_hash: &[u8],
        context: &LeafValidationContext<'_>,
    ) -> Result<(), TreeError> {
        self.verify_unmerged_leaves()?;
        if self.tree_hash(suite)? != tree_hash {
            return Err(TreeError::BadTreeHash);
        }
        self.verify_parent_hashes(suite)?;
        self.verify_leaves(suite, context)
    }

    /// Validates every leaf of the tree as a joiner does (§12.4.3.1, §7.3), in parallel.
    /// A bad signature is [`TreeError::BadLeafSignature`], any other failure
    /// [`TreeError::InvalidLeafNode`]; the lowest failing leaf is reported.
    pub fn verify_leaves(
        &self,
        suite: &Suite<'_>,
        context: &LeafValidationContext<'_>,
    ) -> Result<(), TreeError> {
        self.first_bad_leaf(|leaf, leaf_node| {
            self.check_leaf_contents(leaf_node, Some(leaf), context)?;
            verify_leaf_signature(suite, leaf_node, Some((context.group_id, leaf)))
        })
    }

    /// Verifies the signature of every leaf, over the group id and the leaf's index for
    /// `update` and `commit` leaves, in parallel.
    pub fn verify_leaf_signatures(
        &self,
        suite: &Suite<'_>,
        group_id: &[u8],
    ) -> Result<(), TreeError> {
        self.first_bad_leaf(|leaf, leaf_node| {
            verify_leaf_signature(suite, leaf_node, Some((group_id, leaf)))
        })
    }

    fn first_bad_leaf(
        &self,
        check: impl Fn(LeafIndex, &LeafNode) -> Result<(), LeafNodeError> + Sync,
    ) -> Result<(), TreeError> {
        let members: Vec<(LeafIndex, &LeafNode)> = self.members().collect();
        let failure = members
            .par_iter()
            .with_min_len(16)
            .find_map_first(|&(leaf, leaf_node)| check(leaf, leaf_node).err().map(|e| (leaf, e)));
        match failure {
            None => Ok(()),
            Some((leaf, LeafNodeError::BadSignature)) => Err(TreeError::BadLeafSignature { leaf }),
            Some((_, LeafNodeError::Crypto(e))) => Err(TreeError::Crypto(e)),
            Some((leaf, error)) => Err(TreeError::InvalidLeafNode { leaf, error }),
        }
    }

    /// Checks the `unmerged_leaves` of every non-blank parent node (§7.1, §12.4.3.1): sorted
    /// in strictly increasing order, each entry a non-blank leaf below the node, and listed
    /// by every non-blank node between that leaf and the node. O(U log N) for U entries.
    pub fn verify_unmerged_leaves(&self) -> Result<(), TreeError> {
        let parents = || {
            self.parents
                .iter()
                .enumerate()
                .filter_map(|(k, p)| Some((NodeIndex(2 * k as u32 + 1), p.node.as_deref()?)))
        };
        // Sortedness first, so the binary searches below can trust every list.
        for (node, parent) in parents() {
            let unsorted = parent
                .unmerged_leaves
                .windows(2)
                .find_map(|pair| match pair {
                    [first, second] if first >= second => Some(*second),
                    _ => None,
                });
            if let Some(leaf) = unsorted {
                return Err(TreeError::UnmergedLeafInconsistent {
                    node,
                    leaf,
                    problem: UnmergedLeafProblem::NotSorted,
                });
            }
        }
        let n = self.leaf_count();
        for (node, parent) in parents() {
            let (start, end) = leaf_range(node);
            for &leaf in &parent.unmerged_leaves {
                let fail = |problem| TreeError::UnmergedLeafInconsistent {
                    node,
                    leaf,
                    problem,
                };
                if !(start..end).contains(&leaf.0) {
                    return Err(fail(UnmergedLeafProblem::NotDescendant));
                }
                if self.leaf(leaf).is_none() {
                    return Err(fail(UnmergedLeafProblem::BlankLeaf));
                }
                let path = leaf_node_index(leaf).direct_path(n).into_iter().flatten();
                for between in path.take_while(|&x| x != node) {
                    if let Some(p) = self.parent(between) {
                        if p.unmerged_leaves.binary_search(&leaf).is_err() {
                            return Err(fail(UnmergedLeafProblem::MissingAt(between)));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks `lifetime` against the current time and the maximum span of `context`.
fn check_lifetime(
    lifetime: &Lifetime,
    context: &LeafValidationContext<'_>,
) -> Result<(), LeafNodeError> {
    let Lifetime {
        not_before,
        not_after,
    } = *lifetime;
    if let Some(max) = context.max_lifetime {
        let span = not_after.saturating_sub(not_before);
        if span > max {
            return Err(LeafNodeError::LifetimeTooLong {
                lifetime: span,
                max,
            });
        }
    }
    if let Some(now) = context.now {
        if now < not_before || now > not_after {
            return Err(LeafNodeError::Expired {
                not_before,
                not_after,
                now,
            });
        }
    }
    Ok(())
}

/// `VerifyWithLabel(signature_key, "LeafNodeTBS", LeafNodeTBS, signature)` (§7.2); `group`
/// is the group id and leaf index that `update` and `commit` leaves sign.
pub(crate) fn verify_leaf_signature(
    suite: &Suite<'_>,
    leaf_node: &LeafNode,
    group: Option<(&[u8], LeafIndex)>,
) -> Result<(), LeafNodeError> {
    // A `update` or `commit` leaf without a group to sign over cannot have a valid signature.
    let tbs = leaf_node
        .tbs(group)
        .map_err(|_| LeafNodeError::BadSignature)?;
    let content = tbs.to_bytes();
    suite
        .verify_with_label(
            &leaf_node.signature_key,
            LEAF_NODE_TBS,
            &content,
            &leaf_node.signature,
        )
        .map_err(|e| match e {
            CryptoError::InvalidSignature
            | CryptoError::InvalidPublicKey(_)
            | CryptoError::InvalidLength { .. } => LeafNodeError::BadSignature,
            other => LeafNodeError::Crypto(other),
        })
}
