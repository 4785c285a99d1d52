//! `braid demo`: one group of N members through a few dozen epochs of mixed operations (RFC 9420
//! §12 Adds, Removes, Updates, path updates; §15 application messages), every member processing
//! every message, with per-operation timings.
//!
//! Member 0, the creator, is persisted through [`braid_client::Client`] (in SQLite with
//! `--db`, in memory otherwise): every change to its state is stored in one transaction
//! before the next step. The other members live in memory and process each message in
//! parallel (rayon). After every epoch all members must agree on the `epoch_authenticator`
//! (§8.7); the demo fails at the first disagreement.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use braid_client::Client;
use braid_crypto::{CipherSuite, CryptoProvider};
use braid_mls::group::{
    default_lifetime, CommitBundle, CommitOptions, CreateOptions, Group, GroupConfig, GroupError,
    JoinOptions, KeyPackageBundle, KeyPackageOptions, LeafNodeOptions, ProcessedMessage, Signer,
};
use braid_mls::messages::{Add, Credential, MlsMessage, MlsMessageBody, Proposal, Remove, Welcome};
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;
use braid_storage::GroupStore;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// The demo's errors: anything that failed, with what was being done.
pub type DemoError = Box<dyn std::error::Error + Send + Sync>;

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
static PROVIDER: DefaultProvider = DefaultProvider::new();

fn provider() -> &'static dyn CryptoProvider {
    &PROVIDER
}

/// The seconds since the Unix epoch (the CLI may read the clock; the MLS core never does).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// xorshift64: pseudo-random and reproducible from its seed (which the demo prints).
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// Count, total and maximum of one operation's durations.
#[derive(Default, Clone, Copy)]
struct Stat {
    count: u32,
    total: Duration,
    max: Duration,
}

impl Stat {
    fn add(&mut self, d: Duration) {
        self.count += 1;
        self.total += d;
        self.max = self.max.max(d);
    }
}

/// Durations by operation, printed in a fixed order.
#[derive(Default)]
pub struct Timings(BTreeMap<Op, Stat>);

/// The operations timed, in the order they are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    InitialCommit,
    Join,
    CommitCreate,
    CommitProcess,
    CommitProcessPersisted,
    ProposalCreate,
    ProposalProcess,
    MessageEncrypt,
    MessageDecrypt,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::InitialCommit => "commit adding everyone (create)",
            Op::Join => "join from Welcome",
            Op::CommitCreate => "commit: create",
            Op::CommitProcess => "commit: process + merge, per member",
            Op::CommitProcessPersisted => "commit: process + merge + store (member 0)",
            Op::ProposalCreate => "proposal: create",
            Op::ProposalProcess => "proposal: process, per member",
            Op::MessageEncrypt => "message: encrypt",
            Op::MessageDecrypt => "message: decrypt, per member",
        }
    }
}

impl Timings {
    fn add(&mut self, op: Op, d: Duration) {
        self.0.entry(op).or_default().add(d);
    }
}

impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<44} {:>8} {:>12} {:>12}",
            "operation", "count", "mean", "max"
        )?;
        for (op, stat) in &self.0 {
            let mean = stat.total / stat.count.max(1);
            writeln!(
                f,
                "{:<44} {:>8} {:>12} {:>12}",
                op.label(),
                stat.count,
                format!("{mean:.2?}"),
                format!("{:.2?}", stat.max)
            )?;
        }
        Ok(())
    }
}

/// What `braid demo` does.
pub struct DemoOptions {
    /// Members after creation.
    pub members: usize,
    /// Epochs after creation (one membership or key change each).
    pub epochs: usize,
    /// Application messages per epoch.
    pub messages: usize,
    /// The random seed.
    pub seed: u64,
    /// Whether to draw progress bars.
    pub progress: bool,
}

/// What a finished demo reports.
pub struct DemoReport {
    /// The timings by operation.
    pub timings: Timings,
    /// Members at the end.
    pub members: usize,
    /// The epoch at the end.
    pub epoch: u64,
    /// The stored state of member 0, in bytes.
    pub persisted_state: usize,
}

/// Who acts: the persisted member 0 or the in-memory member at an index of `members`.
#[derive(Clone, Copy)]
enum Who {
    Persisted,
    Member(usize),
}

struct Demo<S> {
    client: Client<S>,
    /// Member 0, stored after every change.
    persisted: Group,
    /// The other members.
    members: Vec<Group>,
    timings: Timings,
    rng: Rng,
    next_name: usize,
    now: u64,
}

/// A fresh client's signer and KeyPackage.
fn new_member(name: usize, now: u64) -> Result<(Signer, KeyPackageBundle), GroupError> {
    let signer = Signer::generate(
        provider(),
        SUITE,
        Credential::basic(format!("member {name}")),
    )?;
    let bundle =
        KeyPackageBundle::create(provider(), SUITE, &signer, &KeyPackageOptions::new(now))?;
    Ok((signer, bundle))
}

fn welcome_of(bundle: CommitBundle) -> Result<Welcome, DemoError> {
    match bundle.welcome.map(|m| m.body) {
        Some(MlsMessageBody::Welcome(welcome)) => Ok(welcome),
        _ => Err("a Commit with Adds came without a Welcome".into()),
    }
}

/// Processes `message` in `group`, merging it if it is a Commit.
fn receive(group: &mut Group, message: MlsMessage, now: u64) -> Result<(), GroupError> {
    match group.process_message(provider(), message, now)? {
        ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged),
        _ => Ok(()),
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn bar(progress: bool, len: usize, message: &'static str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64).with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{msg:>22} [{bar:40}] {pos}/{len} {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs the demo with member 0 persisted in `store`.
pub fn run<S: GroupStore + Send>(store: S, options: &DemoOptions) -> Result<DemoReport, DemoError>
where
    Client<S>: Send,
{
    if options.members < 2 {
        return Err("a demo group needs at least 2 members".into());
    }
    let now = unix_now();
    let mut client = Client::new(store);
    let signer = client.generate_signer(provider(), SUITE, Credential::basic("member 0"))?;
    let rng = Rng::new(options.seed);
    let group_id = format!("braid demo {:016x}", rng.0).into_bytes();
    let persisted = client.create_group(
        provider(),
        GroupConfig::default(),
        SUITE,
        signer,
        CreateOptions {
            group_id,
            extensions: Default::default(),
            leaf: LeafNodeOptions::default(),
            lifetime: default_lifetime(now),
        },
    )?;
    let mut demo = Demo {
        client,
        persisted,
        members: Vec::new(),
        timings: Timings::default(),
        rng,
        next_name: 1,
        now,
    };
    demo.add_everyone(options.members - 1, options.progress)?;
    tracing::info!(members = options.members, "group created");
    let progress = bar(options.progress, options.epochs, "epochs");
    for _ in 0..options.epochs {
        demo.epoch(options.members)?;
        for _ in 0..options.messages {
            demo.message()?;
        }
        demo.check_agreement()?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let persisted_state = demo
        .client
        .stored_state_size(demo.persisted.group_id())?
        .unwrap_or_default();
    Ok(DemoReport {
        members: demo.members.len() + 1,
        epoch: demo.persisted.epoch(),
        timings: demo.timings,
        persisted_state,
    })
}

impl<S: GroupStore + Send> Demo<S>
where
    Client<S>: Send,
{
    /// Runs `operation` as `who`: through the client (stored) for member 0.
    fn act<T>(
        &mut self,
        who: Who,
        operation: impl FnOnce(&mut Group) -> Result<T, GroupError>,
    ) -> Result<T, DemoError> {
        match who {
            Who::Persisted => Ok(self.client.update(&mut self.persisted, operation)?),
            Who::Member(i) => {
                let group = self.members.get_mut(i).ok_or("no such member")?;
                Ok(operation(group)?)
            }
        }
    }

    fn group(&self, who: Who) -> &Group {
        match who {
            Who::Persisted => &self.persisted,
            Who::Member(i) => &self.members[i],
        }
    }

    fn random_member(&mut self) -> Who {
        match self.rng.below(self.members.len() + 1) {
            0 => Who::Persisted,
            i => Who::Member(i - 1),
        }
    }

    /// Delivers `message` to every member but the one at leaf `sender`, in parallel, timing
    /// each as `op` (and member 0's as `persisted_op`).
    fn deliver(
        &mut self,
        message: &MlsMessage,
        sender: LeafIndex,
        op: Op,
        persisted_op: Op,
    ) -> Result<(), DemoError> {
        let now = self.now;
        let Self {
            client,
            persisted,
            members,
            ..
        } = self;
        let (persisted_result, results) = rayon::join(
            || {
                (persisted.own_leaf_index() != sender).then(|| {
                    timed(|| client.update(persisted, |g| receive(g, message.clone(), now)))
                })
            },
            || {
                members
                    .par_iter_mut()
                    .filter(|g| g.own_leaf_index() != sender)
                    .map(|g| timed(|| receive(g, message.clone(), now)))
                    .collect::<Vec<_>>()
            },
        );
        if let Some((result, d)) = persisted_result {
            result?;
            self.timings.add(persisted_op, d);
        }
        for (result, d) in results {
            result?;
            self.timings.add(op, d);
        }
        Ok(())
    }

    /// Member 0 adds `count` members in one Commit; they join from the Welcome in parallel.
    fn add_everyone(&mut self, count: usize, progress: bool) -> Result<(), DemoError> {
        let now = self.now;
        let fresh: Vec<(Signer, KeyPackageBundle)> = (1..=count)
            .into_par_iter()
            .map(|name| new_member(name, now))
            .collect::<Result<_, _>>()?;
        self.next_name = count + 1;
        let proposals = fresh
            .iter()
            .map(|(_, kp)| {
                Proposal::Add(Box::new(Add {
                    key_package: kp.key_package().clone(),
                }))
            })
            .collect();
        let options = CommitOptions {
            proposals,
            ..CommitOptions::default()
        };
        let (bundle, d) = timed(|| {
            self.client
                .commit(provider(), &mut self.persisted, options, now)
        });
        self.timings.add(Op::InitialCommit, d);
        let bundle = bundle?;
        self.client.merge_pending_commit(&mut self.persisted)?;
        let welcome = welcome_of(bundle)?;
        let progress = bar(progress, count, "joining");
        let joined: Vec<(Result<Group, GroupError>, Duration)> = fresh
            .into_par_iter()
            .map(|(signer, kp)| {
                let joined = timed(|| {
                    Group::join_from_welcome(
                        provider(),
                        GroupConfig::default(),
                        &welcome,
                        &kp,
                        signer,
                        JoinOptions::new(now),
                    )
                });
                progress.inc(1);
                joined
            })
            .collect();
        progress.finish_and_clear();
        for (group, d) in joined {
            self.members.push(group?);
            self.timings.add(Op::Join, d);
        }
        self.check_agreement()
    }

    /// A Commit by `committer` with `options`, delivered to everyone; returns the Welcome.
    fn commit(
        &mut self,
        committer: Who,
        options: CommitOptions,
        removed: &[LeafIndex],
    ) -> Result<Option<Welcome>, DemoError> {
        let now = self.now;
        let (bundle, d) = timed(|| self.act(committer, |g| g.commit(provider(), options, now)));
        self.timings.add(Op::CommitCreate, d);
        let bundle = bundle?;
        self.act(committer, Group::merge_pending_commit)?;
        let sender = self.group(committer).own_leaf_index();
        // The removed members leave (they would only learn that they were removed).
        self.members
            .retain(|g| !removed.contains(&g.own_leaf_index()));
        self.deliver(
            &bundle.commit,
            sender,
            Op::CommitProcess,
            Op::CommitProcessPersisted,
        )?;
        Ok(match bundle.welcome {
            Some(_) => Some(welcome_of(bundle)?),
            None => None,
        })
    }

    /// One epoch: a random Add, Remove, Update proposal committed by another member, or path
    /// update, keeping the group near `target` members.
    fn epoch(&mut self, target: usize) -> Result<(), DemoError> {
        let size = self.members.len() + 1;
        let choice = match self.rng.below(4) {
            0 if size > target + 2 => 1,
            1 if size < 4 || size + 2 < target => 0,
            other => other,
        };
        let committer = self.random_member();
        match choice {
            0 => self.add(committer),
            1 => self.remove(committer),
            2 => self.update_proposal(committer),
            _ => {
                tracing::debug!("path update");
                self.commit(committer, CommitOptions::default(), &[])
                    .map(drop)
            }
        }
    }

    fn add(&mut self, committer: Who) -> Result<(), DemoError> {
        let count = 1 + self.rng.below(3);
        tracing::debug!(count, "adding members");
        let now = self.now;
        let fresh: Vec<(Signer, KeyPackageBundle)> = (0..count)
            .map(|i| new_member(self.next_name + i, now))
            .collect::<Result<_, _>>()?;
        self.next_name += count;
        let proposals = fresh
            .iter()
            .map(|(_, kp)| {
                Proposal::Add(Box::new(Add {
                    key_package: kp.key_package().clone(),
                }))
            })
            .collect();
        let options = CommitOptions {
            proposals,
            ..CommitOptions::default()
        };
        let welcome = self
            .commit(committer, options, &[])?
            .ok_or("a Commit with Adds came without a Welcome")?;
        for (signer, kp) in fresh {
            let (group, d) = timed(|| {
                Group::join_from_welcome(
                    provider(),
                    GroupConfig::default(),
                    &welcome,
                    &kp,
                    signer,
                    JoinOptions::new(now),
                )
            });
            self.members.push(group?);
            self.timings.add(Op::Join, d);
        }
        Ok(())
    }

    fn remove(&mut self, committer: Who) -> Result<(), DemoError> {
        let committer_leaf = self.group(committer).own_leaf_index();
        let mut removed: Vec<LeafIndex> = Vec::new();
        let count = 1 + self.rng.below(3);
        for _ in 0..count {
            let i = self.rng.below(self.members.len());
            let leaf = self.members[i].own_leaf_index();
            if leaf != committer_leaf && !removed.contains(&leaf) {
                removed.push(leaf);
            }
        }
        tracing::debug!(count = removed.len(), "removing members");
        let proposals = removed
            .iter()
            .map(|&leaf| Proposal::Remove(Remove { removed: leaf }))
            .collect();
        let options = CommitOptions {
            proposals,
            ..CommitOptions::default()
        };
        self.commit(committer, options, &removed).map(drop)
    }

    /// A member proposes an Update; everyone stores it; `committer` commits it.
    fn update_proposal(&mut self, committer: Who) -> Result<(), DemoError> {
        let committer_leaf = self.group(committer).own_leaf_index();
        let proposer = loop {
            let who = self.random_member();
            if self.group(who).own_leaf_index() != committer_leaf {
                break who;
            }
        };
        tracing::debug!("update proposal");
        let (proposal, d) = timed(|| self.act(proposer, |g| g.propose_update(provider(), None)));
        self.timings.add(Op::ProposalCreate, d);
        let sender = self.group(proposer).own_leaf_index();
        self.deliver(&proposal?, sender, Op::ProposalProcess, Op::ProposalProcess)?;
        self.commit(committer, CommitOptions::default(), &[])
            .map(drop)
    }

    /// A random member sends an application message; everyone else decrypts it.
    fn message(&mut self) -> Result<(), DemoError> {
        let sender = self.random_member();
        let (message, d) = timed(|| {
            self.act(sender, |g| {
                g.create_application_message(provider(), b"hello from braid demo", b"")
            })
        });
        self.timings.add(Op::MessageEncrypt, d);
        let leaf = self.group(sender).own_leaf_index();
        self.deliver(&message?, leaf, Op::MessageDecrypt, Op::MessageDecrypt)
    }

    /// Fails unless every member is in member 0's epoch with its epoch authenticator.
    fn check_agreement(&self) -> Result<(), DemoError> {
        let epoch = self.persisted.epoch();
        let expected = self.persisted.epoch_authenticator();
        for group in &self.members {
            if group.epoch() != epoch || group.epoch_authenticator() != expected {
                return Err(format!(
                    "member at leaf {} disagrees in epoch {epoch}: epoch {}, authenticator {}",
                    group.own_leaf_index().0,
                    group.epoch(),
                    hex::encode(group.epoch_authenticator())
                )
                .into());
            }
        }
        tracing::info!(
            epoch,
            members = self.members.len() + 1,
            authenticator = %hex::encode(expected),
            "all members agree"
        );
        Ok(())
    }
}
