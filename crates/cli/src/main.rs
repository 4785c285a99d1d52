//! `braid`: the command-line front end of braid.
//!
//! * `braid kat PATH…`: the official test vectors;
//! * `braid demo`: a group of N members through epochs of mixed operations, timed;
//! * `braid state-size`: the bytes one member stores per group, per member.
//!
//! Logs go to stderr through `tracing`; `RUST_LOG=info` (or `debug`) shows them.

mod demo;
mod state_size;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;

#[derive(Parser)]
#[command(
    name = "braid",
    version,
    about = "Messaging Layer Security (RFC 9420) in Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run official MLS test-vector files (files or folders) and report per file.
    Kat {
        /// Vector files or folders containing them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Create a group of N members and run epochs of mixed operations (adds, removes,
    /// updates, application messages), every member processing every message; check that
    /// all members agree on the epoch authenticator every epoch and print timings.
    Demo {
        /// Members of the group.
        #[arg(long, default_value_t = 100)]
        members: usize,
        /// Epochs after creation, each with one Add, Remove, Update or path update.
        #[arg(long, default_value_t = 30)]
        epochs: usize,
        /// Application messages per epoch.
        #[arg(long, default_value_t = 3)]
        messages: usize,
        /// Persist member 0 to this SQLite database (in memory otherwise).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Random seed (printed; a random one by default).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Measure the stored state of one member per group member, for groups of each size.
    StateSize {
        /// Group sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [2, 16, 128, 1024])]
        members: Vec<usize>,
    },
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Kat { paths } => kat(&paths),
        Command::Demo {
            members,
            epochs,
            messages,
            db,
            seed,
        } => {
            let seed = seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
            let options = demo::DemoOptions {
                members,
                epochs,
                messages,
                seed,
                progress: std::io::stderr().is_terminal(),
            };
            run_demo(&options, db)
        }
        Command::StateSize { members } => state_size(&members),
    }
}

fn run_demo(options: &demo::DemoOptions, db: Option<PathBuf>) -> ExitCode {
    println!(
        "braid demo: {} members, {} epochs, {} messages per epoch, seed {}, member 0 stored {}",
        options.members,
        options.epochs,
        options.messages,
        options.seed,
        db.as_ref()
            .map_or("in memory".to_owned(), |p| format!("in {}", p.display()))
    );
    let start = Instant::now();
    let result = match db {
        Some(path) => braid_storage::SqliteStore::open(&path)
            .map_err(Into::into)
            .and_then(|store| demo::run(store, options)),
        None => demo::run(braid_storage::MemoryStore::new(), options),
    };
    match result {
        Ok(report) => {
            print!("{}", report.timings);
            println!(
                "all {} members agreed on the epoch authenticator in every epoch; epoch {}, \
                 member 0 stores {} bytes; {:.1?} in all",
                report.members,
                report.epoch,
                report.persisted_state,
                start.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("braid demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn state_size(sizes: &[usize]) -> ExitCode {
    println!("{}", state_size::StateSize::HEADER);
    for &members in sizes {
        match state_size::measure(members) {
            Ok(size) => println!("{size}"),
            Err(e) => {
                eprintln!("braid state-size: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn kat(paths: &[PathBuf]) -> ExitCode {
    let files = match braid_kat::collect_files(paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("braid kat: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for path in &files {
        let report = braid_kat::run_file(path);
        println!(
            "{}",
            braid_kat::ReportLine {
                path,
                report: &report
            }
        );
        let (cases, bad) = report.counts();
        passed += cases - bad;
        failed += bad;
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
