//! The daily floor support summary and the go-live curve over HTTP: today's numbers as JSON, the same numbers in
//! the CSV a lead opens in Excel (parsed back here), its export audited, bad asks refused
//! without changing anything, and who may read which summary. (The numbers themselves are
//! held to direct counts on both backends in the conformance suite.)

use std::collections::BTreeMap;

use floorboard_shared::access::{AccountSpec, Role};
use floorboard_shared::audit::AuditRecord;
use floorboard_shared::curve::{Breakdown, Curves};
use floorboard_shared::protocol::StatusChange;
use floorboard_shared::reteach::Reteach;
use floorboard_shared::summary::{Period, Summary};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, Issue, Kind, QueueId, Severity, Status};
use floorboard_tests::{TESTER, TestServer, draft, spec};
use reqwest::StatusCode;

/// The CSV's rows, header first checked, as (facility, table, key, name, kind, value).
fn rows(body: &str) -> Vec<[String; 6]> {
    let body = body.strip_prefix('\u{feff}').expect("a byte-order mark for Excel");
    assert!(body.contains("\r\n"), "RFC 4180 lines end in CRLF");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    assert_eq!(header, ["facility", "table", "key", "name", "kind", "value"]);
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed row");
            std::array::from_fn(|i| r.get(i).expect("six columns").to_owned())
        })
        .collect()
}

#[tokio::test]
async fn todays_summary_counts_what_was_reported_and_its_csv_says_the_same() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let safety = draft("rmc-ed", Kind::Configuration, Severity::PatientSafety);
    let mut many = draft("rmc-icu", Kind::Access, Severity::High);
    many.affected_users = 30;
    let elbow = {
        let mut d = draft("sjh-ed", Kind::TrainingGap, Severity::Low);
        d.resolved_at_elbow = true;
        d
    };
    for d in [&safety, &many, &elbow] {
        tablet.submit(d).await.expect("accepted");
    }
    let change = StatusChange { status: Status::Acknowledged, note: None, resolution: None };
    let moved = server.http().post_json(&format!("/api/v1/reports/{}/status", many.id), &change).await;
    assert_eq!(moved.status(), StatusCode::OK);

    // The local day of the first report (asked by date, so a test run across midnight holds).
    let first: Issue = server.http().get_json(&format!("/api/v1/reports/{}", safety.id)).await;
    let day = Period::current(&floorboard_shared::GoLive::example(), first.received_at, false).key();
    let summary: Summary = server.http().get_json(&format!("/api/v1/summary?date={day}")).await;
    assert_eq!(summary.date, day);
    let all = &summary.sections[0];
    let users = [&safety, &many, &elbow].iter().map(|d| u64::from(d.affected_users)).sum::<u64>();
    assert_eq!((all.facility.as_ref(), all.reported, all.affected_users, all.resolved_at_elbow), (None, 3, users, 1));
    assert_eq!((all.by_kind[&Kind::Configuration], all.by_kind[&Kind::Access], all.by_kind[&Kind::Process]), (1, 1, 0));
    assert_eq!(
        (all.by_status[&Status::New], all.by_status[&Status::Acknowledged], all.by_status[&Status::Resolved]),
        (1, 1, 1)
    );
    assert_eq!(all.top_open.iter().map(|b| b.id).collect::<Vec<_>>(), [many.id, safety.id]);
    assert_eq!(all.safety_open.iter().map(|b| b.id).collect::<Vec<_>>(), [safety.id]);
    assert_eq!(all.safety_open[0].summary, safety.summary, "the lead reads the issue's words");
    let it = all.by_queue.iter().find(|q| q.queue.as_str() == "it-access").expect("the access issue's queue");
    assert_eq!((it.count, it.open, it.acknowledge.count, it.resolve.count), (1, 1, 1, 0));
    let rmc = summary.sections.iter().find(|s| s.facility == Some(FacilityId::new("rmc"))).expect("rmc's section");
    assert_eq!(rmc.reported, 2);

    // The same day as CSV: the same numbers, parsed back.
    let answer = server.http().get(&format!("/api/v1/summary?date={}&format=csv", summary.date)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = answer.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains(&format!("floorboard-summary-{}.csv", summary.date)), "{disposition}");
    let rows = rows(&answer.text().await.unwrap());
    let value = |facility: &str, table: &str, key: &str| -> Option<String> {
        rows.iter().find(|r| r[0] == facility && r[1] == table && r[2] == key).map(|r| r[5].clone())
    };
    assert_eq!(value("all", "reported", "").as_deref(), Some("3"));
    assert_eq!(value("rmc", "reported", "").as_deref(), Some("2"));
    for (kind, n) in &all.by_kind {
        assert_eq!(value("all", "kind", kind.as_str()), Some(n.to_string()), "{kind:?}");
    }
    let units: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r[0] == "all" && r[1] == "unit" && r[4] == "all")
        .map(|r| (r[2].clone(), r[5].clone()))
        .collect();
    let expected: BTreeMap<String, String> =
        all.by_unit.iter().map(|u| (u.unit.to_string(), u.total.to_string())).collect();
    assert_eq!(units, expected);
    let emergency = rows.iter().find(|r| r[1] == "unit" && r[2] == "rmc-ed").expect("the ED's row");
    assert_eq!(emergency[3], "Emergency Department", "units by name, for the reader");
    let top: Vec<String> = rows.iter().filter(|r| r[0] == "all" && r[1] == "top_open").map(|r| r[2].clone()).collect();
    assert_eq!(top, [many.id.to_string(), safety.id.to_string()]);

    // The export is in the audit trail, with what was exported and never the words.
    let trail: Vec<AuditRecord> = server.admin().await.get_json("/api/v1/audit?limit=10000").await;
    let export = trail.iter().find(|e| e.action == "summary_export").expect("the export is audited");
    assert_eq!(export.actor.as_deref(), Some(TESTER));
    assert_eq!(export.target.as_deref(), Some(format!("summary:{}:all", summary.date).as_str()));
    assert!(trail.iter().all(|e| !format!("{e:?}").contains(&safety.summary)));
}

#[tokio::test]
async fn a_bad_ask_is_refused_by_name() {
    let server = TestServer::spawn().await;
    for (query, code, field) in [
        ("?facility=nowhere", ErrorCode::UnknownFacility, "facility"),
        ("?date=2026-02-30", ErrorCode::InvalidValue, "date"),
        ("?date=yesterday", ErrorCode::InvalidValue, "date"),
        ("?date=2026-11-21&shift=08:00", ErrorCode::InvalidValue, "shift"),
        ("?reporter=%20", ErrorCode::InvalidValue, "reporter"),
    ] {
        let answer = server.http().get(&format!("/api/v1/summary{query}")).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body: ErrorBody = answer.json().await.unwrap();
        assert_eq!((body.code, body.field.as_deref()), (code, Some(field)), "{query}");
    }
    let answer = server.http().get("/api/v1/summary?format=xlsx").await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A shift of a given day: the night shift runs into the next morning.
    let night: Summary = server.http().get_json("/api/v1/summary?date=2026-11-21&shift=19:00").await;
    assert_eq!(
        (night.shift.as_deref(), night.complete, night.to - night.from),
        (Some("19:00"), true, time::Duration::hours(12))
    );
}

#[tokio::test]
async fn leads_and_administrators_read_summaries_and_a_trainer_their_own() {
    let server = TestServer::spawn().await;
    let trainer =
        server.account("ana", AccountSpec { facility: Some(FacilityId::new("rmc")), ..spec(&[Role::Trainer]) }).await;
    let mut ana = trainer.client().await;
    let mut own = draft("rmc-4w", Kind::Process, Severity::Medium);
    own.reporter = "ana".into();
    ana.submit(&own).await.expect("accepted");
    server.client().await.submit(&draft("lch-picu", Kind::Access, Severity::Low)).await.expect("accepted");

    let status = |who: floorboard_tests::Http, path: &'static str| async move { who.get(path).await.status() };
    // A trainer: their own, not the roll-up, not someone else's.
    assert_eq!(status(trainer.http(), "/api/v1/summary").await, StatusCode::FORBIDDEN);
    assert_eq!(status(trainer.http(), "/api/v1/summary?reporter=trainer-07").await, StatusCode::FORBIDDEN);
    let mine: Summary = trainer.http().get_json("/api/v1/summary?reporter=ana").await;
    assert_eq!((mine.reporter.as_ref().map(|r| r.as_str()), mine.sections[0].reported), (Some("ana"), 1));
    assert_eq!(mine.sections[0].top_open[0].id, own.id);
    // Staff and viewers: no roll-up.
    let staff =
        server.account("bo", AccountSpec { queues: vec![QueueId::new("it-access")], ..spec(&[Role::Staff]) }).await;
    assert_eq!(status(staff.http(), "/api/v1/summary").await, StatusCode::FORBIDDEN);
    let viewer = server.account("ed", spec(&[Role::Viewer])).await;
    assert_eq!(status(viewer.http(), "/api/v1/summary").await, StatusCode::FORBIDDEN);
    // A lead of one facility gets that facility's, asked or not, and no other.
    let lch =
        server.account("dee", AccountSpec { facility: Some(FacilityId::new("lch")), ..spec(&[Role::Lead]) }).await;
    let theirs: Summary = lch.http().get_json("/api/v1/summary").await;
    assert_eq!(theirs.sections.len(), 1);
    assert_eq!(
        (theirs.sections[0].facility.as_ref().map(|f| f.as_str()), theirs.sections[0].reported),
        (Some("lch"), 1)
    );
    assert_eq!(status(lch.http(), "/api/v1/summary?facility=rmc").await, StatusCode::FORBIDDEN);
    // An administrator reads the roll-up.
    let admin: Summary = server.admin().await.get_json("/api/v1/summary").await;
    assert_eq!(admin.sections[0].reported, 2);
}

#[tokio::test]
async fn the_curve_counts_each_hours_reports_and_backlog_for_whoever_sees_the_board() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    for d in [draft("rmc-ed", Kind::Access, Severity::High), draft("lch-picu", Kind::Access, Severity::Low)] {
        tablet.submit(&d).await.expect("accepted");
    }
    let viewer = server.account("ed", spec(&[Role::Viewer])).await;
    let curves: Curves = viewer.http().get_json("/api/v1/curve").await;
    assert_eq!((curves.by, curves.step_secs, curves.curves.len()), (Breakdown::Kind, 3600, 6));
    let access = curves.keys.iter().position(|k| k == "access").expect("a series per kind");
    let last = |series: &[Vec<u32>]| *series[access].last().expect("an hour");
    let all = &curves.curves[0];
    assert_eq!((last(&all.reported), last(&all.resolved), last(&all.open)), (2, 0, 2));
    let hours = (curves.as_of - curves.from).whole_hours() as usize + 1;
    assert!(all.reported.iter().all(|s| s.len() == hours), "one number per hour since go-live");

    let lch =
        server.account("dee", AccountSpec { facility: Some(FacilityId::new("lch")), ..spec(&[Role::Lead]) }).await;
    let theirs: Curves = lch.http().get_json("/api/v1/curve?by=severity").await;
    assert_eq!(theirs.curves.len(), 1, "a lead of one facility sees that facility's");
    assert_eq!(theirs.curves[0].facility.as_ref().map(|f| f.as_str()), Some("lch"));
    assert_eq!(theirs.keys, ["patient_safety", "high", "medium", "low"]);
    assert_eq!(lch.http().get("/api/v1/curve?facility=rmc").await.status(), StatusCode::FORBIDDEN);
    let trainer = server.account("ana", spec(&[Role::Trainer])).await;
    assert_eq!(trainer.http().get("/api/v1/curve").await.status(), StatusCode::FORBIDDEN);
    let unknown = viewer.http().get("/api/v1/curve?facility=nowhere").await;
    assert_eq!(unknown.json::<ErrorBody>().await.unwrap().code, ErrorCode::UnknownFacility);
}

#[tokio::test]
async fn the_reteach_list_groups_a_workflow_reported_across_units_and_exports_it() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let said = [
        ("rmc-4w", "Charge nurses unsure how to assign beds from the unit board"),
        ("rmc-2n", "Charge nurse assigning beds from unit board"),
        ("sjh-icu", "charge nurses assign bed on the unit board"),
        ("rmc-4w", "Where to document wound care"),
    ];
    for (unit, summary) in said {
        let mut d = draft(unit, Kind::TrainingGap, Severity::Low);
        d.summary = summary.into();
        tablet.submit(&d).await.expect("accepted");
    }
    let list: Reteach = server.http().get_json("/api/v1/reteach").await;
    assert_eq!(list.workflows.len(), 1, "a lone report is no list: {:?}", list.workflows);
    let beds = &list.workflows[0];
    assert_eq!((beds.module.as_str(), beds.workflow.as_str(), beds.reports), ("clindoc", said[0].1, 3));
    assert_eq!(beds.units.len(), 3);
    assert_eq!(beds.per_day.len(), 7);

    let answer = server.http().get("/api/v1/reteach?days=14&format=csv").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = answer.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.strip_prefix('\u{feff}').expect("a BOM").as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((&rows[0][0], &rows[0][1], &rows[0][3]), ("clindoc", said[0].1, "3"));
    assert_eq!(rows[0][7].split(' ').count(), 14, "a number per day");

    let trainer = server.account("ana", spec(&[Role::Trainer])).await;
    assert_eq!(trainer.http().get("/api/v1/reteach").await.status(), StatusCode::FORBIDDEN);
    let refused = server.http().get("/api/v1/reteach?days=0").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("days"));
}
