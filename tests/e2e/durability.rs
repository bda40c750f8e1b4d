//! Acknowledged means durable: a restart (graceful or `kill -9`) on the same data
//! directory keeps every acknowledged report, exactly once, and the board matches.

use std::collections::HashSet;

use floorboard_shared::heatmap::{BoardView, Window};
use floorboard_shared::protocol::{BoardAt, ClientMsg, IssuesAt, ServerMsg, Topic};
use floorboard_shared::{Kind, ReportId, Severity};
use floorboard_tests::{ServerProcess, TestServer, TestStore, draft};

#[tokio::test]
async fn a_restart_on_the_same_data_directory_keeps_everything() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    let mut ids = Vec::new();
    for unit in ["rmc-4w", "rmc-4w", "sjh-ed"] {
        let report = draft(unit, Kind::Access, Severity::High);
        ids.push(tablet.submit(&report).await.unwrap().id);
    }
    let board_before: BoardAt = {
        // Wait for the board to show all three before comparing.
        let mut wall = server.client().await;
        wall.subscribe(Topic::Board { facility: None }, None).await;
        let http = server.http();
        loop {
            let b: BoardAt = http.get_json("/api/v1/board").await;
            if b.seq == 3 {
                break b;
            }
            wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { .. })).await;
        }
    };
    let store = server.store.clone();
    server.stop().await;

    let server = TestServer::spawn_on(&store, |_| {}).await;
    let queue: IssuesAt = server.http().get_json("/api/v1/queues/it-access/issues").await;
    assert_eq!(queue.issues.iter().map(|i| i.report.id).collect::<HashSet<_>>(), ids.iter().copied().collect());
    let board_after: BoardAt = server.http().get_json("/api/v1/board").await;
    assert_eq!(board_after, board_before);

    // A board that held the board before the restart resumes with nothing sent again.
    let mut wall = server.client().await;
    let digest = Some(BoardView::from_cells(board_before.cells).digest());
    wall.send(&ClientMsg::Subscribe { topic: Topic::Board { facility: None }, resume_from: Some(3), digest }).await;
    assert!(matches!(wall.recv().await, ServerMsg::Resumed { seq: 3, replayed: 0, .. }));

    // Sequence numbers keep growing after the restart.
    let next = server.client().await.submit(&draft("rmc-4w", Kind::Access, Severity::High)).await.unwrap();
    assert_eq!(next.seq, 4);
    server.stop().await;
}

#[tokio::test]
async fn after_kill_9_every_acknowledged_report_is_there_exactly_once() {
    let store = TestStore::fresh().await;
    let server = ServerProcess::start(&store).await;
    let mut tablet = server.client().await;

    // Pipeline a burst and kill the server as soon as a good share is acknowledged:
    // some reports are acknowledged, some in flight, some never sent.
    let reports: Vec<_> = (0..400)
        .map(|i| draft(["rmc-ed", "sjh-icu", "wrh-or"][i % 3], Kind::Configuration, Severity::Medium))
        .collect();
    for report in &reports {
        tablet.send(&ClientMsg::Submit { report: report.clone() }).await;
    }
    let mut acknowledged: HashSet<ReportId> = HashSet::new();
    while acknowledged.len() < 150 {
        if let ServerMsg::Submitted(receipt) = tablet.recv().await {
            acknowledged.insert(receipt.id);
        }
    }
    server.kill9().await;

    let server = ServerProcess::start(&store).await;
    let http = server.http();
    let stored: IssuesAt = http.get_json("/api/v1/queues/analysts-clindoc/issues").await;
    let stored_ids: Vec<ReportId> = stored.issues.iter().map(|i| i.report.id).collect();
    let unique: HashSet<ReportId> = stored_ids.iter().copied().collect();
    assert_eq!(unique.len(), stored_ids.len(), "no report stored twice");
    assert!(acknowledged.is_subset(&unique), "every acknowledged report survived");

    // The board folds exactly the stored reports.
    let board: BoardAt = http.get_json("/api/v1/board").await;
    assert_eq!(board.seq, stored.seq);
    let view = BoardView::from_cells(board.cells);
    assert_eq!(view.total(None, Some(Kind::Configuration), Window::SinceGoLive) as usize, stored_ids.len());
    assert_eq!(view.total(None, Some(Kind::Configuration), Window::Today) as usize, stored_ids.len());

    // The tablet retries everything; each report ends up stored once.
    let mut tablet = server.client().await;
    for report in &reports {
        let receipt = tablet.submit(report).await.unwrap();
        assert_eq!(receipt.duplicate, unique.contains(&report.id));
    }
    let stored: IssuesAt = http.get_json("/api/v1/queues/analysts-clindoc/issues").await;
    assert_eq!(stored.issues.len(), reports.len());
    assert_eq!(stored.seq, reports.len() as u64, "one event per report, none doubled");

    let status = server.terminate().await;
    assert!(status.success(), "SIGTERM exits cleanly: {status:?}");
}
