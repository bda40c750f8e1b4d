//! Live fan-out: queue, "my reports" and board watchers receive changes; boards receive
//! coalesced updates; a dropped connection resumes with exactly what it missed.

use floorboard_shared::heatmap::BoardView;
use floorboard_shared::protocol::{Change, ClientMsg, ServerMsg, SnapshotReason, StatusChange, Topic};
use floorboard_shared::{Kind, QueueId, ReporterId, Severity, Status, UnitId};
use floorboard_tests::{TestServer, WsClient, draft};

fn queue(q: &str) -> Topic {
    Topic::Queue { queue: QueueId::new(q) }
}

fn board() -> Topic {
    Topic::Board { facility: None }
}

/// The next event, skipping board updates.
pub(crate) async fn next_event(client: &mut WsClient) -> floorboard_shared::protocol::Event {
    match client.recv_until(|m| matches!(m, ServerMsg::Event(_))).await {
        ServerMsg::Event(e) => e,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn queue_and_board_watchers_receive_a_new_report() {
    let server = TestServer::spawn().await;
    let mut analysts = server.client().await;
    let mut lead = server.client().await;
    let mut wall = server.client().await;
    assert!(
        matches!(analysts.subscribe(queue("analysts-clindoc"), None).await, ServerMsg::Snapshot { ref issues, .. } if issues.is_empty())
    );
    assert!(matches!(lead.subscribe(queue("cc-lead"), None).await, ServerMsg::Snapshot { .. }));
    assert!(matches!(wall.subscribe(board(), None).await, ServerMsg::Snapshot { ref cells, .. } if cells.is_empty()));

    let report = draft("rmc-4w", Kind::Configuration, Severity::PatientSafety);
    let receipt = server.client().await.submit(&report).await.unwrap();

    for watcher in [&mut analysts, &mut lead] {
        let event = next_event(watcher).await;
        assert_eq!(
            (event.seq, event.change.clone(), event.issue.report.id),
            (receipt.seq, Change::Reported, report.id)
        );
    }
    let ServerMsg::BoardUpdate { seq, cells, facility: None, .. } = wall.recv().await else {
        panic!("expected a board update")
    };
    assert_eq!(seq, receipt.seq);
    let view = BoardView::from_cells(cells);
    let cell = view.get(&UnitId::new("rmc-4w"), Kind::Configuration);
    assert_eq!((cell.open, cell.safety_open, cell.last_hour, cell.since_go_live), (1, 1, 1, 1));
}

#[tokio::test]
async fn a_queue_watcher_sees_only_its_queue() {
    let server = TestServer::spawn().await;
    let mut it = server.client().await;
    it.subscribe(queue("it-access"), None).await;
    let mut tablet = server.client().await;
    tablet.submit(&draft("sjh-icu", Kind::Process, Severity::Low)).await.unwrap();
    let access = draft("sjh-icu", Kind::Access, Severity::Low);
    tablet.submit(&access).await.unwrap();
    assert_eq!(next_event(&mut it).await.issue.report.id, access.id, "the process report was not sent");
}

#[tokio::test]
async fn a_facility_board_receives_only_its_units() {
    let server = TestServer::spawn().await;
    let mut wall = server.client().await;
    wall.subscribe(Topic::Board { facility: Some("sjh".into()) }, None).await;
    let mut tablet = server.client().await;
    tablet.submit(&draft("rmc-ed", Kind::Access, Severity::Low)).await.unwrap();
    tablet.submit(&draft("sjh-ed", Kind::Access, Severity::Low)).await.unwrap();
    let ServerMsg::BoardUpdate { facility, cells, .. } =
        wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(facility.as_ref().map(|f| f.as_str()), Some("sjh"));
    assert!(cells.iter().all(|c| c.facility.as_str() == "sjh"), "{cells:?}");
}

#[tokio::test]
async fn a_burst_reaches_a_board_as_a_few_coalesced_updates() {
    let server = TestServer::spawn_with(|c| c.board_interval = std::time::Duration::from_millis(200)).await;
    let mut wall = server.client().await;
    wall.subscribe(board(), None).await;
    let mut tablet = server.client().await;
    let burst = 300;
    for i in 0..burst {
        let unit = ["rmc-4w", "rmc-ed", "sjh-icu"][i % 3];
        tablet.send(&ClientMsg::Submit { report: draft(unit, Kind::TrainingGap, Severity::Medium) }).await;
    }
    let mut view = BoardView::default();
    let mut updates = 0;
    while view.total(None, None, floorboard_shared::heatmap::Window::SinceGoLive) < burst as u32 {
        if let ServerMsg::BoardUpdate { cells, .. } = wall.recv().await {
            updates += 1;
            assert!(cells.len() <= 3, "only changed cells are sent");
            view.apply(cells);
        }
    }
    assert!(updates <= 30, "{burst} reports became {updates} board updates");
    assert_eq!(view.get(&UnitId::new("rmc-4w"), Kind::TrainingGap).open, 100);
}

#[tokio::test]
async fn my_reports_follow_their_status() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let me = Topic::Mine { reporter: ReporterId::parse("trainer-07").unwrap() };
    let report = draft("wrh-icu", Kind::Configuration, Severity::High);
    tablet.submit(&report).await.unwrap();
    let ServerMsg::Snapshot { issues, .. } = tablet.subscribe(me, None).await else { panic!("snapshot") };
    assert_eq!(issues.len(), 1);

    let change = StatusChange {
        status: Status::Resolved,
        note: Some("Order set rebuilt in PRD".into()),
        resolution: Some("workaround".into()),
    };
    let path = format!("/api/v1/reports/{}/status", report.id);
    assert_eq!(server.http().post_json(&path, &change).await.status(), 200);

    let event = next_event(&mut tablet).await;
    assert_eq!(event.change, Change::StatusChanged { from: Status::New });
    assert_eq!((event.issue.status, event.issue.note.as_deref()), (Status::Resolved, Some("Order set rebuilt in PRD")));
}

#[tokio::test]
async fn a_dropped_watcher_resumes_with_exactly_the_events_it_missed() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let mut watcher = server.client().await;
    watcher.subscribe(queue("operations"), None).await;
    let seen = tablet.submit(&draft("rmc-2n", Kind::Process, Severity::Low)).await.unwrap();
    assert_eq!(next_event(&mut watcher).await.seq, seen.seq);
    drop(watcher);

    // While it is away: two reports for its queue, one for another, one status change.
    let missed_a = tablet.submit(&draft("rmc-2n", Kind::Process, Severity::Low)).await.unwrap();
    tablet.submit(&draft("rmc-2n", Kind::Access, Severity::Low)).await.unwrap();
    let missed_b = tablet.submit(&draft("rmc-3s", Kind::Process, Severity::High)).await.unwrap();
    let change = StatusChange { status: Status::Acknowledged, note: None, resolution: None };
    server.http().post_json(&format!("/api/v1/reports/{}/status", missed_a.id), &change).await;

    let mut watcher = server.client().await;
    let mut replayed = vec![next_event_or_resumed(watcher.subscribe(queue("operations"), Some(seen.seq)).await)];
    loop {
        let msg = watcher.recv().await;
        if let ServerMsg::Resumed { from, replayed: n, .. } = msg {
            assert_eq!((from, n), (seen.seq, 3));
            break;
        }
        replayed.push(next_event_or_resumed(msg));
    }
    let got: Vec<(u64, floorboard_shared::ReportId)> = replayed.iter().map(|e| (e.seq, e.issue.report.id)).collect();
    assert_eq!(got, [(missed_a.seq, missed_a.id), (missed_b.seq, missed_b.id), (missed_b.seq + 1, missed_a.id)]);

    // And live again afterwards.
    let live = tablet.submit(&draft("rmc-2n", Kind::Process, Severity::Low)).await.unwrap();
    assert_eq!(next_event(&mut watcher).await.seq, live.seq);
}

fn next_event_or_resumed(msg: ServerMsg) -> floorboard_shared::protocol::Event {
    match msg {
        ServerMsg::Event(e) => e,
        other => panic!("expected a replayed event, got {other:?}"),
    }
}

#[tokio::test]
async fn a_resume_point_outside_the_window_gets_a_marked_snapshot() {
    let server = TestServer::spawn_with(|c| c.replay_window = 2).await;
    let mut tablet = server.client().await;
    for _ in 0..5 {
        tablet.submit(&draft("rmc-2n", Kind::Process, Severity::Low)).await.unwrap();
    }
    let mut watcher = server.client().await;
    let ServerMsg::Snapshot { reason, seq, issues, .. } = watcher.subscribe(queue("operations"), Some(1)).await else {
        panic!("expected a snapshot")
    };
    assert_eq!((reason, seq, issues.len()), (SnapshotReason::ResumeTooOld, 5, 5));

    // Inside the window, it replays.
    let mut again = server.client().await;
    assert!(matches!(again.subscribe(queue("operations"), Some(4)).await, ServerMsg::Event(e) if e.seq == 5));
}

#[tokio::test]
async fn a_board_resumes_with_the_current_board() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    tablet.submit(&draft("lch-nicu", Kind::Access, Severity::High)).await.unwrap();
    let mut wall = server.client().await;
    wall.subscribe(board(), None).await; // may race the first tick; the resume below may not
    let receipt = tablet.submit(&draft("lch-nicu", Kind::Access, Severity::High)).await.unwrap();
    wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { seq, .. } if *seq >= receipt.seq)).await;
    drop(wall);

    let mut wall = server.client().await;
    let ServerMsg::Snapshot { reason, cells, seq, .. } = wall.subscribe(board(), Some(1)).await else {
        panic!("snapshot")
    };
    assert_eq!((reason, seq), (SnapshotReason::Resumed, receipt.seq));
    assert_eq!(BoardView::from_cells(cells).get(&UnitId::new("lch-nicu"), Kind::Access).open, 2);
}

/// Follows the board from a snapshot until it reflects `seq`; the board as the client holds it.
async fn board_as_of(wall: &mut WsClient, seq: u64) -> BoardView {
    let mut view = match wall.subscribe(board(), None).await {
        ServerMsg::Snapshot { cells, seq: at, digest, .. } => {
            let view = BoardView::from_cells(cells);
            assert_eq!(digest, Some(view.digest()), "a snapshot's digest is its cells'");
            if at >= seq {
                return view;
            }
            view
        }
        other => panic!("expected a snapshot, got {other:?}"),
    };
    loop {
        if let ServerMsg::BoardUpdate { cells, seq: at, digest, .. } = wall.recv().await {
            view.apply(cells);
            assert_eq!(digest, view.digest(), "an update's digest is the board's after it");
            if at >= seq {
                return view;
            }
        }
    }
}

fn board_resume(resume_from: u64, view: &BoardView) -> ClientMsg {
    ClientMsg::Subscribe { topic: board(), resume_from: Some(resume_from), digest: Some(view.digest()) }
}

#[tokio::test]
async fn a_board_that_holds_the_current_board_resumes_without_it() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let receipt = tablet.submit(&draft("rmc-ed", Kind::Access, Severity::High)).await.unwrap();
    let mut wall = server.client().await;
    let mut view = board_as_of(&mut wall, receipt.seq).await;
    drop(wall);

    // Back with the same board: `resumed`, nothing replayed, no cells sent.
    let mut wall = server.client().await;
    wall.send(&board_resume(receipt.seq, &view)).await;
    match wall.recv().await {
        ServerMsg::Resumed { topic, from, seq, replayed } => {
            assert_eq!((topic, from, seq, replayed), (board(), receipt.seq, receipt.seq, 0));
        }
        other => panic!("expected resumed, got {other:?}"),
    }

    // Live updates follow, and keep the board the client held exact.
    let next = tablet.submit(&draft("rmc-ed", Kind::Access, Severity::High)).await.unwrap();
    let ServerMsg::BoardUpdate { cells, seq, digest, .. } =
        wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { .. })).await
    else {
        unreachable!()
    };
    view.apply(cells);
    assert_eq!((seq, digest), (next.seq, view.digest()));
    let fresh = board_as_of(&mut server.client().await, next.seq).await;
    assert_eq!(view, fresh);
}

#[tokio::test]
async fn a_board_can_subscribe_and_resume_with_the_upgrade_request() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let receipt = tablet.submit(&draft("wrh-or", Kind::Configuration, Severity::Medium)).await.unwrap();
    let held = board_as_of(&mut server.client().await, receipt.seq).await;

    // No `subscribe` sent: the answer follows the welcome.
    let url = format!("{}?board&resume_from={}&digest={}", server.ws_url(), receipt.seq, held.digest());
    let mut wall = WsClient::connect(&url, &server.token).await;
    assert!(matches!(wall.recv().await, ServerMsg::Resumed { replayed: 0, seq, .. } if seq == receipt.seq));

    // A plain one gets the snapshot; a facility board only its facility; live updates follow.
    let mut wall = WsClient::connect(&format!("{}?board=wrh", server.ws_url()), &server.token).await;
    let ServerMsg::Snapshot { topic, cells, .. } = wall.recv().await else { panic!("expected a snapshot") };
    assert_eq!(topic, Topic::Board { facility: Some("wrh".into()) });
    assert_eq!(BoardView::from_cells(cells), held);
    tablet.submit(&draft("wrh-or", Kind::Configuration, Severity::Medium)).await.unwrap();
    assert!(matches!(wall.recv().await, ServerMsg::BoardUpdate { facility: Some(_), .. }));

    // An unknown facility is refused like a `subscribe` for it, after the welcome.
    let mut wall = WsClient::connect(&format!("{}?board=nope", server.ws_url()), &server.token).await;
    assert_eq!(wall.error().await.code, floorboard_shared::ErrorCode::UnknownFacility);
}

#[tokio::test]
async fn a_board_that_missed_a_change_gets_the_current_board() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let first = tablet.submit(&draft("sjh-icu", Kind::Process, Severity::Low)).await.unwrap();
    let mut wall = server.client().await;
    let held = board_as_of(&mut wall, first.seq).await;
    drop(wall);
    let missed = tablet.submit(&draft("sjh-icu", Kind::Process, Severity::Low)).await.unwrap();
    let current = board_as_of(&mut server.client().await, missed.seq).await;

    let mut wall = server.client().await;
    wall.send(&board_resume(first.seq, &held)).await;
    match wall.recv().await {
        ServerMsg::Snapshot { reason, seq, cells, digest, .. } => {
            assert_eq!((reason, seq), (SnapshotReason::Resumed, missed.seq));
            assert_eq!(BoardView::from_cells(cells), current);
            assert_eq!(digest, Some(current.digest()));
        }
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[tokio::test]
async fn unsubscribing_stops_the_stream() {
    let server = TestServer::spawn().await;
    let mut watcher = server.client().await;
    watcher.subscribe(queue("operations"), None).await;
    watcher.send(&ClientMsg::Unsubscribe { topic: queue("operations") }).await;
    assert!(matches!(watcher.recv().await, ServerMsg::Unsubscribed { .. }));
    server.client().await.submit(&draft("rmc-2n", Kind::Process, Severity::Low)).await.unwrap();
    // The pong comes back with no event before it.
    watcher.send(&ClientMsg::Ping { nonce: 9 }).await;
    assert!(matches!(watcher.recv().await, ServerMsg::Pong { nonce: 9 }));
}
