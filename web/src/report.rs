//! The trainer's tablet: check in once to a unit, report a problem in three taps and a
//! sentence (kind, severity, send), see what is waiting to send, and follow "my reports".

use std::collections::BTreeMap;

use floorboard_shared::protocol::{ServerMsg, Topic};
use floorboard_shared::report::{DETAILS_MAX, ROLE_MAX, SUMMARY_MAX};
use floorboard_shared::{Issue, Kind, ReportDraft, ReportId, ReporterId, Severity, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::Catalog;
use crate::clock::{age, clock_time, ticking_now};
use crate::live::Live;
use crate::storage;

const CHECKIN_KEY: &str = "floorboard.checkin.v1";
const LAST_KEY: &str = "floorboard.last-report.v1";

/// Where the trainer is working, remembered on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CheckIn {
    reporter: String,
    facility: String,
    unit: String,
}

/// What carries over from one report to the next.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct LastReport {
    module: String,
    role: String,
    users: u32,
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let checkin = RwSignal::new(storage::load::<CheckIn>(CHECKIN_KEY));
    view! {
        <section class="report-page">
            {move || match checkin.get() {
                None => view! { <CheckInForm checkin/> }.into_any(),
                Some(c) => view! {
                    <CheckedIn current=c.clone() checkin/>
                    <ReportForm at=c.clone()/>
                    <Outgoing/>
                    <MyReports reporter=c.reporter.clone()/>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn CheckInForm(checkin: RwSignal<Option<CheckIn>>) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    let previous = checkin.get_untracked().or_else(|| storage::load(CHECKIN_KEY));
    let reporter = RwSignal::new(previous.as_ref().map(|c| c.reporter.clone()).unwrap_or_default());
    let facility = RwSignal::new(previous.as_ref().map(|c| c.facility.clone()).unwrap_or_default());
    let unit = RwSignal::new(previous.map(|c| c.unit).unwrap_or_default());
    let problem = RwSignal::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (r, f, u) = (reporter.get(), facility.get(), unit.get());
        let known =
            catalog.with(|g| g.as_ref().is_some_and(|g| g.unit_facility(&u).is_some_and(|owner| owner.as_str() == f)));
        if ReporterId::parse(&r).is_none() {
            problem.set(Some("Enter your name or badge id.".into()));
        } else if !known {
            problem.set(Some("Choose your facility and unit.".into()));
        } else {
            let c = CheckIn { reporter: r.trim().to_owned(), facility: f, unit: u };
            storage::save(CHECKIN_KEY, &c);
            checkin.set(Some(c));
        }
    };

    view! {
        <form class="card checkin" on:submit=submit>
            <h1>"Check in"</h1>
            <p class="hint">"Once per shift: where are you working?"</p>
            <label>"Your name or badge id"
                <input type="text" autocomplete="username" maxlength="64" required
                    prop:value=move || reporter.get() on:input=move |ev| reporter.set(event_target_value(&ev))/>
            </label>
            <label>"Facility"
                <select required on:change=move |ev| { facility.set(event_target_value(&ev)); unit.set(String::new()); }>
                    <option value="" selected=move || facility.get().is_empty()>"Choose…"</option>
                    {move || catalog.with(|g| g.as_ref().map(|g| g.facilities().iter().map(|f| {
                        let id = f.id.to_string();
                        let selected = facility.get_untracked() == id;
                        view! { <option value=id.clone() selected=selected>{f.name.clone()}</option> }
                    }).collect_view()))}
                </select>
            </label>
            <label>"Unit"
                <select required on:change=move |ev| unit.set(event_target_value(&ev))>
                    <option value="" selected=move || unit.get().is_empty()>"Choose…"</option>
                    {move || {
                        let chosen = facility.get();
                        catalog.with(|g| g.as_ref().and_then(|g| g.facility(&chosen)).map(|f| f.units.iter().map(|u| {
                            let id = u.id.to_string();
                            let selected = unit.get_untracked() == id;
                            view! { <option value=id.clone() selected=selected>{u.name.clone()}</option> }
                        }).collect_view()))
                    }}
                </select>
            </label>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get()}</p>
            </Show>
            <button type="submit" class="primary">"Check in"</button>
        </form>
    }
}

#[component]
fn CheckedIn(current: CheckIn, checkin: RwSignal<Option<CheckIn>>) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    let unit = current.unit.clone();
    let place = move || {
        catalog.with(|g| {
            g.as_ref()
                .and_then(|g| {
                    g.units().find(|(_, u)| u.id.as_str() == unit).map(|(f, u)| format!("{}, {}", u.name, f.name))
                })
                .unwrap_or_else(|| unit.clone())
        })
    };
    view! {
        <div class="checked-in">
            <span>"Checked in: "<strong>{place}</strong>" as "<strong>{current.reporter.clone()}</strong></span>
            <button type="button" class="link" on:click=move |_| checkin.set(None)>"Change"</button>
        </div>
    }
}

#[component]
fn ReportForm(at: CheckIn) -> impl IntoView {
    let live = expect_context::<Live>();
    let catalog = expect_context::<Catalog>().0;
    let last = storage::load::<LastReport>(LAST_KEY).unwrap_or(LastReport { users: 1, ..LastReport::default() });

    let kind = RwSignal::new(None::<Kind>);
    let severity = RwSignal::new(None::<Severity>);
    let module = RwSignal::new(last.module);
    let summary = RwSignal::new(String::new());
    let details = RwSignal::new(String::new());
    let role = RwSignal::new(last.role);
    let users = RwSignal::new(last.users.max(1));
    let at_elbow = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<ReportId>);

    let at = StoredValue::new(at);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        let (Some(k), Some(s)) = (kind.get(), severity.get()) else {
            problem.set(Some("Choose the kind of problem and its severity.".into()));
            return;
        };
        let at = at.get_value();
        let draft = ReportDraft {
            id: ReportId(uuid::Uuid::now_v7()),
            facility: at.facility,
            unit: at.unit,
            module: module.get(),
            kind: k,
            severity: s,
            summary: summary.get(),
            details: Some(details.get()).filter(|d| !d.trim().is_empty()),
            affected_role: Some(role.get()).filter(|r| !r.trim().is_empty()),
            affected_users: users.get(),
            resolved_at_elbow: at_elbow.get() && k == Kind::TrainingGap,
            reporter: at.reporter,
            reported_at: time::OffsetDateTime::now_utc(),
        };
        // The same checks the server makes, before anything is stored.
        let checked = catalog.with(|g| g.as_ref().map(|g| draft.clone().validate(g)));
        if let Some(Err(e)) = checked {
            problem.set(Some(e.message));
            return;
        }
        let id = draft.id;
        if !live.submit(draft) {
            problem.set(Some("This device could not store the report. Free some space and try again.".into()));
            return;
        }
        storage::save(LAST_KEY, &LastReport { module: module.get(), role: role.get(), users: users.get() });
        problem.set(None);
        saved.set(Some(id));
        kind.set(None);
        severity.set(None);
        summary.set(String::new());
        details.set(String::new());
        at_elbow.set(false);
    };

    let sent = move || saved.get().is_some_and(|id| !live.outbox.waiting.with(|w| w.iter().any(|r| r.id == id)));

    view! {
        <form class="card report-form" on:submit=send>
            <h1>"Report a problem"</h1>
            <fieldset class="choices kinds">
                <legend>"What kind of problem?"</legend>
                {Kind::ALL.into_iter().map(|k| view! {
                    <label class="choice" class:chosen=move || kind.get() == Some(k)>
                        <input type="radio" name="kind" value=k.as_str()
                            prop:checked=move || kind.get() == Some(k) on:change=move |_| kind.set(Some(k))/>
                        <span class="choice-title">{k.label()}</span>
                        <span class="choice-hint">{kind_hint(k)}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <fieldset class="choices severities">
                <legend>"How bad? "<span class="hint">"When unsure, pick the higher one."</span></legend>
                {Severity::ALL.into_iter().map(|s| view! {
                    <label class="choice" class:chosen=move || severity.get() == Some(s) data-severity=s.as_str()>
                        <input type="radio" name="severity" value=s.as_str()
                            prop:checked=move || severity.get() == Some(s) on:change=move |_| severity.set(Some(s))/>
                        <span class="choice-title">{severity_label(s)}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="wide">"What happened? (about the system, never the patient)"
                <input type="text" name="summary" maxlength=SUMMARY_MAX.to_string() required autocomplete="off"
                    placeholder="e.g. BP med SmartSet does not load for RN role"
                    prop:value=move || summary.get() on:input=move |ev| summary.set(event_target_value(&ev))/>
            </label>
            <details class="more">
                <summary>"More detail (optional)"</summary>
                <label class="wide">"Details"
                    <textarea name="details" maxlength=DETAILS_MAX.to_string() rows="3"
                        prop:value=move || details.get() on:input=move |ev| details.set(event_target_value(&ev))></textarea>
                </label>
            </details>
            <div class="row">
                <label>"Module"
                    <select name="module" required on:change=move |ev| module.set(event_target_value(&ev))>
                        <option value="" selected=move || module.get().is_empty()>"Choose…"</option>
                        {move || catalog.with(|g| g.as_ref().map(|g| g.modules().iter().map(|m| {
                            let id = m.id.to_string();
                            let selected = module.get_untracked() == id;
                            view! { <option value=id.clone() selected=selected>{m.name.clone()}</option> }
                        }).collect_view()))}
                    </select>
                </label>
                <label>"Affected role"
                    <input type="text" name="role" maxlength=ROLE_MAX.to_string() list="roles"
                        prop:value=move || role.get() on:input=move |ev| role.set(event_target_value(&ev))/>
                    <datalist id="roles">
                        <option value="RN"/><option value="Charge RN"/><option value="Physician"/><option value="APP"/>
                        <option value="Unit clerk"/><option value="Pharmacist"/><option value="Tech"/><option value="Registrar"/>
                    </datalist>
                </label>
                <label>"Users affected"
                    <input type="number" name="users" min="1" max="10000" inputmode="numeric"
                        prop:value=move || users.get().to_string()
                        on:input=move |ev| users.set(event_target_value(&ev).parse().unwrap_or(1))/>
                </label>
            </div>
            <Show when=move || kind.get() == Some(Kind::TrainingGap)>
                <label class="toggle">
                    <input type="checkbox" name="resolved_at_elbow" prop:checked=move || at_elbow.get()
                        on:change=move |ev| at_elbow.set(event_target_checked(&ev))/>
                    "Resolved at the elbow"
                </label>
            </Show>
            <Show when=move || problem.get().is_some()>
                <p class="problem" role="alert">{move || problem.get()}</p>
            </Show>
            <button type="submit" class="primary big">"Send report"</button>
            <p class="saved" role="status" aria-live="polite">
                {move || saved.get().map(|_| if sent() { "Sent: the command center has it." } else { "Saved on this device: sending…" })}
            </p>
        </form>
    }
}

fn kind_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::TrainingGap => "didn't learn the workflow",
        Kind::Configuration => "system not as built or trained",
        Kind::Access => "login, role, security, device",
        Kind::Process => "workflow changed, people",
    }
}

pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::PatientSafety => "Patient safety",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::New => "New",
        Status::Acknowledged => "Acknowledged",
        Status::InProgress => "In progress",
        Status::Escalated => "Escalated",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

/// Reports still on the device: waiting to send, or refused by the server.
#[component]
fn Outgoing() -> impl IntoView {
    let live = expect_context::<Live>();
    let outbox = live.outbox;
    view! {
        <Show when=move || outbox.waiting.with(|w| !w.is_empty())>
            <section class="card outbox" aria-labelledby="outbox-title">
                <h2 id="outbox-title">{move || format!("{} waiting to send", outbox.waiting.with(Vec::len))}</h2>
                <p class="hint">"Stored on this tablet. They go out by themselves when the connection is back."</p>
                <ul>
                    <For each=move || outbox.waiting.get() key=|r| r.id let:r>
                        <li>{r.summary.clone()}</li>
                    </For>
                </ul>
            </section>
        </Show>
        <Show when=move || outbox.refused.with(|r| !r.is_empty())>
            <section class="card refused" aria-labelledby="refused-title">
                <h2 id="refused-title">"Not accepted"</h2>
                <ul>
                    <For each=move || outbox.refused.get() key=|r| r.report.id let:r>
                        <li>
                            <span>{r.report.summary.clone()}</span>
                            <span class="problem">{r.error.message.clone()}</span>
                            <button type="button" class="link" on:click=move |_| outbox.dismiss_refused(r.report.id)>"Dismiss"</button>
                        </li>
                    </For>
                </ul>
            </section>
        </Show>
    }
}

/// The trainer's own reports with their live status, newest first.
#[component]
fn MyReports(reporter: String) -> impl IntoView {
    let names = expect_context::<Catalog>();
    let live = expect_context::<Live>();
    let now = ticking_now();
    let mine = RwSignal::new(BTreeMap::<ReportId, Issue>::new());
    let Some(reporter) = ReporterId::parse(&reporter) else {
        return ().into_any();
    };
    let topic = Topic::Mine { reporter };
    let wanted = topic.clone();
    live.on_message(move |msg| match msg {
        ServerMsg::Snapshot { topic, issues, .. } if *topic == wanted => {
            mine.set(issues.iter().map(|i| (i.report.id, i.clone())).collect());
        }
        ServerMsg::Event(event) if wanted.wants(&event.issue) => mine.update(|m| {
            let newer = m.get(&event.issue.report.id).is_none_or(|old| old.seq <= event.issue.seq);
            if newer {
                m.insert(event.issue.report.id, event.issue.clone());
            }
        }),
        _ => {}
    });
    live.subscribe(topic.clone());
    let held = StoredValue::new(topic);
    on_cleanup(move || live.unsubscribe(&held.get_value()));

    let sorted = move || {
        let mut list: Vec<Issue> = mine.with(|m| m.values().cloned().collect());
        list.sort_by_key(|i| std::cmp::Reverse(i.received_at));
        list
    };
    view! {
        <section class="card mine" aria-labelledby="mine-title">
            <h2 id="mine-title">"My reports"</h2>
            <Show when=move || mine.with(|m| !m.is_empty()) fallback=|| view! { <p class="empty">"None yet."</p> }>
                <ul class="issues">
                    <For each=sorted key=|i| (i.report.id, i.seq) let:issue>
                        <li class="issue" data-status=issue.status.as_str()>
                            <span class="status-badge" data-status=issue.status.as_str()>{status_label(issue.status)}</span>
                            <span class="summary">{issue.report.summary.clone()}</span>
                            <span class="meta">
                                {issue.report.kind.label()}" · "{names.unit_label(&issue.report.unit)}" · "
                                {clock_time(issue.received_at)}" · "
                                {let at = issue.received_at; move || age(at, now.get())}
                            </span>
                            {issue.note.clone().map(|note| view! { <span class="note">{note}</span> })}
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
    .into_any()
}
