//! S4: ingest only. Floorboard with no subscribers, tablets submitting as fast as
//! acknowledgements allow, against SQLite called directly doing the same inserts in one
//! process with Floorboard's mean group-commit size.

use std::time::Duration;

use crate::clients::tablet::{self, Pace};
use crate::delivery::Acked;
use crate::raw_sqlite;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::full_path::active_secs;
use crate::scenarios::window::Window;
use crate::scenarios::{Bench, median, round_label};
use crate::servers::{self, Serve, Server};
use crate::sockets::Dial;

const TARGET_RATIO: f64 = 0.8;
/// Floorboard and raw SQLite each run this many times, in turn, and are judged on the median
/// of the rounds' ratios: they run one after the other, and on this shared machine the speed
/// of either moved by up to ±15 % from one minute to the next (raw SQLite alone, 70,000 to
/// 92,000 reports/s in one half hour).
const ROUNDS: usize = 3;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S4", "ingest only vs raw SQLite");
    let duration = bench.size(Duration::from_secs(10), Duration::from_secs(1));
    let (tablets, in_flight) = bench.size((16, 128), (2, 16));
    let rounds = bench.size(ROUNDS, 1);
    let case = "no subscribers";
    let mut ratios = Vec::with_capacity(rounds);
    // Floorboard's mean group commit, which raw SQLite's batches take: from the round before
    // when raw SQLite goes first.
    let mut batch = None;
    for round in 1..=rounds {
        let at = round_label(case, round, rounds);
        // Raw SQLite first in even rounds, so that whatever the machine does over a round
        // weighs on both sides.
        let mut raw_rate = None;
        if let (0, Some(batch)) = (round % 2, batch) {
            raw_rate = Some(raw(&mut outcome, &at, batch, tablets, duration).await?);
        }
        let server = bench.floorboard(&Serve::default()).await?;
        let found = floorboard(&server, tablets, in_flight, duration).await;
        server.stop().await;
        let (rate, mean_batch, delivery) = found?;
        outcome.row(
            "Floorboard",
            &at,
            vec![
                Figure::new("durable reports per second", "/s", rate),
                Figure::new("mean group commit", "reports", mean_batch),
            ],
        );
        outcome.deliveries.push(delivery.of("Floorboard", &at));
        let rows_per_batch = mean_batch.round().max(1.0) as usize;
        let raw_rate = match raw_rate {
            Some(r) => r,
            None => raw(&mut outcome, &at, rows_per_batch, tablets, duration).await?,
        };
        batch = Some(rows_per_batch);
        outcome.row("Floorboard / raw SQLite", &at, vec![Figure::new("ratio", "x", rate / raw_rate)]);
        ratios.push(rate / raw_rate);
    }
    let ratio = median(ratios);
    if rounds > 1
        && let Some(r) = ratio
    {
        outcome.row(
            "Floorboard / raw SQLite",
            &format!("median of {rounds} rounds"),
            vec![Figure::new("ratio", "x", r)],
        );
    }
    outcome.targets.push(Target::check("ingest >= 0.8x raw SQLite", ratio, TARGET_RATIO, false, "x"));
    outcome.notes.push(format!(
        "{tablets} tablets, up to {in_flight} reports in flight each. Raw SQLite inserts the same rows (reports \
         as the {tablets} tablets send them, report_queues, events referring to their reports) with a prepared \
         statement per row, one transaction per batch, WAL, synchronous=FULL, the server's cache, temp store and \
         checkpoint settings, with the batch size Floorboard's committer averaged (in even rounds, where raw SQLite \
         goes first, the round before's)."
    ));
    if rounds > 1 {
        outcome.notes.push(format!(
            "{rounds} rounds, Floorboard on a fresh server and raw SQLite on a fresh file in each (raw SQLite first \
             in even rounds); the target is judged on the median of the rounds' ratios."
        ));
    }
    Ok(outcome)
}

/// Raw SQLite's reports per second in batches of `batch`, recorded as a row of `at`.
async fn raw(outcome: &mut Outcome, at: &str, batch: usize, tablets: usize, duration: Duration) -> anyhow::Result<f64> {
    let dir = tempfile::Builder::new().prefix("floorboard-bench-raw-").tempdir()?;
    let path = dir.path().to_owned();
    let (rows, secs) =
        tokio::task::spawn_blocking(move || raw_sqlite::ingest(&path, batch, tablets, duration)).await??;
    let rate = rows as f64 / secs;
    outcome.row(
        "raw SQLite (rusqlite, one process)",
        &format!("{at}, batches of {batch}"),
        vec![
            Figure::new("durable reports per second", "/s", rate),
            Figure::new("mean group commit", "reports", batch as f64),
        ],
    );
    Ok(rate)
}

/// Acknowledged reports per second, the mean group commit, and the acknowledgement count.
async fn floorboard(
    server: &Server,
    tablets: usize,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<(f64, f64, Delivery)> {
    let dial = Dial::to(server);
    let pace = Pace { rate: None, in_flight, duration };
    let window = Window::open(&[server])?;
    let logs = tablet::run_tablets(&dial, tablets, 0, pace, tablet::hot_units(24)).await?;
    window.close()?;
    let acked = Acked::from_tablets(&logs);
    let sent: u64 = logs.iter().map(|l| l.sent).sum();
    let metrics = server.metrics().await?;
    let batch = servers::histogram_mean(&metrics, "floorboard_commit_batch_size").unwrap_or(1.0);
    let delivery = Delivery::new("acknowledgement of every report", sent, acked.len());
    Ok((acked.len() as f64 / active_secs(&logs), batch, delivery))
}
