//! A database file poisoned by the build before the rule at the trust boundary (commit
//! 5dce43c, `tests/fixtures/poisoned-by-5dce43c.sqlite`): a patient-safety report dated
//! `0000-01-01T00:00:00+00:01` (its queue answered 500 and its status could not change), a NUL
//! and a bell in a summary and details, a bidi override and a zero-width space, text not in
//! NFC, a resolution note with a NUL and a bidi override, and a report whose text an older
//! client sent decomposed (not NFC). The server repairs it at start.

use floorboard_server::store::SqliteStore;
use floorboard_shared::protocol::{IssuesAt, ServerMsg, StatusChange, Topic};
use floorboard_shared::{Issue, ReportId, Status};
use floorboard_tests::{TestServer, TestStore};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/poisoned-by-5dce43c.sqlite");

fn id(n: u32) -> ReportId {
    ReportId(format!("00000000-0000-7000-8000-{n:012}").parse().expect("uuid"))
}

async fn poisoned() -> TestStore {
    let store = TestStore::sqlite();
    std::fs::copy(FIXTURE, store.data_dir().join("floorboard.db")).expect("copy the poisoned database");
    store
}

#[tokio::test]
async fn a_database_poisoned_by_the_old_build_is_repaired_and_every_path_reads_it() {
    let store = poisoned().await;
    let server = TestServer::spawn_on(&store, |_| {}).await;
    let http = server.http();

    // The safety queue reads again; the year-0000 report took its receipt time.
    let queue: IssuesAt = http.get_json("/api/v1/queues/cc-lead/issues").await;
    let first = queue.issues.iter().find(|i| i.report.id == id(1)).expect("the safety report is on its queue");
    assert_eq!(first.report.reported_at, first.received_at);

    // Refused characters are gone, text is in NFC, the rest of each text is kept.
    let second: Issue = http.get_json(&format!("/api/v1/reports/{}", id(2))).await;
    assert_eq!(
        (second.report.summary.as_str(), second.report.details.as_deref()),
        ("Order set missing", Some("step 1 fails"))
    );
    let third: Issue = http.get_json(&format!("/api/v1/reports/{}", id(3))).await;
    assert_eq!(third.report.summary, "Caf\u{e9} printer maps wrong");
    assert_eq!(third.report.affected_role.as_deref(), Some("RN"));
    let fourth: Issue = http.get_json(&format!("/api/v1/reports/{}", id(4))).await;
    assert_eq!(fourth.note.as_deref(), Some("badge re-enrolled done"));

    // The older client's retry of its decomposed text is the same report, not a conflict.
    let retry = serde_json::json!({
        "id": id(5), "facility": "rmc", "unit": "rmc-ed", "module": "asap", "kind": "process", "severity": "low",
        "summary": "Cafe\u{301} cart label printer jams", "reporter": "trainer-09", "reported_at": "2026-11-21T08:03:00Z"
    });
    // Sent by its reporter, signed in: reports are filed as the signed-in account.
    let reporter =
        server.account("trainer-09", floorboard_tests::spec(&[floorboard_shared::access::Role::Trainer])).await;
    let response = reporter.http().post_json("/api/v1/reports", &retry).await;
    assert_eq!(response.status(), 200, "a duplicate");
    let receipt: floorboard_shared::protocol::Receipt = response.json().await.expect("a receipt");
    assert!(receipt.duplicate);

    // Its status moves again.
    let moved = http
        .post_json(
            &format!("/api/v1/reports/{}/status", id(1)),
            &StatusChange { status: Status::Acknowledged, note: None, resolution: None },
        )
        .await;
    assert_eq!(moved.status(), 200);

    // Snapshots and replays serialise: the queue's watchers are no longer disconnected.
    let mut ws = server.client().await;
    let snapshot = ws.subscribe(Topic::Queue { queue: "cc-lead".into() }, None).await;
    assert!(matches!(snapshot, ServerMsg::Snapshot { ref issues, .. } if issues.iter().any(|i| i.report.id == id(1))));
    let mine = ws
        .subscribe(
            Topic::Mine { reporter: floorboard_shared::ReporterId::parse("trainer-08").expect("reporter") },
            Some(0),
        )
        .await;
    assert!(matches!(mine, ServerMsg::Event(ref e) if e.seq == 3), "{mine:?}");
    let replayed = ws.recv_until(|m| matches!(m, ServerMsg::Event(e) if e.seq == 5)).await;
    let ServerMsg::Event(status_change) = replayed else { panic!("an event") };
    assert_eq!(status_change.issue.note.as_deref(), Some("badge re-enrolled done"));
    server.stop().await;

    // Each repair is recorded, and the repair runs once.
    let pool = sqlx::SqlitePool::connect_with(SqliteStore::connect_options(&store.data_dir().join("floorboard.db")))
        .await
        .expect("open the file");
    let faults: Vec<(String, i64, String, String, Option<i64>)> =
        sqlx::query_as("SELECT row_table, row_key, field, fault, was_micros FROM repairs ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("repairs");
    assert!(faults.contains(&(
        "reports".into(),
        1,
        "reported_at".into(),
        "out_of_range".into(),
        Some(-62_167_219_260_000_000)
    )));
    assert!(faults.contains(&("events".into(), 5, "note".into(), "control_or_format_character".into(), None)));
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM repair_runs").fetch_one(&pool).await.expect("runs");
    assert_eq!(runs, 1);
    pool.close().await;
    let again = TestServer::spawn_on(&store, |_| {}).await;
    again.stop().await;
    let pool = sqlx::SqlitePool::connect_with(SqliteStore::connect_options(&store.data_dir().join("floorboard.db")))
        .await
        .expect("open the file");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM repairs").fetch_one(&pool).await.expect("repairs");
    assert_eq!(after as usize, faults.len(), "a second start repairs nothing");
}
