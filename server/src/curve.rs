//! The go-live curve as a service (the numbers are `floorboard_shared::curve`'s): who may
//! read it (whoever may see the board it belongs to: the lead's board, a wall display), and a
//! cache, since every board and wall asks for it every minute and it reads the whole go-live.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use floorboard_shared::access::{Action, Principal};
use floorboard_shared::curve::{Breakdown, Curves, curves};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId};
use time::OffsetDateTime;

use crate::error::store_error_body;
use crate::state::AppState;

/// How long a computed curve is served before it is made again: a board redraws it every
/// minute, and its last point moves by the hour.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

/// The latest curves made, by breakdown: made again by the first reader after they went
/// stale, while readers arriving meanwhile wait for those (one scan, not one per board).
#[derive(Default)]
pub struct CurveCache {
    made: tokio::sync::Mutex<HashMap<Breakdown, (Instant, Arc<Curves>)>>,
}

/// The curves `who` may see: every facility's and the whole go-live's, or their board's one
/// facility's.
pub async fn read(
    state: &AppState,
    who: &Principal,
    facility: Option<String>,
    by: Breakdown,
) -> Result<Curves, ErrorBody> {
    let golive = &state.config.golive;
    let facility = match facility {
        Some(f) if golive.facility(&f).is_none() => {
            return Err(
                ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility")
            );
        }
        Some(f) => Some(FacilityId::new(f)),
        None => floorboard_shared::access::board_scope(who).ok().flatten(),
    };
    crate::reads::allow(&state.audit, who, Action::ReadBoard { facility: facility.as_ref() })?;
    let all = made(state, by).await.map_err(|e| store_error_body(&e))?;
    Ok(match facility {
        Some(f) => Curves::clone(&all).only(&f),
        None => Curves::clone(&all),
    })
}

async fn made(state: &AppState, by: Breakdown) -> Result<Arc<Curves>, crate::store::StoreError> {
    let mut made = state.curves.made.lock().await;
    if let Some((at, curves)) = made.get(&by)
        && at.elapsed() < FRESH_FOR
    {
        return Ok(curves.clone());
    }
    let now = OffsetDateTime::now_utc();
    let golive = &state.config.golive;
    let records = state.store.summary_records(golive.starts_at().min(now), now).await?;
    let fresh = Arc::new(curves(golive, &records, now, by));
    made.insert(by, (Instant::now(), fresh.clone()));
    Ok(fresh)
}
