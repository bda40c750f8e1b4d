use proptest::prelude::*;
use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::ids::{ReportId, ReporterId, UnitId};
use crate::report::Status;
use crate::summary::Move;

/// The built-in go-live starts at 12:00 UTC on 21 November 2026.
const START: OffsetDateTime = datetime!(2026-11-21 12:00 UTC);

fn record(n: u128, unit: &str, kind: Kind, received_at: OffsetDateTime, path: &[(i64, Status)]) -> Record {
    let mut from = Status::New;
    let left: Vec<_> = path
        .iter()
        .map(|&(minutes, to)| {
            let step = (received_at + Duration::minutes(minutes), from);
            from = to;
            step
        })
        .collect();
    Record {
        id: ReportId(Uuid::from_u128(n)),
        facility: unit.split('-').next().unwrap().into(),
        unit: UnitId::new(unit),
        module: "clindoc".into(),
        kind,
        severity: Severity::Medium,
        queues: vec![],
        reporter: ReporterId::parse("trainer-07").unwrap(),
        affected_users: 1,
        resolved_at_elbow: false,
        summary: String::new(),
        received_at,
        moves: Move::chain(left, from),
        status: from,
    }
}

fn hour(h: i64) -> OffsetDateTime {
    START + Duration::hours(h)
}

#[test]
fn each_hour_counts_reports_resolutions_and_the_backlog_at_its_end() {
    let g = GoLive::example();
    let mut elbow = record(3, "sjh-ed", Kind::TrainingGap, hour(1) + Duration::minutes(5), &[]);
    elbow.resolved_at_elbow = true;
    elbow.status = Status::Resolved;
    let records = [
        // Resolved in hour 1, reopened in hour 2, resolved again in hour 3.
        record(
            1,
            "rmc-ed",
            Kind::Configuration,
            hour(0) + Duration::minutes(10),
            &[(20, Status::Acknowledged), (70, Status::Resolved), (130, Status::InProgress), (190, Status::Resolved)],
        ),
        record(2, "rmc-4w", Kind::Configuration, hour(1) + Duration::minutes(30), &[]),
        elbow,
        // Received before the go-live started, still open: the backlog it starts with.
        record(4, "rmc-4w", Kind::Access, START - Duration::hours(3), &[]),
    ];
    let c = curves(&g, &records, hour(4) + Duration::minutes(30), Breakdown::Kind);
    assert_eq!((c.from, c.step_secs, c.keys.len()), (START, 3600, 4));
    assert_eq!(c.curves.len(), 1 + g.facilities().len());
    let all = &c.curves[0];
    let config = Kind::ALL.iter().position(|&k| k == Kind::Configuration).unwrap();
    let access = Kind::ALL.iter().position(|&k| k == Kind::Access).unwrap();
    let training = Kind::ALL.iter().position(|&k| k == Kind::TrainingGap).unwrap();
    assert_eq!(all.reported[config], [1, 1, 0, 0, 0]);
    assert_eq!(all.resolved[config], [0, 1, 0, 1, 0]);
    assert_eq!(all.open[config], [1, 1, 2, 1, 1]);
    assert_eq!((&all.reported[training], &all.resolved[training]), (&vec![0, 1, 0, 0, 0], &vec![0, 1, 0, 0, 0]));
    assert_eq!(all.open[training], [0; 5]);
    assert_eq!((&all.reported[access], &all.open[access]), (&vec![0; 5], &vec![1; 5]));
    let sjh = c.curves.iter().find(|c| c.facility.as_ref().map(FacilityId::as_str) == Some("sjh")).unwrap();
    assert_eq!(sjh.reported[training], [0, 1, 0, 0, 0]);
    assert_eq!(sjh.open[config], [0; 5]);

    let by_severity = curves(&g, &records, hour(4), Breakdown::Severity);
    let medium = Severity::ALL.iter().position(|&s| s == Severity::Medium).unwrap();
    assert_eq!(by_severity.curves[0].reported[medium], [1, 2, 0, 0, 0]);
    assert_eq!(by_severity.only(&"rmc".into()).curves.len(), 1);
}

#[test]
fn a_long_go_live_shows_its_last_sixty_days() {
    let g = GoLive::example();
    let c = curves(&g, &[], START + Duration::days(90), Breakdown::Kind);
    assert_eq!(c.curves[0].reported[0].len(), MAX_POINTS);
    assert_eq!(c.from, START + Duration::days(90) - Duration::hours(MAX_POINTS as i64 - 1));
    let before = curves(&g, &[], START - Duration::days(1), Breakdown::Kind);
    assert_eq!((before.from, before.curves[0].open[0].len()), (START - Duration::days(1), 1));
}

proptest! {
    /// The backlog at each hour's end is the number of issues open then, however they moved.
    #[test]
    fn the_backlog_is_the_issues_open_at_each_hours_end(
        issues in prop::collection::vec((0_i64..600, prop::collection::vec((1_i64..300, 0_usize..6), 0..6)), 0..40)
    ) {
        let g = GoLive::example();
        let records: Vec<Record> = issues
            .iter()
            .enumerate()
            .map(|(n, (start, steps))| {
                let mut minutes = 0;
                let mut at = Status::New;
                let path: Vec<(i64, Status)> = steps
                    .iter()
                    .filter_map(|&(gap, to)| {
                        let to = Status::ALL[to];
                        at.can_move_to(to).then(|| {
                            minutes += gap;
                            at = to;
                            (minutes, to)
                        })
                    })
                    .collect();
                record(n as u128, "rmc-ed", Kind::Process, START - Duration::minutes(60) + Duration::minutes(*start), &path)
            })
            .collect();
        let now = START + Duration::hours(20);
        let c = curves(&g, &records, now, Breakdown::Kind);
        let process = Kind::ALL.iter().position(|&k| k == Kind::Process).unwrap();
        for (i, &open) in c.curves[0].open[process].iter().enumerate() {
            let end = (START + Duration::hours(i as i64 + 1) - Duration::nanoseconds(1)).min(now);
            let direct = records.iter().filter(|r| r.status_at(end).is_some_and(Status::is_open)).count();
            prop_assert_eq!(open as usize, direct, "hour {}", i);
        }
    }
}
