//! `floorboard-bench`: runs Floorboard's benchmark scenarios against the release server and
//! the reference hubs side by side, on loopback, and writes `results.json`, `results.md`
//! and plots into the output directory. Exits non-zero when an expected delivery is missing.

mod cli;
mod clients;
mod delivery;
mod latency;
mod plot;
mod procfs;
mod raw_sqlite;
mod results;
mod scenarios;
mod servers;
mod sockets;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Cli { command: Command::Run(args) } = Cli::parse();
    match scenarios::run(args).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("floorboard-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
