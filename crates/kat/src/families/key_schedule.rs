//! `key-schedule.json`: five chained epochs of the key schedule (RFC 9420 §8), with the
//! GroupContext, every epoch-derived secret, `external_pub` and an exporter output.

use braid_codec::Encode;
use braid_crypto::Secret;
use braid_mls::extensions::Extensions;
use braid_mls::group_context::{GroupContext, ProtocolVersion};
use braid_mls::key_schedule::{EpochSecrets, Rfc9420InitStep};

use super::crypto_basics::{case_suite, int};
use crate::{check_bytes, Case, CaseResult};

/// Checks one cipher suite's chain of epochs.
pub fn check(case: Case<'_>) -> CaseResult {
    let suite = case_suite(&case)?;
    let group_id = case.hex("group_id")?;
    let mut init_secret = Secret::new(case.hex("initial_init_secret")?);
    for (epoch, e) in case.array("epochs")?.into_iter().enumerate() {
        let at = |what: &str| format!("epoch {epoch}: {what}");
        let group_context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: suite.cipher_suite(),
            group_id: group_id.clone(),
            epoch: epoch as u64,
            tree_hash: e.hex("tree_hash")?,
            confirmed_transcript_hash: e.hex("confirmed_transcript_hash")?,
            extensions: Extensions::new(),
        };
        check_bytes(
            &at("group_context"),
            &group_context.to_bytes(),
            &e.hex("group_context")?,
        )?;

        let (secrets, joiner) = EpochSecrets::new(
            &suite,
            &Rfc9420InitStep,
            &init_secret,
            &e.hex("commit_secret")?,
            &e.hex("psk_secret")?,
            &group_context,
        )
        .map_err(|err| at(&err.to_string()))?;
        let welcome_secret = joiner
            .welcome_secret(&suite)
            .map_err(|err| at(&err.to_string()))?;
        let outputs: [(&str, &Secret); 11] = [
            ("joiner_secret", joiner.joiner_secret()),
            ("welcome_secret", &welcome_secret),
            ("init_secret", &secrets.init_secret),
            ("sender_data_secret", &secrets.sender_data_secret),
            ("encryption_secret", &secrets.encryption_secret),
            ("exporter_secret", &secrets.exporter_secret),
            ("epoch_authenticator", &secrets.epoch_authenticator),
            ("external_secret", &secrets.external_secret),
            ("confirmation_key", &secrets.confirmation_key),
            ("membership_key", &secrets.membership_key),
            ("resumption_psk", &secrets.resumption_psk),
        ];
        for (field, secret) in outputs {
            check_bytes(&at(field), secret.as_bytes(), &e.hex(field)?)?;
        }

        let external = secrets
            .external_key_pair(&suite)
            .map_err(|err| at(&format!("external key pair: {err}")))?;
        check_bytes(
            &at("external_pub"),
            &external.public_key,
            &e.hex("external_pub")?,
        )?;

        let exporter = e.object("exporter")?;
        let exported = secrets
            .mls_exporter(
                &suite,
                exporter.str("label")?.as_bytes(),
                &exporter.hex("context")?,
                int::<usize>(&exporter, "length")?,
            )
            .map_err(|err| at(&format!("exporter: {err}")))?;
        check_bytes(
            &at("exporter.secret"),
            exported.as_bytes(),
            &exporter.hex("secret")?,
        )?;

        init_secret = secrets.init_secret;
    }
    Ok(())
}
