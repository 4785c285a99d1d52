//! One module per vector family of `test-vectors.md`; each exposes
//! `check(case: Case) -> CaseResult` for one case of its file.

pub mod crypto_basics;
pub mod deserialization;
pub mod key_schedule;
pub mod message_protection;
pub mod messages;
pub mod passive_client;
pub mod psk_secret;
pub mod secret_tree;
pub mod transcript_hashes;
pub mod tree_math;
pub mod tree_operations;
pub mod tree_validation;
pub mod treekem;
pub mod welcome;

use serde_json::Value;

use crate::{Case, CaseResult, Family, FileReport};

/// Checks every case of a parsed vector file of `family`.
pub fn run(family: Family, file: &Value) -> FileReport {
    let check: fn(Case<'_>) -> CaseResult = match family {
        Family::TreeMath => tree_math::check,
        Family::CryptoBasics => crypto_basics::check,
        Family::SecretTree => secret_tree::check,
        Family::KeySchedule => key_schedule::check,
        Family::PskSecret => psk_secret::check,
        Family::TranscriptHashes => transcript_hashes::check,
        Family::MessageProtection => message_protection::check,
        Family::Deserialization => deserialization::check,
        Family::Messages => messages::check,
        Family::TreeOperations => tree_operations::check,
        Family::TreeValidation => tree_validation::check,
        Family::TreeKem => treekem::check,
        Family::Welcome => welcome::check,
        Family::PassiveClient => passive_client::check,
    };
    match file.as_array() {
        Some(cases) => FileReport::Checked(cases.iter().map(|case| check(Case(case))).collect()),
        None => FileReport::Unreadable("top level is not an array of test cases".into()),
    }
}
