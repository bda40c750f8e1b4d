//! Who may do what: the one place access is decided. `decide(who, action)` is a pure function
//! of the signed-in principal and the action with the resource it touches; the server calls it
//! for every HTTP request and every websocket message (at subscribe, never per recipient
//! during fan-out), and the front end calls it to hide what a role cannot do.
//!
//! The roles, as a go-live staffs them:
//! - **trainer**, **super user**: report (always as themselves); see their own reports; read
//!   the open issues of their facility, summary and status only ("known, fix moves tonight").
//! - **staff** (command center): read and act on the issues of the queues they are assigned
//!   to, and only those; report, for themselves or logging a caller's; see the board.
//! - **lead**: every queue, issue and board, and anyone's reports; scoped to one facility
//!   when the account names one (then that facility's boards and issues, and no queues, which
//!   span facilities).
//! - **viewer**: boards only (scoped to one facility when the account names one). A display
//!   token is narrower still: the one board it was issued for.
//! - **admin**: accounts, the go-live's set-up, the audit trail, operations (`/metrics`);
//!   not the issues themselves.
//!
//! Roles add up: an account with several may do what any of them may.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorBody, ErrorCode};
use crate::ids::{FacilityId, ModuleId, QueueId, ReporterId};
use crate::report::Issue;

/// What an account is for. The wire spelling is the snake-case name (`super_user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Trainer,
    SuperUser,
    Staff,
    Lead,
    Viewer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Trainer, Role::SuperUser, Role::Staff, Role::Lead, Role::Viewer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trainer => "trainer",
            Role::SuperUser => "super_user",
            Role::Staff => "staff",
            Role::Lead => "lead",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    /// Reads the wire spelling; also `super-user` and any case, as a project team types it
    /// in a spreadsheet.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role files reports at the elbow (and so has "my reports").
    fn reports(self) -> bool {
        matches!(self, Role::Trainer | Role::SuperUser | Role::Staff | Role::Lead)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a principal signed in: a person's session, or a wall display's token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reach {
    /// Whatever the account's roles allow.
    Session,
    /// A display token: one board only, read only, whatever the account's roles.
    Display {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        facility: Option<FacilityId>,
    },
}

/// The signed-in principal as the policy sees it: an account's identity, roles and scope,
/// and how it signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    /// The account's login: unique, never reused, and the reporter of the reports it files.
    pub login: ReporterId,
    /// The person's name, for display.
    pub name: String,
    pub roles: Vec<Role>,
    /// The command-center queues a staff account works.
    #[serde(default)]
    pub queues: Vec<QueueId>,
    /// The account's facility: a trainer's home facility, or the one facility a lead or
    /// viewer is limited to. `None`: every facility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// A trainer's Epic modules, the tablet's default for the module of a report.
    #[serde(default)]
    pub modules: Vec<ModuleId>,
    pub reach: Reach,
}

/// What a principal asks to do, with the resource it touches.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// File a report, as oneself.
    Submit,
    /// Read the reports filed by `reporter` (one's own: "my reports").
    ReadReports { reporter: &'a ReporterId },
    /// The open issues of a facility, summary and status only.
    ReadFacilityOpen { facility: &'a FacilityId },
    /// The list of queues with their counts.
    ListQueues,
    /// A queue's issues, in full.
    ReadQueue { queue: &'a QueueId },
    /// One issue in full.
    ReadIssue { issue: &'a Issue },
    /// Change an issue's status: decided against the issue as it stands when applied.
    ChangeStatus { issue: &'a Issue },
    /// The unit heatmap of every facility (`None`) or of one.
    ReadBoard { facility: Option<&'a FacilityId> },
    /// The issues of one unit of `facility`, in full (the board's drill-down).
    ReadUnit { facility: &'a FacilityId },
    /// The go-live's catalog (facilities, units, modules, queues): every signed-in principal.
    ReadCatalog,
    /// Accounts: add, change, disable, reset, import, list.
    ManageAccounts,
    /// The audit trail: read, export, verify.
    ReadAudit,
    /// Operations: metrics, the API document.
    Operate,
}

impl Action<'_> {
    /// A short name for the log and the audit trail.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::ReadReports { .. } => "read_reports",
            Action::ReadFacilityOpen { .. } => "read_facility_open",
            Action::ListQueues => "list_queues",
            Action::ReadQueue { .. } => "read_queue",
            Action::ReadIssue { .. } => "read_issue",
            Action::ChangeStatus { .. } => "change_status",
            Action::ReadBoard { .. } => "read_board",
            Action::ReadUnit { .. } => "read_unit",
            Action::ReadCatalog => "read_catalog",
            Action::ManageAccounts => "manage_accounts",
            Action::ReadAudit => "read_audit",
            Action::Operate => "operate",
        }
    }
}

/// A refusal: the principal is signed in but may not do this. Says which rule, never more
/// than the principal could already know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied(pub &'static str);

impl From<Denied> for ErrorBody {
    fn from(Denied(why): Denied) -> ErrorBody {
        ErrorBody::new(ErrorCode::Forbidden, why)
    }
}

/// Decides whether `who` may do `action`.
pub fn decide(who: &Principal, action: Action<'_>) -> Result<(), Denied> {
    if let Reach::Display { facility } = &who.reach {
        return match action {
            Action::ReadCatalog => Ok(()),
            Action::ReadBoard { facility: asked } if facility.is_none() || asked == facility.as_ref() => Ok(()),
            _ => Err(Denied("a display token shows the one board it was issued for")),
        };
    }
    if who.roles.iter().any(|&role| allows(who, role, action)) { Ok(()) } else { Err(Denied(denial(action))) }
}

/// Whether one of `who`'s roles allows `action`.
fn allows(who: &Principal, role: Role, action: Action<'_>) -> bool {
    use Role::*;
    let in_scope = |facility: &FacilityId| who.facility.as_ref().is_none_or(|own| own == facility);
    let works = |queues: &[QueueId]| queues.iter().any(|q| who.queues.contains(q));
    match action {
        Action::Submit => role.reports(),
        Action::ReadReports { reporter } => (role.reports() && *reporter == who.login) || role == Lead,
        Action::ReadFacilityOpen { facility } => match role {
            Trainer | SuperUser | Lead => in_scope(facility),
            Staff => true,
            Viewer | Admin => false,
        },
        Action::ListQueues => matches!(role, Staff) || (role == Lead && who.facility.is_none()),
        Action::ReadQueue { queue } => match role {
            Staff => who.queues.contains(queue),
            Lead => who.facility.is_none(),
            _ => false,
        },
        Action::ReadIssue { issue } => match role {
            Trainer | SuperUser => issue.report.reporter == who.login,
            Staff => works(&issue.queues) || issue.report.reporter == who.login,
            Lead => in_scope(&issue.report.facility),
            Viewer | Admin => false,
        },
        Action::ChangeStatus { issue } => match role {
            Staff => works(&issue.queues),
            Lead => in_scope(&issue.report.facility),
            _ => false,
        },
        Action::ReadBoard { facility } => match role {
            Staff => true,
            Lead | Viewer => facility.map_or(who.facility.is_none(), in_scope),
            _ => false,
        },
        Action::ReadUnit { facility } => role == Lead && in_scope(facility),
        Action::ReadCatalog => true,
        Action::ManageAccounts | Action::ReadAudit | Action::Operate => role == Admin,
    }
}

/// What a refusal says, by action.
fn denial(action: Action<'_>) -> &'static str {
    match action {
        Action::Submit => "this account does not file reports",
        Action::ReadReports { .. } => "only a lead reads another person's reports",
        Action::ReadFacilityOpen { .. } => "this account does not read that facility's open issues",
        Action::ListQueues | Action::ReadQueue { .. } => "this account does not work that queue",
        Action::ReadIssue { .. } => "this account may not read that issue",
        Action::ChangeStatus { .. } => "this account does not work any queue of that issue",
        Action::ReadBoard { .. } => "this account may not see that board",
        Action::ReadUnit { .. } => "this account may not read a unit's issues",
        Action::ReadCatalog => "this account may not read the catalog",
        Action::ManageAccounts => "only an administrator manages accounts",
        Action::ReadAudit => "only an administrator reads the audit trail",
        Action::Operate => "only an administrator reads the service's operations",
    }
}

#[cfg(test)]
mod tests;
