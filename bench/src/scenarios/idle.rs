//! S1: idle board connections, subscribed, held by the generator: server memory per
//! connection (RSS after minus RSS before, over the count) at each step, for Floorboard and
//! for the reference hubs (plain connections to their `/ws`).

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::clients::watcher::{self, Watcher};
use crate::results::{Chart, Delivery, Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::servers::{Serve, Server};
use crate::sockets::Dial;

/// What to connect: Floorboard boards, or plain clients of a hub.
#[derive(Clone, Copy)]
enum Clients {
    Boards,
    Plain,
}

const SETTLE: Duration = Duration::from_secs(2);
const TARGET_KIB: f64 = 6.0;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S1", "idle board connections: server memory per connection");
    let steps = bench.size(vec![10_000, 19_000], vec![20, 50]);
    let mut chart = Chart {
        file: "s1-memory.png".into(),
        title: "S1: server memory per idle connection".into(),
        x_label: "connections".into(),
        y_label: "RSS per connection (KiB)".into(),
        ..Chart::default()
    };

    let server = bench.floorboard(&Serve::default()).await?;
    let points = measure(&server, Clients::Boards, &steps, &mut outcome).await;
    server.stop().await;
    let points = points?;
    for &(n, kib) in &points {
        let goal = format!("Floorboard, {n} idle boards: <= {TARGET_KIB} KiB per connection");
        outcome.targets.push(Target::check(goal, Some(kib), TARGET_KIB, true, "KiB"));
    }
    chart.series.push(("Floorboard".into(), points.iter().map(|&(n, kib)| (n as f64, kib)).collect()));

    for peer in bench.peers() {
        let server = bench.peer(peer).await?;
        let points = measure(&server, Clients::Plain, &steps, &mut outcome).await;
        server.stop().await;
        chart.series.push((peer.name().into(), points?.iter().map(|&(n, kib)| (n as f64, kib)).collect()));
    }
    outcome.notes.extend(bench.no_peers_note());
    outcome.charts.push(chart);
    Ok(outcome)
}

/// Opens connections up to each step and measures the server's memory per connection;
/// the (connections, KiB per connection) points.
async fn measure(
    server: &Server,
    clients: Clients,
    steps: &[usize],
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<(usize, f64)>> {
    tokio::time::sleep(SETTLE).await;
    let before = server.usage()?.rss_bytes;
    let dial = Dial::to(server);
    let stop = CancellationToken::new();
    let _stop_all = stop.clone().drop_guard();
    let mut held: Vec<Watcher> = Vec::new();
    let mut points = Vec::new();
    for &n in steps {
        let started = Instant::now();
        let more = n.saturating_sub(held.len());
        let first = held.len();
        held.extend(match clients {
            Clients::Boards => watcher::open_boards(&dial, more, first, &stop).await?,
            Clients::Plain => watcher::open_broadcast(&dial, more, first, &stop).await?,
        });
        let opened = started.elapsed().as_secs_f64();
        tokio::time::sleep(SETTLE).await;
        let rss = server.usage()?.rss_bytes;
        let kib = rss.saturating_sub(before) as f64 / 1024.0 / n as f64;
        let case = format!("{n} idle");
        outcome.row(
            &server.name,
            &case,
            vec![
                Figure::new("connections", "", n as f64),
                Figure::new("RSS before", "MiB", before as f64 / 1048576.0),
                Figure::new("RSS", "MiB", rss as f64 / 1048576.0),
                Figure::new("RSS per connection", "KiB", kib),
                Figure::new("time to open the step", "s", opened),
            ],
        );
        let alive = held.iter().filter(|w| w.alive()).count() as u64;
        outcome.deliveries.push(Delivery::new("connection still open", n as u64, alive).of(&server.name, &case));
        points.push((n, kib));
    }
    stop.cancel();
    watcher::finish_all(held).await;
    Ok(points)
}
