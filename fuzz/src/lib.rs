//! What every fuzz target checks at the trust boundary, in one place: what an error body may
//! say (a known field, never a run of the client's text) and what an accepted report must be
//! (clean, in bounds, routable, stable through JSON and through validating it again). A
//! failed check panics, and libFuzzer keeps the input.

use std::sync::OnceLock;

use floorboard_server::error::decode_json;
use floorboard_server::ws::decode_client_msg;
use floorboard_shared::protocol::{ClientMsg, StatusChange};
use floorboard_shared::report::{
    AFFECTED_USERS_MAX, DETAILS_MAX, NOTE_MAX, REPORTED_AT_END, REPORTED_AT_MIN, ROLE_MAX, SUMMARY_MAX, validate_note,
};
use floorboard_shared::routing::route_report;
use floorboard_shared::text::{self, Lines};
use floorboard_shared::{
    ErrorBody, ErrorCode, GoLive, Kind, Report, ReportDraft, ReportId, Severity, Status, ids, phi,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The go-live every target validates against: the built-in one.
pub fn golive() -> &'static GoLive {
    static GOLIVE: OnceLock<GoLive> = OnceLock::new();
    GOLIVE.get_or_init(GoLive::example)
}

/// The shortest run of a client's text that an error message must never repeat.
pub const ECHO_RUN: usize = 12;

/// The fields of a report draft, as the wire spells them.
pub const DRAFT_FIELDS: [&str; 13] = [
    "id",
    "facility",
    "unit",
    "module",
    "kind",
    "severity",
    "summary",
    "details",
    "affected_role",
    "affected_users",
    "resolved_at_elbow",
    "reporter",
    "reported_at",
];

/// The fields of a status change.
pub const STATUS_CHANGE_FIELDS: [&str; 2] = ["status", "note"];

/// What `field` may name in an error about a client frame: the bare name of a field of the
/// message, or of the report or topic inside it (the same name HTTP gives it).
pub fn client_fields() -> &'static [String] {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let top = ["type", "report", "topic", "resume_from", "digest", "nonce"];
        let topic = ["name", "facility", "queue", "reporter"];
        top.iter().chain(DRAFT_FIELDS.iter()).chain(topic.iter()).map(|f| String::from(*f)).collect()
    })
}

/// Asserts that an error body names a known field, if any.
pub fn check_field(body: &ErrorBody, fields: &[impl AsRef<str>]) {
    if let Some(field) = &body.field {
        let known = |f: &str| fields.iter().any(|k| k.as_ref() == f);
        assert!(known(field) || is_alternative_form(field, known), "unknown field {field:?} in {body:?}");
    }
}

/// Whether `field` names a place in one of serde's alternative forms: a position in an array
/// (`[0]`, `report.[3]`) or a variant written as an object (`status.closed`).
///
/// Known findings, reported and not fixed here: serde's derived structs also accept a JSON
/// array of their fields in order (`["ping", 5]` is a ping; a report may be an array of
/// thirteen values), and its enums a one-key object (`"status": {"closed": null}` is
/// `"closed"`); a fault in either is then named by a position or a variant, not a field.
/// Tolerated so the targets search past them; delete this once the wire takes one form.
fn is_alternative_form(field: &str, known: impl Fn(&str) -> bool) -> bool {
    let (head, last) = field.rsplit_once('.').unwrap_or(("", field));
    let position = last
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
    let variant = Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .chain(Severity::ALL.map(Severity::as_str))
        .chain(Status::ALL.map(Status::as_str))
        .any(|v| v == last);
    position || (variant && known(head))
}

/// Asserts that `message` does not repeat the client's words: no run of `ECHO_RUN`
/// characters of it that occurs in one of `texts` follows them when they change.
/// `rerun(from, to)` is the message for the same request with `from` replaced by `to` where
/// the client wrote it (`None` when that is accepted).
///
/// Comparing with a rerun, rather than with a list of the protocol's wording, tells an echo
/// from text that merely reads like a message: libFuzzer soon copies message text into its
/// inputs, having seen it compared.
pub fn check_no_echo(message: &str, texts: &[&str], rerun: impl Fn(&str, &str) -> Option<String>) {
    let chars: Vec<char> = message.chars().collect();
    for window in chars.windows(ECHO_RUN) {
        let run: String = window.iter().collect();
        if !texts.iter().any(|t| t.contains(&run)) {
            continue;
        }
        let Some(changed) = changed_run(&run) else { continue };
        // (`changed` may be in the message already: in a catalog id a message may quote.)
        if let Some(again) = rerun(&run, &changed)
            && !message.contains(&changed)
        {
            assert!(!again.contains(&changed), "the error repeats the client's {run:?} (and {changed:?}): {message:?}");
        }
    }
}

/// `run` with every letter and digit moved on by one (`z` to `a`), or `None` if it has none.
fn changed_run(run: &str) -> Option<String> {
    let next = |c: char| match c {
        'z' => 'a',
        'Z' => 'A',
        '9' => '0',
        c if c.is_ascii_alphanumeric() => char::from(c as u8 + 1),
        c if c.is_alphabetic() => [u32::from(c) + 1, u32::from(c) - 1]
            .into_iter()
            .filter_map(char::from_u32)
            .find(|n| n.is_alphabetic())
            .unwrap_or(c),
        c => c,
    };
    let changed: String = run.chars().map(next).collect();
    (changed != run).then_some(changed)
}

/// `input` with `from` replaced by `to` in every string value, if it is JSON, or anywhere.
pub fn replaced(input: &[u8], from: &str, to: &str) -> Vec<u8> {
    fn walk(value: &mut Value, from: &str, to: &str) {
        match value {
            Value::String(s) => *s = s.replace(from, to),
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, from, to)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, from, to)),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(input) {
        Ok(mut value) => {
            walk(&mut value, from, to);
            value.to_string().into_bytes()
        }
        Err(_) => String::from_utf8_lossy(input).replace(from, to).into_bytes(),
    }
}

/// `draft` with `from` replaced by `to` in its free text.
fn draft_replaced(draft: &ReportDraft, from: &str, to: &str) -> ReportDraft {
    let r = |s: &String| s.replace(from, to);
    ReportDraft {
        summary: r(&draft.summary),
        details: draft.details.as_ref().map(r),
        affected_role: draft.affected_role.as_ref().map(r),
        reporter: r(&draft.reporter),
        ..draft.clone()
    }
}

/// Every string value in a JSON document (the whole input, if it is not JSON): what a client
/// may have typed. Keys can only be echoed as a field, which `check_field` checks.
pub fn json_strings(bytes: &[u8]) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => {
                map.values().for_each(|v| walk(v, out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => walk(&value, &mut out),
        // Not JSON: the whole input is what was typed.
        Err(_) => out.push(String::from_utf8_lossy(bytes).into_owned()),
    }
    out
}

/// Checks a refusal by `decode_json::<T>` of a body of `fields`.
pub fn check_decode_error<T: DeserializeOwned>(body: &ErrorBody, bytes: &[u8], fields: &[&str]) {
    assert!(matches!(body.code, ErrorCode::MalformedJson | ErrorCode::InvalidValue), "{body:?}");
    assert_eq!(body.id, None, "{body:?}");
    check_field(body, fields);
    let texts = json_strings(bytes);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    check_no_echo(&body.message, &texts, |from, to| {
        decode_json::<T>(&replaced(bytes, from, to)).err().map(|e| e.message)
    });
}

/// Decodes one client frame as the websocket does and checks what comes out.
pub fn check_client_frame(text: &str) {
    match decode_client_msg(text) {
        Ok(msg) => {
            // The submit fast path accepts only what `ClientMsg` itself accepts, as the same.
            let plain = serde_json::from_str::<ClientMsg>(text);
            // Known and harmless: `ClientMsg` buffers a message to find its tag, holding every
            // number as an f64, so a number past f64's range anywhere (even in a field both
            // ignore) fails there, while the fast path skips an ignored field unread.
            let buffered_number = plain.as_ref().is_err_and(|e| e.to_string().starts_with("number out of range"));
            if !buffered_number {
                assert_eq!(plain.as_ref().ok(), Some(&msg), "the fast path differs from ClientMsg: {plain:?}");
            }
            let again = serde_json::to_string(&msg).expect("a decoded message serialises");
            assert_eq!(decode_client_msg(&again), Ok(msg.clone()), "re-encoded as {again}");
            if let ClientMsg::Submit { report } = msg {
                check_draft(report);
            }
        }
        Err(body) => {
            assert!(
                matches!(body.code, ErrorCode::MalformedJson | ErrorCode::InvalidValue | ErrorCode::UnknownMessageType),
                "{body:?}"
            );
            assert!(serde_json::from_str::<ClientMsg>(text).is_err(), "refused a frame ClientMsg accepts: {body:?}");
            let texts = json_strings(text.as_bytes());
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            check_field(&body, client_fields());
            check_no_echo(&body.message, &texts, |from, to| {
                let again = String::from_utf8(replaced(text.as_bytes(), from, to)).expect("UTF-8 in, UTF-8 out");
                decode_client_msg(&again).err().map(|e| e.message)
            });
            // An error pinned to a report id names the id the frame gave.
            if let Some(id) = body.id {
                let sent = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|v| v.pointer("/report/id").cloned())
                    .and_then(|v| serde_json::from_value::<ReportId>(v).ok());
                assert_eq!(sent, Some(id), "{body:?}");
            }
        }
    }
}

/// Validates a draft against the built-in go-live and checks the outcome.
pub fn check_draft(draft: ReportDraft) {
    let sent = draft.clone();
    match draft.validate(golive()) {
        Ok(report) => check_accepted(&sent, &report),
        Err(body) => check_refused(&sent, &body),
    }
}

/// A refused draft: one named field, the draft's id, and a code that fits what the field holds.
pub fn check_refused(sent: &ReportDraft, body: &ErrorBody) {
    assert_eq!(body.id, Some(sent.id), "{body:?}");
    let field = body.field.as_deref().unwrap_or_else(|| panic!("a refusal names no field: {body:?}"));
    check_field(body, &DRAFT_FIELDS);
    let texts = [Some(&sent.summary), sent.details.as_ref(), sent.affected_role.as_ref(), Some(&sent.reporter)];
    let texts: Vec<&str> = texts.into_iter().flatten().map(String::as_str).collect();
    check_no_echo(&body.message, &texts, |from, to| {
        draft_replaced(sent, from, to).validate(golive()).err().map(|e| e.message)
    });

    let (text, lines, max) = match field {
        "summary" => (Some(&sent.summary), Lines::One, SUMMARY_MAX),
        "details" => (sent.details.as_ref(), Lines::Many, DETAILS_MAX),
        "affected_role" => (sent.affected_role.as_ref(), Lines::One, ROLE_MAX),
        "reporter" => (Some(&sent.reporter), Lines::One, ids::MAX_ID_LEN),
        _ => (None, Lines::One, 0),
    };
    let cleaned = text.map(|t| text::clean(t.clone(), lines));
    match body.code {
        ErrorCode::PhiSuspected => {
            let cleaned = cleaned.and_then(Result::ok).unwrap_or_else(|| panic!("phi_suspected on {field}: {body:?}"));
            assert!(phi::screen(&cleaned).is_some(), "phi_suspected, but the screen passes {field}");
        }
        ErrorCode::FieldTooLong => {
            let cleaned = cleaned.and_then(Result::ok).unwrap_or_else(|| panic!("field_too_long on {field}: {body:?}"));
            assert!(cleaned.chars().count() > max, "field_too_long, but {field} is {} long", cleaned.chars().count());
        }
        ErrorCode::EmptySummary => {
            assert_eq!(field, "summary");
            assert_eq!(text::clean(sent.summary.clone(), Lines::One).as_deref(), Ok(""));
        }
        ErrorCode::InvalidValue if text.is_some() && field != "reporter" => {
            assert!(matches!(cleaned, Some(Err(_))), "invalid_value on {field}, which is clean: {body:?}");
        }
        ErrorCode::InvalidValue => {
            assert!(matches!(field, "reporter" | "reported_at" | "affected_users"), "{body:?}");
        }
        ErrorCode::UnknownFacility => assert_eq!(field, "facility"),
        ErrorCode::UnknownUnit | ErrorCode::UnitNotInFacility => assert_eq!(field, "unit"),
        ErrorCode::UnknownModule => assert_eq!(field, "module"),
        code => panic!("validation refused with {code:?}: {body:?}"),
    }
}

/// An accepted report: the draft's choices, clean text in bounds that the screen passes,
/// routable, the same through JSON, and accepted again, unchanged, when sent again.
pub fn check_accepted(sent: &ReportDraft, report: &Report) {
    let golive = golive();
    assert_eq!(report.id, sent.id);
    assert_eq!(
        (report.facility.as_str(), report.unit.as_str(), report.module.as_str()),
        (sent.facility.as_str(), sent.unit.as_str(), sent.module.as_str())
    );
    assert_eq!(golive.unit_facility(report.unit.as_str()), Some(&report.facility));
    assert!(golive.module(report.module.as_str()).is_some());
    assert_eq!(
        (report.kind, report.severity, report.resolved_at_elbow),
        (sent.kind, sent.severity, sent.resolved_at_elbow)
    );
    assert!((1..=AFFECTED_USERS_MAX).contains(&report.affected_users));
    assert_eq!(report.affected_users, sent.affected_users);

    // A reporter of one token (a login, a badge, an e-mail login) is not screened.
    let reporter_screened = report.reporter.as_str().contains(char::is_whitespace);
    for (text, lines, max, screened) in [
        (Some(report.summary.as_str()), Lines::One, SUMMARY_MAX, true),
        (report.details.as_deref(), Lines::Many, DETAILS_MAX, true),
        (report.affected_role.as_deref(), Lines::One, ROLE_MAX, true),
        (Some(report.reporter.as_str()), Lines::One, ids::MAX_ID_LEN, reporter_screened),
    ] {
        let Some(text) = text else { continue };
        assert!(!text.is_empty());
        assert_eq!(text::clean(text.to_owned(), lines).as_deref(), Ok(text), "stored text is not clean");
        assert!(text.chars().count() <= max, "{} characters stored, over {max}", text.chars().count());
        assert!(!screened || phi::screen(text).is_none(), "stored text the screen flags");
    }

    let at = report.reported_at;
    assert_eq!(at.offset(), time::UtcOffset::UTC);
    assert_eq!(at.nanosecond() % 1000, 0, "reported_at is not in whole microseconds");
    assert!((REPORTED_AT_MIN..REPORTED_AT_END).contains(&at));
    let lost = sent.reported_at - at;
    assert!(lost >= time::Duration::ZERO && lost < time::Duration::microseconds(1), "reported_at moved by {lost}");

    let queues = route_report(report, golive);
    assert!(!queues.is_empty(), "routed nowhere");
    for (i, q) in queues.iter().enumerate() {
        assert!(golive.queue(q.as_str()).is_some(), "routed to an unknown queue {q}");
        assert!(!queues[..i].contains(q), "routed twice to {q}");
    }

    let json = serde_json::to_string(report).expect("a report serialises");
    let back: Report = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&back, report, "changed through JSON");
    assert!(report.same_as_retry(&back));
    assert_eq!(draft_of(&back).validate(golive).as_ref(), Ok(report), "validation is not idempotent");
}

/// The draft that describes `report`, as a client retrying it would send it.
pub fn draft_of(report: &Report) -> ReportDraft {
    ReportDraft {
        id: report.id,
        facility: report.facility.to_string(),
        unit: report.unit.to_string(),
        module: report.module.to_string(),
        kind: report.kind,
        severity: report.severity,
        summary: report.summary.clone(),
        details: report.details.clone(),
        affected_role: report.affected_role.clone(),
        affected_users: report.affected_users,
        resolved_at_elbow: report.resolved_at_elbow,
        reporter: report.reporter.to_string(),
        reported_at: report.reported_at,
    }
}

/// Checks a status change as the HTTP handler takes it: decoded, then its note checked. Its
/// resolution, an id, is looked up in the go-live's list, and the move itself is the
/// workflow's (`workflow::decide`, tested over every move).
pub fn check_status_change(change: StatusChange) {
    let StatusChange { status, note, resolution: _ } = change;
    match validate_note(note.clone(), status) {
        Ok(Some(kept)) => {
            assert_eq!(
                text::clean(kept.clone(), Lines::Many).as_deref(),
                Ok(kept.as_str()),
                "stored note is not clean"
            );
            assert!(!kept.is_empty() && kept.chars().count() <= NOTE_MAX);
            assert!(phi::screen(&kept).is_none(), "stored a note the screen flags");
            assert_eq!(validate_note(Some(kept.clone()), status), Ok(Some(kept)), "note validation is not idempotent");
        }
        Ok(None) => assert!(!Status::needs_note(status), "moved to {status:?} without a note"),
        Err(body) => {
            assert_eq!(body.field.as_deref(), Some("note"), "{body:?}");
            assert_eq!(body.id, None);
            check_field(&body, &STATUS_CHANGE_FIELDS);
            let texts: Vec<&str> = note.as_deref().into_iter().collect();
            check_no_echo(&body.message, &texts, |from, to| {
                validate_note(note.as_ref().map(|n| n.replace(from, to)), status).err().map(|e| e.message)
            });
            match body.code {
                ErrorCode::NoteRequired => assert!(Status::needs_note(status)),
                ErrorCode::InvalidValue => assert!(text::clean(note.unwrap_or_default(), Lines::Many).is_err()),
                ErrorCode::FieldTooLong | ErrorCode::PhiSuspected => {}
                code => panic!("a note refused with {code:?}: {body:?}"),
            }
        }
    }
}
