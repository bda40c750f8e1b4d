//! Test support: the real server on port 0 with its own data directory, and typed clients
//! for its websocket and HTTP API. Waits are on events, bounded by a generous timeout so a
//! broken build fails instead of hanging.

pub mod arbitrary;
pub mod browser;
pub mod proxy;
pub mod store;
pub mod tls;

pub use store::TestStore;
pub use tls::{http_client, test_tls, ws_connector};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use floorboard_server::Config;
use floorboard_shared::access::{AccountSpec, Role};
use floorboard_shared::protocol::{ClientMsg, Receipt, ServerMsg, Topic};
use floorboard_shared::{ErrorBody, GoLive, Kind, ReportDraft, ReportId, Severity};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// The first administrator's password on every test server (`FLOORBOARD_ADMIN_PASSWORD`).
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// The account a test server's `http()` and `client()` act as: a trainer who is also a lead,
/// so it may report, read every queue and board, and change statuses. Tests of who may do
/// what make accounts of one role each (`TestServer::account`).
pub const TESTER: &str = "trainer-07";
pub const TESTER_PASSWORD: &str = "password-of-trainer-07";

/// Signs in at `base` (an `http://host:port` or `https://`); the session's bearer token.
pub async fn sign_in(base: &str, login: &str, password: &str) -> Result<String, reqwest::Response> {
    let response = http_client()
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("POST /api/v1/sessions");
    if response.status() != 201 {
        return Err(response);
    }
    let info: floorboard_shared::access::SessionInfo = response.json().await.expect("a session");
    Ok(info.token.expect("a new session answers its token"))
}

/// Makes (or finds) an account at `base` as the first administrator, and signs in as it.
pub async fn provision(base: &str, login: &str, password: &str, spec: AccountSpec) -> String {
    let admin =
        sign_in(base, "admin", ADMIN_PASSWORD).await.unwrap_or_else(|r| panic!("admin signs in: {}", r.status()));
    let new = floorboard_shared::access::NewAccount { login: login.into(), spec, password: Some(password.into()) };
    let response = Http::new(base.into(), Some(admin)).post_json("/api/v1/users", &new).await;
    assert!(matches!(response.status().as_u16(), 201 | 409), "add {login}: {}", response.status());
    sign_in(base, login, password).await.unwrap_or_else(|r| panic!("{login} signs in: {}", r.status()))
}

/// A lead of every facility, as the store sees the principal of a status change.
pub fn lead() -> std::sync::Arc<floorboard_shared::access::Principal> {
    principal(TESTER, &[Role::Lead])
}

/// The principal of a signed-in `login` with `roles`, as the store sees who made a change.
pub fn principal(login: &str, roles: &[Role]) -> std::sync::Arc<floorboard_shared::access::Principal> {
    let account = spec(roles).account(floorboard_shared::ReporterId::parse(login).expect("a login"));
    std::sync::Arc::new(account.principal(floorboard_shared::access::Reach::Session))
}

/// What an account of `roles` is, with nothing else set.
pub fn spec(roles: &[Role]) -> AccountSpec {
    AccountSpec {
        name: "Test Account".into(),
        roles: roles.to_vec(),
        queues: vec![],
        facility: None,
        modules: vec![],
        disabled: false,
    }
}

/// The tester's account (`TESTER`) at `base`, signed in.
pub async fn provision_tester(base: &str) -> String {
    provision(base, TESTER, TESTER_PASSWORD, spec(&[Role::Trainer, Role::Lead])).await
}

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    /// `https` when the server speaks TLS itself (`Config::tls_config`, e.g. `test_tls()`).
    scheme: &'static str,
    /// The tester's session (`TESTER`).
    pub token: String,
    /// Where its data lives; spawn another server on it to restart.
    pub store: TestStore,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// A server on fresh storage with default settings.
    pub async fn spawn() -> TestServer {
        Self::spawn_with(|_| {}).await
    }

    /// A server on fresh storage, with settings adjusted by `tune`.
    pub async fn spawn_with(tune: impl FnOnce(&mut Config)) -> TestServer {
        Self::spawn_on(&TestStore::fresh().await, tune).await
    }

    /// A server on existing storage: a restart, or another node of the same go-live.
    pub async fn spawn_on(store: &TestStore, tune: impl FnOnce(&mut Config)) -> TestServer {
        Self::spawn_at("127.0.0.1:0".parse().expect("address"), store, tune).await
    }

    /// A server on a given address and storage: a restart that clients (browsers) find
    /// where they left it.
    pub async fn spawn_at(addr: SocketAddr, store: &TestStore, tune: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::new(store.data_dir(), GoLive::example());
        config.board_interval = Duration::from_millis(50);
        config.database_url = store.database_url();
        config.admin_password = Some(ADMIN_PASSWORD.into());
        if std::env::var_os("FLOORBOARD_TEST_TLS").is_some() {
            config.tls_config = Some(test_tls().server.clone());
        }
        tune(&mut config);
        let scheme = if config.tls_config.is_some() { "https" } else { "http" };
        let listener = TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(floorboard_server::run(config, listener, async move {
            let _ = stopped.await;
        }));
        let token = provision_tester(&format!("{scheme}://{addr}")).await;
        TestServer { addr, scheme, token, store: store.clone(), stop: Some(stop), task: Some(task) }
    }

    pub fn ws_url(&self) -> String {
        let scheme = if self.scheme == "https" { "wss" } else { "ws" };
        format!("{scheme}://{}/ws", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// A websocket client signed in as the tester.
    pub async fn client(&self) -> WsClient {
        WsClient::connect(&self.ws_url(), &self.token).await
    }

    /// An HTTP client signed in as the tester.
    pub fn http(&self) -> Http {
        Http::new(self.base(), Some(self.token.clone()))
    }

    /// An HTTP client signed in as the first administrator (accounts, `/metrics`, the API
    /// document).
    pub async fn admin(&self) -> Http {
        let token = sign_in(&self.base(), "admin", ADMIN_PASSWORD).await.expect("the administrator signs in");
        Http::new(self.base(), Some(token))
    }

    /// A websocket upgrade request to `url` signed in with `token`, to refuse or connect.
    pub fn upgrade_request(url: &str, token: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .expect("a websocket URL");
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("a header value"));
        request
    }

    /// An HTTP client with no session.
    pub fn anonymous(&self) -> Http {
        Http::new(self.base(), None)
    }

    /// Makes an account `login` of `spec` (password `password-of-LOGIN`) and signs in as it.
    pub async fn account(&self, login: &str, spec: AccountSpec) -> Account {
        let password = format!("password-of-{login}");
        let token = provision(&self.base(), login, &password, spec).await;
        Account { login: login.into(), token, http: Http::new(self.base(), None), ws_url: self.ws_url() }
    }

    /// Stops gracefully and waits until the server has finished.
    pub async fn stop(mut self) {
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        tokio::time::timeout(WAIT, task)
            .await
            .expect("server stops in time")
            .expect("server task")
            .expect("server ran");
    }
}

/// A signed-in account of a test server.
pub struct Account {
    pub login: String,
    pub token: String,
    http: Http,
    ws_url: String,
}

impl Account {
    /// An HTTP client with this account's session.
    pub fn http(&self) -> Http {
        Http::new(self.http.base.clone(), Some(self.token.clone()))
    }

    /// A websocket client with this account's session.
    pub async fn client(&self) -> WsClient {
        WsClient::connect(&self.ws_url, &self.token).await
    }
}

/// A websocket client speaking the protocol.
pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub head_seq: u64,
}

impl WsClient {
    /// Connects with the session `token` (a bearer token on the upgrade) and reads the `welcome`.
    pub async fn connect(url: &str, token: &str) -> WsClient {
        let request = TestServer::upgrade_request(url, token);
        let connect = tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(ws_connector()));
        let (stream, _) =
            tokio::time::timeout(WAIT, connect).await.expect("connect in time").expect("websocket connects");
        let mut client = WsClient { stream, head_seq: 0 };
        match client.recv().await {
            ServerMsg::Welcome { head_seq, .. } => client.head_seq = head_seq,
            other => panic!("expected welcome, got {other:?}"),
        }
        client
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(&serde_json::to_string(msg).expect("serialise")).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.stream.send(Message::text(text)).await.expect("send");
    }

    /// The next protocol message, skipping pings.
    pub async fn recv(&mut self) -> ServerMsg {
        loop {
            match self.next_frame().await {
                Message::Text(text) => {
                    return serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad server message {text}: {e}"));
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    /// The next websocket frame of any kind.
    pub async fn next_frame(&mut self) -> Message {
        tokio::time::timeout(WAIT, self.stream.next())
            .await
            .expect("a message in time")
            .expect("the connection is open")
            .expect("a well-formed frame")
    }

    /// Waits for the close frame, skipping anything before it.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            match tokio::time::timeout(WAIT, self.stream.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("connection failed instead of closing: {e}"),
                None => return None,
            }
        }
    }

    /// Skips messages until one matches.
    pub async fn recv_until(&mut self, mut wanted: impl FnMut(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.recv().await;
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// Submits and waits for this report's answer.
    pub async fn submit(&mut self, draft: &ReportDraft) -> Result<Receipt, ErrorBody> {
        self.send(&ClientMsg::Submit { report: draft.clone() }).await;
        let id = draft.id;
        match self.recv_until(|m| answers(m, id)).await {
            ServerMsg::Submitted(receipt) => Ok(receipt),
            ServerMsg::Error(body) => Err(body),
            _ => unreachable!(),
        }
    }

    /// The next error message.
    pub async fn error(&mut self) -> ErrorBody {
        match self.recv_until(|m| matches!(m, ServerMsg::Error(_))).await {
            ServerMsg::Error(body) => body,
            _ => unreachable!(),
        }
    }

    /// Subscribes and returns the first answer (snapshot, replayed event, or error).
    pub async fn subscribe(&mut self, topic: Topic, resume_from: Option<u64>) -> ServerMsg {
        self.send(&ClientMsg::Subscribe { topic, resume_from, digest: None }).await;
        self.recv_until(|m| !matches!(m, ServerMsg::BoardUpdate { .. })).await
    }

    /// Round-trips an application ping: proves the connection still works and that every
    /// message sent before it has been handled.
    pub async fn ping(&mut self, nonce: u64) {
        self.send(&ClientMsg::Ping { nonce }).await;
        self.recv_until(|m| matches!(m, ServerMsg::Pong { nonce: n } if *n == nonce)).await;
    }
}

/// Whether `msg` is the answer to submission `id`.
pub fn answers(msg: &ServerMsg, id: ReportId) -> bool {
    match msg {
        ServerMsg::Submitted(r) => r.id == id,
        ServerMsg::Error(e) => e.id == Some(id),
        _ => false,
    }
}

/// A typed client for the HTTP API, with a session's bearer token or none.
pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
}

impl Http {
    pub fn new(base: String, token: Option<String>) -> Http {
        Http { base, client: http_client(), token }
    }

    /// A request to `path` with the session's token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path).send().await.expect("GET")
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get(path).await;
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("JSON body")
    }

    pub async fn post_json(&self, path: &str, body: &impl serde::Serialize) -> reqwest::Response {
        self.request(reqwest::Method::POST, path).json(body).send().await.expect("POST")
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST")
    }
}

/// A valid report for the built-in go-live, about the system only.
pub fn draft(unit: &str, kind: Kind, severity: Severity) -> ReportDraft {
    let facility = unit.split('-').next().expect("unit ids start with their facility").to_owned();
    ReportDraft {
        id: ReportId(uuid::Uuid::new_v4()),
        facility,
        unit: unit.to_owned(),
        module: "clindoc".into(),
        kind,
        severity,
        summary: "Flowsheet row for pain score missing from RN template".into(),
        details: Some("Seen on two workstations after the 07:00 shift change.".into()),
        affected_role: Some("RN".into()),
        affected_users: 4,
        resolved_at_elbow: false,
        reporter: "trainer-07".into(),
        reported_at: time::OffsetDateTime::now_utc(),
    }
}

/// The `floorboard` binary, built by the test command before the tests run.
pub fn floorboard_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("FLOORBOARD_BIN") {
        return path.into();
    }
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/floorboard
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe.parent().and_then(Path::parent).expect("target layout").join("floorboard");
    assert!(bin.exists(), "{} is missing: run `cargo build --bin floorboard` first (scripts/test does)", bin.display());
    bin
}

/// A server in its own process, for crash tests.
pub struct ServerProcess {
    pub addr: SocketAddr,
    /// The tester's session (`TESTER`).
    pub token: String,
    child: tokio::process::Child,
}

impl ServerProcess {
    /// Starts `floorboard serve` on `store` and waits for it to listen.
    pub async fn start(store: &TestStore) -> ServerProcess {
        let mut command = tokio::process::Command::new(floorboard_bin());
        command.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(store.data_dir());
        if let Some(url) = store.database_url() {
            command.args(["--database-url", &url]);
        }
        let mut child = command
            .env("RUST_LOG", "info")
            .env("FLOORBOARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start floorboard");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.expect("read stderr") {
                if let Some(rest) = line.split("floorboard listening addr=").nth(1) {
                    return rest.trim().parse::<SocketAddr>().expect("address in the log");
                }
            }
            panic!("floorboard exited before listening");
        })
        .await
        .expect("listening in time");
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let token = provision_tester(&format!("http://{addr}")).await;
        ServerProcess { addr, token, child }
    }

    /// An HTTP client signed in as the tester.
    pub fn http(&self) -> Http {
        Http::new(format!("http://{}", self.addr), Some(self.token.clone()))
    }

    /// A websocket client signed in as the tester.
    pub async fn client(&self) -> WsClient {
        WsClient::connect(&self.ws_url(), &self.token).await
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL: no shutdown code runs.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("reap");
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running") as i32;
        std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill -TERM");
        tokio::time::timeout(WAIT, self.child.wait()).await.expect("exits in time").expect("exit status")
    }
}
