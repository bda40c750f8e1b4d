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

    let text = server.admin().await.get("/metrics").await.text().await.unwrap();
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
    let doc: serde_json::Value = server.admin().await.get_json("/api/openapi.json").await;
    for path in ["/api/v1/reports", "/api/v1/reports/{id}/status", "/api/v1/queues/{queue}/issues", "/api/v1/board"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ReportDraft"].is_object());
}

/// The constraints a generator (schemathesis in `scripts/api-check`) relies on; losing one
/// would let the document silently say less than the server enforces.
#[tokio::test]
async fn the_openapi_document_keeps_the_servers_constraints() {
    let server = TestServer::spawn().await;
    let http = server.http();
    let doc: serde_json::Value = server.admin().await.get_json("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["ReportId"]["format"], "uuid");
    for id in ["FacilityId", "UnitId", "ModuleId", "QueueId"] {
        assert_eq!(schemas[id]["pattern"], "^[a-z0-9._-]{1,64}$", "{id}");
        assert_eq!((schemas[id]["minLength"].as_u64(), schemas[id]["maxLength"].as_u64()), (Some(1), Some(64)), "{id}");
    }
    let draft_schema = &schemas["ReportDraft"];
    let field = |name: &str| &draft_schema["properties"][name];
    assert_eq!(field("facility")["$ref"], "#/components/schemas/FacilityId");
    assert_eq!(field("reported_at")["format"], "date-time");
    assert_eq!(
        (field("affected_users")["minimum"].as_u64(), field("affected_users")["maximum"].as_u64()),
        (Some(1), Some(10_000))
    );
    let required: Vec<&str> =
        draft_schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(
        required,
        ["id", "facility", "unit", "module", "kind", "severity", "summary", "reporter", "reported_at"]
    );

    // The text patterns, read by a regex engine, accept and refuse what the server does.
    let pattern =
        |schema: &serde_json::Value| regex::Regex::new(schema["pattern"].as_str().expect("a pattern")).unwrap();
    let summary = pattern(field("summary"));
    let x = |n: usize| "x".repeat(n);
    for (text, accepted) in [
        (x(200), true),
        (format!("  {}\n", x(200)), true),
        (x(201), false),
        (" \t ".to_owned(), false),
        ("two\nlines".to_owned(), false),
        ("order\u{202E}set".to_owned(), false),
        ("Stationsdrucker für Ärzte".to_owned(), true),
    ] {
        assert_eq!(summary.is_match(&text), accepted, "summary {text:?}");
        let mut report = draft("rmc-4w", Kind::Access, Severity::Low);
        report.summary = text.clone();
        let status = http.post_json("/api/v1/reports", &report).await.status();
        assert_eq!(status.is_success(), accepted, "the server on summary {text:?}: {status}");
    }
    let details = pattern(field("details"));
    assert!(details.is_match(&format!("{}\r\n{}", x(1000), x(999))), "a CRLF counts as the one newline it becomes");
    assert!(details.is_match("") && !details.is_match(&x(2001)));
    assert!(pattern(&schemas["StatusChange"]["properties"]["note"]).is_match("step 1\n\tstep 2"));
    assert!(!pattern(&schemas["ReporterId"]).is_match(&x(65)));

    let operation = |path: &str, method: &str| doc["paths"][path][method].clone();
    let submit = operation("/api/v1/reports", "post");
    for status in ["200", "201", "400", "409", "413", "422", "500", "503"] {
        assert_eq!(
            submit["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| r.ends_with(if status.starts_with('2') { "/Receipt" } else { "/ErrorBody" })),
            Some(true),
            "POST /api/v1/reports {status}"
        );
    }
    let params = operation("/api/v1/units/{unit}/issues", "get")["parameters"].clone();
    assert_eq!((&params[0]["name"], &params[0]["in"]), (&"unit".into(), &"path".into()));
    assert_eq!((&params[1]["name"], &params[1]["in"]), (&"kind".into(), &"query".into()));
    assert_eq!(params[1]["schema"]["$ref"], "#/components/schemas/Kind");
    let board = operation("/api/v1/board", "get")["parameters"].clone();
    assert_eq!((&board[0]["name"], &board[0]["in"]), (&"facility".into(), &"query".into()));
    assert_eq!(
        operation("/api/v1/reports/{id}", "get")["parameters"][0]["schema"]["$ref"],
        "#/components/schemas/ReportId"
    );
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

/// A fresh server's first scrape already lists every metric with its help text, so a
/// dashboard has something to bind to before any traffic.
#[tokio::test]
async fn the_first_scrape_describes_every_metric() {
    let server = TestServer::spawn().await;
    let text = server.admin().await.get("/metrics").await.text().await.unwrap();
    for name in [
        "floorboard_reports_accepted_total",
        "floorboard_reports_refused_total",
        "floorboard_events_committed_total",
        "floorboard_commands_unstorable_total",
        "floorboard_committer_panics_total",
        "floorboard_handler_panics_total",
        "floorboard_sign_ins_total",
        "floorboard_access_refused_total",
        "floorboard_connections",
        "floorboard_sessions",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "{name} is not described:\n{text}");
    }
}
