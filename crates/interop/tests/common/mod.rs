//! The harness shared by the interop tests: a group whose members may be of any implementation,
//! driven through the `Member` trait only, with a delivery service that fans every message out
//! to every other member, and the agreement check of RFC 9420 §8.5 (exporter) and §8.7
//! (`epoch_authenticator`) run after every epoch.
//!
//! Every step is logged to stderr (shown by the test harness only when a test fails), and every
//! failure names the epoch, the members involved and the implementation's error.

// Each test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use braid_interop::{
    CommitRequest, Error, HandshakeWire, Implementation, Member, MemberConfig, Received,
};

/// The group id of every test group.
const GROUP_ID: &[u8] = b"braid interop group";
/// The exporter label compared after every epoch.
const EXPORTER_LABEL: &str = "braid interop";
/// The exporter context compared after every epoch.
const EXPORTER_CONTEXT: &[u8] = b"agreement";
/// The exporter output length compared after every epoch.
const EXPORTER_LENGTH: usize = 32;

/// The value of `result`, or a panic naming what was being done.
pub fn ok<T>(result: Result<T, Error>, what: impl FnOnce() -> String) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{}: {error}", what()),
    }
}

/// One member, with a name for the logs (`<implementation>#<n>`).
pub struct Party {
    /// Unique within the group's life.
    pub name: String,
    /// The member.
    pub member: Box<dyn Member>,
    /// How the member sends handshake messages.
    pub handshake: HandshakeWire,
}

impl Party {
    /// The member's implementation.
    pub fn implementation(&self) -> Implementation {
        self.member.implementation()
    }
}

/// What one Commit does. Members are named by [`Party::name`].
#[derive(Default)]
pub struct Change {
    /// New members, added from fresh KeyPackages.
    pub add: Vec<Party>,
    /// Members to remove.
    pub remove: Vec<String>,
    /// How many fresh external PSKs to inject (stored with every member and joiner first).
    pub psks: usize,
    /// Send an UpdatePath even when the proposals do not require one.
    pub force_path: bool,
    /// Put the ratchet tree into the Welcome (otherwise joiners get it out of band).
    pub tree_in_welcome: bool,
}

impl Change {
    /// A Commit with only an UpdatePath (a full update of the committer's path).
    pub fn update() -> Self {
        Change {
            force_path: true,
            ..Change::default()
        }
    }

    /// A Commit adding `parties`.
    pub fn add(parties: Vec<Party>, tree_in_welcome: bool) -> Self {
        Change {
            add: parties,
            tree_in_welcome,
            ..Change::default()
        }
    }

    /// A Commit removing the members named `names`.
    pub fn remove(names: &[&str]) -> Self {
        Change {
            remove: names.iter().map(|name| name.to_string()).collect(),
            ..Change::default()
        }
    }

    /// A Commit injecting `count` fresh external PSKs.
    pub fn psks(count: usize) -> Self {
        Change {
            psks: count,
            ..Change::default()
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.add.is_empty() {
            let names: Vec<&str> = self.add.iter().map(|p| p.name.as_str()).collect();
            let tree = if self.tree_in_welcome {
                "tree in Welcome"
            } else {
                "tree out of band"
            };
            parts.push(format!("add {names:?} ({tree})"));
        }
        if !self.remove.is_empty() {
            parts.push(format!("remove {:?}", self.remove));
        }
        if self.psks > 0 {
            parts.push(format!("{} external PSK(s)", self.psks));
        }
        if self.force_path {
            parts.push("forced UpdatePath".to_string());
        }
        parts.join(", ")
    }
}

/// A group and the members currently in it.
pub struct Group {
    suite: u16,
    parties: Vec<Party>,
    /// Members created so far (for unique names).
    created: usize,
    /// External PSKs created so far (for unique ids).
    psk_ids: usize,
}

impl Group {
    /// A new group in `suite`, created by a new member of `creator` sending handshakes as
    /// `handshake`.
    pub fn create(creator: Implementation, handshake: HandshakeWire, suite: u16) -> Self {
        let mut group = Group {
            suite,
            parties: Vec::new(),
            created: 0,
            psk_ids: 0,
        };
        let mut party = group.new_party(creator, handshake);
        eprintln!("{} creates the group in suite {suite}", party.name);
        ok(party.member.create_group(GROUP_ID), || {
            format!("{} creating a group in suite {suite}", party.name)
        });
        group.parties.push(party);
        group.check();
        group
    }

    /// A new member (not yet in the group) of `implementation` in the group's suite.
    pub fn new_party(&mut self, implementation: Implementation, handshake: HandshakeWire) -> Party {
        let name = format!("{implementation}#{}", self.created);
        self.created += 1;
        let mut config = MemberConfig::new(self.suite, name.as_bytes());
        config.handshake = handshake;
        let member = ok(implementation.member(&config), || {
            format!("creating {name} ({handshake:?} handshakes)")
        });
        Party {
            name,
            member,
            handshake,
        }
    }

    /// The members, in the order they joined.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The member named `name`.
    pub fn party_mut(&mut self, name: &str) -> &mut Party {
        let at = self.position(name);
        &mut self.parties[at]
    }

    /// The names of the members, in the order they joined.
    pub fn names(&self) -> Vec<String> {
        self.parties.iter().map(|p| p.name.clone()).collect()
    }

    /// The current epoch (all members agree, see [`Group::check`]).
    pub fn epoch(&self) -> u64 {
        self.parties.first().map_or(0, |p| p.member.epoch())
    }

    /// How many members `implementation` has in the group.
    pub fn count_of(&self, implementation: Implementation) -> usize {
        self.parties
            .iter()
            .filter(|p| p.implementation() == implementation)
            .count()
    }

    /// The name of the member in the highest leaf (removing it may truncate the tree, §7.7).
    pub fn highest_leaf(&self) -> String {
        self.parties
            .iter()
            .max_by_key(|p| p.member.own_leaf_index())
            .map(|p| p.name.clone())
            .expect("a group has at least one member")
    }

    fn position(&self, name: &str) -> usize {
        self.parties
            .iter()
            .position(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the group"))
    }

    /// `committer` commits `change`; every other member (including removed ones) processes the
    /// Commit, the joiners join from the Welcome, and the agreement check runs.
    pub fn commit(&mut self, committer: &str, change: Change) {
        let epoch = self.epoch();
        let description = change.describe();
        eprintln!("epoch {epoch}: {committer} commits {description}");
        let removed_leaves: Vec<u32> = change
            .remove
            .iter()
            .map(|name| self.parties[self.position(name)].member.own_leaf_index())
            .collect();
        let mut joiners = change.add;
        let key_packages: Vec<Vec<u8>> = joiners
            .iter_mut()
            .map(|joiner| {
                let key_package = ok(joiner.member.key_package(), || {
                    format!("epoch {epoch}: {} making a KeyPackage", joiner.name)
                });
                assert_wire_format(&key_package, WireFormat::KeyPackage, &joiner.name);
                key_package
            })
            .collect();
        let external_psks: Vec<Vec<u8>> = (0..change.psks).map(|_| self.fresh_psk()).collect();
        for id in &external_psks {
            let secret = psk_secret(id);
            for party in self.parties.iter_mut().chain(joiners.iter_mut()) {
                ok(party.member.store_external_psk(id, &secret), || {
                    format!("{} storing external PSK {id:?}", party.name)
                });
            }
        }
        let request = CommitRequest {
            add: key_packages,
            remove: removed_leaves,
            external_psks,
            force_path: change.force_path,
            tree_in_welcome: change.tree_in_welcome,
        };

        let at = self.position(committer);
        let output = ok(self.parties[at].member.commit(&request), || {
            format!("epoch {epoch}: {committer} committing {description}")
        });
        let handshake = WireFormat::handshake(self.parties[at].handshake);
        assert_wire_format(&output.commit, handshake, committer);
        ok(self.parties[at].member.merge_pending_commit(), || {
            format!("epoch {epoch}: {committer} merging its own Commit")
        });
        self.deliver_commit(Some(at), &output.commit, epoch);
        self.parties.retain(|p| !change.remove.contains(&p.name));

        match (joiners.is_empty(), output.welcome) {
            (true, None) => {}
            (true, Some(_)) => panic!("epoch {epoch}: {committer} made a Welcome without adds"),
            (false, None) => panic!("epoch {epoch}: {committer} added members but made no Welcome"),
            (false, Some(welcome)) => {
                assert_wire_format(&welcome, WireFormat::Welcome, committer);
                let at = self.position(committer);
                let tree = (!change.tree_in_welcome).then(|| {
                    ok(self.parties[at].member.ratchet_tree(), || {
                        format!(
                            "epoch {}: {committer} exporting its ratchet tree",
                            epoch + 1
                        )
                    })
                });
                for mut joiner in joiners {
                    if tree.is_some() {
                        assert_needs_tree(&joiner, |probe| probe.join(&welcome, None), "Welcome");
                    }
                    ok(joiner.member.join(&welcome, tree.as_deref()), || {
                        format!(
                            "epoch {}: {} joining from {committer}'s Welcome ({})",
                            epoch + 1,
                            joiner.name,
                            if tree.is_some() {
                                "tree out of band"
                            } else {
                                "tree in Welcome"
                            }
                        )
                    });
                    self.parties.push(joiner);
                }
            }
        }
        self.check();
    }

    /// `joiner` joins by an external Commit from the GroupInfo of `from` (with the tree inside
    /// it, or out of band); every member processes the Commit, and the agreement check runs.
    pub fn external_join(&mut self, mut joiner: Party, from: &str, with_tree: bool) {
        let epoch = self.epoch();
        let tree_mode = if with_tree {
            "tree in GroupInfo"
        } else {
            "tree out of band"
        };
        eprintln!(
            "epoch {epoch}: {} joins externally from {from}'s GroupInfo ({tree_mode})",
            joiner.name
        );
        let at = self.position(from);
        let group_info = ok(self.parties[at].member.group_info(with_tree), || {
            format!("epoch {epoch}: {from} exporting a GroupInfo")
        });
        assert_wire_format(&group_info, WireFormat::GroupInfo, from);
        let tree = (!with_tree).then(|| {
            ok(self.parties[at].member.ratchet_tree(), || {
                format!("epoch {epoch}: {from} exporting its ratchet tree")
            })
        });
        if tree.is_some() {
            assert_needs_tree(
                &joiner,
                |probe| probe.join_external(&group_info, None).map(drop),
                "GroupInfo",
            );
        }
        let commit = ok(
            joiner.member.join_external(&group_info, tree.as_deref()),
            || {
                format!(
                    "epoch {epoch}: {} joining externally from {from}'s GroupInfo ({tree_mode})",
                    joiner.name
                )
            },
        );
        // External Commits are always PublicMessages (§12.4.3.2).
        assert_wire_format(&commit, WireFormat::PublicMessage, &joiner.name);
        self.deliver_commit(None, &commit, epoch);
        self.parties.push(joiner);
        self.check();
    }

    /// Every member but `sender` processes `commit`.
    fn deliver_commit(&mut self, sender: Option<usize>, commit: &[u8], epoch: u64) {
        let from = sender.map_or("an external joiner", |at| self.parties[at].name.as_str());
        let from = from.to_string();
        for (i, party) in self.parties.iter_mut().enumerate() {
            if Some(i) == sender {
                continue;
            }
            let received = ok(party.member.process(commit), || {
                format!(
                    "epoch {epoch}: {} processing the Commit of {from}",
                    party.name
                )
            });
            assert_eq!(
                received,
                Received::Commit,
                "epoch {epoch}: {} processing the Commit of {from}",
                party.name
            );
        }
    }

    /// `sender` encrypts `order.len()` application messages; every other member gets them in
    /// `order` (a permutation of `0..order.len()`, so out of order unless ascending).
    pub fn exchange(&mut self, sender: &str, order: &[usize]) {
        let epoch = self.epoch();
        eprintln!(
            "epoch {epoch}: {sender} sends {} messages, delivered as {order:?}",
            order.len()
        );
        let at = self.position(sender);
        let messages: Vec<(Vec<u8>, Vec<u8>)> = (0..order.len())
            .map(|n| {
                let data = format!("{sender}: message {n} of epoch {epoch}").into_bytes();
                let message = ok(self.parties[at].member.send(&data), || {
                    format!("epoch {epoch}: {sender} encrypting message {n}")
                });
                assert_wire_format(&message, WireFormat::PrivateMessage, sender);
                (data, message)
            })
            .collect();
        for (i, party) in self.parties.iter_mut().enumerate() {
            if i == at {
                continue;
            }
            for &n in order {
                let (data, message) = &messages[n];
                let received = ok(party.member.process(message), || {
                    format!(
                        "epoch {epoch}: {} processing message {n} of {sender}",
                        party.name
                    )
                });
                assert_eq!(
                    received,
                    Received::Application(data.clone()),
                    "epoch {epoch}: {} processing message {n} of {sender}",
                    party.name
                );
            }
        }
    }

    /// Every member sends `count` messages, delivered to the others in reverse order.
    pub fn everyone_sends(&mut self, count: usize) {
        let reversed: Vec<usize> = (0..count).rev().collect();
        for name in self.names() {
            self.exchange(&name, &reversed);
        }
    }

    /// Asserts that every member is in the same epoch with the same `epoch_authenticator`
    /// (§8.7), the same exporter value (§8.5) and the same membership, and that the membership
    /// is exactly the group's members' own leaves.
    pub fn check(&self) {
        let views: Vec<View> = self.parties.iter().map(View::of).collect();
        let table = || {
            self.parties
                .iter()
                .zip(&views)
                .map(|(party, view)| {
                    format!(
                        "\n  {:<12} leaf {:>2} epoch {} authenticator {} exporter {} members {:?}",
                        party.name,
                        party.member.own_leaf_index(),
                        view.epoch,
                        hex::encode(&view.epoch_authenticator),
                        hex::encode(&view.exported),
                        view.members,
                    )
                })
                .collect::<String>()
        };
        let first = &views[0];
        for view in &views[1..] {
            assert!(
                view.epoch == first.epoch,
                "members disagree on the epoch:{}",
                table()
            );
            assert!(
                view.epoch_authenticator == first.epoch_authenticator,
                "members disagree on the epoch_authenticator:{}",
                table()
            );
            assert!(
                view.exported == first.exported,
                "members disagree on the exporter value:{}",
                table()
            );
            assert!(
                view.members == first.members,
                "members disagree on the membership:{}",
                table()
            );
        }
        let mut leaves: Vec<u32> = self
            .parties
            .iter()
            .map(|p| p.member.own_leaf_index())
            .collect();
        leaves.sort_unstable();
        assert!(
            leaves == first.members,
            "the members' own leaves {leaves:?} are not the membership:{}",
            table()
        );
        assert_eq!(
            first.epoch_authenticator.len(),
            self.hash_length(),
            "epoch_authenticator length"
        );
    }

    /// `Nh` of the group's suite (the `epoch_authenticator` length, §8).
    fn hash_length(&self) -> usize {
        match self.suite {
            1..=3 => 32,
            4..=6 => 64,
            7 => 48,
            other => panic!("no hash length known for suite {other}"),
        }
    }

    fn fresh_psk(&mut self) -> Vec<u8> {
        self.psk_ids += 1;
        format!("external psk {}", self.psk_ids).into_bytes()
    }
}

/// What one member says about the current epoch.
struct View {
    epoch: u64,
    epoch_authenticator: Vec<u8>,
    exported: Vec<u8>,
    members: Vec<u32>,
}

impl View {
    fn of(party: &Party) -> View {
        let member = &party.member;
        View {
            epoch: member.epoch(),
            epoch_authenticator: ok(member.epoch_authenticator(), || {
                format!("{} giving its epoch_authenticator", party.name)
            }),
            exported: ok(
                member.export(EXPORTER_LABEL, EXPORTER_CONTEXT, EXPORTER_LENGTH),
                || format!("{} exporting a secret", party.name),
            ),
            members: member.members(),
        }
    }
}

/// The secret of the external PSK `id`: 32 bytes that depend on the id.
fn psk_secret(id: &[u8]) -> Vec<u8> {
    let mut secret = vec![0x5a; 32];
    for (i, byte) in id.iter().enumerate() {
        secret[i % 32] ^= byte;
    }
    secret
}

/// The `wire_format` code points of RFC 9420 §6 (Table 4 of §17.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    /// `mls_public_message`.
    PublicMessage = 1,
    /// `mls_private_message`.
    PrivateMessage = 2,
    /// `mls_welcome`.
    Welcome = 3,
    /// `mls_group_info`.
    GroupInfo = 4,
    /// `mls_key_package`.
    KeyPackage = 5,
}

impl WireFormat {
    /// The format of handshakes sent as `handshake`.
    fn handshake(handshake: HandshakeWire) -> Self {
        match handshake {
            HandshakeWire::Plaintext => WireFormat::PublicMessage,
            HandshakeWire::Ciphertext => WireFormat::PrivateMessage,
        }
    }
}

/// Asserts that `message`, made by `by`, is an `MLSMessage` of version `mls10` (1) and
/// `expected` wire format (§6: `version` and `wire_format` are its first two `uint16`s).
pub fn assert_wire_format(message: &[u8], expected: WireFormat, by: &str) {
    let field = |at: usize| {
        message
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    assert_eq!(
        field(0),
        Some(1),
        "{by} made an MLSMessage whose version is not mls10"
    );
    assert_eq!(
        field(2),
        Some(expected as u16),
        "{by} made an MLSMessage of wire_format {:?}, expected {expected:?}",
        field(2)
    );
}

/// Asserts that a copy of `joiner` cannot join from the `what` alone, without the tree out of
/// band: the tree really is not in it, so the out-of-band path is the one exercised.
fn assert_needs_tree(
    joiner: &Party,
    join: impl FnOnce(&mut dyn Member) -> Result<(), Error>,
    what: &str,
) {
    let mut probe = ok(joiner.member.fork(), || format!("forking {}", joiner.name));
    assert!(
        join(probe.as_mut()).is_err(),
        "{} joined from a {what} without a tree out of band, although the tree was not to be in it",
        joiner.name
    );
}
