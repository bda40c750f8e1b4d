//! The scenarios of the benchmark and the run around them: set-up (open-file limit, output
//! directory), each selected scenario in turn, then results, plots and the delivery verdict.

mod cluster;
mod fanout;
mod full_path;
mod idle;
mod ingest;
mod reconnect;
mod slow_readers;
mod summary;
mod window;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use crate::cli::{RunArgs, Which};
use crate::results::{Machine, Outcome, Run};
use crate::servers::{Peer, Serve, Server};
use crate::{plot, procfs};

/// What every scenario needs: the binaries, where to write, how big to go, and figures an
/// earlier scenario measured that a later one compares with.
pub struct Bench {
    pub quick: bool,
    floorboard_bin: PathBuf,
    peers_dir: Option<PathBuf>,
    pub postgres_url: String,
    pub out: PathBuf,
    /// S2's p99 submit-to-board per board count, for S6.
    pub fanout_p99: HashMap<usize, f64>,
    /// S2's board counts and rounds when the command line chose them.
    pub fanout_boards: Vec<usize>,
    pub fanout_rounds: Option<usize>,
    servers_started: usize,
}

impl Bench {
    /// `full` normally, `quick` in a smoke run.
    pub fn size<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }

    pub async fn floorboard(&mut self, serve: &Serve) -> anyhow::Result<Server> {
        let log = self.next_log("floorboard");
        Server::floorboard(&self.floorboard_bin, serve, log).await
    }

    pub async fn peer(&mut self, peer: Peer) -> anyhow::Result<Server> {
        let dir = self.peers_dir.clone().context("no peers directory")?;
        let log = self.next_log(if peer == Peer::Uws { "uws" } else { "ws" });
        Server::peer(peer, &dir, log).await
    }

    /// The reference hubs to measure: none in a smoke run or without a peers directory.
    pub fn peers(&self) -> Vec<Peer> {
        if self.quick || self.peers_dir.is_none() { Vec::new() } else { Peer::ALL.to_vec() }
    }

    /// A note for scenarios that compare with peers when there are none.
    pub fn no_peers_note(&self) -> Option<String> {
        self.peers().is_empty().then(|| "Reference hubs not run (smoke run, or no --peers-dir).".to_string())
    }

    fn next_log(&mut self, name: &str) -> PathBuf {
        self.servers_started += 1;
        self.out.join("logs").join(format!("{:02}-{name}.log", self.servers_started))
    }
}

/// Runs the selected scenarios; false when an expected delivery went missing or a scenario
/// could not run.
pub async fn run(args: RunArgs) -> anyhow::Result<bool> {
    let fds = procfs::raise_fd_limit()?;
    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("target/bench/{started_unix}")));
    std::fs::create_dir_all(out.join("logs")).with_context(|| format!("cannot create {}", out.display()))?;
    anyhow::ensure!(
        args.floorboard_bin.is_file(),
        "{} is missing: cargo build --release --bin floorboard",
        args.floorboard_bin.display()
    );
    if let Some(dir) = &args.peers_dir {
        anyhow::ensure!(
            dir.join("node_modules").is_dir(),
            "{} has no node_modules: run scripts/bench-peers",
            dir.display()
        );
    }
    eprintln!("floorboard-bench: open-file limit {fds}; writing to {}", out.display());

    let mut bench = Bench {
        quick: args.quick,
        floorboard_bin: std::path::absolute(&args.floorboard_bin)?,
        peers_dir: args.peers_dir.as_deref().map(std::path::absolute).transpose()?,
        postgres_url: args.postgres_url.clone(),
        out: out.clone(),
        fanout_p99: HashMap::new(),
        fanout_boards: args.fanout_boards.clone(),
        fanout_rounds: args.fanout_rounds.map(usize::from),
        servers_started: 0,
    };
    let mut ok = true;
    let mut scenarios = Vec::new();
    for which in args.selected() {
        let outcome = run_one(&mut bench, which).await;
        let mut outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                eprintln!("FAIL {which:?}: could not run: {e:#}");
                ok = false;
                let mut failed = Outcome::new(id_of(which), "(did not complete)");
                failed.notes.push(format!("The scenario failed: {e:#}"));
                failed
            }
        };
        for d in outcome.deliveries.iter().filter(|d| !d.complete()) {
            eprintln!("FAIL {}: {}: {} of {} expected deliveries arrived", outcome.id, d.what, d.delivered, d.expected);
            ok = false;
        }
        if bench.quick {
            // Sizes too small to mean anything: the smoke run judges deliveries only.
            outcome.targets.iter_mut().for_each(|t| t.met = None);
        }
        scenarios.push(outcome);
    }

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let run = Run { started_unix, command, quick: args.quick, machine: Machine::describe(), scenarios };
    run.write(&out)?;
    if !args.quick {
        for note in plot::draw_all(&run, &out) {
            eprintln!("floorboard-bench: {note}");
        }
    }
    println!("{}", run.markdown());
    eprintln!("floorboard-bench: {} ({})", if ok { "every expected delivery arrived" } else { "FAIL" }, out.display());
    Ok(ok)
}

async fn run_one(bench: &mut Bench, which: Which) -> anyhow::Result<Outcome> {
    eprintln!("floorboard-bench: {} ...", id_of(which));
    match which {
        Which::S1 => idle::run(bench).await,
        Which::S2 => fanout::run(bench).await,
        Which::S3 => full_path::run(bench).await,
        Which::S4 => ingest::run(bench).await,
        Which::S5 => cluster::run(bench).await,
        Which::S6 => slow_readers::run(bench).await,
        Which::S7 => reconnect::run(bench).await,
        Which::S9 => summary::run(bench).await,
        Which::All => unreachable!("expanded by RunArgs::selected"),
    }
}

/// The case a round's figures are recorded under (the case itself when there is one round).
pub fn round_label(label: &str, round: usize, rounds: usize) -> String {
    if rounds > 1 { format!("{label}, round {round}") } else { label.to_string() }
}

/// The median (the mean of the middle two of an even count); None for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn id_of(which: Which) -> &'static str {
    match which {
        Which::S1 => "S1",
        Which::S2 => "S2",
        Which::S3 => "S3",
        Which::S4 => "S4",
        Which::S5 => "S5",
        Which::S6 => "S6",
        Which::S7 => "S7",
        Which::S9 => "S9",
        Which::All => "all",
    }
}
