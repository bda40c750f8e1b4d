//! `floorboard`: parse the command line, start logging, run.

use anyhow::Context;
use clap::Parser;
use floorboard_server::cli::{Cli, Command};
use floorboard_server::{config, listener, run, shutdown_signal, simulate, telemetry};

/// Every report allocates a few dozen short-lived strings and buffers across worker
/// threads; mimalloc's thread-local free lists serve that pattern far better than glibc's
/// malloc, which spent a fifth of the ingest profile consolidating and unlinking chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::ExampleConfig) => {
            print!("{}", config::example_golive_toml());
            return Ok(());
        }
        Some(Command::Simulate(args)) => {
            telemetry::init_logging(false);
            return simulate::run(args).await;
        }
        Some(Command::User(args)) => {
            telemetry::init_logging(false);
            return floorboard_server::admin_commands::run_user(args).await;
        }
        Some(Command::Audit(args)) => {
            telemetry::init_logging(false);
            return floorboard_server::admin_commands::run_audit(args).await;
        }
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    telemetry::init_logging(args.log_json);
    telemetry::log_panics_without_their_messages();
    let bind = args.bind;
    let config = args.into_config()?;
    let listener = listener::listen(bind).with_context(|| format!("cannot listen on {bind}"))?;
    run(config, listener, shutdown_signal()).await
}
