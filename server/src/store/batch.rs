//! Planning a batch: what each command of a group commit does, given the issues it touches
//! as they stand. Pure and shared by every backend, which only reads the touched issues
//! before and writes the plan after, in the same transaction.

use std::collections::HashMap;
use std::sync::Arc;

use floorboard_shared::protocol::{Change, Event};
use floorboard_shared::workflow::{self, Decided};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, ReportId, TextField};
use time::OffsetDateTime;

use super::{Applied, Command, NotApplied, StoreError};

/// The writes a batch comes to, gathered by table.
#[derive(Debug, Default)]
pub struct Plan {
    /// One per command; the committed ones are the batch's events, numbered densely from the
    /// batch's first sequence number in command order.
    pub outcomes: Vec<Applied>,
    /// Issues new in this batch, in commit order.
    new: Vec<NewIssue>,
    /// Issues stored before this batch that changed, in their final state.
    pub changed: Vec<Issue>,
    /// Redactions committed: the earlier copies of each issue in the log are scrubbed.
    pub redactions: Vec<Redacted>,
    /// Each issue re-routed, once, as its report committed it (`sql::reported_copy`): its
    /// reported event, which refers to the row, keeps this copy instead; and a stored one's
    /// queue rows are written again (`rerouted`).
    pub reported_copies: Vec<Issue>,
    /// The commands no outcome holds, by position (status changes, refused and duplicate
    /// submissions): with the reported events, the batch, to plan it again.
    kept: Vec<(usize, Command)>,
}

/// A redaction of `field` of the issue whose report is numbered `reported_seq`, at event
/// `seq`: the log's copies of the issue before `seq` are to be scrubbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redacted {
    pub reported_seq: u64,
    pub field: TextField,
    pub seq: u64,
}

/// Where a new issue's final state is: most are as their `reported` event has them, so the
/// issue is held once, in that event.
#[derive(Debug)]
enum NewIssue {
    AsReported { outcome: usize },
    ChangedLater(Box<Issue>),
}

impl Plan {
    /// The events to append to the log, in sequence order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.outcomes.iter().filter_map(|o| match o {
            Applied::Committed(event) => Some(&**event),
            _ => None,
        })
    }

    /// The last sequence number the batch takes, if it commits anything.
    pub fn last_seq(&self) -> Option<u64> {
        self.events().last().map(|e| e.seq)
    }

    /// Stored issues re-routed by this batch, in their final state (a new one's rows are
    /// inserted in theirs).
    pub fn rerouted(&self) -> impl Iterator<Item = &Issue> {
        self.changed.iter().filter(|i| self.reported_copies.iter().any(|c| c.reported_seq == i.reported_seq))
    }

    /// Issues new in this batch, in their final state, in commit order.
    pub fn new_issues(&self) -> Vec<&Issue> {
        (0..self.new.len()).map(|index| issue_at(self, index)).collect()
    }

    /// The batch this was planned from, in order, to plan it again: a new report's
    /// submission is taken back from its reported event.
    #[allow(clippy::unreachable, reason = "`kept` holds every command that no committed outcome holds")]
    pub fn into_batch(self) -> Vec<Command> {
        let mut kept = self.kept.into_iter().peekable();
        let outcomes = self.outcomes.into_iter().enumerate();
        outcomes
            .map(|(index, outcome)| match (kept.next_if(|(i, _)| *i == index), outcome) {
                (Some((_, command)), _) => command,
                (None, Applied::Committed(event)) => {
                    let Issue { report, queues, .. } = Arc::unwrap_or_clone(event).issue;
                    Command::Submit { report, queues }
                }
                (None, _) => unreachable!("a command not kept is a submission planned as new"),
            })
            .collect()
    }
}

/// How one attempt at a batch ended.
#[derive(Debug)]
pub enum Attempt {
    /// Committed (or there was nothing to write): each command's outcome.
    Done(Vec<Applied>),
    /// A report planned as new was stored already, and nothing was written: the batch, to
    /// plan again knowing every stored issue it touches.
    Retry(Vec<Command>),
}

impl Attempt {
    /// The outcomes of a batch's last attempt, planned with `Touched`: a report planned as
    /// new that was stored all the same means another writer wrote it meanwhile, which
    /// serialised writers rule out.
    pub fn last(self) -> Result<Vec<Applied>, NotApplied> {
        match self {
            Attempt::Done(outcomes) => Ok(outcomes),
            Attempt::Retry(batch) => Err(NotApplied::new(
                StoreError::Unavailable("a report planned as new was stored meanwhile".into()),
                batch,
            )),
        }
    }
}

/// Which stored issues a batch is planned against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// Every id the batch touches: exact, whatever is stored.
    Touched,
    /// Only the issues whose status the batch changes; every submission is taken to be new.
    /// Retries are rare, so this spares reading a thousand ids to find none; the insert
    /// then says whether a submitted id was stored after all, and the batch is planned again
    /// with `Touched`.
    StatusTargets,
}

/// The report ids the backend reads before planning.
pub fn reads(batch: &[Command], reads: Reads) -> Vec<ReportId> {
    batch
        .iter()
        .filter_map(|c| match c {
            Command::Submit { report, .. } => (reads == Reads::Touched).then_some(report.id),
            Command::Work { id, .. } => Some(*id),
        })
        .collect()
}

/// Where an issue the batch touches stands at this point of the batch. Indices, so the map
/// holds no whole issues.
#[derive(Clone, Copy)]
enum Current {
    /// Stored before this batch: `stored[index]`.
    Stored(usize),
    /// New in this batch: `new[index]` of the plan.
    New(usize),
}

/// Applies `batch` in order to `stored` (the issues `reads` names, as they stand), numbering
/// events from `first_seq`; a submission whose id is not in `stored` is planned as new.
/// Later commands see earlier ones: a report submitted twice in one batch is a duplicate the
/// second time; its status can change in the same batch. A new report moves into its event
/// (the committer's thread, which every acknowledgement waits on, copies no report).
#[allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::unreachable,
    reason = "indices into `stored` and `plan.new` are only ever made from their lengths, here"
)]
pub fn plan(batch: Vec<Command>, stored: HashMap<ReportId, Issue>, first_seq: u64, at: OffsetDateTime) -> Plan {
    // Stores keep microseconds: what is published live must equal what is read back.
    let at = at.truncate_to_microsecond();
    let mut next_seq = first_seq;
    let mut stored: Vec<Issue> = stored.into_values().collect();
    let mut current: HashMap<ReportId, Current> = HashMap::with_capacity(stored.len() + batch.len());
    current.extend(stored.iter().enumerate().map(|(index, issue)| (issue.report.id, Current::Stored(index))));
    let mut changed_ids: Vec<ReportId> = Vec::new();
    let mut plan = Plan { outcomes: Vec::with_capacity(batch.len()), ..Plan::default() };

    for (position, command) in batch.into_iter().enumerate() {
        let command_id = command.issue_id();
        let outcome = match command {
            Command::Submit { report, queues } => match current.get(&report.id).copied() {
                Some(existing) => {
                    let existing = match existing {
                        Current::Stored(index) => &stored[index],
                        Current::New(index) => issue_at(&plan, index),
                    };
                    let outcome = if existing.report.same_as_retry(&report) {
                        Applied::Duplicate(Box::new(existing.clone()))
                    } else {
                        Applied::Refused(
                            ErrorBody::new(
                                ErrorCode::IdConflict,
                                "this report id was already used for a different report",
                            )
                            .with_id(report.id),
                        )
                    };
                    plan.kept.push((position, Command::Submit { report, queues }));
                    outcome
                }
                None => {
                    let issue = Issue::reported(report, queues, at, next_seq);
                    current.insert(issue.report.id, Current::New(plan.new.len()));
                    plan.new.push(NewIssue::AsReported { outcome: plan.outcomes.len() });
                    let actor = Some(issue.report.reporter.clone());
                    Applied::Committed(Arc::new(Event { seq: next_seq, at, change: Change::Reported, actor, issue }))
                }
            },
            Command::Work { id, work, by } => {
                let (mut redacted, mut copy) = (None, None);
                let outcome = match issue_mut(&mut stored, &mut plan, current.get(&id).copied()) {
                    None => not_found(id),
                    Some(issue) => match workflow::decide(issue, &work, &by, at) {
                        Err(refused) => Applied::Refused(refused),
                        Ok(Decided { change, issue: decided }) => {
                            if let Change::Rerouted { .. } = change {
                                copy = Some(super::sql::reported_copy(issue));
                            }
                            *issue = decided;
                            issue.seq = next_seq;
                            if let Change::Redacted { field } = change {
                                redacted = Some(Redacted { reported_seq: issue.reported_seq, field, seq: next_seq });
                            }
                            let actor = Some(by.login.clone());
                            Applied::Committed(Arc::new(Event {
                                seq: next_seq,
                                at,
                                change,
                                actor,
                                issue: issue.clone(),
                            }))
                        }
                    },
                };
                plan.redactions.extend(redacted);
                if let Some(copy) =
                    copy.filter(|c| !plan.reported_copies.iter().any(|p| p.reported_seq == c.reported_seq))
                {
                    plan.reported_copies.push(copy);
                }
                plan.kept.push((position, Command::Work { id, work, by }));
                outcome
            }
        };
        if let (Applied::Committed(_), Some(Current::Stored(_))) = (&outcome, current.get(&command_id))
            && !changed_ids.contains(&command_id)
        {
            changed_ids.push(command_id);
        }
        if matches!(outcome, Applied::Committed(_)) {
            next_seq += 1;
        }
        plan.outcomes.push(outcome);
    }
    let mut stored: Vec<Option<Issue>> = stored.into_iter().map(Some).collect();
    plan.changed = changed_ids
        .iter()
        .map(|id| match current.get(id) {
            Some(Current::Stored(index)) => stored[*index].take().expect("each changed issue is listed once"),
            _ => unreachable!("changed issues are stored ones"),
        })
        .collect();
    plan
}

fn not_found(id: ReportId) -> Applied {
    Applied::Refused(ErrorBody::new(ErrorCode::NotFound, "no report with this id").with_id(id))
}

/// The issue at `at`, to change: a stored one in place; a new one is from then on held apart
/// from its reported event (its row is inserted in its final state, which is no longer the
/// event's).
#[allow(
    clippy::indexing_slicing,
    clippy::unreachable,
    reason = "indices into `stored` and `plan.new` are only ever made from their lengths, in `plan`"
)]
fn issue_mut<'a>(stored: &'a mut [Issue], plan: &'a mut Plan, at: Option<Current>) -> Option<&'a mut Issue> {
    match at? {
        Current::Stored(index) => Some(&mut stored[index]),
        Current::New(index) => {
            if let NewIssue::AsReported { .. } = plan.new[index] {
                plan.new[index] = NewIssue::ChangedLater(Box::new(issue_at(plan, index).clone()));
            }
            match &mut plan.new[index] {
                NewIssue::ChangedLater(issue) => Some(&mut **issue),
                NewIssue::AsReported { .. } => unreachable!("held apart just above"),
            }
        }
    }
}

/// The current state of the batch's `index`th new issue.
#[allow(
    clippy::indexing_slicing,
    clippy::unreachable,
    reason = "a new issue's index and its outcome's are made together in `plan`"
)]
fn issue_at(plan: &Plan, index: usize) -> &Issue {
    match &plan.new[index] {
        NewIssue::AsReported { outcome } => match &plan.outcomes[*outcome] {
            Applied::Committed(event) => &event.issue,
            _ => unreachable!("a new issue's outcome is its reported event"),
        },
        NewIssue::ChangedLater(issue) => issue,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use floorboard_shared::workflow::Work;
    use floorboard_shared::{GoLive, Kind, ReportDraft, Severity, Status};

    use super::*;

    /// A submission of a valid report whose id is `n`.
    pub(crate) fn submit(n: u128) -> Command {
        let report = ReportDraft {
            id: ReportId(uuid::Uuid::from_u128(n)),
            facility: "rmc".into(),
            unit: "rmc-ed".into(),
            module: "asap".into(),
            kind: Kind::Access,
            severity: Severity::Low,
            summary: "Badge tap fails".into(),
            details: None,
            affected_role: None,
            affected_users: 1,
            resolved_at_elbow: false,
            reporter: "trainer-01".into(),
            reported_at: time::macros::datetime!(2026-11-21 08:00 UTC),
        }
        .validate(&GoLive::example())
        .unwrap();
        Command::Submit { report, queues: vec!["it-access".into()] }
    }

    fn principal(login: &str, role: floorboard_shared::access::Role) -> Arc<floorboard_shared::access::Principal> {
        let account = floorboard_shared::access::Account {
            login: floorboard_shared::ReporterId::parse(login).unwrap(),
            name: "Someone".into(),
            roles: vec![role],
            queues: vec![],
            facility: None,
            modules: vec![],
            disabled: false,
        };
        Arc::new(account.principal(floorboard_shared::access::Reach::Session))
    }

    fn set(n: u128, to: Status) -> Command {
        let by = principal("lead", floorboard_shared::access::Role::Lead);
        let resolution = (to == Status::Resolved).then(|| "workaround".into());
        let work = Work::SetStatus { to, note: Some("done".into()), resolution };
        Command::Work { id: ReportId(uuid::Uuid::from_u128(n)), work, by }
    }

    fn redact(n: u128, field: TextField) -> Command {
        let by = principal("admin", floorboard_shared::access::Role::Admin);
        Command::Work { id: ReportId(uuid::Uuid::from_u128(n)), work: Work::Redact { field }, by }
    }

    #[test]
    fn a_report_redacted_in_its_own_batch_is_inserted_redacted_and_its_earlier_copies_listed() {
        let p = plan(vec![submit(1), redact(1, TextField::Summary)], HashMap::new(), 1, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(p.new_issues()[0].report.summary, floorboard_shared::REDACTED, "the row as it ends");
        let events: Vec<_> = p.events().collect();
        assert_eq!(events[0].issue.report.summary, "Badge tap fails", "the reported event as published");
        assert_eq!(events[1].change, Change::Redacted { field: TextField::Summary });
        assert_eq!(p.redactions, [Redacted { reported_seq: 1, field: TextField::Summary, seq: 2 }]);
        assert!(p.changed.is_empty());
    }

    #[test]
    fn taking_submissions_as_new_reads_only_the_issues_whose_status_changes() {
        let batch = [submit(1), set(2, Status::Acknowledged), submit(3)];
        assert_eq!(reads(&batch, Reads::StatusTargets), [ReportId(uuid::Uuid::from_u128(2))]);
        assert_eq!(reads(&batch, Reads::Touched).len(), 3);
    }

    #[test]
    fn events_are_numbered_densely_in_command_order() {
        let p = plan(
            vec![submit(1), submit(2), set(1, Status::InProgress)],
            HashMap::new(),
            41,
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(p.events().map(|e| e.seq).collect::<Vec<_>>(), [41, 42, 43]);
        assert_eq!(p.new_issues().len(), 2);
        assert!(p.changed.is_empty(), "a report new in the batch is inserted in its final state");
        assert_eq!(p.new_issues()[0].status, Status::InProgress);
        // Its reported event still has it as reported.
        assert_eq!(p.events().next().map(|e| e.issue.status), Some(Status::New));
    }

    #[test]
    fn a_repeat_in_the_same_batch_is_a_duplicate_and_takes_no_number() {
        let p = plan(vec![submit(1), submit(1), submit(2)], HashMap::new(), 1, OffsetDateTime::UNIX_EPOCH);
        assert!(matches!(p.outcomes[1], Applied::Duplicate(_)));
        assert_eq!(p.events().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn refusals_take_no_number_and_change_nothing() {
        let p = plan(
            vec![set(9, Status::Acknowledged), submit(1), set(1, Status::Closed)],
            HashMap::new(),
            5,
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(matches!(&p.outcomes[0], Applied::Refused(e) if e.code == ErrorCode::NotFound));
        assert!(matches!(&p.outcomes[2], Applied::Refused(e) if e.code == ErrorCode::InvalidTransition));
        assert_eq!(p.events().count(), 1);
        assert_eq!(p.new_issues()[0].status, Status::New);
    }

    #[test]
    fn a_plan_gives_back_the_batch_it_was_planned_from() {
        let mut conflicting = submit(1);
        if let Command::Submit { report, .. } = &mut conflicting {
            report.summary = "Badge tap fails twice".into();
        }
        let batch = vec![
            submit(1),
            conflicting,
            submit(1),
            set(1, Status::InProgress),
            submit(2),
            set(9, Status::Acknowledged),
            submit(3),
        ];
        let p = plan(batch.clone(), HashMap::new(), 1, OffsetDateTime::UNIX_EPOCH);
        assert!(matches!(&p.outcomes[1], Applied::Refused(e) if e.code == ErrorCode::IdConflict));
        assert!(matches!(p.outcomes[2], Applied::Duplicate(_)));
        assert_eq!(p.events().count(), 4);
        assert_eq!(p.into_batch(), batch);
    }

    #[test]
    fn stored_issues_that_change_are_listed_once() {
        let first = plan(vec![submit(1)], HashMap::new(), 1, OffsetDateTime::UNIX_EPOCH).new_issues()[0].clone();
        let stored = HashMap::from([(first.report.id, first)]);
        let p =
            plan(vec![set(1, Status::Acknowledged), set(1, Status::InProgress)], stored, 2, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(p.changed.len(), 1);
        assert_eq!((p.changed[0].status, p.changed[0].seq), (Status::InProgress, 3));
    }
}
