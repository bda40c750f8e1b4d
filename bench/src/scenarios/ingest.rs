//! S4: ingest only. Floorboard with no subscribers, tablets submitting as fast as
//! acknowledgements allow, against SQLite called directly doing the same inserts in one
//! process with Floorboard's mean group-commit size.

use std::time::Duration;

use crate::clients::tablet::{self, Pace};
use crate::delivery::Acked;
use crate::raw_sqlite;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::scenarios::full_path::active_secs;
use crate::scenarios::window::Window;
use crate::servers::{self, Serve, Server};
use crate::sockets::Dial;

const TARGET_RATIO: f64 = 0.8;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S4", "ingest only vs raw SQLite");
    let duration = bench.size(Duration::from_secs(10), Duration::from_secs(1));
    let (tablets, in_flight) = bench.size((16, 128), (2, 16));
    let server = bench.floorboard(&Serve::default()).await?;
    let found = floorboard(&server, tablets, in_flight, duration).await;
    server.stop().await;
    let (rate, batch, delivery) = found?;
    outcome.row(
        "Floorboard",
        "no subscribers",
        vec![Figure::new("durable reports per second", "/s", rate), Figure::new("mean group commit", "reports", batch)],
    );
    outcome.deliveries.push(delivery.of("Floorboard", "no subscribers"));

    let dir = tempfile::Builder::new().prefix("floorboard-bench-raw-").tempdir()?;
    let rows_per_batch = batch.round().max(1.0) as usize;
    let path = dir.path().to_owned();
    let (rows, secs) =
        tokio::task::spawn_blocking(move || raw_sqlite::ingest(&path, rows_per_batch, duration)).await??;
    let raw_rate = rows as f64 / secs;
    outcome.row(
        "raw SQLite (rusqlite, one process)",
        &format!("batches of {rows_per_batch}"),
        vec![
            Figure::new("durable reports per second", "/s", raw_rate),
            Figure::new("mean group commit", "reports", rows_per_batch as f64),
        ],
    );
    let ratio = rate / raw_rate;
    outcome.row("Floorboard / raw SQLite", "", vec![Figure::new("ratio", "x", ratio)]);
    outcome.targets.push(Target::check("ingest >= 0.8x raw SQLite", Some(ratio), TARGET_RATIO, false, "x"));
    outcome.notes.push(format!(
        "{tablets} tablets, up to {in_flight} reports in flight each. Raw SQLite inserts the same rows (reports, \
         report_queues, events referring to their reports) with a prepared statement per row, one transaction per batch, WAL, \
         synchronous=FULL, the server's cache, temp store and checkpoint settings, with the batch size Floorboard's \
         committer averaged."
    ));
    Ok(outcome)
}

/// Acknowledged reports per second, the mean group commit, and the acknowledgement count.
async fn floorboard(
    server: &Server,
    tablets: usize,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<(f64, f64, Delivery)> {
    let dial = Dial::to(server.addr);
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
