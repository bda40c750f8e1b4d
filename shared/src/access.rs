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

/// An account as the API shows it (never its password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub login: ReporterId,
    pub name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub queues: Vec<QueueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    #[serde(default)]
    pub modules: Vec<ModuleId>,
    #[serde(default)]
    pub disabled: bool,
}

impl Account {
    /// The principal this account signs in as.
    pub fn principal(&self, reach: Reach) -> Principal {
        Principal {
            login: self.login.clone(),
            name: self.name.clone(),
            roles: self.roles.clone(),
            queues: self.queues.clone(),
            facility: self.facility.clone(),
            modules: self.modules.clone(),
            reach,
        }
    }
}

/// `POST /api/v1/sessions`: sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub login: String,
    pub password: String,
}

/// `PUT /api/v1/sessions/current/pin` and `POST /api/v1/sessions/current/unlock`: a
/// session's PIN, 4 to 8 digits, which unlocks it after its idle limit instead of the
/// password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4,8}$"))]
    pub pin: String,
}

/// Whether `s` is a PIN: 4 to 8 ASCII digits.
pub fn is_pin(s: &str) -> bool {
    (4..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A session: who is signed in, until when, and (once, when it is made) its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The bearer token, answered only when the session is made. Browsers use the cookie
    /// set with it instead, and never see it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub principal: Principal,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: time::OffsetDateTime,
    /// A PIN is set: after its idle limit the session locks (`session_locked`) rather than
    /// ends, and the PIN unlocks it.
    #[serde(default)]
    pub pin_set: bool,
}

/// `POST /api/v1/display-tokens`: a wall display's token for one board.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisplayRequest {
    /// The facility whose board the display shows; absent: every facility's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
}

/// A wall display's token as `GET /api/v1/display-tokens` lists it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisplayInfo {
    /// Names the token for `DELETE /api/v1/display-tokens/{id}`: the first 16 hex digits of
    /// its SHA-256, which tell nothing of the token.
    pub id: String,
    /// The account that issued it, whose token it is.
    pub issued_by: ReporterId,
    /// The board it shows: one facility's, or (absent) every facility's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub issued_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: time::OffsetDateTime,
}

/// `POST /api/v1/sessions/display`: a wall opening its display token (from the `#` of its
/// link, which no server or proxy sees), to get the session cookie for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisplayOpen {
    pub token: String,
}

/// A new password, or none for a one-time password made by the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// An account as an administrator made or reset it, with the one-time password the server
/// made, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountIssued {
    pub account: Account,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

/// An account as an administrator writes it: everything but the login (the path names it)
/// and the password (set or reset on its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSpec {
    pub name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub queues: Vec<QueueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    #[serde(default)]
    pub modules: Vec<ModuleId>,
    #[serde(default)]
    pub disabled: bool,
}

impl AccountSpec {
    /// The account with this login.
    pub fn account(self, login: ReporterId) -> Account {
        let AccountSpec { name, roles, queues, facility, modules, disabled } = self;
        Account { login, name, roles, queues, facility, modules, disabled }
    }
}

/// A new account: its login, what it is, and its first password (none: the server makes a
/// one-time password and answers it, once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    pub login: String,
    #[serde(flatten)]
    pub spec: AccountSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Whether `s` is a login: 1 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, `@` (a badge id, a
/// network login, an e-mail address), lower case. Logins are what reports name as their
/// reporter, and a one-token login is never taken for patient data.
pub fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::ids::MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
}

/// Checks an account against the go-live: a login, a name, at least one role, and queues,
/// a facility and modules that exist. Staff need a queue; display tokens are issued, not
/// written here.
pub fn check_account(account: &Account, golive: &crate::GoLive) -> Result<(), ErrorBody> {
    let invalid = |field: &str, message: &str| Err(ErrorBody::new(ErrorCode::InvalidValue, message).with_field(field));
    if !is_login(account.login.as_str()) {
        return invalid("login", "a login is 1 to 64 of a-z, 0-9, '.', '_', '-', '@', in lower case");
    }
    let name = account.name.trim();
    if name.is_empty()
        || name.chars().count() > 128
        || name.chars().any(|c| crate::text::refused(c, crate::text::Lines::One))
    {
        return invalid("name", "a name is 1 to 128 characters on one line");
    }
    if account.roles.is_empty() {
        return invalid("roles", "an account has at least one role");
    }
    if account.roles.contains(&Role::Staff) && account.queues.is_empty() {
        return invalid("queues", "a command-center staff account works at least one queue");
    }
    if account.queues.iter().any(|q| golive.queue(q.as_str()).is_none()) {
        return Err(ErrorBody::new(ErrorCode::UnknownQueue, "no such queue in this go-live").with_field("queues"));
    }
    if let Some(f) = &account.facility
        && golive.facility(f.as_str()).is_none()
    {
        return Err(
            ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility")
        );
    }
    if account.modules.iter().any(|m| golive.module(m.as_str()).is_none()) {
        return Err(ErrorBody::new(ErrorCode::UnknownModule, "no such module in this go-live").with_field("modules"));
    }
    Ok(())
}

/// What a principal asks to do, with the resource it touches.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// File a report, as oneself.
    Submit,
    /// Check oneself in to a unit (and out).
    CheckIn,
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
    /// Issue a wall display's token for the board of every facility (`None`) or of one.
    IssueDisplay { facility: Option<&'a FacilityId> },
    /// See, and revoke, a wall display's token issued by `issuer`.
    ManageDisplay { issuer: &'a ReporterId },
    /// The go-live's catalog (facilities, units, modules, queues): every signed-in principal.
    ReadCatalog,
    /// Accounts: add, change, disable, reset, import, list.
    ManageAccounts,
    /// The audit trail: read, export, verify.
    ReadAudit,
    /// Operations: metrics, the API document.
    Operate,
    /// Replace an issue's free text that let patient data through (the privacy officer's
    /// fix), without reading it.
    Redact { issue: &'a Issue },
    /// The daily floor support summary (and the go-live's curve and re-teach list): of every
    /// facility (`None`) or of one; of everyone's reports (`None`) or of one reporter's.
    ReadSummary { facility: Option<&'a FacilityId>, reporter: Option<&'a ReporterId> },
}

impl Action<'_> {
    /// A short name for the log and the audit trail.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::CheckIn => "check_in",
            Action::ReadReports { .. } => "read_reports",
            Action::ReadFacilityOpen { .. } => "read_facility_open",
            Action::ListQueues => "list_queues",
            Action::ReadQueue { .. } => "read_queue",
            Action::ReadIssue { .. } => "read_issue",
            Action::ChangeStatus { .. } => "change_status",
            Action::ReadBoard { .. } => "read_board",
            Action::ReadUnit { .. } => "read_unit",
            Action::IssueDisplay { .. } => "issue_display",
            Action::ManageDisplay { .. } => "manage_display",
            Action::ReadCatalog => "read_catalog",
            Action::ManageAccounts => "manage_accounts",
            Action::ReadAudit => "read_audit",
            Action::Operate => "operate",
            Action::Redact { .. } => "redact",
            Action::ReadSummary { .. } => "read_summary",
        }
    }
}

impl Action<'_> {
    /// What the action touches, for the audit trail (`queue:it-access`, `report:ID`...),
    /// never free text.
    pub fn target(&self) -> Option<String> {
        let board = |f: Option<&FacilityId>| format!("board:{}", facility_or_all(f));
        match self {
            Action::ReadReports { reporter } => Some(format!("reports_of:{reporter}")),
            Action::ReadFacilityOpen { facility } => Some(format!("facility:{facility}")),
            Action::ReadQueue { queue } => Some(format!("queue:{queue}")),
            Action::ReadIssue { issue } | Action::ChangeStatus { issue } | Action::Redact { issue } => {
                Some(format!("report:{}", issue.report.id))
            }
            Action::ReadBoard { facility } | Action::IssueDisplay { facility } => Some(board(*facility)),
            Action::ReadUnit { facility } => Some(format!("facility:{facility}")),
            Action::ManageDisplay { issuer } => Some(format!("displays_of:{issuer}")),
            Action::ReadSummary { facility, reporter: None } => Some(format!("summary:{}", facility_or_all(*facility))),
            Action::ReadSummary { facility, reporter: Some(r) } => {
                Some(format!("summary:{}:reports_of:{r}", facility_or_all(*facility)))
            }
            Action::Submit
            | Action::CheckIn
            | Action::ListQueues
            | Action::ReadCatalog
            | Action::ManageAccounts
            | Action::ReadAudit
            | Action::Operate => None,
        }
    }
}

fn facility_or_all(f: Option<&FacilityId>) -> &str {
    f.map_or("all", FacilityId::as_str)
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

/// The widest board `who` may watch: every facility's (`Ok(None)`), else one facility's (a
/// display's own board, or the account's facility).
pub fn board_scope(who: &Principal) -> Result<Option<FacilityId>, Denied> {
    if let Reach::Display { facility } = &who.reach {
        return Ok(facility.clone());
    }
    decide(who, Action::ReadBoard { facility: None }).map(|()| None).or_else(|everywhere| match &who.facility {
        Some(own) => decide(who, Action::ReadBoard { facility: Some(own) }).map(|()| Some(own.clone())),
        None => Err(everywhere),
    })
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
        Action::Submit | Action::CheckIn => role.reports(),
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
        Action::IssueDisplay { facility } => match role {
            Admin => true,
            Lead => facility.map_or(who.facility.is_none(), in_scope),
            _ => false,
        },
        Action::ManageDisplay { issuer } => role == Admin || (role == Lead && *issuer == who.login),
        Action::ReadCatalog => true,
        Action::ManageAccounts | Action::ReadAudit | Action::Operate | Action::Redact { .. } => role == Admin,
        Action::ReadSummary { facility, reporter } => match role {
            _ if role.reports() && reporter == Some(&who.login) => true,
            Lead => facility.map_or(who.facility.is_none(), in_scope),
            Admin => reporter.is_none(),
            _ => false,
        },
    }
}

/// What a refusal says, by action.
fn denial(action: Action<'_>) -> &'static str {
    match action {
        Action::Submit => "this account does not file reports",
        Action::CheckIn => "this account does not work on the units",
        Action::ReadReports { .. } => "only a lead reads another person's reports",
        Action::ReadFacilityOpen { .. } => "this account does not read that facility's open issues",
        Action::ListQueues | Action::ReadQueue { .. } => "this account does not work that queue",
        Action::ReadIssue { .. } => "this account may not read that issue",
        Action::ChangeStatus { .. } => "this account does not work any queue of that issue",
        Action::ReadBoard { .. } => "this account may not see that board",
        Action::ReadUnit { .. } => "this account may not read a unit's issues",
        Action::IssueDisplay { .. } => "only an administrator, or a lead for their boards, issues a display's token",
        Action::ManageDisplay { .. } => "only an administrator, or the lead who issued it, manages a display's token",
        Action::ReadCatalog => "this account may not read the catalog",
        Action::ManageAccounts => "only an administrator manages accounts",
        Action::ReadAudit => "only an administrator reads the audit trail",
        Action::Operate => "only an administrator reads the service's operations",
        Action::Redact { .. } => "only an administrator redacts an issue's text",
        Action::ReadSummary { .. } => "summaries are a lead's or an administrator's; a trainer reads their own",
    }
}

#[cfg(test)]
mod tests;
