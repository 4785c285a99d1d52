//! braid's fuzz targets (issue 6: every decoder and every processing path, zero panics), as
//! plain functions shared by the libFuzzer harnesses in `fuzz/` and by the replay test that
//! runs in `cargo test --workspace`.
//!
//! * [`targets`]: the targets and the invariants they check;
//! * [`fixture`]: the deterministic live group the processing targets run against;
//! * [`seeds`]: seed inputs from the official vectors and the fixture;
//! * [`provider`]: the deterministic crypto provider behind the fixture;
//! * [`mutate`]: a small deterministic mutator for the replay test.
//!
//! `cargo run -p braid-fuzzing --bin fuzz-seeds -- fuzz/corpus` writes every target's seeds
//! as a libFuzzer corpus; see `fuzz/README.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod fixture;
pub mod mutate;
pub mod provider;
pub mod seeds;
pub mod targets;

pub use targets::Outcome;

/// A fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` harness), the function it
/// runs, and its seeds.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// Runs one input.
    pub run: fn(&[u8]) -> Outcome,
    /// Its seed inputs.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Whether it processes messages in a live group (rather than only decoding).
    pub processing: bool,
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "decode_message",
        run: targets::decode_message,
        seeds: seeds::decode_message,
        processing: false,
    },
    Target {
        name: "decode_wire",
        run: targets::decode_wire,
        seeds: seeds::decode_wire,
        processing: false,
    },
    Target {
        name: "decode_state",
        run: targets::decode_state,
        seeds: seeds::decode_state,
        processing: false,
    },
    Target {
        name: "key_package",
        run: targets::key_package,
        seeds: seeds::key_package,
        processing: true,
    },
    Target {
        name: "ratchet_tree",
        run: targets::ratchet_tree,
        seeds: seeds::ratchet_tree,
        processing: true,
    },
    Target {
        name: "welcome",
        run: targets::welcome,
        seeds: seeds::welcome,
        processing: true,
    },
    Target {
        name: "process_message",
        run: targets::process_message,
        seeds: seeds::process_message,
        processing: true,
    },
    Target {
        name: "forged_content",
        run: targets::forged_content,
        seeds: seeds::forged_content,
        processing: true,
    },
    Target {
        name: "private_content",
        run: targets::private_content,
        seeds: seeds::private_content,
        processing: true,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
