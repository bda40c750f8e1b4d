//! Submitting reports over the websocket and HTTP: acknowledgement after commit, routing,
//! idempotent retries, conflicts.

use floorboard_shared::protocol::{IssuesAt, Receipt};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, Kind, QueueId, Severity, Status};
use floorboard_tests::{TestServer, draft};

#[tokio::test]
async fn a_report_over_the_websocket_is_committed_and_routed() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let report = draft("rmc-4w", Kind::Configuration, Severity::PatientSafety);

    let receipt = tablet.submit(&report).await.expect("accepted");
    assert!(!receipt.duplicate);
    assert_eq!(receipt.status, Status::New);
    assert_eq!(receipt.queues, [QueueId::new("cc-lead"), QueueId::new("analysts-clindoc")]);

    let stored: Issue = server.http().get_json(&format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(stored.report.summary, report.summary);
    assert_eq!(stored.seq, receipt.seq);
}

#[tokio::test]
async fn a_report_over_http_is_committed_and_routed() {
    let server = TestServer::spawn().await;
    let report = draft("sjh-ed", Kind::Access, Severity::High);
    let response = server.http().post_json("/api/v1/reports", &report).await;
    assert_eq!(response.status(), 201);
    let receipt: Receipt = response.json().await.unwrap();
    assert_eq!(receipt.queues, [QueueId::new("it-access")]);

    let queue: IssuesAt = server.http().get_json("/api/v1/queues/it-access/issues").await;
    assert_eq!(queue.issues.len(), 1);
    assert_eq!(queue.issues[0].report.id, report.id);
}

#[tokio::test]
async fn training_gaps_resolved_at_the_elbow_start_resolved_and_stay_off_the_open_queue() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let report = floorboard_shared::ReportDraft {
        resolved_at_elbow: true,
        ..draft("lch-picu", Kind::TrainingGap, Severity::Low)
    };
    let receipt = tablet.submit(&report).await.unwrap();
    assert_eq!((receipt.status, receipt.queues.clone()), (Status::Resolved, vec![QueueId::new("training-lch")]));
    let queue: IssuesAt = server.http().get_json("/api/v1/queues/training-lch/issues").await;
    assert!(queue.issues.is_empty());
}

#[tokio::test]
async fn a_retried_submission_gets_the_same_receipt_and_stores_nothing_new() {
    let server = TestServer::spawn().await;
    let report = draft("rmc-icu", Kind::Process, Severity::Medium);
    let first = server.client().await.submit(&report).await.unwrap();

    // A tablet retrying after a dropped connection, on a new connection.
    let again = server.client().await.submit(&report).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(Receipt { duplicate: false, ..again.clone() }, first);

    // And over HTTP, answered 200 instead of 201.
    let response = server.http().post_json("/api/v1/reports", &report).await;
    assert_eq!(response.status(), 200);
    assert!(response.json::<Receipt>().await.unwrap().duplicate);

    let queue: IssuesAt = server.http().get_json("/api/v1/queues/operations/issues").await;
    assert_eq!(queue.issues.len(), 1);
    assert_eq!(queue.seq, first.seq, "no event was added by the retries");
}

#[tokio::test]
async fn a_retry_after_a_status_change_still_gets_the_original_receipt() {
    let server = TestServer::spawn().await;
    let report = draft("rmc-icu", Kind::Process, Severity::Medium);
    let first = server.client().await.submit(&report).await.unwrap();
    let change = serde_json::json!({"status": "acknowledged"});
    assert_eq!(server.http().post_json(&format!("/api/v1/reports/{}/status", report.id), &change).await.status(), 200);
    let again = server.client().await.submit(&report).await.unwrap();
    assert_eq!(Receipt { duplicate: false, ..again }, first);
}

#[tokio::test]
async fn the_same_id_with_different_content_is_a_conflict() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let report = draft("wrh-or", Kind::Configuration, Severity::Low);
    tablet.submit(&report).await.unwrap();

    let changed = floorboard_shared::ReportDraft { summary: "A different problem entirely".into(), ..report.clone() };
    let err = tablet.submit(&changed).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::IdConflict);
    assert_eq!(err.id, Some(report.id));

    let response = server.http().post_json("/api/v1/reports", &changed).await;
    assert_eq!(response.status(), 409);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::IdConflict);

    let stored: Issue = server.http().get_json(&format!("/api/v1/reports/{}", report.id)).await;
    assert_eq!(stored.report.summary, report.summary, "the first report stands");
}

#[tokio::test]
async fn many_pipelined_submissions_are_each_acknowledged_once() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let reports: Vec<_> = (0..300).map(|_| draft("nvc-med", Kind::TrainingGap, Severity::Low)).collect();
    for report in &reports {
        tablet.send(&floorboard_shared::protocol::ClientMsg::Submit { report: report.clone() }).await;
    }
    let mut acked = std::collections::HashSet::new();
    while acked.len() < reports.len() {
        if let floorboard_shared::protocol::ServerMsg::Submitted(r) = tablet.recv().await {
            assert!(acked.insert(r.id), "acknowledged twice");
        }
    }
    let queue: IssuesAt = server.http().get_json("/api/v1/queues/training-nvc/issues").await;
    assert_eq!(queue.issues.len(), 300);
    let seqs: std::collections::BTreeSet<u64> = queue.issues.iter().map(|i| i.seq).collect();
    assert_eq!(seqs, (1..=300).collect(), "sequence numbers are dense and unique");
}

#[tokio::test]
async fn status_changes_follow_the_workflow() {
    let server = TestServer::spawn().await;
    let http = server.http();
    let report = draft("rmc-ed", Kind::Configuration, Severity::High);
    server.client().await.submit(&report).await.unwrap();
    let path = format!("/api/v1/reports/{}/status", report.id);

    let response = http.post_json(&path, &serde_json::json!({"status": "resolved"})).await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::NoteRequired);

    let response = http.post_json(&path, &serde_json::json!({"status": "in_progress"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Issue>().await.unwrap().status, Status::InProgress);

    let response = http.post_json(&path, &serde_json::json!({"status": "new"})).await;
    assert_eq!(response.status(), 409);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::InvalidTransition);

    // Resolving takes one of the go-live's resolution codes as well as the note.
    let note = "Role mapped to SmartSet";
    for (resolution, code) in [(None, ErrorCode::ResolutionRequired), (Some("fixed-by-magic"), ErrorCode::InvalidValue)]
    {
        let body = serde_json::json!({"status": "resolved", "note": note, "resolution": resolution});
        let response = http.post_json(&path, &body).await;
        assert_eq!(response.status(), 422);
        let refused = response.json::<ErrorBody>().await.unwrap();
        assert_eq!((refused.code, refused.field.as_deref()), (code, Some("resolution")));
    }
    let body = serde_json::json!({"status": "resolved", "note": note, "resolution": "build-fixed"});
    let issue: Issue = http.post_json(&path, &body).await.json().await.unwrap();
    assert_eq!((issue.status, issue.note.as_deref()), (Status::Resolved, Some(note)));
    assert_eq!(issue.resolution.as_ref().map(|r| r.as_str()), Some("build-fixed"));

    // Reopening says why, and the resolution goes with the fix that did not hold.
    let reopen = serde_json::json!({"status": "in_progress"});
    let response = http.post_json(&path, &reopen).await;
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::NoteRequired);
    let reopen = serde_json::json!({"status": "in_progress", "note": "Back on 4 West after the 14:00 migration"});
    let issue: Issue = http.post_json(&path, &reopen).await.json().await.unwrap();
    assert_eq!((issue.status, issue.resolution), (Status::InProgress, None));
    let waiting = serde_json::json!({"status": "pending_migration"});
    assert_eq!(http.post_json(&path, &waiting).await.json::<Issue>().await.unwrap().status, Status::PendingMigration);

    let missing = format!("/api/v1/reports/{}/status", uuid::Uuid::new_v4());
    assert_eq!(http.post_json(&missing, &serde_json::json!({"status": "acknowledged"})).await.status(), 404);
}
