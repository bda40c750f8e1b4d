//! Logs and metrics. Logs are structured `tracing` events that carry ids and codes, never a
//! report's free text; metrics are rendered in Prometheus text format at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const CONNECTIONS: &str = "floorboard_connections";
pub const REPORTS_ACCEPTED: &str = "floorboard_reports_accepted_total";
pub const REPORTS_DUPLICATE: &str = "floorboard_reports_duplicate_total";
pub const REPORTS_REFUSED: &str = "floorboard_reports_refused_total";
pub const EVENTS_COMMITTED: &str = "floorboard_events_committed_total";
pub const MESSAGES_FANNED_OUT: &str = "floorboard_messages_fanned_out_total";
pub const CLIENTS_RESYNCED: &str = "floorboard_clients_resynced_total";
pub const CLIENTS_DISCONNECTED: &str = "floorboard_clients_disconnected_total";
pub const COMMIT_BATCH_SIZE: &str = "floorboard_commit_batch_size";
pub const SUBMIT_TO_COMMIT: &str = "floorboard_submit_to_commit_seconds";
pub const COMMIT_TO_SEND: &str = "floorboard_commit_to_send_seconds";
/// Commands the database refused for what they hold, each refused alone (`cannot_store`).
pub const COMMANDS_UNSTORABLE: &str = "floorboard_commands_unstorable_total";
/// Panics caught while applying a batch (rolled back, nothing acknowledged).
pub const COMMITTER_PANICS: &str = "floorboard_committer_panics_total";
/// Panics caught while handling one client message or request (the connection lives on).
pub const HANDLER_PANICS: &str = "floorboard_handler_panics_total";

/// Sign-in attempts by outcome: signed_in, refused (wrong login or password), throttled.
pub const SIGN_INS: &str = "floorboard_sign_ins_total";
/// Sessions cached on this node.
pub const SESSIONS: &str = "floorboard_sessions";
/// Audit batches that could not be written (after retries).
pub const AUDIT_FAILURES: &str = "floorboard_audit_failures_total";
/// Requests and messages refused by the access policy, or for want of a session.
pub const ACCESS_REFUSED: &str = "floorboard_access_refused_total";

const LATENCY_BUCKETS: [f64; 14] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

/// Installs the process-wide metrics recorder once and returns its handle; later calls (a
/// test process running several servers) share it.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            #[allow(clippy::expect_used, reason = "the bucket lists are constants, and not empty")]
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_BATCH_SIZE.into()), &BATCH_BUCKETS))
                .expect("bucket lists are non-empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed by an embedding program: keep ours
            // for rendering anyway.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            // Histogram samples pile up until drained: drain them on a clock, whether or not
            // anyone scrapes /metrics (one thread per process, whatever runtimes come and go).
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start the metrics upkeep thread; histograms will not be drained");
            }
            handle
        })
        .clone()
}

/// Describes every metric and registers it at zero, so the first scrape of a fresh server
/// lists them all (with their help text) and a dashboard has something to bind to before
/// traffic arrives. Labelled counters are registered at the label values known up front.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    /// A counter's name, help, and its label with the values known up front.
    type Described = (&'static str, &'static str, Option<(&'static str, &'static [&'static str])>);
    let counters: [Described; 13] = [
        (AUDIT_FAILURES, "Audit batches that could not be written", None),
        (REPORTS_ACCEPTED, "Reports committed", None),
        (REPORTS_DUPLICATE, "Submissions of a report already committed (acknowledged again, nothing stored)", None),
        (
            REPORTS_REFUSED,
            "Reports refused, by error code",
            Some(("code", &["invalid_value", "phi_suspected", "forbidden"])),
        ),
        (EVENTS_COMMITTED, "Events committed to the log", None),
        (MESSAGES_FANNED_OUT, "Messages written to subscribers", None),
        (
            CLIENTS_RESYNCED,
            "Connections resynced after falling behind, by stream",
            Some(("stream", &["events", "board"])),
        ),
        (
            CLIENTS_DISCONNECTED,
            "Connections dropped, by reason",
            Some(("reason", &["client too slow", "write failed", "read failed"])),
        ),
        (COMMANDS_UNSTORABLE, "Commands the database refused, each refused alone (cannot_store)", None),
        (COMMITTER_PANICS, "Panics caught while applying a batch (rolled back, nothing acknowledged)", None),
        (HANDLER_PANICS, "Panics caught while handling one request or message", None),
        (SIGN_INS, "Sign-in attempts, by outcome", Some(("outcome", &["signed_in", "refused", "throttled"]))),
        (
            ACCESS_REFUSED,
            "Requests and messages refused for want of a session or by the access policy",
            Some(("code", &["unauthenticated", "forbidden"])),
        ),
    ];
    for (name, help, labels) in counters {
        describe_counter!(name, Unit::Count, help);
        match labels {
            Some((label, values)) => {
                for value in values {
                    metrics::counter!(name, label => *value).increment(0);
                }
            }
            None => metrics::counter!(name).increment(0),
        }
    }
    describe_gauge!(CONNECTIONS, Unit::Count, "Open websocket connections");
    metrics::gauge!(CONNECTIONS).increment(0.0);
    describe_gauge!(SESSIONS, Unit::Count, "Sessions cached on this node");
    metrics::gauge!(SESSIONS).set(0.0);
    describe_histogram!(COMMIT_BATCH_SIZE, Unit::Count, "Commands per group commit");
    describe_histogram!(SUBMIT_TO_COMMIT, Unit::Seconds, "From a submission's arrival to its acknowledgement");
    describe_histogram!(COMMIT_TO_SEND, Unit::Seconds, "From a commit to its event's delivery to a subscriber");
}

/// Handles for the metrics touched once per delivered message, registered once rather than
/// looked up by name on every message.
pub struct Hot {
    pub fanned_out: metrics::Counter,
    pub commit_to_send: metrics::Histogram,
}

pub fn hot() -> &'static Hot {
    static HOT: OnceLock<Hot> = OnceLock::new();
    HOT.get_or_init(|| {
        metrics();
        Hot { fanned_out: metrics::counter!(MESSAGES_FANNED_OUT), commit_to_send: metrics::histogram!(COMMIT_TO_SEND) }
    })
}

/// Initialises logging: `RUST_LOG` filters (default `info`), text or JSON lines on stderr.
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Replaces the default panic hook, which prints a panic's message: a message can quote the
/// text it failed on (a string slice out of bounds quotes the string), and that may be a
/// report's free text. Panics are caught where they happen and answered `internal`; the log
/// gets where, never what.
pub fn log_panics_without_their_messages() {
    std::panic::set_hook(Box::new(|info| {
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        tracing::error!(panic.file = file, panic.line = line, "panicked (message withheld: it may quote free text)");
    }));
}
