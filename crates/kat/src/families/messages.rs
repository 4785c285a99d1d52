//! `messages.json`: every field decodes as its structure and re-encodes to the same bytes.

use braid_codec::{Decode, Encode};
use braid_mls::messages::{
    Add, Commit, ContentType, ExternalInit, GroupContextExtensions, GroupSecrets, MlsMessage,
    MlsMessageBody, PreSharedKey, RatchetTree, ReInit, Remove, Update, WireFormat,
};

use crate::{check_bytes, check_eq, Case, CaseResult};

/// Checks one case.
pub fn check(case: Case<'_>) -> CaseResult {
    for (field, wire_format) in [
        ("mls_welcome", WireFormat::WELCOME),
        ("mls_group_info", WireFormat::GROUP_INFO),
        ("mls_key_package", WireFormat::KEY_PACKAGE),
        ("private_message", WireFormat::PRIVATE_MESSAGE),
    ] {
        let message: MlsMessage = round_trip(case, field)?;
        check_eq(field, message.wire_format(), wire_format)?;
    }
    for (field, content_type) in [
        ("public_message_application", ContentType::Application),
        ("public_message_proposal", ContentType::Proposal),
        ("public_message_commit", ContentType::Commit),
    ] {
        match round_trip::<MlsMessage>(case, field)?.body {
            MlsMessageBody::PublicMessage(message) => {
                check_eq(field, message.content.content_type(), content_type)?;
            }
            other => {
                return Err(format!(
                    "{field}: not a PublicMessage but {:?}",
                    other.wire_format()
                ))
            }
        }
    }
    round_trip::<RatchetTree>(case, "ratchet_tree")?;
    round_trip::<GroupSecrets>(case, "group_secrets")?;
    round_trip::<Add>(case, "add_proposal")?;
    round_trip::<Update>(case, "update_proposal")?;
    round_trip::<Remove>(case, "remove_proposal")?;
    round_trip::<PreSharedKey>(case, "pre_shared_key_proposal")?;
    round_trip::<ReInit>(case, "re_init_proposal")?;
    round_trip::<ExternalInit>(case, "external_init_proposal")?;
    round_trip::<GroupContextExtensions>(case, "group_context_extensions_proposal")?;
    round_trip::<Commit>(case, "commit")?;
    Ok(())
}

/// Decodes `field` as a `T` spanning all its bytes and checks that it re-encodes to them.
fn round_trip<T: Decode + Encode>(case: Case<'_>, field: &str) -> Result<T, String> {
    let bytes = case.hex(field)?;
    let value = T::from_bytes(&bytes).map_err(|e| format!("{field}: does not decode: {e}"))?;
    check_bytes(field, &value.to_bytes(), &bytes)?;
    Ok(value)
}
