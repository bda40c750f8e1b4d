//! S5: two Floorboard nodes sharing one PostgreSQL database (created for the run, dropped
//! after): tablets on both nodes submit as fast as acknowledgements allow; durable reports
//! per second across nodes, and every report must reach a queue watcher on each node.

use std::time::Duration;

use anyhow::Context;
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use crate::clients::tablet::{self, Pace};
use crate::clients::watcher;
use crate::delivery::Acked;
use crate::latency::Latencies;
use crate::results::{Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::scenarios::full_path::active_secs;
use crate::scenarios::window::Window;
use crate::servers::{Serve, Server};
use crate::sockets::Dial;

const QUEUE: &str = "operations";
const TARGET_RATE: f64 = 5_000.0;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S5", "two nodes on PostgreSQL");
    let database = format!("floorboard_bench_{}_{}", std::process::id(), crate::sockets::now_micros() / 1_000_000);
    let admin = bench.postgres_url.clone();
    let url = create_database(&admin, &database).await?;
    let result = measure(bench, &url, &mut outcome).await;
    drop_database(&admin, &database).await?;
    result?;
    Ok(outcome)
}

async fn measure(bench: &mut Bench, url: &str, outcome: &mut Outcome) -> anyhow::Result<()> {
    let serve = Serve { database_url: Some(url.to_string()), ..Serve::default() };
    let first = bench.floorboard(&serve).await?;
    let second = bench.floorboard(&serve).await?;
    let nodes = [first, second];
    let result = measure_nodes(bench, &nodes, outcome).await;
    for node in nodes {
        node.stop().await;
    }
    result
}

async fn measure_nodes(bench: &Bench, nodes: &[Server; 2], outcome: &mut Outcome) -> anyhow::Result<()> {
    let (per_node, in_flight) = bench.size((8, 128), (1, 16));
    let duration = bench.size(Duration::from_secs(10), Duration::from_secs(1));
    let stop = CancellationToken::new();
    let _stop_all = stop.clone().drop_guard();
    let dials = nodes.each_ref().map(Dial::to);
    let mut watchers = Vec::new();
    for (i, dial) in dials.iter().enumerate() {
        watchers.extend(watcher::open_queue_watchers(dial, QUEUE, 1, i, &stop).await?);
    }
    let pace = Pace { rate: None, in_flight, duration };
    let window = Window::open(&[&nodes[0], &nodes[1]])?;
    let units = tablet::hot_units(24);
    let (a, b) = tokio::join!(
        tablet::run_tablets(&dials[0], per_node, 10, pace, units.clone()),
        tablet::run_tablets(&dials[1], per_node, 10 + per_node, pace, units)
    );
    let logs: Vec<_> = a?.into_iter().chain(b?).collect();
    let acked = Acked::from_tablets(&logs);
    watcher::wait_all_seen(&watchers, acked.last_seq(), Duration::from_secs(30)).await;
    let spent = window.close()?;
    let rate = acked.len() as f64 / active_secs(&logs);
    stop.cancel();
    let queue_logs = watcher::finish_all(watchers).await;

    let case = format!("{} tablets per node", per_node);
    outcome.row(
        "Floorboard x2",
        &case,
        vec![
            Figure::new("reports acknowledged", "", acked.len() as f64),
            Figure::new("durable reports per second", "/s", rate),
            Figure::new("servers' CPU per report", "µs", 1e6 * spent.server_cpu_secs / acked.len().max(1) as f64),
        ],
    );
    outcome.latency("Floorboard x2", &case, "submit to ack", &acked.ack_latencies());
    let mut lat = Latencies::default();
    let delivery = acked.stream_deliveries("report to a queue watcher on each node", &queue_logs, &mut lat);
    outcome.latency("Floorboard x2", &case, "submit to queue watcher (both nodes)", &lat);
    outcome.deliveries.push(delivery.of("Floorboard x2", &case));
    outcome.targets.push(Target::check(
        "two nodes on PostgreSQL: durable reports/s across nodes >= 5,000",
        Some(rate),
        TARGET_RATE,
        false,
        "/s",
    ));
    Ok(())
}

/// Creates `name` next to the database of `admin`; the new database's URL.
async fn create_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let mut conn = PgConnection::connect(admin).await.context("PostgreSQL for S5 is not reachable")?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let (base, _) = admin.rsplit_once('/').context("the PostgreSQL URL names no database")?;
    Ok(format!("{base}/{name}"))
}

async fn drop_database(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
    Ok(())
}
