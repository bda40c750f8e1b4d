//! An HTTP JSON body, as a client may send any: decoded as each body type the API takes
//! (`POST /api/v1/reports`, `POST /api/v1/reports/{id}/status`), then validated.

#![no_main]

use floorboard_fuzz::{DRAFT_FIELDS, STATUS_CHANGE_FIELDS, check_decode_error, check_draft, check_status_change};
use floorboard_server::error::decode_json;
use floorboard_shared::ReportDraft;
use floorboard_shared::protocol::StatusChange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_json::<ReportDraft>(data) {
        Ok(draft) => check_draft(draft),
        Err(body) => check_decode_error::<ReportDraft>(&body, data, &DRAFT_FIELDS),
    }
    match decode_json::<StatusChange>(data) {
        Ok(change) => check_status_change(change),
        Err(body) => check_decode_error::<StatusChange>(&body, data, &STATUS_CHANGE_FIELDS),
    }
});
