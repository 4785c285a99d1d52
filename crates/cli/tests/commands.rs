//! The `braid` subcommands end to end, run as the real binary on small inputs.

use std::process::Command;

fn braid(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(args)
        .output()
        .expect("braid runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn demo_runs_and_persists_member_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let (ok, stdout, stderr) = braid(&[
        "demo",
        "--members",
        "6",
        "--epochs",
        "12",
        "--seed",
        "7",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}{stderr}");
    for op in [
        "commit: create",
        "join from Welcome",
        "message: decrypt, per member",
    ] {
        assert!(stdout.contains(op), "no timing for {op}: {stdout}");
    }
    assert!(stdout.contains("agreed on the epoch authenticator in every epoch"));
    // Member 0's group is in the database, at the epoch the demo ended in.
    let store = braid_storage::SqliteStore::open(&db).unwrap();
    let client = braid_client::Client::new(store);
    let groups = client.group_ids().unwrap();
    assert_eq!(groups.len(), 1);
    let group = client.load_group(&groups[0]).unwrap().unwrap();
    assert!(
        stdout.contains(&format!("epoch {},", group.epoch())),
        "{stdout}"
    );
}

#[test]
fn demo_refuses_a_group_of_one() {
    let (ok, _, stderr) = braid(&["demo", "--members", "1"]);
    assert!(!ok);
    assert!(stderr.contains("at least 2 members"), "{stderr}");
}

#[test]
fn state_size_prints_one_row_per_size() {
    let (ok, stdout, stderr) = braid(&["state-size", "--members", "2,8"]);
    assert!(ok, "{stderr}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| 2 |") || l.starts_with("| 8 |"))
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
}
