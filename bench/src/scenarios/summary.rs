//! S9: the lead's numbers at a realistic go-live's size. Floorboard on SQLite is loaded with
//! 40,000 issues by tablets, a share of them then acknowledged and resolved, and each of
//! the lead's reads is timed over HTTP: today's daily summary (computed fresh: today's is
//! never kept), the same as CSV, the go-live curve (uncached, then cached) and the re-teach
//! list. (S8 is the command center's actions, to come with the issue model that carries them.)

use std::time::{Duration, Instant};

use anyhow::Context as _;
use floorboard_shared::protocol::{IssuesAt, StatusChange};
use floorboard_shared::summary::Summary;
use floorboard_shared::{Kind, Status};
use futures_util::StreamExt as _;

use crate::clients::tablet::{self, Pace};
use crate::delivery::Acked;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::{Bench, median};
use crate::servers::Serve;
use crate::sockets::Dial;

/// Today's summary of a 40,000-issue go-live, computed fresh, within a second.
const TARGET_MS: f64 = 1_000.0;
/// Timed reads of each kind.
const READS: usize = 5;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S9", "the lead's numbers at go-live scale: summary, curve, re-teach list");
    let issues = bench.size(40_000_u64, 400);
    let round = bench.size(Duration::from_millis(100), Duration::from_millis(20));
    let server = bench.floorboard(&Serve::default()).await?;
    let found = measure(&server, issues, round, &mut outcome).await;
    server.stop().await;
    found?;
    Ok(outcome)
}

async fn measure(
    server: &crate::servers::Server,
    issues: u64,
    round: Duration,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let dial = Dial::to(server);
    // Load: sixteen tablets as fast as acknowledgements allow, until the count is reached.
    let mut acked = 0;
    let mut loading = Duration::ZERO;
    while acked < issues {
        let started = Instant::now();
        let pace = Pace { rate: None, in_flight: 64, duration: round };
        let logs = tablet::run_tablets(&dial, 16, 0, pace, tablet::hot_units(100)).await?;
        loading += started.elapsed();
        acked += Acked::from_tablets(&logs).len() as u64;
    }
    let http = reqwest::Client::new();
    let token = server.token.clone().context("Floorboard's session")?;
    let base = format!("http://{}", server.addr);
    let get = |path: String| http.get(format!("{base}{path}")).bearer_auth(&*token).send();
    // A share worked: the oldest open issues of the queue the tablets' reports go to
    // acknowledged, and every other one of those resolved.
    let open: IssuesAt = get("/api/v1/queues/operations/issues".into()).await?.error_for_status()?.json().await?;
    let worked = open.issues.len();
    // Acknowledgements first, all of them, then the resolutions: a resolution sent beside its
    // issue's acknowledgement could be applied first, and the acknowledgement then refused.
    let fix = StatusChange {
        status: Status::Resolved,
        note: Some("Workflow re-taught at the elbow.".into()),
        resolution: Some("trained-at-elbow".into()),
    };
    let ack = StatusChange { status: Status::Acknowledged, note: None, resolution: None };
    let mut changed = 0;
    let mut moved = 0;
    for (change, every) in [(ack, 1), (fix, 2)] {
        let paths: Vec<String> = open
            .issues
            .iter()
            .step_by(every)
            .map(|issue| format!("{base}/api/v1/reports/{}/status", issue.report.id))
            .collect();
        changed += paths.len();
        moved += futures_util::stream::iter(paths.into_iter().map(|path| {
            let request = http.post(path).bearer_auth(&*token).json(&change).send();
            async move { request.await.map(|r| r.status().is_success()).unwrap_or(false) }
        }))
        .buffered(16)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    }
    outcome
        .deliveries
        .push(Delivery::new("status change answered 200", changed as u64, moved as u64).of("Floorboard", "load"));
    let rss_before = server.usage()?.rss_bytes;

    let timed = |what: &'static str, path: String| {
        let get = &get;
        async move {
            let mut ms = Vec::with_capacity(READS);
            let mut bytes = 0;
            for _ in 0..READS {
                let started = Instant::now();
                let body = get(path.clone()).await?.error_for_status()?.bytes().await?;
                ms.push(started.elapsed().as_secs_f64() * 1_000.0);
                bytes = body.len();
            }
            anyhow::Ok((what, ms, bytes))
        }
    };
    let summary_ms = timed("daily summary (JSON)", "/api/v1/summary".into()).await?;
    let reads = [
        summary_ms.clone(),
        timed("daily summary (CSV)", "/api/v1/summary?format=csv".into()).await?,
        timed("go-live curve (made at most every 30 s)", "/api/v1/curve".into()).await?,
        timed("re-teach list, 7 days", "/api/v1/reteach".into()).await?,
    ];
    let case = format!("{acked} issues, {worked} worked");
    for (what, ms, bytes) in &reads {
        outcome.row(
            "Floorboard",
            &format!("{case}: {what}"),
            vec![
                Figure::new("first read", "ms", ms.first().copied().unwrap_or_default()),
                Figure::new("median read", "ms", median(ms.clone()).unwrap_or_default()),
                Figure::new("slowest read", "ms", ms.iter().copied().fold(0.0, f64::max)),
                Figure::new("answer", "KiB", *bytes as f64 / 1024.0),
            ],
        );
    }
    let rss_after = server.usage()?.rss_bytes;
    outcome.row(
        "Floorboard",
        &case,
        vec![
            Figure::new("load time", "s", loading.as_secs_f64()),
            Figure::new("RSS before the reads", "MiB", rss_before as f64 / 1_048_576.0),
            Figure::new("RSS after", "MiB", rss_after as f64 / 1_048_576.0),
        ],
    );
    // What the summary counted is what was loaded.
    let summary: Summary = get("/api/v1/summary".into()).await?.error_for_status()?.json().await?;
    let counted =
        summary.sections.first().map_or(0, |s| u64::from(s.by_kind.get(&Kind::Process).copied().unwrap_or(0)));
    outcome.deliveries.push(Delivery::new("issue counted in today's summary", acked, counted).of("Floorboard", &case));
    outcome.targets.push(Target::check(
        format!("today's summary of {acked} issues, computed fresh: median <= {TARGET_MS} ms"),
        median(summary_ms.1),
        TARGET_MS,
        true,
        "ms",
    ));
    outcome.notes.push(format!(
        "Loaded by 16 tablets over the websocket (every report a process issue on one of 100 units, routed to \
         `operations`), then up to 5,000 of them acknowledged and every other one resolved over HTTP, 16 at a time. \
         Each read is made {READS} times in a row by the benchmark's lead; today's summary is computed fresh each \
         time (only ended periods are kept), the curve is made by the first read and served from memory for 30 s \
         after. Reports received around midnight in the go-live's zone would fall in yesterday: run it away from \
         midnight, America/New_York."
    ));
    Ok(())
}
