//! Writes every fuzz target's seeds as a libFuzzer corpus: `<out>/<target>/<hash>`.
//!
//! `cargo run -p braid-fuzzing --bin fuzz-seeds -- fuzz/corpus [target …]`

use std::path::PathBuf;
use std::process::ExitCode;

use braid_crypto::{CryptoProvider, HashAlgorithm};
use braid_fuzzing::TARGETS;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: fuzz-seeds OUT_DIR [TARGET ...]");
        return ExitCode::FAILURE;
    };
    let only: Vec<String> = args.collect();
    let provider = braid_provider::DefaultProvider::new();
    for target in TARGETS {
        if !only.is_empty() && !only.iter().any(|t| t == target.name) {
            continue;
        }
        let dir = out.join(target.name);
        if let Err(error) = std::fs::create_dir_all(&dir) {
            eprintln!("{}: {error}", dir.display());
            return ExitCode::FAILURE;
        }
        let seeds = (target.seeds)();
        let bytes: usize = seeds.iter().map(Vec::len).sum();
        for seed in &seeds {
            let name = match provider.hash(HashAlgorithm::Sha256, seed) {
                Ok(hash) => hex::encode(&hash[..16]),
                Err(error) => {
                    eprintln!("hash: {error}");
                    return ExitCode::FAILURE;
                }
            };
            if let Err(error) = std::fs::write(dir.join(name), seed) {
                eprintln!("{}: {error}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        println!("{}: {} seeds, {} bytes", target.name, seeds.len(), bytes);
    }
    ExitCode::SUCCESS
}
