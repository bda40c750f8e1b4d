//! Tablets: submit reports over one connection each, pipelined up to a bound of reports in
//! flight, either as fast as acknowledgements allow or at a fixed rate, for a while. Each
//! report carries its submit time as `reported_at`; each acknowledgement is logged with its
//! sequence number, so boards can be matched to reports by `seq` afterwards.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use floorboard_shared::protocol::ClientMsg;
use floorboard_shared::{GoLive, Kind, ReportDraft, ReportId, Severity};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::clients::protocol;
use crate::sockets::{Dial, Socket, now_micros};

/// How long to wait for the last acknowledgements once submitting stops.
const ACK_TIMEOUT: Duration = Duration::from_secs(60);

/// How one tablet submits.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Reports per second; as fast as acknowledgements allow when `None`.
    pub rate: Option<f64>,
    /// Reports awaiting their acknowledgement at most.
    pub in_flight: usize,
    /// How long to keep submitting.
    pub duration: Duration,
}

/// One acknowledged report.
#[derive(Debug, Clone, Copy)]
pub struct Ack {
    pub seq: u64,
    pub submitted: i64,
    pub acked: i64,
}

/// What one tablet did.
#[derive(Debug, Default)]
pub struct TabletLog {
    pub acks: Vec<Ack>,
    pub sent: u64,
    /// Answered with an error: none are expected.
    pub refused: u64,
    pub first_sent: Option<Instant>,
    pub last_acked: Option<Instant>,
}

/// The units reports are spread over: the first `count` of the built-in go-live.
pub fn hot_units(count: usize) -> Arc<Vec<(String, String)>> {
    let golive = GoLive::example();
    let units = golive.units().take(count.max(1)).map(|(f, u)| (f.id.to_string(), u.id.to_string())).collect();
    Arc::new(units)
}

/// A process report (routed to `operations`) about the system, stamped now.
pub fn draft(tablet: usize, n: u64, units: &[(String, String)]) -> ReportDraft {
    let (facility, unit) = &units[(n as usize + tablet) % units.len()];
    let now = now_micros();
    ReportDraft {
        id: ReportId(uuid::Uuid::now_v7()),
        facility: facility.clone(),
        unit: unit.clone(),
        module: "clindoc".into(),
        kind: Kind::Process,
        severity: Severity::Medium,
        summary: "Discharge workflow step skipped after the new order set".into(),
        details: None,
        affected_role: Some("RN".into()),
        affected_users: 2,
        resolved_at_elbow: false,
        reporter: format!("bench-tablet-{tablet:03}"),
        reported_at: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000).expect("a valid time"),
    }
}

/// Opens `count` tablets and runs them all with `pace` each; their logs.
pub async fn run_tablets(
    dial: &Dial,
    count: usize,
    first: usize,
    pace: Pace,
    units: Arc<Vec<(String, String)>>,
) -> anyhow::Result<Vec<TabletLog>> {
    let mut sockets = Vec::with_capacity(count);
    for i in 0..count {
        sockets.push(protocol::connect(dial, first + i).await?);
    }
    let tasks: Vec<_> =
        sockets.into_iter().enumerate().map(|(i, ws)| tokio::spawn(run(ws, i, pace, units.clone()))).collect();
    let mut logs = Vec::with_capacity(count);
    for task in tasks {
        logs.push(task.await.context("tablet task")??);
    }
    Ok(logs)
}

type Pending = Mutex<HashMap<ReportId, i64>>;

/// What a tablet reads of a server message: its type, and the report a receipt or an error
/// names. Read flat, skipping the rest, not as a `ServerMsg`, whose internal tag buffers each
/// message whole first: the generator shares the two cores with the server it measures.
#[derive(serde::Deserialize)]
struct Reply<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    id: Option<ReportId>,
    seq: Option<u64>,
}

/// Submits on one connection until `pace.duration` is over and every report is answered.
async fn run(ws: Socket, tablet: usize, pace: Pace, units: Arc<Vec<(String, String)>>) -> anyhow::Result<TabletLog> {
    let (sink, stream) = ws.split();
    let pending: Pending = Mutex::new(HashMap::new());
    let permits = Semaphore::new(pace.in_flight.max(1));
    let done = AtomicBool::new(false);
    let (sent, log) = tokio::join!(
        submit(sink, tablet, pace, &units, &pending, &permits, &done),
        collect(stream, &pending, &permits, &done)
    );
    let (sent, first_sent) = sent?;
    let mut log = log?;
    log.sent = sent;
    log.first_sent = first_sent;
    anyhow::ensure!(pending.lock().expect("pending").is_empty(), "tablet {tablet}: reports left unanswered");
    Ok(log)
}

async fn submit(
    mut sink: SplitSink<Socket, Message>,
    tablet: usize,
    pace: Pace,
    units: &[(String, String)],
    pending: &Pending,
    permits: &Semaphore,
    done: &AtomicBool,
) -> anyhow::Result<(u64, Option<Instant>)> {
    let started = Instant::now();
    let deadline = started + pace.duration;
    let mut ticks = pace.rate.map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / r)));
    let mut sent = 0;
    while Instant::now() < deadline {
        if let Some(ticks) = ticks.as_mut() {
            ticks.tick().await;
        }
        permits.acquire().await.context("permits")?.forget();
        if Instant::now() >= deadline {
            permits.add_permits(1);
            break;
        }
        // Unpaced, a report for every permit free now, written together: reports waiting to
        // go leave in one write (as a tablet's queue does when it comes back online), not a
        // system call each, which was a third of the generator's CPU, on the two cores it
        // shares with the server it measures. Paced, one report per tick.
        let mut ready = 1;
        while ticks.is_none()
            && let Ok(permit) = permits.try_acquire()
        {
            permit.forget();
            ready += 1;
        }
        for _ in 0..ready {
            let report = draft(tablet, sent, units);
            pending.lock().expect("pending").insert(report.id, now_micros());
            let text = serde_json::to_string(&ClientMsg::Submit { report })?;
            sink.feed(Message::text(text)).await.context("submit")?;
            sent += 1;
        }
        sink.flush().await.context("submit")?;
    }
    done.store(true, Ordering::Release);
    Ok((sent, (sent > 0).then_some(started)))
}

async fn collect(
    mut stream: SplitStream<Socket>,
    pending: &Pending,
    permits: &Semaphore,
    done: &AtomicBool,
) -> anyhow::Result<TabletLog> {
    let mut log = TabletLog::default();
    let mut give_up: Option<Instant> = None;
    loop {
        if done.load(Ordering::Acquire) {
            if pending.lock().expect("pending").is_empty() {
                return Ok(log);
            }
            let limit = *give_up.get_or_insert_with(|| Instant::now() + ACK_TIMEOUT);
            anyhow::ensure!(Instant::now() < limit, "acknowledgements still missing after {ACK_TIMEOUT:?}");
        }
        let Ok(frame) = tokio::time::timeout(Duration::from_millis(20), stream.next()).await else { continue };
        let Message::Text(text) = frame.context("connection closed")?.context("connection failed")? else { continue };
        let at = now_micros();
        let reply = serde_json::from_str::<Reply>(text.as_str()).context("unreadable server message")?;
        match (&*reply.kind, reply.id, reply.seq) {
            ("submitted", Some(id), Some(seq)) => {
                if let Some(submitted) = pending.lock().expect("pending").remove(&id) {
                    log.acks.push(Ack { seq, submitted, acked: at });
                    log.last_acked = Some(Instant::now());
                    permits.add_permits(1);
                }
            }
            ("submitted", ..) => anyhow::bail!("a receipt without its report's id and seq"),
            ("error", id, _) => {
                if let Some(id) = id {
                    pending.lock().expect("pending").remove(&id);
                    permits.add_permits(1);
                }
                log.refused += 1;
            }
            _ => {}
        }
    }
}
