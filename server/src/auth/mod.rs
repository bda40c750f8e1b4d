//! Who is signed in. Sessions are opaque tokens (`secret`), stored hashed in the database on
//! both backends and cached here: authenticating a request or an upgrade is a SHA-256 and a
//! map lookup, never an Argon2 call (that is sign-in's alone). What a principal may do is
//! decided by `floorboard_shared::access::decide`, not here.
//!
//! A session ends at sign-out, at its absolute lifetime, after its idle limit, or when its
//! account is disabled or changed; its `ended` token then fires, and every websocket of the
//! session closes with it. Ends and account changes go into the account-change log in the
//! database, which every node follows (woken by NOTIFY on PostgreSQL, and every half second
//! in any case, which is also how a `floorboard user` command beside a SQLite server is
//! heard), so a sign-out on one node closes the session's sockets on every node.

pub mod accounts;
pub mod credentials;
pub mod secret;
mod throttle;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use floorboard_shared::access::{Principal, Reach, Role};
use floorboard_shared::{ErrorBody, ErrorCode, ReporterId};
use time::OffsetDateTime;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::store::accounts::{AccountStore, SessionRecord};
use crate::store::{Announcements, StoreError};
use crate::telemetry;
pub use throttle::FREE_FAILURES;
use throttle::Throttle;

/// How long sessions last.
#[derive(Clone, Debug)]
pub struct SessionLimits {
    /// A person's session ends this long after sign-in, whatever its use (a shift and a bit).
    pub lifetime: Duration,
    /// A person's session ends after this long without a request or a client message other
    /// than a ping (HIPAA's automatic logoff; a session with a PIN locks instead), unless
    /// one of their roles has a limit of its own.
    pub idle: Duration,
    /// Roles' own idle limits (an administrator's: 15 minutes unless set). A person with
    /// several roles gets the shortest of theirs.
    pub idle_by_role: BTreeMap<Role, Duration>,
    /// A wall display's token lasts this long and has no idle limit (a wall is idle).
    pub display_lifetime: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            lifetime: Duration::from_secs(12 * 3600),
            idle: Duration::from_secs(60 * 60),
            idle_by_role: BTreeMap::from([(Role::Admin, Duration::from_secs(15 * 60))]),
            display_lifetime: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl SessionLimits {
    /// The idle limit of a person with `roles`: the shortest of their roles' own, a role
    /// without one counting as everyone's.
    pub fn idle_for(&self, roles: &[Role]) -> Duration {
        roles.iter().map(|role| self.idle_by_role.get(role).copied().unwrap_or(self.idle)).min().unwrap_or(self.idle)
    }
}

/// A live session: who, until when, and the signal its sockets close on.
#[derive(Debug)]
pub struct Session {
    pub token_hash: String,
    pub principal: Arc<Principal>,
    pub expires_at: OffsetDateTime,
    /// Unix seconds of the last request or client message.
    last_active: AtomicI64,
    /// `last_active` as this node last recorded it in the store (several nodes).
    recorded: AtomicI64,
    idle_limit: Option<Duration>,
    /// A PIN is set: past its idle limit the session locks instead of ending.
    pin_set: std::sync::atomic::AtomicBool,
    ended: CancellationToken,
    /// The issue lists this session has read, recorded in the audit trail once each.
    read: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Session {
    fn new(record: SessionRecord, principal: Principal, limits: &SessionLimits, now: OffsetDateTime) -> Session {
        let idle_limit = match principal.reach {
            Reach::Display { .. } => None,
            Reach::Session => Some(limits.idle_for(&principal.roles)),
        };
        Session {
            token_hash: record.token_hash,
            principal: Arc::new(principal),
            expires_at: record.expires_at,
            last_active: AtomicI64::new(now.unix_timestamp()),
            recorded: AtomicI64::new(0),
            idle_limit,
            pin_set: std::sync::atomic::AtomicBool::new(record.pin_hash.is_some()),
            ended: CancellationToken::new(),
            read: Default::default(),
        }
    }

    /// Records activity: the idle limit counts from now.
    pub fn touch(&self, now: OffsetDateTime) {
        self.last_active.fetch_max(now.unix_timestamp(), Ordering::Relaxed);
    }

    /// The activity this node has seen since it last recorded it in the store, if any (a
    /// session without an idle limit needs none recorded).
    fn unrecorded(&self) -> Option<OffsetDateTime> {
        let seen = self.last_active.load(Ordering::Relaxed);
        if self.idle_limit.is_none() || self.recorded.load(Ordering::Relaxed) >= seen {
            return None;
        }
        OffsetDateTime::from_unix_timestamp(seen).ok()
    }

    /// Whether the session has outlived its lifetime or its idle limit at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at || self.is_idle(now)
    }

    /// Whether the session has been idle past its limit at `now`.
    fn is_idle(&self, now: OffsetDateTime) -> bool {
        self.idle_limit.is_some_and(|limit| {
            now.unix_timestamp() - self.last_active.load(Ordering::Relaxed) > limit.as_secs() as i64
        })
    }

    /// What an expired session becomes: locked when only its idle limit passed and it has
    /// a PIN, else ended.
    fn locks(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at && self.is_idle(now) && self.pin_set.load(Ordering::Relaxed)
    }

    /// The session as the API shows it, with its token when it was just made.
    pub fn info(&self, token: Option<String>) -> floorboard_shared::access::SessionInfo {
        floorboard_shared::access::SessionInfo {
            token,
            principal: (*self.principal).clone(),
            expires_at: self.expires_at,
            pin_set: self.pin_set.load(Ordering::Relaxed),
        }
    }

    /// Resolves when the session ends (sign-out, expiry, its account disabled or changed).
    pub fn ended(&self) -> WaitForCancellationFutureOwned {
        self.ended.clone().cancelled_owned()
    }

    /// Whether this is the session's first read of `target` (and notes it).
    pub fn first_read(&self, target: &str) -> bool {
        use crate::sync::Unpoisoned;
        let mut read = self.read.lock_unpoisoned();
        !read.contains(target) && read.insert(target.to_owned())
    }

    pub fn is_ended(&self) -> bool {
        self.ended.is_cancelled()
    }
}

/// Sign-in, sessions and their ends.
pub struct Auth {
    store: Arc<dyn AccountStore>,
    sessions: DashMap<String, Arc<Session>>,
    throttle: Throttle,
    pub limits: SessionLimits,
    /// Other nodes share the store (PostgreSQL): a session may be busy on another node while
    /// idle on this one, so activity is recorded in the store and read before an idle
    /// session is locked or ended.
    shared: bool,
}

/// How often a node records its sessions' activity in a shared store: often enough that a
/// node about to lock a session for idleness sees activity from well within its limit.
fn record_every(limits: &SessionLimits) -> Duration {
    let shortest = limits.idle_by_role.values().copied().fold(limits.idle, Duration::min);
    (shortest / 4).clamp(Duration::from_millis(500), Duration::from_secs(30))
}

/// Wrong PINs in a row that end a locked session.
const MAX_PIN_FAILURES: i64 = 5;

/// A PIN is 4 to 8 digits (`invalid_value` naming `pin` otherwise, never repeating it).
fn check_pin(pin: &str) -> Result<(), ErrorBody> {
    if floorboard_shared::access::is_pin(pin) {
        Ok(())
    } else {
        Err(ErrorBody::new(ErrorCode::InvalidValue, "a PIN is 4 to 8 digits").with_field("pin"))
    }
}

fn locked() -> ErrorBody {
    ErrorBody::new(ErrorCode::SessionLocked, "the session is locked: unlock it with its PIN, or sign out")
}

fn unauthenticated() -> ErrorBody {
    ErrorBody::new(ErrorCode::Unauthenticated, "sign in first: no valid session")
}

fn store_error(e: StoreError) -> ErrorBody {
    crate::error::store_error_body(&e)
}

impl Auth {
    /// `shared`: other nodes share the store (see `Auth::shared`).
    pub fn new(store: Arc<dyn AccountStore>, limits: SessionLimits, shared: bool) -> Auth {
        Auth { store, sessions: DashMap::new(), throttle: Throttle::default(), limits, shared }
    }

    pub fn store(&self) -> &Arc<dyn AccountStore> {
        &self.store
    }

    /// Signs `login` in with `password`, from `addr`: a new session's token and the session.
    /// A wrong login and a wrong password are the same answer, in the same time.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        addr: Option<IpAddr>,
    ) -> Result<(String, Arc<Session>), ErrorBody> {
        let login = login.trim().to_lowercase();
        if let Some(wait) = self.throttle.check(&login, addr, Instant::now()) {
            metrics::counter!(telemetry::SIGN_INS, "outcome" => "throttled").increment(1);
            let secs = wait.as_secs().max(1);
            return Err(ErrorBody::new(
                ErrorCode::TooManyAttempts,
                format!("too many failed sign-ins: try again in {secs} s"),
            ));
        }
        let user = self.store.user(&login).await.map_err(store_error)?;
        let stored = user.as_ref().map_or_else(|| secret::decoy_hash().to_owned(), |u| u.password_hash.clone());
        let attempt = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || secret::verify_password(&attempt, &stored)).await.unwrap_or(false);
        let user = match user {
            Some(user) if matches && !user.account.disabled => user,
            _ => {
                self.throttle.failed(&login, Instant::now());
                metrics::counter!(telemetry::SIGN_INS, "outcome" => "refused").increment(1);
                return Err(ErrorBody::new(ErrorCode::BadCredentials, "the login or the password is wrong"));
            }
        };
        self.throttle.succeeded(&login);
        metrics::counter!(telemetry::SIGN_INS, "outcome" => "signed_in").increment(1);
        self.open_session(user.account.principal(Reach::Session), self.limits.lifetime).await
    }

    /// A display token for one board (`facility`, or every facility), on `account`'s behalf.
    pub async fn issue_display_token(
        &self,
        principal: &Principal,
        facility: Option<floorboard_shared::FacilityId>,
    ) -> Result<(String, Arc<Session>), ErrorBody> {
        let mut display = principal.clone();
        // A display token is read-only whatever its account may do.
        display.reach = Reach::Display { facility };
        self.open_session(display, self.limits.display_lifetime).await
    }

    async fn open_session(
        &self,
        principal: Principal,
        lifetime: Duration,
    ) -> Result<(String, Arc<Session>), ErrorBody> {
        let token = secret::new_token();
        let now = OffsetDateTime::now_utc();
        let record = SessionRecord {
            token_hash: secret::token_hash(&token),
            login: principal.login.clone(),
            reach: principal.reach.clone(),
            created_at: now,
            expires_at: now + lifetime,
            pin_hash: None,
            locked: false,
        };
        self.store.create_session(&record).await.map_err(store_error)?;
        let session = Arc::new(Session::new(record, principal, &self.limits, now));
        self.sessions.insert(session.token_hash.clone(), session.clone());
        Ok((token, session))
    }

    /// The live session `token` opens. A cache hit on the hot path; a miss (another node's
    /// session, or after a restart) reads the database once.
    pub async fn authenticate(&self, token: &str) -> Result<Arc<Session>, ErrorBody> {
        let hash = secret::token_hash(token);
        let now = OffsetDateTime::now_utc();
        let cached = self.sessions.get(&hash).map(|s| s.clone());
        let session = match cached {
            Some(session) => session,
            None => {
                let Some((record, user)) = self.store.session(&hash).await.map_err(store_error)? else {
                    return Err(unauthenticated());
                };
                if user.account.disabled {
                    return Err(unauthenticated());
                }
                if record.locked {
                    return Err(locked());
                }
                let principal = user.account.principal(record.reach.clone());
                let session = Arc::new(Session::new(record, principal, &self.limits, now));
                self.sessions.entry(hash).or_insert(session).clone()
            }
        };
        if session.is_ended() {
            return Err(unauthenticated());
        }
        self.check_expiry(&session, now).await?;
        session.touch(now);
        Ok(session)
    }

    /// Locks or ends `session` if it has outlived its lifetime, or its idle limit on every
    /// node: with several nodes, one that has not seen the session's recent activity first
    /// reads what the others recorded.
    async fn check_expiry(&self, session: &Session, now: OffsetDateTime) -> Result<(), ErrorBody> {
        if !session.is_expired(now) {
            return Ok(());
        }
        if self.shared && now < session.expires_at {
            match self.store.last_active(&session.token_hash).await {
                Ok(Some(elsewhere)) => {
                    session.touch(elsewhere);
                    if !session.is_expired(now) {
                        return Ok(());
                    }
                }
                Ok(None) => {}
                // Not now, then: the next request or sweep asks again.
                Err(e) => {
                    tracing::debug!(error = %e, "cannot read a session's activity on other nodes");
                    return Err(store_error(e));
                }
            }
        }
        Err(self.expire(session, now).await)
    }

    /// Records in the shared store the activity this node saw since it last did.
    async fn record_activity(&self) {
        let seen: Vec<(Arc<Session>, OffsetDateTime)> =
            self.sessions.iter().filter_map(|s| s.unrecorded().map(|at| (s.value().clone(), at))).collect();
        if seen.is_empty() {
            return;
        }
        let rows: Vec<(String, OffsetDateTime)> = seen.iter().map(|(s, at)| (s.token_hash.clone(), *at)).collect();
        match self.store.record_activity(&rows).await {
            Ok(()) => {
                for (session, at) in seen {
                    session.recorded.fetch_max(at.unix_timestamp(), Ordering::Relaxed);
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot record sessions' activity; retrying"),
        }
    }

    /// Locks or ends an expired session (`Session::locks`) everywhere; answers the refusal
    /// its requests get from now on.
    async fn expire(&self, session: &Session, now: OffsetDateTime) -> ErrorBody {
        if session.locks(now) {
            let login = session.principal.login.as_str();
            match self.store.set_locked(&session.token_hash, login, true, now).await {
                Ok(()) => {
                    self.end_locally(&session.token_hash);
                    return locked();
                }
                // Not locked in the database, it must not live on: a node reading the row
                // again would open it without the PIN.
                Err(e) => tracing::warn!(error = %e, "cannot lock an idle session; ending it"),
            }
        }
        self.end(session).await;
        ErrorBody::new(ErrorCode::Unauthenticated, "the session expired: sign in again")
    }

    /// Sets `session`'s PIN (4 to 8 digits), which unlocks it after its idle limit.
    pub async fn set_pin(&self, session: &Session, pin: &str) -> Result<(), ErrorBody> {
        check_pin(pin)?;
        let pin = pin.to_owned();
        let hashed = tokio::task::spawn_blocking(move || secret::hash_password(&pin))
            .await
            .map_err(|_| ErrorBody::new(ErrorCode::Internal, "cannot hash the PIN"))?
            .map_err(|_| ErrorBody::new(ErrorCode::Internal, "cannot hash the PIN"))?;
        self.store.set_pin(&session.token_hash, &hashed).await.map_err(store_error)?;
        session.pin_set.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Unlocks the locked session `token` with its PIN: the session opens again as it was.
    /// A wrong PIN is `bad_credentials`; the fifth in a row ends the session. A session that
    /// is not locked is answered as it is.
    pub async fn unlock(&self, token: &str, pin: &str) -> Result<Arc<Session>, ErrorBody> {
        check_pin(pin)?;
        let hash = secret::token_hash(token);
        let now = OffsetDateTime::now_utc();
        let Some((record, user)) = self.store.session(&hash).await.map_err(store_error)? else {
            return Err(unauthenticated());
        };
        if !record.locked {
            return self.authenticate(token).await;
        }
        if user.account.disabled || now >= record.expires_at {
            return Err(unauthenticated());
        }
        let Some(stored) = record.pin_hash.clone() else {
            return Err(unauthenticated());
        };
        let attempt = pin.to_owned();
        let right =
            tokio::task::spawn_blocking(move || secret::verify_password(&attempt, &stored)).await.unwrap_or(false);
        let login = record.login.to_string();
        if !right {
            let failures = self.store.pin_failed(&hash).await.map_err(store_error)?;
            if failures >= MAX_PIN_FAILURES {
                self.revoke(&hash, &login).await?;
                return Err(ErrorBody::new(ErrorCode::Unauthenticated, "too many wrong PINs: sign in again"));
            }
            return Err(ErrorBody::new(ErrorCode::BadCredentials, "wrong PIN"));
        }
        self.store.set_locked(&hash, &login, false, now).await.map_err(store_error)?;
        let principal = user.account.principal(record.reach.clone());
        let session = Arc::new(Session::new(SessionRecord { locked: false, ..record }, principal, &self.limits, now));
        self.sessions.insert(hash, session.clone());
        Ok(session)
    }

    /// Signs out the session `token`, locked or not; answers whose it was.
    pub async fn sign_out_token(&self, token: &str) -> Result<ReporterId, ErrorBody> {
        let hash = secret::token_hash(token);
        let Some((record, _)) = self.store.session(&hash).await.map_err(store_error)? else {
            return Err(unauthenticated());
        };
        self.revoke(&hash, record.login.as_str()).await?;
        Ok(record.login)
    }

    /// Ends a session everywhere: in the database, in this node's cache, and (through the
    /// account-change log) on every other node. Its sockets close.
    pub async fn sign_out(&self, session: &Session) -> Result<(), ErrorBody> {
        self.revoke(&session.token_hash, session.principal.login.as_str()).await
    }

    /// Ends the session `token_hash` of `login` everywhere, as `sign_out` does, by its hash
    /// alone (a wall display's token revoked from elsewhere).
    pub async fn revoke(&self, token_hash: &str, login: &str) -> Result<(), ErrorBody> {
        self.store.end_session(token_hash, login, OffsetDateTime::now_utc()).await.map_err(store_error)?;
        self.end_locally(token_hash);
        Ok(())
    }

    /// Ends an expired session; a database that cannot be reached now will be told when the
    /// session is next met (the cache entry is gone, the row still says it lives, and the
    /// row's `expires_at` or the idle sweep catches it again).
    async fn end(&self, session: &Session) {
        if let Err(e) = self.sign_out(session).await {
            tracing::warn!(error = %e.message, "cannot record the end of an expired session");
            self.end_locally(&session.token_hash);
        }
    }

    fn end_locally(&self, token_hash: &str) {
        if let Some((_, session)) = self.sessions.remove(token_hash) {
            session.ended.cancel();
        }
    }

    /// An account changed here (the administrators' API): its sessions take the change on
    /// this node at once; other nodes follow the account-change log.
    pub fn account_changed(&self, login: &str) {
        self.drop_login_locally(login);
    }

    /// Drops every cached session of `login`, closing their sockets: the account changed, so
    /// each is read again (with its new roles, or refused if disabled) on its next use.
    fn drop_login_locally(&self, login: &str) {
        let mut dropped = Vec::new();
        self.sessions.retain(|_, s| {
            let keep = s.principal.login.as_str() != login;
            if !keep {
                dropped.push(s.clone());
            }
            keep
        });
        for session in dropped {
            session.ended.cancel();
        }
    }

    /// Follows the account-change log (woken by `announcements` where there are any, and
    /// every half second) and sweeps expired sessions, until `shutdown`.
    pub fn spawn_followers(
        self: Arc<Self>,
        mut announcements: Option<Box<dyn Announcements>>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last = match self.store.last_account_change().await {
                Ok(seq) => seq,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the account-change log; following from its start");
                    0
                }
            };
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut sweeps = 0u32;
            let mut recorded = Instant::now();
            loop {
                let woken = async {
                    match announcements.as_mut() {
                        Some(a) => {
                            if a.next().await.is_err() {
                                // The listener reconnects on its next call; the tick covers the gap.
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = woken => {}
                    _ = tick.tick() => {
                        sweeps = sweeps.wrapping_add(1);
                        if self.shared && recorded.elapsed() >= record_every(&self.limits) {
                            recorded = Instant::now();
                            self.record_activity().await;
                        }
                        self.sweep(sweeps.is_multiple_of(120)).await;
                    }
                }
                match self.store.account_changes_after(last).await {
                    Ok(changes) => {
                        for change in changes {
                            last = last.max(change.seq);
                            match change.token_hash {
                                Some(hash) => self.end_locally(&hash),
                                None => self.drop_login_locally(&change.login),
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot read the account-change log; retrying"),
                }
            }
        })
    }

    /// Ends the sessions that expired; now and then, forgets stale throttling state.
    async fn sweep(&self, forget: bool) {
        let now = OffsetDateTime::now_utc();
        let expired: Vec<Arc<Session>> =
            self.sessions.iter().filter(|s| s.is_expired(now)).map(|s| s.value().clone()).collect();
        for session in expired {
            // A refusal is for a request; here the session is simply left for the next sweep.
            let _ = self.check_expiry(&session, now).await;
        }
        if forget {
            self.throttle.forget_stale(Instant::now());
        }
        metrics::gauge!(telemetry::SESSIONS).set(self.sessions.len() as f64);
    }

    /// Sessions cached on this node.
    pub fn cached_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Whether `login` names an account.
    pub async fn exists(&self, login: &ReporterId) -> Result<bool, ErrorBody> {
        Ok(self.store.user(login.as_str()).await.map_err(store_error)?.is_some())
    }
}
