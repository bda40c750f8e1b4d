//! The server's own TLS (`--tls-cert`, `--tls-key`): HTTPS and WSS on one port, with the board
//! fan-out and every connection task writing sealed records, and a port that answers nothing
//! to a client that does not speak TLS.

use std::collections::BTreeSet;

use floorboard_shared::heatmap::BoardView;
use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use floorboard_shared::{Kind, QueueId, Severity, UnitId};
use floorboard_tests::{TESTER, TESTER_PASSWORD, TestServer, WsClient, draft, sign_in, test_tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn spawn_tls() -> TestServer {
    TestServer::spawn_with(|c| c.tls_config = Some(test_tls().server.clone())).await
}

#[tokio::test]
async fn over_https_answers_carry_hsts_and_the_session_cookie_is_secure() {
    let server = spawn_tls().await;
    assert!(server.base().starts_with("https://"));
    let golive = server.http().get("/api/v1/golive").await;
    assert_eq!(golive.status(), 200);
    let hsts = golive.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");

    let signed_in = server
        .anonymous()
        .client
        .post(server.url("/api/v1/sessions"))
        .json(&serde_json::json!({ "login": TESTER, "password": TESTER_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 201);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn over_wss_boards_queues_and_tablets_get_every_message_in_order() {
    let server = spawn_tls().await;
    let mut wall = server.client().await;
    wall.subscribe(Topic::Board { facility: None }, None).await;
    let mut queue = server.client().await;
    queue.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await;

    // Pipelined, so reads open several records at a time and writes queue behind each other.
    let mut tablet = server.client().await;
    let reports: Vec<_> = (0..200).map(|_| draft("rmc-ed", Kind::Access, Severity::Low)).collect();
    for report in &reports {
        tablet.send(&ClientMsg::Submit { report: report.clone() }).await;
    }
    let sent: BTreeSet<_> = reports.iter().map(|r| r.id).collect();
    let mut answered = BTreeSet::new();
    let mut last_seq = 0;
    for _ in &reports {
        let ServerMsg::Submitted(receipt) = tablet.recv().await else { panic!("expected a receipt") };
        answered.insert(receipt.id);
        last_seq = last_seq.max(receipt.seq);
    }
    assert_eq!(answered, sent, "every report answered once");
    let mut seen = BTreeSet::new();
    let mut seq = 0;
    for _ in &reports {
        let ServerMsg::Event(event) = queue.recv_until(|m| matches!(m, ServerMsg::Event(_))).await else {
            unreachable!()
        };
        assert!(event.seq > seq, "the queue's events in order");
        seq = event.seq;
        seen.insert(event.issue.report.id);
    }
    assert_eq!(seen, sent, "the queue saw every report once");
    // The board's coalesced updates reach the last report.
    loop {
        let ServerMsg::BoardUpdate { seq, .. } = wall.recv_until(|m| matches!(m, ServerMsg::BoardUpdate { .. })).await
        else {
            unreachable!()
        };
        if seq == last_seq {
            break;
        }
    }

    // A snapshot that spans several TLS records arrives whole.
    let mut late = server.client().await;
    let ServerMsg::Snapshot { cells, .. } = late.subscribe(Topic::Board { facility: None }, None).await else {
        panic!("expected a snapshot")
    };
    let view = BoardView::from_cells(cells);
    assert_eq!(view.get(&UnitId::new("rmc-ed"), Kind::Access).open, 200);
    let ServerMsg::Snapshot { issues, .. } =
        late.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await
    else {
        panic!("expected a snapshot")
    };
    assert_eq!(issues.len(), 200);
}

#[tokio::test]
async fn signing_out_closes_a_wss_socket_with_its_reason() {
    let server = spawn_tls().await;
    let token = sign_in(&server.base(), TESTER, TESTER_PASSWORD).await.unwrap();
    let mut socket = WsClient::connect(&server.ws_url(), &token).await;
    let http = floorboard_tests::Http::new(server.base(), Some(token));
    let signed_out = http.request(reqwest::Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(signed_out.status(), 204);
    let frame = socket.closed().await.expect("a close frame");
    assert_eq!((u16::from(frame.code), frame.reason.as_str()), (1008, "session ended"));
}

#[tokio::test]
async fn a_client_that_does_not_speak_tls_gets_no_answer_and_holds_nobody_up() {
    let server = spawn_tls().await;
    // A peer that connects and says nothing holds a handshake, not the listener.
    let _silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut plain = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(b"GET /api/v1/golive HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(floorboard_tests::WAIT, plain.read_to_end(&mut answer)).await.expect("closed");
    assert!(!answer.starts_with(b"HTTP/"), "no HTTP answer in the clear");

    let mut client = server.client().await;
    client.ping(1).await;
}
