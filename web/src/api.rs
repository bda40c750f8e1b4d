//! The HTTP API, for what is not a live stream: the session, the go-live catalog, queue
//! counts, a unit's issues, status changes. Every call goes through `send`, which notices
//! when the server no longer knows the session (`unauthenticated`) and says so once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use floorboard_shared::access::{
    Account, AccountIssued, AccountSpec, DisplayInfo, DisplayRequest, NewAccount, PasswordReset, PinRequest,
    SessionInfo, SignIn,
};
use floorboard_shared::coverage::{CheckInRequest, Coverage};
use floorboard_shared::golive::GoLiveSpec;
use floorboard_shared::protocol::{Assignment, IssuesAt, QueueSummary, Redaction, Reroute, StatusChange};
use floorboard_shared::{
    ErrorBody, ErrorCode, FacilityId, GoLive, Issue, Kind, ReportId, ReporterId, TextField, UnitId,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;

/// What runs when the server no longer opens the page's session, with why.
type SessionEnded = Rc<dyn Fn(ErrorCode)>;

thread_local! {
    /// Counts sign-ins and sign-outs: an `unauthenticated` answer to a request sent before the
    /// latest one says nothing about the session the page holds now.
    static EPOCH: Cell<u64> = const { Cell::new(0) };
    static ON_SESSION_ENDED: RefCell<Option<SessionEnded>> = const { RefCell::new(None) };
    /// The session (by epoch) and unit the server was last told of.
    static CHECKED_IN: RefCell<Option<(u64, UnitId)>> = const { RefCell::new(None) };
}

/// Another session began, or the page's ended.
pub fn new_session_epoch() {
    EPOCH.set(EPOCH.get() + 1);
}

/// `ended` runs when a request made in the current session is answered `unauthenticated`
/// or `session_locked` (with that code).
pub fn on_session_ended(ended: impl Fn(ErrorCode) + 'static) {
    ON_SESSION_ENDED.set(Some(Rc::new(ended)));
}

/// How long a request may go unanswered before it counts as unreachable: a link that accepts
/// connections and passes nothing (an access point without its backhaul) never fails by
/// itself.
const ANSWER_WITHIN_MS: u32 = 10_000;
/// Who is signed in is asked as the page starts, which waits on the answer: past this, the
/// device's copy of the principal stands in (`session::Auth::start`) and the page is usable
/// offline while the question is asked again. With the service worker's own wait for the
/// page (`sw.js`), a tablet on a dead link is usable within about three seconds.
const SESSION_WITHIN_MS: u32 = 1_500;

fn within(request: RequestBuilder, ms: u32) -> RequestBuilder {
    request.abort_signal(Some(&web_sys::AbortSignal::timeout_with_u32(ms)))
}

fn get(path: &str) -> RequestBuilder {
    within(Request::get(path), ANSWER_WITHIN_MS)
}

fn post(path: &str) -> RequestBuilder {
    within(Request::post(path), ANSWER_WITHIN_MS)
}

fn put(path: &str) -> RequestBuilder {
    within(Request::put(path), ANSWER_WITHIN_MS)
}

fn delete(path: &str) -> RequestBuilder {
    within(Request::delete(path), ANSWER_WITHIN_MS)
}

fn unreachable() -> ErrorBody {
    ErrorBody::new(ErrorCode::Unavailable, "the server cannot be reached")
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ErrorBody> {
    let epoch = EPOCH.get();
    let request = request.map_err(|_| ErrorBody::new(ErrorCode::Internal, "could not encode the request"))?;
    let response = request.send().await.map_err(|_| unreachable())?;
    if response.ok() {
        return Ok(response);
    }
    let refusal = response.json::<ErrorBody>().await.unwrap_or_else(|_| unreachable());
    let session_gone = matches!(refusal.code, ErrorCode::Unauthenticated | ErrorCode::SessionLocked);
    if session_gone && EPOCH.get() == epoch {
        // Cloned out first: the handler signs out, which starts a new epoch.
        if let Some(ended) = ON_SESSION_ENDED.with_borrow(Clone::clone) {
            ended(refusal.code);
        }
    }
    Err(refusal)
}

async fn json<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ErrorBody> {
    let response = send(request).await?;
    response.json().await.map_err(|_| ErrorBody::new(ErrorCode::Internal, "unexpected answer from the server"))
}

pub async fn session() -> Result<SessionInfo, ErrorBody> {
    json(within(Request::get("/api/v1/sessions/current"), SESSION_WITHIN_MS).build()).await
}

/// Signs in; the server sets the session cookie, which every later request and the
/// websocket carry (same origin).
pub async fn sign_in(credentials: &SignIn) -> Result<SessionInfo, ErrorBody> {
    json(post("/api/v1/sessions").json(credentials)).await
}

/// Opens a wall display's token: the server sets the session cookie for it.
pub async fn open_display(open: &floorboard_shared::access::DisplayOpen) -> Result<SessionInfo, ErrorBody> {
    json(post("/api/v1/sessions/display").json(open)).await
}

/// Sets the session's PIN, which unlocks it after its idle limit.
pub async fn set_pin(pin: &str) -> Result<(), ErrorBody> {
    send(put("/api/v1/sessions/current/pin").json(&PinRequest { pin: pin.to_owned() })).await.map(drop)
}

/// Unlocks the locked session with its PIN.
pub async fn unlock(pin: &str) -> Result<SessionInfo, ErrorBody> {
    json(post("/api/v1/sessions/current/unlock").json(&PinRequest { pin: pin.to_owned() })).await
}

pub async fn sign_out() -> Result<(), ErrorBody> {
    send(delete("/api/v1/sessions/current").build()).await.map(drop)
}

pub async fn golive() -> Result<GoLive, ErrorBody> {
    let spec: GoLiveSpec = json(get("/api/v1/golive").build()).await?;
    GoLive::try_from(spec).map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))
}

pub async fn queues() -> Result<Vec<QueueSummary>, ErrorBody> {
    json(get("/api/v1/queues").build()).await
}

pub async fn unit_issues(unit: &UnitId, kind: Kind) -> Result<IssuesAt, ErrorBody> {
    json(get(&format!("/api/v1/units/{unit}/issues?kind={}", kind.as_str())).build()).await
}

/// Tells the server the signed-in person is on `unit`, once per session and unit (the tablet
/// says it again after a sign-in, a change of unit, or a failed try).
pub async fn check_in(unit: &UnitId) -> Result<(), ErrorBody> {
    let told = (EPOCH.get(), unit.clone());
    if CHECKED_IN.with_borrow(|c| c.as_ref() == Some(&told)) {
        return Ok(());
    }
    let request = CheckInRequest { unit: unit.clone() };
    send(post("/api/v1/check-ins").json(&request)).await?;
    CHECKED_IN.set(Some(told));
    Ok(())
}

/// How many people are checked in on each unit of the board.
pub async fn coverage(facility: Option<&FacilityId>) -> Result<Coverage, ErrorBody> {
    let query = facility.map(|f| format!("?facility={f}")).unwrap_or_default();
    json(get(&format!("/api/v1/coverage{query}")).build()).await
}

/// Administrators: every account.
pub async fn users() -> Result<Vec<Account>, ErrorBody> {
    json(get("/api/v1/users").build()).await
}

/// Administrators: a new account, with its one-time password when none was given.
pub async fn add_user(new: &NewAccount) -> Result<AccountIssued, ErrorBody> {
    json(post("/api/v1/users").json(new)).await
}

/// Administrators: an account changed (roles, queues, facility, modules, disabled).
pub async fn update_user(login: &ReporterId, spec: &AccountSpec) -> Result<Account, ErrorBody> {
    json(put(&format!("/api/v1/users/{login}")).json(spec)).await
}

/// Administrators: a one-time password for `login`; their sessions end.
pub async fn reset_password(login: &ReporterId) -> Result<AccountIssued, ErrorBody> {
    json(post(&format!("/api/v1/users/{login}/password")).json(&PasswordReset::default())).await
}

/// A wall display's token for one facility's board, or every facility's.
pub async fn issue_display(request: &DisplayRequest) -> Result<SessionInfo, ErrorBody> {
    json(post("/api/v1/display-tokens").json(request)).await
}

/// The live display tokens this account manages (every one for an administrator).
pub async fn displays() -> Result<Vec<DisplayInfo>, ErrorBody> {
    json(get("/api/v1/display-tokens").build()).await
}

/// Revokes a display's token: the wall's session ends.
pub async fn revoke_display(id: &str) -> Result<(), ErrorBody> {
    send(delete(&format!("/api/v1/display-tokens/{id}")).build()).await.map(drop)
}

/// Redacts an issue's free-text `field` (administrators). `id` as typed: the server says
/// if it is not an issue's id.
pub async fn redact(id: &str, field: TextField) -> Result<Issue, ErrorBody> {
    let path = format!("/api/v1/reports/{}/redactions", js_sys::encode_uri_component(id));
    json(post(&path).json(&Redaction { field })).await
}

/// The go-live curve of one facility, or of every one the reader's board shows.
pub async fn curve(
    facility: Option<&FacilityId>,
    by: floorboard_shared::curve::Breakdown,
) -> Result<floorboard_shared::curve::Curves, ErrorBody> {
    let by = match by {
        floorboard_shared::curve::Breakdown::Kind => "kind",
        floorboard_shared::curve::Breakdown::Severity => "severity",
    };
    let facility = facility.map(|f| format!("&facility={f}")).unwrap_or_default();
    json(get(&format!("/api/v1/curve?by={by}{facility}")).build()).await
}

/// The re-teach list; `query` is the query string (`days=7&date=…`).
pub async fn reteach(query: &str) -> Result<floorboard_shared::reteach::Reteach, ErrorBody> {
    json(get(&format!("/api/v1/reteach?{query}")).build()).await
}

/// The daily floor support summary; `query` is the query string (`date=…&shift=…`).
pub async fn summary(query: &str) -> Result<floorboard_shared::summary::Summary, ErrorBody> {
    json(get(&format!("/api/v1/summary?{query}")).build()).await
}

pub async fn change_status(id: ReportId, change: &StatusChange) -> Result<Issue, ErrorBody> {
    json(post(&format!("/api/v1/reports/{id}/status")).json(change)).await
}

/// Hands an issue to `assignee` (one's own login: "assign to me"), or to nobody.
pub async fn assign(id: ReportId, assignee: Option<ReporterId>) -> Result<Issue, ErrorBody> {
    json(post(&format!("/api/v1/reports/{id}/assignment")).json(&Assignment { assignee })).await
}

/// Sends an issue to other queues, saying why.
pub async fn reroute(id: ReportId, request: &Reroute) -> Result<Issue, ErrorBody> {
    json(post(&format!("/api/v1/reports/{id}/route")).json(request)).await
}
