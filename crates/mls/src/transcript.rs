//! Transcript hashes and the confirmation tag (RFC 9420 §8.2, §6.1).
//!
//! ```text
//! confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n])
//! interim_transcript_hash_[n]   = Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n])
//! confirmation_tag              = MAC(confirmation_key, confirmed_transcript_hash)
//! ```
//!
//! `ConfirmedTranscriptHashInput` is `wire_format || FramedContent || signature<V>` of the
//! Commit's `AuthenticatedContent`, that is its encoding without the trailing
//! `confirmation_tag`; these functions take it encoded ([`ConfirmedTranscriptHashInput`]
//! writes it from an [`AuthenticatedContent`]). Both hashes start empty in epoch 0.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use braid_codec::Encode;
use braid_crypto::Result;

use crate::messages::{AuthenticatedContent, FramedContent, WireFormat};
use crate::suite::Suite;

/// `ConfirmedTranscriptHashInput`, borrowed from the Commit's `AuthenticatedContent`.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmedTranscriptHashInput<'a> {
    /// `WireFormat wire_format`.
    pub wire_format: WireFormat,
    /// `FramedContent content` (with `content_type == commit`).
    pub content: &'a FramedContent,
    /// `opaque signature<V>`.
    pub signature: &'a [u8],
}

impl<'a> From<&'a AuthenticatedContent> for ConfirmedTranscriptHashInput<'a> {
    fn from(content: &'a AuthenticatedContent) -> Self {
        Self {
            wire_format: content.wire_format,
            content: &content.content,
            signature: &content.auth.signature,
        }
    }
}

impl Encode for ConfirmedTranscriptHashInput<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.wire_format.encode(out);
        self.content.encode(out);
        self.signature.encode(out);
    }
}

/// `Hash(interim_transcript_hash_before || confirmed_input)`, where `confirmed_input` is the
/// encoded `ConfirmedTranscriptHashInput` of the Commit.
pub fn confirmed_transcript_hash(
    suite: &Suite<'_>,
    interim_transcript_hash_before: &[u8],
    confirmed_input: &[u8],
) -> Result<Vec<u8>> {
    let mut input =
        Vec::with_capacity(interim_transcript_hash_before.len() + confirmed_input.len());
    input.extend_from_slice(interim_transcript_hash_before);
    input.extend_from_slice(confirmed_input);
    suite.hash(&input)
}

/// `Hash(confirmed_transcript_hash || InterimTranscriptHashInput)`, with
/// `InterimTranscriptHashInput = struct { MAC confirmation_tag; }` (`opaque MAC<V>`).
pub fn interim_transcript_hash(
    suite: &Suite<'_>,
    confirmed_transcript_hash: &[u8],
    confirmation_tag: &[u8],
) -> Result<Vec<u8>> {
    let mut input =
        Vec::with_capacity(confirmed_transcript_hash.len() + 4 + confirmation_tag.len());
    input.extend_from_slice(confirmed_transcript_hash);
    confirmation_tag.encode(&mut input);
    suite.hash(&input)
}

/// `confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)` (§6.1).
pub fn confirmation_tag(
    suite: &Suite<'_>,
    confirmation_key: &[u8],
    confirmed_transcript_hash: &[u8],
) -> Result<Vec<u8>> {
    suite.mac(confirmation_key, confirmed_transcript_hash)
}

/// Whether `tag` is the confirmation tag of `confirmed_transcript_hash`, compared in constant
/// time.
pub fn verify_confirmation_tag(
    suite: &Suite<'_>,
    confirmation_key: &[u8],
    confirmed_transcript_hash: &[u8],
    tag: &[u8],
) -> Result<bool> {
    suite.verify_mac(confirmation_key, confirmed_transcript_hash, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{Commit, Content, FramedContentAuthData, Mac, Sender};
    use crate::suite::test_suite;
    use crate::tree_math::LeafIndex;
    use braid_crypto::CipherSuite;

    #[test]
    fn confirmed_input_is_authenticated_content_without_the_tag() {
        let content = AuthenticatedContent {
            wire_format: WireFormat::PUBLIC_MESSAGE,
            content: FramedContent {
                group_id: b"g".to_vec(),
                epoch: 4,
                sender: Sender::Member(LeafIndex(1)),
                authenticated_data: vec![],
                content: Content::Commit(Commit {
                    proposals: vec![],
                    path: None,
                }),
            },
            auth: FramedContentAuthData {
                signature: vec![0xaa; 3],
                confirmation_tag: Some(Mac(vec![0xbb; 2])),
            },
        };
        let full = content.to_bytes();
        let input = ConfirmedTranscriptHashInput::from(&content).to_bytes();
        assert_eq!(input, full[..full.len() - 3]);
        assert_eq!(full[full.len() - 3..], [2, 0xbb, 0xbb]);
    }

    #[test]
    fn hashes_chain_as_specified() {
        let suite = test_suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519);
        let input = [1u8, 2, 3];
        let confirmed = confirmed_transcript_hash(&suite, &[], &input).unwrap();
        assert_eq!(confirmed, suite.hash(&input).unwrap());
        let confirmed2 = confirmed_transcript_hash(&suite, &[9, 9], &input).unwrap();
        assert_eq!(confirmed2, suite.hash(&[9, 9, 1, 2, 3]).unwrap());

        let tag = confirmation_tag(&suite, &[7; 32], &confirmed).unwrap();
        assert!(verify_confirmation_tag(&suite, &[7; 32], &confirmed, &tag).unwrap());
        assert!(!verify_confirmation_tag(&suite, &[8; 32], &confirmed, &tag).unwrap());
        assert!(!verify_confirmation_tag(&suite, &[7; 32], &confirmed2, &tag).unwrap());

        let interim = interim_transcript_hash(&suite, &confirmed, &tag).unwrap();
        let mut expected = confirmed.clone();
        expected.push(32);
        expected.extend_from_slice(&tag);
        assert_eq!(interim, suite.hash(&expected).unwrap());
    }
}
