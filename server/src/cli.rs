//! The command line: `floorboard [serve]`, `floorboard simulate`, `floorboard example-config`,
//! `floorboard user`.
//! Every `serve` flag can also be set by an environment variable with the `FLOORBOARD_` prefix.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use floorboard_shared::access::Role;

use crate::config::{Config, load_golive};
use crate::simulate::SimulateArgs;

#[derive(Debug, Parser)]
#[command(
    name = "floorboard",
    version,
    about = "Real-time command center for EHR go-lives",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the websocket and the front end (the default).
    Serve(ServeArgs),
    /// Drive a running server with realistic go-live traffic, as a protocol client.
    Simulate(SimulateArgs),
    /// Print the built-in go-live as TOML, a starting point for `--config`.
    ExampleConfig,
    /// Manage accounts: add, list, disable, enable, reset-password, import.
    User(crate::admin_commands::UserArgs),
    /// The audit trail: verify its hash chain, export it as CSV.
    Audit(crate::admin_commands::AuditArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FLOORBOARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// PostgreSQL URL (`postgres://user@host/db`) for several nodes on one database; SQLite
    /// in the data directory when absent.
    #[arg(long, env = "FLOORBOARD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections to PostgreSQL per node (at least 2): one for writes, the rest for reads,
    /// plus one that listens for other nodes' commits.
    #[arg(long, env = "FLOORBOARD_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,
    /// Directory for the SQLite database.
    #[arg(long, env = "FLOORBOARD_DATA_DIR", default_value = "./floorboard-data")]
    pub data_dir: PathBuf,
    /// Go-live TOML file (facilities, units, modules, queues, rules, schedule); the built-in
    /// five-hospital example when absent.
    #[arg(long, env = "FLOORBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Milliseconds between coalesced board updates.
    #[arg(long, env = "FLOORBOARD_BOARD_INTERVAL_MS", default_value_t = 250)]
    pub board_interval_ms: u64,
    /// Most open websocket connections.
    #[arg(long, env = "FLOORBOARD_MAX_CONNECTIONS", default_value_t = 19_000)]
    pub max_connections: usize,
    /// The built front end to serve at `/` (see scripts/build-web).
    #[arg(long, env = "FLOORBOARD_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,
    /// Log JSON lines instead of text.
    #[arg(long, env = "FLOORBOARD_LOG_JSON")]
    pub log_json: bool,
    /// The first administrator's password (login `admin`), used only on first start, when
    /// there is no account at all; without it a one-time password is printed once.
    #[arg(long, env = "FLOORBOARD_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// A host name clients reach the server by (repeat, or comma-separate in the variable);
    /// IP addresses and `localhost` are always answered, other names refused (DNS rebinding).
    #[arg(long = "host", env = "FLOORBOARD_HOSTS", value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// An origin besides the server's own whose pages may use it, e.g.
    /// `https://wall.example.org` (repeat, or comma-separate in the variable): its pages may
    /// open the websocket, and call the API with a bearer token (CORS).
    #[arg(long = "origin", env = "FLOORBOARD_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,
    /// A bearer token for reading `/metrics` and the API document (a Prometheus scraper);
    /// without it only an administrator's session reads them.
    #[arg(long, env = "FLOORBOARD_SCRAPE_TOKEN", hide_env_values = true)]
    pub scrape_token: Option<String>,
    /// The server's TLS certificate chain (PEM, the server's own certificate first): with
    /// `--tls-key` the server speaks HTTPS and WSS itself.
    #[arg(long, env = "FLOORBOARD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "FLOORBOARD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Clients reach this server through a proxy that terminates TLS (nginx, a load
    /// balancer): the session cookie is marked Secure, answers carry HSTS, and the client's
    /// address is the last one the proxy added to `X-Forwarded-For`.
    #[arg(long, env = "FLOORBOARD_BEHIND_TLS_PROXY")]
    pub behind_tls_proxy: bool,
    /// Refuse to start unless clients reach the server over TLS: its own (`--tls-cert`) or a
    /// proxy's (`--behind-tls-proxy`).
    #[arg(long, env = "FLOORBOARD_PRODUCTION")]
    pub production: bool,
    /// Minutes without activity after which a person's session ends, or locks when it has a
    /// PIN (the automatic logoff the security office sets), for roles without their own.
    #[arg(long, env = "FLOORBOARD_IDLE_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub idle_minutes: u64,
    /// A role's own idle limit, `ROLE=MINUTES` (repeat, or comma-separate in the variable),
    /// e.g. `staff=30`. A person with several roles gets the shortest. Administrators' is
    /// 15 minutes, or everyone's if that is shorter, unless set here.
    #[arg(long = "role-idle-minutes", env = "FLOORBOARD_ROLE_IDLE_MINUTES", value_delimiter = ',', value_parser = role_minutes)]
    pub role_idle_minutes: Vec<(Role, u64)>,
    /// Hours after sign-in at which a person's session ends, however active (a shift).
    #[arg(long, env = "FLOORBOARD_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=72))]
    pub session_hours: u64,
}

impl ServeArgs {
    pub fn into_config(self) -> anyhow::Result<Config> {
        let golive = match &self.config {
            Some(path) => load_golive(path)?,
            None => crate::config::example_golive(),
        };
        let mut config = Config::new(self.data_dir, golive);
        config.board_interval = Duration::from_millis(self.board_interval_ms.max(1));
        config.max_connections = self.max_connections;
        config.web_dir = Some(self.web_dir);
        config.db_pool_size = self.db_pool_size.max(2);
        config.admin_password = self.admin_password;
        config.hosts = self.hosts;
        config.origins = self.origins;
        config.scrape_token = self.scrape_token.filter(|t| !t.is_empty());
        config.sessions.idle = Duration::from_secs(self.idle_minutes * 60);
        let idle = config.sessions.idle;
        for limit in config.sessions.idle_by_role.values_mut() {
            *limit = (*limit).min(idle);
        }
        for (role, minutes) in self.role_idle_minutes {
            config.sessions.idle_by_role.insert(role, Duration::from_secs(minutes * 60));
        }
        config.sessions.lifetime = Duration::from_secs(self.session_hours * 3600);
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls_config = Some(crate::tls::server_config(cert, key)?);
        }
        config.behind_proxy = self.behind_tls_proxy;
        if self.production && !config.over_tls() {
            anyhow::bail!(
                "--production needs TLS: give --tls-cert and --tls-key, or run behind a TLS-terminating proxy and say so with --behind-tls-proxy"
            );
        }
        config.database_url = match self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
            Some(_) => anyhow::bail!("--database-url must be a postgres:// URL (SQLite needs no URL: use --data-dir)"),
            None => None,
        };
        Ok(config)
    }
}

/// A `--role-idle-minutes` value: `ROLE=MINUTES`, 1 to 1440 minutes.
fn role_minutes(value: &str) -> Result<(Role, u64), String> {
    let (role, minutes) = value.split_once('=').ok_or("expected ROLE=MINUTES, e.g. staff=30")?;
    let role = Role::parse(role).ok_or_else(|| {
        let roles: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role `{}`: one of {}", role.trim(), roles.join(", "))
    })?;
    match minutes.trim().parse::<u64>() {
        Ok(minutes @ 1..=1440) => Ok((role, minutes)),
        _ => Err("minutes must be a whole number from 1 to 1440".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Result<Config, String> {
        let cli = Cli::try_parse_from([&["floorboard", "serve"], args].concat()).map_err(|e| e.to_string())?;
        match cli.command {
            Some(Command::Serve(serve)) => serve.into_config().map_err(|e| e.to_string()),
            _ => Err("not serve".into()),
        }
    }

    #[test]
    fn the_security_office_sets_the_idle_limit_and_the_lifetime() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let defaults = serve(&[]).expect("defaults");
        assert_eq!(defaults.sessions.idle_for(&[Role::Trainer]), minutes(60));
        assert_eq!(defaults.sessions.idle_for(&[Role::Admin]), minutes(15));
        assert_eq!(defaults.sessions.idle_for(&[Role::Lead, Role::Admin]), minutes(15), "the shortest of theirs");
        let strict = serve(&["--idle-minutes", "10", "--session-hours", "8"]).expect("valid");
        assert_eq!(strict.sessions.idle_for(&[Role::Trainer]), minutes(10));
        assert_eq!(strict.sessions.idle_for(&[Role::Admin]), minutes(10), "the default never longer than everyone's");
        assert_eq!(strict.sessions.lifetime, Duration::from_secs(8 * 3600));
        assert!(serve(&["--idle-minutes", "0"]).is_err());
        assert!(serve(&["--session-hours", "100"]).is_err());
    }

    #[test]
    fn each_role_may_have_an_idle_limit_of_its_own() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let set = serve(&[
            "--role-idle-minutes",
            "staff=30",
            "--role-idle-minutes",
            "Super-User=240",
            "--role-idle-minutes",
            "admin=5",
        ])
        .expect("valid");
        let limits = &set.sessions;
        assert_eq!(limits.idle_for(&[Role::Staff]), minutes(30));
        assert_eq!(limits.idle_for(&[Role::SuperUser]), minutes(240), "longer than everyone's, as set");
        assert_eq!(limits.idle_for(&[Role::Admin]), minutes(5));
        assert_eq!(limits.idle_for(&[Role::Trainer, Role::Staff]), minutes(30));
        assert_eq!(limits.idle_for(&[Role::Trainer]), minutes(60), "everyone's");
        for bad in ["staff", "staff=0", "staff=1441", "janitor=10", "staff=ten"] {
            let error = serve(&["--role-idle-minutes", bad]).unwrap_err();
            assert!(error.contains("role-idle-minutes"), "{bad}: {error}");
        }
    }

    #[test]
    fn production_needs_tls_of_its_own_or_a_proxys() {
        let (_dir, cert_path, key_path) = crate::tls::pem_pair("floorboard.test");
        let (cert_path, key_path) = (cert_path.to_str().unwrap(), key_path.to_str().unwrap());

        let plain = serve(&[]).expect("plain TCP outside production");
        assert!(!plain.over_tls());
        let refused = serve(&["--production"]).unwrap_err();
        assert!(refused.contains("--production needs TLS"), "{refused}");
        let own = serve(&["--production", "--tls-cert", cert_path, "--tls-key", key_path]).expect("its own TLS");
        assert!(own.tls_config.is_some() && own.over_tls() && !own.behind_proxy);
        let proxied = serve(&["--production", "--behind-tls-proxy"]).expect("a proxy's TLS");
        assert!(proxied.tls_config.is_none() && proxied.over_tls());
        assert!(serve(&["--tls-cert", cert_path]).is_err(), "a certificate needs its key");
    }
}
