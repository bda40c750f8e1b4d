//! Store conformance: the same cases against both storage backends, SQLite and PostgreSQL,
//! through the `Store` trait alone, so the two implementations cannot drift apart unnoticed.
//!
//! Each case is an async fn written once, taking a fresh `Db`; `conformance!` instantiates it
//! as `sqlite::<case>` and `postgres::<case>`. A case opens (and may reopen) stores on its
//! `Db`, which keeps the SQLite directory or PostgreSQL database alive until the case ends.
//! One PostgreSQL-only test checks that writers on two nodes number the shared log without
//! gaps or repeats, and that a follower reading `seq > n` never skips a late commit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};
use std::time::Duration as StdDuration;

use floorboard_server::store::audit::{AuditEntry, AuditStore};
use floorboard_server::store::{Applied, Command, PgStore, SqliteStore, Store};
use floorboard_shared::heatmap::Fact;
use floorboard_shared::protocol::{Change, Event, IssuesAt};
use floorboard_shared::routing::route_report;
use floorboard_shared::workflow::Work;
use floorboard_shared::{
    ErrorBody, ErrorCode, GoLive, Issue, Kind, QueueId, REDACTED, Report, ReportDraft, ReportId, ReporterId, Severity,
    Status, TextField, UnitId,
};
use floorboard_tests::arbitrary::resolution_for;
use floorboard_tests::{TestStore, draft};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Instantiates each case once per backend, as `sqlite::<case>` and `postgres::<case>`.
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        conformance!(@on sqlite, Sqlite, $($case),+);
        conformance!(@on postgres, Postgres, $($case),+);
    };
    (@on $module:ident, $backend:ident, $($case:ident),+) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::Db::fresh(super::Backend::$backend).await).await;
                }
            )+
        }
    };
}

conformance!(
    numbers_events_densely_in_command_order,
    repeated_ids_are_duplicates_or_conflicts,
    stored_ids_among_many_new_reports_are_found_by_the_insert,
    status_changes_commit_and_bad_moves_change_nothing,
    queue_issues_list_open_work_safety_first_then_oldest,
    reporter_issues_are_newest_first,
    reporter_issues_keep_report_order_within_a_batch,
    unit_issues_filter_by_unit_and_kind_open_first,
    events_after_replays_the_log_as_committed,
    heatmap_facts_and_queue_counts_follow_current_status,
    data_survives_reopening,
    commit_times_read_back_as_apply_returned_them,
    a_database_made_before_reports_were_keyed_by_seq_upgrades_intact,
    rows_stored_before_the_text_rule_are_repaired_once,
    a_redaction_reaches_the_row_and_every_earlier_copy_in_the_log,
    the_summary_equals_direct_counts_over_the_stored_issues,
    audit_links_wait_for_the_committer_instead_of_failing,
    assignments_read_back_with_the_previous_assignee,
    a_reroute_moves_the_issue_between_queue_lists_and_reads_back,
);

mod properties;
mod summary;
use summary::the_summary_equals_direct_counts_over_the_stored_issues;

// ---------------------------------------------------------------------------------------
// Backends

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Fresh storage of one backend, alive for the whole case, across reopenings.
struct Db {
    backend: Backend,
    storage: TestStore,
}

impl Db {
    async fn fresh(backend: Backend) -> Db {
        let storage = match backend {
            Backend::Sqlite => TestStore::sqlite(),
            Backend::Postgres => TestStore::postgres().await,
        };
        Db { backend, storage }
    }

    fn database_url(&self) -> String {
        self.storage.database_url().expect("a PostgreSQL test store has a URL")
    }

    /// A store on this storage, as a server would open it.
    async fn open(&self) -> Box<dyn Store> {
        match self.backend {
            Backend::Sqlite => {
                Box::new(SqliteStore::open(self.storage.data_dir()).await.expect("open the SQLite store"))
            }
            Backend::Postgres => Box::new(self.open_pg().await),
        }
    }

    async fn open_pg(&self) -> PgStore {
        PgStore::open(&self.database_url(), 5).await.expect("open the PostgreSQL store")
    }
}

// ---------------------------------------------------------------------------------------
// Reports, commands, outcomes

static GOLIVE: LazyLock<GoLive> = LazyLock::new(GoLive::example);

/// A resolution note: what was done, about the system only.
const FIX: &str = "Template row restored by the ClinDoc team; verified on two workstations.";

/// A moment of the go-live's first day, `minute` minutes in, with microseconds (what both
/// stores keep, so everything read back must compare equal).
fn at(minute: i64) -> OffsetDateTime {
    datetime!(2026-11-21 14:05:09.123456 UTC) + Duration::minutes(minute)
}

/// What a trainer would say about each kind of problem: the system, never a patient.
fn summary(kind: Kind, severity: Severity) -> &'static str {
    match (kind, severity) {
        (_, Severity::PatientSafety) => "Barcode scan accepts a discontinued heparin order without a warning",
        (Kind::Configuration, _) => "Flowsheet row for pain reassessment missing from RN template",
        (Kind::Access, _) => "Badge tap on the workstation on wheels does not open Hyperspace",
        (Kind::TrainingGap, _) => "Charge nurses unsure how to assign beds from the unit board",
        (Kind::Process, _) => "Downtime printer still prints wristbands on the old label stock",
    }
}

/// A validated report by `trainer-07`, adjusted by `tweak` before validation.
fn report_with(unit: &str, kind: Kind, severity: Severity, tweak: impl FnOnce(&mut ReportDraft)) -> Report {
    let mut d = draft(unit, kind, severity);
    d.summary = summary(kind, severity).into();
    tweak(&mut d);
    d.validate(&GOLIVE).expect("a valid report")
}

fn report(unit: &str, kind: Kind, severity: Severity) -> Report {
    report_with(unit, kind, severity, |_| {})
}

fn report_by(reporter: &str, unit: &str, kind: Kind, severity: Severity) -> Report {
    report_with(unit, kind, severity, |d| d.reporter = reporter.into())
}

/// A submission, routed as intake would route it.
fn submit(report: &Report) -> Command {
    Command::Submit { report: report.clone(), queues: route_report(report, &GOLIVE) }
}

fn set(id: ReportId, to: Status, note: Option<&str>) -> Command {
    let work = Work::SetStatus { to, note: note.map(str::to_owned), resolution: resolution_for(to) };
    Command::Work { id, work, by: floorboard_tests::lead() }
}

fn unknown_id() -> ReportId {
    ReportId(uuid::Uuid::new_v4())
}

async fn apply(store: &dyn Store, batch: &[Command], at: OffsetDateTime) -> Vec<Applied> {
    let outcomes = store.apply(batch.to_vec(), at).await.expect("the batch commits");
    assert_eq!(outcomes.len(), batch.len(), "one outcome per command");
    outcomes
}

fn committed(outcome: &Applied) -> &Event {
    match outcome {
        Applied::Committed(event) => event,
        other => panic!("expected a committed event, got {other:?}"),
    }
}

fn duplicate(outcome: &Applied) -> &Issue {
    match outcome {
        Applied::Duplicate(issue) => issue,
        other => panic!("expected a duplicate, got {other:?}"),
    }
}

fn refusal(outcome: &Applied) -> &ErrorBody {
    match outcome {
        Applied::Refused(body) => body,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Asserts that `outcome` is a refusal with `code` about report `id`.
fn assert_refused(outcome: &Applied, code: ErrorCode, id: ReportId) {
    let body = refusal(outcome);
    assert_eq!((body.code, body.id), (code, Some(id)), "{body:?}");
}

/// The events a batch committed, in order.
fn events(outcomes: &[Applied]) -> Vec<Event> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Applied::Committed(event) => Some(Event::clone(event)),
            _ => None,
        })
        .collect()
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn ids(issues: &[Issue]) -> Vec<ReportId> {
    issues.iter().map(|i| i.report.id).collect()
}

// ---------------------------------------------------------------------------------------
// Reading back

async fn head(store: &dyn Store) -> u64 {
    store.head_seq().await.expect("head_seq")
}

async fn log(store: &dyn Store) -> Vec<Event> {
    store.events_after(0, 100_000).await.expect("events_after")
}

async fn issue(store: &dyn Store, id: ReportId) -> Issue {
    store.issue(id).await.expect("issue").unwrap_or_else(|| panic!("report {id} is stored"))
}

/// Asserts that a list read at head `seq` holds exactly the stored issues `expected`, in order.
async fn assert_listed(store: &dyn Store, list: &IssuesAt, expected: &[ReportId]) {
    assert_eq!(list.seq, head(store).await, "a list carries the head it was read at");
    assert_eq!(ids(&list.issues), expected);
    for listed in &list.issues {
        assert_eq!(*listed, issue(store, listed.report.id).await);
    }
}

/// Each issue as the latest of `events` left it.
fn latest(events: &[Event]) -> HashMap<ReportId, Issue> {
    events.iter().map(|e| (e.issue.report.id, e.issue.clone())).collect()
}

/// A list's issues in report order: the order within ties (one batch's reports share a
/// receipt time) is not part of the contract, so whole-store comparisons ignore it.
fn in_report_order(mut list: IssuesAt) -> IssuesAt {
    list.issues.sort_by_key(|i| i.reported_seq);
    list
}

/// Every read the store offers, over everything it holds: two equal snapshots are two
/// stores no caller can tell apart.
#[derive(Debug, PartialEq)]
struct Everything {
    head: u64,
    log: Vec<Event>,
    issues: Vec<Issue>,
    queues: Vec<IssuesAt>,
    reporters: Vec<IssuesAt>,
    units: Vec<IssuesAt>,
    facts: (u64, Vec<Fact>),
    counts: Vec<(QueueId, u64)>,
}

impl Everything {
    async fn read(store: &dyn Store) -> Everything {
        let log = log(store).await;
        let mut issues = Vec::new();
        for id in log.iter().map(|e| e.issue.report.id) {
            if !issues.iter().any(|i: &Issue| i.report.id == id) {
                issues.push(issue(store, id).await);
            }
        }
        let mut queues = Vec::new();
        for queue in GOLIVE.queues() {
            let list = store.queue_issues(&queue.id, 1000).await.expect("queue");
            queues.push(in_report_order(list));
        }
        let reporters: Vec<ReporterId> = sorted(issues.iter().map(|i| i.report.reporter.clone()));
        let mut reporter_lists = Vec::new();
        for reporter in &reporters {
            let list = store.reporter_issues(reporter, 1000).await.expect("mine");
            reporter_lists.push(in_report_order(list));
        }
        let units: Vec<UnitId> = sorted(issues.iter().map(|i| i.report.unit.clone()));
        let mut unit_lists = Vec::new();
        for unit in &units {
            for kind in std::iter::once(None).chain(Kind::ALL.map(Some)) {
                let list = store.unit_issues(unit, kind, 1000).await.expect("unit");
                unit_lists.push(in_report_order(list));
            }
        }
        let (seq, facts) = store.heatmap_facts().await.expect("heatmap facts");
        let facts = (seq, sorted_facts(facts));
        let mut counts = store.queue_counts().await.expect("queue counts");
        counts.sort();
        Everything {
            head: head(store).await,
            log,
            issues,
            queues,
            reporters: reporter_lists,
            units: unit_lists,
            facts,
            counts,
        }
    }
}

impl Everything {
    /// As a database made before resolution codes holds it: every issue last changed at or
    /// before `seq` without one, in the log and in every list.
    fn before_resolutions(mut self, seq: u64) -> Everything {
        let lists = self.queues.iter_mut().chain(&mut self.reporters).chain(&mut self.units);
        let issues = self.log.iter_mut().map(|e| &mut e.issue).chain(&mut self.issues);
        for issue in issues.chain(lists.flat_map(|l| l.issues.iter_mut())).filter(|i| i.seq <= seq) {
            issue.resolution = None;
        }
        self
    }
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort();
    v.dedup();
    v
}

/// Facts in a canonical order (the store orders them by receipt time only).
fn sorted_facts(mut facts: Vec<Fact>) -> Vec<Fact> {
    facts.sort_by_key(|f| format!("{f:?}"));
    facts
}

/// A short, realistic morning on three facilities: seven reports from three trainers over
/// four batches, with status work in between. Returns the reports and every event committed.
async fn morning(store: &dyn Store) -> (Vec<Report>, Vec<Event>) {
    let r = [
        report("rmc-4w", Kind::Configuration, Severity::Medium),
        report_by("trainer-12", "rmc-ed", Kind::Access, Severity::High),
        report_by("trainer-03", "sjh-icu", Kind::TrainingGap, Severity::Low),
        report("rmc-4w", Kind::Configuration, Severity::PatientSafety),
        report_by("trainer-12", "nvc-ed", Kind::Process, Severity::Medium),
        report_with("rmc-4w", Kind::Access, Severity::Low, |d| {
            d.resolved_at_elbow = true;
        }),
        report_by("trainer-03", "rmc-5w", Kind::Configuration, Severity::Low),
    ];
    let batches = [
        (at(0), vec![submit(&r[0]), submit(&r[1]), submit(&r[2])]),
        (
            at(5),
            vec![
                submit(&r[3]),
                set(r[0].id, Status::Acknowledged, None),
                set(r[1].id, Status::InProgress, None),
                submit(&r[4]),
            ],
        ),
        (
            at(9),
            vec![
                set(r[0].id, Status::Resolved, Some(FIX)),
                submit(&r[5]),
                set(r[3].id, Status::Escalated, Some("Vendor ticket opened with Epic TS")),
            ],
        ),
        (
            at(12),
            vec![set(r[0].id, Status::Closed, Some(FIX)), set(r[2].id, Status::Acknowledged, None), submit(&r[6])],
        ),
    ];
    let mut all = Vec::new();
    for (when, batch) in batches {
        let outcomes = apply(store, &batch, when).await;
        let committed = events(&outcomes);
        assert_eq!(committed.len(), batch.len(), "{outcomes:?}");
        all.extend(committed);
    }
    (r.to_vec(), all)
}

// ---------------------------------------------------------------------------------------
// Cases

async fn numbers_events_densely_in_command_order(db: Db) {
    let store = db.open().await;
    let store = &*store;
    assert_eq!(head(store).await, 0, "an empty store is at seq 0");

    let a = report("rmc-4w", Kind::Configuration, Severity::Medium);
    let b = report("rmc-ed", Kind::Access, Severity::High);
    let c = report("sjh-icu", Kind::TrainingGap, Severity::Low);
    let first = events(
        &apply(store, &[submit(&a), submit(&b), set(a.id, Status::Acknowledged, None), submit(&c)], at(0)).await,
    );
    assert_eq!(seqs(&first), [1, 2, 3, 4]);
    assert_eq!(ids(&first.iter().map(|e| e.issue.clone()).collect::<Vec<_>>()), [a.id, b.id, a.id, c.id]);
    assert_eq!(
        first.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
        [Change::Reported, Change::Reported, Change::StatusChanged { from: Status::New }, Change::Reported]
    );
    assert_eq!(head(store).await, 4);

    // A refusal in the middle of the next batch takes no number.
    let d = report("nvc-ed", Kind::Process, Severity::Medium);
    let outcomes = apply(
        store,
        &[set(b.id, Status::InProgress, None), set(unknown_id(), Status::Acknowledged, None), submit(&d)],
        at(1),
    )
    .await;
    assert_eq!(refusal(&outcomes[1]).code, ErrorCode::NotFound);
    assert_eq!(seqs(&events(&outcomes)), [5, 6]);
    assert_eq!(head(store).await, 6);
    assert_eq!(seqs(&log(store).await), [1, 2, 3, 4, 5, 6]);
}

async fn repeated_ids_are_duplicates_or_conflicts(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let a = report("rmc-4w", Kind::Configuration, Severity::High);
    let rewritten =
        Report { summary: "Flowsheet row for pain reassessment missing from LPN template too".into(), ..a.clone() };
    let b = report("rmc-ed", Kind::Access, Severity::Medium);

    // Inside one batch: the repeat sees the first.
    let outcomes = apply(store, &[submit(&a), submit(&a), submit(&rewritten), submit(&b)], at(0)).await;
    let reported = committed(&outcomes[0]).issue.clone();
    assert_eq!(duplicate(&outcomes[1]), &reported);
    assert_refused(&outcomes[2], ErrorCode::IdConflict, a.id);
    assert_eq!(committed(&outcomes[3]).seq, 2, "the repeats took no number");
    assert_eq!(head(store).await, 2);

    // Across batches, after the issue moved on: a duplicate answers with the issue as it
    // stands. A batch of nothing but repeats writes nothing.
    apply(store, &[set(a.id, Status::Acknowledged, None)], at(1)).await;
    let outcomes = apply(store, &[submit(&a), submit(&rewritten), submit(&b)], at(2)).await;
    assert_eq!(duplicate(&outcomes[0]), &issue(store, a.id).await);
    assert_eq!(duplicate(&outcomes[0]).status, Status::Acknowledged);
    assert_refused(&outcomes[1], ErrorCode::IdConflict, a.id);
    assert_eq!(duplicate(&outcomes[2]), &issue(store, b.id).await);
    assert_eq!(head(store).await, 3);

    // Mixed with a new report, the new one continues the numbering.
    let c = report("sjh-icu", Kind::TrainingGap, Severity::Low);
    let outcomes = apply(store, &[submit(&rewritten), submit(&c), submit(&b)], at(3)).await;
    assert_refused(&outcomes[0], ErrorCode::IdConflict, a.id);
    assert_eq!(committed(&outcomes[1]).seq, 4);
    duplicate(&outcomes[2]);
    assert_eq!(seqs(&log(store).await), [1, 2, 3, 4]);
    assert_eq!(issue(store, a.id).await.report, a, "a conflict leaves the original");
}

/// A group commit takes the reports of a batch to be new and lets the insert find the
/// stored ones (a retry after a lost acknowledgement): one late in a batch of several
/// hundred, past the first multi-row statement, must still be answered exactly, and the
/// rest numbered densely as if it had never been there.
async fn stored_ids_among_many_new_reports_are_found_by_the_insert(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let kept = report("rmc-4w", Kind::Configuration, Severity::High);
    let answered = committed(&apply(store, &[submit(&kept)], at(0)).await[0]).clone();
    let rewritten = Report { summary: "Flowsheet row missing from the LPN template as well".into(), ..kept.clone() };

    let fresh: Vec<Report> = (0..700).map(|_| report("rmc-ed", Kind::Access, Severity::Medium)).collect();
    let mut batch: Vec<Command> = fresh.iter().map(submit).collect();
    batch.insert(650, submit(&kept));
    batch.insert(680, submit(&rewritten));
    let outcomes = apply(store, &batch, at(1)).await;
    assert_eq!(duplicate(&outcomes[650]), &answered.issue, "a retry gets the original receipt");
    assert_refused(&outcomes[680], ErrorCode::IdConflict, kept.id);
    let live = events(&outcomes);
    assert_eq!(seqs(&live), (2..=701).collect::<Vec<_>>(), "the repeats took no number");
    assert_eq!(ids(&live.iter().map(|e| e.issue.clone()).collect::<Vec<_>>()), ids_of(&fresh));

    assert_eq!(log(store).await, [vec![answered.clone()], live].concat(), "the log is what was answered");
    assert_eq!(issue(store, kept.id).await, answered.issue, "the stored report is untouched");
    assert_eq!(head(store).await, 701);
}

fn ids_of(reports: &[Report]) -> Vec<ReportId> {
    reports.iter().map(|r| r.id).collect()
}

fn redact(id: ReportId, field: TextField) -> Command {
    let admin = floorboard_tests::principal("admin", &[floorboard_shared::access::Role::Admin]);
    Command::Work { id, work: Work::Redact { field }, by: admin }
}

/// A redaction is an event of its own; the issue's row and every earlier copy of it in the
/// log read `[redacted]` from then on (a report's own event is rebuilt from the row), later
/// notes are untouched, and refusals change nothing.
async fn a_redaction_reaches_the_row_and_every_earlier_copy_in_the_log(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let a = report("rmc-4w", Kind::Configuration, Severity::High);
    let other = report("rmc-4w", Kind::Configuration, Severity::High);
    apply(store, &[submit(&a), submit(&other)], at(0)).await;
    apply(
        store,
        &[set(a.id, Status::Acknowledged, Some("Seen at bed 4")), set(other.id, Status::Acknowledged, Some("Seen"))],
        at(1),
    )
    .await;
    // A move, its redaction and a later note, in one batch.
    let outcomes = apply(
        store,
        &[
            set(a.id, Status::InProgress, Some("Still at bed 4")),
            redact(a.id, TextField::Note),
            set(a.id, Status::Resolved, Some(FIX)),
        ],
        at(2),
    )
    .await;
    let redaction = committed(&outcomes[1]);
    assert_eq!(
        (redaction.change.clone(), redaction.actor.as_ref().map(|a| a.as_str())),
        (Change::Redacted { field: TextField::Note }, Some("admin"))
    );
    assert_eq!(redaction.issue.note.as_deref(), Some(REDACTED));
    apply(store, &[redact(a.id, TextField::Summary)], at(3)).await;

    let log = log(store).await;
    let a_copies: Vec<&Event> = log.iter().filter(|e| e.issue.report.id == a.id).collect();
    assert_eq!(a_copies.len(), 6, "reported, acknowledged, in progress, redacted, resolved, redacted");
    for event in &a_copies {
        assert_eq!(event.issue.report.summary, REDACTED, "event {}", event.seq);
        if event.seq <= redaction.seq {
            assert!(event.issue.note.as_deref().is_none_or(|n| n == REDACTED), "event {}", event.seq);
        }
    }
    let resolved = a_copies.iter().find(|e| e.change == Change::StatusChanged { from: Status::InProgress }).unwrap();
    assert_eq!(resolved.issue.note.as_deref(), Some(FIX), "a note given after the redaction stays");
    let stored = issue(store, a.id).await;
    assert_eq!((stored.report.summary.as_str(), stored.note.as_deref()), (REDACTED, Some(FIX)));
    assert_eq!(stored, a_copies.last().unwrap().issue, "the row is the latest copy");
    for event in log.iter().filter(|e| e.issue.report.id == other.id) {
        assert_ne!(event.issue.report.summary, REDACTED, "another issue is untouched");
    }
    assert_eq!(issue(store, other.id).await.note.as_deref(), Some("Seen"));

    // Refusals change nothing: an empty field, one redacted already, someone not an
    // administrator, an unknown id.
    let before = Everything::read(store).await;
    let stranger = unknown_id();
    let not_admin =
        Command::Work { id: a.id, work: Work::Redact { field: TextField::Details }, by: floorboard_tests::lead() };
    let outcomes =
        apply(store, &[redact(a.id, TextField::Summary), not_admin, redact(stranger, TextField::Note)], at(4)).await;
    assert_refused(&outcomes[0], ErrorCode::InvalidValue, a.id);
    assert_refused(&outcomes[1], ErrorCode::Forbidden, a.id);
    assert_refused(&outcomes[2], ErrorCode::NotFound, stranger);
    assert_eq!(Everything::read(store).await, before);
}

async fn status_changes_commit_and_bad_moves_change_nothing(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let a = report("rmc-4w", Kind::Configuration, Severity::High);
    let reported = committed(&apply(store, &[submit(&a)], at(0)).await[0]).issue.clone();
    assert_eq!((reported.status, reported.seq), (Status::New, 1));

    let moved = apply(store, &[set(a.id, Status::Acknowledged, None)], at(1)).await;
    let moved = committed(&moved[0]);
    assert_eq!(moved.change, Change::StatusChanged { from: Status::New });
    assert_eq!(moved.at, at(1));
    assert_eq!(moved.issue, Issue { status: Status::Acknowledged, updated_at: at(1), seq: 2, ..reported.clone() });
    assert_eq!(issue(store, a.id).await, moved.issue);

    // Two moves of one issue in one batch; a move without a note keeps the last note.
    let outcomes =
        apply(store, &[set(a.id, Status::Resolved, Some(FIX)), set(a.id, Status::Closed, Some(FIX))], at(2)).await;
    let (resolved, closed) = (committed(&outcomes[0]), committed(&outcomes[1]));
    assert_eq!(resolved.change, Change::StatusChanged { from: Status::Acknowledged });
    let resolved_issue = Issue {
        status: Status::Resolved,
        resolution: resolution_for(Status::Resolved),
        note: Some(FIX.into()),
        updated_at: at(2),
        seq: 3,
        ..reported.clone()
    };
    assert_eq!(resolved.issue, resolved_issue);
    assert_eq!(closed.change, Change::StatusChanged { from: Status::Resolved });
    assert_eq!(closed.issue, Issue { status: Status::Closed, seq: 4, ..resolved_issue });
    assert_eq!(issue(store, a.id).await, closed.issue);

    // Invalid moves and unknown ids are refused, and nothing at all changes.
    let before = Everything::read(store).await;
    let stranger = unknown_id();
    let outcomes = apply(
        store,
        &[
            set(a.id, Status::Acknowledged, Some("Picked up again")),
            set(a.id, Status::New, None),
            set(a.id, Status::Closed, Some(FIX)),
            set(stranger, Status::InProgress, None),
        ],
        at(3),
    )
    .await;
    for outcome in &outcomes[..3] {
        assert_refused(outcome, ErrorCode::InvalidTransition, a.id);
    }
    assert_refused(&outcomes[3], ErrorCode::NotFound, stranger);
    assert_eq!(Everything::read(store).await, before);
    assert!(store.issue(stranger).await.expect("issue").is_none());

    // Reopening a closed issue is a move like any other.
    let reopened =
        apply(store, &[set(a.id, Status::InProgress, Some("Row missing again after the 19:00 refresh"))], at(4)).await;
    let reopened = committed(&reopened[0]);
    assert_eq!(reopened.change, Change::StatusChanged { from: Status::Closed });
    assert_eq!((reopened.seq, reopened.issue.reported_seq), (5, 1));
    assert_eq!(issue(store, a.id).await, reopened.issue);
}

async fn queue_issues_list_open_work_safety_first_then_oldest(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let config = |unit, severity| report(unit, Kind::Configuration, severity);
    let low_old = config("rmc-4w", Severity::Low);
    let medium_old = config("rmc-5w", Severity::Medium);
    let elsewhere = report("rmc-4w", Kind::Access, Severity::High);
    apply(store, &[submit(&low_old), submit(&medium_old), submit(&elsewhere)], at(0)).await;
    let safety = config("sjh-icu", Severity::PatientSafety);
    let high_old = config("rmc-ed", Severity::High);
    let low_new = config("nvc-med", Severity::Low);
    apply(store, &[submit(&low_new), submit(&high_old), submit(&safety)], at(1)).await;
    let medium_new = config("sjh-2a", Severity::Medium);
    let high_new = config("lch-picu", Severity::High);
    let fixed_at_elbow = report_with("rmc-icu", Kind::Configuration, Severity::High, |d| {
        d.resolved_at_elbow = true;
    });
    apply(store, &[submit(&fixed_at_elbow), submit(&high_new), submit(&medium_new)], at(2)).await;
    // Work moves on: a resolved issue leaves the queue; an escalated one stays, in the
    // place its report time gives it.
    apply(
        store,
        &[set(high_old.id, Status::Resolved, Some(FIX)), set(low_old.id, Status::Escalated, Some("Sent to Epic TS"))],
        at(3),
    )
    .await;

    let queue = QueueId::new("analysts-clindoc");
    let lead = QueueId::new("cc-lead");
    let open = [safety.id, high_new.id, medium_old.id, medium_new.id, low_old.id, low_new.id];
    let list = store.queue_issues(&queue, 100).await.expect("queue");
    assert_listed(store, &list, &open).await;
    let list = store.queue_issues(&queue, 2).await.expect("queue");
    assert_listed(store, &list, &open[..2]).await;
    let list = store.queue_issues(&lead, 100).await.expect("queue");
    assert_listed(store, &list, &[safety.id]).await;

    apply(store, &[set(safety.id, Status::Resolved, Some(FIX))], at(4)).await;
    let list = store.queue_issues(&queue, 100).await.expect("queue");
    assert_listed(store, &list, &open[1..]).await;
    let list = store.queue_issues(&lead, 100).await.expect("queue");
    assert_listed(store, &list, &[]).await;
    assert_eq!(list.seq, 12);
}

async fn reporter_issues_are_newest_first(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let mine = |unit, kind| report_by("trainer-07", unit, kind, Severity::Medium);
    let first = mine("rmc-4w", Kind::Configuration);
    let theirs = report_by("trainer-12", "rmc-4w", Kind::Access, Severity::High);
    apply(store, &[submit(&first), submit(&theirs)], at(0)).await;
    let second = mine("rmc-ed", Kind::Process);
    apply(store, &[submit(&second)], at(1)).await;
    let third = mine("sjh-icu", Kind::TrainingGap);
    apply(store, &[submit(&third)], at(2)).await;
    // The oldest moving on does not make it newer.
    apply(store, &[set(first.id, Status::Acknowledged, None)], at(3)).await;

    let trainer = |name: &str| ReporterId::parse(name).expect("reporter");
    let list = store.reporter_issues(&trainer("trainer-07"), 10).await;
    assert_listed(store, &list.expect("mine"), &[third.id, second.id, first.id]).await;
    let list = store.reporter_issues(&trainer("trainer-07"), 2).await;
    assert_listed(store, &list.expect("mine"), &[third.id, second.id]).await;
    let list = store.reporter_issues(&trainer("trainer-12"), 10).await;
    assert_listed(store, &list.expect("mine"), &[theirs.id]).await;
    let list = store.reporter_issues(&trainer("trainer-99"), 10).await;
    assert_listed(store, &list.expect("mine"), &[]).await;
}

/// Group commit puts many reports in one batch, with one receipt time; "newest first" must
/// still follow the order they were reported in, not the order they were last changed in.
async fn reporter_issues_keep_report_order_within_a_batch(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let first = report("rmc-4w", Kind::Configuration, Severity::Medium);
    let second = report("rmc-4w", Kind::Access, Severity::Medium);
    apply(store, &[submit(&first), submit(&second)], at(0)).await;
    apply(store, &[set(first.id, Status::Acknowledged, None)], at(1)).await;

    let trainer = ReporterId::parse("trainer-07").expect("reporter");
    let list = store.reporter_issues(&trainer, 10).await.expect("mine");
    assert_listed(store, &list, &[second.id, first.id]).await;
}

async fn unit_issues_filter_by_unit_and_kind_open_first(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let config_old = report("rmc-4w", Kind::Configuration, Severity::Medium);
    let next_door = report("rmc-5w", Kind::Configuration, Severity::Medium);
    apply(store, &[submit(&config_old), submit(&next_door)], at(0)).await;
    let access = report("rmc-4w", Kind::Access, Severity::High);
    apply(store, &[submit(&access)], at(1)).await;
    let config_elbow = report_with("rmc-4w", Kind::Configuration, Severity::Low, |d| {
        d.resolved_at_elbow = true;
    });
    apply(store, &[submit(&config_elbow)], at(2)).await;
    let process = report("rmc-4w", Kind::Process, Severity::Low);
    apply(store, &[submit(&process)], at(3)).await;
    apply(store, &[set(access.id, Status::Resolved, Some(FIX))], at(4)).await;

    let unit = UnitId::new("rmc-4w");
    let cases: [(Option<Kind>, u32, &[ReportId]); 6] = [
        (None, 10, &[process.id, config_old.id, config_elbow.id, access.id]),
        (None, 1, &[process.id]),
        (Some(Kind::Configuration), 10, &[config_old.id, config_elbow.id]),
        (Some(Kind::Access), 10, &[access.id]),
        (Some(Kind::Process), 10, &[process.id]),
        (Some(Kind::TrainingGap), 10, &[]),
    ];
    for (kind, limit, expected) in cases {
        let list = store.unit_issues(&unit, kind, limit).await.expect("unit");
        assert_listed(store, &list, expected).await;
    }
    let list = store.unit_issues(&UnitId::new("rmc-5w"), None, 10).await.expect("unit");
    assert_listed(store, &list, &[next_door.id]).await;
}

async fn events_after_replays_the_log_as_committed(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let (reports, live) = morning(store).await;
    let n = live.len();
    assert_eq!(seqs(&live), (1..=n as u64).collect::<Vec<_>>());

    for from in 0..=n {
        let after = store.events_after(from as u64, 1000).await.expect("log");
        assert_eq!(after, live[from..], "events after {from}");
        let page = store.events_after(from as u64, 3).await.expect("log");
        assert_eq!(page, live[from..(from + 3).min(n)], "a page after {from}");
    }
    assert!(store.events_after(0, 0).await.expect("log").is_empty());
    assert!(store.events_after(n as u64 + 5, 10).await.expect("log").is_empty());

    // Each event carries the issue as it stood then, not as it stands now.
    let closed = reports[0].id;
    let history: Vec<(Status, Option<String>)> =
        live.iter().filter(|e| e.issue.report.id == closed).map(|e| (e.issue.status, e.issue.note.clone())).collect();
    assert_eq!(
        history,
        [
            (Status::New, None),
            (Status::Acknowledged, None),
            (Status::Resolved, Some(FIX.into())),
            (Status::Closed, Some(FIX.into())),
        ]
    );
}

async fn heatmap_facts_and_queue_counts_follow_current_status(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let (reports, live) = morning(store).await;
    let now = latest(&live);

    let (seq, facts) = store.heatmap_facts().await.expect("facts");
    assert_eq!(seq, head(store).await);
    let expected = reports
        .iter()
        .map(|r| Fact::Reported {
            facility: r.facility.clone(),
            unit: r.unit.clone(),
            kind: r.kind,
            severity: r.severity,
            status: now[&r.id].status,
            at: now[&r.id].received_at,
        })
        .collect();
    assert_eq!(sorted_facts(facts), sorted_facts(expected));

    let mut counts = store.queue_counts().await.expect("counts");
    counts.sort();
    let expected: Vec<(QueueId, u64)> =
        [("analysts-clindoc", 2), ("cc-lead", 1), ("it-access", 1), ("operations", 1), ("training-sjh", 1)]
            .map(|(q, n)| (QueueId::new(q), n))
            .into();
    assert_eq!(counts, expected);

    // Closing the last open issue of a queue drops the queue from the counts.
    let resolved = apply(store, &[set(reports[4].id, Status::Resolved, Some("Label stock swapped"))], at(20)).await;
    committed(&resolved[0]);
    let counts = store.queue_counts().await.expect("counts");
    assert!(!counts.iter().any(|(q, _)| q.as_str() == "operations"), "{counts:?}");
}

async fn data_survives_reopening(db: Db) {
    let store = db.open().await;
    let (reports, live) = morning(&*store).await;
    let before = Everything::read(&*store).await;
    assert_eq!(before.log, live);
    drop(store);

    let store = db.open().await;
    let store = &*store;
    assert_eq!(Everything::read(store).await, before);

    let next = report("lch-picu", Kind::Access, Severity::High);
    let outcomes = apply(store, &[submit(&next), set(reports[1].id, Status::Resolved, Some(FIX))], at(30)).await;
    let n = live.len() as u64;
    assert_eq!(seqs(&events(&outcomes)), [n + 1, n + 2]);
    assert_eq!(head(store).await, n + 2);
}

fn assign(id: ReportId, to: Option<&str>) -> Command {
    let to = to.map(|login| floorboard_tests::principal(login, &[floorboard_shared::access::Role::Lead]));
    Command::Work { id, work: Work::Assign { to }, by: floorboard_tests::lead() }
}

/// Each assignment is an event of its own kind naming the previous assignee; the issue's row
/// keeps the current one; a refused assignment writes nothing; all of it survives reopening.
async fn assignments_read_back_with_the_previous_assignee(db: Db) {
    let store = db.open().await;
    let a = report("rmc-4w", Kind::Access, Severity::High);
    let batch = [submit(&a), assign(a.id, Some("lead-1")), assign(a.id, Some("lead-1")), assign(a.id, Some("lead-2"))];
    let outcomes = apply(&*store, &batch, at(1)).await;
    assert_refused(&outcomes[2], ErrorCode::InvalidTransition, a.id);
    let outcomes = [outcomes, apply(&*store, &[assign(a.id, None)], at(2)).await].concat();
    let committed = events(&outcomes);
    let changes: Vec<_> = committed.iter().map(|e| (e.change.clone(), e.issue.assignee.clone())).collect();
    let login = |s: &str| Some(ReporterId::parse(s).expect("a login"));
    assert_eq!(
        changes,
        [
            (Change::Reported, None),
            (Change::Assigned { from: None }, login("lead-1")),
            (Change::Assigned { from: login("lead-1") }, login("lead-2")),
            (Change::Assigned { from: login("lead-2") }, None),
        ]
    );
    assert_eq!(log(&*store).await, committed);
    assert_eq!(issue(&*store, a.id).await, committed[3].issue);
    let before = Everything::read(&*store).await;
    drop(store);
    let store = db.open().await;
    assert_eq!(Everything::read(&*store).await, before);
}

fn reroute(id: ReportId, to: &[&str]) -> Command {
    let work = Work::Reroute { to: to.iter().map(|q| QueueId::new(*q)).collect(), reason: "Sent on".into() };
    Command::Work { id, work, by: floorboard_tests::lead() }
}

/// A re-route rewrites the issue's queue rows (stored before the batch or new in it): the
/// lists and counts of the queues it left and joined follow, the event names the queues it
/// left, and all of it survives reopening.
async fn a_reroute_moves_the_issue_between_queue_lists_and_reads_back(db: Db) {
    let store = db.open().await;
    let (a, b) = (report("rmc-4w", Kind::Access, Severity::High), report("rmc-2n", Kind::Access, Severity::Low));
    let reported = events(&apply(&*store, &[submit(&a)], at(1)).await);
    let outcomes =
        apply(&*store, &[reroute(a.id, &["operations"]), submit(&b), reroute(b.id, &["operations", "cc-lead"])], at(2))
            .await;
    let routed = events(&outcomes);
    assert_eq!(routed[0].change, Change::Rerouted { from: vec![QueueId::new("it-access")] });
    assert_eq!(routed[2].change, Change::Rerouted { from: vec![QueueId::new("it-access")] });
    let list = |queue: &'static str| {
        let store = &store;
        async move { ids(&store.queue_issues(&QueueId::new(queue), 100).await.expect("queue").issues) }
    };
    assert_eq!(list("it-access").await, []);
    assert_eq!(sorted(list("operations").await.into_iter()), sorted([a.id, b.id].into_iter()));
    assert_eq!(list("cc-lead").await, [b.id]);
    let counts = store.queue_counts().await.expect("counts");
    assert!(!counts.iter().any(|(q, _)| q.as_str() == "it-access"), "{counts:?}");
    // The reports read back as they were routed, before their re-routes.
    assert_eq!(log(&*store).await, [reported, routed.clone()].concat());
    assert_eq!(issue(&*store, a.id).await, routed[0].issue);
    let before = Everything::read(&*store).await;
    drop(store);
    assert_eq!(Everything::read(&*db.open().await).await, before);
}

/// The committer stamps batches with `OffsetDateTime::now_utc()`, which carries nanoseconds;
/// what `apply` hands to live subscribers must be what a replay or a snapshot reads later.
async fn commit_times_read_back_as_apply_returned_them(db: Db) {
    let store = db.open().await;
    let store = &*store;
    let a = report("rmc-4w", Kind::Configuration, Severity::Medium);
    let when = at(0) + Duration::nanoseconds(789);
    let live = committed(&apply(store, &[submit(&a)], when).await[0]).clone();
    let replayed = log(store).await.remove(0);
    let read = issue(store, a.id).await;
    // Times first, side by side, so a mismatch says exactly which copy lost precision.
    assert_eq!(
        [replayed.at, replayed.issue.received_at, read.received_at, read.updated_at],
        [live.at, live.issue.received_at, live.issue.received_at, live.issue.updated_at],
        "[event at, replayed issue received_at, stored received_at, stored updated_at]"
    );
    assert_eq!(replayed, live, "a replay equals the live event");
    assert_eq!(read, live.issue, "a read equals the live issue");
}

// ---------------------------------------------------------------------------------------
// PostgreSQL only: several nodes writing one log

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_writers_on_two_nodes_number_the_log_without_gaps() {
    const NODES: usize = 2;
    const BATCHES: usize = 40;
    const PER_BATCH: usize = 5;
    const TOTAL: u64 = (NODES * BATCHES * PER_BATCH) as u64;
    const SPREAD: [(&str, Kind, Severity); PER_BATCH] = [
        ("rmc-4w", Kind::Configuration, Severity::Medium),
        ("rmc-ed", Kind::Access, Severity::High),
        ("sjh-icu", Kind::TrainingGap, Severity::Low),
        ("nvc-ed", Kind::Process, Severity::Medium),
        ("lch-picu", Kind::Configuration, Severity::PatientSafety),
    ];

    let db = Db::fresh(Backend::Postgres).await;
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(Arc::new(db.open_pg().await));
    }

    // A follower on its own connection pool, reading the log the way nodes follow it.
    let follower = db.open_pg().await;
    let reader = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
        let mut seen: Vec<Event> = Vec::new();
        let mut last_seen = 0;
        while (seen.len() as u64) < TOTAL {
            assert!(tokio::time::Instant::now() < deadline, "the follower saw {} of {TOTAL} events", seen.len());
            let page = follower.events_after(last_seen, 10).await.expect("follow");
            if page.is_empty() {
                tokio::time::sleep(StdDuration::from_millis(1)).await;
            }
            for event in page {
                assert_eq!(event.seq, last_seen + 1, "the follower skipped an event");
                last_seen = event.seq;
                seen.push(event);
            }
        }
        seen
    });

    let writers: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(node_no, node)| {
            let node = Arc::clone(node);
            tokio::spawn(async move {
                let mut written = Vec::new();
                for batch_no in 0..BATCHES {
                    let reporter = format!("trainer-{node_no}{batch_no:02}");
                    let batch: Vec<Command> = SPREAD
                        .iter()
                        .map(|&(unit, kind, severity)| submit(&report_by(&reporter, unit, kind, severity)))
                        .collect();
                    let outcomes = node.apply(batch, at(batch_no as i64)).await.expect("the batch commits");
                    let committed = events(&outcomes);
                    assert_eq!(committed.len(), PER_BATCH, "{outcomes:?}");
                    let first = committed[0].seq;
                    assert_eq!(
                        seqs(&committed),
                        (first..first + PER_BATCH as u64).collect::<Vec<_>>(),
                        "one batch takes consecutive numbers"
                    );
                    written.extend(committed);
                }
                written
            })
        })
        .collect();

    let mut written = Vec::new();
    let mut node_of = HashMap::new();
    for (node_no, writer) in writers.into_iter().enumerate() {
        let events = writer.await.expect("writer");
        node_of.extend(events.iter().map(|e| (e.seq, node_no)));
        written.extend(events);
    }
    let seen = reader.await.expect("follower");
    let turns = (1..TOTAL).filter(|s| node_of[s] != node_of[&(s + 1)]).count();
    assert!(turns > 0, "the nodes' batches interleaved in the log");

    let log = nodes[1].events_after(0, 100_000).await.expect("log");
    assert_eq!(seqs(&log), (1..=TOTAL).collect::<Vec<_>>());
    written.sort_by_key(|e| e.seq);
    assert_eq!(log, written, "the log is exactly what the writers were told");
    let reported: HashSet<ReportId> = log.iter().map(|e| e.issue.report.id).collect();
    assert_eq!(reported.len() as u64, TOTAL, "every report exactly once");
    assert_eq!(seen, log, "the follower collected every event once, in order");
    assert_eq!(nodes[0].head_seq().await.expect("head"), TOTAL);
}

// ---------------------------------------------------------------------------------------
// Upgrades

/// The migrations before reports were keyed by their sequence number (sqlite/0004,
/// postgres/0003), as files for a migrator of their own.
const SQLITE_BEFORE_SEQ_KEYS: [(&str, &str); 3] = [
    ("0001_init.sql", include_str!("../../server/migrations/sqlite/0001_init.sql")),
    ("0002_reports_by_unit.sql", include_str!("../../server/migrations/sqlite/0002_reports_by_unit.sql")),
    (
        "0003_events_reference_reports.sql",
        include_str!("../../server/migrations/sqlite/0003_events_reference_reports.sql"),
    ),
];
const POSTGRES_BEFORE_SEQ_KEYS: [(&str, &str); 2] = [
    ("0001_init.sql", include_str!("../../server/migrations/postgres/0001_init.sql")),
    (
        "0002_events_reference_reports.sql",
        include_str!("../../server/migrations/postgres/0002_events_reference_reports.sql"),
    ),
];

impl Db {
    /// Makes this storage's schema as it stood before reports were keyed by sequence number,
    /// applied by the same migrator a server of that time ran, and runs `sql` on it.
    async fn make_before_seq_keys(&self, sql: &str) {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let files = match self.backend {
            Backend::Sqlite => &SQLITE_BEFORE_SEQ_KEYS[..],
            Backend::Postgres => &POSTGRES_BEFORE_SEQ_KEYS[..],
        };
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write a migration");
        }
        let migrator = sqlx::migrate::Migrator::new(dir.path()).await.expect("the old migrations");
        match self.backend {
            Backend::Sqlite => {
                let options = SqliteStore::connect_options(&self.storage.data_dir().join("floorboard.db"));
                let pool = sqlx::SqlitePool::connect_with(options).await.expect("open the old database");
                migrator.run(&pool).await.expect("old migrations");
                sqlx::raw_sql(sql).execute(&pool).await.expect("old rows");
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.database_url()).await.expect("open the old database");
                migrator.run(&pool).await.expect("old migrations");
                sqlx::raw_sql(sql).execute(&pool).await.expect("old rows");
                pool.close().await;
            }
        }
    }
}

impl Db {
    /// Runs raw SQL on this storage, as an operator's shell (or an older build) would.
    async fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let options = SqliteStore::connect_options(&self.storage.data_dir().join("floorboard.db"));
                let pool = sqlx::SqlitePool::connect_with(options).await.expect("open the database");
                sqlx::raw_sql(sql).execute(&pool).await.expect("raw SQL");
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.database_url()).await.expect("open the database");
                sqlx::raw_sql(sql).execute(&pool).await.expect("raw SQL");
                pool.close().await;
            }
        }
    }
}

/// A report stored before the text rule (as the build before it stored them: a device that
/// sent year 0000, a bidi override in a summary) reads back repaired on every path, once
/// the store opens; the repair runs once.
async fn rows_stored_before_the_text_rule_are_repaired_once(db: Db) {
    let store = db.open().await;
    let r = report("rmc-4w", Kind::Configuration, Severity::PatientSafety);
    let other = report("rmc-ed", Kind::Access, Severity::Low);
    apply(&*store, &[submit(&r), submit(&other), set(r.id, Status::Acknowledged, None)], at(0)).await;
    let untouched = issue(&*store, other.id).await;
    drop(store);

    let bidi = match db.backend {
        Backend::Sqlite => "char(8238)",
        Backend::Postgres => "chr(8238)",
    };
    db.execute(&format!(
        "UPDATE reports SET reported_at = -62167219260000000, summary = 'Order set ' || {bidi} || 'missing' \
         WHERE id = '{}'; DELETE FROM repair_runs;",
        r.id
    ))
    .await;

    let store = db.open().await;
    let repaired = issue(&*store, r.id).await;
    assert_eq!(repaired.report.summary, "Order set missing");
    assert_eq!(repaired.report.reported_at, repaired.received_at, "a time no layer can hold takes the receipt time");
    assert_eq!(issue(&*store, other.id).await, untouched, "rows that keep the rule are left alone");
    let queue = store.queue_issues(&QueueId::new("cc-lead"), 100).await.expect("the safety queue reads");
    assert!(serde_json::to_string(&queue).is_ok(), "and serialises");
    let log = store.events_after(0, 100).await.expect("the log replays");
    assert!(serde_json::to_string(&log).is_ok());
    let moved = apply(&*store, &[set(r.id, Status::InProgress, None)], at(1)).await;
    assert_eq!(events(&moved).len(), 1, "its status moves");
    drop(store);

    // Poisoned again by hand after the run: the repair does not run twice.
    db.execute(&format!("UPDATE reports SET summary = 'Order set ' || {bidi} || 'missing' WHERE id = '{}'", r.id))
        .await;
    let store = db.open().await;
    assert_ne!(issue(&*store, r.id).await.report.summary, "Order set missing");
}

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn literal_or_null(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".into(), literal)
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// The rows a store wrote for `issues` and `log` before reports were keyed by sequence
/// number: tables keyed by the report's UUID, a report's event with a copy of its issue
/// (before sqlite/0003, postgres/0002) for odd sequence numbers and without for even ones.
fn rows_before_seq_keys(issues: &[Issue], log: &[Event]) -> String {
    let mut sql = String::new();
    for i in issues {
        let r = &i.report;
        let id = literal(&r.id.to_string());
        sql += &format!(
            "INSERT INTO reports (id, facility, unit, module, kind, severity, summary, details, affected_role, \
             affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, note, updated_at, \
             reported_seq, seq) VALUES ({id}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
            literal(r.facility.as_str()),
            literal(r.unit.as_str()),
            literal(r.module.as_str()),
            literal(r.kind.as_str()),
            literal(r.severity.as_str()),
            literal(&r.summary),
            literal_or_null(r.details.as_deref()),
            literal_or_null(r.affected_role.as_deref()),
            r.affected_users,
            if r.resolved_at_elbow { "TRUE" } else { "FALSE" },
            literal(r.reporter.as_str()),
            micros(r.reported_at),
            micros(i.received_at),
            literal(&serde_json::to_string(&i.queues).expect("queues")),
            literal(i.status.as_str()),
            literal_or_null(i.note.as_deref()),
            micros(i.updated_at),
            i.reported_seq,
            i.seq,
        );
        for queue in &i.queues {
            sql +=
                &format!("INSERT INTO report_queues (queue, report_id) VALUES ({}, {id});\n", literal(queue.as_str()));
        }
    }
    for e in log {
        let (change, from) = match &e.change {
            Change::Reported => ("reported", None),
            Change::StatusChanged { from } => ("status_changed", Some(from.as_str())),
            _ => panic!("that schema's log holds only reports and moves"),
        };
        let copy = (from.is_some() || e.seq % 2 == 1).then(|| serde_json::to_string(&e.issue).expect("issue"));
        sql += &format!(
            "INSERT INTO events (seq, at, report_id, change, from_status, issue) VALUES ({}, {}, {}, {}, {}, {});\n",
            e.seq,
            micros(e.at),
            literal(&e.issue.report.id.to_string()),
            literal(change),
            literal_or_null(from),
            literal_or_null(copy.as_deref()),
        );
    }
    sql
}

/// A database written before reports were keyed by sequence number reads back, once
/// upgraded, exactly as the same history written by today's store, and goes on from there:
/// retries of its reports are still duplicates, reused ids still conflict, numbers go on.
async fn a_database_made_before_reports_were_keyed_by_seq_upgrades_intact(db: Db) {
    let today = Db::fresh(db.backend).await;
    let written = today.open().await;
    let (reports, _) = morning(&*written).await;
    let head = head(&*written).await;
    let mut expected = Everything::read(&*written).await.before_resolutions(head);
    // Events written before accounts name no actor.
    for event in &mut expected.log {
        event.actor = None;
    }

    db.make_before_seq_keys(&rows_before_seq_keys(&expected.issues, &expected.log)).await;
    let upgraded = db.open().await;
    assert_eq!(Everything::read(&*upgraded).await, expected);

    let reused = report_with("rmc-4w", Kind::Process, Severity::Low, |d| d.id = reports[2].id);
    let next = report("lch-picu", Kind::Access, Severity::High);
    let batch = [submit(&reports[0]), submit(&reused), submit(&next), set(reports[4].id, Status::Acknowledged, None)];
    let outcomes = apply(&*upgraded, &batch, at(40)).await;
    // Resolved before resolution codes: none is stored.
    let before = Issue { resolution: None, ..issue(&*written, reports[0].id).await };
    assert_eq!(duplicate(&outcomes[0]), &before);
    assert_refused(&outcomes[1], ErrorCode::IdConflict, reports[2].id);
    let n = expected.head;
    assert_eq!(seqs(&events(&outcomes)), [n + 1, n + 2]);
    assert_eq!(events(&outcomes), events(&apply(&*written, &batch, at(40)).await));
    let mut today = Everything::read(&*written).await.before_resolutions(n);
    // Only the events written before the upgrade lack their actor (and resolutions).
    for event in today.log.iter_mut().filter(|e| e.seq <= n) {
        event.actor = None;
    }
    assert_eq!(Everything::read(&*upgraded).await, today);
}

// ---------------------------------------------------------------------------------------
// Writers beside the committer

/// An audit link reads the chain's head and the log's before it writes. It must wait for
/// the committer rather than fail: on SQLite a transaction begun deferred that read before a
/// commit of the committer's fails at once with SQLITE_BUSY (a sign-in answered 503).
async fn audit_links_wait_for_the_committer_instead_of_failing(db: Db) {
    match db.backend {
        Backend::Sqlite => {
            let store = SqliteStore::open(db.storage.data_dir()).await.expect("open the SQLite store");
            audit_beside_the_committer(Arc::new(store)).await
        }
        Backend::Postgres => audit_beside_the_committer(Arc::new(db.open_pg().await)).await,
    }
}

async fn audit_beside_the_committer<S: Store + AuditStore>(store: Arc<S>) {
    const COMMITS: usize = 150;
    // The committer's own thread, as in the server (SQLite's `apply` blocks its caller).
    let committer = {
        let store = store.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                for minute in 0..COMMITS {
                    let report = report("rmc-4w", Kind::Access, Severity::Medium);
                    apply(store.as_ref(), &[submit(&report)], at(minute as i64)).await;
                }
            })
        })
    };
    let mut appended = 0u64;
    while !committer.is_finished() {
        let entry = AuditEntry {
            actor: Some("trainer-07".into()),
            action: "sign_in",
            target: None,
            source: None,
            outcome: "ok".into(),
        };
        store.append_audit(&[entry], &[], OffsetDateTime::now_utc()).await.expect("the link waits its turn");
        appended += 1;
    }
    committer.join().expect("the committer");
    store.append_audit(&[], &[], OffsetDateTime::now_utc()).await.expect("the last events chained");
    let verified = store.verify_audit().await.expect("the chain verifies");
    assert_eq!(verified.entries, appended);
    assert_eq!(verified.events, COMMITS as u64, "every commit is chained once");
}
