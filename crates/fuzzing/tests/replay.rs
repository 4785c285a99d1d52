//! The fuzz smoke run of `cargo test --workspace`: every target's seeds, the regression
//! inputs committed under `fuzz/regressions/<target>/` (inputs that once crashed a target),
//! and deterministic mutations of the seeds, through the same functions the libFuzzer
//! harnesses call. A broken invariant panics inside the target.

use std::path::PathBuf;

use braid_fuzzing::mutate::Mutator;
use braid_fuzzing::{target, Outcome};

/// The committed regression inputs of `name`.
fn regressions(name: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    files
        .into_iter()
        .map(|path| std::fs::read(&path).unwrap())
        .collect()
}

/// Runs `name` on its seeds, its regressions and `mutations` mutated seeds; returns how
/// many seeds were accepted.
fn replay(name: &str, mutations: usize) -> usize {
    let target = target(name).unwrap();
    let seeds = (target.seeds)();
    assert!(!seeds.is_empty(), "{name} has no seeds");
    let accepted = seeds
        .iter()
        .filter(|seed| (target.run)(seed) == Outcome::Accepted)
        .count();
    for input in regressions(name) {
        (target.run)(&input);
    }
    let mut mutator = Mutator::new(name.len() as u64);
    for i in 0..mutations {
        let input = mutator.mutate(&seeds[i % seeds.len()]);
        (target.run)(&input);
    }
    accepted
}

#[test]
fn decode_message() {
    let seeds = (target("decode_message").unwrap().seeds)().len();
    assert_eq!(
        replay("decode_message", 5000),
        seeds,
        "every seed is a valid MLSMessage"
    );
}

#[test]
fn decode_wire() {
    let seeds = (target("decode_wire").unwrap().seeds)().len();
    // Only the bare selector bytes (empty encodings) may fail to decode.
    let structures = braid_fuzzing::targets::DECODERS.len();
    assert!(replay("decode_wire", 5000) >= seeds - structures);
}

#[test]
fn decode_state() {
    assert_eq!(replay("decode_state", 500), 4);
}

#[test]
fn key_package() {
    assert!(replay("key_package", 1000) >= 10);
}

#[test]
fn ratchet_tree() {
    assert!(replay("ratchet_tree", 1000) >= 50);
}

#[test]
fn welcome() {
    // With every fix applied the Welcome joins; without, it is the original and joins too.
    assert_eq!(replay("welcome", 500), 2);
}

#[test]
fn process_message() {
    assert!(replay("process_message", 1000) >= 30);
}

#[test]
fn forged_content() {
    assert!(replay("forged_content", 1000) >= 30);
}

#[test]
fn private_content() {
    assert!(replay("private_content", 1000) >= 3);
}

/// How many inputs each target accepts, rejects and skips: its seeds, and the local libFuzzer
/// corpus (`fuzz/corpus/<target>/`, first 3000 files) when there is one. For inspection:
/// `cargo test -p braid-fuzzing --test replay -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_outcomes() {
    for target in braid_fuzzing::TARGETS {
        let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target.name);
        let files: Vec<Vec<u8>> = std::fs::read_dir(corpus)
            .into_iter()
            .flatten()
            .flatten()
            .take(3000)
            .filter_map(|entry| std::fs::read(entry.path()).ok())
            .collect();
        for (what, inputs) in [("seeds", (target.seeds)()), ("corpus", files)] {
            let outcomes: Vec<Outcome> = inputs.iter().map(|input| (target.run)(input)).collect();
            let count = |o| outcomes.iter().filter(|x| **x == o).count();
            println!(
                "{} {what}: {} inputs, {} accepted, {} rejected, {} skipped",
                target.name,
                outcomes.len(),
                count(Outcome::Accepted),
                count(Outcome::Rejected),
                count(Outcome::Skipped)
            );
        }
    }
}
