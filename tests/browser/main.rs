//! Browser end-to-end tests: the real server serving the built front end, driven in
//! headless Chromium. They assert what a trainer, an analyst and a training lead see, each
//! signed in through the sign-in screen first.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use floorboard_shared::access::Role;
use floorboard_shared::coverage::Coverage;
use floorboard_shared::protocol::{ClientMsg, IssuesAt, MAX_FRAME_BYTES, PROTOCOL_VERSION, ServerMsg};
use floorboard_shared::{ErrorBody, Kind, Severity, Status, UnitId};
use floorboard_tests::browser::{Browser, Chromedriver, web_dist};
use floorboard_tests::{Http, TESTER, TESTER_PASSWORD, TestServer, draft, spec};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// Where the tablet keeps the tester's reports waiting to send (web/src/outbox.rs: each
/// person's under their login).
const OUTBOX_KEY: &str = "floorboard.outbox.v1:trainer-07";
/// A summary the patient-data screen refuses, about a fictional patient.
const WITH_MRN: &str = "pt MRN 4829137 chart won't open";
const FIXED: &str = "Chart won't open from the unit census";

async fn server() -> TestServer {
    TestServer::spawn_with(|c| c.web_dir = Some(web_dist())).await
}

/// Signs `browser` in as the test server's tester, trainer-07: a trainer and a lead, so every
/// screen is theirs.
async fn sign_in_as_tester(browser: &Browser, base: &str) {
    browser.sign_in(base, TESTER, TESTER_PASSWORD).await;
}

/// Checks the signed-in tablet in to 4 West at Riverbend.
async fn check_in(tablet: &Browser, base: &str) {
    tablet.goto(&format!("{base}/report")).await;
    tablet.select(".checkin select[name='facility']", "rmc").await;
    tablet.select(".checkin select[name='unit']", "rmc-4w").await;
    tablet.click(".checkin button[type='submit']").await;
    tablet.find(".report-form").await;
}

/// Fills and sends a report: the three taps and a sentence.
async fn report(tablet: &Browser, kind: &str, severity: &str, module: &str, summary: &str) {
    tablet.click(&format!("input[name='kind'][value='{kind}']")).await;
    tablet.click(&format!("input[name='severity'][value='{severity}']")).await;
    tablet.select("select[name='module']", module).await;
    tablet.type_into("input[name='summary']", summary).await;
    tablet.click(".report-form button[type='submit']").await;
}

async fn watch_queue(queues: &Browser, base: &str, queue: &str) {
    queues.goto(&format!("{base}/queues")).await;
    queues.click(&format!("input[name='queue'][value='{queue}']")).await;
    queues.find_text(".queue-list h1", "Open issues").await;
}

#[tokio::test]
async fn a_report_on_the_tablet_appears_on_queues_and_the_board() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let driver = Chromedriver::start().await;
    let (tablet, queues, board) = (driver.browser().await, driver.browser().await, driver.browser().await);
    board.set_size(1920, 1080).await;
    tablet.set_size(800, 1280).await; // a 10-inch tablet, portrait
    for browser in [&tablet, &queues, &board] {
        sign_in_as_tester(browser, &base).await;
    }

    watch_queue(&queues, &base, "analysts-clindoc").await;
    board.goto(&format!("{base}/board")).await;
    let cell = "td[data-unit='rmc-4w'][data-kind='configuration'] .n";
    board.find(cell).await;
    board.find_text(".conn", "Live").await;
    check_in(&tablet, &base).await;

    let sent = Instant::now();
    report(&tablet, "configuration", "high", "clindoc", "BP med SmartSet does not load for RN role").await;
    queues.find_text(".issue-row", "BP med SmartSet does not load").await;
    let on_queue = sent.elapsed();
    board.find_text(cell, "1").await;
    let on_board = sent.elapsed();
    // Measured, not asserted: speed belongs to the benchmark, not to a test.
    println!("report to queue screen: {on_queue:?}; to board: {on_board:?}");

    tablet.find_text(".saved", "Sent").await;
    tablet.find_text(".mine .issue", "BP med SmartSet").await;
    tablet.screenshot("report").await;
    tablet.set_size(390, 844).await; // a phone
    tablet.find(".report-form").await;
    tablet.screenshot("report-phone").await;
    queues.screenshot("queues").await;
    board.screenshot("board").await;

    // The board's drill-down lists the cell's issues.
    board.click("td[data-unit='rmc-4w'][data-kind='configuration'] button").await;
    board.find_text(".detail .issue", "BP med SmartSet").await;
    board.screenshot("board-drilldown").await;

    // The tablet told the server it is on 4 West: the board, opened again, shows one person
    // checked in beside the unit's name, and nobody on the next unit.
    let lead = server.http();
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while lead.get_json::<Coverage>("/api/v1/coverage").await.people(&UnitId::new("rmc-4w")) != 1 {
        assert!(Instant::now() < deadline, "the tablet's check-in never reached the server");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    board.goto(&format!("{base}/board")).await;
    let badge = board.find_text("tr:has(td[data-unit='rmc-4w']) th .cover", "1").await;
    assert_eq!(badge.attr("aria-label").await.unwrap().as_deref(), Some("1 person checked in"));
    board.screenshot("board-coverage").await;
    assert!(
        board
            .client
            .find_all(fantoccini::Locator::Css("tr:has(td[data-unit='rmc-5e']) .cover"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_report_made_while_the_server_is_down_is_delivered_once_even_after_a_reload() {
    let server = server().await;
    let (addr, store) = (server.addr, server.store.clone());
    let base = format!("http://{addr}");
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;

    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.find_text(".conn", "Live").await;
    // The service worker has the app shell before the network goes away.
    tablet.wait_until("return navigator.serviceWorker.controller !== null").await;

    server.stop().await;
    tablet.wait_gone(".conn-label", "Live").await;
    report(&tablet, "access", "medium", "clindoc", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".conn", "1 waiting to send").await;
    tablet.screenshot("report-offline").await;

    // A reload in the dead zone: the page comes from the device, the report is still there
    // (the device remembers who is signed in while the server cannot say).
    tablet.client.refresh().await.expect("reload");
    tablet.find_text(".outbox", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".conn", "1 waiting to send").await;

    let server = TestServer::spawn_at(addr, &store, |c| c.web_dir = Some(web_dist())).await;
    tablet.find_text(".mine .issue", "Agency nurse has no Epic login yet").await;
    tablet.wait_gone(".conn", "waiting to send").await;

    // Reload again once delivered: nothing is sent twice.
    tablet.client.refresh().await.expect("reload");
    tablet.find_text(".mine .issue", "Agency nurse").await;
    tablet.find_text(".conn", "Live").await;
    let mine: IssuesAt = server.http().get_json("/api/v1/reporters/trainer-07/reports").await;
    assert_eq!(mine.issues.len(), 1, "delivered exactly once");
    assert_eq!(mine.seq, 1, "one event: no duplicate was committed");
}

#[tokio::test]
async fn a_status_change_on_the_queues_shows_under_my_reports() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let driver = Chromedriver::start().await;
    let (tablet, queues) = (driver.browser().await, driver.browser().await);
    sign_in_as_tester(&tablet, &base).await;
    sign_in_as_tester(&queues, &base).await;

    check_in(&tablet, &base).await;
    report(&tablet, "access", "patient_safety", "clindoc", "Badge tap login fails on WOW in hall").await;
    tablet.find_text(".mine .issue", "Badge tap login fails").await;

    watch_queue(&queues, &base, "it-access").await;
    queues.find_text(".issues.pinned .issue-row", "Badge tap login fails").await;
    queues.click(".issues.pinned .issue-open").await;
    queues.type_into(".detail textarea", "Badge reader re-paired with the workstation").await;
    queues.select(".detail select[name='resolution']", "device-fixed").await;
    queues.screenshot("queues-detail").await;
    queues.click(&format!(".status-actions button[data-status='{}']", Status::Resolved.as_str())).await;

    tablet.find_text(".mine .issue .status-badge", "Resolved").await;
    tablet.find_text(".mine .issue .note", "Badge reader re-paired").await;
    tablet.find_text(".mine .issue .resolution", "Device fixed").await;
    // Found after the live updates: a row found before them is re-rendered under the handle.
    let mine = tablet.find_text(".mine .issue", "Badge tap login fails").await;
    assert!(mine.text().await.unwrap().contains("Resolved"));
    queues.wait_gone(".issue-row", "Badge tap login fails").await;
}

/// A script answering the controls on the page without a name: a control is labelled by a
/// <label>, aria-label or aria-labelledby; buttons by text.
const UNLABELLED: &str = r#"
    const named = (el) => (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
        || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
    return [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
"#;

#[tokio::test]
async fn every_control_on_every_screen_has_a_label() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let driver = Chromedriver::start().await;
    let browser = driver.browser().await;
    let unlabelled = UNLABELLED;
    browser.goto(&format!("{base}/signin")).await;
    browser.find("form.signin").await;
    let found = browser.client.execute(unlabelled, vec![]).await.unwrap();
    assert_eq!(found, serde_json::json!([]), "unlabelled controls on /signin");
    assert_eq!(browser.client.title().await.expect("a title"), "Sign in · Floorboard");
    sign_in_as_tester(&browser, &base).await;
    check_in(&browser, &base).await;
    let mut titles = std::collections::BTreeSet::new();
    for screen in ["/report", "/queues", "/board", "/summary"] {
        browser.goto(&format!("{base}{screen}")).await;
        browser.find(".conn").await;
        browser.find_text(".conn", "Live").await;
        let found = browser.client.execute(unlabelled, vec![]).await.unwrap();
        assert_eq!(found, serde_json::json!([]), "unlabelled controls on {screen}");
        titles.insert(browser.client.title().await.expect("a title"));
    }
    assert_eq!(titles.len(), 4, "each screen has its own page title: {titles:?}");
}

/// The reports the server holds for trainer-07.
async fn reports_of_trainer_07(server: &TestServer) -> IssuesAt {
    server.http().get_json("/api/v1/reporters/trainer-07/reports").await
}

/// The tablet's outbox as stored, parsed.
async fn stored_outbox(tablet: &Browser) -> serde_json::Value {
    let script = format!("return JSON.parse(localStorage.getItem('{OUTBOX_KEY}') || '[]')");
    tablet.client.execute(&script, vec![]).await.expect("read the outbox")
}

async fn attr(tablet: &Browser, css: &str, name: &str) -> Option<String> {
    tablet.find(css).await.attr(name).await.expect("attribute")
}

async fn prop(tablet: &Browser, css: &str, name: &str) -> Option<String> {
    tablet.find(css).await.prop(name).await.expect("property")
}

async fn value(tablet: &Browser, css: &str) -> Option<String> {
    prop(tablet, css, "value").await
}

/// A summary the server refuses for the phone number in it.
const CALL_BACK: &str = "Printer asks to call back 555-123-4567";

/// What the server says of a summary it refuses: the tablet shows the same words.
fn server_says(summary: &str) -> String {
    use floorboard_shared::report::{SUMMARY_MAX, check_text};
    check_text("summary", summary.into(), floorboard_shared::text::Lines::One, SUMMARY_MAX)
        .expect_err("the server refuses this summary")
        .message
}

#[tokio::test]
async fn a_patient_identifier_shows_under_the_summary_while_typing_and_nothing_is_sent() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;
    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.find_text(".conn", "Live").await;

    tablet.click("input[name='kind'][value='configuration']").await;
    tablet.click("input[name='severity'][value='high']").await;
    tablet.select("select[name='module']", "clindoc").await;
    tablet.type_into("input[name='summary']", WITH_MRN).await;
    // The server's own words, under the field, tied to it for a screen reader, before Send.
    let message = tablet.find_text("#summary-problem", &server_says(WITH_MRN)).await;
    assert!(message.text().await.unwrap().ends_with("describe the system, not the patient"));
    assert_eq!(attr(&tablet, "#summary-problem", "aria-live").await.as_deref(), Some("polite"));
    assert_eq!(attr(&tablet, "input[name='summary']", "aria-invalid").await.as_deref(), Some("true"));
    assert_eq!(attr(&tablet, "input[name='summary']", "aria-describedby").await.as_deref(), Some("summary-problem"));
    tablet.screenshot("report-phi-under-summary").await;

    // Send refuses it on the tablet: the cursor goes to the summary, the draft stays as typed.
    tablet.click(".report-form button[type='submit']").await;
    tablet.wait_until("return document.activeElement && document.activeElement.name === 'summary'").await;
    assert_eq!(value(&tablet, "input[name='summary']").await.as_deref(), Some(WITH_MRN));
    assert_eq!(stored_outbox(&tablet).await, json!([]), "nothing was queued, so nothing can be sent");
    assert!(reports_of_trainer_07(&server).await.issues.is_empty(), "the server stored nothing");

    // Fixed, the message goes and the report is sent.
    tablet.type_into("input[name='summary']", FIXED).await;
    tablet.wait_until("return document.getElementById('summary-problem').textContent === ''").await;
    assert_eq!(attr(&tablet, "input[name='summary']", "aria-invalid").await.as_deref(), Some("false"));
    tablet.click(".report-form button[type='submit']").await;
    tablet.find_text(".mine .issue", FIXED).await;
    let mine = reports_of_trainer_07(&server).await;
    assert_eq!(mine.issues.len(), 1);
    assert_eq!(mine.issues[0].report.summary, FIXED);
}

#[tokio::test]
async fn a_report_the_server_refuses_after_it_left_waits_under_needs_editing_until_fixed_and_sent() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;
    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.find_text(".conn", "Live").await;

    // A report queued on the tablet before the server's rules tightened (an older app): it
    // passed the tablet's checks then, the server refuses it when the app sends it on connect.
    let queued = floorboard_shared::ReportDraft {
        summary: WITH_MRN.into(),
        affected_users: 3,
        reported_at: time::OffsetDateTime::now_utc() - time::Duration::minutes(20),
        ..draft("rmc-4w", Kind::Configuration, Severity::High)
    };
    let unwanted =
        floorboard_shared::ReportDraft { summary: CALL_BACK.into(), ..draft("rmc-4w", Kind::Access, Severity::Low) };
    let stored = serde_json::to_string(&[&queued, &unwanted]).unwrap();
    let put = format!("localStorage.setItem('{OUTBOX_KEY}', arguments[0]); return true");
    tablet.client.execute(&put, vec![json!(stored)]).await.expect("queue the report");
    tablet.client.refresh().await.expect("reload");

    tablet.find_text(".refused", "Needs editing").await;
    tablet.find_text(".refused-report", WITH_MRN).await;
    tablet.find_text(".refused-report .problem", &server_says(WITH_MRN)).await;
    tablet.find_text(".refused-report .problem", &server_says(CALL_BACK)).await;
    tablet.find_text(".conn", "2 need editing").await;
    assert_eq!(stored_outbox(&tablet).await, json!([]), "out of the outbox: it is not retried unchanged");
    assert!(reports_of_trainer_07(&server).await.issues.is_empty());
    tablet.screenshot("report-needs-editing").await;

    // Still there after a reload: only the trainer gets rid of one, with a second tap.
    tablet.client.refresh().await.expect("reload");
    tablet.find_text(".refused-report", WITH_MRN).await;
    for button in ["button.link", "button.danger"] {
        let unwanted = tablet.find_text(".refused-report", "Printer asks to call back").await;
        unwanted.find(fantoccini::Locator::Css(button)).await.expect(button).click().await.expect("tap");
    }
    tablet.wait_gone(".refused-report", "Printer asks to call back").await;
    tablet.find_text(".conn", "1 needs editing").await;

    // Opened back into the form: every field as it was written, the message under the summary.
    tablet.click(".refused-report .actions button:first-child").await;
    tablet.find_text(".report-form .editing", "Editing a report that was not accepted").await;
    tablet
        .wait_until(&format!("return document.querySelector(\"input[name='summary']\").value === {WITH_MRN:?}"))
        .await;
    assert_eq!(value(&tablet, "textarea[name='details']").await, queued.details.clone());
    assert_eq!(value(&tablet, "input[name='role']").await, queued.affected_role.clone());
    assert_eq!(value(&tablet, "input[name='users']").await.as_deref(), Some("3"));
    assert_eq!(value(&tablet, "select[name='module']").await.as_deref(), Some("clindoc"));
    assert_eq!(prop(&tablet, "input[name='kind'][value='configuration']", "checked").await.as_deref(), Some("true"));
    assert_eq!(prop(&tablet, "input[name='severity'][value='high']", "checked").await.as_deref(), Some("true"));
    tablet.find_text("#summary-problem", &server_says(WITH_MRN)).await;
    tablet.wait_until("return document.activeElement && document.activeElement.name === 'summary'").await;
    tablet.screenshot("report-reopened").await;

    // Fixed and sent: a new report, and the refused one is gone from the tablet.
    tablet.type_into("input[name='summary']", FIXED).await;
    tablet.wait_until("return document.getElementById('summary-problem').textContent === ''").await;
    tablet.click(".report-form button[type='submit']").await;
    tablet.find_text(".mine .issue", FIXED).await;
    tablet.wait_gone(".refused", "Needs editing").await;
    tablet.wait_gone(".report-form", "Editing a report").await;
    let mine = reports_of_trainer_07(&server).await;
    assert_eq!(mine.issues.len(), 1);
    let sent = &mine.issues[0].report;
    assert_ne!(sent.id, queued.id, "changed content goes under a new id");
    assert_eq!(sent.summary, FIXED);
    assert_eq!((sent.details.as_deref(), sent.affected_role.as_deref()), (queued.details.as_deref(), Some("RN")));
    assert_eq!((sent.module.as_str(), sent.unit.as_str(), sent.affected_users), ("clindoc", "rmc-4w", 3));
    assert_eq!(sent.reported_at.unix_timestamp(), queued.reported_at.unix_timestamp(), "when it was seen");
}

/// In front of the real server: pages and the API pass through, but `/ws` is answered here,
/// with the `welcome` of a server one protocol version ahead of the app (and pongs): a server
/// updated under a tablet that keeps an older app. Nothing else is answered, so reports
/// wait in the outbox.
async fn newer_server_in_front_of(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 8];
                let is_ws = matches!(inbound.peek(&mut head).await, Ok(8)) && &head == b"GET /ws ";
                if !is_ws {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                    return;
                }
                let Ok(mut ws) = tokio_tungstenite::accept_async(inbound).await else { return };
                let welcome = ServerMsg::Welcome {
                    server: "floorboard/next".into(),
                    protocol: PROTOCOL_VERSION + 1,
                    head_seq: 0,
                    heartbeat_secs: 30,
                    max_frame_bytes: MAX_FRAME_BYTES,
                };
                let text = |msg: &ServerMsg| Message::text(serde_json::to_string(msg).expect("serialise"));
                let _ = ws.send(text(&welcome)).await;
                while let Some(Ok(frame)) = ws.next().await {
                    let ping = frame.to_text().ok().and_then(|t| serde_json::from_str::<ClientMsg>(t).ok());
                    if let Some(ClientMsg::Ping { nonce }) = ping {
                        let _ = ws.send(text(&ServerMsg::Pong { nonce })).await;
                    }
                }
            });
        }
    });
    addr
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[tokio::test]
async fn a_server_on_another_protocol_version_offers_a_reload_that_gets_the_new_release_and_keeps_the_outbox() {
    // The front end from a copy this test can release a new version into.
    let release = tempfile::TempDir::new().expect("temp dir");
    copy_dir(&web_dist(), release.path());
    let server = TestServer::spawn_with(|c| c.web_dir = Some(release.path().to_path_buf())).await;
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;

    // The same version: no banner. (The session cookie is the host's: it holds for the
    // newer server's port too.)
    sign_in_as_tester(&tablet, &server.base()).await;
    tablet.find_text(".conn", "Live").await;
    assert!(tablet.client.find_all(fantoccini::Locator::Css(".update")).await.unwrap().is_empty());

    let newer = format!("http://{}", newer_server_in_front_of(server.addr).await);
    check_in(&tablet, &newer).await;
    tablet.find_text(".update", "Floorboard was updated. Reload to get the new version.").await;
    tablet.wait_until("return navigator.serviceWorker.controller !== null").await;
    // Not blocking: a report can still be made; it waits in the outbox (this server never
    // acknowledges).
    report(&tablet, "access", "medium", "clindoc", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".conn", "1 waiting to send").await;
    tablet.screenshot("update-banner").await;

    // The new release lands on the server; the reload gets it through the service worker.
    let css = release.path().join("style.css");
    let mut sheet = std::fs::read_to_string(&css).expect("style.css");
    sheet.push_str("\n.release-marker { color: inherit; }\n");
    std::fs::write(&css, sheet).expect("release");
    std::fs::remove_file(release.path().join("style.css.gz")).expect("no stale precompressed copy");
    tablet.client.execute("window.beforeReload = true; return true", vec![]).await.expect("mark the page");
    tablet.click(".update button").await;
    tablet.wait_until("return window.beforeReload === undefined && document.readyState === 'complete'").await;
    tablet
        .wait_until(
            "return [...document.styleSheets].some((s) => [...s.cssRules].some((r) => r.selectorText === '.release-marker'))",
        )
        .await;
    tablet.find_text(".outbox", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".conn", "1 waiting to send").await;
}

/// Whether an element matching `css` is on the page now.
async fn shows(browser: &Browser, css: &str) -> bool {
    !browser.client.find_all(fantoccini::Locator::Css(css)).await.expect("find").is_empty()
}

/// The screens the header offers.
async fn screen_links(browser: &Browser) -> Vec<String> {
    browser.find(".topbar nav").await;
    let mut links = Vec::new();
    for link in browser.client.find_all(fantoccini::Locator::Css(".topbar nav a")).await.expect("links") {
        links.push(link.text().await.expect("text"));
    }
    links
}

#[tokio::test]
async fn signing_in_shows_the_servers_refusal_then_the_screen_asked_for_and_signing_out_stays_out() {
    let server = server().await;
    let base = server.base();
    let driver = Chromedriver::start().await;
    let browser = driver.browser().await;
    browser.set_size(800, 1280).await;

    // The queues asked for with no session: the sign-in screen in their place.
    browser.goto(&format!("{base}/queues")).await;
    browser.find("form.signin").await;
    assert_eq!(attr(&browser, "input[name='login']", "autocomplete").await.as_deref(), Some("username"));
    assert_eq!(attr(&browser, "input[name='password']", "autocomplete").await.as_deref(), Some("current-password"));
    assert_eq!(attr(&browser, "#signin-problem", "aria-live").await.as_deref(), Some("assertive"));
    browser.screenshot("signin").await;

    // A wrong password: the server's own words, and still the sign-in screen.
    let refused = floorboard_tests::sign_in(&base, TESTER, "not-the-password").await.expect_err("a wrong password");
    let says = refused.json::<ErrorBody>().await.expect("an error body").message;
    browser.fill_sign_in(TESTER, "not-the-password").await;
    browser.find_text("#signin-problem", &says).await;
    browser.screenshot("signin-refused").await;
    assert!(shows(&browser, "form.signin").await);
    assert!(!shows(&browser, ".who").await, "nobody is signed in");
    assert!(!shows(&browser, ".queue-chooser").await);
    assert_eq!(value(&browser, "input[name='password']").await.as_deref(), Some(""), "typed again, not kept");

    // The right one, by keyboard alone (Enter in the password field): who is signed in, and
    // the screen that was asked for.
    assert_eq!(value(&browser, "input[name='login']").await.as_deref(), Some(TESTER), "the login is kept");
    browser.type_into("input[name='password']", &format!("{TESTER_PASSWORD}\u{E007}")).await;
    browser.find_text(".who-login", TESTER).await;
    browser.find_text(".who-name", "Test Account").await;
    browser.find(".queue-chooser").await;
    assert_eq!(browser.path().await, "/queues");
    assert_eq!(
        screen_links(&browser).await,
        ["Report", "Queues", "Board", "Summary"],
        "a trainer and lead has every screen"
    );
    browser.find_text(".conn", "Live").await;

    // Signing out: the sign-in screen, and a reload stays there (the session is gone).
    browser.click(".who button.sign-out").await;
    browser.find("form.signin").await;
    assert_eq!(browser.path().await, "/signin");
    assert!(!shows(&browser, ".who").await);
    browser.client.refresh().await.expect("reload");
    browser.find("form.signin").await;
    assert!(!shows(&browser, ".who").await, "still signed out after a reload");
}

#[tokio::test]
async fn a_trainer_has_the_tablet_but_no_queues_and_reports_as_themselves() {
    let server = server().await;
    let base = server.base();
    let ana = spec_with(&[Role::Trainer], "Ana Díaz", "sjh", &["willow", "clindoc"]);
    server.account("ana.diaz", ana).await;
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;

    tablet.sign_in(&base, "ana.diaz", "password-of-ana.diaz").await;
    tablet.find_text(".who-name", "Ana Díaz").await;
    assert_eq!(screen_links(&tablet).await, ["Report", "Summary"], "no queues, no board; their own summary");
    // A link kept from another account leads nowhere.
    tablet.goto(&format!("{base}/queues")).await;
    tablet.find_text("main .empty", "Not open to this account").await;
    assert!(!shows(&tablet, ".queue-chooser").await);

    // Check-in starts at her facility; the form at her first module; no name to type.
    tablet.goto(&format!("{base}/report")).await;
    tablet.find(".checkin").await;
    tablet.wait_until("return document.querySelector(\".checkin select[name='facility']\").value === 'sjh'").await;
    assert!(!shows(&tablet, ".checkin input").await, "the session says who reports");
    tablet.select(".checkin select[name='unit']", "sjh-2a").await;
    tablet.click(".checkin button[type='submit']").await;
    tablet.find(".report-form").await;
    tablet.wait_until("return document.querySelector(\"select[name='module']\").value === 'willow'").await;
    report(&tablet, "training_gap", "low", "willow", "Pharmacist unsure where to verify IV rates").await;
    tablet.find_text(".mine .issue", "Pharmacist unsure where to verify IV rates").await;
    tablet.screenshot("report-trainer").await;

    let hers: IssuesAt = server.http().get_json("/api/v1/reporters/ana.diaz/reports").await;
    assert_eq!(hers.issues.len(), 1);
    let sent = &hers.issues[0].report;
    assert_eq!((sent.reporter.as_str(), sent.facility.as_str(), sent.module.as_str()), ("ana.diaz", "sjh", "willow"));

    // Her own summary, of the shift she is working: what she hands the lead.
    tablet.click(".topbar nav a[href='/summary']").await;
    tablet.find_text(".summary-page h1", "My floor support summary").await;
    tablet
        .wait_until(
            "const s = document.querySelector(\"select[name='shift']\").value; \
         return (s === '07:00' || s === '19:00') \
         && document.querySelector('.summary-section .summary-figures dd').textContent === '1';",
        )
        .await;
    assert!(!shows(&tablet, ".curve-panel").await, "no board's curve for a trainer");
}

/// An account of `roles` named `name`, at `facility`, working `modules`.
fn spec_with(roles: &[Role], name: &str, facility: &str, modules: &[&str]) -> floorboard_shared::access::AccountSpec {
    floorboard_shared::access::AccountSpec {
        name: name.into(),
        facility: Some(facility.into()),
        modules: modules.iter().map(|&m| m.into()).collect(),
        ..spec(roles)
    }
}

#[tokio::test]
async fn a_report_waiting_on_a_shared_tablet_is_neither_shown_to_nor_sent_by_the_next_person() {
    let server = server().await;
    let (addr, store) = (server.addr, server.store.clone());
    let base = server.base();
    server.account("ana.diaz", spec_with(&[Role::Trainer], "Ana Díaz", "rmc", &["clindoc"])).await;
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;

    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.find_text(".conn", "Live").await;
    tablet.wait_until("return navigator.serviceWorker.controller !== null").await;
    let cookie = tablet.client.get_named_cookie("floorboard_session").await.expect("the session cookie");
    let session = Http::new(base.clone(), Some(cookie.value().to_owned()));

    // In a dead zone, trainer-07 makes a report: it waits on the tablet.
    server.stop().await;
    tablet.wait_gone(".conn-label", "Live").await;
    report(&tablet, "access", "medium", "clindoc", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".conn", "1 waiting to send").await;

    // Meanwhile the session ends (expired, or signed out elsewhere): the server is back, and
    // the tablet, told so on reconnecting, asks for a sign-in and sends nothing.
    let elsewhere = TestServer::spawn_on(&store, |c| c.web_dir = Some(web_dist())).await;
    let ended = Http { base: elsewhere.base(), ..session }.request(reqwest::Method::DELETE, "/api/v1/sessions/current");
    assert_eq!(ended.send().await.expect("DELETE").status(), 204);
    elsewhere.stop().await;
    let server = TestServer::spawn_at(addr, &store, |c| c.web_dir = Some(web_dist())).await;
    // As a tablet does when it finds its Wi-Fi again, rather than at its backoff's next try.
    tablet.client.execute("window.dispatchEvent(new Event('online')); return true", vec![]).await.expect("online");
    tablet.find_text(".signin .notice", "Your session ended").await;
    tablet.screenshot("signin-session-ended").await;
    assert_eq!(stored_outbox(&tablet).await.as_array().map(Vec::len), Some(1), "kept on the tablet");

    // Another person on the same tablet: not theirs to see or send.
    tablet.fill_sign_in("ana.diaz", "password-of-ana.diaz").await;
    tablet.find_text(".who-login", "ana.diaz").await;
    tablet.find(".report-form").await;
    tablet.find_text(".conn", "Live").await;
    report(&tablet, "process", "low", "clindoc", "Float pool badge list is out of date").await;
    tablet.find_text(".mine .issue", "Float pool badge list is out of date").await;
    assert!(!shows(&tablet, ".outbox").await, "nothing of trainer-07's waits in view");
    assert!(!tablet.find(".conn").await.text().await.unwrap().contains("waiting"));
    assert!(reports_of_trainer_07(&server).await.issues.is_empty(), "trainer-07's report was not sent");

    // Back in as trainer-07: the report goes out, once.
    tablet.click(".who button.sign-out").await;
    tablet.fill_sign_in(TESTER, TESTER_PASSWORD).await;
    tablet.find_text(".who-login", TESTER).await;
    tablet.goto(&format!("{base}/report")).await;
    tablet.find_text(".mine .issue", "Agency nurse has no Epic login yet").await;
    tablet.wait_gone(".conn", "waiting to send").await;
    let mine = reports_of_trainer_07(&server).await;
    assert_eq!(mine.issues.len(), 1, "delivered exactly once");
    assert_eq!(mine.issues[0].report.reporter.as_str(), TESTER);
    let hers: IssuesAt = server.http().get_json("/api/v1/reporters/ana.diaz/reports").await;
    assert_eq!(hers.issues.len(), 1, "only her own");
}

/// A wall opens its display link (`/display#TOKEN`): it lands on its facility's board with no
/// sign-in and no way to anything else, and the link is not left in the address bar.
#[tokio::test]
async fn a_wall_opens_its_display_link_onto_its_one_board() {
    let server = server().await;
    let driver = Chromedriver::start().await;
    let wall = open_wall(&driver, &server, json!({ "facility": "rmc" })).await;
    wall.find(".wall li.wall-facility[data-facility='rmc']").await;
    wall.find_text(".conn", "Live").await;
    assert_eq!(wall.path().await, "/board");
    assert!(!shows(&wall, "li.wall-facility[data-facility='lch']").await, "only its own facility");
    assert_eq!(screen_links(&wall).await, ["Board"]);
    wall.screenshot("board-display").await;
}

#[tokio::test]
async fn an_administrator_adds_an_account_that_signs_in_with_its_one_time_password_then_disables_it() {
    let server = server().await;
    let base = server.base();
    let driver = Chromedriver::start().await;
    let (admin, staff) = (driver.browser().await, driver.browser().await);
    admin.set_size(1280, 1024).await;
    admin.sign_in(&base, "admin", floorboard_tests::ADMIN_PASSWORD).await;
    assert_eq!(screen_links(&admin).await, ["Summary", "Accounts"], "an administrator's screens");
    admin.goto(&format!("{base}/accounts")).await;
    admin.find("tr[data-login='trainer-07']").await;
    let found = admin.client.execute(UNLABELLED, vec![]).await.unwrap();
    assert_eq!(found, serde_json::json!([]), "unlabelled controls on /accounts");

    // Command-center staff of the access queue, with a one-time password.
    admin.type_into(".add-account input[name='login']", "bo.chen").await;
    admin.type_into(".add-account input[name='name']", "Bo Chen").await;
    admin.click(".add-account input[name='role'][value='staff']").await;
    admin.click(".add-account input[name='queue'][value='it-access']").await;
    admin.click(".add-account button[type='submit']").await;
    let password = admin.find("code.one-time").await.text().await.expect("the one-time password");
    admin.find_text("tr[data-login='bo.chen']", "Command-center staff").await;
    admin.screenshot("accounts").await;
    let stored: Vec<floorboard_shared::access::Account> = server.admin().await.get_json("/api/v1/users").await;
    let bo = stored.iter().find(|a| a.login.as_str() == "bo.chen").expect("stored");
    assert_eq!((bo.roles.as_slice(), bo.queues.len()), ([Role::Staff].as_slice(), 1));

    // The new account signs in with it, onto its own screens.
    staff.sign_in(&base, "bo.chen", &password).await;
    staff.find_text(".who-login", "bo.chen").await;
    assert_eq!(screen_links(&staff).await, ["Report", "Queues", "Board", "Summary"]);
    staff.goto(&format!("{base}/queues")).await;
    staff.find_text(".conn", "Live").await;

    // A wall display's link, listed, then revoked.
    admin.select(".wall-display select[name='display-facility']", "rmc").await;
    admin.click(".wall-display button[type='submit']").await;
    let link = admin.find_text(".display-link code", "/display#").await.text().await.unwrap();
    admin.find_text(".walls li", "Riverbend Medical Center").await;
    let token = link.rsplit('#').next().unwrap().to_owned();
    let wall = Http::new(base.clone(), Some(token));
    assert!(wall.get("/api/v1/board?facility=rmc").await.status().is_success());
    admin.click(".walls li button.revoke").await;
    admin.find_text(".outcome", "Revoked").await;
    assert_eq!(wall.get("/api/v1/board?facility=rmc").await.status(), reqwest::StatusCode::UNAUTHORIZED);

    // Text that let patient data through: the staff member reads the issue's id off the
    // open issue and gives it to the administrator, whose redaction reaches that screen live.
    let report = draft("rmc-ed", Kind::Access, Severity::Low);
    server.client().await.submit(&report).await.unwrap();
    staff.click(".queue-chooser input[name='queue'][value='it-access']").await;
    staff.click(".issue-row button.issue-open").await;
    staff.find_text(".detail dd", &report.id.to_string()).await;
    admin.type_into(".redact input[name='redact-id']", &report.id.to_string()).await;
    admin.click(".redact button[type='submit']").await;
    admin.find_text(".outcome", "Redacted").await;
    staff.find_text(".detail h2", floorboard_shared::REDACTED).await;
    staff.find_text(".issue-row .summary", floorboard_shared::REDACTED).await;

    // Disabled: its session ends under it at once, and the screen says so.
    admin.click("tr[data-login='bo.chen'] button.toggle").await;
    admin.find_text("tr[data-login='bo.chen']", "Disabled").await;
    staff.find("form.signin").await;
    staff.find_text(".notice", "Your session ended").await;
    assert!(floorboard_tests::sign_in(&base, "bo.chen", &password).await.is_err(), "a disabled account cannot sign in");
}

#[tokio::test]
async fn a_tablet_on_a_link_that_passes_nothing_opens_from_the_device_says_so_and_delivers_once_it_passes() {
    let server = server().await;
    let link = floorboard_tests::proxy::Proxy::start(server.addr).await;
    let base = format!("http://{}", link.addr);
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;

    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.find_text(".conn", "Live").await;
    tablet.wait_until("return navigator.serviceWorker.controller !== null").await;
    report(&tablet, "access", "medium", "clindoc", "Agency nurse has no Epic login yet").await;
    tablet.find_text(".mine .issue", "Agency nurse has no Epic login yet").await;

    // The access point stays, its backhaul goes: connections open, nothing passes. A report
    // not acknowledged makes the tablet check the link at once, so it stops saying "Live".
    link.stall();
    report(&tablet, "training_gap", "low", "clindoc", "Float pool RN unsure how to find the MAR").await;
    tablet.find_text(".conn", "1 waiting to send").await;
    tablet.wait_gone(".conn-label", "Live").await;

    // A reload on the dead link: the page, who is signed in, the waiting report and "My
    // reports" with their last known statuses all come from the device.
    let reloaded = Instant::now();
    tablet.client.refresh().await.expect("reload");
    tablet.find(".report-form").await;
    let usable = reloaded.elapsed();
    tablet.find_text(".outbox", "Float pool RN unsure").await;
    tablet.find_text(".mine .issue", "Agency nurse has no Epic login yet").await;
    tablet.find(".mine .as-of").await;
    tablet.find_text(".conn", "1 waiting to send").await;
    assert!(!tablet.find(".conn-label").await.text().await.unwrap().contains("Live"));
    tablet.screenshot("report-dead-link").await;
    // Measured, not asserted: speed belongs to the benchmark, not to a test.
    println!("reload to a usable tablet on a link that passes nothing: {usable:?}");

    // The link passes again: the report goes out on the tablet's next tries, once. (The
    // connections it stalled stay dead: the browser's pooled ones are given up one by one.)
    link.unstall();
    let backoff = std::time::Duration::from_secs(60);
    tablet.find_text_within(".mine .issue", "Float pool RN unsure", backoff).await;
    tablet.wait_gone(".conn", "waiting to send").await;
    tablet.find_text(".conn", "Live").await;
    let mine = reports_of_trainer_07(&server).await;
    assert_eq!(mine.issues.len(), 2, "each report delivered exactly once");
    assert_eq!(mine.seq, 2, "two events: no duplicate was committed");
}

#[tokio::test]
async fn a_tablet_left_idle_locks_and_its_pin_opens_it_again() {
    let server = TestServer::spawn_with(|c| {
        c.web_dir = Some(web_dist());
        c.sessions.idle = std::time::Duration::from_secs(4);
    })
    .await;
    let base = server.base();
    let driver = Chromedriver::start().await;
    let tablet = driver.browser().await;
    tablet.set_size(800, 1280).await;
    sign_in_as_tester(&tablet, &base).await;
    check_in(&tablet, &base).await;
    tablet.type_into(".pin-offer input[name='new-pin']", "2468").await;
    tablet.click(".pin-offer button[type='submit']").await;
    tablet.wait_until("return document.querySelector('.pin-offer') === null").await;
    // A report half written when the tablet is put down.
    let half_written = "BCMA scanner beeps but the MAR does not";
    tablet.type_into(".report-form input[name='summary']", half_written).await;

    // Idle past the limit: the server locks the session, and the tablet shows the lock
    // screen, with nothing of the person's on it (their screen is hidden and inert).
    tablet.find("form.lock").await;
    tablet.find_text("form.lock", "Test Account (trainer-07) was idle").await;
    for css in [".mine", ".report-form"] {
        let shown = tablet.client.find_all(fantoccini::Locator::Css(css)).await.expect("find");
        for element in shown {
            assert!(!element.is_displayed().await.expect("displayed"), "{css} shows under the lock");
        }
    }
    tablet.screenshot("report-locked").await;
    tablet.type_into("form.lock input[name='pin']", "1357").await;
    tablet.click("form.lock button[type='submit']").await;
    tablet.find_text("#lock-problem", "wrong PIN").await;

    // The right PIN: back where it was, the same session.
    tablet.type_into("form.lock input[name='pin']", "2468").await;
    tablet.click("form.lock button[type='submit']").await;
    tablet.find(".report-form").await;
    tablet.find_text(".who-login", TESTER).await;
    assert_eq!(
        value(&tablet, ".report-form input[name='summary']").await.as_deref(),
        Some(half_written),
        "the draft survives the lock"
    );

    // Locked again, "not me": signed out, for whoever holds the tablet next.
    tablet.find("form.lock").await;
    tablet.click("form.lock button.not-me").await;
    tablet.find("form.signin").await;
    tablet.client.refresh().await.expect("reload");
    tablet.find("form.signin").await;
    assert!(!shows(&tablet, "form.lock").await, "signed out, not locked: a reload asks for a sign-in");
}

/// A PDF's pages: its page objects (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    regex::bytes::Regex::new(r"/Type\s*/Page[^s]").expect("a pattern").find_iter(pdf).count()
}

#[tokio::test]
async fn the_lead_sees_the_curve_opens_the_days_summary_from_the_board_prints_it_a_facility_a_page_and_exports_it() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let mut safety = draft("rmc-ed", Kind::Configuration, Severity::PatientSafety);
    safety.summary = "Heparin order set missing the weight-based dose row".into();
    // Two training gaps of one workflow on two units: the week's re-teach list.
    let reports = [
        safety,
        draft("rmc-4w", Kind::Access, Severity::Low),
        draft("sjh-ed", Kind::TrainingGap, Severity::High),
        draft("rmc-2n", Kind::TrainingGap, Severity::Low),
    ];
    for report in &reports {
        assert_eq!(server.http().post_json("/api/v1/reports", report).await.status(), 201);
    }
    let driver = Chromedriver::start().await;
    let lead = driver.browser().await;
    lead.set_size(1280, 900).await;
    sign_in_as_tester(&lead, &base).await;
    lead.goto(&format!("{base}/board")).await;
    // The curve since go-live, the whole go-live's and each facility's side by side.
    lead.wait_until(
        "const c = document.querySelectorAll('.curve-panel figure.curve svg'); return c.length === 6 \
         && c[0].getAttribute('aria-label').startsWith('All facilities: 4 open now');",
    )
    .await;
    lead.client.execute("document.querySelector('.curve-panel').scrollIntoView()", vec![]).await.expect("scrolls");
    lead.screenshot("board-curve").await;
    lead.click("a.summary-link").await;
    lead.find_text(".summary-page h1", "Daily floor support summary").await;
    // The whole go-live, then each of the five facilities.
    lead.wait_until(
        "const s = document.querySelectorAll('.summary-section:not(.reteach)'); return s.length === 6 \
         && s[0].querySelector('.summary-figures dd').textContent === '4';",
    )
    .await;
    lead.find_text(".reteach table", "Flowsheet row for pain score missing from RN template").await;
    lead.find_text(".summary-section table.briefs", "Heparin order set missing the weight-based dose row").await;
    lead.screenshot("summary").await;

    let pdf = lead.client.print(fantoccini::wd::PrintConfiguration::default()).await.expect("prints");
    std::fs::write(floorboard_tests::browser::artifacts_dir().join("summary-print.pdf"), &pdf).expect("kept");
    assert!(pdf_pages(&pdf) >= 6, "a facility a page: {} pages", pdf_pages(&pdf));

    // One facility: its section alone, and the CSV of the same.
    lead.select("select[name='facility']", "rmc").await;
    lead.wait_until(
        "const s = document.querySelectorAll('.summary-section:not(.reteach)'); return s.length === 1 \
         && s[0].querySelector('h2').textContent === 'Riverbend Medical Center' \
         && s[0].querySelector('.summary-figures dd').textContent === '3';",
    )
    .await;
    let csv = lead.find(".summary-bar a[download]").await.attr("href").await.expect("an attribute").expect("a link");
    assert!(csv.contains("facility=rmc") && csv.ends_with("format=csv"), "{csv}");
    let exported = server.http().get(&csv).await;
    assert_eq!(exported.status(), 200);
    let text = exported.text().await.expect("a body");
    assert!(text.lines().any(|l| l.trim_end() == "rmc,reported,,,,3"), "{text}");
}

/// A 1080p wall opened on the display link of a token the tester issues for `request`'s board.
async fn open_wall(driver: &Chromedriver, server: &TestServer, request: serde_json::Value) -> Browser {
    let issued = server.http().post_json("/api/v1/display-tokens", &request).await;
    let display: floorboard_shared::access::SessionInfo = issued.json().await.expect("a display session");
    let token = display.token.expect("its token");
    let wall = driver.browser().await;
    wall.set_size(1920, 1080).await;
    wall.goto(&format!("{}/display#{token}", server.base())).await;
    wall
}

/// The smallest computed font size, in CSS pixels, of the wall's names and numbers.
const SMALLEST_WALL_TEXT: &str = r#"
    const sizes = [...document.querySelectorAll('.wall .wall-name, .wall .wall-num, .wall h1, .wall-clock')]
        .map((e) => parseFloat(getComputedStyle(e).fontSize));
    return sizes.length > 0 ? Math.min(...sizes) : 0;
"#;

#[tokio::test]
async fn a_wall_puts_the_hottest_units_first_in_text_readable_across_the_room_at_1080p_and_2160p() {
    let server = server().await;
    let hot = [
        draft("rmc-ed", Kind::Configuration, Severity::PatientSafety),
        draft("rmc-ed", Kind::Access, Severity::High),
        draft("sjh-icu", Kind::TrainingGap, Severity::Low),
    ];
    for report in &hot {
        assert_eq!(server.http().post_json("/api/v1/reports", report).await.status(), 201);
    }
    let driver = Chromedriver::start().await;
    let wall = open_wall(&driver, &server, json!({})).await;
    // Hottest first: the ED with two open, one of them patient safety; then the ICU.
    wall.wait_until(
        "const u = [...document.querySelectorAll('.wall-hot li.wall-unit')].map((l) => l.dataset.unit); \
         return u.length === 2 && u[0] === 'rmc-ed' && u[1] === 'sjh-icu';",
    )
    .await;
    wall.wait_until(
        "const l = document.querySelector('.wall-safety-list'); \
         return l !== null && l.textContent.includes('Emergency Department');",
    )
    .await;
    wall.find(".wall-curve figure.curve svg").await;
    assert_eq!(
        wall.client.execute("return document.querySelectorAll('.wall-facility').length", vec![]).await.unwrap(),
        5
    );
    for (width, height, least) in [(1920, 1080, 28.0), (3840, 2160, 56.0)] {
        wall.set_size(width, height).await;
        wall.wait_until(&format!("return window.innerWidth > {} ;", width - 40)).await;
        let smallest = wall.client.execute(SMALLEST_WALL_TEXT, vec![]).await.unwrap().as_f64().expect("a size");
        assert!(smallest >= least, "at {width}x{height} the smallest name or number is {smallest} px");
        wall.screenshot(&format!("wall-{height}p")).await;
    }
}

#[tokio::test]
async fn a_note_being_typed_keeps_its_text_focus_and_the_open_issue_while_other_issues_change_live() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let first = draft("rmc-4w", Kind::Access, Severity::High);
    assert_eq!(server.http().post_json("/api/v1/reports", &first).await.status(), 201);
    let driver = Chromedriver::start().await;
    let queues = driver.browser().await;
    queues.set_size(1280, 900).await;
    sign_in_as_tester(&queues, &base).await;
    watch_queue(&queues, &base, "it-access").await;
    queues.find_text(".queue-list h1", "Open issues: 1").await;
    queues.click(".issues .issue-open").await;
    let typed = "Asked IT to re-pair the badge reader; waiting on the vendor";
    queues.type_into(".detail textarea", typed).await;

    // Other issues arrive and change in the same queue while the note is being written.
    let mut others = Vec::new();
    for unit in ["rmc-2n", "rmc-icu", "sjh-ed", "lch-picu", "rmc-ed"] {
        let d = draft(unit, Kind::Access, Severity::Medium);
        assert_eq!(server.http().post_json("/api/v1/reports", &d).await.status(), 201);
        others.push(d);
    }
    let change =
        floorboard_shared::protocol::StatusChange { status: Status::Acknowledged, note: None, resolution: None };
    let moved = server.http().post_json(&format!("/api/v1/reports/{}/status", others[0].id), &change).await;
    assert_eq!(moved.status(), 200);
    queues.find_text(".queue-list h1", "Open issues: 6").await;
    queues.find_text(".issues .issue-row .status-badge", "Acknowledged").await;

    let kept = queues
        .client
        .execute(
            "const t = document.querySelector('.detail textarea'); \
             return [t.value, document.activeElement === t, document.querySelector('#detail-title').textContent];",
            vec![],
        )
        .await
        .expect("reads the panel");
    assert_eq!(kept, json!([typed, true, first.summary]), "the note, its focus and the open issue survive");

    // A change to the open issue itself reaches the panel, and leaves the note alone too.
    let moved = server.http().post_json(&format!("/api/v1/reports/{}/status", first.id), &change).await;
    assert_eq!(moved.status(), 200);
    queues.find_text(".detail dd", "Acknowledged").await;
    assert_eq!(value(&queues, ".detail textarea").await.as_deref(), Some(typed));
}

#[tokio::test]
async fn staff_claim_an_issue_from_its_panel_and_let_it_go_and_every_watcher_sees_who_has_it() {
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let issue = draft("rmc-4w", Kind::Access, Severity::High);
    assert_eq!(server.http().post_json("/api/v1/reports", &issue).await.status(), 201);
    let driver = Chromedriver::start().await;
    let (mine, theirs) = (driver.browser().await, driver.browser().await);
    for queues in [&mine, &theirs] {
        sign_in_as_tester(queues, &base).await;
        watch_queue(queues, &base, "it-access").await;
    }
    mine.click(".issues .issue-open").await;
    let typed = "Called the badge vendor";
    mine.type_into(".detail textarea", typed).await;
    mine.click(".detail .assign-me").await;

    let assigned = format!("· {TESTER}");
    theirs.find_text(".issues .issue-row .meta", &assigned).await;
    mine.find_text(".issues .issue-row .meta", &assigned).await;
    mine.find(".detail .unassign").await;
    assert_eq!(value(&mine, ".detail textarea").await.as_deref(), Some(typed), "the note stays");
    let stored: floorboard_shared::Issue = server.http().get_json(&format!("/api/v1/reports/{}", issue.id)).await;
    assert_eq!(stored.assignee.as_ref().map(|a| a.as_str()), Some(TESTER));
    // The list shows everyone's, one's own or the unassigned; the panel stays open.
    let owner = ".queue-list select[name='owner']";
    mine.select(owner, "nobody").await;
    mine.find_text(".queue-list h1", "Open issues: 0").await;
    mine.select(owner, "me").await;
    mine.find_text(".queue-list h1", "Open issues: 1").await;
    mine.find(".detail .unassign").await;

    // Handing it to someone who cannot work it is refused, in words, and changes nothing.
    mine.type_into(".detail .hand-to input", "no-such-colleague").await;
    mine.click(".detail .hand-to button").await;
    mine.find_text(".detail .problem", "no-such-colleague").await;

    mine.click(".detail .unassign").await;
    theirs.wait_gone(".issues .issue-row .meta", &assigned).await;
    mine.find(".detail .assign-me").await;
    mine.find_text(".queue-list h1", "Open issues: 0").await;

    // Re-routed from the panel, the note saying why: it leaves the queue both watch.
    mine.select(".detail select[name='route']", "operations").await;
    mine.click(".detail .reroute button").await;
    theirs.find_text(".queue-list h1", "Open issues: 0").await;
    mine.find_text("#detail-title", "No longer open here").await;
    let stored: floorboard_shared::Issue = server.http().get_json(&format!("/api/v1/reports/{}", issue.id)).await;
    assert_eq!((stored.queues[0].as_str(), stored.note.as_deref()), ("operations", Some(typed)));
}
