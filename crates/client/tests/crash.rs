//! A member whose group state is persisted to SQLite, killed with SIGKILL at random points
//! while its group runs, comes back at the last epoch it acknowledged or the next one, never in
//! between, and still interoperates.
//!
//! The member is a real child process: this test binary runs itself again, filtered to this
//! one test, with [`CHILD_DB`] set. The child loads the persisted member (or creates the
//! group), then runs its group until it is killed: 3–10 members, of which only the persisted
//! one survives the process; the others live in memory. Each round is a Commit of the
//! persisted member (removing the members a previous child left behind, adding fresh ones
//! who join from the Welcome, or updating its path), a Commit of another member that the
//! persisted one processes, or application messages both ways. Before writing an epoch the
//! child prints `epoch N <epoch_authenticator>`, after the write `saved N`.
//!
//! The parent kills the child after 0–2 `saved` lines and a random pause, reopens the
//! database and checks that the member is at the last saved epoch or the one after, with the
//! epoch authenticator the child printed for it. The next child goes on from there: its new
//! members join from a Welcome built from the restored state and verify the whole tree and
//! the key schedule against it; at the end the parent itself adds a member to the restored
//! group and exchanges messages with it.

use std::collections::HashMap;
use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use braid_client::Client;
use braid_crypto::{CipherSuite, CryptoProvider};
use braid_mls::group::{
    default_lifetime, CommitOptions, CreateOptions, Group, GroupConfig, JoinOptions,
    KeyPackageBundle, KeyPackageOptions, LeafNodeOptions, ProcessedMessage, Signer,
};
use braid_mls::messages::{Add, Credential, MlsMessage, MlsMessageBody, Proposal, Remove};
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;
use braid_storage::{SqliteStore, StoreRead};

/// Set in the child: the database it persists its member to.
const CHILD_DB: &str = "BRAID_CLIENT_CRASH_TEST_DB";
/// Set in the child: its random seed.
const CHILD_SEED: &str = "BRAID_CLIENT_CRASH_TEST_SEED";
/// This test's name, to run only it in the child.
const TEST_NAME: &str = "killed_client_comes_back_at_an_old_or_new_epoch";
const ROUNDS: u64 = 25;
const GROUP: &[u8] = b"client crash test";
const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
const NOW: u64 = 1_700_000_000;
const MAX_MEMBERS: usize = 10;
static PROVIDER: DefaultProvider = DefaultProvider::new();

fn provider() -> &'static dyn CryptoProvider {
    &PROVIDER
}

/// xorshift64: pseudo-random and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn welcome_of(message: Option<MlsMessage>) -> braid_mls::messages::Welcome {
    match message.map(|m| m.body) {
        Some(MlsMessageBody::Welcome(welcome)) => welcome,
        _ => panic!("expected a Welcome"),
    }
}

/// A fresh in-memory member's signer and KeyPackage.
fn fresh_member(name: String) -> (Signer, KeyPackageBundle) {
    let signer = Signer::generate(provider(), SUITE, Credential::basic(name)).unwrap();
    let bundle =
        KeyPackageBundle::create(provider(), SUITE, &signer, &KeyPackageOptions::new(NOW)).unwrap();
    (signer, bundle)
}

/// The group of the child: the persisted member and the others, in memory.
struct Run {
    client: Client<SqliteStore>,
    me: Group,
    others: Vec<Group>,
    rng: Rng,
    joined: u64,
    out: std::io::StdoutLock<'static>,
}

impl Run {
    fn report(&mut self, line: std::fmt::Arguments<'_>) {
        writeln!(self.out, "{line}").unwrap();
        self.out.flush().unwrap();
    }

    fn check_agreement(&self) {
        for other in &self.others {
            assert_eq!(other.epoch(), self.me.epoch());
            assert_eq!(other.epoch_authenticator(), self.me.epoch_authenticator());
        }
    }

    /// A Commit of the persisted member removing `removed` and adding `added` fresh members.
    fn commit_by_me(&mut self, removed: Vec<LeafIndex>, added: usize) {
        let mut joiners = Vec::new();
        let mut proposals: Vec<Proposal> = removed
            .iter()
            .map(|&leaf| Proposal::Remove(Remove { removed: leaf }))
            .collect();
        for _ in 0..added {
            self.joined += 1;
            let (signer, bundle) = fresh_member(format!("member {}", self.joined));
            proposals.push(Proposal::Add(Box::new(Add {
                key_package: bundle.key_package().clone(),
            })));
            joiners.push((signer, bundle));
        }
        let options = CommitOptions {
            proposals,
            ..CommitOptions::default()
        };
        let bundle = self
            .client
            .commit(provider(), &mut self.me, options, NOW)
            .unwrap();
        self.others
            .retain(|o| !removed.contains(&o.own_leaf_index()));
        for other in &mut self.others {
            let ProcessedMessage::Commit(staged) = other
                .process_message(provider(), bundle.commit.clone(), NOW)
                .unwrap()
            else {
                panic!("expected a Commit");
            };
            other.merge_staged_commit(*staged).unwrap();
        }
        let mut next = self.me.clone();
        next.merge_pending_commit().unwrap();
        let auth = hex::encode(next.epoch_authenticator());
        self.report(format_args!("epoch {} {auth}", next.epoch()));
        self.client.merge_pending_commit(&mut self.me).unwrap();
        self.report(format_args!("saved {}", self.me.epoch()));
        if !joiners.is_empty() {
            let welcome = welcome_of(bundle.welcome);
            for (signer, key_package) in joiners {
                self.others.push(
                    Group::join_from_welcome(
                        provider(),
                        GroupConfig::default(),
                        &welcome,
                        &key_package,
                        signer,
                        JoinOptions::new(NOW),
                    )
                    .unwrap(),
                );
            }
        }
        self.check_agreement();
    }

    /// A Commit (a path update) of another member, processed by everyone.
    fn commit_by_other(&mut self) {
        let i = self.rng.below(self.others.len() as u64) as usize;
        let committer = &mut self.others[i];
        let bundle = committer
            .commit(provider(), CommitOptions::default(), NOW)
            .unwrap();
        committer.merge_pending_commit().unwrap();
        for (j, other) in self.others.iter_mut().enumerate() {
            if j != i {
                let ProcessedMessage::Commit(staged) = other
                    .process_message(provider(), bundle.commit.clone(), NOW)
                    .unwrap()
                else {
                    panic!("expected a Commit");
                };
                other.merge_staged_commit(*staged).unwrap();
            }
        }
        let ProcessedMessage::Commit(staged) = self
            .client
            .process_message(provider(), &mut self.me, bundle.commit, NOW)
            .unwrap()
        else {
            panic!("expected a Commit");
        };
        let epoch = staged.group_context().unwrap().epoch;
        let auth = hex::encode(staged.epoch_authenticator().unwrap());
        self.report(format_args!("epoch {epoch} {auth}"));
        self.client
            .merge_staged_commit(&mut self.me, *staged)
            .unwrap();
        self.report(format_args!("saved {}", self.me.epoch()));
        self.check_agreement();
    }

    /// An application message from another member and one from the persisted member.
    fn messages(&mut self) {
        let i = self.rng.below(self.others.len() as u64) as usize;
        let message = self.others[i]
            .create_application_message(provider(), b"from a member", b"")
            .unwrap();
        for (j, other) in self.others.iter_mut().enumerate() {
            if j != i {
                other
                    .process_message(provider(), message.clone(), NOW)
                    .unwrap();
            }
        }
        let processed = self
            .client
            .process_message(provider(), &mut self.me, message, NOW)
            .unwrap();
        assert!(matches!(processed, ProcessedMessage::Application(_)));
        let message = self
            .client
            .create_application_message(provider(), &mut self.me, b"from the persisted one", b"")
            .unwrap();
        for other in &mut self.others {
            match other
                .process_message(provider(), message.clone(), NOW)
                .unwrap()
            {
                ProcessedMessage::Application(app) => {
                    assert_eq!(app.data, b"from the persisted one")
                }
                _ => panic!("expected application data"),
            }
        }
    }

    /// One random round.
    fn round(&mut self) {
        let own = self.me.own_leaf_index();
        let stale: Vec<LeafIndex> = self
            .me
            .members()
            .map(|(leaf, _)| leaf)
            .filter(|&leaf| leaf != own && !self.others.iter().any(|o| o.own_leaf_index() == leaf))
            .collect();
        if !stale.is_empty() || self.others.len() < 2 {
            let added = 2 + self.rng.below(3) as usize;
            self.commit_by_me(stale, added);
            return;
        }
        match self.rng.below(4) {
            0 => {
                let members = self.others.len() + 1;
                let removed = if self.others.len() > 2 {
                    let i = self.rng.below(self.others.len() as u64) as usize;
                    vec![self.others[i].own_leaf_index()]
                } else {
                    Vec::new()
                };
                let room = MAX_MEMBERS + removed.len() - members;
                let added = (1 + self.rng.below(2) as usize).min(room);
                self.commit_by_me(removed, added);
            }
            1 => self.commit_by_me(Vec::new(), 0),
            2 => self.commit_by_other(),
            _ => self.messages(),
        }
    }
}

/// The child: loads (or creates) the persisted member and runs the group until killed.
fn run_until_killed(db: &Path, seed: u64) -> ! {
    let mut client = Client::new(SqliteStore::open(db).expect("child: open"));
    let mut out = std::io::stdout().lock();
    // End the harness's `test … ... ` line, which has no newline yet.
    writeln!(out).unwrap();
    let me = match client.load_group(GROUP).expect("child: load") {
        Some(mut group) => {
            if group.has_pending_commit() {
                // Never delivered: the previous child died before sending it.
                client
                    .update(&mut group, |g| {
                        g.clear_pending_commit();
                        Ok(())
                    })
                    .unwrap();
            }
            group
        }
        None => {
            let signer = client
                .generate_signer(provider(), SUITE, Credential::basic("persisted"))
                .unwrap();
            let options = CreateOptions {
                group_id: GROUP.to_vec(),
                extensions: Default::default(),
                leaf: LeafNodeOptions::default(),
                lifetime: default_lifetime(NOW),
            };
            let group =
                Group::create(provider(), GroupConfig::default(), SUITE, signer, options).unwrap();
            let auth = hex::encode(group.epoch_authenticator());
            writeln!(out, "epoch 0 {auth}").unwrap();
            out.flush().unwrap();
            client.save_group(&group).unwrap();
            writeln!(out, "saved 0").unwrap();
            out.flush().unwrap();
            group
        }
    };
    let mut run = Run {
        client,
        me,
        others: Vec::new(),
        rng: Rng(seed | 1),
        joined: seed % 1_000_000 * 100,
        out,
    };
    loop {
        run.round();
    }
}

/// Reopens the database after a kill and checks the member is at `saved` or the epoch after
/// it, with the authenticator reported for that epoch. Returns the epoch.
fn check_database(db: &Path, saved: Option<u64>, reported: &HashMap<u64, String>) -> Option<u64> {
    assert_eq!(rusqlite_integrity(db), "ok");
    let client = Client::new(SqliteStore::open(db).unwrap());
    let Some(group) = client.load_group(GROUP).unwrap() else {
        assert_eq!(saved, None, "the group vanished");
        return None;
    };
    let epoch = group.epoch();
    let next = saved.map_or(0, |s| s + 1);
    assert!(
        Some(epoch) == saved || epoch == next,
        "back at epoch {epoch}, but epoch {saved:?} was the last saved"
    );
    let auth = reported
        .get(&epoch)
        .unwrap_or_else(|| panic!("epoch {epoch} was stored before it was reported"));
    assert_eq!(&hex::encode(group.epoch_authenticator()), auth);
    let epochs = client.store().epochs(GROUP).unwrap();
    assert_eq!(epochs.len(), 1, "one epoch row");
    Some(epoch)
}

fn rusqlite_integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// After the last kill: the restored member adds a fresh member, who joins, and they
/// exchange messages.
fn restored_member_interoperates(db: &Path) {
    let mut client = Client::new(SqliteStore::open(db).unwrap());
    let mut me = client.load_group(GROUP).unwrap().unwrap();
    if me.has_pending_commit() {
        client
            .update(&mut me, |g| {
                g.clear_pending_commit();
                Ok(())
            })
            .unwrap();
    }
    let (signer, bundle) = fresh_member("last".into());
    let own = me.own_leaf_index();
    let mut proposals: Vec<Proposal> = me
        .members()
        .map(|(leaf, _)| leaf)
        .filter(|&leaf| leaf != own)
        .map(|removed| Proposal::Remove(Remove { removed }))
        .collect();
    proposals.push(Proposal::Add(Box::new(Add {
        key_package: bundle.key_package().clone(),
    })));
    let options = CommitOptions {
        proposals,
        ..CommitOptions::default()
    };
    let commit = client.commit(provider(), &mut me, options, NOW).unwrap();
    client.merge_pending_commit(&mut me).unwrap();
    let mut joiner = Group::join_from_welcome(
        provider(),
        GroupConfig::default(),
        &welcome_of(commit.welcome),
        &bundle,
        signer,
        JoinOptions::new(NOW),
    )
    .unwrap();
    assert_eq!(joiner.epoch_authenticator(), me.epoch_authenticator());
    let message = client
        .create_application_message(provider(), &mut me, b"hello", b"")
        .unwrap();
    let ProcessedMessage::Application(app) =
        joiner.process_message(provider(), message, NOW).unwrap()
    else {
        panic!("expected application data");
    };
    assert_eq!(app.data, b"hello");
}

#[test]
fn killed_client_comes_back_at_an_old_or_new_epoch() {
    if let Some(db) = env::var_os(CHILD_DB) {
        let seed = env::var(CHILD_SEED).unwrap().parse().unwrap();
        run_until_killed(Path::new(&db), seed);
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("member.db");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let mut saved: Option<u64> = None;
    let mut reported: HashMap<u64, String> = HashMap::new();
    let mut advanced = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(env::current_exe().unwrap())
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &db)
            .env(
                CHILD_SEED,
                (seed ^ round.wrapping_mul(0x9e37_79b9)).to_string(),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wait_for = rng.below(3);
        let mut seen = 0;
        let mut record = |line: &str, saved: &mut Option<u64>| -> bool {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("epoch"), Some(n), Some(auth)) => {
                    reported.insert(n.parse().unwrap(), auth.to_owned());
                    false
                }
                (Some("saved"), Some(n), None) => {
                    *saved = Some(n.parse().unwrap());
                    true
                }
                _ => false,
            }
        };
        while seen < wait_for {
            let Some(line) = lines.next() else { break };
            if record(&line.unwrap(), &mut saved) {
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(15_000)));
        child.kill().unwrap();
        // What the child printed before it died counts too.
        for line in lines {
            record(&line.unwrap(), &mut saved);
        }
        let status = child.wait().unwrap();
        if status.success() || status.code().is_some() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("round {round}: the child exited by itself ({status}): {stderr}");
        }
        let before = saved;
        let at = check_database(&db, saved, &reported);
        if at != before {
            advanced += 1;
        }
        saved = at;
    }
    println!(
        "{ROUNDS} kills, the group reached epoch {saved:?}; {advanced} came back at the epoch \
         after the last saved one"
    );
    assert!(saved.is_some(), "the group was never stored");
    restored_member_interoperates(&db);
}
