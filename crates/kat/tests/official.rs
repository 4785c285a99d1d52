//! Runs every official vector file shipped in the repository's `test-vectors/` folder, so the
//! conformance checks of `braid kat` are part of `cargo test`.

use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors")
}

fn check_file(name: &str) {
    let path = vectors_dir().join(name);
    let report = braid_kat::run_file(&path);
    let line = braid_kat::ReportLine {
        path: &path,
        report: &report,
    }
    .to_string();
    assert!(
        matches!(report, braid_kat::FileReport::Checked(_)) && report.passed(),
        "{line}"
    );
}

macro_rules! vector_tests {
    ($($test:ident => $file:expr,)*) => {$(
        #[test]
        fn $test() {
            check_file($file);
        }
    )*};
}

vector_tests! {
    tree_math => "tree-math.json",
    crypto_basics => "crypto-basics.json",
    secret_tree => "secret-tree.json",
    key_schedule => "key-schedule.json",
    psk_secret => "psk_secret.json",
    transcript_hashes => "transcript-hashes.json",
    deserialization => "deserialization.json",
    messages => "messages.json",
    message_protection => "message-protection.json",
    tree_operations => "tree-operations.json",
    tree_validation => "tree-validation.json",
    treekem => "treekem.json",
    welcome => "welcome.json",
    passive_client_welcome => "passive-client-welcome.json",
    passive_client_handling_commit => "passive-client-handling-commit.json",
    passive_client_random => "passive-client-random.json",
    passive_client_interop_application => "interop-passive/passive-client-application.json",
    passive_client_interop_branch => "interop-passive/passive-client-branch.json",
    passive_client_interop_commit => "interop-passive/passive-client-commit.json",
    passive_client_interop_external_join => "interop-passive/passive-client-external_join.json",
    passive_client_interop_external_proposals => "interop-passive/passive-client-external_proposals.json",
    passive_client_interop_reinit => "interop-passive/passive-client-reinit.json",
    passive_client_interop_welcome_join => "interop-passive/passive-client-welcome_join.json",
}

/// A folder walk picks up exactly the files named like an official family; a file named on the
/// command line is taken as given (and reported as SKIP if it is not a family).
#[test]
fn folder_walk_collects_only_vector_families() {
    let dir = std::env::temp_dir().join(format!("braid-kat-walk-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    for name in [
        "tree-math.json",
        "nested/passive-client-x.json",
        "config.json",
        "notes.txt",
    ] {
        std::fs::write(dir.join(name), "[]").unwrap();
    }
    let files = braid_kat::collect_files(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|f| f.strip_prefix(&dir).unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["nested/passive-client-x.json", "tree-math.json"]);

    let explicit = braid_kat::collect_files(&[dir.join("config.json")]).unwrap();
    assert_eq!(explicit, [dir.join("config.json")]);
    let report = braid_kat::run_file(&explicit[0]);
    assert!(matches!(report, braid_kat::FileReport::Skipped(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}
