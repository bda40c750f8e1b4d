//! Operations: health, readiness, metrics, the OpenAPI document, graceful shutdown.

use floorboard_shared::{Kind, Severity};
use floorboard_tests::{TestServer, draft};

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::spawn().await;
    let http = server.http();
    assert_eq!(http.get("/healthz").await.status(), 200);
    assert_eq!(http.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn metrics_count_reports_by_outcome() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    tablet.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await.unwrap();
    let bad = floorboard_shared::ReportDraft { unit: "rmc-99z".into(), ..draft("rmc-4w", Kind::Access, Severity::Low) };
    tablet.submit(&bad).await.unwrap_err();

    let text = server.http().get("/metrics").await.text().await.unwrap();
    for name in [
        "floorboard_reports_accepted_total",
        "floorboard_reports_refused_total{code=\"unknown_unit\"}",
        "floorboard_connections",
        "floorboard_submit_to_commit_seconds_bucket",
        "floorboard_events_committed_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    assert!(!text.contains("Flowsheet"), "no free text in metrics");
}

#[tokio::test]
async fn the_openapi_document_lists_the_api() {
    let server = TestServer::spawn().await;
    let doc: serde_json::Value = server.http().get_json("/api/openapi.json").await;
    for path in ["/api/v1/reports", "/api/v1/reports/{id}/status", "/api/v1/queues/{queue}/issues", "/api/v1/board"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ReportDraft"].is_object());
}

#[tokio::test]
async fn shutdown_closes_websockets_with_going_away() {
    let server = TestServer::spawn().await;
    let mut client = server.client().await;
    let stopping = tokio::spawn(server.stop());
    let frame = client.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1001);
    stopping.await.unwrap();
}
