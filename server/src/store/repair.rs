//! The start-up repair of rows stored before the rule at the trust boundary (`shared::text`,
//! `ReportDraft::validate`): a report whose `reported_at` no layer can serialise (a device
//! that sent year 0000), free text with control or format characters (a NUL, a bidi
//! override), text not in NFC. Such a row broke every read that met it, so each is repaired
//! in place rather than quarantined out of sight: the issue stays on its queue and board,
//! readable. A time out of range becomes the receipt time; refused characters are dropped;
//! text is put in NFC. Each repair is recorded in `repairs` (table, row, field, fault, and a
//! repaired time's original value), and each run in `repair_runs`, so it runs once per
//! version of the rule.

use std::borrow::Cow;

use floorboard_shared::report::{REPORTED_AT_END, REPORTED_AT_MIN};
use floorboard_shared::text::{self, Lines};

use super::sql::{IssueRow, micros};

/// The version of the rule the stored rows were last repaired to. Raise it when the rule
/// refuses more, and extend `repair_row` to match.
pub(super) const VERSION: i64 = 1;

/// What was wrong with one field of a stored row (`repairs.fault`; the migration's comment
/// lists the first three).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fault {
    /// A time outside what the rule accepts (`reported_at` from 2000 to 2099).
    OutOfRange,
    /// Characters no field may hold, dropped.
    Refused,
    /// Text not in NFC, normalised.
    NotNfc,
    /// Text with whitespace at its ends, trimmed.
    Untrimmed,
}

impl Fault {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Fault::OutOfRange => "out_of_range",
            Fault::Refused => "control_or_format_character",
            Fault::NotNfc => "not_nfc",
            Fault::Untrimmed => "untrimmed",
        }
    }
}

/// One repair, as `repairs` records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Repair {
    pub field: &'static str,
    pub fault: Fault,
    /// A repaired time's original value (microseconds since the epoch).
    pub was_micros: Option<i64>,
}

/// What a summary scrubbed of everything becomes: the issue must still say something.
const UNREADABLE: &str = "(text removed: it held only unreadable characters)";
/// What a reporter scrubbed of everything becomes.
const UNKNOWN_REPORTER: &str = "unknown";

/// Repairs a report's row in place; the repairs made (none for a row that keeps the rule).
pub(super) fn repair_row(row: &mut IssueRow) -> Vec<Repair> {
    let mut repairs = Vec::new();
    let range = micros(REPORTED_AT_MIN)..micros(REPORTED_AT_END);
    if !range.contains(&row.reported_at) {
        repairs.push(Repair { field: "reported_at", fault: Fault::OutOfRange, was_micros: Some(row.reported_at) });
        row.reported_at = row.received_at;
    }
    let mut text_field = |field: &'static str, value: &mut String, lines: Lines, if_empty: &str| {
        if let Some(fault) = repair_text(value, lines) {
            repairs.push(Repair { field, fault, was_micros: None });
            if value.is_empty() {
                if_empty.clone_into(value);
            }
        }
    };
    text_field("summary", &mut row.summary, Lines::One, UNREADABLE);
    text_field("reporter", &mut row.reporter, Lines::One, UNKNOWN_REPORTER);
    for (field, value, lines) in [
        ("details", &mut row.details, Lines::Many),
        ("affected_role", &mut row.affected_role, Lines::One),
        ("note", &mut row.note, Lines::Many),
    ] {
        if let Some(text) = value {
            text_field(field, text, lines, "");
            if text.is_empty() {
                *value = None;
            }
        }
    }
    repairs
}

/// Repairs a status change's copy of its issue (JSON) the same way: the text fields and the
/// report's time. `None` when it keeps the rule (or is not an issue at all: left for the
/// reader to report, as before).
pub(super) fn repair_event_issue(json: &str) -> Option<(String, Vec<Repair>)> {
    let mut issue: serde_json::Value = serde_json::from_str(json).ok()?;
    let object = issue.as_object_mut()?;
    let mut repairs = Vec::new();
    for (field, lines) in [
        ("summary", Lines::One),
        ("reporter", Lines::One),
        ("details", Lines::Many),
        ("affected_role", Lines::One),
        ("note", Lines::Many),
    ] {
        if let Some(serde_json::Value::String(value)) = object.get_mut(field)
            && let Some(fault) = repair_text(value, lines)
        {
            repairs.push(Repair { field, fault, was_micros: None });
            if value.is_empty() {
                match field {
                    "summary" => UNREADABLE.clone_into(value),
                    "reporter" => UNKNOWN_REPORTER.clone_into(value),
                    _ => {
                        object.remove(field);
                    }
                }
            }
        }
    }
    // Only a time that is there is repaired: a copy without one is left for the reader.
    if let Some(reported_at) = object.get("reported_at").and_then(|v| v.as_str()) {
        let parsed = time::OffsetDateTime::parse(reported_at, &time::format_description::well_known::Rfc3339).ok();
        if !parsed.is_some_and(|at| (REPORTED_AT_MIN..REPORTED_AT_END).contains(&at))
            && let Some(received) = object.get("received_at").cloned()
        {
            let was_micros = parsed.map(micros);
            repairs.push(Repair { field: "reported_at", fault: Fault::OutOfRange, was_micros });
            object.insert("reported_at".into(), received);
        }
    }
    if repairs.is_empty() {
        return None;
    }
    Some((issue.to_string(), repairs))
}

/// Puts `value` under the rule, saying what was wrong, if anything.
fn repair_text(value: &mut String, lines: Lines) -> Option<Fault> {
    let fault = if value.chars().any(|c| text::refused(c, lines)) {
        Fault::Refused
    } else if value.trim().len() != value.len() {
        Fault::Untrimmed
    } else if matches!(text::normalised(value), Cow::Owned(_)) {
        Fault::NotNfc
    } else {
        return None;
    };
    *value = text::scrub(value, lines);
    Some(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> IssueRow {
        IssueRow {
            id: "00000000-0000-0000-0000-000000000001".into(),
            facility: "rmc".into(),
            unit: "rmc-4w".into(),
            module: "clindoc".into(),
            kind: "configuration".into(),
            severity: "patient_safety".into(),
            summary: "BP SmartSet does not load".into(),
            details: None,
            affected_role: Some("RN".into()),
            affected_users: 1,
            resolved_at_elbow: false,
            reporter: "trainer-07".into(),
            reported_at: 1_763_712_000_000_000,
            received_at: 1_763_712_060_000_000,
            queues: "[\"cc-lead\"]".into(),
            status: "new".into(),
            assignee: None,
            resolution: None,
            note: None,
            updated_at: 1_763_712_060_000_000,
            reported_seq: 1,
            seq: 1,
        }
    }

    #[test]
    fn a_row_that_keeps_the_rule_is_left_alone() {
        let mut r = row();
        assert!(repair_row(&mut r).is_empty());
        assert_eq!(r.summary, row().summary);
    }

    #[test]
    fn a_report_from_year_zero_takes_its_receipt_time_and_the_original_is_kept() {
        let mut r = row();
        // 0000-01-01T00:00:00+00:01, as an older server stored it.
        r.reported_at = -62_167_219_260_000_000;
        let repairs = repair_row(&mut r);
        assert_eq!(
            repairs,
            [Repair { field: "reported_at", fault: Fault::OutOfRange, was_micros: Some(-62_167_219_260_000_000) }]
        );
        assert_eq!(r.reported_at, r.received_at);
    }

    #[test]
    fn refused_characters_are_dropped_and_text_put_in_nfc() {
        let mut r = row();
        r.summary = "Order set\0 missing \u{202E}".into();
        r.details = Some("\u{200B}".into());
        r.affected_role = Some("Cafe\u{301} RN".into());
        r.note = Some("step 1\r\nstep\u{7} 2".into());
        let faults: Vec<_> = repair_row(&mut r).into_iter().map(|r| (r.field, r.fault)).collect();
        assert_eq!(
            faults,
            [
                ("summary", Fault::Refused),
                ("details", Fault::Refused),
                ("affected_role", Fault::NotNfc),
                ("note", Fault::Refused)
            ]
        );
        assert_eq!(r.summary, "Order set missing");
        assert_eq!(r.details, None, "nothing readable was left");
        assert_eq!(r.affected_role.as_deref(), Some("Caf\u{e9} RN"));
        assert_eq!(r.note.as_deref(), Some("step 1\nstep 2"));
        let mut empty = row();
        empty.summary = "\0\0".into();
        repair_row(&mut empty);
        assert_eq!(empty.summary, UNREADABLE);
    }

    #[test]
    fn a_status_change_copy_is_repaired_the_same_way() {
        let json = r#"{"summary":"Order\u0000 set","note":"done\u202e","reported_at":"2026-11-21T08:00:00Z","received_at":"2026-11-21T08:01:00Z","status":"resolved"}"#;
        let (repaired, repairs) = repair_event_issue(json).expect("repaired");
        let value: serde_json::Value = serde_json::from_str(&repaired).expect("JSON");
        assert_eq!((value["summary"].as_str(), value["note"].as_str()), (Some("Order set"), Some("done")));
        assert_eq!(repairs.len(), 2);
        let clean =
            r#"{"summary":"Order set","reported_at":"2026-11-21T08:00:00Z","received_at":"2026-11-21T08:01:00Z"}"#;
        assert_eq!(repair_event_issue(clean), None);
        let ancient =
            r#"{"summary":"Order set","reported_at":"1970-01-01T00:00:01Z","received_at":"2026-11-21T08:01:00Z"}"#;
        let (repaired, repairs) = repair_event_issue(ancient).expect("repaired");
        assert!(repaired.contains(r#""reported_at":"2026-11-21T08:01:00Z""#), "{repaired}");
        assert_eq!(repairs[0].was_micros, Some(1_000_000), "the original time is kept");
        let timeless = r#"{"summary":"Order set","received_at":"2026-11-21T08:01:00Z"}"#;
        assert_eq!(repair_event_issue(timeless), None, "a copy without a time is not given one");
    }
}
