//! Working an issue over the API: claiming it, handing it to a colleague, letting it go,
//! live to the queue's watchers, each change with its actor and the previous assignee. The
//! rules themselves are `floorboard_shared::workflow`, tested there one by one.

use floorboard_shared::access::{AccountSpec, Role};
use floorboard_shared::protocol::{Assignment, Change, Reroute, ServerMsg, StatusChange, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, Kind, QueueId, ReporterId, Severity, Status};
use floorboard_tests::{Http, TestServer, draft, spec};

use crate::live::next_event;
use reqwest::StatusCode;

fn staff_of(queue: &str) -> AccountSpec {
    AccountSpec { queues: vec![QueueId::new(queue)], ..spec(&[Role::Staff]) }
}

fn login(s: &str) -> ReporterId {
    ReporterId::parse(s).expect("a login")
}

async fn assign(http: &Http, issue: &str, to: Option<&str>) -> reqwest::Response {
    let request = Assignment { assignee: to.map(login) };
    http.post_json(&format!("/api/v1/reports/{issue}/assignment"), &request).await
}

async fn refused(response: reqwest::Response, status: StatusCode) -> ErrorBody {
    assert_eq!(response.status(), status);
    response.json().await.expect("an error body")
}

#[tokio::test]
async fn staff_claim_hand_over_and_let_go_of_an_issue_live_and_only_to_who_may_work_it() {
    let server = TestServer::spawn().await;
    let ana = server.account("ana", staff_of("it-access")).await;
    let bo = server.account("bo", staff_of("it-access")).await;
    let cy = server.account("cy", staff_of("analysts-clindoc")).await;
    let gone = server.account("dee", staff_of("it-access")).await;
    let receipt = server.client().await.submit(&draft("rmc-4w", Kind::Access, Severity::High)).await.unwrap();
    let id = receipt.id.to_string();
    let mut watcher = server.client().await;
    watcher.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await;

    // "Assign to me".
    let response = assign(&ana.http(), &id, Some("ana")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let claimed: Issue = response.json().await.unwrap();
    assert_eq!(claimed.assignee, Some(login("ana")));
    assert_eq!(claimed.status, Status::New, "assigning moves no status");
    let event = next_event(&mut watcher).await;
    assert_eq!(
        (event.change, event.actor, event.issue.assignee),
        (Change::Assigned { from: None }, Some(login("ana")), Some(login("ana")))
    );

    // Nobody is handed an issue they cannot work, or that is theirs already; staff of another
    // queue cannot take it; a disabled account or a login of no account is no assignee.
    let body = refused(assign(&ana.http(), &id, Some("cy")).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!((body.code, body.field.as_deref()), (ErrorCode::InvalidValue, Some("assignee")));
    let body = refused(assign(&bo.http(), &id, Some("ana")).await, StatusCode::CONFLICT).await;
    assert_eq!(body.code, ErrorCode::InvalidTransition);
    assert_eq!(
        refused(assign(&cy.http(), &id, Some("cy")).await, StatusCode::FORBIDDEN).await.code,
        ErrorCode::Forbidden
    );
    let admin = server.admin().await;
    let disabled = AccountSpec { disabled: true, ..staff_of("it-access") };
    let path = format!("/api/v1/users/{}", gone.login);
    let response = admin.request(reqwest::Method::PUT, &path).json(&disabled).send().await.unwrap();
    assert!(response.status().is_success());
    for nobody in ["dee", "no-such-person"] {
        let body = refused(assign(&ana.http(), &id, Some(nobody)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body.field.as_deref(), Some("assignee"), "{nobody}");
    }

    // Handed to a colleague, then let go: each event names who had it.
    assert_eq!(assign(&ana.http(), &id, Some("bo")).await.status(), StatusCode::OK);
    let event = next_event(&mut watcher).await;
    assert_eq!(
        (event.change, event.issue.assignee),
        (Change::Assigned { from: Some(login("ana")) }, Some(login("bo")))
    );
    assert_eq!(assign(&bo.http(), &id, None).await.status(), StatusCode::OK);
    let event = next_event(&mut watcher).await;
    assert_eq!(
        (event.change, event.actor, event.issue.assignee),
        (Change::Assigned { from: Some(login("bo")) }, Some(login("bo")), None)
    );

    // A resolved issue is not assigned.
    let resolve = StatusChange {
        status: Status::Resolved,
        note: Some("Badge reader re-paired".into()),
        resolution: Some("workaround".into()),
    };
    assert!(bo.http().post_json(&format!("/api/v1/reports/{id}/status"), &resolve).await.status().is_success());
    let body = refused(assign(&bo.http(), &id, Some("bo")).await, StatusCode::CONFLICT).await;
    assert_eq!(body.code, ErrorCode::InvalidTransition);

    let stored: Issue = server.http().get_json(&format!("/api/v1/reports/{id}")).await;
    assert_eq!((stored.assignee, stored.status), (None, Status::Resolved));
}

#[tokio::test]
async fn a_rerouted_issue_leaves_its_queue_and_arrives_in_the_next_live_and_on_resume() {
    let server = TestServer::spawn().await;
    let ana = server.account("ana", staff_of("it-access")).await;
    let receipt = server.client().await.submit(&draft("rmc-4w", Kind::Access, Severity::High)).await.unwrap();
    let path = format!("/api/v1/reports/{}/route", receipt.id);
    let (mut left, mut joined) = (server.client().await, server.client().await);
    left.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await;
    joined.subscribe(Topic::Queue { queue: QueueId::new("operations") }, None).await;

    for (body, code) in [
        (serde_json::json!({"queues": ["nowhere"], "reason": "Wrong team"}), ErrorCode::UnknownQueue),
        (serde_json::json!({"queues": ["operations"], "reason": "  "}), ErrorCode::NoteRequired),
        (serde_json::json!({"queues": [], "reason": "Wrong team"}), ErrorCode::InvalidValue),
    ] {
        assert_eq!(
            refused(ana.http().post_json(&path, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await.code,
            code
        );
    }

    assert_eq!(assign(&ana.http(), &receipt.id.to_string(), Some("ana")).await.status(), StatusCode::OK);
    next_event(&mut left).await;
    let reroute =
        Reroute { queues: vec![QueueId::new("operations")], reason: "A process question for operations".into() };
    let routed: Issue = ana.http().post_json(&path, &reroute).await.json().await.unwrap();
    assert_eq!((routed.queues, routed.assignee), (vec![QueueId::new("operations")], None));
    for watcher in [&mut left, &mut joined] {
        let event = next_event(watcher).await;
        assert_eq!(event.change, Change::Rerouted { from: vec![QueueId::new("it-access")] });
        assert_eq!(event.issue.note.as_deref(), Some("A process question for operations"));
    }

    // A watcher of the queue it left, back from a drop, is told it left.
    let mut back = server.client().await;
    let first = back.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, Some(receipt.seq)).await;
    assert!(matches!(&first, ServerMsg::Event(e) if matches!(e.change, Change::Assigned { .. })), "{first:?}");
    assert_eq!(next_event(&mut back).await.change, Change::Rerouted { from: vec![QueueId::new("it-access")] });
    // Its former queue's staff no longer work it.
    assert_eq!(assign(&ana.http(), &receipt.id.to_string(), Some("ana")).await.status(), StatusCode::FORBIDDEN);
}
