//! Who may do what, at the edge: the role x action matrix over HTTP and over the websocket
//! (each denial a 403 `forbidden` or an `error` frame), no session (401), sockets closed
//! when their session ends, and the `Origin` and `Host` checks. The policy itself is
//! `floorboard_shared::access`, tested as a whole matrix there; this proves every route and
//! message asks it, with the right resource.

use floorboard_shared::access::{AccountSpec, Role};
use floorboard_shared::coverage::CheckInRequest;
use floorboard_shared::protocol::{ServerMsg, StatusChange, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, Kind, QueueId, ReporterId, Severity, Status, UnitId};
use floorboard_tests::{Account, Http, TESTER, TestServer, WsClient, draft, spec};
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The accounts of the matrix, one role each (and a scope where named).
async fn accounts(server: &TestServer) -> Vec<(&'static str, Account)> {
    let scoped =
        |roles: &[Role], facility: &str| AccountSpec { facility: Some(FacilityId::new(facility)), ..spec(roles) };
    vec![
        ("trainer of rmc", server.account("ana", scoped(&[Role::Trainer], "rmc")).await),
        (
            "staff of it-access",
            server.account("bo", AccountSpec { queues: vec![QueueId::new("it-access")], ..spec(&[Role::Staff]) }).await,
        ),
        ("lead", server.account("cy", spec(&[Role::Lead])).await),
        ("lead of lch", server.account("dee", scoped(&[Role::Lead], "lch")).await),
        ("viewer", server.account("ed", spec(&[Role::Viewer])).await),
        ("viewer of rmc", server.account("fay", scoped(&[Role::Viewer], "rmc")).await),
        ("admin", server.account("gus", spec(&[Role::Admin])).await),
    ]
}

/// Each HTTP action of the matrix, as a request by `http` (whose login is `login`);
/// `issue` is an access report at rmc-4w filed by the tester (routed to it-access only).
async fn http_action(column: usize, http: &Http, login: &str, issue: &str) -> reqwest::Response {
    match column {
        0 => http.post_json("/api/v1/reports", &draft("rmc-4w", Kind::Access, Severity::Low)).await,
        1 => http.get(&format!("/api/v1/reports/{issue}")).await,
        2 => {
            let change = StatusChange { status: Status::Acknowledged, note: None, resolution: None };
            http.post_json(&format!("/api/v1/reports/{issue}/status"), &change).await
        }
        3 => http.get("/api/v1/queues").await,
        4 => http.get("/api/v1/queues/it-access/issues").await,
        5 => http.get("/api/v1/queues/cc-lead/issues").await,
        6 => http.get("/api/v1/board").await,
        7 => http.get("/api/v1/board?facility=rmc").await,
        8 => http.get("/api/v1/board?facility=lch").await,
        9 => http.get("/api/v1/units/rmc-4w/issues").await,
        10 => http.get(&format!("/api/v1/reporters/{login}/reports")).await,
        11 => http.get(&format!("/api/v1/reporters/{TESTER}/reports")).await,
        12 => http.get("/api/v1/golive").await,
        13 => http.get("/api/v1/users").await,
        14 => http.get("/metrics").await,
        15 => http.post_json("/api/v1/check-ins", &CheckInRequest { unit: UnitId::new("rmc-4w") }).await,
        16 => http.get("/api/v1/coverage?facility=rmc").await,
        _ => unreachable!(),
    }
}

const HTTP_COLUMNS: [&str; 17] = [
    "submit",
    "read the issue",
    "move the issue",
    "list queues",
    "it-access issues",
    "cc-lead issues",
    "board",
    "board of rmc",
    "board of lch",
    "unit rmc-4w",
    "own reports",
    "tester's reports",
    "catalog",
    "accounts",
    "metrics",
    "check in",
    "coverage of rmc",
];

#[tokio::test]
async fn every_route_asks_the_policy_with_its_resource() {
    let server = TestServer::spawn().await;
    let rows: Vec<(&str, &str)> = vec![
        ("trainer of rmc", "Y.........Y.Y..Y."),
        ("staff of it-access", "YYYYY.YYY.Y.Y..YY"),
        ("lead", "YYYYYYYYYYYYY..YY"),
        ("lead of lch", "Y.......Y.YYY..Y."),
        ("viewer", "......YYY...Y...Y"),
        ("viewer of rmc", ".......Y....Y...Y"),
        ("admin", "............YYY.."),
    ];
    let accounts = accounts(&server).await;
    let mut wrong = Vec::new();
    for ((who, account), (row, expected)) in accounts.iter().zip(&rows) {
        assert_eq!(who, row);
        let expected: Vec<bool> = expected.chars().map(|c| c == 'Y').collect();
        assert_eq!(expected.len(), HTTP_COLUMNS.len(), "{who}");
        for (column, allowed) in expected.into_iter().enumerate() {
            // A fresh issue each time, so a status change is never refused for its status.
            let receipt = server.client().await.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await.unwrap();
            let response = http_action(column, &account.http(), &account.login, &receipt.id.to_string()).await;
            let status = response.status();
            let ok = if allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN
                    && response.json::<ErrorBody>().await.is_ok_and(|b| b.code == ErrorCode::Forbidden)
            };
            if !ok {
                wrong.push(format!(
                    "{who} / {}: expected {}, got {status}",
                    HTTP_COLUMNS[column],
                    if allowed { "2xx" } else { "403 forbidden" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells wrong:\n{}", wrong.len(), wrong.join("\n"));

    // Without a session, every route is 401 `unauthenticated`.
    let anonymous = server.anonymous();
    for (column, name) in HTTP_COLUMNS.iter().enumerate() {
        let response = http_action(column, &anonymous, "nobody", &uuid::Uuid::new_v4().to_string()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::Unauthenticated, "{name}");
    }
}

#[tokio::test]
async fn every_message_asks_the_policy_at_subscribe_and_submit() {
    let server = TestServer::spawn().await;
    let topics = |login: &str| {
        vec![
            Topic::Board { facility: None },
            Topic::Board { facility: Some(FacilityId::new("rmc")) },
            Topic::Queue { queue: QueueId::new("it-access") },
            Topic::Queue { queue: QueueId::new("cc-lead") },
            Topic::Mine { reporter: ReporterId::parse(login).unwrap() },
            Topic::Mine { reporter: ReporterId::parse(TESTER).unwrap() },
        ]
    };
    // Columns: the topics above, then a submission.
    let rows = [
        ("trainer of rmc", "....Y.Y"),
        ("staff of it-access", "YYY.Y.Y"),
        ("lead", "YYYYYYY"),
        ("lead of lch", "....YYY"),
        ("viewer", "YY....."),
        ("viewer of rmc", ".Y....."),
        ("admin", "......."),
    ];
    let mut wrong = Vec::new();
    for ((who, account), (row, expected)) in accounts(&server).await.iter().zip(rows) {
        assert_eq!(who, &row);
        let mut ws = account.client().await;
        let marks: Vec<bool> = expected.chars().map(|c| c == 'Y').collect();
        for (topic, allowed) in topics(&account.login).into_iter().zip(&marks) {
            let answer = ws.subscribe(topic.clone(), None).await;
            let ok = match answer {
                ServerMsg::Snapshot { .. } => *allowed,
                ServerMsg::Error(body) => !allowed && body.code == ErrorCode::Forbidden,
                _ => false,
            };
            if !ok {
                wrong.push(format!("{who} / subscribe {topic:?}"));
            }
        }
        let submitted = ws.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await;
        let ok = match submitted {
            Ok(_) => marks[6],
            Err(body) => !marks[6] && body.code == ErrorCode::Forbidden && body.id.is_some(),
        };
        if !ok {
            wrong.push(format!("{who} / submit"));
        }
    }
    assert!(wrong.is_empty(), "{} cells wrong:\n{}", wrong.len(), wrong.join("\n"));
}

/// The reporter of a report is the signed-in account, whatever the client writes; staff
/// of one queue cannot move another queue's issue, decided against the issue as stored.
#[tokio::test]
async fn the_reporter_is_the_signed_in_account_and_staff_act_only_on_their_queues() {
    let server = TestServer::spawn().await;
    let ana =
        server.account("ana", AccountSpec { facility: Some(FacilityId::new("rmc")), ..spec(&[Role::Trainer]) }).await;
    let mut report = draft("rmc-4w", Kind::Process, Severity::Low);
    report.reporter = "someone-else".into();
    let receipt = ana.client().await.submit(&report).await.unwrap();
    let issue: floorboard_shared::Issue = server.http().get_json(&format!("/api/v1/reports/{}", receipt.id)).await;
    assert_eq!(issue.report.reporter.as_str(), "ana");

    // The same id sent again by another account is not its report.
    let bo =
        server.account("bo", AccountSpec { queues: vec![QueueId::new("it-access")], ..spec(&[Role::Staff]) }).await;
    let err = bo.client().await.submit(&report).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::IdConflict);

    // A process report goes to operations: staff of it-access may not move it, a lead may,
    // and the live event names who did.
    let change = StatusChange { status: Status::Acknowledged, note: None, resolution: None };
    let path = format!("/api/v1/reports/{}/status", receipt.id);
    let response = bo.http().post_json(&path, &change).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let mut watcher = server.client().await;
    watcher.subscribe(Topic::Queue { queue: QueueId::new("operations") }, None).await;
    assert!(server.http().post_json(&path, &change).await.status().is_success());
    let ServerMsg::Event(event) = watcher.recv_until(|m| matches!(m, ServerMsg::Event(_))).await else {
        unreachable!()
    };
    assert_eq!(event.actor.as_ref().map(ReporterId::as_str), Some(TESTER));
}

#[tokio::test]
async fn sign_out_and_disabling_close_the_sessions_sockets() {
    let server = TestServer::spawn().await;
    let ana = server.account("ana", spec(&[Role::Trainer])).await;
    let mut first = ana.client().await;
    let mut second = ana.client().await;
    let mut other = server.client().await;
    let response = ana.http().request(reqwest::Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(response.status(), 204);
    for ws in [&mut first, &mut second] {
        let frame = ws.closed().await.expect("a close frame");
        assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Policy, "session ended"));
    }
    other.ping(1).await;

    // Disabling an account closes its sockets too, and a new upgrade is refused.
    let bo = server.account("bo", spec(&[Role::Trainer])).await;
    let mut ws = bo.client().await;
    let admin = server.admin().await;
    let disabled = AccountSpec { disabled: true, ..spec(&[Role::Trainer]) };
    assert_eq!(
        admin.request(reqwest::Method::PUT, "/api/v1/users/bo").json(&disabled).send().await.unwrap().status(),
        200
    );
    assert_eq!(ws.closed().await.expect("a close frame").code, CloseCode::Policy);
    let refused = tokio_tungstenite::connect_async(TestServer::upgrade_request(&server.ws_url(), &bo.token)).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("the upgrade was accepted")
    };
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn an_expired_session_is_refused_and_its_socket_closed() {
    let server = TestServer::spawn_with(|c| c.sessions.idle = std::time::Duration::from_secs(1)).await;
    let mut ws = server.client().await;
    // Nothing but pings (the app's heartbeat is not the person's activity) until it ends.
    let frame = ws.closed().await.expect("closed once idle");
    assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Policy, "session ended"));
    let response = server.http().get("/api/v1/sessions/current").await;
    assert_eq!(response.status(), 401);
}

/// A role's own limit (`--role-idle-minutes staff=...`) ends its people's sessions while
/// others' sessions, under everyone's limit, carry on.
#[tokio::test]
async fn a_roles_own_idle_limit_ends_its_sessions_and_no_one_elses() {
    let server = TestServer::spawn_with(|c| {
        c.sessions.idle_by_role.insert(Role::Staff, std::time::Duration::from_secs(1));
    })
    .await;
    let staff = server
        .account("cc-access-1", AccountSpec { queues: vec![QueueId::new("it-access")], ..spec(&[Role::Staff]) })
        .await;
    let mut staff_ws = staff.client().await;
    let mut trainer_ws = server.client().await;
    let frame = staff_ws.closed().await.expect("closed once idle");
    assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Policy, "session ended"));
    assert_eq!(staff.http().get("/api/v1/sessions/current").await.status(), 401);
    // The trainer's socket, open as long, still answers, and so does the session.
    trainer_ws.ping(1).await;
    assert_eq!(server.http().get("/api/v1/sessions/current").await.status(), 200);
}

/// With a PIN, an idle session locks instead of ending: its socket closes, its requests are
/// `session_locked`, the PIN (not a wrong one) opens it again as it was, five wrong PINs in
/// a row end it, and a locked session may sign out.
#[tokio::test]
async fn an_idle_session_with_a_pin_locks_and_its_pin_opens_it_again() {
    use floorboard_shared::access::{PinRequest, SessionInfo};
    let server = TestServer::spawn_with(|c| c.sessions.idle = std::time::Duration::from_secs(1)).await;
    let tablet = server.http();
    let pin = |pin: &str| PinRequest { pin: pin.into() };
    let put_pin = |p: PinRequest| tablet.request(reqwest::Method::PUT, "/api/v1/sessions/current/pin").json(&p).send();
    let refused = put_pin(pin("12a4")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<ErrorBody>().await.unwrap().field.as_deref(), Some("pin"));
    assert_eq!(put_pin(pin("2468")).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert!(tablet.get_json::<SessionInfo>("/api/v1/sessions/current").await.pin_set);

    let locks = || async {
        let mut ws = server.client().await;
        let frame = ws.closed().await.expect("closed once idle");
        assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Policy, "session ended"));
        let response = tablet.get("/api/v1/board").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.json::<ErrorBody>().await.unwrap().code, ErrorCode::SessionLocked);
    };
    let unlock = |p: &'static str| {
        let request = tablet.request(reqwest::Method::POST, "/api/v1/sessions/current/unlock").json(&pin(p));
        async move { request.send().await.unwrap() }
    };
    locks().await;
    let wrong = unlock("1357").await;
    assert_eq!(wrong.json::<ErrorBody>().await.unwrap().code, ErrorCode::BadCredentials);
    let opened = unlock("2468").await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.json::<SessionInfo>().await.unwrap().principal.login.as_str(), TESTER);
    assert!(tablet.get("/api/v1/board").await.status().is_success(), "open again, with the same token");

    // Five wrong PINs in a row end it: the right one no longer opens it.
    locks().await;
    for _ in 0..4 {
        assert_eq!(unlock("0000").await.json::<ErrorBody>().await.unwrap().code, ErrorCode::BadCredentials);
    }
    assert_eq!(unlock("0000").await.json::<ErrorBody>().await.unwrap().code, ErrorCode::Unauthenticated);
    assert_eq!(unlock("2468").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(tablet.get("/api/v1/board").await.json::<ErrorBody>().await.unwrap().code, ErrorCode::Unauthenticated);

    // A locked session signs out ("not me" on the lock screen).
    let ana = server.account("ana", spec(&[Role::Trainer])).await;
    let other = ana.http();
    assert_eq!(
        other
            .request(reqwest::Method::PUT, "/api/v1/sessions/current/pin")
            .json(&pin("1111"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let checked_in = other.post_json("/api/v1/check-ins", &CheckInRequest { unit: UnitId::new("rmc-4w") }).await;
    assert_eq!(checked_in.status(), StatusCode::CREATED);
    let mut ws = ana.client().await;
    ws.closed().await.expect("closed once idle");
    let out = other.request(reqwest::Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let lead = server.account("lee", spec(&[Role::Lead])).await.http();
    let coverage: floorboard_shared::coverage::Coverage = lead.get_json("/api/v1/coverage").await;
    assert_eq!(coverage.people(&UnitId::new("rmc-4w")), 0, "signing out of a locked session leaves the unit too");
    assert_eq!(
        other.post_json("/api/v1/sessions/current/unlock", &pin("1111")).await.json::<ErrorBody>().await.unwrap().code,
        ErrorCode::Unauthenticated
    );
}

/// A page on another site, a sandboxed page (`null`) and a browser upgrade without any
/// origin are refused before the upgrade; so is a host name the server does not answer to.
#[tokio::test]
async fn cross_site_null_and_missing_origins_and_foreign_hosts_are_refused() {
    let server = TestServer::spawn().await;
    let upgrade = |headers: &[(&'static str, String)]| {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(server.ws_url()).unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    let cookie = ("cookie", format!("floorboard_session={}", server.token));
    let same_origin = ("origin", format!("http://{}", server.addr));
    for (case, headers) in [
        ("cross-site", vec![cookie.clone(), ("origin", "https://evil.example".into())]),
        ("null", vec![cookie.clone(), ("origin", "null".into())]),
        ("missing origin with a cookie", vec![cookie.clone()]),
        ("foreign host", vec![cookie.clone(), same_origin.clone(), ("host", "evil.example".into())]),
    ] {
        let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = upgrade(&headers).await else {
            panic!("{case}: upgraded");
        };
        assert_eq!(response.status(), 403, "{case}");
        let body: ErrorBody = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
        assert_eq!(body.code, ErrorCode::UntrustedOrigin, "{case}");
    }
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = upgrade(std::slice::from_ref(&same_origin)).await
    else {
        panic!("no session: upgraded");
    };
    assert_eq!(response.status(), 401);
    // The page's own origin with its cookie, and a device's bearer token without an origin.
    assert!(upgrade(&[cookie.clone(), same_origin.clone()]).await.is_ok());
    assert!(upgrade(&[("authorization", format!("Bearer {}", server.token))]).await.is_ok());

    // Over HTTP: a foreign host is refused; a cross-site change made with the cookie is
    // refused, and so is a form's `text/plain` body.
    let client = reqwest::Client::new();
    let foreign = client.get(server.url("/api/v1/board")).header("host", "evil.example").send().await.unwrap();
    assert_eq!(foreign.status(), 403);
    let body = serde_json::to_string(&draft("rmc-4w", Kind::Access, Severity::Low)).unwrap();
    let cross_site = client
        .post(server.url("/api/v1/reports"))
        .header(cookie.0, &cookie.1)
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(cross_site.json::<ErrorBody>().await.unwrap().code, ErrorCode::UntrustedOrigin);
    let form = client
        .post(server.url("/api/v1/reports"))
        .header(cookie.0, &cookie.1)
        .header("origin", format!("http://{}", server.addr))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::spawn().await;
    for path in ["/api/v1/board", "/healthz", "/api/v1/sessions/current"] {
        let response = server.http().get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS without TLS");
        if path.starts_with("/api/") {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
}

/// A wall's display token reads its one board and nothing else, whatever its issuer may do;
/// only an administrator, or a lead for boards they see, issues one; a wall opens it into
/// the session cookie.
#[tokio::test]
async fn a_display_token_shows_its_one_board_and_nothing_else() {
    use floorboard_shared::access::SessionInfo;
    let server = TestServer::spawn().await;
    let issued = server.http().post_json("/api/v1/display-tokens", &serde_json::json!({ "facility": "rmc" })).await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let display: SessionInfo = issued.json().await.unwrap();
    let token = display.token.expect("the display's token, once");
    let wall = Http::new(server.base(), Some(token.clone()));
    assert!(wall.get("/api/v1/board?facility=rmc").await.status().is_success());
    assert!(wall.get("/api/v1/golive").await.status().is_success());
    for path in ["/api/v1/board", "/api/v1/board?facility=lch", "/api/v1/queues", "/api/v1/queues/it-access/issues"] {
        assert_eq!(wall.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let mut ws = WsClient::connect(&server.ws_url(), &token).await;
    assert!(matches!(
        ws.subscribe(Topic::Board { facility: Some(FacilityId::new("rmc")) }, None).await,
        ServerMsg::Snapshot { .. }
    ));
    let ServerMsg::Error(body) = ws.subscribe(Topic::Queue { queue: QueueId::new("it-access") }, None).await else {
        panic!("a queue for a display")
    };
    assert_eq!(body.code, ErrorCode::Forbidden);
    assert_eq!(ws.submit(&draft("rmc-4w", Kind::Access, Severity::Low)).await.unwrap_err().code, ErrorCode::Forbidden);

    // Who may issue one.
    let trainer = server.account("ana", spec(&[Role::Trainer])).await;
    let refused = trainer.http().post_json("/api/v1/display-tokens", &serde_json::json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = server.admin().await;
    assert_eq!(admin.post_json("/api/v1/display-tokens", &serde_json::json!({})).await.status(), StatusCode::CREATED);
    let unknown = admin.post_json("/api/v1/display-tokens", &serde_json::json!({ "facility": "nope" })).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Opened on the wall: the cookie is set for it; a person's token is not a display's.
    let opened = server.anonymous().post_json("/api/v1/sessions/display", &serde_json::json!({ "token": token })).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(opened.headers()["set-cookie"].to_str().unwrap().starts_with(&format!("floorboard_session={token};")));
    let person =
        server.anonymous().post_json("/api/v1/sessions/display", &serde_json::json!({ "token": server.token })).await;
    assert_eq!(person.status(), StatusCode::UNAUTHORIZED);
}

/// A display's token is listed (never the token itself) to administrators and to the lead
/// who issued it, and revoking it closes the wall's socket at once.
#[tokio::test]
async fn a_display_token_is_listed_to_its_issuer_and_administrators_and_revoked_closes_the_wall() {
    use floorboard_shared::access::{DisplayInfo, SessionInfo};
    let server = TestServer::spawn().await;
    let issued = server.http().post_json("/api/v1/display-tokens", &serde_json::json!({ "facility": "rmc" })).await;
    let token = issued.json::<SessionInfo>().await.unwrap().token.expect("the display's token, once");
    let other_lead = server.account("cy", spec(&[Role::Lead])).await.http();
    let theirs = other_lead.post_json("/api/v1/display-tokens", &serde_json::json!({})).await;
    assert_eq!(theirs.status(), StatusCode::CREATED);

    let admin = server.admin().await;
    let all: Vec<DisplayInfo> = admin.get_json("/api/v1/display-tokens").await;
    assert_eq!(all.len(), 2, "an administrator sees every wall");
    let mine: Vec<DisplayInfo> = server.http().get_json("/api/v1/display-tokens").await;
    assert_eq!(mine.len(), 1, "a lead sees their own");
    let wall = &mine[0];
    assert_eq!((wall.issued_by.as_str(), wall.facility.as_ref().map(FacilityId::as_str)), (TESTER, Some("rmc")));
    assert!(!wall.id.is_empty() && !token.contains(&wall.id), "the id tells nothing of the token");
    let listed = admin.get("/api/v1/display-tokens").await.text().await.unwrap();
    assert!(!listed.contains(&token), "never the token itself");
    let trainer = server.account("ana", spec(&[Role::Trainer])).await.http();
    assert_eq!(trainer.get("/api/v1/display-tokens").await.status(), StatusCode::FORBIDDEN);

    // Only the issuer or an administrator revokes it; an unknown id is 404.
    let path = format!("/api/v1/display-tokens/{}", wall.id);
    let refused = other_lead.request(reqwest::Method::DELETE, &path).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let unknown =
        admin.request(reqwest::Method::DELETE, "/api/v1/display-tokens/0123456789abcdef").send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let mut ws = WsClient::connect(&server.ws_url(), &token).await;
    ws.subscribe(Topic::Board { facility: Some(FacilityId::new("rmc")) }, None).await;
    let revoked = admin.request(reqwest::Method::DELETE, &path).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let close = ws.closed().await.expect("a close frame");
    assert_eq!((close.code, close.reason.as_str()), (CloseCode::Policy, "session ended"));
    let wall_http = Http::new(server.base(), Some(token));
    assert_eq!(wall_http.get("/api/v1/board?facility=rmc").await.status(), StatusCode::UNAUTHORIZED);
    let left: Vec<DisplayInfo> = admin.get_json("/api/v1/display-tokens").await;
    assert_eq!(left.len(), 1, "the other lead's wall remains");
}

/// CORS is off unless origins are configured: then those origins' pages may call the API
/// with a bearer token, and no other's.
#[tokio::test]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    let preflight = |server: &TestServer, origin: &'static str| {
        let request = reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, server.url("/api/v1/board"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization");
        async move { request.send().await.unwrap() }
    };
    let allowed = |response: &reqwest::Response| {
        response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
    };
    let plain = TestServer::spawn().await;
    assert_eq!(allowed(&preflight(&plain, "https://portal.example.org").await), None, "off by default");
    let board =
        plain.http().request(reqwest::Method::GET, "/api/v1/board").header("origin", "https://portal.example.org");
    assert_eq!(allowed(&board.send().await.unwrap()), None);

    let portal = TestServer::spawn_with(|c| c.origins = vec!["https://portal.example.org".into()]).await;
    let answer = preflight(&portal, "https://portal.example.org").await;
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(allowed(&answer).as_deref(), Some("https://portal.example.org"));
    let methods = answer.headers()["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
    assert!(methods.contains("GET") && methods.contains("POST"), "{methods}");
    assert_eq!(allowed(&preflight(&portal, "https://evil.example").await), None);
    let board =
        portal.http().request(reqwest::Method::GET, "/api/v1/board").header("origin", "https://portal.example.org");
    let answer = board.send().await.unwrap();
    assert!(answer.status().is_success());
    assert_eq!(allowed(&answer).as_deref(), Some("https://portal.example.org"));
}
