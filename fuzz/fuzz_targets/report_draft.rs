//! A report draft built field by field (`arbitrary`), so the search spends its time in
//! validation, the text rules and the PHI screen rather than in getting JSON and catalog ids
//! right: catalog ids are mostly picked from the built-in go-live, times mostly near the
//! accepted range's ends. Besides validating it, the draft must cross the wire intact: its
//! JSON decodes, as a websocket submit and as an HTTP body, to the same draft.

#![no_main]

use arbitrary::Arbitrary;
use floorboard_fuzz::{check_draft, golive};
use floorboard_server::error::decode_json;
use floorboard_server::ws::decode_client_msg;
use floorboard_shared::protocol::ClientMsg;
use floorboard_shared::report::{REPORTED_AT_END, REPORTED_AT_MIN};
use floorboard_shared::{Kind, ReportDraft, ReportId, Severity};
use libfuzzer_sys::fuzz_target;
use time::{Duration, OffsetDateTime, UtcOffset};

#[derive(Arbitrary, Debug)]
struct Draft {
    id: u128,
    place: Place,
    module: Pick,
    kind: u8,
    severity: u8,
    summary: String,
    details: Option<String>,
    affected_role: Option<String>,
    affected_users: Users,
    resolved_at_elbow: bool,
    reporter: String,
    reported_at: When,
}

/// Where: a unit and its own facility, a facility and any unit, or free text.
#[derive(Arbitrary, Debug)]
enum Place {
    Unit(u16),
    Mismatched { facility: u8, unit: u16 },
    Text { facility: Pick, unit: String },
}

/// A catalog id by index, or any text.
#[derive(Arbitrary, Debug)]
enum Pick {
    Catalog(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Users {
    Few(u8),
    Any(u32),
}

/// A moment near an end of the accepted range, or anywhere from 1900 to 2200, at a local
/// offset RFC 3339 can write (whole minutes, under a day).
#[derive(Arbitrary, Debug)]
struct When {
    at: Moment,
    offset_minutes: i16,
}

#[derive(Arbitrary, Debug)]
enum Moment {
    NearStart(i32),
    NearEnd(i32),
    Any { secs: u64, nanos: u32 },
}

impl Draft {
    fn into_draft(self) -> ReportDraft {
        let golive = golive();
        let units: Vec<_> = golive.units().collect();
        let facilities = golive.facilities();
        let modules = golive.modules();
        let (facility, unit) = match self.place {
            Place::Unit(i) => {
                let (f, u) = units[usize::from(i) % units.len()];
                (f.id.to_string(), u.id.to_string())
            }
            Place::Mismatched { facility, unit } => (
                facilities[usize::from(facility) % facilities.len()].id.to_string(),
                units[usize::from(unit) % units.len()].1.id.to_string(),
            ),
            Place::Text { facility: Pick::Catalog(i), unit } => {
                (facilities[usize::from(i) % facilities.len()].id.to_string(), unit)
            }
            Place::Text { facility: Pick::Text(facility), unit } => (facility, unit),
        };
        let module = match self.module {
            Pick::Catalog(i) => modules[usize::from(i) % modules.len()].id.to_string(),
            Pick::Text(text) => text,
        };
        ReportDraft {
            id: ReportId(uuid::Uuid::from_u128(self.id)),
            facility,
            unit,
            module,
            kind: Kind::ALL[usize::from(self.kind) % Kind::ALL.len()],
            severity: Severity::ALL[usize::from(self.severity) % Severity::ALL.len()],
            summary: self.summary,
            details: self.details,
            affected_role: self.affected_role,
            affected_users: match self.affected_users {
                Users::Few(n) => u32::from(n),
                Users::Any(n) => n,
            },
            resolved_at_elbow: self.resolved_at_elbow,
            reporter: self.reporter,
            reported_at: self.reported_at.moment(),
        }
    }
}

impl When {
    fn moment(&self) -> OffsetDateTime {
        let utc = match self.at {
            // Within about two seconds either way of an end, to the nanosecond.
            Moment::NearStart(ns) => REPORTED_AT_MIN + Duration::nanoseconds(i64::from(ns)),
            Moment::NearEnd(ns) => REPORTED_AT_END + Duration::nanoseconds(i64::from(ns)),
            Moment::Any { secs, nanos } => {
                let from_1900 = -2_208_988_800;
                let span = 300 * 31_556_952;
                let secs = from_1900 + (secs % span) as i64;
                OffsetDateTime::from_unix_timestamp(secs).expect("within 1900 to 2200")
                    + Duration::nanoseconds(i64::from(nanos % 1_000_000_000))
            }
        };
        let minutes = i32::from(self.offset_minutes) % (24 * 60);
        let offset = UtcOffset::from_whole_seconds(minutes * 60).expect("under a day");
        utc.to_offset(offset)
    }
}

fuzz_target!(|input: Draft| {
    let draft = input.into_draft();

    let body = serde_json::to_vec(&draft).expect("a draft serialises");
    assert_eq!(decode_json::<ReportDraft>(&body).as_ref(), Ok(&draft), "as an HTTP body");
    let frame = serde_json::to_string(&ClientMsg::Submit { report: draft.clone() }).expect("a submit serialises");
    assert_eq!(decode_client_msg(&frame), Ok(ClientMsg::Submit { report: draft.clone() }), "as a websocket frame");

    check_draft(draft);
});
