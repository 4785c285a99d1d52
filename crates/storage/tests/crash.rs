//! A process killed (SIGKILL) while writing commits comes back at the old or the new epoch, never
//! in between, with intact states and consistent bookkeeping.
//!
//! The writer is a real child process: this test binary runs itself again, filtered to this one
//! test, with [`CHILD_DB`] set; in that process the test body is the writer and loops until it is
//! killed. Each commit writes a new epoch state of 256–512 KiB, moves the current epoch, drops
//! the old one from the live set, deletes the epoch that falls out of retention and swaps the
//! KeyPackage, all in one transaction, and then prints `committed N`. The parent kills the writer
//! at a random moment (after 0–2 reported commits and a random pause), reopens the database and
//! checks it is at the last reported epoch or the one after, and nowhere else.

use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use braid_storage::{
    EpochInfo, GroupStore, SqliteStore, StorageError, StoreRead, StoreTransaction,
};

/// Set in the child: the database it writes to.
const CHILD_DB: &str = "BRAID_STORAGE_CRASH_TEST_DB";
/// This test's name, to run only it in the child.
const TEST_NAME: &str = "killed_writer_comes_back_at_an_old_or_new_epoch";
const ROUNDS: usize = 30;
const GROUP: &[u8] = b"crash-test-group";
/// Epochs kept: the current one and the two before it.
const KEPT: u64 = 3;

fn epoch_id(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn epoch_number(id: &[u8]) -> u64 {
    u64::from_be_bytes(id.try_into().expect("8-byte epoch id"))
}

fn key_package_ref(n: u64) -> Vec<u8> {
    format!("kp-{n}").into_bytes()
}

/// xorshift64: pseudo-random and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// The state of epoch `n`: 256–512 KiB of bytes determined by `n`.
fn state(n: u64) -> Vec<u8> {
    let len = 256 * 1024 + (n as usize * 7919) % (256 * 1024);
    let mut rng = Rng(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// One commit from epoch `current` (`None`: the group is created) to `next`.
fn commit(store: &mut SqliteStore, current: Option<u64>, next: u64) -> Result<(), StorageError> {
    let mut tx = store.transaction()?;
    tx.put_epoch(GROUP, &epoch_id(next), &state(next))?;
    tx.set_current_epoch(GROUP, Some(&epoch_id(next)))?;
    tx.put_key_package(&key_package_ref(next), &next.to_le_bytes(), false)?;
    if let Some(current) = current {
        tx.set_epoch_live(GROUP, &epoch_id(current), false)?;
        let taken = tx.take_key_package(&key_package_ref(current))?;
        assert!(
            taken.is_some(),
            "the KeyPackage of epoch {current} is missing"
        );
        if next > KEPT {
            assert!(tx.delete_epoch(GROUP, &epoch_id(next - KEPT))?);
        }
    }
    tx.commit()
}

/// The child: commits one epoch after the other until it is killed.
fn write_commits_until_killed(db: &Path) -> ! {
    let mut store = SqliteStore::open(db).expect("writer: open");
    let mut current = store
        .current_epoch(GROUP)
        .expect("writer: read the current epoch")
        .map(|id| epoch_number(&id));
    let mut stdout = std::io::stdout().lock();
    loop {
        let next = current.map_or(1, |n| n + 1);
        commit(&mut store, current, next).expect("writer: commit");
        writeln!(stdout, "committed {next}").expect("writer: report");
        stdout.flush().expect("writer: report");
        current = Some(next);
    }
}

/// Reopens the database after a kill, checks everything the writer maintains, and returns the
/// epoch the group is at (0 if it was never created).
fn check_database(db: &Path) -> u64 {
    let integrity: String = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    let store = SqliteStore::open(db).unwrap();
    let groups = store.groups().unwrap();
    if groups.is_empty() {
        assert!(store.key_package_refs().unwrap().is_empty());
        return 0;
    }
    assert_eq!(groups, vec![GROUP.to_vec()]);
    let (id, current_state) = store
        .current_epoch_state(GROUP)
        .unwrap()
        .expect("a current epoch");
    let n = epoch_number(&id);
    assert!(
        current_state.as_bytes() == state(n),
        "state of the current epoch {n} damaged"
    );

    let kept = n.saturating_sub(KEPT - 1).max(1)..=n;
    let expected: Vec<EpochInfo> = kept
        .clone()
        .map(|k| EpochInfo {
            epoch_id: epoch_id(k).to_vec(),
            live: k == n,
        })
        .collect();
    assert_eq!(
        store.epochs(GROUP).unwrap(),
        expected,
        "epochs at epoch {n}"
    );
    for k in kept {
        let stored = store.epoch_state(GROUP, &epoch_id(k)).unwrap().unwrap();
        assert!(stored.as_bytes() == state(k), "state of epoch {k} damaged");
    }
    assert_eq!(store.key_package_refs().unwrap(), vec![key_package_ref(n)]);
    n
}

#[test]
fn killed_writer_comes_back_at_an_old_or_new_epoch() {
    if let Some(db) = env::var_os(CHILD_DB) {
        write_commits_until_killed(Path::new(&db));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seed = (nanos as u64 ^ u64::from(std::process::id())) | 1;
    let mut rng = Rng(seed);
    let mut epoch = 0;
    let mut unreported_commits = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &db)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reports = BufReader::new(child.stdout.take().unwrap()).lines();
        // Every epoch the writer reported is committed: the database must be at least there.
        let mut reported = epoch;
        let mut record = |line: std::io::Result<String>| {
            if let Some(n) = line.unwrap().strip_prefix("committed ") {
                reported = n.parse().unwrap();
                true
            } else {
                false
            }
        };
        let wait_for = rng.below(3);
        let mut seen = 0;
        while seen < wait_for {
            let Some(line) = reports.next() else {
                let mut stderr = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!("round {round} (seed {seed}): the writer exited by itself:\n{stderr}");
            };
            seen += u64::from(record(line));
        }
        std::thread::sleep(Duration::from_micros(rng.below(4000)));
        child.kill().unwrap();
        child.wait().unwrap();
        for line in reports {
            record(line);
        }

        let found = check_database(&db);
        assert!(
            found == reported || found == reported + 1,
            "round {round} (seed {seed}): the writer reported epoch {reported}, the database is at {found}"
        );
        unreported_commits += usize::from(found != reported);
        epoch = found;
    }
    eprintln!(
        "{ROUNDS} kills (seed {seed}): reached epoch {epoch}; {unreported_commits} kills fell \
         between a commit and its report"
    );
}
