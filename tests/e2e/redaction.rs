//! Redaction: an administrator replaces an issue's free text that let patient data through,
//! and the text is then served nowhere: reads, snapshots, the replay window, watchers.

use floorboard_shared::audit::AuditRecord;
use floorboard_shared::protocol::{Change, IssuesAt, Redaction, ServerMsg, StatusChange, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, Kind, REDACTED, Severity, Status, TextField};
use floorboard_tests::{TESTER, TestServer, draft};
use reqwest::StatusCode;

const NOTE: &str = "Seen on two workstations of 4 West";

/// Every issue a message carries.
fn issues_of(msg: &ServerMsg) -> Vec<&Issue> {
    match msg {
        ServerMsg::Snapshot { issues, .. } => issues.iter().collect(),
        ServerMsg::Event(event) => vec![&event.issue],
        _ => vec![],
    }
}

#[tokio::test]
async fn an_administrators_redaction_reaches_every_read_snapshot_replay_and_watcher() {
    let server = TestServer::spawn().await;
    let report = draft("rmc-4w", Kind::Configuration, Severity::Medium);
    let original = report.summary.clone();
    let receipt = server.client().await.submit(&report).await.unwrap();
    let status = format!("/api/v1/reports/{}/status", report.id);
    let change = StatusChange { status: Status::Acknowledged, note: Some(NOTE.into()), resolution: None };
    assert_eq!(server.http().post_json(&status, &change).await.status(), StatusCode::OK);
    let queue = Topic::Queue { queue: receipt.queues[0].clone() };
    let mut watcher = server.client().await;
    watcher.subscribe(queue.clone(), None).await;

    let path = format!("/api/v1/reports/{}/redactions", report.id);
    let refused = server.http().post_json(&path, &Redaction { field: TextField::Summary }).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a lead does not redact");
    let admin = server.admin().await;
    for field in [TextField::Summary, TextField::Note] {
        let answer = admin.post_json(&path, &Redaction { field }).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let again = admin.post_json(&path, &Redaction { field: TextField::Note }).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json::<ErrorBody>().await.unwrap().code, ErrorCode::InvalidValue);

    // The watcher is told, with the issue as it now stands.
    for field in [TextField::Summary, TextField::Note] {
        let ServerMsg::Event(event) = watcher.recv_until(|m| matches!(m, ServerMsg::Event(_))).await else {
            unreachable!()
        };
        assert_eq!((event.change, event.actor.unwrap().as_str()), (Change::Redacted { field }, "admin"));
    }

    let redacted = |issue: &Issue| {
        assert_eq!(issue.report.summary, REDACTED, "{issue:?}");
        assert!(issue.note.as_deref().is_none_or(|n| n == REDACTED), "{issue:?}");
    };
    // Reads.
    redacted(&server.http().get_json::<Issue>(&format!("/api/v1/reports/{}", report.id)).await);
    let mine: IssuesAt = server.http().get_json(&format!("/api/v1/reporters/{TESTER}/reports")).await;
    mine.issues.iter().for_each(redacted);
    let Topic::Queue { queue: queue_id } = &queue else { unreachable!() };
    let listed: IssuesAt = server.http().get_json(&format!("/api/v1/queues/{queue_id}/issues")).await;
    assert_eq!(listed.issues.len(), 1);
    listed.issues.iter().for_each(redacted);
    // A snapshot, and the replay window from the start: every copy of the issue.
    let mut late = server.client().await;
    issues_of(&late.subscribe(queue.clone(), None).await).into_iter().for_each(redacted);
    let mut resuming = server.client().await;
    resuming
        .send(&floorboard_shared::protocol::ClientMsg::Subscribe { topic: queue, resume_from: Some(0), digest: None })
        .await;
    let mut copies = 0;
    loop {
        let msg = resuming.recv().await;
        issues_of(&msg).into_iter().for_each(|issue| {
            redacted(issue);
            copies += 1;
        });
        if matches!(msg, ServerMsg::Resumed { .. }) {
            break;
        }
    }
    assert_eq!(copies, 4, "reported, acknowledged and two redactions, replayed");

    // The redactions and the refusal are in the audit trail, without the text.
    let trail: Vec<AuditRecord> = admin.get_json("/api/v1/audit?limit=10000").await;
    let target = |field: &str| Some(format!("report:{}:{field}", report.id));
    let redactions: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "redact")
        .map(|e| (e.actor.clone(), e.target.clone(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        redactions,
        [
            (Some(TESTER.into()), target("summary"), "forbidden"),
            (Some("admin".into()), target("summary"), "ok"),
            (Some("admin".into()), target("note"), "ok"),
            (Some("admin".into()), target("note"), "invalid_value"),
        ]
    );
    let everything = serde_json::to_string(&trail).unwrap();
    assert!(!everything.contains(&original) && !everything.contains(NOTE));

    // The hash chain covers the redactions and still holds over the rewritten copies.
    let store = server.store.audit().await;
    tokio::time::timeout(floorboard_tests::WAIT, async {
        while store.verify_audit().await.map_or(0, |v| v.events) < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the chain covers the four events and holds");
}
