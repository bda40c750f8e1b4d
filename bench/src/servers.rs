//! The processes under test: Floorboard servers (`floorboard serve` on port 0, address read
//! from its log) and the reference hubs (`node ws_hub.js PORT`). Each is started by the
//! harness, so it knows its pid for CPU and memory, and is killed when dropped. Server logs
//! go to files in the output directory; they carry ids and counts, never report text.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, Command};

use crate::procfs::Usage;

const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The benchmark's administrator, scrape token and signed-in account on every Floorboard
/// node it starts. Its clients authenticate as a real deployment's devices do: a bearer token
/// on every upgrade, looked up in the session cache.
const ADMIN_PASSWORD: &str = "bench-admin-password";
const SCRAPE_TOKEN: &str = "bench-scrape-token";
const ACCOUNT: &str = "bench";
const ACCOUNT_PASSWORD: &str = "bench-account-password";

/// A reference hub from `shared/peers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// uWebSockets.js.
    Uws,
    /// Node with the `ws` package.
    NodeWs,
}

impl Peer {
    pub const ALL: [Peer; 2] = [Peer::Uws, Peer::NodeWs];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Uws => "uWebSockets.js",
            Peer::NodeWs => "Node ws",
        }
    }

    fn script(self) -> &'static str {
        match self {
            Peer::Uws => "uws_hub.js",
            Peer::NodeWs => "ws_hub.js",
        }
    }
}

/// Makes the benchmark's account on the node at `addr` (or finds it, made by another node of
/// the same database) and signs it in: its bearer token.
async fn sign_in_account(addr: SocketAddr) -> anyhow::Result<Arc<str>> {
    use floorboard_shared::access::{AccountSpec, NewAccount, Role, SessionInfo, SignIn};
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let sign_in = |login: &str, password: &str| {
        let request = SignIn { login: login.into(), password: password.into() };
        let response = http.post(format!("{base}/api/v1/sessions")).json(&request).send();
        async move {
            let info: SessionInfo = response.await?.error_for_status()?.json().await?;
            info.token.context("no token in the session")
        }
    };
    let admin = sign_in("admin", ADMIN_PASSWORD).await?;
    let spec = AccountSpec {
        name: "Benchmark".into(),
        roles: vec![Role::Trainer, Role::Lead],
        queues: vec![],
        facility: None,
        modules: vec![],
        disabled: false,
    };
    let new = NewAccount { login: ACCOUNT.into(), spec, password: Some(ACCOUNT_PASSWORD.into()) };
    let added = http.post(format!("{base}/api/v1/users")).bearer_auth(&admin).json(&new).send().await?;
    if !matches!(added.status().as_u16(), 201 | 409) {
        bail!("cannot make the benchmark's account: {}", added.status());
    }
    Ok(sign_in(ACCOUNT, ACCOUNT_PASSWORD).await?.into())
}

/// How to run one Floorboard node.
#[derive(Debug, Clone)]
pub struct Serve {
    pub board_interval_ms: u64,
    pub max_connections: usize,
    /// PostgreSQL instead of SQLite in a fresh data directory.
    pub database_url: Option<String>,
}

impl Default for Serve {
    fn default() -> Self {
        Serve { board_interval_ms: 250, max_connections: 19_500, database_url: None }
    }
}

/// A running server under test.
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    pub pid: u32,
    /// Floorboard's session for the benchmark's clients (a trainer and lead, who may report
    /// and follow every queue and board); `None` for the reference hubs.
    pub token: Option<Arc<str>>,
    child: Child,
    log: PathBuf,
    _data: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `floorboard serve` and waits until it listens.
    pub async fn floorboard(bin: &Path, serve: &Serve, log: PathBuf) -> anyhow::Result<Server> {
        let data = tempfile::Builder::new().prefix("floorboard-bench-").tempdir()?;
        let mut command = Command::new(bin);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--web-dir", "none", "--data-dir"])
            .arg(data.path())
            .args(["--board-interval-ms", &serve.board_interval_ms.to_string()])
            .args(["--max-connections", &serve.max_connections.to_string()])
            .env("RUST_LOG", "info")
            .env("FLOORBOARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("FLOORBOARD_SCRAPE_TOKEN", SCRAPE_TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(url) = &serve.database_url {
            command.args(["--database-url", url]);
        }
        let mut child =
            command.kill_on_drop(true).spawn().with_context(|| format!("cannot start {}", bin.display()))?;
        let lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
        let addr = wait_for_line(lines, log.clone(), |line| {
            line.split("floorboard listening addr=").nth(1).and_then(|rest| rest.trim().parse().ok())
        })
        .await
        .context("floorboard did not start listening")?;
        let pid = child.id().context("floorboard exited")?;
        let token = Some(sign_in_account(addr).await.context("cannot sign the benchmark's account in")?);
        Ok(Server { name: "Floorboard".into(), addr, pid, token, child, log, _data: Some(data) })
    }

    /// Starts a reference hub from `peers_dir` (with its node_modules) on a free port.
    pub async fn peer(peer: Peer, peers_dir: &Path, log: PathBuf) -> anyhow::Result<Server> {
        let port = free_port()?;
        let mut child = Command::new("node")
            .arg(peers_dir.join(peer.script()))
            .arg(port.to_string())
            .current_dir(peers_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start node")?;
        let lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        wait_for_line(lines, log.clone(), |line| line.contains("hub on").then_some(()))
            .await
            .with_context(|| format!("{} did not start listening", peer.name()))?;
        let pid = child.id().context("peer exited")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Ok(Server { name: peer.name().into(), addr, pid, token: None, child, log, _data: None })
    }

    pub fn usage(&self) -> anyhow::Result<Usage> {
        Usage::of(self.pid)
    }

    /// Prometheus text from Floorboard's `/metrics`.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        let request = reqwest::Client::new().get(format!("http://{}/metrics", self.addr)).bearer_auth(SCRAPE_TOKEN);
        Ok(request.send().await?.error_for_status()?.text().await?)
    }

    /// Keeps Floorboard's final metrics next to its log, then kills the process and waits.
    pub async fn stop(mut self) {
        if self._data.is_some()
            && let Ok(metrics) = self.metrics().await
        {
            let _ = std::fs::write(self.log.with_extension("prom"), metrics);
        }
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Reads the process's output until `found` recognises a line, then keeps copying the rest
/// into `log` in the background so the process never blocks on a full pipe.
async fn wait_for_line<R, T>(
    mut lines: Lines<BufReader<R>>,
    log: PathBuf,
    found: impl Fn(&str) -> Option<T>,
) -> anyhow::Result<T>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut file = tokio::fs::File::create(&log).await.with_context(|| format!("cannot write {}", log.display()))?;
    let result = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            file.write_all(format!("{line}\n").as_bytes()).await?;
            if let Some(value) = found(&line) {
                return Ok(value);
            }
        }
        bail!("the process exited (see {})", log.display())
    })
    .await
    .context("timed out waiting for the process to listen")??;
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
        }
    });
    Ok(result)
}

/// A port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Sum and count of a Prometheus histogram, for its mean.
pub fn histogram_mean(metrics: &str, name: &str) -> Option<f64> {
    let value = |suffix: &str| {
        let key = format!("{name}{suffix}");
        metrics
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key.as_str()))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
    };
    let (sum, count) = (value("_sum")?, value("_count")?);
    (count > 0.0).then(|| sum / count)
}

/// The sum of a Prometheus counter over all its label sets.
pub fn counter_total(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |sum, v| sum + v)
}
