//! `floorboard simulate`: drives a running server with realistic go-live traffic, as a real
//! protocol client, and prints a summary. Report free text (summaries, roles) is never
//! printed or logged.

mod accounts;
mod board;
mod client;
mod phrases;
// The seeded traffic model indexes the tables it built itself and draws from constant,
// non-empty weights; it runs in the operator's `simulate` client, never on a request.
#[allow(clippy::indexing_slicing, clippy::expect_used, reason = "indices and weights of its own tables")]
mod traffic;

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use floorboard_shared::{ReportDraft, ReportId};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::board::watch_board;
use self::client::{Tally, fetch_golive, spawn_trainer};
use self::traffic::Traffic;

/// `floorboard simulate`: realistic go-live traffic against a running server.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The server's websocket address.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Reports per second, on average (Poisson arrivals, bursts included).
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// How long to send reports, in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Simulated trainers, each on its own websocket, checked in to one unit at a time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub trainers: u32,
    /// Seed for reproducible traffic (units, kinds, timing); random when absent.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also follow the all-facility board on another connection and print each update.
    #[arg(long)]
    pub watch_board: bool,
    /// The administrator who makes the simulated trainers' accounts.
    #[arg(long, default_value = "admin")]
    pub admin_login: String,
    /// The administrator's password (the one `serve` printed on first start, or its
    /// FLOORBOARD_ADMIN_PASSWORD).
    #[arg(long, env = "FLOORBOARD_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
}

const RATE_RANGE: RangeInclusive<f64> = 0.001..=1_000_000.0;
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

impl SimulateArgs {
    /// The rate and duration, once checked.
    fn checked(&self) -> anyhow::Result<(f64, Duration)> {
        if !RATE_RANGE.contains(&self.rate) {
            bail!("--rate must be {} to {} reports per second", RATE_RANGE.start(), RATE_RANGE.end());
        }
        let duration = Duration::try_from_secs_f64(self.duration)
            .ok()
            .filter(|d| !d.is_zero() && *d <= MAX_DURATION)
            .with_context(|| {
            format!("--duration must be more than 0 and at most {} seconds", MAX_DURATION.as_secs())
        })?;
        Ok((self.rate, duration))
    }
}

/// How long to wait for outstanding acknowledgements once sending stops.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// How long the board watcher keeps listening after the last acknowledgement, for the last
/// coalesced update.
const BOARD_SETTLE: Duration = Duration::from_secs(1);

/// Runs `floorboard simulate` and prints its summary. An error when the arguments are bad,
/// the server cannot be reached, or nothing could be sent.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let summary = simulate(&args).await?;
    println!("{summary}");
    if summary.tally.sent == 0 {
        bail!("nothing could be sent to {}", args.url);
    }
    Ok(())
}

/// Runs the whole simulation: catalog, trainers, traffic, drain, board watcher.
async fn simulate(args: &SimulateArgs) -> anyhow::Result<Summary> {
    let (rate, duration) = args.checked()?;
    let base = client::http_base(&args.url)?;
    let sessions = accounts::prepare(&base, &args.admin_login, &args.admin_password, args.trainers as usize).await?;
    let golive = fetch_golive(&args.url, &sessions.lead).await?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let trainers = args.trainers as usize;
    println!(
        "simulating {rate} reports/s for {} s with {trainers} trainers on \"{}\" ({} units), seed {seed}",
        duration.as_secs_f64(),
        golive.name(),
        golive.units().count(),
    );
    let mut traffic = Traffic::new(&golive, trainers, rate, seed);

    let board_stop = CancellationToken::new();
    let board = args
        .watch_board
        .then(|| tokio::spawn(watch_board(args.url.clone(), sessions.lead.clone(), board_stop.clone())));

    let trainer_stop = CancellationToken::new();
    let (inboxes, handles): (Vec<_>, Vec<_>) =
        (0..trainers).map(|i| spawn_trainer(i, &args.url, sessions.trainer(i), trainer_stop.clone())).unzip();
    let started = Instant::now();
    let generated = drive(&mut traffic, &inboxes, duration).await;
    drop(inboxes);
    let tally = collect(handles, &trainer_stop, DRAIN_GRACE).await;
    let elapsed = started.elapsed();

    let board_updates = match board {
        Some(task) => {
            tokio::time::sleep(BOARD_SETTLE).await;
            board_stop.cancel();
            Some(task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "the board watcher failed");
                0
            }))
        }
        None => None,
    };
    Ok(Summary::new(generated, elapsed, tally, board_updates))
}

/// Hands each planned report, at its time, to the trainer who makes it. Stops after
/// `duration` or on Ctrl-C; returns how many reports were generated.
async fn drive(traffic: &mut Traffic, inboxes: &[mpsc::UnboundedSender<ReportDraft>], duration: Duration) -> u64 {
    let start = Instant::now();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut generated = 0;
    loop {
        let planned = traffic.next_report();
        if planned.at >= duration {
            break;
        }
        tokio::select! {
            _ = &mut interrupted => {
                println!("interrupted; waiting for outstanding acknowledgements");
                break;
            }
            () = tokio::time::sleep_until(start + planned.at) => {}
        }
        let draft = traffic.draft(&planned, ReportId(Uuid::now_v7()), OffsetDateTime::now_utc());
        let delivered = inboxes.get(planned.trainer).is_some_and(|inbox| inbox.send(draft).is_ok());
        if delivered {
            generated += 1;
        } else {
            tracing::warn!(trainer = planned.trainer, "trainer has stopped; report dropped");
        }
    }
    generated
}

/// Waits for every trainer, cancelling `stop` after `grace` for those still waiting.
async fn collect(handles: Vec<JoinHandle<Tally>>, stop: &CancellationToken, grace: Duration) -> Tally {
    let deadline = tokio::spawn({
        let stop = stop.clone();
        async move {
            tokio::time::sleep(grace).await;
            stop.cancel();
        }
    });
    let mut total = Tally::default();
    for handle in handles {
        match handle.await {
            Ok(tally) => total.merge(tally),
            Err(e) => tracing::error!(error = %e, "a trainer task failed"),
        }
    }
    deadline.abort();
    total
}

struct Summary {
    generated: u64,
    elapsed: Duration,
    tally: Tally,
    board_updates: Option<u64>,
}

impl Summary {
    fn new(generated: u64, elapsed: Duration, mut tally: Tally, board_updates: Option<u64>) -> Summary {
        tally.latencies.sort_unstable();
        Summary { generated, elapsed, tally, board_updates }
    }
}

/// The nearest-rank percentile (`q` in 0..=1) of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        let refused: u64 = t.refused.values().sum();
        let by_code: Vec<String> = t.refused.iter().map(|(code, n)| format!("{code} {n}")).collect();
        let by_code = if by_code.is_empty() { String::new() } else { format!(" ({})", by_code.join(", ")) };
        let lat = &t.latencies;
        writeln!(f, "summary after {:.1} s:", self.elapsed.as_secs_f64())?;
        writeln!(f, "  generated     {}", self.generated)?;
        writeln!(f, "  sent          {}", t.sent)?;
        writeln!(f, "  acknowledged  {} ({} duplicates)", t.acknowledged, t.duplicates)?;
        writeln!(f, "  refused       {refused}{by_code}")?;
        writeln!(f, "  unanswered    {}", t.unanswered)?;
        writeln!(f, "  not sent      {}", t.unsent)?;
        writeln!(f, "  resent        {} after {} reconnects", t.resent, t.reconnects)?;
        write!(
            f,
            "  ack latency   p50 {}, p99 {}, max {}",
            millis(percentile(lat, 0.50)),
            millis(percentile(lat, 0.99)),
            millis(lat.last().copied())
        )?;
        if let Some(updates) = self.board_updates {
            write!(f, "\n  board updates {updates}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::GoLive;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&ms, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&ms[..1], 0.99), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&[], 0.5), None);
    }

    fn args(url: &str) -> SimulateArgs {
        SimulateArgs {
            url: url.to_owned(),
            rate: 40.0,
            duration: 1.5,
            trainers: 3,
            seed: Some(1),
            watch_board: true,
            admin_login: "admin".into(),
            admin_password: ADMIN_PASSWORD.into(),
        }
    }

    /// The administrator's password of the test servers.
    pub(super) const ADMIN_PASSWORD: &str = "simulate-test-admin";

    /// A trainer's session on the test server at `url`.
    pub(super) async fn trainer_token(url: &str) -> String {
        let base = client::http_base(url).unwrap();
        accounts::prepare(&base, "admin", ADMIN_PASSWORD, 1).await.unwrap().trainers.remove(0)
    }

    /// A real server on a free port, in this process, until the sender is dropped.
    pub(super) async fn serve() -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let mut config = crate::Config::new(dir.path(), GoLive::example());
        config.board_interval = Duration::from_millis(50);
        config.admin_password = Some(ADMIN_PASSWORD.into());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(crate::run(config, listener, async {
            let _ = stopped.await;
        }));
        (url, stop, dir)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_run_against_a_real_server_gets_every_report_acknowledged() {
        let (url, _server, _dir) = serve().await;
        let summary = simulate(&args(&url)).await.unwrap();
        let t = &summary.tally;
        assert!(t.sent > 20, "{summary}");
        assert_eq!((t.acknowledged, t.unanswered, t.unsent), (t.sent, 0, 0), "{summary}");
        assert!(t.refused.is_empty(), "{summary}");
        assert_eq!(t.latencies.len() as u64, t.acknowledged);
        assert!(summary.board_updates.is_some_and(|n| n > 0), "{summary}");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error() {
        let mut args = args("ws://127.0.0.1:1/ws");
        args.watch_board = false;
        assert!(run(args).await.is_err());
    }
}
