//! An HTTP JSON body, as a client may send any: decoded as each body type the API takes
//! (`POST /api/v1/reports`, `POST /api/v1/reports/{id}/status`, signing in, an account as an
//! administrator writes it, a display token's request, a PIN, a check-in), then validated.

#![no_main]

use floorboard_fuzz::{DRAFT_FIELDS, STATUS_CHANGE_FIELDS, check_decode_error, check_draft, check_status_change};
use floorboard_server::error::decode_json;
use floorboard_shared::access::{AccountSpec, DisplayRequest, NewAccount, PinRequest, SignIn, check_account};
use floorboard_shared::coverage::CheckInRequest;
use floorboard_shared::protocol::StatusChange;
use floorboard_shared::{GoLive, ReportDraft, ReporterId};
use libfuzzer_sys::fuzz_target;

const SIGN_IN_FIELDS: [&str; 2] = ["login", "password"];
const ACCOUNT_FIELDS: [&str; 8] = ["login", "name", "roles", "queues", "facility", "modules", "disabled", "password"];

fuzz_target!(|data: &[u8]| {
    match decode_json::<ReportDraft>(data) {
        Ok(draft) => check_draft(draft),
        Err(body) => check_decode_error::<ReportDraft>(&body, data, &DRAFT_FIELDS),
    }
    match decode_json::<StatusChange>(data) {
        Ok(change) => check_status_change(change),
        Err(body) => check_decode_error::<StatusChange>(&body, data, &STATUS_CHANGE_FIELDS),
    }
    // A sign-in's refusal never repeats what was sent (a password typed as a login included).
    if let Err(body) = decode_json::<SignIn>(data) {
        check_decode_error::<SignIn>(&body, data, &SIGN_IN_FIELDS);
    }
    match decode_json::<NewAccount>(data) {
        Ok(new) => {
            if let Some(login) = ReporterId::parse(&new.login) {
                let _ = check_account(&new.spec.account(login), &GoLive::example());
            }
        }
        Err(body) => check_decode_error::<NewAccount>(&body, data, &ACCOUNT_FIELDS),
    }
    if let Err(body) = decode_json::<AccountSpec>(data) {
        check_decode_error::<AccountSpec>(&body, data, &ACCOUNT_FIELDS);
    }
    if let Err(body) = decode_json::<DisplayRequest>(data) {
        check_decode_error::<DisplayRequest>(&body, data, &["facility"]);
    }
    // A PIN's refusal never repeats the digits tried.
    if let Err(body) = decode_json::<PinRequest>(data) {
        check_decode_error::<PinRequest>(&body, data, &["pin"]);
    }
    if let Err(body) = decode_json::<CheckInRequest>(data) {
        check_decode_error::<CheckInRequest>(&body, data, &["unit"]);
    }
});
