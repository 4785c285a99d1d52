//! `passive-client-*.json`: a client joins from a Welcome and follows the group's Commits
//! (RFC 9420 §12.4.2, §12.4.3.1), as `test-vectors.md` "Passive Client Scenarios" describes.
//!
//! Per case: the client's KeyPackage bundle and signer are built from the private keys given,
//! it joins with the Welcome (the tree from the GroupInfo's `ratchet_tree` extension or from
//! `ratchet_tree`) and the external PSKs, and checks `initial_epoch_authenticator`; then for
//! each epoch it processes the proposals, processes and merges the Commit, and checks the
//! `epoch_authenticator`.
//!
//! Lifetimes are checked, with the clock set to the moment the group's newest KeyPackage
//! became valid: the latest `not_before` among the client's own KeyPackage and the
//! `key_package` leaves of the tree it joins, which is when the vector was generated and
//! every leaf was valid. (The KeyPackages of `passive-client-welcome.json` expired in March
//! 2024; the other files mix eternal lifetimes with year-long ones from 2024.)
//!
//! Some generators wrote NIST-curve private keys as minimal big-endian integers (a P-521
//! scalar in 65 bytes); HPKE's `SerializePrivateKey` and the signature encodings are fixed
//! length, so such keys are left-padded with zeros to the curve's `Nsk` before use.

use braid_codec::Decode;
use braid_crypto::{CipherSuite, KemId, Secret};
use braid_mls::extensions::ExtensionType;
use braid_mls::group::{
    decrypt_group_info, decrypt_group_secrets, Group, GroupConfig, JoinOptions, KeyPackageBundle,
    ProcessedMessage, PskStore, Signer,
};
use braid_mls::key_schedule::JoinerSecret;
use braid_mls::messages::{LeafNodeSource, MlsMessage, Node, RatchetTree, Welcome};
use braid_mls::psk::psk_secret;
use braid_provider::DefaultProvider;

use super::tree_validation::suite;
use super::welcome::{key_package_message, welcome_message};
use crate::{check_bytes, Case, CaseResult};

/// Checks one case.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider::new();
    let cipher_suite = case.cipher_suite()?;
    let key_package = key_package_message(&case.hex("key_package")?, "key_package")?;
    let signer = Signer::from_private_key(
        &provider,
        cipher_suite,
        key_package.leaf_node.credential.clone(),
        private_key(cipher_suite, case.hex("signature_priv")?),
    )
    .map_err(|e| format!("signature_priv: {e}"))?;
    let bundle = KeyPackageBundle::from_parts(
        key_package,
        private_key(cipher_suite, case.hex("init_priv")?),
        private_key(cipher_suite, case.hex("encryption_priv")?),
    );
    let welcome = welcome_message(&case.hex("welcome")?, "welcome")?;
    let ratchet_tree = case
        .opt_hex("ratchet_tree")?
        .map(|bytes| RatchetTree::from_bytes(&bytes).map_err(|e| format!("ratchet_tree: {e}")))
        .transpose()?;
    let mut psks = PskStore::new();
    let external_psks = case.array("external_psks")?;
    for psk in &external_psks {
        psks.insert_external(psk.hex("psk_id")?, Secret::new(psk.hex("psk")?));
    }
    let now = generation_time(&provider, &bundle, &welcome, ratchet_tree.as_ref(), &psks)?;
    let options = JoinOptions {
        ratchet_tree: ratchet_tree.as_ref(),
        psks: Some(&psks),
        resumed_from: None,
        now,
    };
    let mut group = Group::join_from_welcome(
        &provider,
        GroupConfig::default(),
        &welcome,
        &bundle,
        signer,
        options,
    )
    .map_err(|e| format!("join: {e}"))?;
    check_bytes(
        "initial_epoch_authenticator",
        group.epoch_authenticator(),
        &case.hex("initial_epoch_authenticator")?,
    )?;
    for psk in &external_psks {
        group.add_external_psk(psk.hex("psk_id")?, Secret::new(psk.hex("psk")?));
    }
    for (i, epoch) in case.array("epochs")?.into_iter().enumerate() {
        follow_epoch(&provider, &mut group, epoch, now).map_err(|e| format!("epochs[{i}]: {e}"))?;
    }
    Ok(())
}

/// The latest `not_before` of the client's KeyPackage and of the `key_package` leaves of the
/// tree the Welcome leads to (read from the decrypted GroupInfo, or `supplied`).
fn generation_time(
    provider: &DefaultProvider,
    bundle: &KeyPackageBundle,
    welcome: &Welcome,
    supplied: Option<&RatchetTree>,
    psks: &PskStore,
) -> Result<u64, String> {
    let suite = suite(provider, welcome.cipher_suite)?;
    let key_package = bundle.key_package();
    let group_secrets =
        decrypt_group_secrets(&suite, welcome, key_package, bundle.init_private_key())
            .map_err(|e| format!("group secrets: {e}"))?;
    let values = group_secrets
        .psks
        .iter()
        .map(|id| Some((id, psks.get(&id.psk)?.as_bytes())))
        .collect::<Option<Vec<_>>>()
        .ok_or("a PSK of the Welcome is not among external_psks")?;
    let psk_secret = psk_secret(&suite, values).map_err(|e| format!("psk secret: {e}"))?;
    let joiner = JoinerSecret::new(&suite, group_secrets.joiner_secret, psk_secret.as_bytes())
        .map_err(|e| format!("joiner secret: {e}"))?;
    let group_info =
        decrypt_group_info(&suite, welcome, &joiner).map_err(|e| format!("group info: {e}"))?;
    let from_extension = group_info
        .extensions
        .get(ExtensionType::RATCHET_TREE)
        .map(RatchetTree::from_bytes)
        .transpose()
        .map_err(|e| format!("ratchet_tree extension: {e}"))?;
    let tree = from_extension
        .as_ref()
        .or(supplied)
        .ok_or("no ratchet tree")?;
    let leaves = tree.nodes().iter().filter_map(|node| match node {
        Some(Node::Leaf(leaf)) => Some(leaf),
        _ => None,
    });
    Ok(std::iter::once(&key_package.leaf_node)
        .chain(leaves)
        .filter_map(|leaf| match &leaf.leaf_node_source {
            LeafNodeSource::KeyPackage { lifetime } => Some(lifetime.not_before),
            _ => None,
        })
        .max()
        .unwrap_or(0))
}

/// A private key of `cipher_suite`'s curve, left-padded to the fixed length of its
/// encoding when the suite's KEM is a NIST curve (whose keys are scalars).
fn private_key(cipher_suite: CipherSuite, mut bytes: Vec<u8>) -> Secret {
    let scalar_len = cipher_suite
        .descriptor()
        .filter(|d| {
            matches!(
                d.kem,
                KemId::DHKEM_P256 | KemId::DHKEM_P384 | KemId::DHKEM_P521
            )
        })
        .and_then(|d| d.kem.sizes())
        .map(|(_, _, _, nsk)| nsk);
    if let Some(len) = scalar_len.filter(|&len| bytes.len() < len) {
        bytes.splice(0..0, std::iter::repeat_n(0, len - bytes.len()));
    }
    Secret::new(bytes)
}

/// Processes one epoch's proposals and Commit and checks the new epoch authenticator.
fn follow_epoch(
    provider: &DefaultProvider,
    group: &mut Group,
    epoch: Case<'_>,
    now: u64,
) -> CaseResult {
    let message = |bytes: &[u8], what: &str| {
        MlsMessage::from_bytes(bytes).map_err(|e| format!("{what}: {e}"))
    };
    for (i, proposal) in epoch
        .get("proposals")?
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let bytes = crate::json::decode_hex(proposal, "proposals")?;
        let what = format!("proposals[{i}]");
        match group.process_message(provider, message(&bytes, &what)?, now) {
            Ok(ProcessedMessage::Proposal(_)) => {}
            Ok(other) => return Err(format!("{what}: processed as {other:?}")),
            Err(e) => return Err(format!("{what}: {e}")),
        }
    }
    let commit = message(&epoch.hex("commit")?, "commit")?;
    match group.process_message(provider, commit, now) {
        Ok(ProcessedMessage::Commit(staged)) => group
            .merge_staged_commit(*staged)
            .map_err(|e| format!("merge: {e}"))?,
        Ok(other) => return Err(format!("commit: processed as {other:?}")),
        Err(e) => return Err(format!("commit: {e}")),
    }
    check_bytes(
        "epoch_authenticator",
        group.epoch_authenticator(),
        &epoch.hex("epoch_authenticator")?,
    )
}
