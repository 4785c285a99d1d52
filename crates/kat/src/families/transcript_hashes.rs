//! `transcript-hashes.json`: the confirmation tag of a Commit and the confirmed and interim
//! transcript hashes it produces (RFC 9420 §8.2).

use braid_codec::{Decode, Encode};
use braid_mls::messages::{AuthenticatedContent, ContentType};
use braid_mls::transcript::{self, ConfirmedTranscriptHashInput};

use super::crypto_basics::{case_suite, err};
use crate::{check_bytes, check_eq, Case, CaseResult};

/// Checks one Commit.
pub fn check(case: Case<'_>) -> CaseResult {
    let suite = case_suite(&case)?;
    let content = AuthenticatedContent::from_bytes(&case.hex("authenticated_content")?)
        .map_err(|e| format!("authenticated_content: {e}"))?;
    check_eq(
        "content type",
        content.content.content_type(),
        ContentType::Commit,
    )?;
    let tag = content
        .auth
        .confirmation_tag
        .as_ref()
        .ok_or("commit without confirmation_tag")?;

    let confirmed_after = case.hex("confirmed_transcript_hash_after")?;
    let tag_ok = transcript::verify_confirmation_tag(
        &suite,
        &case.hex("confirmation_key")?,
        &confirmed_after,
        tag.as_slice(),
    )
    .map_err(err("confirmation tag"))?;
    check_eq("confirmation tag valid", tag_ok, true)?;

    let confirmed = transcript::confirmed_transcript_hash(
        &suite,
        &case.hex("interim_transcript_hash_before")?,
        &ConfirmedTranscriptHashInput::from(&content).to_bytes(),
    )
    .map_err(err("confirmed transcript hash"))?;
    check_bytes(
        "confirmed_transcript_hash_after",
        &confirmed,
        &confirmed_after,
    )?;
    let interim = transcript::interim_transcript_hash(&suite, &confirmed, tag.as_slice())
        .map_err(err("interim transcript hash"))?;
    check_bytes(
        "interim_transcript_hash_after",
        &interim,
        &case.hex("interim_transcript_hash_after")?,
    )
}
