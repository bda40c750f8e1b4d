//! Several nodes on one PostgreSQL: fan-out across nodes, gap-free resume while two nodes
//! commit at once, losing a node under load, and losing the database for ten seconds.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use floorboard_shared::protocol::{BoardAt, ClientMsg, ServerMsg, Topic};
use floorboard_shared::{ErrorCode, Kind, QueueId, ReportDraft, ReportId, Severity};
use floorboard_tests::proxy::Proxy;
use floorboard_tests::{ServerProcess, TestServer, TestStore, WAIT, WsClient, draft};

fn operations() -> Topic {
    Topic::Queue { queue: QueueId::new("operations") }
}

/// Process reports all go to the operations queue: one topic sees every event.
fn process_report(i: usize) -> ReportDraft {
    draft(["rmc-2n", "sjh-ed", "wrh-or", "lch-picu"][i % 4], Kind::Process, Severity::Medium)
}

/// Submits every report pipelined and waits for all receipts; returns the receipts' seqs.
async fn submit_all(client: &mut WsClient, reports: &[ReportDraft]) -> Vec<u64> {
    for report in reports {
        client.send(&ClientMsg::Submit { report: report.clone() }).await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < reports.len() {
        match client.recv().await {
            ServerMsg::Submitted(r) => seqs.push(r.seq),
            ServerMsg::Error(e) => panic!("refused: {e:?}"),
            _ => {}
        }
    }
    seqs
}

/// A session busy on one node is not locked or ended for idleness by another node that
/// cached it earlier: each node records the activity it sees, and reads the others' before
/// it expires a session. Signed out everywhere once it is idle everywhere.
#[tokio::test]
async fn a_session_busy_on_one_node_is_not_ended_as_idle_by_another() {
    let store = TestStore::postgres().await;
    let idle = |c: &mut floorboard_server::Config| c.sessions.idle = Duration::from_secs(2);
    let (a, b) = (TestServer::spawn_on(&store, idle).await, TestServer::spawn_on(&store, idle).await);
    let (on_a, on_b) = (
        floorboard_tests::Http::new(a.base(), Some(a.token.clone())),
        floorboard_tests::Http::new(b.base(), Some(a.token.clone())),
    );
    assert_eq!(on_b.get("/api/v1/sessions/current").await.status(), 200, "node b caches the session");
    // Busy on a for well past the idle limit, while b sees nothing of it.
    let busy_until = std::time::Instant::now() + Duration::from_secs(6);
    while std::time::Instant::now() < busy_until {
        assert_eq!(on_a.get("/api/v1/sessions/current").await.status(), 200, "still signed in on a");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(on_b.get("/api/v1/sessions/current").await.status(), 200, "and on b, which read a's activity");
    // Idle everywhere (a socket's pings are not activity): ended everywhere.
    let mut socket = WsClient::connect(&a.ws_url(), &a.token).await;
    let frame = socket.closed().await.expect("closed once idle on every node");
    assert_eq!(frame.reason.as_str(), "session ended");
    assert_eq!(on_a.get("/api/v1/sessions/current").await.status(), 401);
}

/// A redaction made on one node scrubs the other node's replay window too: a client that
/// resumes there from before the report gets only redacted copies.
#[tokio::test]
async fn a_redaction_on_one_node_reaches_the_other_nodes_replay_window() {
    let store = TestStore::postgres().await;
    let (a, b) = (TestServer::spawn_on(&store, |_| {}).await, TestServer::spawn_on(&store, |_| {}).await);
    let mut watcher = b.client().await;
    watcher.subscribe(operations(), None).await;
    let report = process_report(0);
    let seq = submit_all(&mut a.client().await, std::slice::from_ref(&report)).await[0];
    let path = format!("/api/v1/reports/{}/redactions", report.id);
    let redaction = floorboard_shared::protocol::Redaction { field: floorboard_shared::TextField::Summary };
    assert!(a.admin().await.post_json(&path, &redaction).await.status().is_success());
    // Node b has published the redaction once its watcher has it.
    watcher.recv_until(|m| matches!(m, ServerMsg::Event(e) if e.seq == seq + 1)).await;

    let mut resuming = b.client().await;
    resuming.send(&ClientMsg::Subscribe { topic: operations(), resume_from: Some(0), digest: None }).await;
    let mut summaries = Vec::new();
    loop {
        match resuming.recv().await {
            ServerMsg::Event(e) => summaries.push(e.issue.report.summary),
            ServerMsg::Resumed { .. } => break,
            other => panic!("expected a replay, got {other:?}"),
        }
    }
    assert_eq!(summaries, [floorboard_shared::REDACTED; 2], "the report's event and the redaction's, both redacted");
}

#[tokio::test]
async fn a_report_on_one_node_reaches_watchers_on_another_in_order() {
    let store = TestStore::postgres().await;
    // The smallest pool a node accepts: its committer's connection and one for reads, with
    // the listening connection apart.
    let smallest = |c: &mut floorboard_server::Config| c.db_pool_size = 2;
    let (a, b) = (TestServer::spawn_on(&store, smallest).await, TestServer::spawn_on(&store, smallest).await);
    let mut watcher = b.client().await;
    watcher.subscribe(operations(), None).await;

    let reports: Vec<_> = (0..40).map(process_report).collect();
    let mut tablet = a.client().await;
    submit_all(&mut tablet, &reports).await;

    let mut seen = Vec::new();
    while seen.len() < reports.len() {
        if let ServerMsg::Event(e) = watcher.recv().await {
            seen.push(e.seq);
        }
    }
    assert_eq!(seen, (1..=40).collect::<Vec<_>>(), "every event, once, in order");
    // Aggregates are the same whichever node is asked, once each has folded event 40.
    for node in [&a, &b] {
        let mut wall = node.client().await;
        if !matches!(wall.subscribe(Topic::Board { facility: None }, None).await, ServerMsg::Snapshot { seq: 40, .. }) {
            wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { seq: 40, .. })).await;
        }
    }
    let (ba, bb): (BoardAt, BoardAt) =
        (a.http().get_json("/api/v1/board").await, b.http().get_json("/api/v1/board").await);
    assert_eq!((ba.seq, bb.seq), (40, 40));
    assert_eq!(ba.cells, bb.cells);
    assert_eq!(ba.cells.iter().map(|c| c.counts.since_go_live).sum::<u32>(), 40);
}

#[tokio::test]
async fn a_reader_resuming_on_either_node_misses_nothing_while_both_commit() {
    let store = TestStore::postgres().await;
    let nodes = [TestServer::spawn_on(&store, |_| {}).await, TestServer::spawn_on(&store, |_| {}).await];
    let per_writer = 60;
    let writers = 4;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (url, token) = (nodes[w % 2].ws_url(), nodes[w % 2].token.clone());
        tasks.push(tokio::spawn(async move {
            let mut tablet = WsClient::connect(&url, &token).await;
            // Small pipelined bursts, so commits on both nodes interleave.
            for chunk in (0..per_writer).map(|i| process_report(w * 1000 + i)).collect::<Vec<_>>().chunks(5) {
                submit_all(&mut tablet, chunk).await;
            }
        }));
    }

    // The reader hops between nodes, a few events at a time, resuming from the last seen.
    let total = (writers * per_writer) as u64;
    let mut last = 0u64;
    let mut received = Vec::new();
    let mut hop = 0;
    while last < total {
        let mut reader = nodes[hop % 2].client().await;
        hop += 1;
        reader.send(&ClientMsg::Subscribe { topic: operations(), resume_from: Some(last), digest: None }).await;
        let mut taken = 0;
        while taken < 7 && last < total {
            match reader.recv().await {
                ServerMsg::Event(e) => {
                    assert_eq!(e.seq, last + 1, "after {last} came {} (hop {hop})", e.seq);
                    last = e.seq;
                    received.push(e.issue.report.id);
                    taken += 1;
                }
                ServerMsg::Snapshot { reason, .. } => {
                    panic!("expected a replay, got a {reason:?} snapshot")
                }
                _ => {}
            }
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let unique: HashSet<ReportId> = received.iter().copied().collect();
    assert_eq!(unique.len(), received.len(), "no event twice");
    assert_eq!(received.len() as u64, total);
    assert!(hop > 10, "the reader resumed many times ({hop})");
}

#[tokio::test]
async fn killing_a_node_under_load_loses_nothing() {
    let store = TestStore::postgres().await;
    let a = ServerProcess::start(&store).await;
    let b = ServerProcess::start(&store).await;
    let mut watcher_b = b.client().await;
    watcher_b.subscribe(operations(), None).await;
    let mut watcher_a = a.client().await;
    watcher_a.subscribe(operations(), Some(0)).await;

    // A tablet on node A pipelines a burst; A dies after some are acknowledged.
    let reports: Vec<_> = (0..300).map(process_report).collect();
    let mut tablet = a.client().await;
    for report in &reports {
        tablet.send(&ClientMsg::Submit { report: report.clone() }).await;
    }
    let mut acked = HashSet::new();
    while acked.len() < 100 {
        if let ServerMsg::Submitted(r) = tablet.recv().await {
            acked.insert(r.id);
        }
    }
    // What the watcher on A saw before the kill.
    let mut last_a = 0;
    while last_a < 50 {
        if let ServerMsg::Event(e) = watcher_a.recv().await {
            last_a = e.seq;
        }
    }
    a.kill9().await;

    // The tablet fails over to B and resends everything not acknowledged, with the same ids.
    let mut tablet = b.client().await;
    for report in reports.iter().filter(|r| !acked.contains(&r.id)) {
        tablet.submit(report).await.expect("accepted on the surviving node");
    }

    // A's watcher resumes on B from where it was and gets exactly the rest.
    let mut watcher_a = b.client().await;
    watcher_a.send(&ClientMsg::Subscribe { topic: operations(), resume_from: Some(last_a), digest: None }).await;
    let mut next = last_a + 1;
    while next <= 300 {
        match watcher_a.recv().await {
            ServerMsg::Event(e) => {
                assert_eq!(e.seq, next);
                next += 1;
            }
            ServerMsg::Snapshot { reason, .. } => {
                panic!("expected a replay, got a {reason:?} snapshot")
            }
            _ => {}
        }
    }
    // B's own watcher saw all 300, once each.
    let mut seen = BTreeSet::new();
    while seen.len() < 300 {
        if let ServerMsg::Event(e) = watcher_b.recv().await {
            assert!(seen.insert(e.seq), "event {} twice", e.seq);
        }
    }
    let http = b.http();
    let stored: floorboard_shared::protocol::IssuesAt = http.get_json("/api/v1/queues/operations/issues").await;
    assert_eq!((stored.issues.len(), stored.seq), (300, 300), "each report stored once, one event each");
}

#[tokio::test]
async fn a_database_outage_refuses_submissions_then_every_retry_is_stored_once() {
    let store = TestStore::postgres().await;
    let database = store.database.clone().expect("postgres");
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let node = TestServer::spawn_on(&store, |c| c.database_url = Some(database.url_via(proxy.addr))).await;
    let http = node.http();
    let mut watcher = node.client().await;
    watcher.subscribe(operations(), None).await;

    // A tablet submits steadily until told to stop; what is refused as unavailable it
    // retries with the same id until it is acknowledged.
    let (url, token) = (node.ws_url(), node.token.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let tablet = tokio::spawn(async move {
        let mut tablet = WsClient::connect(&url, &token).await;
        let (mut acknowledged, mut refused) = (HashSet::new(), 0);
        let mut i = 0;
        while !*stop_rx.borrow() {
            let report = process_report(i);
            i += 1;
            while let Err(e) = tablet.submit(&report).await {
                assert_eq!(e.code, ErrorCode::Unavailable, "only 'unavailable, retry': {e:?}");
                refused += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            acknowledged.insert(report.id);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (acknowledged, refused)
    });

    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    // Readiness goes red while the database is away.
    let deadline = tokio::time::Instant::now() + WAIT;
    while http.get("/readyz").await.status() != 503 {
        assert!(tokio::time::Instant::now() < deadline, "readiness stayed green");
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    proxy.restore().await;
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    while http.get("/readyz").await.status() != 200 {
        assert!(tokio::time::Instant::now() < deadline, "readiness never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_tx.send_replace(true);
    let (acknowledged, refused) = tokio::time::timeout(WAIT * 4, tablet).await.expect("tablet finishes").unwrap();
    assert!(refused > 0, "the outage was felt");
    let stored: floorboard_shared::protocol::IssuesAt = http.get_json("/api/v1/queues/operations/issues").await;
    let ids: HashSet<ReportId> = stored.issues.iter().map(|i| i.report.id).collect();
    assert_eq!(ids.len(), stored.issues.len());
    assert_eq!(ids, acknowledged, "every acknowledged report, and only those, stored once");
    assert_eq!(stored.seq as usize, ids.len(), "one event per report");

    // The node heard the log again after the outage: its watcher got every event.
    let mut next = 1;
    while next <= stored.seq {
        if let ServerMsg::Event(e) = watcher.recv().await {
            assert_eq!(e.seq, next);
            next += 1;
        }
    }
}

/// A sign-out on one node closes the session's sockets on the other within a second (the
/// end travels by the account-change log and NOTIFY), and the other node refuses the token
/// from then on; disabling an account on one node does the same everywhere.
#[tokio::test]
async fn a_sign_out_on_one_node_closes_the_sessions_sockets_on_the_other() {
    use floorboard_shared::access::{AccountSpec, Role};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let store = TestStore::postgres().await;
    let a = TestServer::spawn_on(&store, |_| {}).await;
    let b = TestServer::spawn_on(&store, |_| {}).await;
    let ana = a.account("ana", floorboard_tests::spec(&[Role::Trainer])).await;
    let mut on_b = WsClient::connect(&b.ws_url(), &ana.token).await;
    on_b.ping(1).await;

    let signed_out = ana.http().request(reqwest::Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(signed_out.status(), 204);
    let frame = tokio::time::timeout(Duration::from_secs(1), on_b.closed())
        .await
        .expect("closed on the other node within a second")
        .expect("a close frame");
    assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Policy, "session ended"));
    let on_b_http = floorboard_tests::Http::new(b.base(), Some(ana.token.clone()));
    assert_eq!(on_b_http.get("/api/v1/sessions/current").await.status(), 401);

    let bo = b.account("bo", floorboard_tests::spec(&[Role::Trainer])).await;
    let mut bo_on_b = WsClient::connect(&b.ws_url(), &bo.token).await;
    let disabled = AccountSpec { disabled: true, ..floorboard_tests::spec(&[Role::Trainer]) };
    let admin = a.admin().await;
    assert_eq!(
        admin.request(reqwest::Method::PUT, "/api/v1/users/bo").json(&disabled).send().await.unwrap().status(),
        200
    );
    let frame = tokio::time::timeout(Duration::from_secs(1), bo_on_b.closed())
        .await
        .expect("closed on the other node within a second")
        .expect("a close frame");
    assert_eq!(frame.code, CloseCode::Policy);
}
