use time::macros::{date, datetime, time};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::golive::ZoneOffset;

/// The built-in go-live: shifts at 07:00 and 19:00, UTC-5.
fn golive() -> GoLive {
    GoLive::example()
}

/// The built-in go-live on New York's clocks across the change of 1 November 2026 (02:00
/// EDT becomes 01:00 EST at 06:00 UTC).
fn across_november() -> GoLive {
    let mut spec = GoLive::example().spec().clone();
    spec.utc_offset = None;
    spec.time_zone = Some("America/New_York".into());
    spec.offsets = vec![
        ZoneOffset { from: "2026-03-08T07:00:00Z".into(), offset: "-04:00".into() },
        ZoneOffset { from: "2026-11-01T06:00:00Z".into(), offset: "-05:00".into() },
    ];
    GoLive::try_from(spec).expect("valid")
}

fn record(n: u128, unit: &str, kind: Kind, severity: Severity, received_at: OffsetDateTime) -> Record {
    let facility = FacilityId::new(unit.split('-').next().expect("a facility prefix").to_owned());
    Record {
        id: ReportId(Uuid::from_u128(n)),
        facility,
        unit: UnitId::new(unit.to_owned()),
        module: "clindoc".into(),
        kind,
        severity,
        queues: vec!["analysts-clindoc".into()],
        reporter: ReporterId::parse("trainer-07").expect("a login"),
        affected_users: 1,
        resolved_at_elbow: false,
        summary: format!("issue {n}"),
        received_at,
        moves: Vec::new(),
        status: Status::New,
    }
}

/// `r` moved at each (minutes after receipt, to) in turn.
fn moved(mut r: Record, path: &[(i64, Status)]) -> Record {
    let mut from = r.status;
    let left: Vec<_> = path
        .iter()
        .map(|&(minutes, to)| {
            let step = (r.received_at + Duration::minutes(minutes), from);
            from = to;
            step
        })
        .collect();
    r.moves = Move::chain(left, from);
    r.status = from;
    r
}

/// 08:00 local on the first day of the built-in go-live.
const DAY1_0800: OffsetDateTime = datetime!(2026-11-21 13:00 UTC);

#[test]
fn a_day_and_its_shifts_are_local_and_a_night_shift_runs_into_the_next_day() {
    let g = golive();
    let day = Period::new(&g, date!(2026 - 11 - 21), None).unwrap();
    assert_eq!((day.from, day.to), (datetime!(2026-11-21 05:00 UTC), datetime!(2026-11-22 05:00 UTC)));
    let night = Period::new(&g, date!(2026 - 11 - 21), Some(time!(19:00))).unwrap();
    assert_eq!((night.from, night.to), (datetime!(2026-11-22 00:00 UTC), datetime!(2026-11-22 12:00 UTC)));
    assert_eq!(night.key(), "2026-11-21T19:00");
    assert_eq!(Period::current(&g, datetime!(2026-11-22 11:00 UTC), true), night);
    assert_eq!(Period::current(&g, datetime!(2026-11-22 12:00 UTC), true).previous(&g), night);
    assert_eq!(Period::current(&g, DAY1_0800, false), day);
    assert_eq!(Period::parse(&g, "2026-11-21", Some("19:00")).unwrap(), night);

    let refused = Period::parse(&g, "2026-11-21", Some("08:00")).unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::InvalidValue, Some("shift")));
    assert!(refused.message.contains("07:00, 19:00"), "{}", refused.message);
    for (date, shift) in [("21/11/2026", None), ("2026-11-31", None), ("2026-11-21", Some("7pm"))] {
        assert_eq!(Period::parse(&g, date, shift).unwrap_err().code, ErrorCode::InvalidValue);
    }
}

#[test]
fn the_day_the_clocks_go_back_is_twenty_five_hours_and_its_night_shift_thirteen() {
    let g = across_november();
    let day = Period::new(&g, date!(2026 - 11 - 01), None).unwrap();
    assert_eq!((day.from, day.to), (datetime!(2026-11-01 04:00 UTC), datetime!(2026-11-02 05:00 UTC)));
    assert_eq!(day.to - day.from, Duration::hours(25));
    let night = Period::new(&g, date!(2026 - 10 - 31), Some(time!(19:00))).unwrap();
    assert_eq!((night.from, night.to), (datetime!(2026-10-31 23:00 UTC), datetime!(2026-11-01 12:00 UTC)));
    // The day shift after it starts at 07:00 on the wall, now five hours behind UTC.
    let next = Period::current(&g, datetime!(2026-11-01 12:00 UTC), true);
    assert_eq!((next.from, next.shift), (datetime!(2026-11-01 12:00 UTC), Some(time!(07:00))));
    assert_eq!(next.previous(&g), night);
}

#[test]
fn moves_chain_each_to_the_status_the_next_one_left() {
    let t = DAY1_0800;
    let chain = Move::chain([(t, Status::New), (t + Duration::minutes(5), Status::Acknowledged)], Status::Resolved);
    assert_eq!(
        chain,
        [
            Move { at: t, from: Status::New, to: Status::Acknowledged },
            Move { at: t + Duration::minutes(5), from: Status::Acknowledged, to: Status::Resolved },
        ]
    );
    assert!(Move::chain([], Status::New).is_empty());
}

#[test]
fn a_status_is_read_as_it_stood_at_the_moment_asked() {
    let r = moved(
        record(1, "rmc-ed", Kind::Access, Severity::High, DAY1_0800),
        &[(10, Status::Acknowledged), (30, Status::Resolved)],
    );
    assert_eq!(r.status_at(DAY1_0800 - Duration::seconds(1)), None);
    assert_eq!(r.status_at(DAY1_0800), Some(Status::New));
    assert_eq!(r.status_at(DAY1_0800 + Duration::minutes(10)), Some(Status::Acknowledged));
    assert_eq!(r.status_at(DAY1_0800 + Duration::minutes(29)), Some(Status::Acknowledged));
    assert_eq!(r.status_at(DAY1_0800 + Duration::hours(9)), Some(Status::Resolved));
}

#[test]
fn nearest_rank_percentiles() {
    assert_eq!(nearest_rank(&[], 50), None);
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
    let tens: Vec<u64> = (1..=10).collect();
    assert_eq!((nearest_rank(&tens, 50), nearest_rank(&tens, 90)), (Some(5), Some(9)));
    let eleven: Vec<u64> = (1..=11).collect();
    assert_eq!((nearest_rank(&eleven, 50), nearest_rank(&eleven, 90)), (Some(6), Some(10)));
}

#[test]
fn a_day_is_summed_by_kind_unit_status_module_and_queue_as_it_stood_at_its_end() {
    let g = golive();
    let day = Period::new(&g, date!(2026 - 11 - 21), None).unwrap();
    let at = |h: i64| DAY1_0800 + Duration::hours(h);
    let mut elbow = record(3, "rmc-icu", Kind::TrainingGap, Severity::Low, at(2));
    elbow.resolved_at_elbow = true;
    elbow.status = Status::Resolved;
    let records = vec![
        // Acknowledged in 10 minutes, resolved in 40.
        moved(
            record(1, "rmc-ed", Kind::Configuration, Severity::High, at(0)),
            &[(10, Status::Acknowledged), (40, Status::Resolved)],
        ),
        // Acknowledged in 20 minutes; resolved only the next day, after the period.
        moved(
            record(2, "rmc-ed", Kind::Configuration, Severity::Medium, at(1)),
            &[(20, Status::InProgress), (60 * 24, Status::Resolved)],
        ),
        elbow,
        // Another facility, and received the day before: outside the period.
        record(4, "sjh-ed", Kind::Access, Severity::PatientSafety, at(3)),
        record(5, "rmc-ed", Kind::Access, Severity::PatientSafety, at(-12)),
    ];
    let s = summarize(&g, &day, at(48), &Scope::default(), &records);
    assert!(s.complete);
    assert_eq!((s.as_of, s.date.as_str(), s.shift.as_deref()), (day.to, "2026-11-21", None));
    assert_eq!(s.sections.len(), 1 + g.facilities().len());
    let all = &s.sections[0];
    assert_eq!((all.facility.as_ref(), all.reported, all.affected_users, all.resolved_at_elbow), (None, 4, 4, 1));
    assert_eq!(all.by_kind[&Kind::Configuration], 2);
    assert_eq!(all.by_kind[&Kind::TrainingGap], 1);
    assert_eq!(all.by_kind[&Kind::Process], 0);
    // At the day's end record 2 was still in progress.
    assert_eq!(all.by_status[&Status::InProgress], 1);
    assert_eq!(all.by_status[&Status::Resolved], 2);
    assert_eq!(all.by_status[&Status::New], 1);
    assert_eq!(all.by_unit[0].unit.as_str(), "rmc-ed");
    assert_eq!((all.by_unit[0].total, all.by_unit[0].by_kind[&Kind::Configuration]), (2, 2));
    let clindoc = &all.by_queue.iter().find(|q| q.queue.as_str() == "analysts-clindoc").unwrap();
    assert_eq!((clindoc.count, clindoc.open), (4, 2));
    // The elbow-resolved one is not timed; record 4 was never acknowledged.
    assert_eq!(clindoc.acknowledge, Timing { count: 2, median_secs: Some(600), p90_secs: Some(1200) });
    assert_eq!(clindoc.resolve, Timing { count: 1, median_secs: Some(2400), p90_secs: Some(2400) });
    // Open at the day's end, whenever received: 2, 4 and 5; the safety ones oldest first.
    let ids = |briefs: &[Brief]| briefs.iter().map(|b| b.id.0.as_u128()).collect::<Vec<_>>();
    assert_eq!(ids(&all.safety_open), [5, 4]);
    assert_eq!(all.top_open.len(), 3);
    let rmc = &s.sections[1];
    assert_eq!((rmc.facility.as_ref().map(FacilityId::as_str), rmc.reported), (Some("rmc"), 3));
    assert_eq!(ids(&rmc.safety_open), [5]);

    // The same day read while it runs, at 08:30 local: record 1 is only acknowledged.
    let live = summarize(&g, &day, at(0) + Duration::minutes(30), &Scope::default(), &records);
    assert!(!live.complete);
    assert_eq!(live.sections[0].reported, 1);
    assert_eq!(live.sections[0].by_status[&Status::Acknowledged], 1);
    assert_eq!(live.sections[0].by_queue[0].resolve.count, 0);
}

#[test]
fn the_top_open_issues_are_those_affecting_most_users_then_the_most_severe() {
    let g = golive();
    let day = Period::new(&g, date!(2026 - 11 - 21), None).unwrap();
    let records: Vec<Record> = (0..15)
        .map(|n| {
            let mut r = record(n, "rmc-ed", Kind::Process, Severity::ALL[n as usize % 4], DAY1_0800);
            r.affected_users = (n as u32 % 5) + 1;
            if n == 14 {
                r.status = Status::Closed;
                r.moves = Move::chain([(DAY1_0800, Status::New)], Status::Closed);
                r.affected_users = 500;
            }
            r
        })
        .collect();
    let s = summarize(&g, &day, day.to, &Scope::default(), &records);
    let top = &s.sections[0].top_open;
    assert_eq!(top.len(), TOP_OPEN);
    assert!(top.iter().all(|b| b.id.0.as_u128() != 14), "a closed issue is not open");
    assert!(top.windows(2).all(|w| (w[0].affected_users, w[1].severity) >= (w[1].affected_users, w[0].severity)));
    assert_eq!(top[0].affected_users, 5);
}

#[test]
fn a_reopening_in_the_period_is_listed_and_a_scope_keeps_one_reporter_or_facility() {
    let g = golive();
    let shift = Period::new(&g, date!(2026 - 11 - 21), Some(time!(07:00))).unwrap();
    let before = shift.from - Duration::hours(2);
    let reopened = moved(
        record(1, "rmc-ed", Kind::Configuration, Severity::High, before),
        &[(30, Status::Resolved), (180, Status::InProgress)],
    );
    let mut other = record(2, "sjh-ed", Kind::Access, Severity::Medium, DAY1_0800);
    other.reporter = ReporterId::parse("trainer-09").unwrap();
    let records = [reopened, other];
    let s = summarize(&g, &shift, shift.to, &Scope::default(), &records);
    assert_eq!(s.sections[0].reopened.iter().map(|b| b.id.0.as_u128()).collect::<Vec<_>>(), [1]);
    assert_eq!(s.sections[0].reopened[0].status, Status::InProgress);
    assert_eq!(s.sections[0].reported, 1, "the reopened issue was received before the shift");

    let mine = Scope { reporter: Some(ReporterId::parse("trainer-07").unwrap()), facility: None };
    let s = summarize(&g, &shift, shift.to, &mine, &records);
    assert_eq!((s.sections[0].reported, s.sections[0].reopened.len()), (0, 1));
    assert_eq!(s.reporter.as_ref().map(ReporterId::as_str), Some("trainer-07"));

    let sjh = Scope { facility: Some("sjh".into()), reporter: None };
    let s = summarize(&g, &shift, shift.to, &sjh, &records);
    assert_eq!(s.sections.len(), 1);
    assert_eq!((s.sections[0].facility.as_ref().map(FacilityId::as_str), s.sections[0].reported), (Some("sjh"), 1));
}

#[test]
fn a_summary_round_trips_through_json() {
    let g = golive();
    let day = Period::new(&g, date!(2026 - 11 - 21), None).unwrap();
    let records = [record(1, "rmc-ed", Kind::Access, Severity::PatientSafety, DAY1_0800)];
    let s = summarize(&g, &day, DAY1_0800 + Duration::hours(1), &Scope::default(), &records);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["sections"][0]["by_kind"]["access"], 1);
    assert_eq!(json["sections"][0]["by_status"]["new"], 1);
    let back: Summary = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}
