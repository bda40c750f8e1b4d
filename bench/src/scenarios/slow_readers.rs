//! S6: 1% of boards stop reading (a small receive buffer, never read again) during a fan-out
//! like S2's: the other boards' p99 against S2's at the same size, and the server's memory
//! over time, which must stay bounded while the stalled boards are resynced and dropped.

use std::time::Duration;

use crate::results::{Chart, Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::scenarios::fanout::{self, Case};
use crate::servers;

const TARGET_RATIO: f64 = 1.2;
/// Growth allowed between the first and second half of the run: a tenth, and at least this.
const RSS_SLACK_MIB: f64 = 4.0;

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S6", "1% of boards stop reading");
    let boards = bench.size(1_000, 20);
    let duration = bench.size(Duration::from_secs(30), Duration::from_secs(2));
    let case = Case { boards, stalled: (boards / 100).max(1), rate: fanout::rate_for(boards), duration };
    let label = format!("{boards} boards, {} stalled, {} msg/s", case.stalled, case.rate);

    let server = bench.floorboard(&fanout::serve()).await?;
    let found = fanout::floorboard(&server, case).await;
    let metrics = server.metrics().await.unwrap_or_default();
    server.stop().await;
    let found = found?;

    let p99 = outcome.latency("Floorboard", &label, "submit to reading board", &found.latency).p99_ms;
    let rss = |f: fn(f64, f64) -> f64, part: &[(f64, f64)]| part.iter().map(|p| p.1).fold(f64::NAN, f);
    let half = found.rss.len() / 2;
    let (first_max, second_max) = (rss(f64::max, &found.rss[..half]), rss(f64::max, &found.rss[half..]));
    outcome.row(
        "Floorboard",
        &label,
        vec![
            Figure::new("deliveries", "", found.messages as f64),
            Figure::new("RSS at start", "MiB", found.rss.first().map_or(f64::NAN, |p| p.1)),
            Figure::new("RSS max, first half", "MiB", first_max),
            Figure::new("RSS max, second half", "MiB", second_max),
            Figure::new("slow clients dropped", "", disconnected(&metrics, "client too slow")),
            Figure::new("resyncs", "", servers::counter_total(&metrics, "floorboard_clients_resynced_total")),
        ],
    );
    outcome.deliveries.extend(found.deliveries.iter().map(|d| d.clone().of("Floorboard", &label)));
    let baseline = bench.fanout_p99.get(&boards).copied();
    let goal = format!("p99 of the reading boards <= {TARGET_RATIO}x S2 at {boards} boards");
    outcome.targets.push(Target::check(goal, baseline.map(|b| p99 / b), TARGET_RATIO, true, "x"));
    let (growth, slack) = (second_max - first_max, (first_max / 10.0).max(RSS_SLACK_MIB));
    let goal = "server memory bounded: RSS in the second half grows less than a tenth over the first half's";
    outcome.targets.push(Target::check(goal, Some(growth), slack, true, "MiB growth"));
    if disconnected(&metrics, "client too slow") == 0.0 {
        outcome.notes.push(
            "No stalled board was dropped during the run: loopback socket buffers (several MiB per socket) took \
             every update they were sent, so the server never waited on them."
                .into(),
        );
    }
    match baseline {
        Some(b) => outcome.notes.push(format!(
            "The p99 ratio is to S2's p99 at {boards} boards in this run ({} ms, the median of its rounds' p99s).",
            crate::results::number(b)
        )),
        None => outcome.notes.push("S2 did not run at this size in this run: no baseline for the p99 ratio.".into()),
    }
    outcome.charts.push(Chart {
        file: "s6-rss.png".into(),
        title: format!("S6: server RSS while {} of {boards} boards stop reading", case.stalled),
        x_label: "seconds".into(),
        y_label: "RSS (MiB)".into(),
        log_x: false,
        series: vec![("Floorboard".into(), found.rss)],
    });
    Ok(outcome)
}

/// Disconnections of one reason from the server's metrics.
fn disconnected(metrics: &str, reason: &str) -> f64 {
    let prefix = format!("floorboard_clients_disconnected_total{{reason=\"{reason}\"}}");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}
