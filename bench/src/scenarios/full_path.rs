//! S3: the full path on SQLite. Reports go through durable group commit, routing, queue
//! watchers and coalesced board updates (50 ms) to 1,000 boards. First tablets submit as
//! fast as acknowledgements allow (pipelined, bounded in flight): durable reports per
//! second. Then a fixed 1,000 reports/s: the p99 from submit to every board.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clients::tablet::{self, Pace, TabletLog};
use crate::clients::watcher::{self, Log, Watcher};
use crate::delivery::{self, Acked};
use crate::latency::Latencies;
use crate::results::{Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::scenarios::window::Window;
use crate::servers::{Serve, Server};
use crate::sockets::Dial;

const QUEUE: &str = "operations";
const TARGET_RATE: f64 = 20_000.0;
const TARGET_P99_MS: f64 = 75.0;

/// The sizes of one S3 run.
struct Sizes {
    boards: usize,
    watchers: usize,
    tablets: usize,
    in_flight: usize,
    saturate_for: Duration,
    steady_rate: f64,
    steady_for: Duration,
    units: usize,
}

/// One phase: its label and how the tablets submitted.
struct Phase {
    label: String,
    tablets: usize,
    pace: Pace,
}

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let sizes = bench.size(
        Sizes {
            boards: 1_000,
            watchers: 4,
            tablets: 16,
            in_flight: 128,
            saturate_for: Duration::from_secs(10),
            steady_rate: 1_000.0,
            steady_for: Duration::from_secs(10),
            units: 24,
        },
        Sizes {
            boards: 10,
            watchers: 2,
            tablets: 2,
            in_flight: 16,
            saturate_for: Duration::from_secs(1),
            steady_rate: 50.0,
            steady_for: Duration::from_secs(1),
            units: 4,
        },
    );
    let mut outcome = Outcome::new("S3", "full path on SQLite");
    let server = bench.floorboard(&Serve { board_interval_ms: 50, ..Serve::default() }).await?;
    let result = measure(&server, &sizes, &mut outcome).await;
    server.stop().await;
    result?;
    outcome.notes.push(format!(
        "{} boards (all facilities, 50 ms ticks), {} watchers of queue `{QUEUE}`; process reports spread over {} \
         units; {} tablets with up to {} reports in flight each when saturating.",
        sizes.boards, sizes.watchers, sizes.units, sizes.tablets, sizes.in_flight
    ));
    Ok(outcome)
}

async fn measure(server: &Server, sizes: &Sizes, outcome: &mut Outcome) -> anyhow::Result<()> {
    let dial = Dial::to(server);
    let stop = CancellationToken::new();
    let _stop_all = stop.clone().drop_guard();
    let boards = watcher::open_boards(&dial, sizes.boards, 0, &stop).await?;
    let watchers = watcher::open_queue_watchers(&dial, QUEUE, sizes.watchers, sizes.boards, &stop).await?;
    let first_tablet = sizes.boards + sizes.watchers;

    let saturate = Phase {
        label: "saturated".into(),
        tablets: sizes.tablets,
        pace: Pace { rate: None, in_flight: sizes.in_flight, duration: sizes.saturate_for },
    };
    let steady_tablets = 4.min(sizes.tablets);
    let steady = Phase {
        label: format!("{} reports/s", sizes.steady_rate),
        tablets: steady_tablets,
        pace: Pace { rate: Some(sizes.steady_rate / steady_tablets as f64), in_flight: 64, duration: sizes.steady_for },
    };
    let mut phases = Vec::new();
    for (i, phase) in [saturate, steady].into_iter().enumerate() {
        let first = first_tablet + i * sizes.tablets;
        let window = Window::open(&[server])?;
        let logs = tablet::run_tablets(&dial, phase.tablets, first, phase.pace, tablet::hot_units(sizes.units)).await?;
        let acked = Acked::from_tablets(&logs);
        let everyone: Vec<&Watcher> = boards.iter().chain(&watchers).collect();
        watcher::wait_all_seen(&everyone, acked.last_seq(), Duration::from_secs(30)).await;
        let spent = window.close()?;
        let rate = acked.len() as f64 / active_secs(&logs);
        outcome.row(
            "Floorboard",
            &phase.label,
            vec![
                Figure::new("reports acknowledged", "", acked.len() as f64),
                Figure::new("durable reports per second", "/s", rate),
                Figure::new("server CPU per report", "µs", 1e6 * spent.server_cpu_secs / acked.len().max(1) as f64),
                Figure::new("generator CPU", "s", spent.generator_cpu_secs),
            ],
        );
        phases.push((phase.label, acked, rate));
    }
    stop.cancel();
    let board_logs = watcher::finish_all(boards).await;
    let queue_logs = watcher::finish_all(watchers).await;
    for (label, acked, _) in &phases {
        account(outcome, label, acked, &board_logs, &queue_logs);
    }
    let wire = delivery::wire_check(board_logs.iter().chain(&queue_logs));
    outcome.deliveries.push(wire.of("Floorboard", "both phases"));
    let (saturated, steady) = (&phases[0], &phases[1]);
    let goal = format!("durable reports/s on SQLite with {} boards >= {TARGET_RATE}", board_logs.len());
    outcome.targets.push(Target::check(goal, Some(saturated.2), TARGET_RATE, false, "/s"));
    let p99 = outcome.p99("Floorboard", &steady.0, "submit to board");
    let goal = format!("p99 submit to board at {} <= {TARGET_P99_MS} ms", steady.0);
    outcome.targets.push(Target::check(goal, p99, TARGET_P99_MS, true, "ms"));
    Ok(())
}

/// Latencies and deliveries of one phase's reports.
fn account(outcome: &mut Outcome, label: &str, acked: &Acked, boards: &[Log], queues: &[Log]) {
    outcome.latency("Floorboard", label, "submit to ack", &acked.ack_latencies());
    let mut board = Latencies::default();
    let delivery = acked.board_deliveries(boards, &mut board);
    outcome.latency("Floorboard", label, "submit to board", &board);
    outcome.deliveries.push(delivery.of("Floorboard", label));
    let mut queue = Latencies::default();
    let delivery = acked.stream_deliveries("report to every queue watcher", queues, &mut queue);
    outcome.latency("Floorboard", label, "submit to queue watcher", &queue);
    outcome.deliveries.push(delivery.of("Floorboard", label));
}

/// Seconds from the first submission to the last acknowledgement, over every tablet.
pub fn active_secs(logs: &[TabletLog]) -> f64 {
    let first = logs.iter().filter_map(|l| l.first_sent).min();
    let last = logs.iter().filter_map(|l| l.last_acked).max();
    match first.zip(last) {
        Some((first, last)) => last.duration_since(first).as_secs_f64().max(1e-3),
        None => 1.0,
    }
}
