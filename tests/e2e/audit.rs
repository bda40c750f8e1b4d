//! The audit trail: who did what, when, from where, never free text; read and exported by
//! administrators only; a hash chain that finds an entry or an event edited or deleted.

use std::time::Duration;

use floorboard_shared::audit::AuditRecord;
use floorboard_shared::protocol::Topic;
use floorboard_shared::{Kind, QueueId, Severity};
use floorboard_tests::{TESTER, TestServer, WAIT, draft, floorboard_bin, sign_in};

/// The trail as an administrator reads it, once it holds `wanted`.
async fn trail_with(server: &TestServer, wanted: impl Fn(&[AuditRecord]) -> bool) -> Vec<AuditRecord> {
    let admin = server.admin().await;
    tokio::time::timeout(WAIT, async {
        loop {
            let entries: Vec<AuditRecord> = admin.get_json("/api/v1/audit?limit=10000").await;
            if wanted(&entries) {
                return entries;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the audit trail holds what was done")
}

#[tokio::test]
async fn sign_ins_reads_and_account_changes_are_recorded_without_free_text() {
    let server = TestServer::spawn().await;
    // Failures: a known account's login is kept, an unknown one's is not.
    sign_in(&server.base(), TESTER, "not-the-password").await.unwrap_err();
    sign_in(&server.base(), "n0t-a-l0gin", "not-the-password").await.unwrap_err();
    // A report (the event log's), a queue read twice over HTTP and once over the websocket
    // by the same session: one read entry.
    let mut tablet = server.client().await;
    tablet.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await.unwrap();
    let http = server.http();
    for _ in 0..2 {
        assert!(http.get("/api/v1/queues/it-access/issues").await.status().is_success());
    }
    tablet.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await;
    let reads = |e: &[AuditRecord]| {
        e.iter().filter(|e| e.action == "read" && e.target.as_deref() == Some("queue:it-access")).count()
    };
    let entries = trail_with(&server, |e| reads(e) >= 1).await;
    assert_eq!(reads(&entries), 1, "once per session and list");
    let read = entries.iter().find(|e| e.action == "read").unwrap();
    assert_eq!((read.actor.as_deref(), read.source.as_deref()), (Some(TESTER), Some("127.0.0.1")));

    let sign_ins: Vec<(Option<&str>, &str)> =
        entries.iter().filter(|e| e.action == "sign_in").map(|e| (e.actor.as_deref(), e.outcome.as_str())).collect();
    assert!(sign_ins.contains(&(Some(TESTER), "ok")), "{sign_ins:?}");
    assert!(sign_ins.contains(&(Some(TESTER), "bad_credentials")), "{sign_ins:?}");
    assert!(sign_ins.contains(&(None, "bad_credentials")), "an unknown login is not kept: {sign_ins:?}");
    assert!(sign_ins.contains(&(Some("admin"), "ok")), "{sign_ins:?}");
    assert!(entries.iter().any(|e| e.action == "account_add" && e.target.as_deref() == Some(TESTER)));
    let json = serde_json::to_string(&entries).unwrap();
    assert!(!json.contains("Flowsheet") && !json.contains("n0t-a-l0gin") && !json.contains("not-the-password"));

    // Only administrators read or export it; the export is CSV, and itself recorded.
    assert_eq!(http.get("/api/v1/audit").await.status(), 403);
    assert_eq!(http.get("/api/v1/audit/export").await.status(), 403);
    let export = server.admin().await.get("/api/v1/audit/export").await;
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = export.text().await.unwrap();
    assert!(csv.starts_with("seq,at,actor,action,target,source,outcome\r\n"), "{csv}");
    assert!(csv.contains(",audit_export,"), "the export is recorded before it is taken");
}

/// Refusals are recorded too: who tried what, on what, over HTTP and the websocket.
#[tokio::test]
async fn refusals_are_recorded_with_who_tried_what_on_what() {
    use floorboard_shared::access::Role;
    let server = TestServer::spawn().await;
    let ana = server.account("ana", floorboard_tests::spec(&[Role::Trainer])).await;
    assert_eq!(ana.http().get("/api/v1/queues/it-access/issues").await.status(), 403);
    let mut ws = ana.client().await;
    ws.subscribe(Topic::Queue { queue: QueueId::new("cc-lead") }, None).await;
    assert_eq!(ana.http().get("/api/v1/users").await.status(), 403);
    let refused = |e: &[AuditRecord]| -> Vec<String> {
        e.iter()
            .filter(|e| e.action == "refused" && e.actor.as_deref() == Some("ana") && e.outcome == "forbidden")
            .filter_map(|e| e.target.clone())
            .collect()
    };
    let entries = trail_with(&server, |e| refused(e).len() >= 3).await;
    let targets = refused(&entries);
    for wanted in ["read_queue:queue:it-access", "read_queue:queue:cc-lead", "manage_accounts"] {
        assert!(targets.iter().any(|t| t == wanted), "{wanted} in {targets:?}");
    }
}

/// `floorboard audit verify` beside the running server: the chain holds; an entry edited,
/// or an event deleted, behind the server's back is found, and the command fails.
#[tokio::test]
async fn the_hash_chain_finds_an_edited_entry_and_a_deleted_event() {
    let server = TestServer::spawn().await;
    let mut tablet = server.client().await;
    for _ in 0..3 {
        tablet.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await.unwrap();
    }
    let store = server.store.audit().await;
    // Wait until the writer has chained the three reports (it does so every second).
    tokio::time::timeout(WAIT, async {
        while store.verify_audit().await.map_or(0, |v| v.events) < 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the events are chained");
    let verify = || async {
        let mut command = tokio::process::Command::new(floorboard_bin());
        command.args(["audit", "verify", "--data-dir"]).arg(server.store.data_dir());
        if let Some(url) = server.store.database_url() {
            command.args(["--database-url", &url]);
        }
        let output = command.output().await.unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, out) = verify().await;
    assert!(ok && out.contains("the audit trail holds"), "{out}");

    let original = store.audit_entries(0, 1).await.unwrap().remove(0).actor.expect("the first entry's actor");
    server.store.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 1").await;
    let err = store.verify_audit().await.unwrap_err().to_string();
    assert!(err.contains("changed after it was written"), "{err}");
    let (ok, out) = verify().await;
    assert!(!ok && out.contains("does not hold"), "{out}");

    // As it was, the chain holds again; an event deleted breaks it.
    server.store.execute(&format!("UPDATE audit SET actor = '{original}' WHERE seq = 1")).await;
    store.verify_audit().await.expect("the chain holds again once the entry is as it was");
    server.store.execute("DELETE FROM events WHERE seq = 2").await;
    let err = store.verify_audit().await.unwrap_err().to_string();
    assert!(err.contains("an event it covers is missing"), "{err}");
}
