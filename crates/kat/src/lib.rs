//! Conformance runner for the official MLS test vectors (`mlswg/mls-implementations`,
//! `test-vectors.md`).
//!
//! A file's family is recognised from its name (`tree-math.json`, `passive-client-*.json`, …),
//! so any file in the official format can be checked, not only the copies shipped with braid.
//! Each family lives in its own module under [`families`] and checks every case of a file,
//! returning one [`CaseResult`] per case.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod families;
pub mod json;

use std::fmt;
use std::path::{Path, PathBuf};

pub use json::{check_bytes, check_eq, Case};

/// The outcome of one test case: `Err` carries a one-line description of the first mismatch.
pub type CaseResult = Result<(), String>;

/// A vector family of `test-vectors.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `tree-math.json`.
    TreeMath,
    /// `crypto-basics.json`.
    CryptoBasics,
    /// `secret-tree.json`.
    SecretTree,
    /// `message-protection.json`.
    MessageProtection,
    /// `key-schedule.json`.
    KeySchedule,
    /// `psk_secret.json`.
    PskSecret,
    /// `transcript-hashes.json`.
    TranscriptHashes,
    /// `welcome.json`.
    Welcome,
    /// `tree-operations.json`.
    TreeOperations,
    /// `tree-validation.json`.
    TreeValidation,
    /// `treekem.json`.
    TreeKem,
    /// `messages.json`.
    Messages,
    /// `deserialization.json`.
    Deserialization,
    /// `passive-client-*.json`.
    PassiveClient,
}

impl Family {
    /// Recognises a family from a file name.
    pub fn from_path(path: &Path) -> Option<Self> {
        let stem = path.file_stem()?.to_str()?;
        if stem.starts_with("passive-client-") {
            return Some(Self::PassiveClient);
        }
        Some(match stem {
            "tree-math" => Self::TreeMath,
            "crypto-basics" => Self::CryptoBasics,
            "secret-tree" => Self::SecretTree,
            "message-protection" => Self::MessageProtection,
            "key-schedule" => Self::KeySchedule,
            "psk_secret" => Self::PskSecret,
            "transcript-hashes" => Self::TranscriptHashes,
            "welcome" => Self::Welcome,
            "tree-operations" => Self::TreeOperations,
            "tree-validation" => Self::TreeValidation,
            "treekem" => Self::TreeKem,
            "messages" => Self::Messages,
            "deserialization" => Self::Deserialization,
            _ => return None,
        })
    }
}

/// The outcome of one file.
#[derive(Debug)]
pub enum FileReport {
    /// Every case was checked; the results are per case, in file order.
    Checked(Vec<CaseResult>),
    /// The family is not implemented yet, or the file is not a known family.
    Skipped(String),
    /// The file could not be read or parsed as a vector file.
    Unreadable(String),
}

impl FileReport {
    /// `(cases, failed)`.
    pub fn counts(&self) -> (usize, usize) {
        match self {
            Self::Checked(results) => {
                (results.len(), results.iter().filter(|r| r.is_err()).count())
            }
            Self::Skipped(_) => (0, 0),
            Self::Unreadable(_) => (1, 1),
        }
    }

    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.counts().1 == 0
    }
}

/// Checks one file.
pub fn run_file(path: &Path) -> FileReport {
    let Some(family) = Family::from_path(path) else {
        return FileReport::Skipped("not an official test-vector family".into());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return FileReport::Unreadable(format!("cannot read: {e}")),
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => return FileReport::Unreadable(format!("not JSON: {e}")),
    };
    families::run(family, &value)
}

/// The vector files under `paths`, sorted so the output is stable. Files named on the command
/// line are taken as given; folders are searched recursively for files named like an official
/// family (other JSON files there, such as interop scenario configs, are not test vectors).
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        collect_into(path, &mut files)?;
    }
    Ok(files)
}

fn collect_into(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            if entry.is_dir() || Family::from_path(&entry).is_some() {
                collect_into(&entry, files)?;
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    Ok(())
}

/// One report line: `PASS <file> (<n> cases)`, `FAIL <file> (<k> of <n> failed: <first>)` or
/// `SKIP <file>`.
pub struct ReportLine<'a> {
    /// The file.
    pub path: &'a Path,
    /// Its outcome.
    pub report: &'a FileReport,
}

impl fmt::Display for ReportLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.report {
            FileReport::Skipped(why) => write!(f, "SKIP {path} ({why})"),
            FileReport::Unreadable(why) => write!(f, "FAIL {path} (1 of 1 failed: {why})"),
            FileReport::Checked(results) => {
                let (n, failed) = self.report.counts();
                match results.iter().position(|r| r.is_err()) {
                    None => write!(f, "PASS {path} ({n} cases)"),
                    Some(index) => {
                        let first = results[index].as_ref().err().map_or("", String::as_str);
                        write!(
                            f,
                            "FAIL {path} ({failed} of {n} failed: case {index}: {first})"
                        )
                    }
                }
            }
        }
    }
}
