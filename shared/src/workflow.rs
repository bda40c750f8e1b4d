//! The rules of working an issue: what a piece of work does to an issue as it stands, asked
//! by someone, at a time. Pure: the storage planner hands each command of a batch to
//! `decide` against the issue as the batch has left it, and stores what it decided, or the
//! refusal. Who may do what is the access policy's (`access::decide`); which moves the
//! work allows is here.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::access::{Action, Principal, decide as allowed};
use crate::protocol::Change;
use crate::{ErrorBody, ErrorCode, Issue, QueueId, ResolutionId, Status, TextField};

/// What someone asks of an issue that exists. Its text is valid already (`validate_note`);
/// an assignee is the principal of their account as it stands, found by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Move the issue to `to`, with a note (required to resolve, close or reopen) and, to
    /// resolve it, a resolution code of the go-live (checked against its list by the caller).
    SetStatus { to: Status, note: Option<String>, resolution: Option<ResolutionId> },
    /// Send the issue to other queues (known to the catalog, checked by the caller), with a
    /// reason (valid text).
    Reroute { to: Vec<QueueId>, reason: String },
    /// Hand the issue to someone who may work it (oneself: "assign to me"), or to nobody.
    Assign { to: Option<Arc<Principal>> },
    /// Replace a free-text field with `[redacted]`.
    Redact { field: TextField },
}

/// What a piece of work decided: the change to log, and the issue right after it (its `seq`
/// is the storage's to number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub change: Change,
    pub issue: Issue,
}

/// What `work` by `by` at `at` does to `issue`, or why it is refused (the issue unchanged).
pub fn decide(issue: &Issue, work: &Work, by: &Principal, at: OffsetDateTime) -> Result<Decided, ErrorBody> {
    let id = issue.report.id;
    decide_unnamed(issue, work, by, at).map_err(|refused| refused.with_id(id))
}

fn decide_unnamed(issue: &Issue, work: &Work, by: &Principal, at: OffsetDateTime) -> Result<Decided, ErrorBody> {
    match work {
        Work::SetStatus { to, note, resolution } => {
            allowed(by, Action::ChangeStatus { issue })?;
            let from = issue.status;
            if !from.can_move_to(*to) {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidTransition,
                    format!("an issue cannot move from {} to {}", from.as_str(), to.as_str()),
                ));
            }
            let resolving = *to == Status::Resolved;
            match (resolving, resolution) {
                (true, None) => {
                    return Err(ErrorBody::new(
                        ErrorCode::ResolutionRequired,
                        "resolving needs a resolution code from the go-live's list",
                    )
                    .with_field("resolution"));
                }
                (false, Some(_)) => {
                    return Err(ErrorBody::new(ErrorCode::InvalidValue, "a resolution is given only when resolving")
                        .with_field("resolution"));
                }
                _ => {}
            }
            let why = if from.reopens(*to) {
                Some("reopening needs a note saying why the fix did not hold")
            } else {
                Status::needs_note(*to).then_some("resolving or closing needs a note saying what was done")
            };
            if let (Some(why), None) = (why, note) {
                return Err(ErrorBody::new(ErrorCode::NoteRequired, why).with_field("note"));
            }
            let mut issue = issue.clone();
            issue.status = *to;
            if note.is_some() {
                issue.note.clone_from(note);
            }
            if resolving || to.is_open() {
                issue.resolution.clone_from(resolution);
            }
            issue.updated_at = at;
            Ok(Decided { change: Change::StatusChanged { from }, issue })
        }
        Work::Assign { to } => {
            allowed(by, Action::ChangeStatus { issue })?;
            let from = issue.assignee.clone();
            if !issue.status.is_open() {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidTransition,
                    format!("a {} issue is not assigned; reopen it first", issue.status.as_str()),
                ));
            }
            match (to, &from) {
                (None, None) => {
                    return Err(ErrorBody::new(ErrorCode::InvalidTransition, "the issue is not assigned"));
                }
                (Some(to), Some(from)) if to.login == *from => {
                    return Err(ErrorBody::new(
                        ErrorCode::InvalidTransition,
                        format!("the issue is assigned to {from} already"),
                    ));
                }
                (Some(to), _) if allowed(to, Action::ChangeStatus { issue }).is_err() => {
                    return Err(ErrorBody::new(
                        ErrorCode::InvalidValue,
                        format!("{} does not work any of this issue's queues", to.login),
                    )
                    .with_field("assignee"));
                }
                _ => {}
            }
            let mut issue = issue.clone();
            issue.assignee = to.as_ref().map(|to| to.login.clone());
            issue.updated_at = at;
            Ok(Decided { change: Change::Assigned { from }, issue })
        }
        Work::Reroute { to, reason } => {
            allowed(by, Action::ChangeStatus { issue })?;
            if !issue.status.is_open() {
                return Err(ErrorBody::new(
                    ErrorCode::InvalidTransition,
                    format!("a {} issue is not re-routed; reopen it first", issue.status.as_str()),
                ));
            }
            let mut queues = to.clone();
            queues.sort();
            queues.dedup();
            if queues.is_empty() {
                return Err(ErrorBody::new(ErrorCode::InvalidValue, "name at least one queue").with_field("queues"));
            }
            let mut current = issue.queues.clone();
            current.sort();
            if queues == current {
                return Err(ErrorBody::new(ErrorCode::InvalidTransition, "the issue is in these queues already"));
            }
            let mut issue = issue.clone();
            let from = std::mem::replace(&mut issue.queues, queues);
            // Its new queues' staff take it up: whoever had it may not work them.
            issue.assignee = None;
            issue.note = Some(reason.clone());
            issue.updated_at = at;
            Ok(Decided { change: Change::Rerouted { from }, issue })
        }
        Work::Redact { field } => {
            allowed(by, Action::Redact { issue })?;
            let mut issue = issue.clone();
            issue.redact(*field)?;
            // The time of the issue's last change of work stays as it was.
            Ok(Decided { change: Change::Redacted { field: *field }, issue })
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::access::{AccountSpec, Reach, Role};
    use crate::{GoLive, Kind, ReportDraft, ReportId, ReporterId, Severity};

    const AT: OffsetDateTime = datetime!(2026-11-02 14:00 UTC);

    fn issue(status: Status) -> Issue {
        let golive = GoLive::example();
        let draft = ReportDraft {
            id: ReportId(uuid::Uuid::from_u128(1)),
            facility: "rmc".into(),
            unit: "rmc-4w".into(),
            module: "clindoc".into(),
            kind: Kind::Access,
            severity: Severity::High,
            summary: "Badge tap login fails on the workstation".into(),
            details: None,
            reporter: "trainer-07".into(),
            affected_users: 2,
            affected_role: None,
            resolved_at_elbow: false,
            reported_at: datetime!(2026-11-02 13:00 UTC),
        };
        let report = draft.validate(&golive).expect("a valid report");
        let queues = crate::routing::route_report(&report, &golive);
        let mut issue = Issue::reported(report, queues, datetime!(2026-11-02 13:00 UTC), 1);
        issue.status = status;
        issue
    }

    fn person(login: &str, roles: &[Role], queues: &[&str]) -> Principal {
        let spec = AccountSpec {
            name: "Test Account".into(),
            roles: roles.to_vec(),
            queues: queues.iter().map(|q| (*q).into()).collect(),
            facility: None,
            modules: vec![],
            disabled: false,
        };
        spec.account(ReporterId::parse(login).expect("a login")).principal(Reach::Session)
    }

    /// Staff of the queue the test issue is routed to.
    fn staff(login: &str) -> Principal {
        person(login, &[Role::Staff], &["it-access"])
    }

    fn assign(to: Option<&Principal>) -> Work {
        Work::Assign { to: to.map(|p| Arc::new(p.clone())) }
    }

    #[test]
    fn the_test_issue_goes_to_the_access_queue() {
        assert_eq!(issue(Status::New).queues, vec!["it-access".into()]);
    }

    #[test]
    fn every_status_move_is_decided_by_the_transition_table() {
        let by = staff("cc-ana");
        for from in Status::ALL {
            for to in Status::ALL {
                let mut before = issue(from);
                before.resolution = (!from.is_open()).then(|| "workaround".into());
                let resolution = (to == Status::Resolved).then(|| ResolutionId::new("device-fixed"));
                let work = Work::SetStatus { to, note: Some("Re-paired the badge reader".into()), resolution };
                match decide(&before, &work, &by, AT) {
                    Ok(decided) => {
                        assert!(from.can_move_to(to), "{from:?} -> {to:?}");
                        assert_eq!(decided.change, Change::StatusChanged { from });
                        assert_eq!(decided.issue.status, to);
                        assert_eq!(decided.issue.note.as_deref(), Some("Re-paired the badge reader"));
                        assert_eq!(decided.issue.updated_at, AT);
                        let resolution = match to {
                            Status::Resolved => Some("device-fixed"),
                            Status::Closed => Some("workaround"),
                            _ => None,
                        };
                        assert_eq!(decided.issue.resolution.as_ref().map(ResolutionId::as_str), resolution);
                        let unchanged = Issue {
                            status: from,
                            note: None,
                            resolution: before.resolution.clone(),
                            updated_at: before.updated_at,
                            ..decided.issue
                        };
                        assert_eq!(unchanged, before, "nothing else moves");
                    }
                    Err(refused) => {
                        assert!(!from.can_move_to(to), "{from:?} -> {to:?}");
                        assert_eq!(refused.code, ErrorCode::InvalidTransition);
                        assert_eq!(refused.id, Some(before.report.id));
                    }
                }
            }
        }
    }

    #[test]
    fn a_status_change_without_a_note_keeps_the_last_note() {
        let mut before = issue(Status::Acknowledged);
        before.note = Some("Looking at the reader".into());
        let work = Work::SetStatus { to: Status::InProgress, note: None, resolution: None };
        let decided = decide(&before, &work, &staff("cc-ana"), AT).unwrap();
        assert_eq!(decided.issue.note.as_deref(), Some("Looking at the reader"));
    }

    fn refusal(from: Status, to: Status, note: Option<&str>, resolution: Option<&str>) -> (ErrorCode, Option<String>) {
        let mut before = issue(from);
        before.resolution = (!from.is_open()).then(|| "workaround".into());
        let work = Work::SetStatus { to, note: note.map(str::to_owned), resolution: resolution.map(ResolutionId::new) };
        let refused = decide(&before, &work, &staff("cc-ana"), AT).unwrap_err();
        (refused.code, refused.field)
    }

    #[test]
    fn resolving_takes_a_resolution_and_a_note_and_reopening_a_note_saying_why() {
        let field = |f: &str| Some(f.to_owned());
        for from in [Status::New, Status::InProgress, Status::AwaitingInfo, Status::PendingMigration] {
            let missing = refusal(from, Status::Resolved, Some("Trained the charge nurse"), None);
            assert_eq!(missing, (ErrorCode::ResolutionRequired, field("resolution")));
            let unnoted = refusal(from, Status::Resolved, None, Some("trained-at-elbow"));
            assert_eq!(unnoted, (ErrorCode::NoteRequired, field("note")));
            let stray = refusal(from, Status::Escalated, None, Some("trained-at-elbow"));
            assert_eq!(stray, (ErrorCode::InvalidValue, field("resolution")));
        }
        assert_eq!(refusal(Status::Resolved, Status::Closed, None, None), (ErrorCode::NoteRequired, field("note")));
        for from in [Status::Resolved, Status::Closed] {
            assert_eq!(refusal(from, Status::InProgress, None, None), (ErrorCode::NoteRequired, field("note")));
        }
    }

    #[test]
    fn the_new_working_states_sit_between_the_others_and_are_open() {
        for waiting in [Status::AwaitingInfo, Status::PendingMigration] {
            assert!(waiting.is_open());
            for other in [Status::Acknowledged, Status::InProgress, Status::Escalated, Status::Resolved] {
                assert!(waiting.can_move_to(other) && (other == Status::Resolved || other.can_move_to(waiting)));
            }
            assert!(!waiting.can_move_to(Status::New) && !waiting.can_move_to(Status::Closed));
        }
    }

    #[test]
    fn only_who_works_the_issue_changes_or_assigns_it_and_only_an_administrator_redacts() {
        let before = issue(Status::New);
        let other_queue = person("cc-bo", &[Role::Staff], &["analysts-clindoc"]);
        let trainer = person("trainer-07", &[Role::Trainer], &[]);
        let admin = person("admin", &[Role::Admin], &[]);
        let lead = person("lead-1", &[Role::Lead], &[]);
        let works = [
            Work::SetStatus { to: Status::Acknowledged, note: None, resolution: None },
            assign(Some(&staff("cc-ana"))),
            Work::Redact { field: TextField::Summary },
        ];
        for (by, may) in [
            (&staff("cc-ana"), [true, true, false]),
            (&lead, [true, true, false]),
            (&other_queue, [false, false, false]),
            (&trainer, [false, false, false]),
            (&admin, [false, false, true]),
        ] {
            for (work, may) in works.iter().zip(may) {
                let decided = decide(&before, work, by, AT);
                assert_eq!(decided.is_ok(), may, "{} {work:?}: {decided:?}", by.login);
                if let Err(refused) = decided {
                    assert_eq!(refused.code, ErrorCode::Forbidden);
                }
            }
        }
    }

    #[test]
    fn claiming_handing_over_and_unassigning_log_the_previous_assignee() {
        let (ana, bo) = (staff("cc-ana"), staff("cc-bo"));
        let claimed = decide(&issue(Status::New), &assign(Some(&ana)), &ana, AT).unwrap();
        assert_eq!(claimed.change, Change::Assigned { from: None });
        assert_eq!(claimed.issue.assignee, Some(ana.login.clone()));
        assert_eq!(claimed.issue.updated_at, AT);
        assert_eq!(claimed.issue.status, Status::New, "assigning moves no status");

        let handed = decide(&claimed.issue, &assign(Some(&bo)), &ana, AT).unwrap();
        assert_eq!(handed.change, Change::Assigned { from: Some(ana.login.clone()) });
        assert_eq!(handed.issue.assignee, Some(bo.login.clone()));

        let dropped = decide(&handed.issue, &assign(None), &ana, AT).unwrap();
        assert_eq!(dropped.change, Change::Assigned { from: Some(bo.login.clone()) });
        assert_eq!(dropped.issue.assignee, None);
    }

    #[test]
    fn an_assignment_that_changes_nothing_or_goes_to_someone_who_cannot_work_it_is_refused() {
        let ana = staff("cc-ana");
        let claimed = decide(&issue(Status::New), &assign(Some(&ana)), &ana, AT).unwrap().issue;
        let again = decide(&claimed, &assign(Some(&ana)), &staff("cc-bo"), AT).unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidTransition);
        assert!(again.message.contains("cc-ana"), "names who has it: {}", again.message);

        let nobody = decide(&issue(Status::New), &assign(None), &ana, AT).unwrap_err();
        assert_eq!(nobody.code, ErrorCode::InvalidTransition);

        for cannot in [
            person("cc-cy", &[Role::Staff], &["analysts-clindoc"]),
            person("trainer-07", &[Role::Trainer], &[]),
            person("viewer-1", &[Role::Viewer], &[]),
        ] {
            let refused = decide(&issue(Status::New), &assign(Some(&cannot)), &ana, AT).unwrap_err();
            assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::InvalidValue, Some("assignee")));
        }
        // A lead may be handed any issue of the facilities they lead.
        let lead = person("lead-1", &[Role::Lead], &[]);
        assert!(decide(&issue(Status::New), &assign(Some(&lead)), &ana, AT).is_ok());
    }

    #[test]
    fn only_an_open_issue_is_assigned() {
        let ana = staff("cc-ana");
        for status in Status::ALL {
            let decided = decide(&issue(status), &assign(Some(&ana)), &ana, AT);
            assert_eq!(decided.is_ok(), status.is_open(), "{status:?}");
        }
    }

    #[test]
    fn a_reroute_moves_the_issue_to_other_queues_with_its_reason_and_lets_its_assignee_go() {
        let ana = staff("cc-ana");
        let claimed = decide(&issue(Status::InProgress), &assign(Some(&ana)), &ana, AT).unwrap().issue;
        let to = vec!["operations".into(), "analysts-clindoc".into(), "operations".into()];
        let work = Work::Reroute { to, reason: "A process question, not an access one".into() };
        let routed = decide(&claimed, &work, &ana, AT).unwrap();
        assert_eq!(routed.change, Change::Rerouted { from: vec!["it-access".into()] });
        let queues: Vec<&str> = routed.issue.queues.iter().map(QueueId::as_str).collect();
        assert_eq!(queues, ["analysts-clindoc", "operations"], "each queue once");
        assert_eq!(routed.issue.assignee, None);
        assert_eq!(routed.issue.note.as_deref(), Some("A process question, not an access one"));
        assert_eq!((routed.issue.status, routed.issue.updated_at), (Status::InProgress, AT));
        // Its former queue's staff no longer work it.
        let back = Work::Reroute { to: vec!["it-access".into()], reason: "Back".into() };
        assert_eq!(decide(&routed.issue, &back, &ana, AT).unwrap_err().code, ErrorCode::Forbidden);

        let reroute =
            |to: &[&str]| Work::Reroute { to: to.iter().map(|q| (*q).into()).collect(), reason: "Why".into() };
        let refused = |issue: &Issue, to: &[&str]| decide(issue, &reroute(to), &ana, AT).unwrap_err().code;
        assert_eq!(refused(&issue(Status::New), &["it-access"]), ErrorCode::InvalidTransition);
        assert_eq!(refused(&issue(Status::New), &[]), ErrorCode::InvalidValue);
        assert_eq!(refused(&issue(Status::Resolved), &["operations"]), ErrorCode::InvalidTransition);
    }

    #[test]
    fn a_redaction_replaces_the_text_and_keeps_the_time_of_the_last_change() {
        let before = issue(Status::New);
        let admin = person("admin", &[Role::Admin], &[]);
        let decided = decide(&before, &Work::Redact { field: TextField::Summary }, &admin, AT).unwrap();
        assert_eq!(decided.change, Change::Redacted { field: TextField::Summary });
        assert_eq!(decided.issue.report.summary, crate::REDACTED);
        assert_eq!(decided.issue.updated_at, before.updated_at);
        let twice = decide(&decided.issue, &Work::Redact { field: TextField::Summary }, &admin, AT).unwrap_err();
        assert_eq!(twice.code, ErrorCode::InvalidValue);
        let absent = decide(&before, &Work::Redact { field: TextField::Details }, &admin, AT).unwrap_err();
        assert_eq!(absent.field.as_deref(), Some("field"));
    }

    /// One piece of work of a generated sequence: a move (with or without a note, with a
    /// resolution code, none, or one given where it does not belong), or an assignment.
    fn step() -> impl proptest::strategy::Strategy<Value = (Option<Status>, bool, bool, Option<usize>)> {
        use proptest::prelude::*;
        (
            proptest::option::of(proptest::sample::select(Status::ALL.to_vec())),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0..3usize),
        )
    }

    proptest::proptest! {
        /// Whatever work arrives in whatever order, a refusal changes nothing, and what is
        /// accepted keeps the issue whole: its report as filed, a resolution exactly while it
        /// is resolved or closed, an assignee only given while it was open, and the change
        /// logged naming what came before.
        #[test]
        fn any_sequence_of_work_keeps_the_issue_coherent(steps in proptest::collection::vec(step(), 0..40)) {
            let people = [staff("cc-ana"), staff("cc-bo"), person("lead-1", &[Role::Lead], &[])];
            let mut current = issue(Status::New);
            for (at, (status, noted, resolved, assignee)) in steps.into_iter().enumerate() {
                let at = AT + time::Duration::minutes(at as i64);
                let work = match status {
                    Some(to) => Work::SetStatus {
                        to,
                        note: noted.then(|| "Walked the charge nurse through it".to_owned()),
                        resolution: resolved.then(|| ResolutionId::new("trained-at-elbow")),
                    },
                    None => Work::Assign { to: assignee.map(|i| Arc::new(people[i].clone())) },
                };
                let by = &people[at.minute() as usize % people.len()];
                match decide(&current, &work, by, at) {
                    Err(refused) => proptest::prop_assert_eq!(refused.id, Some(current.report.id)),
                    Ok(Decided { change, issue }) => {
                        proptest::prop_assert_eq!(&issue.report, &current.report);
                        proptest::prop_assert_eq!((issue.seq, issue.received_at), (current.seq, current.received_at));
                        proptest::prop_assert_eq!(issue.updated_at, at);
                        proptest::prop_assert_eq!(issue.resolution.is_some(), !issue.status.is_open());
                        match change {
                            Change::StatusChanged { from } => {
                                proptest::prop_assert_eq!(from, current.status);
                                proptest::prop_assert!(from.can_move_to(issue.status));
                                proptest::prop_assert_eq!(&issue.assignee, &current.assignee);
                            }
                            Change::Assigned { from } => {
                                proptest::prop_assert!(current.status.is_open());
                                proptest::prop_assert_eq!(&from, &current.assignee);
                                proptest::prop_assert_ne!(&issue.assignee, &current.assignee);
                                proptest::prop_assert_eq!(issue.status, current.status);
                            }
                            other => proptest::prop_assert!(false, "{other:?}"),
                        }
                        current = issue;
                    }
                }
            }
        }
    }
}
