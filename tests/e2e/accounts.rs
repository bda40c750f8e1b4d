//! Named accounts: signing in and out, sessions, throttling, administrators managing
//! accounts over HTTP and from the command line, the first administrator.

use std::time::Duration;

use floorboard_shared::access::{AccountIssued, AccountSpec, NewAccount, Role, SessionInfo};
use floorboard_shared::{ErrorBody, ErrorCode};
use floorboard_tests::{
    ADMIN_PASSWORD, Http, TESTER, TESTER_PASSWORD, TestServer, WAIT, floorboard_bin, sign_in, spec,
};
use reqwest::StatusCode;

async fn error_of(response: reqwest::Response) -> (StatusCode, ErrorBody) {
    let status = response.status();
    (status, response.json().await.expect("an error body"))
}

/// Waits until `http`'s session is refused: a change made elsewhere reaches this node.
async fn until_signed_out(http: &Http) {
    tokio::time::timeout(WAIT, async {
        while http.get("/api/v1/sessions/current").await.status() != 401 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the session ends in time");
}

#[tokio::test]
async fn signing_in_answers_a_token_and_sets_a_strict_http_only_cookie_until_sign_out() {
    let server = TestServer::spawn().await;
    let response = server
        .anonymous()
        .post_json("/api/v1/sessions", &serde_json::json!({ "login": "Trainer-07 ", "password": TESTER_PASSWORD }))
        .await;
    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let info: SessionInfo = response.json().await.unwrap();
    let token = info.token.expect("the token, once");
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert_eq!(cookie, format!("floorboard_session={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"));
    assert_eq!(info.principal.login.as_str(), TESTER);
    assert_eq!(info.principal.roles, vec![Role::Trainer, Role::Lead]);

    // The bearer token and the cookie open the same session.
    let bearer = Http::new(server.base(), Some(token.clone()));
    let current: SessionInfo = bearer.get_json("/api/v1/sessions/current").await;
    assert_eq!((current.principal.login.as_str(), current.token), (TESTER, None));
    let by_cookie = server
        .anonymous()
        .client
        .get(server.url("/api/v1/sessions/current"))
        .header("cookie", format!("floorboard_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);

    let signed_out = bearer.request(reqwest::Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(signed_out.status(), 204);
    assert!(signed_out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (status, body) = error_of(bearer.get("/api/v1/sessions/current").await).await;
    assert_eq!((status, body.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated));
    let (status, _) = error_of(server.anonymous().get("/api/v1/sessions/current").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_refusal() {
    let server = TestServer::spawn().await;
    let wrong_password = sign_in(&server.base(), TESTER, "not-the-password").await.unwrap_err();
    let unknown_login = sign_in(&server.base(), "nobody", "not-the-password").await.unwrap_err();
    let (a, b) = (error_of(wrong_password).await, error_of(unknown_login).await);
    assert_eq!(a, b);
    assert_eq!((a.0, a.1.code), (StatusCode::UNAUTHORIZED, ErrorCode::BadCredentials));
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_after_repeated_failures() {
    let server = TestServer::spawn().await;
    server.account("ana.diaz", spec(&[Role::Trainer])).await;
    for _ in 0..floorboard_server::auth::FREE_FAILURES {
        let (status, _) = error_of(sign_in(&server.base(), TESTER, "wrong-password!").await.unwrap_err()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, and says how long.
    let (status, body) = error_of(sign_in(&server.base(), TESTER, TESTER_PASSWORD).await.unwrap_err()).await;
    assert_eq!((status, body.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts));
    assert!(body.message.contains("try again in"), "{}", body.message);
    // Another account from the same address is not held up.
    sign_in(&server.base(), "ana.diaz", "password-of-ana.diaz").await.expect("another account signs in");
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_and_tokens_only_as_their_hash() {
    let server = TestServer::spawn().await;
    let accounts = server.store.accounts().await;
    let stored = accounts.user(TESTER).await.unwrap().expect("the tester's account");
    assert!(stored.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", stored.password_hash);
    let hash = floorboard_server::auth::secret::token_hash(&server.token);
    assert!(accounts.session(&hash).await.unwrap().is_some(), "stored by its hash");
    assert!(accounts.session(&server.token).await.unwrap().is_none(), "never as itself");
}

#[tokio::test]
async fn administrators_manage_accounts_and_nobody_else_may() {
    let server = TestServer::spawn().await;
    let admin = Http::new(server.base(), Some(sign_in(&server.base(), "admin", ADMIN_PASSWORD).await.unwrap()));
    let new = NewAccount {
        login: "Bo.Chen".into(),
        spec: AccountSpec { queues: vec!["it-access".into()], ..spec(&[Role::Staff]) },
        password: None,
    };
    let response = admin.post_json("/api/v1/users", &new).await;
    assert_eq!(response.status(), 201);
    let issued: AccountIssued = response.json().await.unwrap();
    assert_eq!(issued.account.login.as_str(), "bo.chen", "logins are lower case");
    let one_time = issued.one_time_password.expect("a one-time password, shown once");
    let bo = Http::new(server.base(), Some(sign_in(&server.base(), "bo.chen", &one_time).await.unwrap()));

    // The same login again, a staff account without a queue, a queue not in the go-live.
    let (status, body) = error_of(admin.post_json("/api/v1/users", &new).await).await;
    assert_eq!(
        (status, body.code, body.field.as_deref()),
        (StatusCode::CONFLICT, ErrorCode::IdConflict, Some("login"))
    );
    let no_queue = NewAccount { login: "x".into(), spec: spec(&[Role::Staff]), password: None };
    let (status, body) = error_of(admin.post_json("/api/v1/users", &no_queue).await).await;
    assert_eq!((status, body.field.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("queues")));
    let bad_queue = NewAccount {
        login: "x".into(),
        spec: AccountSpec { queues: vec!["nope".into()], ..spec(&[Role::Staff]) },
        password: None,
    };
    let (_, body) = error_of(admin.post_json("/api/v1/users", &bad_queue).await).await;
    assert_eq!(body.code, ErrorCode::UnknownQueue);

    // Nobody but an administrator reads or writes accounts.
    for http in [&bo, &server.http()] {
        let (status, body) = error_of(http.get("/api/v1/users").await).await;
        assert_eq!((status, body.code), (StatusCode::FORBIDDEN, ErrorCode::Forbidden));
        let (status, _) = error_of(http.post_json("/api/v1/users", &no_queue).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = error_of(server.anonymous().get("/api/v1/users").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Disabling ends the account's sessions at once, and it cannot sign in again.
    let disabled = AccountSpec { disabled: true, ..new.spec.clone() };
    let response = admin.request(reqwest::Method::PUT, "/api/v1/users/bo.chen").json(&disabled).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(bo.get("/api/v1/sessions/current").await.status(), 401);
    let (status, _) = error_of(sign_in(&server.base(), "bo.chen", &one_time).await.unwrap_err()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let listed: Vec<floorboard_shared::access::Account> = admin.get_json("/api/v1/users").await;
    let logins: Vec<(&str, bool)> = listed.iter().map(|a| (a.login.as_str(), a.disabled)).collect();
    assert_eq!(logins, vec![("admin", false), ("bo.chen", true), (TESTER, false)]);

    // A reset password ends the sessions too, and the new one-time password signs in.
    let tester_before = server.http();
    let response = admin.post_json(&format!("/api/v1/users/{TESTER}/password"), &serde_json::json!({})).await;
    let reset: AccountIssued = response.json().await.unwrap();
    assert_eq!(tester_before.get("/api/v1/sessions/current").await.status(), 401);
    sign_in(&server.base(), TESTER, &reset.one_time_password.unwrap()).await.expect("the new password");
}

#[tokio::test]
async fn the_last_administrator_cannot_be_disabled_or_lose_the_role() {
    let server = TestServer::spawn().await;
    let admin = Http::new(server.base(), Some(sign_in(&server.base(), "admin", ADMIN_PASSWORD).await.unwrap()));
    for spec in [AccountSpec { disabled: true, ..spec(&[Role::Admin]) }, spec(&[Role::Lead])] {
        let response = admin.request(reqwest::Method::PUT, "/api/v1/users/admin").json(&spec).send().await.unwrap();
        let (status, body) = error_of(response).await;
        assert_eq!((status, body.field.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("roles")));
    }
    assert_eq!(admin.get("/api/v1/users").await.status(), 200, "still signed in");
}

/// Runs `floorboard user ARGS` on `store` with `stdin`: whether it succeeded, and what it printed.
async fn user_command(store: &floorboard_tests::TestStore, args: &[&str], stdin: &str) -> (bool, String) {
    let mut command = tokio::process::Command::new(floorboard_bin());
    command.arg("user").args(args).arg("--data-dir").arg(store.data_dir());
    if let Some(url) = store.database_url() {
        command.args(["--database-url", &url]);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("floorboard user");
    tokio::io::AsyncWriteExt::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).await.unwrap();
    let output = tokio::time::timeout(WAIT, child.wait_with_output()).await.expect("in time").unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `floorboard user` beside a running server, on its data directory or database: a new
/// account signs in at once; a disabled one's session ends within the follower's poll.
#[tokio::test]
async fn the_user_command_works_beside_a_running_server() {
    let server = TestServer::spawn().await;
    let add = ["add", "ana.diaz", "--role", "trainer", "--facility", "rmc", "--module", "clindoc", "--password-stdin"];
    let (ok, out) = user_command(&server.store, &add, "a-long-password\n").await;
    assert!(ok, "{out}");
    let ana = Http::new(server.base(), Some(sign_in(&server.base(), "ana.diaz", "a-long-password").await.unwrap()));
    let me: SessionInfo = ana.get_json("/api/v1/sessions/current").await;
    assert_eq!((me.principal.facility.unwrap().as_str(), me.principal.modules[0].as_str()), ("rmc", "clindoc"));

    let (ok, out) = user_command(&server.store, &["disable", "ana.diaz"], "").await;
    assert!(ok && out.contains("disabled ana.diaz"), "{out}");
    until_signed_out(&ana).await;

    // An import adds every row or none.
    let dir = tempfile::TempDir::new().unwrap();
    let csv = dir.path().join("accounts.csv");
    std::fs::write(
        &csv,
        "Name,Login,Roles,Queues,Facility,Modules\nCy Park,cy.park,staff,it-access,,\nDee Ray,dee,lead,,rmc,\n",
    )
    .unwrap();
    let (ok, out) = user_command(&server.store, &["import", csv.to_str().unwrap()], "").await;
    assert!(ok, "{out}");
    let passwords: Vec<(String, String)> =
        out.lines().skip(1).filter_map(|l| l.split_once(',').map(|(a, b)| (a.to_owned(), b.to_owned()))).collect();
    assert_eq!(passwords.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["cy.park", "dee"]);
    sign_in(&server.base(), "dee", &passwords[1].1).await.expect("an imported account signs in");
    std::fs::write(&csv, "name,login,roles\nEd,ed,trainer\nFay,fay,wizard\n").unwrap();
    let (ok, _) = user_command(&server.store, &["import", csv.to_str().unwrap()], "").await;
    assert!(!ok, "a row at fault");
    assert!(sign_in(&server.base(), "ed", "whatever-password").await.is_err());
    assert!(server.store.accounts().await.user("ed").await.unwrap().is_none(), "nothing added");
}

/// The first start makes the administrator with a one-time password printed once, on the
/// console; the next start prints nothing.
#[tokio::test]
async fn the_first_start_prints_a_one_time_administrator_password_once() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::TempDir::new().unwrap();
    let start = || async {
        let mut child = tokio::process::Command::new(floorboard_bin())
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env_remove("FLOORBOARD_ADMIN_PASSWORD")
            .env_remove("FLOORBOARD_DATABASE_URL")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let (mut password, mut addr) = (None, None);
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split("One-time password: ").nth(1) {
                    password = Some(rest.trim().to_owned());
                }
                if let Some(rest) = line.split("floorboard listening addr=").nth(1) {
                    addr = Some(rest.trim().to_owned());
                    return;
                }
            }
        })
        .await
        .expect("listening in time");
        (child, password, addr.expect("an address"))
    };
    let (mut first, password, addr) = start().await;
    let password = password.expect("a one-time password on first start");
    sign_in(&format!("http://{addr}"), "admin", &password).await.expect("it signs the administrator in");
    first.kill().await.unwrap();
    let (mut second, again, _) = start().await;
    assert_eq!(again, None, "shown once");
    second.kill().await.unwrap();
}
