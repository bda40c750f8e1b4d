//! S7: a reconnect storm. 10,000 boards hold a board with issues on it, each folding the
//! updates it is sent into its own copy, all drop at once and resume as a display does
//! (reconnecting to `/ws?board` with `resume_from` and the digest of the board it holds, so
//! no `subscribe` is sent); the time until every one holds exactly the current board,
//! against the time uWebSockets.js takes to accept as many connections from the same dialer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use floorboard_shared::heatmap::BoardView;
use floorboard_shared::protocol::{ServerMsg, Topic};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clients::protocol;
use crate::clients::tablet::{self, Pace};
use crate::clients::watcher;
use crate::delivery::Acked;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::{Bench, median, round_label};
use crate::servers::{Peer, Serve, Server};
use crate::sockets::{self, Dial, OPEN_CONCURRENCY, Socket};

const TARGET_RATIO: f64 = 1.5;

/// The storm is measured this many times, Floorboard and uWebSockets.js in turn, and judged
/// on the median of the rounds' ratios: one round's ratio moved by half its value between
/// runs of the same binary on this shared machine.
const ROUNDS: usize = 3;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S7", "reconnect storm");
    let boards = bench.size(10_000, 20);
    let case = format!("{boards} boards");
    let rounds = bench.size(ROUNDS, 1);
    let uws = bench.peers().contains(&Peer::Uws);
    let mut ratios = Vec::with_capacity(rounds);
    let mut unchanged = 0;
    for round in 1..=rounds {
        let at = round_label(&case, round, rounds);
        // uWebSockets.js first in even rounds, so that whatever the machine does over a
        // round weighs on both sides.
        let uws_first = uws && round % 2 == 0;
        let mut uws_secs =
            if uws_first { Some(peer_accept(bench, &mut outcome, Peer::Uws, &at, boards).await?) } else { None };
        let server = bench.floorboard(&Serve { board_interval_ms: 50, ..Serve::default() }).await?;
        let found = storm(bench, &server, boards).await;
        server.stop().await;
        let storm = found?;
        outcome.row("Floorboard", &at, vec![Figure::new("all resumed with exact state", "s", storm.secs)]);
        outcome
            .deliveries
            .push(Delivery::new("resumed with the exact board", boards as u64, storm.exact).of("Floorboard", &at));
        unchanged += storm.unchanged;
        if uws && !uws_first {
            uws_secs = Some(peer_accept(bench, &mut outcome, Peer::Uws, &at, boards).await?);
        }
        if let Some(u) = uws_secs {
            outcome.row("Floorboard / uWebSockets.js", &at, vec![Figure::new("ratio", "x", storm.secs / u)]);
            ratios.push(storm.secs / u);
        }
    }
    // The share of the handshake alone, from the same dialer, on a fresh server; and Node ws.
    let server = bench.floorboard(&Serve::default()).await?;
    let accepted = accept_time(&server, boards).await;
    server.stop().await;
    outcome.row("Floorboard, handshake only", &case, vec![Figure::new("all connections accepted", "s", accepted?)]);
    for peer in bench.peers().into_iter().filter(|p| *p != Peer::Uws) {
        peer_accept(bench, &mut outcome, peer, &case, boards).await?;
    }

    let ratio = median(ratios);
    if rounds > 1
        && let Some(r) = ratio
    {
        outcome.row(
            "Floorboard / uWebSockets.js",
            &format!("{case}, median of {rounds} rounds"),
            vec![Figure::new("ratio", "x", r)],
        );
    }
    let goal = format!("{boards} boards resumed with exact state <= {TARGET_RATIO}x uWebSockets.js accepting as many");
    outcome.targets.push(Target::check(goal, ratio, TARGET_RATIO, true, "x"));
    outcome.notes.push(format!(
        "The same dialer for both: {OPEN_CONCURRENCY} handshakes in flight, one loopback source address per \
         connection. Floorboard's time runs from the dialer having closed every socket (the server is still \
         taking those closes down) to the last resume answer; each board \
         then holds its own folded copy (kept if answered `resumed`, replaced if sent a snapshot), checked \
         cell by cell against a fresh subscriber's board. {unchanged} of {} were answered `resumed` (the board \
         was unchanged), {} were sent the board.",
        boards * rounds,
        (boards * rounds) as u64 - unchanged,
    ));
    if rounds > 1 {
        outcome.notes.push(format!(
            "The storm ran {rounds} rounds, Floorboard and uWebSockets.js in turn (Floorboard first in odd rounds); \
             the target is judged on the median of the rounds' ratios."
        ));
    }
    outcome.notes.extend(bench.no_peers_note());
    Ok(outcome)
}

/// A hub accepting `boards` connections from the dialer, recorded under `at`: the seconds it took.
async fn peer_accept(
    bench: &mut Bench,
    outcome: &mut Outcome,
    peer: Peer,
    at: &str,
    boards: usize,
) -> anyhow::Result<f64> {
    let server = bench.peer(peer).await?;
    let secs = accept_time(&server, boards).await;
    server.stop().await;
    let secs = secs?;
    outcome.row(peer.name(), at, vec![Figure::new("all connections accepted", "s", secs)]);
    Ok(secs)
}

/// What the storm measured.
struct Storm {
    secs: f64,
    /// Boards that held exactly the current board after resuming.
    exact: u64,
    /// Boards answered `resumed`: they already held the current board.
    unchanged: u64,
}

/// A board display: its own copy of the board, folded from a snapshot and every update.
struct Display {
    seen: Arc<AtomicU64>,
    task: JoinHandle<(Option<Socket>, BoardView, u64)>,
}

/// A resumed board's answer: it keeps its copy, or replaces it with the board it was sent.
enum Answer {
    Unchanged,
    Board(BoardView),
}

/// Fills the board, drops every board at once and resumes them.
async fn storm(bench: &Bench, server: &Server, boards: usize) -> anyhow::Result<Storm> {
    let dial = Dial::to(server);
    let stop = CancellationToken::new();
    let displays = sockets::open_many(boards, |i| open_display(dial.clone(), i, stop.clone())).await?;
    let reports = bench.size(Duration::from_millis(500), Duration::from_millis(200));
    let pace = Pace { rate: Some(400.0), in_flight: 64, duration: reports };
    let logs = tablet::run_tablets(&dial, 1, boards, pace, tablet::hot_units(40)).await?;
    let last = Acked::from_tablets(&logs).last_seq();
    let all_seen = || displays.iter().all(|d| d.seen.load(Ordering::Relaxed) >= last);
    if !watcher::wait_until(all_seen, Duration::from_secs(30)).await {
        bail!("boards did not all see the reports before the storm");
    }
    let expected = current_board(&dial, boards + 1).await?;
    stop.cancel();
    let mut held = Vec::with_capacity(boards);
    let mut views = Vec::with_capacity(boards);
    let mut resume_points = Vec::with_capacity(boards);
    for display in displays {
        let (socket, view, seq) = display.task.await?;
        held.extend(socket);
        resume_points.push((seq, view.digest()));
        views.push(view);
    }
    let resume_points = Arc::new(resume_points);

    // Every board drops at once: the clock starts when the dialer has closed them all (it
    // closes them one after another, ~0.1 s for 10,000, which separate displays would not),
    // while the server is still taking the closes down alongside the new connections.
    drop(held);
    let started = Instant::now();
    let resumed = sockets::open_many(boards, |i| {
        let (seq, digest) = resume_points[i];
        let dial = dial.clone();
        async move {
            let path = format!("/ws?board&resume_from={seq}&digest={digest}");
            let mut ws = protocol::connect_at(&dial, boards + 2 + i, &path).await?;
            let answer = resume_answer(&mut ws).await?;
            Ok((i, answer, ws))
        }
    })
    .await?;
    let secs = started.elapsed().as_secs_f64();

    let (mut exact, mut unchanged) = (0, 0);
    for (i, answer, _) in &resumed {
        let now_holds = match answer {
            Answer::Unchanged => {
                unchanged += 1;
                &views[*i]
            }
            Answer::Board(view) => view,
        };
        exact += u64::from(*now_holds == expected);
    }
    Ok(Storm { secs, exact, unchanged })
}

/// Opens board display `index`: subscribes, then folds every update into its copy until `stop`.
async fn open_display(dial: Dial, index: usize, stop: CancellationToken) -> anyhow::Result<Display> {
    let mut ws = protocol::connect(&dial, index).await?;
    let ServerMsg::Snapshot { cells, seq, .. } = protocol::subscribe(&mut ws, board(), None).await? else {
        bail!("a board subscription was not answered with a snapshot");
    };
    let seen = Arc::new(AtomicU64::new(seq));
    let mark = seen.clone();
    let task = tokio::spawn(async move {
        let mut view = BoardView::from_cells(cells);
        let mut shown = seq;
        let ws = sockets::read_until(ws, stop, |text, _| {
            if let Ok(ServerMsg::BoardUpdate { cells, seq, .. }) = serde_json::from_str(text) {
                view.apply(cells);
                shown = shown.max(seq);
                mark.fetch_max(seq, Ordering::Relaxed);
            }
        })
        .await;
        (ws, view, shown)
    });
    Ok(Display { seen, task })
}

/// The answer to a board resumed with the upgrade request (`/ws?board&digest=...`).
async fn resume_answer(ws: &mut Socket) -> anyhow::Result<Answer> {
    loop {
        match protocol::recv(ws).await? {
            ServerMsg::Resumed { .. } => return Ok(Answer::Unchanged),
            ServerMsg::Snapshot { cells, .. } => return Ok(Answer::Board(BoardView::from_cells(cells))),
            ServerMsg::BoardUpdate { .. } => continue,
            other => bail!("a board resume was answered with {}", protocol::kind(&other)),
        }
    }
}

/// The board as a fresh subscriber sees it.
async fn current_board(dial: &Dial, index: usize) -> anyhow::Result<BoardView> {
    let mut ws = protocol::connect(dial, index).await?;
    match protocol::subscribe(&mut ws, board(), None).await? {
        ServerMsg::Snapshot { cells, .. } => Ok(BoardView::from_cells(cells)),
        other => bail!("a board subscription was answered with {}", protocol::kind(&other)),
    }
}

fn board() -> Topic {
    Topic::Board { facility: None }
}

/// Seconds for a hub to accept `n` websocket connections from the same dialer.
async fn accept_time(server: &Server, n: usize) -> anyhow::Result<f64> {
    let dial = Dial::to(server);
    let started = Instant::now();
    let held = sockets::open_many(n, |i| {
        let dial = dial.clone();
        async move { dial.open(i).await }
    })
    .await?;
    let secs = started.elapsed().as_secs_f64();
    drop(held);
    Ok(secs)
}
