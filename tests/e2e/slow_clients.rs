//! A client that stops reading never delays the others, and is cut off rather than
//! buffered without bound.

use std::time::Duration;

use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use floorboard_shared::{Kind, QueueId, ReportDraft, Severity};
use floorboard_tests::{TestServer, draft};
use futures_util::StreamExt;

#[tokio::test]
async fn a_stalled_client_does_not_hold_up_the_others_and_is_disconnected() {
    let server = TestServer::spawn_with(|c| {
        c.fanout_buffer = 64;
        c.send_timeout = Duration::from_millis(500);
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

    // The stalled client was cut off: draining its socket ends in a close or a reset, not
    // in three thousand events.
    let mut received = 0;
    let drained = tokio::time::timeout(floorboard_tests::WAIT, async {
        while let Some(Ok(_)) = stalled.stream.next().await {
            received += 1;
        }
    })
    .await;
    assert!(drained.is_ok(), "the stalled connection was closed");
    assert!(received < total as usize, "the server gave up on it instead of buffering everything ({received})");
    let metrics = server.http().get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("floorboard_clients_disconnected_total{reason=\"client too slow\"}"), "{metrics}");
}

#[tokio::test]
async fn a_watcher_that_falls_behind_is_caught_up_in_order_without_gaps_or_repeats() {
    // A fan-out buffer of 4 and batches of many events: the watcher falls behind the live
    // stream (this test's runtime has one thread, so a committed batch is published whole
    // before the watcher's connection runs again).
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

    let mut tablet = server.client().await;
    let total = 200;
    for _ in 0..total {
        tablet.send(&ClientMsg::Submit { report: draft("sjh-ed", Kind::Process, Severity::Low) }).await;
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
    assert!(resynced, "the watcher did fall behind and was caught up");
}
