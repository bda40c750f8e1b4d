//! The state every handler shares, cheap to clone.

use std::sync::Arc;
use std::time::Instant;

use dashmap::DashMap;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Auth;
use crate::committer::Committer;
use crate::config::Config;
use crate::fanout::BoardFanout;
use crate::hub::Hub;
use crate::store::Store;
use crate::telemetry;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// Sign-in and sessions.
    pub auth: Arc<Auth>,
    /// The audit trail's writer, and its storage for reading and verifying.
    pub audit: crate::audit::Audit,
    pub audit_store: Arc<dyn crate::store::audit::AuditStore>,
    /// Who is on which unit.
    pub check_ins: Arc<dyn crate::store::check_ins::CheckInStore>,
    pub hub: Arc<Hub>,
    /// Writes board updates to the board sockets.
    pub fanout: Arc<BoardFanout>,
    pub committer: Committer,
    pub metrics: PrometheusHandle,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Websocket connection tasks, awaited on shutdown.
    pub connection_tasks: TaskTracker,
    pub connection_slots: Arc<Semaphore>,
    pub connections: Arc<DashMap<u64, ConnectionInfo>>,
    /// Other nodes write to the same store: this node publishes what it reads from the log.
    pub shared_log: bool,
    /// The go-live curve as last made.
    pub curves: Arc<crate::curve::CurveCache>,
}

/// What the registry knows of one open websocket.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub opened: Instant,
}

/// Registers a connection for as long as it lives.
pub struct ConnectionGuard {
    id: u64,
    registry: Arc<DashMap<u64, ConnectionInfo>>,
}

impl ConnectionGuard {
    pub fn register(state: &AppState) -> ConnectionGuard {
        let id = state.hub.next_connection_id();
        state.connections.insert(id, ConnectionInfo { opened: Instant::now() });
        metrics::gauge!(telemetry::CONNECTIONS).increment(1.0);
        ConnectionGuard { id, registry: state.connections.clone() }
    }

    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.registry.remove(&self.id);
        metrics::gauge!(telemetry::CONNECTIONS).decrement(1.0);
    }
}
