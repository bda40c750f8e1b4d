//! The daily floor support summary as a service (the numbers are `floorboard_shared::summary`'s):
//! who may read which, the summaries kept once their period has ended, the keeper that makes
//! them at each shift and day boundary, and the CSV a lead opens in Excel.
//!
//! A summary is a pure function of the log and its period, so a kept one is the one that
//! would be computed again: keeping is for speed (the 07:00 huddle opens yesterday's at
//! once, whatever the go-live's size). A period is kept `SETTLE` after it ends, when a
//! commit stamped just before the boundary on another node has landed; one the keeper missed
//! (the server was down) is kept the first time it is read. Kept summaries hold no free text:
//! an issue's words are read from its row when served, so a redaction reaches them too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use floorboard_shared::access::{Action, Principal, decide};
use floorboard_shared::reteach::{Reteach, Trend};
use floorboard_shared::summary::{Period, Scope, Summary, summarize};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, GoLive, ReporterId};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::store_error_body;
use crate::state::AppState;
use crate::store::{Store, StoreError};

/// How long after a period ends it is kept.
pub const SETTLE: time::Duration = time::Duration::minutes(1);

/// The wall clock the keeper reads and sleeps on: the system's, or one a test moves by hand
/// (so a boundary passes when the test says, and the test waits on what the keeper kept).
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(watch::Receiver<OffsetDateTime>),
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Manual(time) => *time.borrow(),
        }
    }

    async fn sleep_until(&mut self, then: OffsetDateTime) {
        match self {
            Clock::System => {
                let wait = Duration::try_from(then - OffsetDateTime::now_utc()).unwrap_or_default();
                tokio::time::sleep(wait.max(Duration::from_secs(1))).await;
            }
            Clock::Manual(time) => {
                if time.wait_for(|&now| now >= then).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// What a client asks: a period, and optionally one facility or one reporter.
#[derive(Clone, Debug, Default)]
pub struct Ask {
    /// `YYYY-MM-DD`; absent: today.
    pub date: Option<String>,
    /// A shift's local start, `HH:MM`; absent: the whole day.
    pub shift: Option<String>,
    pub facility: Option<String>,
    pub reporter: Option<String>,
}

/// The summary `who` asked for, checked against the catalog and the access policy. A lead
/// limited to one facility who names none gets that facility's.
pub async fn read(state: &AppState, who: &Principal, ask: Ask, now: OffsetDateTime) -> Result<Summary, ErrorBody> {
    let golive = &state.config.golive;
    let period = match &ask.date {
        Some(date) => Period::parse(golive, date, ask.shift.as_deref())?,
        None => match &ask.shift {
            Some(shift) => Period::parse(golive, &Period::current(golive, now, false).key(), Some(shift))?,
            None => Period::current(golive, now, false),
        },
    };
    let reporter = ask
        .reporter
        .map(|r| {
            ReporterId::parse(&r)
                .ok_or_else(|| ErrorBody::new(ErrorCode::InvalidValue, "not a login").with_field("reporter"))
        })
        .transpose()?;
    let facility = allowed_facility(state, who, ask.facility, reporter.as_ref())?;
    let scope = Scope { facility, reporter };
    summary_of(&*state.store, golive, &period, &scope, now).await.map_err(|e| store_error_body(&e))
}

/// The facility a summary (or the re-teach list) asked by `who` covers, checked against the
/// catalog and the access policy: the one asked, or for a lead limited to one facility who
/// names none, theirs.
fn allowed_facility(
    state: &AppState,
    who: &Principal,
    asked: Option<String>,
    reporter: Option<&ReporterId>,
) -> Result<Option<FacilityId>, ErrorBody> {
    let mut facility = match asked {
        Some(f) if state.config.golive.facility(&f).is_none() => {
            return Err(
                ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility")
            );
        }
        f => f.map(FacilityId::new),
    };
    if facility.is_none()
        && who.facility.is_some()
        && decide(who, Action::ReadSummary { facility: None, reporter }).is_err()
    {
        facility.clone_from(&who.facility);
    }
    crate::reads::allow(&state.audit, who, Action::ReadSummary { facility: facility.as_ref(), reporter })?;
    Ok(facility)
}

/// The most days a re-teach list spans.
pub const RETEACH_DAYS_MAX: u32 = 28;

/// The re-teach list of the `days` local days ending with `date` (today when absent) for
/// `who` (a lead's or an administrator's, as the summary).
pub async fn reteach(
    state: &AppState,
    who: &Principal,
    date: Option<String>,
    days: u32,
    facility: Option<String>,
    now: OffsetDateTime,
) -> Result<Reteach, ErrorBody> {
    let golive = &state.config.golive;
    if !(1..=RETEACH_DAYS_MAX).contains(&days) {
        return Err(
            ErrorBody::new(ErrorCode::InvalidValue, format!("days is 1 to {RETEACH_DAYS_MAX}")).with_field("days")
        );
    }
    let last = match &date {
        Some(date) => Period::parse(golive, date, None)?,
        None => Period::current(golive, now, false),
    };
    let first = last
        .date
        .checked_sub(time::Duration::days(i64::from(days) - 1))
        .ok_or_else(|| ErrorBody::new(ErrorCode::InvalidValue, "date is out of range").with_field("date"))?;
    let from = Period::new(golive, first, None)?.from;
    let facility = allowed_facility(state, who, facility, None)?;
    let to = now.min(last.to);
    let records = state.store.summary_records(from, to).await.map_err(|e| store_error_body(&e))?;
    Ok(floorboard_shared::reteach::reteach(&records, from, to, facility.as_ref()))
}

/// Writes the re-teach list as CSV (as the summary's: RFC 4180, CRLF, UTF-8 with a BOM):
/// one workflow a row, its units and its reports per day separated by spaces.
pub fn write_reteach_csv(out: &mut Vec<u8>, list: &Reteach) -> Result<(), csv::Error> {
    let mut csv = spreadsheet(out);
    csv.write_record(["module", "workflow", "units", "reports", "reporters", "affected_users", "trend", "per_day"])?;
    for w in &list.workflows {
        let units: Vec<&str> = w.units.iter().map(|u| u.as_str()).collect();
        let per_day: Vec<String> = w.per_day.iter().map(u32::to_string).collect();
        let trend = match w.trend {
            Trend::Rising => "rising",
            Trend::Steady => "steady",
            Trend::Falling => "falling",
        };
        csv.write_record([
            w.module.as_str(),
            &cell(&w.workflow),
            &units.join(" "),
            &w.reports.to_string(),
            &w.reporters.to_string(),
            &w.affected_users.to_string(),
            trend,
            &per_day.join(" "),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

/// The summary of `period` for `scope` as of `now`: kept, or computed (and kept when the
/// period has settled and the scope is the whole go-live's roll-up or a facility of it).
pub async fn summary_of(
    store: &dyn Store,
    golive: &GoLive,
    period: &Period,
    scope: &Scope,
    now: OffsetDateTime,
) -> Result<Summary, StoreError> {
    let keeps = now >= period.to + SETTLE && scope.reporter.is_none();
    let kept = if keeps { store.kept_summary(&period.key()).await? } else { None };
    // One kept by a version of the server whose summary read otherwise is counted again
    // (the same numbers, from the log), and left as it is.
    let kept = kept.and_then(|body| {
        serde_json::from_str::<Summary>(&body)
            .inspect_err(
                |e| tracing::warn!(error = %e, period = %period.key(), "a kept summary does not read; counted again"),
            )
            .ok()
            .map(|summary| (summary, true))
    });
    let (mut summary, was_kept) = match kept {
        Some(found) => found,
        None => {
            let whole = Scope { facility: None, ..scope.clone() };
            let records = store.summary_records(period.from, now.min(period.to)).await?;
            (summarize(golive, period, now, if keeps { &whole } else { scope }, &records), false)
        }
    };
    if keeps && !was_kept {
        keep(store, period, &summary, now).await?;
    }
    if let Some(f) = &scope.facility
        && summary.sections.len() > 1
    {
        summary = summary.only(f);
    }
    fill_words(store, &mut summary).await?;
    Ok(summary)
}

/// Keeps `summary` without the issues' words.
async fn keep(store: &dyn Store, period: &Period, summary: &Summary, now: OffsetDateTime) -> Result<(), StoreError> {
    let mut bare = summary.clone();
    bare.briefs_mut().for_each(|b| b.summary.clear());
    store.keep_summary(&period.key(), now, &serde_json::to_string(&bare)?).await
}

/// Reads each listed issue's words from its row, as they stand now (redacted, perhaps).
async fn fill_words(store: &dyn Store, summary: &mut Summary) -> Result<(), StoreError> {
    let mut words: HashMap<floorboard_shared::ReportId, String> = HashMap::new();
    for brief in summary.briefs_mut() {
        let text = match words.entry(brief.id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(new) => {
                new.insert(store.issue(brief.id).await?.map(|i| i.report.summary).unwrap_or_default())
            }
        };
        brief.summary.clone_from(text);
    }
    Ok(())
}

/// Keeps each shift and day as it ends (`SETTLE` after), until `stop`. The receiver names
/// the last period kept.
pub fn spawn_keeper(
    store: Arc<dyn Store>,
    golive: Arc<GoLive>,
    mut clock: Clock,
    stop: CancellationToken,
) -> (JoinHandle<()>, watch::Receiver<Option<String>>) {
    let (kept_tx, kept) = watch::channel(None);
    let task = tokio::spawn(async move {
        // The last shift and the last day kept, so each is announced once.
        let mut done: [Option<String>; 2] = [None, None];
        loop {
            let now = clock.now();
            for (shift, done) in [true, false].into_iter().zip(&mut done) {
                let ended = Period::current(&golive, now, shift).previous(&golive);
                if now < ended.to + SETTLE || done.as_deref() == Some(ended.key().as_str()) {
                    continue;
                }
                match summary_of(&*store, &golive, &ended, &Scope::default(), now).await {
                    Ok(_) => {
                        *done = Some(ended.key());
                        kept_tx.send_replace(Some(ended.key()));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, period = %ended.key(), "cannot keep the summary; tried again later")
                    }
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = clock.sleep_until(next_wake(&golive, now)) => {}
            }
        }
    });
    (task, kept)
}

/// The next moment a shift or day has settled after `now`.
fn next_wake(golive: &GoLive, now: OffsetDateTime) -> OffsetDateTime {
    let (shift, day) = (Period::current(golive, now, true), Period::current(golive, now, false));
    [shift.from, shift.to, day.from, day.to]
        .into_iter()
        .map(|boundary| boundary + SETTLE)
        .filter(|&wake| wake > now)
        .min()
        .unwrap_or(now + SETTLE)
}

/// Writes `summary` as CSV (RFC 4180, CRLF, UTF-8 with a byte-order mark so Excel reads it
/// as UTF-8), one number per row, so a pivot table takes it as it is: `facility` (`all` for
/// the whole go-live), `table`, `key` (an id, a status...), `name` (the catalog's name, or an
/// issue's summary), `kind` (for units and listed issues), `value`. Minutes to one decimal.
pub fn write_csv(out: &mut Vec<u8>, golive: &GoLive, summary: &Summary) -> Result<(), csv::Error> {
    let mut csv = spreadsheet(out);
    csv.write_record(["facility", "table", "key", "name", "kind", "value"])?;
    for section in &summary.sections {
        let facility = section.facility.as_ref().map_or("all", FacilityId::as_str);
        let mut row = |table: &str, key: &str, name: &str, kind: &str, value: String| {
            csv.write_record([facility, table, key, &cell(name), kind, &value])
        };
        row("reported", "", "", "", section.reported.to_string())?;
        row("affected_users", "", "", "", section.affected_users.to_string())?;
        row("resolved_at_elbow", "", "", "", section.resolved_at_elbow.to_string())?;
        for (kind, n) in &section.by_kind {
            row("kind", kind.as_str(), kind.label(), "", n.to_string())?;
        }
        for (severity, n) in &section.by_severity {
            row("severity", severity.as_str(), "", "", n.to_string())?;
        }
        for (status, n) in &section.by_status {
            row("status", status.as_str(), "", "", n.to_string())?;
        }
        for line in &section.by_unit {
            let name = unit_name(golive, line.unit.as_str());
            row("unit", line.unit.as_str(), name, "all", line.total.to_string())?;
            for (kind, n) in &line.by_kind {
                row("unit", line.unit.as_str(), name, kind.as_str(), n.to_string())?;
            }
        }
        for line in &section.by_module {
            let name = golive.module(line.module.as_str()).map_or("", |m| m.name.as_str());
            row("module", line.module.as_str(), name, "", line.count.to_string())?;
        }
        for line in &section.by_queue {
            let (q, name) = (line.queue.as_str(), golive.queue(line.queue.as_str()).map_or("", |q| q.name.as_str()));
            row("queue", q, name, "", line.count.to_string())?;
            row("queue_open", q, name, "", line.open.to_string())?;
            for (table, secs) in [
                ("acknowledge_median_minutes", line.acknowledge.median_secs),
                ("acknowledge_p90_minutes", line.acknowledge.p90_secs),
                ("resolve_median_minutes", line.resolve.median_secs),
                ("resolve_p90_minutes", line.resolve.p90_secs),
            ] {
                if let Some(secs) = secs {
                    row(table, q, name, "", format!("{:.1}", secs as f64 / 60.0))?;
                }
            }
        }
        for (table, briefs) in
            [("top_open", &section.top_open), ("safety_open", &section.safety_open), ("reopened", &section.reopened)]
        {
            for b in briefs {
                row(table, &b.id.to_string(), &b.summary, b.kind.as_str(), b.affected_users.to_string())?;
            }
        }
    }
    csv.flush()?;
    Ok(())
}

/// A CSV writer for a spreadsheet: RFC 4180's CRLF, after a UTF-8 byte-order mark, which
/// Excel needs to read the file as UTF-8.
fn spreadsheet(out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    out.extend_from_slice("\u{feff}".as_bytes());
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out)
}

fn unit_name<'a>(golive: &'a GoLive, unit: &str) -> &'a str {
    golive.units().find(|(_, u)| u.id.as_str() == unit).map_or("", |(_, u)| u.name.as_str())
}

/// A cell a spreadsheet shows as text, never runs: one starting like a formula (`=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading apostrophe (OWASP's CSV injection).
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}").into() } else { text.into() }
}

#[cfg(test)]
mod tests {
    use floorboard_shared::Kind;
    use floorboard_shared::routing::route_report;
    use time::macros::datetime;

    use super::*;
    use crate::store::{Command, SqliteStore};

    /// A hand-moved clock past the end of the day shift and then of the day: the keeper keeps
    /// each as it settles, not before, with the day's numbers and without the issues' words.
    #[tokio::test]
    async fn the_keeper_keeps_each_shift_and_day_a_minute_after_it_ends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.expect("open"));
        let golive = Arc::new(GoLive::example()); // shifts at 07:00 and 19:00, UTC-5
        let report = crate::hub::testing::event(1, "rmc-4w", Kind::Configuration).issue.report;
        let queues = route_report(&report, &golive);
        store.apply(vec![Command::Submit { report, queues }], datetime!(2026-11-21 23:00 UTC)).await.expect("commits");

        let (set_time, time) = watch::channel(datetime!(2026-11-21 23:58 UTC)); // 18:58 local
        let stop = CancellationToken::new();
        let (task, mut kept) = spawn_keeper(store.clone(), golive, Clock::Manual(time), stop.clone());
        // At start it keeps the shift and the day that ended before: the night of the 20th, then the 20th.
        kept.wait_for(|k| k.as_deref() == Some("2026-11-20")).await.expect("the keeper runs");
        let day_shift = "2026-11-21T07:00";
        set_time.send(datetime!(2026-11-22 00:00:30 UTC)).expect("the keeper listens"); // 19:00:30: settling
        set_time.send(datetime!(2026-11-22 00:01 UTC)).expect("the keeper listens");
        kept.wait_for(|k| k.as_deref() == Some(day_shift)).await.expect("the day shift is kept");
        let body = store.kept_summary(day_shift).await.expect("reads").expect("kept");
        let shift: Summary = serde_json::from_str(&body).expect("a summary");
        assert!(shift.complete);
        assert_eq!((shift.sections[0].reported, shift.sections[0].top_open.len()), (1, 1));
        assert!(!body.contains("Flowsheet"), "kept without the issue's words");
        assert_eq!(store.kept_summary("2026-11-21").await.expect("reads"), None, "the day has not ended");

        set_time.send(datetime!(2026-11-22 05:01 UTC)).expect("the keeper listens"); // 00:01 the next day
        kept.wait_for(|k| k.as_deref() == Some("2026-11-21")).await.expect("the day is kept");
        let day: Summary = serde_json::from_str(&store.kept_summary("2026-11-21").await.unwrap().unwrap()).unwrap();
        assert_eq!(day.sections[0].reported, 1);
        stop.cancel();
        task.await.expect("the keeper stops");
    }

    #[test]
    fn a_cell_that_looks_like_a_formula_is_shown_as_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Order set missing"), "Order set missing");
    }

    #[test]
    fn the_keeper_wakes_a_minute_after_the_next_boundary() {
        let g = GoLive::example(); // shifts at 07:00 and 19:00, UTC-5
        let at = |s: &str| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(next_wake(&g, at("2026-11-21T13:00:00Z")), at("2026-11-22T00:01:00Z"), "19:01 local");
        assert_eq!(next_wake(&g, at("2026-11-22T03:00:00Z")), at("2026-11-22T05:01:00Z"), "00:01 local");
        assert_eq!(next_wake(&g, at("2026-11-22T00:00:30Z")), at("2026-11-22T00:01:00Z"), "still settling");
    }
}
