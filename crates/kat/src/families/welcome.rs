//! `welcome.json`: processing a Welcome (RFC 9420 §12.4.3.1) without the tree.
//!
//! Per case: find the KeyPackage's entry in the Welcome and decrypt its GroupSecrets with
//! `init_priv`, decrypt the GroupInfo with the welcome key of the joiner secret (no PSKs),
//! verify the GroupInfo signature with `signer_pub`, and recompute its confirmation tag from
//! the epoch's `confirmation_key` and the GroupContext's confirmed transcript hash.

use braid_codec::Decode;
use braid_crypto::Secret;
use braid_mls::group::{decrypt_group_info, decrypt_group_secrets, verify_group_info_signature};
use braid_mls::key_schedule::{JoinerSecret, Rfc9420InitStep};
use braid_mls::messages::{KeyPackage, MlsMessage, MlsMessageBody, Welcome};
use braid_mls::transcript;
use braid_provider::DefaultProvider;

use super::tree_validation::suite;
use crate::{check_eq, Case, CaseResult};

/// Decodes an `MLSMessage` holding a KeyPackage.
pub(crate) fn key_package_message(bytes: &[u8], what: &str) -> Result<KeyPackage, String> {
    match MlsMessage::from_bytes(bytes)
        .map_err(|e| format!("{what}: {e}"))?
        .body
    {
        MlsMessageBody::KeyPackage(key_package) => Ok(key_package),
        other => Err(format!(
            "{what}: {:?} is not a KeyPackage",
            other.wire_format()
        )),
    }
}

/// Decodes an `MLSMessage` holding a Welcome.
pub(crate) fn welcome_message(bytes: &[u8], what: &str) -> Result<Welcome, String> {
    match MlsMessage::from_bytes(bytes)
        .map_err(|e| format!("{what}: {e}"))?
        .body
    {
        MlsMessageBody::Welcome(welcome) => Ok(welcome),
        other => Err(format!(
            "{what}: {:?} is not a Welcome",
            other.wire_format()
        )),
    }
}

/// Checks one case.
pub fn check(case: Case<'_>) -> CaseResult {
    let provider = DefaultProvider::new();
    let suite = suite(&provider, case.cipher_suite()?)?;
    let key_package = key_package_message(&case.hex("key_package")?, "key_package")?;
    let welcome = welcome_message(&case.hex("welcome")?, "welcome")?;
    let init_priv = Secret::new(case.hex("init_priv")?);

    let group_secrets = decrypt_group_secrets(&suite, &welcome, &key_package, &init_priv)
        .map_err(|e| format!("group secrets: {e}"))?;
    check_eq("number of PSKs", group_secrets.psks.len(), 0)?;
    let zero = Secret::zero(suite.hash_len());
    let joiner = JoinerSecret::new(&suite, group_secrets.joiner_secret, zero.as_bytes())
        .map_err(|e| format!("joiner secret: {e}"))?;
    let group_info =
        decrypt_group_info(&suite, &welcome, &joiner).map_err(|e| format!("group info: {e}"))?;
    verify_group_info_signature(&suite, &group_info, &case.hex("signer_pub")?)
        .map_err(|e| format!("group info signature: {e}"))?;
    let context = &group_info.group_context;
    let secrets = joiner
        .epoch_secrets(
            &suite,
            &Rfc9420InitStep,
            &braid_codec::Encode::to_bytes(context),
        )
        .map_err(|e| format!("epoch secrets: {e}"))?;
    let valid = transcript::verify_confirmation_tag(
        &suite,
        secrets.confirmation_key.as_bytes(),
        &context.confirmed_transcript_hash,
        group_info.confirmation_tag.as_slice(),
    )
    .map_err(|e| format!("confirmation tag: {e}"))?;
    check_eq("confirmation tag valid", valid, true)
}
