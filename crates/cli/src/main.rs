//! `braid`: the command-line front end of braid.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Kat { paths } => kat(&paths),
    }
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
