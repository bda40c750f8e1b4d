//! Bad input gets a clear, machine-readable error, changes nothing, and leaves the
//! connection working.

use floorboard_shared::protocol::{IssuesAt, Topic};
use floorboard_shared::report::{DETAILS_MAX, SUMMARY_MAX};
use floorboard_shared::{ErrorBody, ErrorCode, Kind, QueueId, ReportDraft, Severity};
use floorboard_tests::{TestServer, WsClient, draft};
use tokio_tungstenite::tungstenite::Message;

/// Sends `text`, expects an error with `code`, and proves the connection still works.
async fn refused(client: &mut WsClient, text: &str, code: ErrorCode) -> ErrorBody {
    client.send_raw(text).await;
    let err = client.error().await;
    assert_eq!(err.code, code, "{err:?}");
    assert!(!err.message.is_empty());
    client.ping(7).await;
    err
}

fn submit_json(report: &ReportDraft) -> String {
    serde_json::json!({"type": "submit", "report": report}).to_string()
}

#[tokio::test]
async fn every_kind_of_bad_input_is_refused_with_its_code_and_nothing_is_stored() {
    let server = TestServer::spawn().await;
    let mut client = server.client().await;
    let ok = draft("rmc-4w", Kind::Configuration, Severity::Medium);

    refused(&mut client, "{\"type\": \"submit\", ", ErrorCode::MalformedJson).await;
    refused(&mut client, "[1, 2, 3]", ErrorCode::UnknownMessageType).await;
    refused(&mut client, r#"{"type": "launch_missiles"}"#, ErrorCode::UnknownMessageType).await;
    refused(&mut client, r#"{"type": "submit"}"#, ErrorCode::InvalidValue).await;

    let cases = [
        (ReportDraft { unit: "rmc-99z".into(), ..ok.clone() }, ErrorCode::UnknownUnit, "unit"),
        (ReportDraft { unit: "sjh-ed".into(), ..ok.clone() }, ErrorCode::UnitNotInFacility, "unit"),
        (ReportDraft { facility: "xyz".into(), ..ok.clone() }, ErrorCode::UnknownFacility, "facility"),
        (ReportDraft { module: "epicare".into(), ..ok.clone() }, ErrorCode::UnknownModule, "module"),
        (ReportDraft { summary: " ".into(), ..ok.clone() }, ErrorCode::EmptySummary, "summary"),
        (ReportDraft { summary: "a".repeat(SUMMARY_MAX + 1), ..ok.clone() }, ErrorCode::FieldTooLong, "summary"),
        (ReportDraft { details: Some("b".repeat(DETAILS_MAX + 1)), ..ok.clone() }, ErrorCode::FieldTooLong, "details"),
        (ReportDraft { affected_users: 0, ..ok.clone() }, ErrorCode::InvalidValue, "affected_users"),
        (
            ReportDraft { summary: "Wrong allergy banner for MRN 5512093".into(), ..ok.clone() },
            ErrorCode::PhiSuspected,
            "summary",
        ),
    ];
    for (report, code, field) in cases {
        let err = refused(&mut client, &submit_json(&report), code).await;
        assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        assert_eq!(err.id, Some(report.id), "the error names the refused report");
    }

    // A bad enum value names the field and does not echo what was sent.
    let mut value = serde_json::to_value(&ok).unwrap();
    value["kind"] = "the patient in bed 4 fell".into();
    let err = refused(
        &mut client,
        &serde_json::json!({"type": "submit", "report": value}).to_string(),
        ErrorCode::InvalidValue,
    )
    .await;
    assert_eq!(err.field.as_deref(), Some("kind"), "the bare field name");
    assert!(!err.message.contains("bed 4"), "{}", err.message);
    assert_eq!(err.id, Some(ok.id));

    client
        .send(&floorboard_shared::protocol::ClientMsg::Subscribe {
            topic: Topic::Queue { queue: QueueId::new("nope") },
            resume_from: None,
            digest: None,
        })
        .await;
    assert_eq!(client.error().await.code, ErrorCode::UnknownQueue);
    client
        .send(&floorboard_shared::protocol::ClientMsg::Subscribe {
            topic: Topic::Board { facility: Some("nope".into()) },
            resume_from: None,
            digest: None,
        })
        .await;
    assert_eq!(client.error().await.code, ErrorCode::UnknownFacility);

    let bad_digest = serde_json::json!({"type": "subscribe", "topic": {"name": "board"}, "digest": "not-a-digest"});
    let err = refused(&mut client, &bad_digest.to_string(), ErrorCode::InvalidValue).await;
    assert_eq!(err.field.as_deref(), Some("digest"), "{err:?}");
    assert!(err.message.contains("32 lowercase hex digits") && !err.message.contains("not-a-digest"), "{err:?}");

    client.stream.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(client.error().await.code, ErrorCode::MalformedJson);

    let big = serde_json::json!({"type": "ping", "padding": "x".repeat(20 * 1024)}).to_string();
    refused(&mut client, &big, ErrorCode::FrameTooLarge).await;

    // Nothing of the above was stored.
    let http = server.http();
    let queue: IssuesAt = http.get_json("/api/v1/queues/analysts-clindoc/issues").await;
    assert_eq!((queue.seq, queue.issues.len()), (0, 0));

    // And the same connection still takes a good report.
    client.submit(&ok).await.expect("a good report after the bad ones");
}

use futures_util::SinkExt;

#[tokio::test]
async fn an_oversized_frame_closes_the_connection_with_1009() {
    let server = TestServer::spawn().await;
    let mut client = server.client().await;
    let huge = "x".repeat(100 * 1024);
    let _ = client.stream.send(Message::text(huge)).await;
    let frame = client.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1009);
}

#[tokio::test]
async fn bad_http_bodies_get_the_same_error_codes() {
    let server = TestServer::spawn().await;
    let http = server.http();

    let response = http.post_raw("/api/v1/reports", "not json").await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::MalformedJson);

    let bad = ReportDraft { unit: "rmc-99z".into(), ..draft("rmc-4w", Kind::Access, Severity::Low) };
    let response = http.post_json("/api/v1/reports", &bad).await;
    assert_eq!(response.status(), 422);
    let err: ErrorBody = response.json().await.unwrap();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::UnknownUnit, Some("unit")));

    let response = http.post_raw("/api/v1/reports", "x".repeat(100 * 1024)).await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::FrameTooLarge);

    let response = http.get("/api/v1/queues/nope/issues").await;
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::UnknownQueue);
    let response = http.get("/api/v1/reports/not-a-uuid").await;
    assert_eq!(response.status(), 422);

    // A body is a JSON object, even where serde could read a struct from an array of its
    // fields (every field of a display's request has a default).
    for body in ["[]", " [null]"] {
        let response = http.post_raw("/api/v1/display-tokens", body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::InvalidValue);
    }
    let listed: Vec<serde_json::Value> = http.get_json("/api/v1/display-tokens").await;
    assert!(listed.is_empty(), "no display token was issued");

    let queue: IssuesAt = http.get_json("/api/v1/queues/it-access/issues").await;
    assert_eq!(queue.seq, 0, "nothing was stored");
}

#[tokio::test]
async fn a_plain_request_to_the_websocket_endpoint_is_told_to_upgrade() {
    let server = TestServer::spawn().await;
    let response = server.http().get("/ws").await;
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["upgrade"], "websocket");
    let err: ErrorBody = response.json().await.unwrap();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some("Connection")));
    // A proper handshake still works.
    server.client().await;
}

#[tokio::test]
async fn a_bad_board_in_the_upgrade_request_refuses_the_upgrade() {
    let server = TestServer::spawn().await;
    for (query, field) in
        [("board&digest=not-hex", "digest"), ("board&resume_from=-1", "resume_from"), ("digest=", "digest")]
    {
        let url = format!("{}?{query}", server.ws_url());
        let Err(tokio_tungstenite::tungstenite::Error::Http(response)) =
            tokio_tungstenite::connect_async(TestServer::upgrade_request(&url, &server.token)).await
        else {
            panic!("{query}: the upgrade was not refused");
        };
        assert_eq!(response.status(), 422, "{query}");
        let err: ErrorBody = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some(field)), "{query}: {err:?}");
        assert!(!err.message.contains("not-hex"), "{err:?}");
    }
    let err_without_board = format!("{}?resume_from=3", server.ws_url());
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) =
        tokio_tungstenite::connect_async(TestServer::upgrade_request(&err_without_board, &server.token)).await
    else {
        panic!("a resume point without a board was accepted");
    };
    let err: ErrorBody = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
    assert_eq!(err.field.as_deref(), Some("board"));
}

/// The same fault gets the same body over the websocket and over HTTP, with the bare field
/// name, and no rejection (body, query string, method, websocket frame) echoes what was sent.
#[tokio::test]
async fn every_rejection_has_the_documented_body_with_the_bare_field_name() {
    let server = TestServer::spawn().await;
    let http = server.http();
    let mut client = server.client().await;
    let ok = serde_json::to_value(draft("rmc-4w", Kind::Configuration, Severity::Medium)).unwrap();

    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("summary");
    let mut bad_kind = ok.clone();
    bad_kind["kind"] = "secret sauce".into();
    for (body, field) in [(missing, "summary"), (bad_kind, "kind")] {
        let over_ws = refused(
            &mut client,
            &serde_json::json!({"type": "submit", "report": body}).to_string(),
            ErrorCode::InvalidValue,
        )
        .await;
        let response = http.post_json("/api/v1/reports", &body).await;
        assert_eq!(response.status(), 422);
        let over_http: ErrorBody = response.json().await.unwrap();
        assert_eq!((over_ws.code, over_ws.field.as_deref()), (ErrorCode::InvalidValue, Some(field)), "{over_ws:?}");
        assert_eq!((over_http.code, over_http.field.as_deref()), (ErrorCode::InvalidValue, Some(field)));
        assert!(!over_http.message.contains("secret"), "{over_http:?}");
    }

    let response = http.get("/api/v1/units/rmc-4w/issues?kind=hardware").await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/json");
    let err: ErrorBody = response.json().await.unwrap();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some("kind")));
    assert!(!err.message.contains("hardware"), "{err:?}");

    // A cross-site form cannot post: the body must say it is JSON.
    let response = http
        .request(reqwest::Method::POST, "/api/v1/reports")
        .header("content-type", "text/plain")
        .body(ok.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::UnsupportedMediaType);

    let response = http.request(reqwest::Method::DELETE, "/api/v1/reports").send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::MethodNotAllowed);

    let unsubscribe = serde_json::json!({"type": "unsubscribe", "topic": {"name": "mine", "reporter": "someone-else"}});
    let err = refused(&mut client, &unsubscribe.to_string(), ErrorCode::NotFound).await;
    assert_eq!(err.field.as_deref(), Some("topic"));
    assert!(!err.message.contains("someone-else"), "{err:?}");

    let queue: IssuesAt = http.get_json("/api/v1/queues/analysts-clindoc/issues").await;
    assert_eq!(queue.seq, 0, "nothing was stored");
}

#[tokio::test]
async fn a_bad_websocket_key_is_a_bad_request() {
    let server = TestServer::spawn().await;
    let response = server
        .http()
        .client
        .get(server.url("/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "not-a-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let err: ErrorBody = response.json().await.unwrap();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some("Sec-WebSocket-Key")));
}

/// Writes raw bytes on the connection under the client's websocket, as a broken client would.
async fn write_raw(client: &mut WsClient, bytes: &[u8]) {
    use tokio::io::AsyncWriteExt;
    use tokio_tungstenite::MaybeTlsStream;
    let MaybeTlsStream::Plain(tcp) = client.stream.get_mut() else { panic!("a plain TCP connection") };
    tcp.write_all(bytes).await.unwrap();
}

#[tokio::test]
async fn frames_that_break_rfc_6455_close_with_1002_or_1007() {
    let server = TestServer::spawn().await;

    // A text frame whose payload is not UTF-8 (masked with a zero key): 1007.
    let mut client = server.client().await;
    write_raw(&mut client, &[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]).await;
    assert_eq!(client.closed().await.map(|f| u16::from(f.code)), Some(1007));

    // A client frame without a mask: 1002.
    let mut client = server.client().await;
    write_raw(&mut client, &[0x81, 0x02, b'h', b'i']).await;
    assert_eq!(client.closed().await.map(|f| u16::from(f.code)), Some(1002));

    // Reserved bits set: 1002.
    let mut client = server.client().await;
    write_raw(&mut client, &[0xf1, 0x82, 0, 0, 0, 0, b'h', b'i']).await;
    assert_eq!(client.closed().await.map(|f| u16::from(f.code)), Some(1002));
}
