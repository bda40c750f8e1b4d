//! Floorboard's service: reports come in over a websocket and HTTP, are committed and routed
//! to command-center queues, and every change streams live to queue watchers and unit boards.
//!
//! `run` serves one go-live on a listener until `shutdown` resolves; tests call it with a
//! listener on port 0.

// No panic is reachable from a request: what handles input may not unwrap, expect, panic or
// index unchecked (a justified `allow` where an invariant holds).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod admin_commands;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod committer;
pub mod config;
pub mod coverage;
pub mod curve;
pub mod error;
pub mod fanout;
pub mod follower;
pub mod http;
pub mod hub;
pub mod intake;
pub mod listener;
pub mod reads;
pub mod simulate;
pub mod state;
pub mod store;
pub mod summary;
pub mod sync;
pub mod telemetry;
pub mod tls;
pub mod wire;
pub mod ws;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dashmap::DashMap;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;

use crate::committer::Committer;
use crate::fanout::BoardFanout;
use crate::hub::Hub;
use crate::state::AppState;
use crate::store::accounts as auth_store;
use crate::store::{Announcements, PgStore, SqliteStore, Store};

/// Serves until `shutdown` resolves, then stops accepting, closes websockets with "going
/// away", lets in-flight commits finish, and returns.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let opened = open_store(&config).await?;
    let store = opened.store.clone();
    if let Some(password) = auth::accounts::first_admin(&*opened.accounts, config.admin_password.as_deref()).await? {
        announce_first_admin(&password);
    }
    let auth =
        Arc::new(auth::Auth::new(opened.accounts.clone(), config.sessions.clone(), config.database_url.is_some()));

    let hub = Arc::new(Hub::new(config.golive.clone(), config.replay_window, config.fanout_buffer));
    let (head, facts) = store.heatmap_facts().await?;
    let window = config.replay_window as u64;
    let recent = store.events_after(head.saturating_sub(window), config.replay_window as u32).await?;
    hub.restore(head, &facts, recent);
    // The audit writer outlives the committer, so the last events are chained at shutdown.
    let audit_stop = CancellationToken::new();
    let (audit, audit_writer) = audit::Audit::spawn(opened.audit.clone(), &hub, audit_stop.clone());

    tracing::info!(head_seq = head, issues = facts.len(), golive = config.golive.name(), "state restored");

    let token = CancellationToken::new();
    // One writer publishes what it commits; several nodes each follow the shared log.
    let shared_log = opened.announcements.is_some();
    let follower = opened.announcements.map(|a| follower::spawn(store.clone(), hub.clone(), a, token.clone()));
    let account_follower = auth.clone().spawn_followers(opened.account_announcements, token.clone());
    let publish_to = (!shared_log).then(|| hub.clone());
    let (committer, committer_stopped) =
        Committer::spawn(store.clone(), publish_to, config.max_batch).context("cannot start the committer")?;
    let coalescer = hub.clone().spawn_board_coalescer(config.board_interval, token.clone());
    // One fan-out loop per core writes board updates to the board sockets.
    let fanout = Arc::new(BoardFanout::new(std::thread::available_parallelism().map_or(1, |n| n.get())));
    let fanout_tasks = fanout.spawn(&hub, &token);
    let (keeper, _) =
        summary::spawn_keeper(store.clone(), config.golive.clone(), summary::Clock::System, token.clone());
    let connection_tasks = TaskTracker::new();
    let state = AppState {
        connection_slots: Arc::new(Semaphore::new(config.max_connections)),
        config: Arc::new(config),
        store,
        auth,
        audit,
        audit_store: opened.audit.clone(),
        check_ins: opened.check_ins.clone(),
        hub,
        fanout,
        committer,
        metrics: telemetry::metrics(),
        shutdown: token.clone(),
        connection_tasks: connection_tasks.clone(),
        connections: Arc::new(DashMap::new()),
        shared_log,
        curves: Arc::default(),
    };

    tracing::info!(addr = %listener.local_addr()?, "floorboard listening");
    let trigger = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        trigger.cancel();
    });
    // A make-service: each connection clones the router (an `Arc`); serving the router
    // itself rebuilds every route per connection, a pile of allocations per websocket. With
    // the peer's address, for throttling sign-ins per address.
    // Every connection without Nagle's delay: answers and websocket frames are whole
    // messages, sent at once (and a TLS handshake's flights are not held back either).
    let incoming =
        axum::serve::ListenerExt::tap_io(listener::Incoming::new(listener, state.config.tls_config.clone()), |conn| {
            if let Err(e) = listener::tcp_of(conn).set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
    axum::serve(incoming, http::router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(token.clone().cancelled_owned())
        .await
        .context("server failed")?;

    connection_tasks.close();
    connection_tasks.wait().await;
    drop(state);
    // The committer stops once the last handle is gone and its queue is drained.
    if tokio::time::timeout(Duration::from_secs(30), committer_stopped).await.is_err() {
        tracing::error!("commits still in flight after 30 s; stopping anyway");
    }
    token.cancel();
    let _ = coalescer.await;
    let _ = keeper.await;
    for task in fanout_tasks {
        let _ = task.await;
    }
    if let Some(follower) = follower {
        let _ = follower.await;
    }
    let _ = account_follower.await;
    audit_stop.cancel();
    let _ = audit_writer.await;
    tracing::info!("stopped");
    Ok(())
}

/// Shows the first administrator's one-time password, once, on the console (not in the log:
/// it is a secret, and logs are shipped elsewhere).
#[allow(clippy::print_stderr, reason = "shown to the person starting the server, once")]
fn announce_first_admin(password: &str) {
    eprintln!(
        "\n  First start: made the administrator account `{}`.\n  One-time password: {password}\n  \
         Sign in at /signin and add the go-live's accounts (or `floorboard user add`, `user import`).\n  \
         This password is not shown again; set FLOORBOARD_ADMIN_PASSWORD to choose it instead.\n",
        auth::accounts::FIRST_ADMIN
    );
}

struct Opened {
    store: Arc<dyn Store>,
    accounts: Arc<dyn auth_store::AccountStore>,
    audit: Arc<dyn store::audit::AuditStore>,
    check_ins: Arc<dyn store::check_ins::CheckInStore>,
    /// Wake-ups when the account-change log grows (PostgreSQL; SQLite polls).
    account_announcements: Option<Box<dyn Announcements>>,
    /// Set when other nodes share the store: this node follows the log.
    announcements: Option<Box<dyn Announcements>>,
    /// Held for as long as the server runs (SQLite only).
    _lock: Option<std::fs::File>,
}

/// PostgreSQL when a database URL is configured, else SQLite in the data directory.
async fn open_store(config: &Config) -> anyhow::Result<Opened> {
    if let Some(url) = &config.database_url {
        let pg = PgStore::open(url, config.db_pool_size).await.context("cannot open the PostgreSQL database")?;
        // Listen before the state is restored, so nothing committed meanwhile goes unheard.
        let announcements = pg.announcements().await.context("cannot listen for announcements")?;
        let account_announcements =
            pg.account_announcements().await.context("cannot listen for account announcements")?;
        let pg = Arc::new(pg);
        return Ok(Opened {
            store: pg.clone(),
            accounts: pg.clone(),
            audit: pg.clone(),
            check_ins: pg,
            announcements: Some(announcements),
            account_announcements: Some(account_announcements),
            _lock: None,
        });
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let lock = lock_data_dir(&config.data_dir)?;
    let sqlite = Arc::new(SqliteStore::open(&config.data_dir).await.context("cannot open the database")?);
    Ok(Opened {
        store: sqlite.clone(),
        accounts: sqlite.clone(),
        audit: sqlite.clone(),
        check_ins: sqlite,
        announcements: None,
        account_announcements: None,
        _lock: Some(lock),
    })
}

/// One server per data directory: a second one would write the same file behind the
/// first one's back.
fn lock_data_dir(dir: &Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("floorboard.lock");
    let file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    file.try_lock().map_err(|_| anyhow::anyhow!("another floorboard server is using {}", dir.display()))?;
    Ok(file)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
