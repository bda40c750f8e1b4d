//! Runtime configuration: where data lives, which go-live is served, and the knobs of the
//! hub. The go-live comes from a TOML file (`--config`) or the built-in example.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use floorboard_shared::GoLive;
use floorboard_shared::golive::{GoLiveSpec, ZoneOffset};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

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
    let mut spec: GoLiveSpec = toml::from_str(text)?;
    if !spec.offsets.is_empty() {
        anyhow::bail!("`offsets` are worked out from `time_zone`: leave them out of the file");
    }
    resolve_time_zone(&mut spec)?;
    Ok(GoLive::try_from(spec)?)
}

/// How long after the go-live's start its time zone's offsets are worked out for: go-lives
/// run for weeks, a server may keep running for months after.
const ZONE_YEARS: i64 = 3;

/// Works out the offsets of the go-live's `time_zone` (the time-zone database is the
/// server's; clients get the offsets with the catalog): from a week before its start, for
/// `ZONE_YEARS`. A go-live with a fixed `utc_offset` is left as it is.
pub fn resolve_time_zone(spec: &mut GoLiveSpec) -> anyhow::Result<()> {
    let Some(name) = &spec.time_zone else { return Ok(()) };
    let zone = jiff::tz::TimeZone::get(name)
        .with_context(|| format!("time_zone `{name}` is not a zone of the IANA time-zone database"))?;
    // A bad start is refused by the go-live's own checks, with its own message.
    let Ok(starts_at) = OffsetDateTime::parse(&spec.starts_at, &Rfc3339) else { return Ok(()) };
    let from = starts_at.unix_timestamp() - 7 * 86_400;
    let until = from + ZONE_YEARS * 366 * 86_400;
    let instant = |seconds: i64| OffsetDateTime::from_unix_timestamp(seconds).context("a time out of range");
    let offset = |o: jiff::tz::Offset| UtcOffset::from_whole_seconds(o.seconds()).context("an offset out of range");
    let start = jiff::Timestamp::from_second(from).context("a go-live start out of range")?;
    let mut offsets = vec![ZoneOffset::new(instant(from)?, offset(zone.to_offset(start))?)];
    for change in zone.following(start).take_while(|c| c.timestamp().as_second() < until) {
        offsets.push(ZoneOffset::new(instant(change.timestamp().as_second())?, offset(change.offset())?));
    }
    spec.offsets = offsets;
    Ok(())
}

/// The built-in go-live (`GoLive::example`) in its hospitals' time zone, as the server runs
/// it when given no `--config`.
#[allow(clippy::expect_used, reason = "the built-in go-live is a constant; a unit test parses it")]
pub fn example_golive() -> GoLive {
    parse_golive(&example_golive_toml()).expect("the built-in go-live is valid")
}

/// The built-in go-live as TOML, a starting point for a real one.
#[allow(clippy::expect_used, reason = "the built-in go-live is a constant, serialised in a unit test")]
pub fn example_golive_toml() -> String {
    let mut spec = GoLive::example().spec().clone();
    spec.utc_offset = None;
    spec.time_zone = Some(EXAMPLE_ZONE.into());
    toml::to_string(&spec).expect("the example go-live serialises")
}

/// The built-in go-live's hospitals' zone (its fixed offset, -05:00, is this zone's winter).
const EXAMPLE_ZONE: &str = "America/New_York";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_round_trips_through_toml_in_its_time_zone() {
        let parsed = example_golive();
        let mut fixed = parsed.spec().clone();
        (fixed.time_zone, fixed.offsets, fixed.utc_offset) = (None, vec![], Some("-05:00".into()));
        assert_eq!(GoLive::try_from(fixed).unwrap(), GoLive::example(), "the same go-live but for its clock");
        assert!(parsed.spec().offsets.len() >= 2 * ZONE_YEARS as usize, "two changes a year");
    }

    /// Day and shift boundaries across the November change: the clocks go back an hour at
    /// 02:00 EDT on 1 November 2026 (06:00 UTC), so 07:00 on the wall is 11:00 UTC before
    /// and 12:00 UTC after, and the night shift across the change lasts 13 hours.
    #[test]
    fn day_and_shift_boundaries_follow_the_november_change() {
        let text = example_golive_toml().replace(
            &format!("starts_at = \"{}\"", GoLive::example().spec().starts_at),
            "starts_at = \"2026-10-26T07:00:00-04:00\"",
        );
        let golive = parse_golive(&text).unwrap();
        let utc = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        assert_eq!(golive.shift_start(utc("2026-10-31T12:00:00Z")), utc("2026-10-31T11:00:00Z"), "07:00 EDT");
        assert_eq!(golive.shift_start(utc("2026-11-01T05:30:00Z")), utc("2026-10-31T23:00:00Z"), "19:00 EDT");
        assert_eq!(
            golive.shift_start(utc("2026-11-01T11:30:00Z")),
            utc("2026-10-31T23:00:00Z"),
            "06:30 EST: still the night"
        );
        assert_eq!(golive.shift_start(utc("2026-11-01T12:00:00Z")), utc("2026-11-01T12:00:00Z"), "07:00 EST");
        assert_eq!(golive.shift_start(utc("2026-11-02T00:30:00Z")), utc("2026-11-02T00:00:00Z"), "19:00 EST");
        assert_eq!(golive.day_start(utc("2026-11-01T12:00:00Z")), utc("2026-11-01T04:00:00Z"), "midnight EDT");
        assert_eq!(golive.day_start(utc("2026-11-02T12:00:00Z")), utc("2026-11-02T05:00:00Z"), "midnight EST");
        assert_eq!(
            golive.day_start(utc("2026-11-02T04:30:00Z")),
            utc("2026-11-01T04:00:00Z"),
            "23:30 EST is still the 1st"
        );
        // What the clients get: the change itself, from the catalog.
        let change = golive.spec().offsets.iter().find(|o| o.from == "2026-11-01T06:00:00Z").expect("the change");
        assert_eq!(change.offset, "-05:00");
    }

    #[test]
    fn an_unknown_zone_both_clocks_or_offsets_in_the_file_stop_start_up() {
        let zoned = example_golive_toml();
        let err = format!("{:#}", parse_golive(&zoned.replace(EXAMPLE_ZONE, "America/Springfield")).unwrap_err());
        assert!(err.contains("America/Springfield"), "{err}");
        let both = zoned.replacen("time_zone = ", "utc_offset = \"-05:00\"\ntime_zone = ", 1);
        let err = format!("{:#}", parse_golive(&both).unwrap_err());
        assert!(err.contains("not both"), "{err}");
        let written = format!("{zoned}\n[[offsets]]\nfrom = \"2026-01-01T00:00:00Z\"\noffset = \"-05:00\"\n");
        let err = format!("{:#}", parse_golive(&written).unwrap_err());
        assert!(err.contains("leave them out"), "{err}");
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
