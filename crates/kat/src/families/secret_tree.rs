//! `secret-tree.json`: the sender-data key and nonce (RFC 9420 §6.3.2) and the handshake and
//! application ratchet keys of every leaf at several generations (§9).

use braid_crypto::Secret;
use braid_mls::secret_tree::{self, RatchetType, SecretTree, SecretTreeConfig};
use braid_mls::tree_math::LeafIndex;

use super::crypto_basics::{case_suite, int};
use crate::{check_bytes, Case, CaseResult};

/// Checks one cipher suite and tree size.
pub fn check(case: Case<'_>) -> CaseResult {
    let suite = case_suite(&case)?;

    let sender_data = case.object("sender_data")?;
    let key = secret_tree::sender_data_key_and_nonce(
        &suite,
        &sender_data.hex("sender_data_secret")?,
        &sender_data.hex("ciphertext")?,
    )
    .map_err(|e| format!("sender data key: {e}"))?;
    check_bytes(
        "sender_data key",
        key.key.as_bytes(),
        &sender_data.hex("key")?,
    )?;
    check_bytes(
        "sender_data nonce",
        key.nonce.as_bytes(),
        &sender_data.hex("nonce")?,
    )?;

    let leaves = case.array("leaves")?;
    let n_leaves = u32::try_from(leaves.len()).map_err(|_| "too many leaves")?;
    let mut tree = SecretTree::new(
        Secret::new(case.hex("encryption_secret")?),
        n_leaves,
        SecretTreeConfig::default(),
    )
    .map_err(|e| format!("secret tree: {e}"))?;
    for (leaf, generations) in (0..n_leaves).zip(leaves) {
        let generations = generations
            .0
            .as_array()
            .ok_or_else(|| format!("leaves[{leaf}] is not an array"))?;
        for entry in generations.iter().map(Case) {
            let generation: u32 = int(&entry, "generation")?;
            for (ratchet, name) in [
                (RatchetType::Handshake, "handshake"),
                (RatchetType::Application, "application"),
            ] {
                let at = format!("leaf {leaf} generation {generation} {name}");
                let key = tree
                    .ratchet_key_pair(&suite, LeafIndex(leaf), ratchet, generation)
                    .map_err(|e| format!("{at}: {e}"))?;
                check_bytes(
                    &format!("{at} key"),
                    key.key.as_bytes(),
                    &entry.hex(&format!("{name}_key"))?,
                )?;
                check_bytes(
                    &format!("{at} nonce"),
                    key.nonce.as_bytes(),
                    &entry.hex(&format!("{name}_nonce"))?,
                )?;
            }
        }
    }
    Ok(())
}
