//! Runtime configuration: where data lives, which go-live is served, and the knobs of the
//! hub. The go-live comes from a TOML file (`--config`) or the built-in example.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use floorboard_shared::GoLive;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub golive: Arc<GoLive>,
    /// At most one board update per board per interval.
    pub board_interval: Duration,
    /// How many recent events the hub keeps for resuming clients.
    pub replay_window: usize,
    /// How many events a connection may fall behind the live stream before it is resynced.
    pub fanout_buffer: usize,
    /// Open websocket connections at most; more are refused with 503.
    pub max_connections: usize,
    /// Websocket ping interval; a peer silent for three intervals is disconnected.
    pub heartbeat: Duration,
    /// Most commands in one group commit.
    pub max_batch: usize,
    /// A client that cannot take one message in this long is disconnected.
    pub send_timeout: Duration,
    /// The built front end (`scripts/build-web`); `None` serves the API only.
    pub web_dir: Option<PathBuf>,
    /// A `postgres://` URL: share one PostgreSQL with other nodes instead of SQLite.
    pub database_url: Option<String>,
    /// Connections this node keeps to PostgreSQL.
    pub db_pool_size: u32,
    /// The first administrator's password, used only when there is no account at all; without
    /// it a one-time password is made and printed once.
    pub admin_password: Option<String>,
    /// How long sessions last.
    pub sessions: crate::auth::SessionLimits,
    /// The server's own TLS (`--tls-cert`, `--tls-key`); `None` listens in plain TCP.
    pub tls_config: Option<Arc<rustls::ServerConfig>>,
    /// Whether a TLS-terminating proxy stands in front: a client's address is the last
    /// `X-Forwarded-For` entry.
    pub behind_proxy: bool,
    /// Host names the server answers to besides IP addresses and `localhost` (`http::edge`).
    pub hosts: Vec<String>,
    /// Origins besides the server's own whose pages may use it (`http::edge`).
    pub origins: Vec<String>,
    /// A bearer token that reads `/metrics` and the API document (a Prometheus scraper);
    /// otherwise an administrator's session does.
    pub scrape_token: Option<String>,
}

impl Config {
    /// Defaults suited to one go-live on one machine.
    pub fn new(data_dir: impl Into<PathBuf>, golive: GoLive) -> Config {
        Config {
            data_dir: data_dir.into(),
            golive: Arc::new(golive),
            board_interval: Duration::from_millis(250),
            replay_window: 10_000,
            fanout_buffer: 4_096,
            max_connections: 19_000,
            heartbeat: Duration::from_secs(30),
            max_batch: 1_024,
            send_timeout: Duration::from_secs(10),
            web_dir: None,
            database_url: None,
            db_pool_size: 10,
            admin_password: None,
            sessions: crate::auth::SessionLimits::default(),
            tls_config: None,
            behind_proxy: false,
            hosts: Vec::new(),
            origins: Vec::new(),
            scrape_token: None,
        }
    }
}

impl Config {
    /// Whether clients reach the server over TLS, its own or a proxy's: the session cookie
    /// is then marked `Secure` and answers carry HSTS.
    pub fn over_tls(&self) -> bool {
        self.tls_config.is_some() || self.behind_proxy
    }
}

/// Reads a go-live TOML file. Unknown keys and dangling references are refused with a
/// message naming the file and the fault.
pub fn load_golive(path: &Path) -> anyhow::Result<GoLive> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read go-live file {}", path.display()))?;
    parse_golive(&text).with_context(|| format!("go-live file {} is not valid", path.display()))
}

pub fn parse_golive(text: &str) -> anyhow::Result<GoLive> {
    Ok(toml::from_str(text)?)
}

/// The built-in go-live as TOML, a starting point for a real one.
#[allow(clippy::expect_used, reason = "the built-in go-live is a constant, serialised in a unit test")]
pub fn example_golive_toml() -> String {
    toml::to_string(GoLive::example().spec()).expect("the example go-live serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_round_trips_through_toml() {
        let parsed = parse_golive(&example_golive_toml()).unwrap();
        assert_eq!(parsed, GoLive::example());
    }

    #[test]
    fn unknown_keys_stop_start_up_with_their_name() {
        let text = example_golive_toml().replacen("name = ", "colour = \"blue\"\nname = ", 1);
        let err = format!("{:#}", parse_golive(&text).unwrap_err());
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn a_rule_naming_a_missing_queue_stops_start_up() {
        let text = example_golive_toml().replacen("queue = \"it-access\"", "queue = \"it-acess\"", 1);
        let err = format!("{:#}", parse_golive(&text).unwrap_err());
        assert!(err.contains("names queue `it-acess`, which is not defined"), "{err}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = format!("{:#}", load_golive(Path::new("/nonexistent/golive.toml")).unwrap_err());
        assert!(err.contains("/nonexistent/golive.toml"), "{err}");
    }
}
