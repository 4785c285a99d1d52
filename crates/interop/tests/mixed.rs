//! A group of braid, OpenMLS and mls-rs members at once (issue #5), in suite 1, running random
//! operations from a seeded RNG: Commits by a random member of a random implementation adding
//! members of random implementations, removing members (never the last of an implementation),
//! updating (forced UpdatePath), injecting external PSKs, several of these at once, external
//! joins, and application messages from random senders delivered to everyone out of order.
//! After every epoch every member must agree on the epoch, `epoch_authenticator` (RFC 9420 §8.7)
//! and an exporter value (§8.5).
//!
//! The seed is printed (shown when a test fails, with the log of every step); replay one with
//! `BRAID_INTEROP_SEED=<seed> cargo test -p braid-interop --test mixed <test>`.

mod common;

use braid_interop::{HandshakeWire, Implementation};
use common::{Change, Group, Party};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

/// Epochs each run goes through after the initial three-member group is set up.
const EPOCHS: u64 = 60;
/// The group never grows beyond this many members.
const MAX_MEMBERS: usize = 12;
/// Removals happen only above this many members.
const MIN_MEMBERS: usize = 3;
/// The suite of the mixed group.
const SUITE: u16 = 1;

/// How members send handshakes (§6).
#[derive(Clone, Copy, Debug)]
enum Wires {
    /// Each member picks PrivateMessage or PublicMessage at random.
    Random,
    /// All members send the same format.
    All(HandshakeWire),
}

/// What one epoch's Commit does.
#[derive(Clone, Copy, Debug)]
enum Operation {
    Add,
    Remove,
    Update,
    Psk,
    /// Adds, a removal and a PSK in one Commit.
    Combined,
    ExternalJoin,
}

struct Run {
    rng: StdRng,
    wires: Wires,
    group: Group,
}

impl Run {
    fn new(seed: u64, wires: Wires) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let handshake = pick_handshake(&mut rng, wires);
        let group = Group::create(Implementation::Braid, handshake, SUITE);
        Run { rng, wires, group }
    }

    fn new_party(&mut self, implementation: Implementation) -> Party {
        let handshake = pick_handshake(&mut self.rng, self.wires);
        self.group.new_party(implementation, handshake)
    }

    fn random_party(&mut self) -> Party {
        let implementation = *Implementation::ALL
            .choose(&mut self.rng)
            .expect("ALL is not empty");
        self.new_party(implementation)
    }

    fn random_member(&mut self) -> String {
        self.group
            .names()
            .choose(&mut self.rng)
            .expect("the group is not empty")
            .clone()
    }

    /// A member `committer` may remove: not itself, not the last of its implementation.
    fn removable(&mut self, committer: &str) -> Option<String> {
        let candidates: Vec<String> = self
            .group
            .parties()
            .iter()
            .filter(|p| p.name != committer && self.group.count_of(p.implementation()) > 1)
            .map(|p| p.name.clone())
            .collect();
        candidates.choose(&mut self.rng).cloned()
    }

    fn operation(&mut self) -> Operation {
        let size = self.group.parties().len();
        let mut possible = vec![Operation::Update, Operation::Psk];
        if size < MAX_MEMBERS {
            possible.extend([Operation::Add, Operation::ExternalJoin]);
        }
        if size > MIN_MEMBERS {
            possible.push(Operation::Remove);
        }
        if size > MIN_MEMBERS && size < MAX_MEMBERS {
            possible.push(Operation::Combined);
        }
        *possible
            .choose(&mut self.rng)
            .expect("Update is always possible")
    }

    fn epoch(&mut self) {
        let committer = self.random_member();
        let tree_in_welcome = self.rng.random_bool(0.5);
        match self.operation() {
            Operation::Add => {
                let count = self
                    .rng
                    .random_range(1..=2.min(MAX_MEMBERS - self.group.parties().len()));
                let add = (0..count).map(|_| self.random_party()).collect();
                self.group
                    .commit(&committer, Change::add(add, tree_in_welcome));
            }
            Operation::Remove => match self.removable(&committer) {
                Some(removed) => self.group.commit(&committer, Change::remove(&[&removed])),
                None => self.group.commit(&committer, Change::update()),
            },
            Operation::Update => self.group.commit(&committer, Change::update()),
            Operation::Psk => {
                let change = Change {
                    psks: self.rng.random_range(1..=2),
                    force_path: self.rng.random_bool(0.5),
                    ..Change::default()
                };
                self.group.commit(&committer, change);
            }
            Operation::Combined => {
                let change = Change {
                    add: vec![self.random_party()],
                    remove: self.removable(&committer).into_iter().collect(),
                    psks: 1,
                    force_path: self.rng.random_bool(0.5),
                    tree_in_welcome,
                };
                self.group.commit(&committer, change);
            }
            Operation::ExternalJoin => {
                let joiner = self.random_party();
                let with_tree = self.rng.random_bool(0.5);
                self.group.external_join(joiner, &committer, with_tree);
            }
        }
        for _ in 0..self.rng.random_range(1..=2) {
            let sender = self.random_member();
            let mut order: Vec<usize> = (0..self.rng.random_range(1..=3)).collect();
            order.shuffle(&mut self.rng);
            self.group.exchange(&sender, &order);
        }
    }
}

fn pick_handshake(rng: &mut StdRng, wires: Wires) -> HandshakeWire {
    match wires {
        Wires::All(handshake) => handshake,
        Wires::Random if rng.random_bool(0.5) => HandshakeWire::Ciphertext,
        Wires::Random => HandshakeWire::Plaintext,
    }
}

/// Runs [`EPOCHS`] random epochs from `seed` (or from `BRAID_INTEROP_SEED`).
fn run(seed: u64, wires: Wires) {
    let seed = match std::env::var("BRAID_INTEROP_SEED") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("BRAID_INTEROP_SEED={value:?} is not a u64")),
        Err(_) => seed,
    };
    eprintln!("seed {seed}, handshakes {wires:?}");
    let mut run = Run::new(seed, wires);
    // braid creates the group and adds one member of each other implementation.
    let creator = run.random_member();
    for implementation in [Implementation::OpenMls, Implementation::MlsRs] {
        let party = run.new_party(implementation);
        run.group.commit(&creator, Change::add(vec![party], true));
    }
    let start = run.group.epoch();
    while run.group.epoch() < start + EPOCHS {
        run.epoch();
    }
    for implementation in Implementation::ALL {
        assert!(
            run.group.count_of(implementation) > 0,
            "no {implementation} member left"
        );
    }
    eprintln!(
        "seed {seed}: {} epochs, {} members at the end",
        EPOCHS,
        run.group.parties().len()
    );
}

#[test]
fn random_handshake_formats() {
    run(0x5eed_0001, Wires::Random);
}

#[test]
fn all_handshakes_private() {
    run(0x5eed_0002, Wires::All(HandshakeWire::Ciphertext));
}

#[test]
fn all_handshakes_public() {
    run(0x5eed_0003, Wires::All(HandshakeWire::Plaintext));
}
