//! The daily summary against direct counts over the stored issues, on generated data: three
//! days of reports and status changes (reopenings included) on the built-in go-live, every
//! day and shift of them summarised, each number held to a SQL count over the rows as
//! stored (statuses as they stood at the period's end, read from the log) or, for the times
//! to acknowledge and resolve and the reopenings, to what the test itself applied. Later
//! changes to the issue model must keep this true.

use std::collections::{BTreeMap, BTreeSet};

use floorboard_server::summary::summary_of;
use floorboard_shared::routing::route_report;
use floorboard_shared::summary::{Period, Scope, Section, Summary, nearest_rank};
use floorboard_shared::{Kind, QueueId, ReportId, Severity, Status};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::macros::{date, datetime, time};
use time::{Duration, OffsetDateTime};

use super::{Db, FIX, GOLIVE, apply, committed, report_with, set, submit};

/// A time as both stores keep it: microseconds since the epoch.
fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// What the test applied to one issue.
struct Applied {
    id: ReportId,
    facility: String,
    queues: Vec<QueueId>,
    received_at: OffsetDateTime,
    elbow: bool,
    /// (when, from, to), in order.
    moves: Vec<(OffsetDateTime, Status, Status)>,
    status: Status,
}

/// Three days of a go-live: a batch every 20 minutes with up to three reports (one in ten
/// resolved at the elbow) and up to three status changes of earlier issues.
async fn generate(store: &dyn floorboard_server::store::Store) -> Vec<Applied> {
    let mut rng = StdRng::seed_from_u64(21);
    let units: Vec<String> = GOLIVE.units().map(|(_, u)| u.id.to_string()).collect();
    let mut issues: Vec<Applied> = Vec::new();
    let start = datetime!(2026-11-21 12:00 UTC);
    for step in 0..216 {
        let at = start + Duration::minutes(20 * step) + Duration::seconds(rng.random_range(0..600));
        let mut batch = Vec::new();
        let mut fresh = Vec::new();
        for _ in 0..rng.random_range(0..=3) {
            let unit = &units[rng.random_range(0..units.len())];
            let (kind, severity) = (Kind::ALL[rng.random_range(0..4)], Severity::ALL[rng.random_range(0..4)]);
            let users = rng.random_range(1..=40);
            let elbow = rng.random_bool(0.1);
            let reporter = format!("trainer-0{}", rng.random_range(1..=3));
            let report = report_with(unit, kind, severity, |d| {
                d.affected_users = users;
                d.resolved_at_elbow = elbow;
                d.reporter = reporter;
            });
            batch.push(submit(&report));
            fresh.push(Applied {
                id: report.id,
                facility: report.facility.to_string(),
                queues: route_report(&report, &GOLIVE),
                received_at: at,
                elbow,
                moves: Vec::new(),
                status: report.initial_status(),
            });
        }
        let mut moved = BTreeSet::new();
        for _ in 0..rng.random_range(0..=3) {
            if issues.is_empty() {
                break;
            }
            let i = rng.random_range(0..issues.len());
            let from = issues[i].status;
            let choices: Vec<Status> = Status::ALL.into_iter().filter(|&to| from.can_move_to(to)).collect();
            if !moved.insert(i) || choices.is_empty() {
                continue;
            }
            let to = choices[rng.random_range(0..choices.len())];
            batch.push(set(issues[i].id, to, (Status::needs_note(to) || from.reopens(to)).then_some(FIX)));
            issues[i].moves.push((at, from, to));
            issues[i].status = to;
        }
        for outcome in apply(store, &batch, at).await {
            committed(&outcome);
        }
        issues.extend(fresh);
    }
    issues
}

/// The status of `r` as the log says it stood at `to`: left by its first change after `to`,
/// else as its row says now.
fn status_at(to: i64) -> String {
    format!(
        "COALESCE((SELECT e.from_status FROM events e WHERE e.report_seq = r.reported_seq \
         AND e.change = 'status_changed' AND e.at > {to} ORDER BY e.seq LIMIT 1), r.status)"
    )
}

/// Rows of `(key, count)` as a map.
async fn direct(db: &Db, sql: &str) -> BTreeMap<String, i64> {
    db.storage.pairs(sql).await.into_iter().collect()
}

fn spelled<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).expect("serialises").as_str().expect("a string").to_owned()
}

fn nonzero<K: serde::Serialize>(counts: &BTreeMap<K, u32>) -> BTreeMap<String, i64> {
    counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (spelled(k), i64::from(*n))).collect()
}

async fn assert_section(db: &Db, period: &Period, section: &Section, applied: &[Applied]) {
    let (from, to) = (micros(period.from), micros(period.to));
    let facility = section.facility.as_ref().map_or(String::new(), |f| format!(" AND r.facility = '{f}'"));
    let within = format!("r.received_at >= {from} AND r.received_at < {to}{facility}");
    let by = |column: &str| format!("SELECT {column}, COUNT(*) FROM reports r WHERE {within} GROUP BY {column}");
    let place = format!("{} {}", period.key(), section.facility.as_ref().map_or("all", |f| f.as_str()));

    let one = |rows: BTreeMap<String, i64>| rows.get("n").copied().unwrap_or(0);
    let reported = one(direct(db, &format!("SELECT 'n', COUNT(*) FROM reports r WHERE {within}")).await);
    assert_eq!(i64::from(section.reported), reported, "{place}: reported");
    let users = format!("SELECT 'n', CAST(COALESCE(SUM(r.affected_users), 0) AS BIGINT) FROM reports r WHERE {within}");
    assert_eq!(section.affected_users as i64, one(direct(db, &users).await), "{place}: affected users");
    let elbow = format!("SELECT 'n', COUNT(*) FROM reports r WHERE {within} AND r.resolved_at_elbow = TRUE");
    assert_eq!(i64::from(section.resolved_at_elbow), one(direct(db, &elbow).await), "{place}: elbow");
    assert_eq!(nonzero(&section.by_kind), direct(db, &by("r.kind")).await, "{place}: by kind");
    assert_eq!(nonzero(&section.by_severity), direct(db, &by("r.severity")).await, "{place}: by severity");
    let statuses = format!("SELECT {st}, COUNT(*) FROM reports r WHERE {within} GROUP BY {st}", st = status_at(to));
    assert_eq!(nonzero(&section.by_status), direct(db, &statuses).await, "{place}: by status as it stood");
    let units: BTreeMap<String, i64> =
        section.by_unit.iter().map(|u| (u.unit.to_string(), i64::from(u.total))).collect();
    assert_eq!(units, direct(db, &by("r.unit")).await, "{place}: by unit");
    for line in &section.by_unit {
        assert_eq!(line.total, line.by_kind.values().sum::<u32>(), "{place}: a unit's kinds add up");
    }
    let modules: BTreeMap<String, i64> =
        section.by_module.iter().map(|m| (m.module.to_string(), i64::from(m.count))).collect();
    assert_eq!(modules, direct(db, &by("r.module")).await, "{place}: by module");
    let queues: BTreeMap<String, i64> =
        section.by_queue.iter().map(|q| (q.queue.to_string(), i64::from(q.count))).collect();
    let sql = format!(
        "SELECT q.queue, COUNT(*) FROM report_queues q JOIN reports r ON r.reported_seq = q.report_seq \
         WHERE {within} GROUP BY q.queue"
    );
    assert_eq!(queues, direct(db, &sql).await, "{place}: by queue");

    let open_then = format!("r.received_at < {to}{facility} AND {} NOT IN ('resolved', 'closed')", status_at(to));
    let safety = direct(
        db,
        &format!("SELECT r.id, CAST(1 AS BIGINT) FROM reports r WHERE {open_then} AND r.severity = 'patient_safety'"),
    )
    .await;
    let listed: BTreeSet<String> = section.safety_open.iter().map(|b| b.id.to_string()).collect();
    assert_eq!(listed, safety.into_keys().collect(), "{place}: open patient-safety issues");
    let top = db
        .storage
        .pairs(&format!(
            "SELECT r.id, CAST(r.affected_users AS BIGINT) FROM reports r WHERE {open_then} \
             ORDER BY r.affected_users DESC, CASE r.severity WHEN 'patient_safety' THEN 0 WHEN 'high' THEN 1 \
             WHEN 'medium' THEN 2 ELSE 3 END, r.received_at, r.id LIMIT 10"
        ))
        .await;
    let listed: Vec<(String, i64)> =
        section.top_open.iter().map(|b| (b.id.to_string(), i64::from(b.affected_users))).collect();
    assert_eq!(listed, top, "{place}: the top open issues");

    // Times and reopenings, from what was applied.
    let here: Vec<&Applied> =
        applied.iter().filter(|a| section.facility.as_ref().is_none_or(|f| f.as_str() == a.facility)).collect();
    let mut times: BTreeMap<&QueueId, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
    for a in here.iter().filter(|a| (period.from..period.to).contains(&a.received_at) && !a.elbow) {
        let first = |pick: &dyn Fn(Status, Status) -> bool| {
            a.moves
                .iter()
                .find(|&&(_, from, to)| pick(from, to))
                .filter(|&&(at, ..)| at <= period.to)
                .map(|&(at, ..)| (at - a.received_at).whole_seconds() as u64)
        };
        let ack = first(&|from, _| from == Status::New);
        let res = first(&|_, to| !to.is_open());
        for q in &a.queues {
            let line = times.entry(q).or_default();
            line.0.extend(ack);
            line.1.extend(res);
        }
    }
    for line in &section.by_queue {
        let (mut ack, mut res) = times.remove(&line.queue).unwrap_or_default();
        ack.sort_unstable();
        res.sort_unstable();
        let timing = |t: &floorboard_shared::summary::Timing| (t.count as usize, t.median_secs, t.p90_secs);
        assert_eq!(
            timing(&line.acknowledge),
            (ack.len(), nearest_rank(&ack, 50), nearest_rank(&ack, 90)),
            "{place}: {} ack",
            line.queue
        );
        assert_eq!(
            timing(&line.resolve),
            (res.len(), nearest_rank(&res, 50), nearest_rank(&res, 90)),
            "{place}: {} resolve",
            line.queue
        );
    }
    let reopened: BTreeSet<ReportId> = here
        .iter()
        .filter(|a| {
            a.moves
                .iter()
                .any(|&(at, from, to)| !from.is_open() && to.is_open() && (period.from..period.to).contains(&at))
        })
        .map(|a| a.id)
        .collect();
    assert_eq!(section.reopened.iter().map(|b| b.id).collect::<BTreeSet<_>>(), reopened, "{place}: reopened");
}

pub(super) async fn the_summary_equals_direct_counts_over_the_stored_issues(db: Db) {
    let store = db.open().await;
    let applied = generate(&*store).await;
    assert!(applied.iter().any(|a| a.moves.iter().any(|m| !m.1.is_open() && m.2.is_open())), "some reopenings");
    let later = datetime!(2026-11-25 12:00 UTC);
    let mut periods = Vec::new();
    for day in [date!(2026 - 11 - 21), date!(2026 - 11 - 22), date!(2026 - 11 - 23)] {
        periods.push(Period::new(&GOLIVE, day, None).expect("a day"));
        for shift in [time!(07:00), time!(19:00)] {
            periods.push(Period::new(&GOLIVE, day, Some(shift)).expect("a shift"));
        }
    }
    for period in &periods {
        let summary: Summary = summary_of(&*store, &GOLIVE, period, &Scope::default(), later).await.expect("summary");
        assert!(summary.complete);
        assert_eq!(summary.sections.len(), 1 + GOLIVE.facilities().len());
        for section in &summary.sections {
            assert_section(&db, period, section, &applied).await;
        }
        // Kept at its first reading: read again, the same summary.
        let again = summary_of(&*store, &GOLIVE, period, &Scope::default(), later).await.expect("kept");
        assert_eq!(again, summary, "{}: kept as computed", period.key());
    }
    // One facility, as a lead limited to it reads it: its section alone, the same numbers.
    let day = &periods[3];
    let rmc = Scope { facility: Some("rmc".into()), reporter: None };
    let whole = summary_of(&*store, &GOLIVE, day, &Scope::default(), later).await.expect("summary");
    let one = summary_of(&*store, &GOLIVE, day, &rmc, later).await.expect("summary");
    assert_eq!(one.sections, [whole.sections[1].clone()]);
}
