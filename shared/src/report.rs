//! Reports and the issues they become: the four kinds, severities, statuses and their
//! transitions, and validation of a draft against the go-live's catalog.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{ErrorBody, ErrorCode};
use crate::golive::GoLive;
use crate::ids::{FacilityId, ModuleId, QueueId, ReportId, ReporterId, UnitId};
use crate::phi;

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
    /// Handed to the vendor or to project leadership.
    Escalated,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::New, Status::Acknowledged, Status::InProgress, Status::Escalated, Status::Resolved, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::Escalated => "escalated",
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
    pub facility: String,
    pub unit: String,
    pub module: String,
    pub kind: Kind,
    pub severity: Severity,
    /// One sentence about the system, never about a patient (1 to 200 characters).
    pub summary: String,
    /// Optional longer description (up to 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// The affected users' role, e.g. "RN" or "charge nurse" (up to 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_role: Option<String>,
    /// How many users the problem affects (1 to 10,000; default 1).
    #[serde(default = "one")]
    pub affected_users: u32,
    /// Fixed on the spot by the trainer; the issue starts resolved.
    #[serde(default)]
    pub resolved_at_elbow: bool,
    /// The trainer's login or badge name.
    pub reporter: String,
    /// When the trainer made the report, by the device's clock.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
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
    /// Sequence number of the event that recorded the report.
    pub reported_seq: u64,
    /// Sequence number of the event that last changed this issue.
    pub seq: u64,
}

impl ReportDraft {
    /// Checks the draft against the catalog and the field limits; the first fault wins. The
    /// report keeps the draft's strings (trimmed in place): validating allocates nothing.
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

        let Some(reporter) = ReporterId::parse_owned(reporter) else {
            return bad(ErrorCode::InvalidValue, "reporter", "reporter must be 1 to 64 printable characters".into());
        };
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
        let summary = trim_in_place(summary);
        if summary.is_empty() {
            return bad(ErrorCode::EmptySummary, "summary", "summary must say what happened".into());
        }
        let details = details.map(trim_in_place).filter(|d| !d.is_empty());
        let role = affected_role.map(trim_in_place).filter(|r| !r.is_empty());
        for (field, text, max) in [
            ("summary", Some(summary.as_str()), SUMMARY_MAX),
            ("details", details.as_deref(), DETAILS_MAX),
            ("affected_role", role.as_deref(), ROLE_MAX),
        ] {
            if let Some(text) = text {
                if text.chars().count() > max {
                    return bad(ErrorCode::FieldTooLong, field, format!("{field} is longer than {max} characters"));
                }
                if let Some(finding) = phi::screen(text) {
                    return bad(
                        ErrorCode::PhiSuspected,
                        field,
                        format!("{field} looks like it holds {finding}; describe the system, not the patient"),
                    );
                }
            }
        }
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
            details,
            affected_role: role,
            affected_users,
            resolved_at_elbow,
            reporter,
            // Microseconds are what every store keeps; a retry must compare equal.
            reported_at: reported_at.to_offset(time::UtcOffset::UTC).truncate_to_microsecond(),
        })
    }
}

/// `s` without leading and trailing whitespace, in its own allocation.
fn trim_in_place(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    s.drain(..leading);
    s
}

/// Ids from the request are echoed in messages only when they are plausible catalog codes,
/// so an error never repeats free text back.
fn clip(s: &str) -> &str {
    if crate::ids::is_slug(s) { s } else { "…" }
}

/// Checks a status-change note: trimmed, bounded, free of patient identifiers.
pub fn validate_note(note: Option<&str>, to: Status) -> Result<Option<String>, ErrorBody> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match note {
        None if Status::needs_note(to) => Err(ErrorBody::new(
            ErrorCode::NoteRequired,
            format!("moving to {} needs a note saying what was done", to.as_str()),
        )
        .with_field("note")),
        None => Ok(None),
        Some(n) if n.chars().count() > NOTE_MAX => {
            Err(ErrorBody::new(ErrorCode::FieldTooLong, format!("note is longer than {NOTE_MAX} characters"))
                .with_field("note"))
        }
        Some(n) => match phi::screen(n) {
            Some(finding) => Err(ErrorBody::new(
                ErrorCode::PhiSuspected,
                format!("note looks like it holds {finding}; describe the system, not the patient"),
            )
            .with_field("note")),
            None => Ok(Some(n.to_owned())),
        },
    }
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
        assert_eq!(validate_note(Some("  "), Status::Closed).unwrap_err().code, ErrorCode::NoteRequired);
        assert_eq!(validate_note(None, Status::Acknowledged).unwrap(), None);
        assert_eq!(validate_note(Some(" role remapped "), Status::Resolved).unwrap().as_deref(), Some("role remapped"));
    }
}
