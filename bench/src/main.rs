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
    // Stopped by SIGTERM or SIGINT, the run is dropped, and the servers and hubs it started go
    // with it (`kill_on_drop`): killed outright, they were left running, holding ports and
    // memory on the machine the next benchmark runs on.
    let stopped = stop_signal();
    let outcome = tokio::select! {
        outcome = scenarios::run(args) => outcome,
        signal = stopped => Err(anyhow::anyhow!("stopped by {signal}")),
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("floorboard-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The first SIGTERM or SIGINT; never, if they cannot be watched. Watched from the call on,
/// before the run starts anything.
fn stop_signal() -> impl Future<Output = &'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let watched = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        let (Ok(mut term), Ok(mut int)) = watched else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
}
