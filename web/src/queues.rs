//! Command-center queues: choose queues, watch their open issues live (patient safety
//! pinned, then by severity and age), open one to see everything and change its status. Only
//! the queues the account works are offered, and status changes only where it may make them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use floorboard_shared::access::{Action, Principal, decide};
use floorboard_shared::protocol::{Change, Reroute, ServerMsg, StatusChange, Topic};
use floorboard_shared::{Issue, QueueId, ReportId, ReporterId, ResolutionId, Severity, Status};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::Catalog;
use crate::clock::{age, clock_time, ticking_now};
use crate::live::Live;
use crate::report::{severity_label, status_label};
use crate::{api, storage};

const CHOSEN_KEY: &str = "floorboard.queues.v1";

/// Whose open issues the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Anyone,
    Me,
    Nobody,
}

impl Owner {
    fn parse(s: &str) -> Owner {
        match s {
            "me" => Owner::Me,
            "nobody" => Owner::Nobody,
            _ => Owner::Anyone,
        }
    }

    fn shows(self, issue: &Issue, me: &ReporterId) -> bool {
        match self {
            Owner::Anyone => true,
            Owner::Me => issue.assignee.as_ref() == Some(me),
            Owner::Nobody => issue.assignee.is_none(),
        }
    }
}
/// How long a newly arrived issue stays highlighted.
const FRESH_MS: u64 = 8_000;

#[component]
pub fn QueuesPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let names = expect_context::<Catalog>();
    let catalog = names.0;
    let me = expect_context::<Arc<Principal>>();
    let login = StoredValue::new(me.login.clone());
    let works = move |queue: &QueueId| decide(&me, Action::ReadQueue { queue }).is_ok();
    // The device remembers the queues last watched on it, perhaps by another account.
    let mut remembered = storage::load::<BTreeSet<QueueId>>(CHOSEN_KEY).unwrap_or_default();
    remembered.retain(&works);
    let chosen = RwSignal::new(remembered);
    // Open issues per followed queue.
    let open = RwSignal::new(BTreeMap::<QueueId, HashMap<ReportId, Issue>>::new());
    let fresh = RwSignal::new(BTreeSet::<ReportId>::new());
    let selected = RwSignal::new(None::<ReportId>);
    let owner = RwSignal::new(Owner::Anyone);
    let now = ticking_now();

    live.on_message(move |msg| match msg {
        ServerMsg::Snapshot { topic: Topic::Queue { queue }, issues, .. } => open.update(|o| {
            o.insert(queue.clone(), issues.iter().map(|i| (i.report.id, i.clone())).collect());
        }),
        ServerMsg::Event(event) => {
            let issue = &event.issue;
            // Every followed list: a re-routed issue leaves the queues it is no longer in.
            open.update(|o| {
                for (queue, list) in o.iter_mut() {
                    if list.get(&issue.report.id).is_some_and(|old| old.seq > issue.seq) {
                        continue;
                    }
                    if issue.status.is_open() && issue.queues.contains(queue) {
                        list.insert(issue.report.id, issue.clone());
                    } else {
                        list.remove(&issue.report.id);
                    }
                }
            });
            if event.change == Change::Reported {
                let id = issue.report.id;
                fresh.update(|f| {
                    f.insert(id);
                });
                set_timeout(
                    move || {
                        fresh.update(|f| {
                            f.remove(&id);
                        })
                    },
                    std::time::Duration::from_millis(FRESH_MS),
                );
            }
        }
        _ => {}
    });

    // Follow exactly the chosen queues.
    let following = StoredValue::new(BTreeSet::<QueueId>::new());
    Effect::new(move |_| {
        let want = chosen.get();
        let had = following.get_value();
        for q in had.difference(&want) {
            live.unsubscribe(&Topic::Queue { queue: q.clone() });
            open.update(|o| {
                o.remove(q);
            });
        }
        for q in want.difference(&had) {
            live.subscribe(Topic::Queue { queue: q.clone() });
        }
        storage::save(CHOSEN_KEY, &want);
        following.set_value(want);
    });
    on_cleanup(move || {
        for q in following.get_value() {
            live.unsubscribe(&Topic::Queue { queue: q });
        }
    });

    // Counts for queues not followed come from the server, refreshed when the list opens.
    let counts = RwSignal::new(HashMap::<QueueId, u64>::new());
    spawn_local(async move {
        if let Ok(queues) = api::queues().await {
            counts.set(queues.into_iter().map(|q| (q.id, q.open)).collect());
        }
    });
    let count_of = move |q: &QueueId| {
        open.with(|o| o.get(q).map(|l| l.len() as u64)).or_else(|| counts.with(|c| c.get(q).copied()))
    };

    let list = move || {
        let mut issues: Vec<Issue> = open.with(|o| {
            let mut seen = HashMap::new();
            let (owner, me) = (owner.get(), login.get_value());
            for issue in o.values().flat_map(|l| l.values()).filter(|i| owner.shows(i, &me)) {
                seen.entry(issue.report.id).or_insert_with(|| issue.clone());
            }
            seen.into_values().collect()
        });
        issues.sort_by_key(|i| (i.report.severity, i.received_at, i.reported_seq));
        issues
    };
    let opened = Memo::new(move |_| {
        let id = selected.get()?;
        open.with(|o| o.values().find_map(|l| l.get(&id).cloned()))
    });
    let safety =
        move || list().into_iter().filter(|i| i.report.severity == Severity::PatientSafety).collect::<Vec<_>>();
    let others =
        move || list().into_iter().filter(|i| i.report.severity != Severity::PatientSafety).collect::<Vec<_>>();

    let row = move |issue: Issue| {
        let id = issue.report.id;
        let at = issue.received_at;
        let queues = issue.queues.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        view! {
            <li class="issue-row" class:fresh=move || fresh.with(|f| f.contains(&id)) data-severity=issue.report.severity.as_str()>
                <button type="button" class="issue-open" on:click=move |_| selected.set(Some(id))
                    aria-label=format!("{}: {}", severity_label(issue.report.severity), issue.report.summary)>
                    <span class="sev" data-severity=issue.report.severity.as_str()>{severity_label(issue.report.severity)}</span>
                    <span class="summary">{issue.report.summary.clone()}</span>
                    <span class="meta">
                        {names.unit_label(&issue.report.unit)}" · "{issue.report.kind.label()}" · "{names.module_label(&issue.report.module)}
                        " · "{queues}
                        {issue.assignee.as_ref().map(|a| format!(" · {a}"))}
                    </span>
                    <span class="status-badge" data-status=issue.status.as_str()>{status_label(issue.status)}</span>
                    <span class="age" title=clock_time(at)>{move || age(at, now.get())}</span>
                </button>
            </li>
        }
    };

    view! {
        <section class="queues-page">
            <aside class="card queue-chooser" aria-labelledby="chooser-title">
                <h2 id="chooser-title">"Queues"</h2>
                <ul>
                    {move || catalog.with(|g| g.as_ref().map(|g| g.queues().iter().filter(|q| works(&q.id)).map(|q| {
                        let id = q.id.clone();
                        let toggle = id.clone();
                        let counted = id.clone();
                        view! {
                            <li><label class="queue-choice">
                                <input type="checkbox" name="queue" value=id.to_string()
                                    prop:checked=move || chosen.with(|c| c.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { if on { c.insert(toggle.clone()); } else { c.remove(&toggle); } });
                                    }/>
                                <span>{q.name.clone()}</span>
                                <span class="count">{move || count_of(&counted).map(|n| n.to_string()).unwrap_or_default()}</span>
                            </label></li>
                        }
                    }).collect_view()))}
                </ul>
            </aside>
            <div class="queue-list">
                <Show when=move || chosen.with(|c| !c.is_empty()) fallback=|| view! { <p class="empty">"Choose one or more queues to watch."</p> }>
                    <div class="list-head">
                        <h1>{move || format!("Open issues: {}", list().len())}</h1>
                        <label>"Show"
                            <select name="owner" on:change=move |ev| owner.set(Owner::parse(&event_target_value(&ev)))>
                                <option value="anyone">"Everyone's"</option>
                                <option value="me">"Assigned to me"</option>
                                <option value="nobody">"Unassigned"</option>
                            </select>
                        </label>
                    </div>
                    <Show when=move || !safety().is_empty()>
                        <h2 class="pinned-title">"Patient safety"</h2>
                        <ul class="issues pinned"><For each=safety key=|i| (i.report.id, i.seq) children=row/></ul>
                    </Show>
                    // Keyed: a live change redraws its own row only, so the rest keep their
                    // place, their focus and the scroll.
                    <ul class="issues"><For each=others key=|i| (i.report.id, i.seq) children=row/></ul>
                    <Show when=move || list().is_empty()><p class="empty">"Nothing open. "</p></Show>
                </Show>
            </div>
            // Made again only when another issue is opened: live changes reach it through
            // `opened`, and leave what is being typed in it alone.
            {move || selected.get().map(|id| view! {
                <IssueDetail id issue=opened on_close=move || selected.set(None)/>
            })}
        </section>
    }
}

/// Every field of one issue, and its status changes. The issue is followed live (`issue`),
/// while the panel itself, with the note being typed and the focus, stays as it is: only
/// the fields and the offered moves are redrawn when the issue changes.
#[component]
fn IssueDetail(
    id: ReportId,
    issue: Memo<Option<Issue>>,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let names = expect_context::<Catalog>();
    let me = expect_context::<Arc<Principal>>();
    // Copy, for the controls' closures.
    let login = StoredValue::new(me.login.clone());
    let may_change = Memo::new(move |_| {
        issue.with(|i| i.as_ref().is_some_and(|i| decide(&me, Action::ChangeStatus { issue: i }).is_ok()))
    });
    let note = RwSignal::new(String::new());
    let resolution = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let close = on_close.clone();
    let done = move |result: Result<Issue, floorboard_shared::ErrorBody>| {
        problem.set(result.err().map(|e| e.message));
        busy.set(false);
    };
    let hand_to = RwSignal::new(String::new());
    let route_to = RwSignal::new(String::new());
    let reroute = move || {
        let Some(queue) = Some(route_to.get_untracked()).filter(|q| !q.is_empty()) else {
            problem.set(Some("Choose the queue to send it to.".into()));
            return;
        };
        busy.set(true);
        let request = Reroute { queues: vec![QueueId::new(queue)], reason: note.get_untracked() };
        spawn_local(async move {
            let routed = api::reroute(id, &request).await;
            if routed.is_ok() {
                note.set(String::new());
                route_to.set(String::new());
            }
            done(routed);
        });
    };
    let assign = move |to: Option<ReporterId>| {
        busy.set(true);
        spawn_local(async move {
            let assigned = api::assign(id, to).await;
            if assigned.is_ok() {
                hand_to.set(String::new());
            }
            done(assigned);
        });
    };
    let mine =
        Memo::new(move |_| issue.with(|i| i.as_ref().and_then(|i| i.assignee.clone())) == Some(login.get_value()));
    let assigned = Memo::new(move |_| issue.with(|i| i.as_ref().is_some_and(|i| i.assignee.is_some())));
    let change = move |to: Status| {
        busy.set(true);
        let text = note.get_untracked();
        spawn_local(async move {
            let resolution = (to == Status::Resolved).then(|| ResolutionId::new(resolution.get_untracked()));
            let resolution = resolution.filter(|r| !r.as_str().is_empty());
            let request = StatusChange { status: to, note: Some(text).filter(|n| !n.trim().is_empty()), resolution };
            let changed = api::change_status(id, &request).await;
            if changed.is_ok() {
                note.set(String::new());
            }
            done(changed);
        });
    };
    let fields = move || {
        let Some(issue) = issue.get() else {
            return view! {
                <h2 id="detail-title">"No longer open here"</h2>
                <p class="notice" role="status">"This issue was resolved, closed or moved out of the queues you watch."</p>
            }
            .into_any();
        };
        let r = &issue.report;
        let field = |label: &'static str, value: String| view! { <dt>{label}</dt><dd>{value}</dd> };
        view! {
            <h2 id="detail-title">{r.summary.clone()}</h2>
            <dl>
                {field("Severity", severity_label(r.severity).into())}
                {field("Status", status_label(issue.status).into())}
                {issue.resolution.as_ref().map(|r| field("Resolution", names.resolution_label(r)))}
                {field("Kind", r.kind.label().into())}
                {field("Unit", names.unit_label(&r.unit))}
                {field("Module", names.module_label(&r.module))}
                {field("Queues", issue.queues.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))}
                {field("Assigned to", issue.assignee.as_ref().map_or_else(|| "nobody".to_owned(), ToString::to_string))}
                {field("Affected", format!("{} × {}", r.affected_users, r.affected_role.clone().unwrap_or_else(|| "users".into())))}
                {field("Reporter", r.reporter.to_string())}
                {field("Issue id", id.to_string())}
                {field("Received", clock_time(issue.received_at))}
                {field("Resolved at the elbow", if r.resolved_at_elbow { "yes" } else { "no" }.into())}
                {r.details.clone().map(|d| field("Details", d))}
                {issue.note.clone().map(|n| field("Note", n))}
            </dl>
        }
        .into_any()
    };
    let moves = move || {
        let current = issue.with(|i| i.as_ref().map(|i| i.status))?;
        Some(Status::ALL.into_iter().filter(move |to| current.can_move_to(*to)).map(|to| view! {
            <button type="button" data-status=to.as_str() disabled=move || busy.get() on:click=move |_| change(to)>
                {status_label(to)}
            </button>
        }).collect_view())
    };
    view! {
        <aside class="card detail" role="dialog" aria-labelledby="detail-title">
            <button type="button" class="close" aria-label="Close" on:click=move |_| close()>"×"</button>
            {fields}
            <Show when=move || may_change.get()>
                <div class="assign-actions" role="group" aria-label="Assignment">
                    <Show when=move || !mine.get()>
                        <button type="button" class="assign-me" disabled=move || busy.get()
                            on:click=move |_| assign(Some(login.get_value()))>"Assign to me"</button>
                    </Show>
                    <Show when=move || assigned.get()>
                        <button type="button" class="unassign" disabled=move || busy.get() on:click=move |_| assign(None)>"Unassign"</button>
                    </Show>
                    <form class="hand-to" on:submit=move |ev| {
                        ev.prevent_default();
                        match ReporterId::parse(&hand_to.get_untracked()) {
                            Some(to) => assign(Some(to)),
                            None => problem.set(Some("Type the login of a colleague who works this queue.".into())),
                        }
                    }>
                        <label>"Hand to (login)"
                            <input type="text" autocomplete="off" maxlength="64" prop:value=move || hand_to.get()
                                on:input=move |ev| hand_to.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit" disabled=move || busy.get()>"Hand over"</button>
                    </form>
                </div>
                <label class="wide">"Resolution (required to resolve)"
                    <select name="resolution" prop:value=move || resolution.get() on:change=move |ev| resolution.set(event_target_value(&ev))>
                        <option value="">"Choose how it was resolved"</option>
                        {move || names.0.with(|g| g.as_ref().map(|g| g.resolutions().iter().map(|r| view! {
                            <option value=r.id.to_string()>{r.name.clone()}</option>
                        }).collect_view()))}
                    </select>
                </label>
                <label class="wide">"Note (required to resolve, close or reopen)"
                    <textarea rows="3" maxlength="2000" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </label>
                <div class="status-actions" role="group" aria-label="Change status">{moves}</div>
                <form class="reroute" on:submit=move |ev| { ev.prevent_default(); reroute(); }>
                    <label>"Re-route to (the note says why)"
                        <select name="route" prop:value=move || route_to.get() on:change=move |ev| route_to.set(event_target_value(&ev))>
                            <option value="">"Choose a queue"</option>
                            {move || names.0.with(|g| g.as_ref().map(|g| g.queues().iter().map(|q| view! {
                                <option value=q.id.to_string()>{q.name.clone()}</option>
                            }).collect_view()))}
                        </select>
                    </label>
                    <button type="submit" disabled=move || busy.get()>"Re-route"</button>
                </form>
                <Show when=move || problem.get().is_some()>
                    <p class="problem" role="alert">{move || problem.get()}</p>
                </Show>
            </Show>
        </aside>
    }
}
