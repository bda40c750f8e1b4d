//! S6: 1% of boards stop reading (a small receive buffer, never read again) during a fan-out
//! like S2's: the other boards' p99 against the same fan-out with none stalled, run as long
//! just before on a fresh server (S2's case, as long as this one: S2's rounds run 10 s, and a
//! longer run's p99 reaches further into the tail), and the server's memory over time, which
//! must stay bounded while the stalled boards are resynced and dropped.

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

    let control_case = Case { stalled: 0, ..case };
    let control_label = format!("{boards} boards, none stalled, {} msg/s", case.rate);
    let (control, _) = measure(bench, control_case).await?;
    let control_p99 = outcome.latency("Floorboard", &control_label, "submit to board", &control.latency).p99_ms;
    acks(&mut outcome, &control_label, &control);
    outcome.deliveries.extend(control.deliveries.iter().map(|d| d.clone().of("Floorboard", &control_label)));
    let (found, metrics) = measure(bench, case).await?;

    let p99 = outcome.latency("Floorboard", &label, "submit to reading board", &found.latency).p99_ms;
    acks(&mut outcome, &label, &found);
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
    let goal = format!("p99 of the reading boards <= {TARGET_RATIO}x S2's fan-out to {boards} boards, run as long");
    outcome.targets.push(Target::check(goal, Some(p99 / control_p99), TARGET_RATIO, true, "x"));
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
    let to_s2 = match bench.fanout_p99.get(&boards) {
        Some(b) => format!(
            "; against S2's own p99 at {boards} boards in this run ({} ms, the median of its 10 s rounds) the ratio \
             is {}x",
            crate::results::number(*b),
            crate::results::number(p99 / b)
        ),
        None => String::new(),
    };
    outcome.notes.push(format!(
        "The p99 ratio is to the same fan-out with no board stalled, run for as long just before on a fresh server \
         ({} ms){to_s2}.",
        crate::results::number(control_p99)
    ));
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

/// The run's submit-to-acknowledgement latency, beside its boards': a tail in both is the
/// commit's (the disk), a tail in the boards' alone is the fan-out's.
fn acks(outcome: &mut Outcome, label: &str, found: &fanout::Found) {
    if let Some(ack) = &found.ack_latency {
        outcome.latency_unplotted("Floorboard", label, "submit to ack", ack);
    }
}

/// Disconnections of one reason from the server's metrics.
fn disconnected(metrics: &str, reason: &str) -> f64 {
    let prefix = format!("floorboard_clients_disconnected_total{{reason=\"{reason}\"}}");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

/// One fan-out on a fresh server; what it found and the server's final metrics.
async fn measure(bench: &mut Bench, case: Case) -> anyhow::Result<(fanout::Found, String)> {
    let server = bench.floorboard(&fanout::serve()).await?;
    let found = fanout::floorboard(&server, case).await;
    let metrics = server.metrics().await.unwrap_or_default();
    server.stop().await;
    Ok((found?, metrics))
}
