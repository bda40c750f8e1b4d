//! Check-ins and the coverage they add up to, for HTTP (as `reads` is for reads): the catalog
//! is checked first, then the access policy, then the store.

use floorboard_shared::access::{Action, Principal, decide};
use floorboard_shared::coverage::{CHECK_IN_LASTS, CheckIn, Coverage};
use floorboard_shared::protocol::Topic;
use floorboard_shared::{ErrorBody, FacilityId, ReporterId, UnitId};
use time::OffsetDateTime;

use crate::error::store_error_body;
use crate::reads::{allow, check_topic, unit_facility};
use crate::state::AppState;

/// Checks `who` in to `unit` from `now`, ending their last check-in.
pub async fn check_in(
    state: &AppState,
    who: &Principal,
    unit: &str,
    now: OffsetDateTime,
) -> Result<CheckIn, ErrorBody> {
    let facility = unit_facility(state, unit)?.clone();
    allow(&state.audit, who, Action::CheckIn)?;
    let check_in = CheckIn { login: who.login.clone(), facility, unit: UnitId::new(unit), since: now };
    // Two devices of one person checking in at once meet at the one-open-check-in index:
    // the later transaction is tried again, and ends the earlier's.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match state.check_ins.check_in(&check_in).await {
            Ok(()) => return Ok(check_in),
            Err(e) if attempt < 3 => tracing::debug!(error = %e, "checking in; retrying"),
            Err(e) => return Err(store_error_body(&e)),
        }
    }
}

/// Ends `who`'s check-in, if any.
pub async fn check_out(state: &AppState, who: &Principal, now: OffsetDateTime) -> Result<(), ErrorBody> {
    allow(&state.audit, who, Action::CheckIn)?;
    state.check_ins.check_out(who.login.as_str(), now).await.map_err(|e| store_error_body(&e))
}

/// Whoever signs out has left the unit (a display, or an account that never checks in, has
/// nothing to end).
pub async fn signed_out(state: &AppState, who: &Principal, now: OffsetDateTime) -> Result<(), ErrorBody> {
    if decide(who, Action::CheckIn).is_err() {
        return Ok(());
    }
    left(state, &who.login, now).await
}

/// `login` has left whatever unit they were checked in to.
pub async fn left(state: &AppState, login: &ReporterId, now: OffsetDateTime) -> Result<(), ErrorBody> {
    state.check_ins.check_out(login.as_str(), now).await.map_err(|e| store_error_body(&e))
}

/// Who is on which unit, counted, for whoever may see that board.
pub async fn coverage(
    state: &AppState,
    who: &Principal,
    facility: Option<FacilityId>,
    now: OffsetDateTime,
) -> Result<Coverage, ErrorBody> {
    check_topic(state, who, &Topic::Board { facility: facility.clone() })?;
    let open = state.check_ins.open_check_ins(now - CHECK_IN_LASTS).await.map_err(|e| store_error_body(&e))?;
    Ok(Coverage::of(&open, facility.as_ref(), now))
}
