//! Two-implementation interop (issue #5): for every ordered pair (creator, peer) of different
//! implementations, every cipher suite both support and three handshake wire formats, the
//! scenarios below run with members of both implementations, and after every epoch all
//! members must agree on the epoch, the `epoch_authenticator` (RFC 9420 §8.7) and an exporter
//! value (§8.5).
//!
//! Tests are named `<creator>_<peer>::s<suite>::<wire>::<scenario>`, e.g.
//! `cargo test -p braid-interop --test pairs braid_openmls::s1::public::psk`.

mod common;

use braid_interop::CommitRequest;
use braid_interop::{HandshakeWire, Implementation};
use common::{ok, Change, Group};

/// How the two sides send handshake messages (§6); receivers accept both.
#[derive(Clone, Copy, Debug)]
enum Wire {
    /// Both sides send PrivateMessage.
    Private,
    /// Both sides send PublicMessage.
    Public,
    /// The creator's implementation sends PublicMessage, the peer's PrivateMessage.
    Mixed,
}

/// One cell of the matrix: the scenarios' parameters.
#[derive(Clone, Copy, Debug)]
struct Pair {
    /// The implementation that creates the group.
    creator: Implementation,
    /// The other implementation.
    peer: Implementation,
    suite: u16,
    wire: Wire,
}

impl Pair {
    fn handshake(&self, implementation: Implementation) -> HandshakeWire {
        match self.wire {
            Wire::Private => HandshakeWire::Ciphertext,
            Wire::Public => HandshakeWire::Plaintext,
            Wire::Mixed if implementation == self.creator => HandshakeWire::Plaintext,
            Wire::Mixed => HandshakeWire::Ciphertext,
        }
    }

    /// A new member of the creator's implementation.
    fn creator_side(&self, group: &mut Group) -> (common::Party, String) {
        self.new_party(group, self.creator)
    }

    /// A new member of the peer's implementation.
    fn peer_side(&self, group: &mut Group) -> (common::Party, String) {
        self.new_party(group, self.peer)
    }

    fn new_party(
        &self,
        group: &mut Group,
        implementation: Implementation,
    ) -> (common::Party, String) {
        let party = group.new_party(implementation, self.handshake(implementation));
        let name = party.name.clone();
        (party, name)
    }

    /// A member of the creator's implementation creates the group and adds one of the peer's;
    /// returns the group and their names.
    fn start(&self, tree_in_welcome: bool) -> (Group, String, String) {
        eprintln!("{self:?}");
        let mut group = Group::create(self.creator, self.handshake(self.creator), self.suite);
        let creator = group.names().remove(0);
        let (peer, peer_name) = self.peer_side(&mut group);
        group.commit(&creator, Change::add(vec![peer], tree_in_welcome));
        (group, creator, peer_name)
    }
}

/// Joins from Welcomes made by each side, with the tree in the Welcome and out of band, one
/// joiner and several at once; then everyone talks.
fn welcome(pair: Pair) {
    for tree_in_welcome in [true, false] {
        let (mut group, a0, b0) = pair.start(tree_in_welcome);
        // The peer's Welcome to a member of the creator's implementation.
        let (a1, _) = pair.creator_side(&mut group);
        group.commit(&b0, Change::add(vec![a1], tree_in_welcome));
        // One Welcome for joiners of both implementations, from each side.
        let (b1, _) = pair.peer_side(&mut group);
        let (a2, _) = pair.creator_side(&mut group);
        group.commit(&a0, Change::add(vec![b1, a2], tree_in_welcome));
        let (a3, _) = pair.creator_side(&mut group);
        let (b2, _) = pair.peer_side(&mut group);
        group.commit(&b0, Change::add(vec![a3, b2], tree_in_welcome));
        group.everyone_sends(1);
    }
}

/// Commits with a forced UpdatePath by every member, in groups of two and four, with blank
/// nodes in the tree after a removal; empty Commits without a forced path.
fn update(pair: Pair) {
    let (mut group, a0, b0) = pair.start(true);
    group.commit(&b0, Change::update());
    group.commit(&a0, Change::update());
    // An empty Commit needs a path even when none is forced (§12.4).
    group.commit(&b0, Change::default());
    group.commit(&a0, Change::default());
    let (a1, a1_name) = pair.creator_side(&mut group);
    group.commit(&b0, Change::add(vec![a1], false));
    let (b1, _) = pair.peer_side(&mut group);
    let (a2, _) = pair.creator_side(&mut group);
    group.commit(&a1_name, Change::add(vec![b1, a2], true));
    for name in group.names() {
        group.commit(&name, Change::update());
    }
    // Blank the leaf of a1 (not the last leaf, so the tree keeps its size) and update again.
    group.commit(&b0, Change::remove(&[&a1_name]));
    for name in group.names() {
        group.commit(&name, Change::update());
    }
}

/// Adds and removes by each side, alone and together in one Commit, including the removal of
/// the creator and of the highest leaf (tree truncation).
fn add_remove(pair: Pair) {
    let (mut group, a0, b0) = pair.start(true);
    let (b1, b1_name) = pair.peer_side(&mut group);
    group.commit(&a0, Change::add(vec![b1], false));
    let (a1, a1_name) = pair.creator_side(&mut group);
    group.commit(&b0, Change::add(vec![a1], true));
    group.commit(&a0, Change::remove(&[&b1_name]));
    group.commit(&b0, Change::remove(&[&a1_name]));
    // The blanked leaves are refilled.
    let (b2, b2_name) = pair.peer_side(&mut group);
    let (a2, a2_name) = pair.creator_side(&mut group);
    group.commit(&a0, Change::add(vec![b2, a2], true));
    // An add and a remove in one Commit, with a forced path.
    let (a3, _) = pair.creator_side(&mut group);
    group.commit(
        &b0,
        Change {
            add: vec![a3],
            remove: vec![b2_name],
            force_path: true,
            ..Change::default()
        },
    );
    // The peer side removes the creator; the creator's side carries on.
    group.commit(&b0, Change::remove(&[&a0]));
    let highest = group.highest_leaf();
    let committer = if highest == a2_name {
        b0.clone()
    } else {
        a2_name.clone()
    };
    group.commit(&committer, Change::remove(&[&highest]));
    group.everyone_sends(1);
}

/// External PSK proposals committed by each side, one and two at a time, with a path, and
/// together with an add (the joiner needs the PSK for the Welcome, §12.4.3.1).
fn psk(pair: Pair) {
    let (mut group, a0, b0) = pair.start(true);
    group.commit(&a0, Change::psks(1));
    group.commit(&b0, Change::psks(1));
    group.commit(
        &a0,
        Change {
            force_path: true,
            ..Change::psks(2)
        },
    );
    group.commit(&b0, Change::psks(2));
    let (a1, a1_name) = pair.creator_side(&mut group);
    group.commit(
        &b0,
        Change {
            add: vec![a1],
            psks: 1,
            ..Change::default()
        },
    );
    let (b1, _) = pair.peer_side(&mut group);
    group.commit(
        &a1_name,
        Change {
            add: vec![b1],
            psks: 1,
            tree_in_welcome: true,
            ..Change::default()
        },
    );
    group.everyone_sends(1);
}

/// A Commit injecting an external PSK whose secret differs between committer and receiver is
/// rejected by the receiver, in both directions: each side really mixes the PSK into the key
/// schedule (§8.4), so the agreement in [`psk`] is not an agreement on ignoring it.
fn psk_mismatch(pair: Pair) {
    for creator_commits in [true, false] {
        let (mut group, a0, b0) = pair.start(true);
        let (committer, receiver) = if creator_commits { (a0, b0) } else { (b0, a0) };
        let id = b"a PSK known differently".to_vec();
        for (name, secret) in [(&committer, [1; 32]), (&receiver, [2; 32])] {
            let member = &mut group.party_mut(name).member;
            ok(member.store_external_psk(&id, &secret), || {
                format!("{name} storing an external PSK")
            });
        }
        let request = CommitRequest {
            external_psks: vec![id],
            ..CommitRequest::default()
        };
        let output = ok(group.party_mut(&committer).member.commit(&request), || {
            format!("{committer} committing a PSK")
        });
        let epoch = group.epoch();
        let receiver = &mut group.party_mut(&receiver).member;
        let processed = receiver.process(&output.commit);
        assert!(
            processed.is_err(),
            "{receiver:?} accepted a Commit of {committer} with a PSK whose secret differs: {processed:?}",
            receiver = receiver.implementation(),
        );
        assert_eq!(
            receiver.epoch(),
            epoch,
            "the rejected Commit changed the epoch"
        );
    }
}

/// External joins by each side's members from the other side's GroupInfo (and from their own
/// side's), with the tree in the GroupInfo and out of band; then the joiners commit and talk.
fn external_join(pair: Pair) {
    let (mut group, a0, b0) = pair.start(true);
    let mut joiners = Vec::new();
    for with_tree in [true, false] {
        let (b, b_name) = pair.peer_side(&mut group);
        group.external_join(b, &a0, with_tree);
        let (a, a_name) = pair.creator_side(&mut group);
        group.external_join(a, &b0, with_tree);
        joiners.extend([b_name, a_name]);
    }
    // A joiner's GroupInfo serves the next joiner.
    let (b, b_name) = pair.peer_side(&mut group);
    group.external_join(b, &joiners[1], false);
    joiners.push(b_name);
    for name in &joiners {
        group.commit(name, Change::update());
    }
    group.everyone_sends(2);
}

/// Application messages both ways, in order and out of order, across epochs and in a larger
/// group.
fn application(pair: Pair) {
    let (mut group, a0, b0) = pair.start(true);
    group.exchange(&a0, &[0, 1, 2]);
    group.exchange(&b0, &[0, 1, 2]);
    group.exchange(&a0, &[2, 1, 0]);
    group.exchange(&b0, &[2, 1, 0]);
    group.exchange(&a0, &[1, 3, 0, 2]);
    group.commit(&b0, Change::update());
    group.exchange(&b0, &[2, 1, 0]);
    group.exchange(&a0, &[2, 1, 0]);
    let (a1, _) = pair.creator_side(&mut group);
    let (b1, _) = pair.peer_side(&mut group);
    group.commit(&a0, Change::add(vec![a1, b1], true));
    group.everyone_sends(3);
}

/// Generates, for each listed ordered pair and suite, one module per wire format holding one
/// test per scenario; and `MATRIX`, the list of what was generated.
macro_rules! pairs {
    ($($module:ident: $creator:ident -> $peer:ident [$($suite_module:ident = $suite:literal),* $(,)?];)*) => {
        /// (creator, peer, suites) of every generated test module.
        const MATRIX: &[(Implementation, Implementation, &[u16])] = &[
            $((Implementation::$creator, Implementation::$peer, &[$($suite),*])),*
        ];
        $(
            mod $module {
                $(
                    mod $suite_module {
                        pairs!(@wire $creator $peer $suite private Private);
                        pairs!(@wire $creator $peer $suite public Public);
                        pairs!(@wire $creator $peer $suite mixed Mixed);
                    }
                )*
            }
        )*
    };
    (@wire $creator:ident $peer:ident $suite:literal $wire_module:ident $wire:ident) => {
        mod $wire_module {
            use crate::{Pair, Wire};
            use braid_interop::Implementation;

            const PAIR: Pair = Pair {
                creator: Implementation::$creator,
                peer: Implementation::$peer,
                suite: $suite,
                wire: Wire::$wire,
            };

            pairs!(@scenarios welcome update add_remove psk psk_mismatch external_join application);
        }
    };
    (@scenarios $($scenario:ident)*) => {
        $(
            #[test]
            fn $scenario() {
                crate::$scenario(PAIR);
            }
        )*
    };
}

pairs! {
    braid_openmls: Braid -> OpenMls [s1 = 1, s2 = 2, s3 = 3];
    openmls_braid: OpenMls -> Braid [s1 = 1, s2 = 2, s3 = 3];
    braid_mlsrs: Braid -> MlsRs [s1 = 1, s2 = 2, s3 = 3, s5 = 5, s7 = 7];
    mlsrs_braid: MlsRs -> Braid [s1 = 1, s2 = 2, s3 = 3, s5 = 5, s7 = 7];
    openmls_mlsrs: OpenMls -> MlsRs [s1 = 1, s2 = 2, s3 = 3];
    mlsrs_openmls: MlsRs -> OpenMls [s1 = 1, s2 = 2, s3 = 3];
}

/// The generated tests cover exactly the suites each pair of adapters has in common: a suite
/// added to (or dropped from) an adapter fails here until the matrix above follows.
#[test]
fn matrix_covers_every_common_suite() {
    for creator in Implementation::ALL {
        for peer in Implementation::ALL {
            if creator == peer {
                continue;
            }
            let common: Vec<u16> = creator
                .suites()
                .iter()
                .copied()
                .filter(|suite| peer.suites().contains(suite))
                .collect();
            let generated = MATRIX
                .iter()
                .find(|(c, p, _)| *c == creator && *p == peer)
                .map_or(&[][..], |(_, _, suites)| *suites);
            assert_eq!(
                generated, common,
                "tests generated for {creator} -> {peer} vs the suites both adapters support"
            );
        }
    }
}
