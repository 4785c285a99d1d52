//! `psk_secret.json`: the chained `psk_secret` of a list of external PSKs (RFC 9420 §8.4).

use braid_mls::psk::{self, ExternalPsk, PreSharedKeyId, Psk};

use super::crypto_basics::case_suite;
use crate::{check_bytes, Case, CaseResult};

/// Checks one list of PSKs.
pub fn check(case: Case<'_>) -> CaseResult {
    let suite = case_suite(&case)?;
    let mut psks = Vec::new();
    for entry in case.array("psks")? {
        let id = PreSharedKeyId {
            psk: Psk::External(ExternalPsk {
                psk_id: entry.hex("psk_id")?,
            }),
            psk_nonce: entry.hex("psk_nonce")?,
        };
        psks.push((id, entry.hex("psk")?));
    }
    let secret = psk::psk_secret(&suite, psks.iter().map(|(id, psk)| (id, psk.as_slice())))
        .map_err(|e| format!("psk_secret: {e}"))?;
    check_bytes("psk_secret", secret.as_bytes(), &case.hex("psk_secret")?)
}
