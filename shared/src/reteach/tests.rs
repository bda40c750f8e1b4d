use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::ids::{ReportId, ReporterId};
use crate::report::{Severity, Status};

const MONDAY: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn gap(n: u128, unit: &str, module: &str, summary: &str, day: i64, reporter: &str) -> Record {
    Record {
        id: ReportId(Uuid::from_u128(n)),
        facility: unit.split('-').next().unwrap().into(),
        unit: UnitId::new(unit),
        module: module.into(),
        kind: Kind::TrainingGap,
        severity: Severity::Low,
        queues: vec![],
        reporter: ReporterId::parse(reporter).unwrap(),
        affected_users: 2,
        resolved_at_elbow: true,
        summary: summary.into(),
        received_at: MONDAY + Duration::days(day) + Duration::minutes(n as i64),
        moves: vec![],
        status: Status::Resolved,
    }
}

#[test]
fn summaries_of_one_workflow_are_similar_and_others_are_not() {
    let bed = "Charge nurses unsure how to assign beds from the unit board";
    assert!(similar(bed, "Charge nurse assigning beds from unit board"));
    assert!(similar("Barcode scanning of meds skipped at bedside", "barcode scan of med skipped at the bedside"));
    assert!(!similar(bed, "Cannot find where to document wound care"));
    assert!(!similar("", bed), "nothing is like an empty summary");
    assert_eq!(similarity(bed, bed), 1.0);
    assert_eq!(words("Orders, ordering; ORDERED!"), BTreeSet::from(["order".to_owned()]));
}

#[test]
fn training_gaps_group_by_module_and_workflow_across_units_with_their_trend() {
    let bed = "Charge nurses unsure how to assign beds from the unit board";
    let mut config = gap(9, "rmc-4w", "asap", "Triage note template missing a row", 6, "trainer-01");
    config.kind = Kind::Configuration;
    let records = [
        gap(1, "rmc-4w", "asap", bed, 0, "trainer-01"),
        gap(2, "rmc-2n", "asap", "Charge nurse assigning beds from unit board", 5, "trainer-02"),
        gap(3, "sjh-icu", "asap", "charge nurses assign bed on unit board", 6, "trainer-02"),
        // The same words in another module are another workflow; a lone report is no list.
        gap(4, "rmc-4w", "clindoc", bed, 1, "trainer-03"),
        gap(5, "rmc-4w", "clindoc", "Cannot find where to document wound care", 2, "trainer-03"),
        gap(6, "rmc-4w", "clindoc", "Where to document wound care", 6, "trainer-03"),
        config,
        // Before the window.
        gap(7, "rmc-4w", "asap", bed, -1, "trainer-01"),
    ];
    let list = reteach(&records, MONDAY, MONDAY + Duration::days(7), None);
    assert_eq!(list.workflows.len(), 2, "{:#?}", list.workflows);
    let beds = &list.workflows[0];
    assert_eq!((beds.module.as_str(), beds.workflow.as_str(), beds.reports, beds.reporters), ("asap", bed, 3, 2));
    assert_eq!(beds.units.iter().map(UnitId::as_str).collect::<Vec<_>>(), ["rmc-2n", "rmc-4w", "sjh-icu"]);
    assert_eq!((beds.affected_users, beds.per_day.as_slice()), (6, &[1, 0, 0, 0, 0, 1, 1][..]));
    assert_eq!(beds.trend, Trend::Rising);
    let wounds = &list.workflows[1];
    assert_eq!(
        (wounds.module.as_str(), wounds.reports, wounds.trend),
        ("clindoc", 2, Trend::Steady),
        "one early, one late"
    );

    let sjh = reteach(&records, MONDAY, MONDAY + Duration::days(7), Some(&"sjh".into()));
    assert!(sjh.workflows.is_empty(), "one report at sjh is no list");
}
