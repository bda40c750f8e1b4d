//! The command line: `floorboard-bench run [--scenario s1,s2,...|all] [--quick] [--out DIR]
//! [--floorboard-bin PATH] [--peers-dir DIR] [--fanout-boards N,...] [--fanout-rounds N]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "floorboard-bench", version, about = "Floorboard's benchmark, side by side with reference hubs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios and write results.json, results.md and plots.
    Run(RunArgs),
}

/// A scenario of the benchmark, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Which {
    All,
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
    S7,
    S9,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenarios to run, comma separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub scenario: Vec<Which>,
    /// Smoke run: tiny sizes, Floorboard only, no plots; fails only on missing deliveries.
    #[arg(long)]
    pub quick: bool,
    /// Output directory (default target/bench/<unix time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The server binary (`cargo build --release --bin floorboard`).
    #[arg(long, default_value = "target/release/floorboard")]
    pub floorboard_bin: PathBuf,
    /// A prepared copy of the reference hubs, with node_modules (scripts/bench-peers); the
    /// peers are left out when absent.
    #[arg(long)]
    pub peers_dir: Option<PathBuf>,
    /// S2's board counts, comma separated (default 1000,5000,10000): to rerun one case.
    #[arg(long, value_delimiter = ',')]
    pub fanout_boards: Vec<usize>,
    /// Rounds of each S2 case (default 3): more rounds, a steadier median.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub fanout_rounds: Option<u16>,
    /// PostgreSQL for S5: a database of its own is created there and dropped afterwards.
    #[arg(long, env = "FLOORBOARD_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres_url: String,
}

impl RunArgs {
    /// The scenarios selected, in order, each once.
    pub fn selected(&self) -> Vec<Which> {
        let all = [Which::S1, Which::S2, Which::S3, Which::S4, Which::S5, Which::S6, Which::S7, Which::S9];
        if self.scenario.contains(&Which::All) {
            return all.to_vec();
        }
        all.into_iter().filter(|w| self.scenario.contains(w)).collect()
    }
}
