//! S2: heatmap fan-out to 1k, 5k and 10k boards. Floorboard: reports that each change the
//! board, at a steady rate, with 20 ms board ticks, measured from submit to each board's
//! update (matched by `seq`). The hubs: one client sends a ~500-byte message at the same
//! rate and every client receives it. Server CPU per delivered message and the p99 delay,
//! with Floorboard's figures as ratios to the hubs'. The measuring here is shared with S6.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clients::tablet::{self, Pace};
use crate::clients::watcher::{self, Log};
use crate::clients::{broadcast, protocol};
use crate::delivery::{self, Acked};
use crate::latency::Latencies;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::window::{Spent, Window};
use crate::scenarios::{Bench, median, round_label};
use crate::servers::{Peer, Serve, Server};
use crate::sockets::{Dial, Socket};

/// Deliveries per second the generator asks for at most: 50 updates/s to 1k boards, fewer
/// updates per second to more boards, so two cores can carry server and generator.
const DELIVERIES_PER_SEC: f64 = 50_000.0;
pub const BOARD_INTERVAL_MS: u64 = 20;
/// SO_RCVBUF of a board that stops reading.
const STALLED_RECV_BUFFER: u32 = 4 * 1024;
/// Each case is measured this many times, every system in turn, and judged on the median of
/// the rounds' ratios: on this shared machine one round's ratio moves by up to ±10 % from
/// the next, more than the margins being judged.
const ROUNDS: usize = 3;

/// One fan-out measurement.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub boards: usize,
    /// Boards (of `boards`) that subscribe and then never read.
    pub stalled: usize,
    pub rate: f64,
    pub duration: Duration,
}

/// What one fan-out measurement found.
pub struct Found {
    pub spent: Spent,
    pub deliveries: Vec<Delivery>,
    pub latency: Latencies,
    pub ack_latency: Option<Latencies>,
    /// Messages the (reading) clients received.
    pub messages: u64,
    /// (seconds, MiB) of server RSS, sampled each second.
    pub rss: Vec<(f64, f64)>,
}

impl Found {
    fn cpu_per_delivery_us(&self) -> f64 {
        1e6 * self.spent.server_cpu_secs / self.messages.max(1) as f64
    }
}

/// Updates per second for `boards` boards.
pub fn rate_for(boards: usize) -> f64 {
    (DELIVERIES_PER_SEC / boards as f64).min(50.0)
}

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S2", "heatmap fan-out");
    let mut counts = bench.size(vec![1_000, 5_000, 10_000], vec![20]);
    if !bench.fanout_boards.is_empty() {
        counts.clone_from(&bench.fanout_boards);
    }
    let duration = bench.size(Duration::from_secs(10), Duration::from_secs(2));
    let rounds = bench.fanout_rounds.unwrap_or(bench.size(ROUNDS, 1));
    for &boards in &counts {
        let case = Case { boards, stalled: 0, rate: rate_for(boards), duration };
        let label = format!("{boards} boards, {} msg/s", case.rate);
        let mut p99s = Vec::with_capacity(rounds);
        for round in 1..=rounds {
            let at = round_label(&label, round, rounds);
            let plotted = round == 1;
            // Floorboard first in odd rounds and last in even ones, so that whatever the
            // machine does over a round weighs on both sides.
            let mut systems: Vec<System> =
                std::iter::once(System::Floorboard).chain(bench.peers().into_iter().map(System::Hub)).collect();
            if round % 2 == 0 {
                systems.reverse();
            }
            for system in systems {
                match system {
                    System::Floorboard => {
                        let server = bench.floorboard(&serve()).await?;
                        let found = floorboard(&server, case).await;
                        server.stop().await;
                        let found = found?;
                        record(&mut outcome, "Floorboard", &at, "submit to board", &found, plotted);
                        p99s.push(found.latency.summary().p99_ms);
                    }
                    System::Hub(peer) => {
                        let server = bench.peer(peer).await?;
                        let found = hub(&server, case).await;
                        server.stop().await;
                        record(&mut outcome, peer.name(), &at, "send to client", &found?, plotted);
                    }
                }
            }
            compare(&mut outcome, &at);
        }
        judge(&mut outcome, &label, rounds, boards == *counts.last().expect("counts"));
        bench.fanout_p99.extend(median(p99s).map(|p99| (boards, p99)));
    }
    outcome.notes.push(format!(
        "Rates are min(50, {DELIVERIES_PER_SEC} / boards) messages per second, the same for every system; \
         Floorboard ticks boards every {BOARD_INTERVAL_MS} ms, and its latency runs from submit (durable commit \
         included) to each board's update."
    ));
    if rounds > 1 {
        outcome.notes.push(format!(
            "Each case ran {rounds} rounds, every system in turn in each round (Floorboard first in odd rounds, last \
             in even ones); targets are judged on the median of the rounds' ratios, and the latency plot shows \
             round 1."
        ));
    }
    outcome.notes.extend(bench.no_peers_note());
    Ok(outcome)
}

/// What one measurement of a round runs.
enum System {
    Floorboard,
    Hub(Peer),
}

pub fn serve() -> Serve {
    Serve { board_interval_ms: BOARD_INTERVAL_MS, ..Serve::default() }
}

fn record(outcome: &mut Outcome, system: &str, label: &str, path: &'static str, found: &Found, plotted: bool) {
    let mut figures = vec![
        Figure::new("deliveries", "", found.messages as f64),
        Figure::new("server CPU", "s", found.spent.server_cpu_secs),
        Figure::new("server CPU per delivery", "µs", found.cpu_per_delivery_us()),
        Figure::new("generator CPU", "s", found.spent.generator_cpu_secs),
    ];
    if let (Some(first), Some(last)) = (found.rss.first(), found.rss.last()) {
        figures.push(Figure::new("server RSS growth", "MiB", last.1 - first.1));
    }
    outcome.row(system, label, figures);
    let latency = if plotted { Outcome::latency } else { Outcome::latency_unplotted };
    latency(outcome, system, label, path, &found.latency);
    if let Some(ack) = &found.ack_latency {
        latency(outcome, system, label, "submit to ack", ack);
    }
    outcome.deliveries.extend(found.deliveries.iter().map(|d| d.clone().of(system, label)));
}

const CPU_RATIO: &str = "CPU per delivery ratio";
const P99_RATIO: &str = "p99 ratio";

/// Floorboard's ratios to each hub in one round of a case.
fn compare(outcome: &mut Outcome, at: &str) {
    let cpu = |o: &Outcome, s: &str| o.figure(s, at, "server CPU per delivery");
    let fb_cpu = cpu(outcome, "Floorboard");
    let fb_p99 = outcome.p99("Floorboard", at, "submit to board");
    let mut ratios = Vec::new();
    for peer in Peer::ALL {
        let cpu_ratio = fb_cpu.zip(cpu(outcome, peer.name())).map(|(f, p)| f / p);
        let p99_ratio = fb_p99.zip(outcome.p99(peer.name(), at, "send to client")).map(|(f, p)| f / p);
        if let (Some(c), Some(p)) = (cpu_ratio, p99_ratio) {
            ratios.push((ratio_system(peer), vec![Figure::new(CPU_RATIO, "x", c), Figure::new(P99_RATIO, "x", p)]));
        }
    }
    for (system, figures) in ratios {
        outcome.row(&system, at, figures);
    }
}

fn ratio_system(peer: Peer) -> String {
    format!("Floorboard / {}", peer.name())
}

/// The targets of a case, against uWebSockets.js, on the median of its rounds' ratios.
fn judge(outcome: &mut Outcome, label: &str, rounds: usize, largest: bool) {
    let system = ratio_system(Peer::Uws);
    // Judged on every round or not at all.
    let median_of = |o: &Outcome, name: &str| {
        let per_round = (1..=rounds).map(|r| o.figure(&system, &round_label(label, r, rounds), name));
        median(per_round.collect::<Option<Vec<f64>>>()?)
    };
    let (cpu_ratio, p99_ratio) = (median_of(outcome, CPU_RATIO), median_of(outcome, P99_RATIO));
    if rounds > 1
        && let (Some(c), Some(p)) = (cpu_ratio, p99_ratio)
    {
        let figures = vec![Figure::new(CPU_RATIO, "x", c), Figure::new(P99_RATIO, "x", p)];
        outcome.row(&system, &format!("{label}, median of {rounds} rounds"), figures);
    }
    let goal = format!("{label}: server CPU per delivery <= 1.0x uWebSockets.js");
    outcome.targets.push(Target::check(goal, cpu_ratio, 1.0, true, "x"));
    if largest {
        let goal = format!("{label}: p99 of an update to every board <= 1.0x uWebSockets.js");
        outcome.targets.push(Target::check(goal, p99_ratio, 1.0, true, "x"));
    }
}

/// Floorboard: `case.boards` boards, one tablet submitting at `case.rate`.
pub async fn floorboard(server: &Server, case: Case) -> anyhow::Result<Found> {
    let dial = Dial::to(server);
    let stop = CancellationToken::new();
    let _stop_all = stop.clone().drop_guard();
    let readers = case.boards - case.stalled;
    let boards = watcher::open_boards(&dial, readers, 0, &stop).await?;
    let _stalled = open_stalled(server, case.stalled, readers).await?;
    let units = tablet::hot_units(1);
    let pace = Pace { rate: Some(case.rate), in_flight: 64, duration: case.duration };

    let window = Window::open(&[server])?;
    let sampling = CancellationToken::new();
    let (tablets, rss) = tokio::join!(
        async {
            let logs = tablet::run_tablets(&dial, 1, case.boards + 1, pace, units).await;
            sampling.cancel();
            logs
        },
        sample_rss(server, &sampling)
    );
    let acked = Acked::from_tablets(&tablets?);
    watcher::wait_all_seen(&boards, acked.last_seq(), drain_time(case.boards)).await;
    let spent = window.close()?;
    stop.cancel();
    let logs = watcher::finish_all(boards).await;
    let mut latency = Latencies::default();
    let deliveries = vec![acked.board_deliveries(&logs, &mut latency), delivery::wire_check(&logs)];
    let messages = updates(&logs);
    Ok(Found { spent, deliveries, latency, ack_latency: Some(acked.ack_latencies()), messages, rss })
}

/// A reference hub: `case.boards` clients, one more sending at `case.rate`.
pub async fn hub(server: &Server, case: Case) -> anyhow::Result<Found> {
    let dial = Dial::to(server);
    let stop = CancellationToken::new();
    let _stop_all = stop.clone().drop_guard();
    let clients = watcher::open_broadcast(&dial, case.boards, 0, &stop).await?;
    let sender = dial.open(case.boards).await?;
    let window = Window::open(&[server])?;
    let (sent, held) = broadcast::send_at_rate(sender, case.rate, case.duration, &stop).await?;
    watcher::wait_all_seen(&clients, sent, drain_time(case.boards)).await;
    let spent = window.close()?;
    stop.cancel();
    drop(held);
    let logs = watcher::finish_all(clients).await;
    let mut latency = Latencies::default();
    let deliveries = vec![delivery::broadcast_deliveries(sent, &logs, &mut latency)];
    let messages = delivery::messages(&logs);
    Ok(Found { spent, deliveries, latency, ack_latency: None, messages, rss: Vec::new() })
}

/// Board updates received, without each board's subscription snapshot.
fn updates(logs: &[Log]) -> u64 {
    delivery::messages(logs).saturating_sub(logs.len() as u64)
}

fn drain_time(clients: usize) -> Duration {
    Duration::from_secs(10) + Duration::from_millis(clients as u64)
}

/// Boards with a small receive buffer that subscribe and then never read again.
async fn open_stalled(server: &Server, n: usize, first: usize) -> anyhow::Result<Vec<Socket>> {
    let dial = Dial { recv_buffer: Some(STALLED_RECV_BUFFER), ..Dial::to(server) };
    let board = floorboard_shared::protocol::Topic::Board { facility: None };
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let mut ws = protocol::connect(&dial, first + i).await?;
        protocol::subscribe(&mut ws, board.clone(), None).await?;
        held.push(ws);
    }
    Ok(held)
}

/// The server's RSS once a second until `stop`: (seconds since start, MiB).
async fn sample_rss(server: &Server, stop: &CancellationToken) -> Vec<(f64, f64)> {
    let started = std::time::Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut points = Vec::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return points,
            _ = ticks.tick() => {
                if let Ok(usage) = server.usage() {
                    points.push((started.elapsed().as_secs_f64(), usage.rss_bytes as f64 / 1048576.0));
                }
            }
        }
    }
}
