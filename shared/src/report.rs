//! Reports and the issues they become: the four kinds, severities, statuses and their
//! transitions, and validation of a draft against the go-live's catalog.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{ErrorBody, ErrorCode};
use crate::golive::GoLive;
use crate::ids::{FacilityId, ModuleId, QueueId, ReportId, ReporterId, ResolutionId, UnitId};
use crate::phi;
use crate::text::{self, Lines};

/// Longest summary, in characters: one sentence said between two users.
pub const SUMMARY_MAX: usize = 200;
/// Longest details text, in characters.
pub const DETAILS_MAX: usize = 2000;
/// Longest affected-role text, in characters.
pub const ROLE_MAX: usize = 64;
/// Longest resolution or status note, in characters.
pub const NOTE_MAX: usize = 2000;
/// Most affected users one report may claim.
pub const AFFECTED_USERS_MAX: u32 = 10_000;

/// What kind of problem the trainer met; each goes somewhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The user did not learn the workflow.
    TrainingGap,
    /// The system does not behave as built or trained.
    Configuration,
    /// No login, wrong role or security class, missing device.
    Access,
    /// The workflow changed after training, or people issues.
    Process,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::TrainingGap, Kind::Configuration, Kind::Access, Kind::Process];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TrainingGap => "training_gap",
            Kind::Configuration => "configuration",
            Kind::Access => "access",
            Kind::Process => "process",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::TrainingGap => "Training gap",
            Kind::Configuration => "Configuration",
            Kind::Access => "Access",
            Kind::Process => "Process",
        }
    }
}

/// How bad it is. Ordered from most to least urgent, so sorting puts safety first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    PatientSafety,
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::PatientSafety, Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::PatientSafety => "patient_safety",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// Where an issue stands in the command center.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    /// Waiting on the reporter for information.
    AwaitingInfo,
    /// Handed to the vendor or to project leadership.
    Escalated,
    /// Fixed in build, waiting for the move to production.
    PendingMigration,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Acknowledged,
        Status::InProgress,
        Status::AwaitingInfo,
        Status::Escalated,
        Status::PendingMigration,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::AwaitingInfo => "awaiting_info",
            Status::Escalated => "escalated",
            Status::PendingMigration => "pending_migration",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Open issues still need someone's attention; they heat the board.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// Whether moving to `to` needs a resolution note (closing the loop with the reporter).
    pub fn needs_note(to: Status) -> bool {
        matches!(to, Status::Resolved | Status::Closed)
    }

    /// Whether moving from here to `to` reopens the issue: a fix that did not hold, which
    /// needs a note saying why.
    pub fn reopens(self, to: Status) -> bool {
        !self.is_open() && to.is_open()
    }

    /// Allowed moves. Open issues move freely between the working states and may be
    /// resolved from any of them; only a resolved issue can be closed; a resolved or closed
    /// issue may be reopened into progress when the fix did not hold. Nothing returns to
    /// `new`, and staying put is not a move.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        match (self, to) {
            (a, b) if a == b => false,
            (_, New) => false,
            (Closed, to) => to == InProgress,
            (Resolved, to) => matches!(to, Closed | InProgress),
            (_, Closed) => false,
            _ => true,
        }
    }
}

/// A report as a device sends it, before validation. Field names are the wire names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDraft {
    /// Generated by the device; sending the same id again is a harmless retry.
    pub id: ReportId,
    #[cfg_attr(feature = "openapi", schema(value_type = FacilityId))]
    pub facility: String,
    /// A unit of `facility`.
    #[cfg_attr(feature = "openapi", schema(value_type = UnitId))]
    pub unit: String,
    #[cfg_attr(feature = "openapi", schema(value_type = ModuleId))]
    pub module: String,
    pub kind: Kind,
    pub severity: Severity,
    /// One sentence about the system, never about a patient (1 to 200 characters).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::summary))]
    pub summary: String,
    /// Optional longer description (up to 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::details))]
    pub details: Option<String>,
    /// The affected users' role, e.g. "RN" or "charge nurse" (up to 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::affected_role))]
    pub affected_role: Option<String>,
    /// How many users the problem affects (1 to 10,000; default 1).
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10_000, default = 1))]
    pub affected_users: u32,
    /// Fixed on the spot by the trainer; the issue starts resolved.
    #[serde(default)]
    pub resolved_at_elbow: bool,
    /// The trainer's login or badge name.
    #[cfg_attr(feature = "openapi", schema(value_type = ReporterId))]
    pub reporter: String,
    /// When the trainer made the report, by the device's clock.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::reported_at))]
    pub reported_at: OffsetDateTime,
}

fn one() -> u32 {
    1
}

/// A validated report: every reference exists in the catalog, every text is in bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: ReportId,
    pub facility: FacilityId,
    pub unit: UnitId,
    pub module: ModuleId,
    pub kind: Kind,
    pub severity: Severity,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_role: Option<String>,
    pub affected_users: u32,
    pub resolved_at_elbow: bool,
    pub reporter: ReporterId,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub reported_at: OffsetDateTime,
}

impl Report {
    /// The status a new issue starts in.
    pub fn initial_status(&self) -> Status {
        if self.resolved_at_elbow { Status::Resolved } else { Status::New }
    }
}

/// A report once committed: its routing, its status, and the event that last changed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    #[serde(flatten)]
    pub report: Report,
    /// The queues the routing rules sent it to, in rule order.
    pub queues: Vec<QueueId>,
    pub status: Status,
    /// Who owns the work: one who may work the issue's queues (`workflow::Work::Assign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<ReporterId>,
    /// How it was resolved, one of the go-live's codes: set when resolved, kept when closed,
    /// cleared when reopened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ResolutionId>,
    /// The latest note given with a status change (the resolution, once resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the server committed the report.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
    /// `received_at - reported_at` in seconds when 5 minutes or more either way
    /// (`Issue::skew_of`): positive when the report arrived late (sent from an outbox after a
    /// dead zone) or the device's clock is behind; negative when its clock is ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_secs: Option<i64>,
    /// Sequence number of the event that recorded the report.
    pub reported_seq: u64,
    /// Sequence number of the event that last changed this issue.
    pub seq: u64,
}

/// The earliest `reported_at` accepted (inclusive): before it no go-live happened, and the
/// device's clock is broken, not slow.
pub const REPORTED_AT_MIN: OffsetDateTime = time::macros::datetime!(2000-01-01 00:00 UTC);
/// The latest `reported_at` accepted (exclusive). The range keeps every time any layer holds:
/// RFC 3339's four-digit years, microseconds in 64 bits, the go-live's local offsets.
pub const REPORTED_AT_END: OffsetDateTime = time::macros::datetime!(2100-01-01 00:00 UTC);
/// How far the device's `reported_at` may be from the server's receipt before the issue
/// carries `skew_secs`: a report sent late from an outbox, or a device whose clock is wrong.
pub const SKEW_FLAG_SECS: i64 = 5 * 60;

/// A free-text field of an issue: what an administrator may redact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    /// The report's summary.
    Summary,
    /// The report's details.
    Details,
    /// Every note given with the issue's status changes.
    Note,
}

impl TextField {
    pub const ALL: [TextField; 3] = [TextField::Summary, TextField::Details, TextField::Note];

    pub fn as_str(self) -> &'static str {
        match self {
            TextField::Summary => "summary",
            TextField::Details => "details",
            TextField::Note => "note",
        }
    }
}

/// What a redacted field reads, wherever it is served.
pub const REDACTED: &str = "[redacted]";

impl Issue {
    /// A report as it becomes an issue, received at `at` and recorded by event `seq`: its
    /// initial status, no note, its clock skew flagged.
    pub fn reported(report: Report, queues: Vec<QueueId>, at: OffsetDateTime, seq: u64) -> Issue {
        Issue {
            status: report.initial_status(),
            assignee: None,
            resolution: None,
            skew_secs: Issue::skew_of(report.reported_at, at),
            note: None,
            received_at: at,
            updated_at: at,
            reported_seq: seq,
            seq,
            report,
            queues,
        }
    }

    /// The text of `field`, if the issue has any.
    fn text_mut(&mut self, field: TextField) -> Option<&mut String> {
        match field {
            TextField::Summary => Some(&mut self.report.summary),
            TextField::Details => self.report.details.as_mut(),
            TextField::Note => self.note.as_mut(),
        }
    }

    /// Redacts `field` of the issue as it stands (the privacy officer's fix for text that
    /// let patient data through): it then reads [`REDACTED`]. Refused, changing nothing,
    /// when the field is empty or redacted already. Earlier copies of the issue are
    /// [`Issue::scrub`]bed to match.
    pub fn redact(&mut self, field: TextField) -> Result<(), ErrorBody> {
        let refuse = |what: String| Err(ErrorBody::new(ErrorCode::InvalidValue, what).with_field("field"));
        match self.text_mut(field) {
            None => refuse(format!("the issue has no {}", field.as_str())),
            Some(text) if text == REDACTED => refuse(format!("the {} is redacted already", field.as_str())),
            Some(text) => {
                REDACTED.clone_into(text);
                Ok(())
            }
        }
    }

    /// Redacts `field` in an earlier copy of the issue, whatever it held then.
    pub fn scrub(&mut self, field: TextField) {
        if let Some(text) = self.text_mut(field) {
            REDACTED.clone_into(text);
        }
    }

    /// `received_at - reported_at` in whole seconds, when it is `SKEW_FLAG_SECS` or more
    /// either way.
    pub fn skew_of(reported_at: OffsetDateTime, received_at: OffsetDateTime) -> Option<i64> {
        let skew = received_at.unix_timestamp().saturating_sub(reported_at.unix_timestamp());
        (skew.saturating_abs() >= SKEW_FLAG_SECS).then_some(skew)
    }
}

impl ReportDraft {
    /// Checks the draft against the catalog and the field limits; the first fault wins. The
    /// report keeps the draft's strings (trimmed and normalised in place, `text::clean`):
    /// validating clean ASCII allocates nothing.
    pub fn validate(self, golive: &GoLive) -> Result<Report, ErrorBody> {
        let ReportDraft {
            id,
            facility,
            unit,
            module,
            kind,
            severity,
            summary,
            details,
            affected_role,
            affected_users,
            resolved_at_elbow,
            reporter,
            reported_at,
        } = self;
        let bad = |code, field: &str, message: String| Err(ErrorBody::new(code, message).with_field(field).with_id(id));

        let reporter = check_reporter(reporter).map_err(|e| e.with_id(id))?;
        let Some(known) = golive.facility(&facility) else {
            return bad(
                ErrorCode::UnknownFacility,
                "facility",
                format!("no facility `{}` in this go-live", clip(&facility)),
            );
        };
        match golive.unit_facility(&unit) {
            None => {
                return bad(ErrorCode::UnknownUnit, "unit", format!("no unit `{}` in this go-live", clip(&unit)));
            }
            Some(owner) if owner != &known.id => {
                return bad(
                    ErrorCode::UnitNotInFacility,
                    "unit",
                    format!("unit `{unit}` belongs to facility `{owner}`, not `{}`", known.id),
                );
            }
            Some(_) => {}
        }
        if golive.module(&module).is_none() {
            return bad(ErrorCode::UnknownModule, "module", format!("no module `{}` in this go-live", clip(&module)));
        }
        // Compared as instants, which cannot overflow, before any conversion that could.
        if !(REPORTED_AT_MIN..REPORTED_AT_END).contains(&reported_at) {
            return bad(
                ErrorCode::InvalidValue,
                "reported_at",
                "reported_at must be from 2000 to 2099 (UTC); check the device's clock".into(),
            );
        }
        let with_id = |e: ErrorBody| e.with_id(id);
        let summary = check_text("summary", summary, Lines::One, SUMMARY_MAX).map_err(with_id)?;
        if summary.is_empty() {
            return bad(ErrorCode::EmptySummary, "summary", "summary must say what happened".into());
        }
        let details =
            details.map(|d| check_text("details", d, Lines::Many, DETAILS_MAX)).transpose().map_err(with_id)?;
        let role =
            affected_role.map(|r| check_text("affected_role", r, Lines::One, ROLE_MAX)).transpose().map_err(with_id)?;
        if !(1..=AFFECTED_USERS_MAX).contains(&affected_users) {
            return bad(
                ErrorCode::InvalidValue,
                "affected_users",
                format!("affected_users must be 1 to {AFFECTED_USERS_MAX}"),
            );
        }

        Ok(Report {
            id,
            // Equal to the catalog's ids: each was looked up as it is.
            facility: FacilityId::new(facility),
            unit: UnitId::new(unit),
            module: ModuleId::new(module),
            kind,
            severity,
            summary,
            details: details.filter(|d| !d.is_empty()),
            affected_role: role.filter(|r| !r.is_empty()),
            affected_users,
            resolved_at_elbow,
            reporter,
            // Microseconds are what every store keeps; a retry must compare equal. In range,
            // the conversion cannot overflow.
            reported_at: reported_at.to_offset(time::UtcOffset::UTC).truncate_to_microsecond(),
        })
    }
}

impl Report {
    /// Whether `self`, as stored, is the report `retry` (validated now) describes. Text stored
    /// before it was normalised at validation compares as it would be stored today, so a
    /// client's retry of its own report is never an `id_conflict`.
    pub fn same_as_retry(&self, retry: &Report) -> bool {
        if self == retry {
            return true;
        }
        let text = |s: &str| crate::text::normalised(s).into_owned();
        let restated = Report {
            summary: text(&self.summary),
            details: self.details.as_deref().map(text),
            affected_role: self.affected_role.as_deref().map(text),
            ..self.clone()
        };
        restated == *retry
    }
}

/// The checks `ReportDraft::validate` makes on one free-text field, with the same codes and
/// messages: a character no layer may hold (`invalid_value`), over `max` characters
/// (`field_too_long`), a patient identifier (`phi_suspected`). Returns the text cleaned
/// (`text::clean`). Devices run it as the trainer types, so a draft the server would refuse
/// is shown with the server's own words before it is sent.
pub fn check_text(field: &str, text: String, lines: Lines, max: usize) -> Result<String, ErrorBody> {
    let text = text::clean(text, lines)
        .map_err(|refused| ErrorBody::new(ErrorCode::InvalidValue, refused.message(field)).with_field(field))?;
    screen_text(field, &text, max)?;
    Ok(text)
}

/// The checks on who reports, as `validate` makes them: the text rule and 1 to 64
/// characters (`invalid_value`), and the patient-data screen for a reporter written as words
/// (`phi_suspected`). A reporter of one token (a login, a badge number, an e-mail login) is
/// an identity of staff, which the screen would take for a record number or a patient's
/// e-mail: it is not screened. Devices run it at check-in.
pub fn check_reporter(reporter: String) -> Result<ReporterId, ErrorBody> {
    let reporter = ReporterId::parse_owned(reporter)
        .map_err(|message| ErrorBody::new(ErrorCode::InvalidValue, message).with_field("reporter"))?;
    if reporter.as_str().contains(char::is_whitespace) {
        screen_text("reporter", reporter.as_str(), crate::ids::MAX_ID_LEN)?;
    }
    Ok(reporter)
}

/// Length and the patient-data screen, on text already cleaned.
fn screen_text(field: &str, text: &str, max: usize) -> Result<(), ErrorBody> {
    if text.chars().count() > max {
        return Err(ErrorBody::new(ErrorCode::FieldTooLong, format!("{field} is longer than {max} characters"))
            .with_field(field));
    }
    match phi::screen(text) {
        Some(finding) => Err(ErrorBody::new(ErrorCode::PhiSuspected, phi_message(field, &finding)).with_field(field)),
        None => Ok(()),
    }
}

/// What a `phi_suspected` refusal says: the field and the kind of identifier, never the text.
fn phi_message(field: &str, finding: &impl std::fmt::Display) -> String {
    format!("{field} looks like it holds {finding}; describe the system, not the patient")
}

/// Ids from the request are echoed in messages only when they are plausible catalog codes,
/// so an error never repeats free text back.
fn clip(s: &str) -> &str {
    if crate::ids::is_slug(s) { s } else { "…" }
}

/// Checks a status-change note: trimmed, normalised, bounded, free of patient identifiers.
pub fn validate_note(note: Option<String>, to: Status) -> Result<Option<String>, ErrorBody> {
    let note = note.map(|n| check_text("note", n, Lines::Many, NOTE_MAX)).transpose()?.filter(|n| !n.is_empty());
    if note.is_none() && Status::needs_note(to) {
        return Err(ErrorBody::new(
            ErrorCode::NoteRequired,
            format!("moving to {} needs a note saying what was done", to.as_str()),
        )
        .with_field("note"));
    }
    Ok(note)
}

/// A re-route's reason: the text rule, 1 to `NOTE_MAX` characters, and the patient-data
/// screen, as a note.
pub fn validate_reason(reason: String) -> Result<String, ErrorBody> {
    let reason = check_text("reason", reason, Lines::Many, NOTE_MAX)?;
    if reason.is_empty() {
        return Err(ErrorBody::new(ErrorCode::NoteRequired, "a re-route needs a reason").with_field("reason"));
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golive::GoLive;
    use uuid::Uuid;

    fn draft() -> ReportDraft {
        ReportDraft {
            id: ReportId(Uuid::from_u128(7)),
            facility: "rmc".into(),
            unit: "rmc-4w".into(),
            module: "clindoc".into(),
            kind: Kind::Configuration,
            severity: Severity::Medium,
            summary: "  BP med SmartSet does not load for RN role  ".into(),
            details: Some("   ".into()),
            affected_role: Some("RN".into()),
            affected_users: 3,
            resolved_at_elbow: false,
            reporter: "trainer.kim".into(),
            reported_at: time::macros::datetime!(2026-11-21 08:00 UTC),
        }
    }

    fn issue() -> Issue {
        let report = ReportDraft { details: Some("Seen on two workstations".into()), ..draft() }
            .validate(&GoLive::example())
            .unwrap();
        Issue::reported(report, vec![], time::macros::datetime!(2026-11-21 08:01 UTC), 1)
    }

    #[test]
    fn a_redacted_field_reads_redacted_and_nothing_else_changes() {
        for field in TextField::ALL {
            let mut before = issue();
            before.note = Some("Called the help desk".into());
            let mut after = before.clone();
            after.redact(field).unwrap();
            let mut expected = before.clone();
            match field {
                TextField::Summary => expected.report.summary = REDACTED.into(),
                TextField::Details => expected.report.details = Some(REDACTED.into()),
                TextField::Note => expected.note = Some(REDACTED.into()),
            }
            assert_eq!(after, expected, "{field:?}");
            let again = after.clone().redact(field).unwrap_err();
            assert_eq!((again.code, again.field.as_deref()), (ErrorCode::InvalidValue, Some("field")));
        }
    }

    #[test]
    fn an_empty_field_is_not_redacted_but_an_earlier_copy_is_scrubbed_whatever_it_held() {
        let mut bare = issue();
        bare.report.details = None;
        let refused = bare.clone().redact(TextField::Note).unwrap_err();
        assert_eq!(refused.message, "the issue has no note");
        assert!(bare.clone().redact(TextField::Details).is_err());
        let mut copy = bare.clone();
        copy.scrub(TextField::Note);
        assert_eq!(copy, bare, "nothing to scrub");
        copy.note = Some("an earlier note".into());
        copy.scrub(TextField::Note);
        assert_eq!(copy.note.as_deref(), Some(REDACTED));
    }

    fn code_of(d: ReportDraft) -> (ErrorCode, Option<String>) {
        let e = d.validate(&GoLive::example()).unwrap_err();
        (e.code, e.field)
    }

    #[test]
    fn a_good_draft_validates_with_trimmed_text() {
        let r = draft().validate(&GoLive::example()).unwrap();
        assert_eq!(r.summary, "BP med SmartSet does not load for RN role");
        assert_eq!(r.details, None);
        assert_eq!(r.unit.as_str(), "rmc-4w");
        assert_eq!(r.initial_status(), Status::New);
        let r = ReportDraft { affected_role: Some("\tcharge nurse \n".into()), reporter: " kim".into(), ..draft() }
            .validate(&GoLive::example())
            .unwrap();
        assert_eq!((r.affected_role.as_deref(), r.reporter.as_str()), (Some("charge nurse"), "kim"));
    }

    #[test]
    fn unknown_references_are_refused_by_field() {
        assert_eq!(
            code_of(ReportDraft { facility: "nope".into(), ..draft() }),
            (ErrorCode::UnknownFacility, Some("facility".into()))
        );
        assert_eq!(
            code_of(ReportDraft { unit: "nope".into(), ..draft() }),
            (ErrorCode::UnknownUnit, Some("unit".into()))
        );
        assert_eq!(
            code_of(ReportDraft { unit: "sjh-icu".into(), ..draft() }),
            (ErrorCode::UnitNotInFacility, Some("unit".into()))
        );
        assert_eq!(
            code_of(ReportDraft { module: "nope".into(), ..draft() }),
            (ErrorCode::UnknownModule, Some("module".into()))
        );
    }

    #[test]
    fn text_must_be_present_and_bounded() {
        assert_eq!(code_of(ReportDraft { summary: "   ".into(), ..draft() }).0, ErrorCode::EmptySummary);
        assert_eq!(code_of(ReportDraft { summary: "x".repeat(SUMMARY_MAX + 1), ..draft() }).0, ErrorCode::FieldTooLong);
        assert_eq!(
            code_of(ReportDraft { details: Some("x".repeat(DETAILS_MAX + 1)), ..draft() }).1,
            Some("details".into())
        );
        assert_eq!(
            code_of(ReportDraft { affected_role: Some("x".repeat(ROLE_MAX + 1)), ..draft() }).1,
            Some("affected_role".into())
        );
        assert_eq!(code_of(ReportDraft { affected_users: 0, ..draft() }).0, ErrorCode::InvalidValue);
        assert_eq!(code_of(ReportDraft { reporter: "".into(), ..draft() }).0, ErrorCode::InvalidValue);
        // Exactly at the limit is fine, counted in characters, not bytes.
        assert!(ReportDraft { summary: "é".repeat(SUMMARY_MAX), ..draft() }.validate(&GoLive::example()).is_ok());
    }

    #[test]
    fn patient_identifiers_in_free_text_are_refused() {
        let d = ReportDraft { summary: "MRN 00482913 chart will not open".into(), ..draft() };
        assert_eq!(code_of(d), (ErrorCode::PhiSuspected, Some("summary".into())));
    }

    #[test]
    fn a_field_checked_alone_is_refused_as_validate_refuses_it() {
        for (field, text, lines, max, d) in [
            ("summary", "pt MRN 4829137 chart won't open", Lines::One, SUMMARY_MAX, draft()),
            ("summary", "Order set \u{202E}gnissim", Lines::One, SUMMARY_MAX, draft()),
            ("details", "call back 555-123-4567", Lines::Many, DETAILS_MAX, draft()),
            ("affected_role", "R\u{85}N", Lines::One, ROLE_MAX, draft()),
        ] {
            let alone = check_text(field, text.into(), lines, max).unwrap_err();
            let d = match field {
                "summary" => ReportDraft { summary: text.into(), ..d },
                "details" => ReportDraft { details: Some(text.into()), ..d },
                _ => ReportDraft { affected_role: Some(text.into()), ..d },
            };
            let whole = d.validate(&GoLive::example()).unwrap_err();
            assert_eq!(alone.clone().with_id(whole.id.unwrap()), whole, "{field}");
            assert!(!alone.message.contains(text), "{}", alone.message);
        }
        let message = check_text("summary", "pt MRN 4829137 chart won't open".into(), Lines::One, SUMMARY_MAX)
            .unwrap_err()
            .message;
        assert!(message.starts_with("summary looks like it holds "), "{message}");
        assert!(message.ends_with("; describe the system, not the patient"), "{message}");
        assert_eq!(check_text("summary", " Caf\u{65}\u{301} ".into(), Lines::One, 9).unwrap(), "Caf\u{e9}");
    }

    #[test]
    fn errors_do_not_echo_free_text() {
        let e = ReportDraft { unit: "Mrs Smith's room".into(), ..draft() }.validate(&GoLive::example()).unwrap_err();
        assert!(!e.message.contains("Smith"), "{}", e.message);
    }

    #[test]
    fn resolved_at_the_elbow_starts_resolved() {
        let r = ReportDraft { resolved_at_elbow: true, kind: Kind::TrainingGap, ..draft() }
            .validate(&GoLive::example())
            .unwrap();
        assert_eq!(r.initial_status(), Status::Resolved);
    }

    #[test]
    fn status_moves_forward_and_reopens_only_into_progress() {
        use Status::*;
        assert!(New.can_move_to(Acknowledged));
        assert!(New.can_move_to(Resolved));
        assert!(Escalated.can_move_to(InProgress));
        assert!(Resolved.can_move_to(Closed));
        assert!(Resolved.can_move_to(InProgress));
        assert!(Closed.can_move_to(InProgress));
        assert!(!New.can_move_to(New));
        assert!(!Acknowledged.can_move_to(New));
        assert!(!New.can_move_to(Closed));
        assert!(!Closed.can_move_to(Resolved));
    }

    #[test]
    fn resolving_needs_a_note() {
        assert_eq!(validate_note(None, Status::Resolved).unwrap_err().code, ErrorCode::NoteRequired);
        assert_eq!(validate_note(Some("  ".into()), Status::Closed).unwrap_err().code, ErrorCode::NoteRequired);
        assert_eq!(validate_note(None, Status::Acknowledged).unwrap(), None);
        assert_eq!(
            validate_note(Some(" role remapped ".into()), Status::Resolved).unwrap().as_deref(),
            Some("role remapped")
        );
    }

    #[test]
    fn notes_take_line_breaks_but_no_controls_or_format_characters() {
        let note = validate_note(Some("step 1\r\nstep 2".into()), Status::Resolved).unwrap();
        assert_eq!(note.as_deref(), Some("step 1\nstep 2"));
        for bad in ["fixed\0", "fixed \u{202E}dexif"] {
            let e = validate_note(Some(bad.into()), Status::Resolved).unwrap_err();
            assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidValue, Some("note")));
        }
    }

    #[test]
    fn reported_at_must_be_this_century_and_never_panics() {
        use time::macros::datetime;
        for (reported_at, ok) in [
            (datetime!(2000-01-01 00:00 UTC), true),
            (datetime!(2099-12-31 23:59:59.999999 UTC), true),
            // Three days old, from an outbox after a dead zone: accepted.
            (datetime!(2026-11-18 08:00 -05:00), true),
            (datetime!(1999-12-31 23:59:59 UTC), false),
            (datetime!(2100-01-01 00:00 UTC), false),
            (datetime!(0000-01-01 00:00 +00:01), false),
            (datetime!(-9999-01-01 00:00 +23:59:59), false),
            (datetime!(9999-12-31 23:59:59 -23:59), false),
        ] {
            let r = ReportDraft { reported_at, ..draft() }.validate(&GoLive::example());
            match r {
                Ok(report) => {
                    assert!(ok, "{reported_at} was accepted");
                    assert_eq!(report.reported_at.offset(), time::UtcOffset::UTC);
                }
                Err(e) => {
                    assert!(!ok, "{reported_at} was refused");
                    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidValue, Some("reported_at")));
                }
            }
        }
    }

    #[test]
    fn free_text_with_controls_or_format_characters_is_refused_by_field() {
        for (d, field) in [
            (ReportDraft { summary: "Order set\0 missing".into(), ..draft() }, "summary"),
            (ReportDraft { summary: "Order set \u{202E}gnissim".into(), ..draft() }, "summary"),
            (ReportDraft { details: Some("zero\u{200B}width".into()), ..draft() }, "details"),
            (ReportDraft { affected_role: Some("R\u{85}N".into()), ..draft() }, "affected_role"),
            (ReportDraft { reporter: "kim\u{1b}[31m".into(), ..draft() }, "reporter"),
        ] {
            assert_eq!(code_of(d), (ErrorCode::InvalidValue, Some(field.into())));
        }
        let r = ReportDraft { details: Some("1. open the MAR\r\n2. scan".into()), ..draft() }
            .validate(&GoLive::example())
            .unwrap();
        assert_eq!(r.details.as_deref(), Some("1. open the MAR\n2. scan"), "a newline in details is fine");
    }

    #[test]
    fn text_is_stored_in_nfc_and_a_retry_of_unnormalised_stored_text_is_the_same_report() {
        let decomposed = "Cafe\u{301} printer jams";
        let r = ReportDraft { summary: decomposed.into(), ..draft() }.validate(&GoLive::example()).unwrap();
        assert_eq!(r.summary, "Caf\u{e9} printer jams");
        // A report stored before text was normalised, as an older server kept it.
        let stored = Report { summary: decomposed.into(), ..r.clone() };
        assert!(stored.same_as_retry(&r));
        assert!(!Report { summary: "Other words".into(), ..r.clone() }.same_as_retry(&r));
    }

    #[test]
    fn a_login_or_badge_is_not_taken_for_patient_data_but_a_reporter_in_words_is_screened() {
        for login in ["4821375", "kim.ortiz@riverbend.example.org", "trainer.kim"] {
            assert_eq!(check_reporter(login.into()).map(|r| r.as_str().to_owned()), Ok(login.to_owned()));
        }
        let e = check_reporter("pt MRN 4829137".into()).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::PhiSuspected, Some("reporter")));
        let e = check_reporter("kim\u{202E}".into()).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidValue, Some("reporter")));
    }

    #[test]
    fn skew_is_flagged_from_five_minutes_either_way() {
        use time::macros::datetime;
        let received = datetime!(2026-11-21 08:00 UTC);
        assert_eq!(Issue::skew_of(received - time::Duration::seconds(299), received), None);
        assert_eq!(Issue::skew_of(received - time::Duration::days(3), received), Some(3 * 86_400));
        assert_eq!(Issue::skew_of(received + time::Duration::minutes(5), received), Some(-300));
    }
}
