//! The daily floor support summary: for a day or a shift of the go-live's local time, the
//! issues received then by kind, unit, status, module and queue; the morning huddle's top
//! open issues; the open patient-safety items; how fast each queue acknowledged and resolved;
//! what was reopened. A pure function of the issues as stored ([`Record`]), the period and
//! the moment it describes, so a summary computed at the boundary and one computed a week
//! later are the same summary.
//!
//! What is counted, decided (docs/protocol.md §12 says it for clients):
//! - A period holds the issues *received* in it (the server's commit time, as the board's
//!   windows count), elbow-resolved ones included.
//! - Statuses are as they stood at `as_of`: the end of the period, or now while it runs.
//! - `top_open` and `safety_open` are the issues open at `as_of`, whenever received: the huddle
//!   asks what is open now, not what was opened today.
//! - An issue routed to several queues counts once in each queue's line, once in every other
//!   table.
//! - Time to acknowledge: receipt to its first move out of `new`. Time to resolve: receipt to
//!   its first move to resolved or closed (a reopening shows in `reopened`, not in a longer
//!   time). Issues resolved at the elbow never reached a queue and are left out of both.
//!   Both are nearest-rank percentiles, in whole seconds.
//! - `reopened`: issues moved from resolved or closed back to work during the period.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};

use crate::error::{ErrorBody, ErrorCode};
use crate::golive::GoLive;
use crate::ids::{FacilityId, ModuleId, QueueId, ReportId, ReporterId, UnitId};
use crate::report::{Kind, Severity, Status};

/// How many open issues `top_open` lists.
pub const TOP_OPEN: usize = 10;

/// An issue as the summary reads it: its classification, where it came from, and every
/// status change it went through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: ReportId,
    pub facility: FacilityId,
    pub unit: UnitId,
    pub module: ModuleId,
    pub kind: Kind,
    pub severity: Severity,
    pub queues: Vec<QueueId>,
    pub reporter: ReporterId,
    pub affected_users: u32,
    pub resolved_at_elbow: bool,
    pub summary: String,
    pub received_at: OffsetDateTime,
    /// Its status changes, oldest first.
    pub moves: Vec<Move>,
    /// Its status now, after the last move.
    pub status: Status,
}

/// One status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub at: OffsetDateTime,
    pub from: Status,
    pub to: Status,
}

impl Move {
    /// The moves of an issue from what the log keeps of each (when, and the status it left,
    /// oldest first) and its status now: each move went to the status the next one left.
    pub fn chain(left: impl IntoIterator<Item = (OffsetDateTime, Status)>, now: Status) -> Vec<Move> {
        let left: Vec<_> = left.into_iter().collect();
        let to = left.iter().skip(1).map(|&(_, from)| from).chain([now]);
        left.iter().zip(to).map(|(&(at, from), to)| Move { at, from, to }).collect()
    }
}

impl Record {
    /// Its status at `t`; `None` before it was received.
    pub fn status_at(&self, t: OffsetDateTime) -> Option<Status> {
        (self.received_at <= t).then(|| self.moves.iter().find(|m| m.at > t).map_or(self.status, |m| m.from))
    }

    fn first_move(&self, by: OffsetDateTime, which: impl Fn(&Move) -> bool) -> Option<OffsetDateTime> {
        self.moves.iter().find(|m| which(m)).map(|m| m.at).filter(|&at| at <= by)
    }

    /// Seconds from receipt to its first move out of `new`, if made by `by`.
    fn acknowledged_in(&self, by: OffsetDateTime) -> Option<u64> {
        let at = self.first_move(by, |m| m.from == Status::New)?;
        Some((at - self.received_at).whole_seconds().max(0) as u64)
    }

    /// Seconds from receipt to its first resolution, if made by `by`.
    fn resolved_in(&self, by: OffsetDateTime) -> Option<u64> {
        let at = self.first_move(by, |m| !m.to.is_open())?;
        Some((at - self.received_at).whole_seconds().max(0) as u64)
    }

    fn reopened_in(&self, from: OffsetDateTime, to: OffsetDateTime) -> bool {
        self.moves.iter().any(|m| !m.from.is_open() && m.to.is_open() && from <= m.at && m.at < to)
    }
}

/// The period a summary covers: a local day, or one shift of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub date: Date,
    /// The local start time of the shift; `None`: the whole day.
    pub shift: Option<Time>,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");
const CLOCK: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[hour]:[minute]");

impl Period {
    /// The local day `date`, or its shift starting at `shift`, by the go-live's clocks.
    /// A night shift runs into the next day; across a daylight-saving change a day or shift
    /// is an hour longer or shorter.
    pub fn new(golive: &GoLive, date: Date, shift: Option<Time>) -> Result<Period, ErrorBody> {
        let starts = golive.shift_starts();
        let next_day = date.next_day().ok_or_else(|| invalid("date", "date is out of range"))?;
        let (from, to) = match shift {
            None => (date.midnight(), next_day.midnight()),
            Some(t) => {
                let Some(i) = starts.iter().position(|&s| s == t) else {
                    let known: Vec<String> = starts.iter().map(|&s| clock(s)).collect();
                    return Err(invalid("shift", &format!("shifts start at {}", known.join(", "))));
                };
                let end = starts.get(i + 1).map_or(next_day.with_time(starts[0]), |&s| date.with_time(s));
                (date.with_time(t), end)
            }
        };
        Ok(Period { date, shift, from: golive.at_local(from), to: golive.at_local(to) })
    }

    /// Reads `YYYY-MM-DD` and an optional `HH:MM` shift start.
    pub fn parse(golive: &GoLive, date: &str, shift: Option<&str>) -> Result<Period, ErrorBody> {
        let date = Date::parse(date, DATE).map_err(|_| invalid("date", "date is YYYY-MM-DD"))?;
        let shift = shift
            .map(|s| Time::parse(s, CLOCK).map_err(|_| invalid("shift", "shift is a shift's local start time, HH:MM")))
            .transpose()?;
        Period::new(golive, date, shift)
    }

    /// The day or shift that `now` falls in.
    pub fn current(golive: &GoLive, now: OffsetDateTime, shift: bool) -> Period {
        let start = if shift { golive.shift_start(now) } else { golive.day_start(now) };
        let local = golive.local(start);
        let period = Period::new(golive, local.date(), shift.then(|| local.time()));
        period.expect("the start of a shift or day names a period")
    }

    /// The day or shift before this one.
    pub fn previous(&self, golive: &GoLive) -> Period {
        let just_before = self.from - time::Duration::nanoseconds(1);
        Period::current(golive, just_before, self.shift.is_some())
    }

    /// The period's name in URLs and keys: `2026-11-21`, or `2026-11-21T19:00` for a shift.
    pub fn key(&self) -> String {
        match self.shift {
            None => date(self.date),
            Some(t) => format!("{}T{}", date(self.date), clock(t)),
        }
    }
}

fn invalid(field: &str, message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidValue, message).with_field(field)
}

fn date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

fn clock(t: Time) -> String {
    t.format(CLOCK).unwrap_or_default()
}

/// How fast a queue answered: how many issues were measured, the median and the 90th
/// percentile in whole seconds (nearest rank; absent when none were).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timing {
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_secs: Option<u64>,
}

impl Timing {
    fn of(mut secs: Vec<u64>) -> Timing {
        secs.sort_unstable();
        Timing { count: secs.len() as u32, median_secs: nearest_rank(&secs, 50), p90_secs: nearest_rank(&secs, 90) }
    }
}

/// The `p`th percentile of sorted values by nearest rank: the smallest value with at least
/// `p` % of the values at or below it.
pub fn nearest_rank(sorted: &[u64], p: usize) -> Option<u64> {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// One issue as a summary lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brief {
    pub id: ReportId,
    pub facility: FacilityId,
    pub unit: UnitId,
    pub module: ModuleId,
    pub kind: Kind,
    pub severity: Severity,
    /// As it stood at the summary's `as_of`.
    pub status: Status,
    pub affected_users: u32,
    pub summary: String,
    pub queues: Vec<QueueId>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
}

impl Brief {
    fn of(r: &Record, status: Status) -> Brief {
        Brief {
            id: r.id,
            facility: r.facility.clone(),
            unit: r.unit.clone(),
            module: r.module.clone(),
            kind: r.kind,
            severity: r.severity,
            status,
            affected_users: r.affected_users,
            summary: r.summary.clone(),
            queues: r.queues.clone(),
            received_at: r.received_at,
        }
    }
}

/// A unit's issues of the period, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitLine {
    pub facility: FacilityId,
    pub unit: UnitId,
    pub total: u32,
    pub by_kind: BTreeMap<Kind, u32>,
}

/// A module's issues of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModuleLine {
    pub module: ModuleId,
    pub count: u32,
}

/// A queue's issues of the period, how many of them are open at `as_of`, and how fast the
/// queue acknowledged and resolved them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueLine {
    pub queue: QueueId,
    pub count: u32,
    pub open: u32,
    pub acknowledge: Timing,
    pub resolve: Timing,
}

/// The summary of one facility, or (`facility` absent) of the whole go-live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// Issues received in the period.
    pub reported: u32,
    /// Users they affect, as reported.
    pub affected_users: u64,
    /// Of them, fixed on the spot by the trainer.
    pub resolved_at_elbow: u32,
    /// Every kind, severity and status, zeros included.
    pub by_kind: BTreeMap<Kind, u32>,
    pub by_severity: BTreeMap<Severity, u32>,
    pub by_status: BTreeMap<Status, u32>,
    /// Units with any issue, most first.
    pub by_unit: Vec<UnitLine>,
    /// Modules with any issue, most first.
    pub by_module: Vec<ModuleLine>,
    /// Queues with any issue, most first.
    pub by_queue: Vec<QueueLine>,
    /// The open issues affecting most users, at most ten.
    pub top_open: Vec<Brief>,
    /// Every open patient-safety issue, oldest first.
    pub safety_open: Vec<Brief>,
    /// Issues reopened in the period.
    pub reopened: Vec<Brief>,
}

/// `GET /api/v1/summary`: the daily floor support summary of a day or a shift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    /// The shift's local start time, `HH:MM`; absent: the whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub to: OffsetDateTime,
    /// The moment the statuses are read at: `to` once the period has ended, else when the
    /// summary was made.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub as_of: OffsetDateTime,
    /// The period has ended: every number is final.
    pub complete: bool,
    /// Only this reporter's issues (a trainer's own summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterId>,
    /// The whole go-live first, then each facility in catalog order; or the one facility asked.
    pub sections: Vec<Section>,
}

/// What a summary covers besides its period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// One facility only.
    pub facility: Option<FacilityId>,
    /// One reporter's issues only.
    pub reporter: Option<ReporterId>,
}

impl Scope {
    fn holds(&self, r: &Record) -> bool {
        self.facility.as_ref().is_none_or(|f| *f == r.facility)
            && self.reporter.as_ref().is_none_or(|p| *p == r.reporter)
    }
}

/// Summarises `records` (every issue received before `as_of`, or at least every one
/// received in the period, open at `as_of`, or changed since the period began) for `period`
/// as of `now`.
pub fn summarize(golive: &GoLive, period: &Period, now: OffsetDateTime, scope: &Scope, records: &[Record]) -> Summary {
    let as_of = now.min(period.to);
    let records: Vec<&Record> = records.iter().filter(|r| scope.holds(r)).collect();
    let facilities: Vec<Option<FacilityId>> = match &scope.facility {
        Some(f) => vec![Some(f.clone())],
        None => std::iter::once(None).chain(golive.facilities().iter().map(|f| Some(f.id.clone()))).collect(),
    };
    let sections = facilities
        .into_iter()
        .map(|facility| {
            let here: Vec<&Record> =
                records.iter().copied().filter(|r| facility.as_ref().is_none_or(|f| *f == r.facility)).collect();
            section(facility, period, as_of, &here)
        })
        .collect();
    Summary {
        date: date(period.date),
        shift: period.shift.map(clock),
        from: period.from,
        to: period.to,
        as_of,
        complete: now >= period.to,
        reporter: scope.reporter.clone(),
        sections,
    }
}

/// A queue's line as it is counted: its issues, the open ones, and their times in seconds.
#[derive(Default)]
struct QueueTally {
    count: u32,
    open: u32,
    acknowledged: Vec<u64>,
    resolved: Vec<u64>,
}

fn section(facility: Option<FacilityId>, period: &Period, as_of: OffsetDateTime, records: &[&Record]) -> Section {
    let mut s = Section {
        facility,
        reported: 0,
        affected_users: 0,
        resolved_at_elbow: 0,
        by_kind: zeros(Kind::ALL),
        by_severity: zeros(Severity::ALL),
        by_status: zeros(Status::ALL),
        by_unit: Vec::new(),
        by_module: Vec::new(),
        by_queue: Vec::new(),
        top_open: Vec::new(),
        safety_open: Vec::new(),
        reopened: Vec::new(),
    };
    let mut units: BTreeMap<(&FacilityId, &UnitId), BTreeMap<Kind, u32>> = BTreeMap::new();
    let mut modules: BTreeMap<&ModuleId, u32> = BTreeMap::new();
    let mut queues: BTreeMap<&QueueId, QueueTally> = BTreeMap::new();
    let mut open_now: Vec<(&Record, Status)> = Vec::new();
    for &r in records {
        let Some(status) = r.status_at(as_of) else { continue };
        if status.is_open() {
            open_now.push((r, status));
        }
        if r.reopened_in(period.from, as_of) {
            s.reopened.push(Brief::of(r, status));
        }
        if !(period.from <= r.received_at && r.received_at < period.to) {
            continue;
        }
        s.reported += 1;
        s.affected_users += u64::from(r.affected_users);
        s.resolved_at_elbow += u32::from(r.resolved_at_elbow);
        *s.by_kind.entry(r.kind).or_default() += 1;
        *s.by_severity.entry(r.severity).or_default() += 1;
        *s.by_status.entry(status).or_default() += 1;
        *units.entry((&r.facility, &r.unit)).or_default().entry(r.kind).or_default() += 1;
        *modules.entry(&r.module).or_default() += 1;
        for q in &r.queues {
            let line = queues.entry(q).or_default();
            line.count += 1;
            line.open += u32::from(status.is_open());
            if !r.resolved_at_elbow {
                line.acknowledged.extend(r.acknowledged_in(as_of));
                line.resolved.extend(r.resolved_in(as_of));
            }
        }
    }
    s.by_unit = units
        .into_iter()
        .map(|((facility, unit), by_kind)| UnitLine {
            facility: facility.clone(),
            unit: unit.clone(),
            total: by_kind.values().sum(),
            by_kind: zeros(Kind::ALL)
                .into_iter()
                .map(|(k, n)| (k, n + by_kind.get(&k).copied().unwrap_or(0)))
                .collect(),
        })
        .collect();
    s.by_unit.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.unit.cmp(&b.unit)));
    s.by_module = modules.into_iter().map(|(m, count)| ModuleLine { module: m.clone(), count }).collect();
    s.by_module.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.module.cmp(&b.module)));
    s.by_queue = queues
        .into_iter()
        .map(|(q, tally)| QueueLine {
            queue: q.clone(),
            count: tally.count,
            open: tally.open,
            acknowledge: Timing::of(tally.acknowledged),
            resolve: Timing::of(tally.resolved),
        })
        .collect();
    s.by_queue.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.queue.cmp(&b.queue)));
    let oldest_first = |a: &(&Record, Status), b: &(&Record, Status)| {
        a.0.received_at.cmp(&b.0.received_at).then_with(|| a.0.id.0.cmp(&b.0.id.0))
    };
    open_now.sort_by(|a, b| {
        b.0.affected_users
            .cmp(&a.0.affected_users)
            .then_with(|| a.0.severity.cmp(&b.0.severity))
            .then(oldest_first(a, b))
    });
    s.top_open = open_now.iter().take(TOP_OPEN).map(|&(r, st)| Brief::of(r, st)).collect();
    open_now.sort_by(oldest_first);
    s.safety_open = open_now
        .iter()
        .filter(|(r, _)| r.severity == Severity::PatientSafety)
        .map(|&(r, st)| Brief::of(r, st))
        .collect();
    s.reopened.sort_by(|a, b| a.received_at.cmp(&b.received_at).then_with(|| a.id.0.cmp(&b.id.0)));
    s
}

/// A count of every key, each zero.
fn zeros<K: Ord>(keys: impl IntoIterator<Item = K>) -> BTreeMap<K, u32> {
    keys.into_iter().map(|k| (k, 0)).collect()
}

impl Summary {
    /// Every issue the summary lists, to fill or strip their words.
    pub fn briefs_mut(&mut self) -> impl Iterator<Item = &mut Brief> {
        self.sections.iter_mut().flat_map(|s| s.top_open.iter_mut().chain(&mut s.safety_open).chain(&mut s.reopened))
    }

    /// Keeps only the section of `facility`.
    pub fn only(mut self, facility: &FacilityId) -> Summary {
        self.sections.retain(|s| s.facility.as_ref() == Some(facility));
        self
    }
}

#[cfg(test)]
mod tests;
