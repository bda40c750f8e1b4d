//! The whole role x action matrix, as a table a reviewer can read across: each row a
//! principal, each column an action on a resource, `Y` allowed and `.` refused.

use time::macros::datetime;

use super::*;
use crate::report::{Kind, Report, Severity};
use crate::{ReportId, UnitId};

fn principal(roles: &[Role], facility: Option<&str>, reach: Reach) -> Principal {
    Principal {
        login: ReporterId::parse("me").unwrap(),
        name: "Pat Lee".into(),
        roles: roles.to_vec(),
        queues: vec![QueueId::new("it-access")],
        facility: facility.map(FacilityId::new),
        modules: vec![ModuleId::new("clindoc")],
        reach,
    }
}

fn issue(reporter: &str, facility: &str, queue: &str) -> Issue {
    let at = datetime!(2026-12-07 08:00 UTC);
    let report = Report {
        id: ReportId(uuid::Uuid::nil()),
        facility: FacilityId::new(facility),
        unit: UnitId::new(format!("{facility}-4w")),
        module: ModuleId::new("clindoc"),
        kind: Kind::Access,
        severity: Severity::Medium,
        summary: "Cannot sign in to the workstation".into(),
        details: None,
        affected_role: None,
        affected_users: 1,
        resolved_at_elbow: false,
        reporter: ReporterId::parse(reporter).unwrap(),
        reported_at: at,
    };
    Issue::reported(report, vec![QueueId::new(queue)], at, 1)
}

#[test]
fn the_role_by_action_matrix() {
    let me = ReporterId::parse("me").unwrap();
    let someone = ReporterId::parse("someone").unwrap();
    let (rmc, ncc) = (FacilityId::new("rmc"), FacilityId::new("ncc"));
    let (mine_q, other_q) = (QueueId::new("it-access"), QueueId::new("cc-lead"));
    let my_report = issue("me", "rmc", "cc-lead");
    let in_my_queue = issue("someone", "rmc", "it-access");
    let elsewhere = issue("someone", "ncc", "cc-lead");
    let columns: Vec<(&str, Action)> = vec![
        ("submit", Action::Submit),
        ("check in", Action::CheckIn),
        ("my reports", Action::ReadReports { reporter: &me }),
        ("their reports", Action::ReadReports { reporter: &someone }),
        ("rmc open", Action::ReadFacilityOpen { facility: &rmc }),
        ("ncc open", Action::ReadFacilityOpen { facility: &ncc }),
        ("list queues", Action::ListQueues),
        ("my queue", Action::ReadQueue { queue: &mine_q }),
        ("other queue", Action::ReadQueue { queue: &other_q }),
        ("read my report", Action::ReadIssue { issue: &my_report }),
        ("read in my queue", Action::ReadIssue { issue: &in_my_queue }),
        ("read elsewhere", Action::ReadIssue { issue: &elsewhere }),
        ("act on my report", Action::ChangeStatus { issue: &my_report }),
        ("act in my queue", Action::ChangeStatus { issue: &in_my_queue }),
        ("act elsewhere", Action::ChangeStatus { issue: &elsewhere }),
        ("board, all", Action::ReadBoard { facility: None }),
        ("board rmc", Action::ReadBoard { facility: Some(&rmc) }),
        ("board ncc", Action::ReadBoard { facility: Some(&ncc) }),
        ("unit of rmc", Action::ReadUnit { facility: &rmc }),
        ("unit of ncc", Action::ReadUnit { facility: &ncc }),
        ("catalog", Action::ReadCatalog),
        ("accounts", Action::ManageAccounts),
        ("audit", Action::ReadAudit),
        ("operate", Action::Operate),
        ("display token of rmc", Action::IssueDisplay { facility: Some(&rmc) }),
        ("my display token", Action::ManageDisplay { issuer: &me }),
        ("their display token", Action::ManageDisplay { issuer: &someone }),
        ("redact", Action::Redact { issue: &elsewhere }),
        ("summary, all", Action::ReadSummary { facility: None, reporter: None }),
        ("summary of rmc", Action::ReadSummary { facility: Some(&rmc), reporter: None }),
        ("my summary", Action::ReadSummary { facility: None, reporter: Some(&me) }),
        ("their summary", Action::ReadSummary { facility: None, reporter: Some(&someone) }),
    ];
    let display = |facility: Option<&str>| Reach::Display { facility: facility.map(FacilityId::new) };
    // Trainers and super users have rmc as their home facility.
    let rows: Vec<(&str, Principal, &str)> = vec![
        ("trainer", principal(&[Role::Trainer], Some("rmc"), Reach::Session), "YYY.Y....Y..........Y.........Y."),
        ("super user", principal(&[Role::SuperUser], Some("rmc"), Reach::Session), "YYY.Y....Y..........Y.........Y."),
        (
            "trainer, any facility",
            principal(&[Role::Trainer], None, Reach::Session),
            "YYY.YY...Y..........Y.........Y.",
        ),
        ("staff", principal(&[Role::Staff], None, Reach::Session), "YYY.YYYY.YY..Y.YYY..Y.........Y."),
        ("lead", principal(&[Role::Lead], None, Reach::Session), "YYYYYYYYYYYYYYYYYYYYY...YY..YYYY"),
        ("lead of rmc", principal(&[Role::Lead], Some("rmc"), Reach::Session), "YYYYY....YY.YY..Y.Y.Y...YY...YY."),
        ("viewer", principal(&[Role::Viewer], None, Reach::Session), "...............YYY..Y..........."),
        ("viewer of rmc", principal(&[Role::Viewer], Some("rmc"), Reach::Session), "................Y...Y..........."),
        ("admin", principal(&[Role::Admin], None, Reach::Session), "....................YYYYYYYYYY.."),
        (
            "staff and trainer",
            principal(&[Role::Staff, Role::Trainer], Some("rmc"), Reach::Session),
            "YYY.YYYY.YY..Y.YYY..Y.........Y.",
        ),
        ("lead's display, all", principal(&[Role::Lead], None, display(None)), "...............YYY..Y..........."),
        (
            "lead's display of rmc",
            principal(&[Role::Lead], None, display(Some("rmc"))),
            "................Y...Y...........",
        ),
    ];
    let mut wrong = Vec::new();
    for (who, principal, expected) in &rows {
        let expected: Vec<bool> = expected.chars().map(|c| c == 'Y').collect();
        assert_eq!(expected.len(), columns.len(), "row {who} has one mark per column");
        for ((column, action), &allowed) in columns.iter().zip(&expected) {
            let decided = decide(principal, *action);
            if decided.is_ok() != allowed {
                wrong.push(format!(
                    "{who} / {column}: expected {}, decided {decided:?}",
                    if allowed { "Y" } else { "." }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells of the matrix are wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_display_watches_its_own_board_and_others_the_widest_they_may() {
    let display = principal(&[Role::Lead], None, Reach::Display { facility: Some(FacilityId::new("rmc")) });
    assert_eq!(board_scope(&display), Ok(Some(FacilityId::new("rmc"))));
    assert_eq!(board_scope(&principal(&[Role::Lead], None, Reach::Session)), Ok(None));
    assert_eq!(board_scope(&principal(&[Role::Viewer], Some("lch"), Reach::Session)), Ok(Some(FacilityId::new("lch"))));
    assert!(board_scope(&principal(&[Role::Trainer], Some("rmc"), Reach::Session)).is_err());
}

#[test]
fn a_refusal_is_forbidden_and_says_why() {
    let viewer = principal(&[Role::Viewer], None, Reach::Session);
    let body: ErrorBody = decide(&viewer, Action::Submit).unwrap_err().into();
    assert_eq!(body.code, ErrorCode::Forbidden);
    assert_eq!(body.message, "this account does not file reports");
}

#[test]
fn roles_read_as_a_project_team_types_them() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{}\"", role.as_str()));
    }
    assert_eq!(Role::parse(" Super User "), Some(Role::SuperUser));
    assert_eq!(Role::parse("super-user"), Some(Role::SuperUser));
    assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
    assert_eq!(Role::parse("root"), None);
}
