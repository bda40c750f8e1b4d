//! A client that stops reading never delays the others, and is cut off rather than
//! buffered without bound.

use std::time::Duration;

use floorboard_server::store::SqliteStore;
use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use floorboard_shared::{Kind, QueueId, ReportDraft, Severity};
use floorboard_tests::{TestServer, draft};
use futures_util::StreamExt;
use sqlx::{Connection, SqliteConnection};

/// Several worker threads, so the reading watcher's client keeps reading while the server
/// (a debug build) screens and encodes reports on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_hold_up_the_others_and_is_disconnected() {
    let server = TestServer::spawn_with(|c| {
        c.fanout_buffer = 64;
        c.send_timeout = Duration::from_secs(2);
    })
    .await;
    let topic = Topic::Queue { queue: QueueId::new("operations") };
    let mut stalled = server.client().await;
    stalled.subscribe(topic.clone(), None).await;
    let mut watcher = server.client().await;
    watcher.subscribe(topic, None).await;

    // Enough large events to fill every socket buffer between the server and the stalled
    // client many times over (about 2.3 KB each).
    let total = 3_000;
    let mut tablet = server.client().await;
    let details = "Order composer closes without saving when the frequency field is tabbed past. ".repeat(25);
    let submitter = tokio::spawn(async move {
        for _ in 0..total {
            let report =
                ReportDraft { details: Some(details.clone()), ..draft("wrh-med", Kind::Process, Severity::Low) };
            tablet.send(&ClientMsg::Submit { report }).await;
        }
        tablet
    });

    // The reading watcher gets every event, in order, while the stalled one reads nothing.
    let mut next = 1;
    while next <= total {
        if let ServerMsg::Event(e) = watcher.recv().await {
            assert_eq!(e.seq, next);
            next += 1;
        }
    }
    submitter.await.unwrap();

    // The server gives up on the stalled client once it has taken nothing for the send
    // timeout (no other test here has a client dropped as too slow).
    let http = server.admin().await;
    tokio::time::timeout(floorboard_tests::WAIT, async {
        while !http.get("/metrics").await.text().await.unwrap().contains(TOO_SLOW) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the stalled client was dropped as too slow");
    // Its socket then ends in a close or a reset, not in three thousand events.
    let mut received = 0;
    let drained = tokio::time::timeout(floorboard_tests::WAIT, async {
        while let Some(Ok(_)) = stalled.stream.next().await {
            received += 1;
        }
    })
    .await;
    assert!(drained.is_ok(), "the stalled connection was closed");
    assert!(received < total as usize, "the server gave up on it instead of buffering everything ({received})");
}

const TOO_SLOW: &str = "floorboard_clients_disconnected_total{reason=\"client too slow\"}";

#[tokio::test]
async fn a_watcher_that_falls_behind_is_caught_up_in_order_without_gaps_or_repeats() {
    // A fan-out buffer of 4 and a batch of many events: this test's runtime has one thread,
    // where the committed batch is published whole before the watcher's connection runs
    // again, so the watcher falls behind the live stream.
    // On PostgreSQL events reach the hub as the follower pages through the log, in pages
    // whose size depends on timing, so falling behind is not certain there; catching up is
    // the hub's own behaviour, the same on both backends, and is exercised on SQLite.
    if floorboard_tests::store::postgres_requested() {
        return;
    }
    let server = TestServer::spawn_with(|c| c.fanout_buffer = 4).await;
    let topic = Topic::Queue { queue: QueueId::new("operations") };
    let mut watcher = server.client().await;
    watcher.subscribe(topic, None).await;

    // The database's write lock, held from outside: the committer stalls on its first batch
    // (waiting out SQLite's busy timeout, 5 s) while the rest of the submissions queue
    // behind it. A ping answered after them shows the connection has handed them to the
    // committer (it hands a submission over before it reads the next message, give or take
    // a few when its task yields). Released, they commit in a few batches, one of them of
    // far more than four events.
    let file = server.store.data_dir().join("floorboard.db");
    let mut lock = SqliteConnection::connect_with(&SqliteStore::connect_options(&file)).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
    let mut tablet = server.client().await;
    let total = 200;
    for _ in 0..total {
        tablet.send(&ClientMsg::Submit { report: draft("sjh-ed", Kind::Process, Severity::Low) }).await;
    }
    tablet.ping(1).await;
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    // Every one committed (had the lock been held past the busy timeout, the first batch
    // would have been refused, and this says so).
    for _ in 0..total {
        let receipt = tablet.recv_until(|m| matches!(m, ServerMsg::Submitted(_) | ServerMsg::Error(_))).await;
        assert!(matches!(receipt, ServerMsg::Submitted(_)), "{receipt:?}");
    }

    let (mut next, mut resynced) = (1, false);
    while next <= total {
        match watcher.recv().await {
            ServerMsg::Event(e) => {
                assert_eq!(e.seq, next, "every event once, in order");
                next += 1;
            }
            // Sent only by the catch-up after falling behind (this subscription never resumed).
            ServerMsg::Resumed { .. } => resynced = true,
            ServerMsg::Snapshot { reason, .. } => panic!("the replay window covers it: no {reason:?} snapshot"),
            _ => {}
        }
    }
    // The catch-up ends with `resumed`, after the events it replays: read up to a pong.
    watcher.send(&ClientMsg::Ping { nonce: 2 }).await;
    loop {
        match watcher.recv().await {
            ServerMsg::Resumed { .. } => resynced = true,
            ServerMsg::Event(e) => panic!("event {} arrived twice", e.seq),
            ServerMsg::Pong { nonce: 2 } => break,
            _ => {}
        }
    }
    assert!(resynced, "the watcher did fall behind and was caught up");
}
