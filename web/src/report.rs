//! The trainer's tablet: check in once to a unit, report a problem in three taps and a
//! sentence (kind, severity, send), see what is waiting to send, and follow "my reports".
//! The reporter is whoever is signed in: reports name their login.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use floorboard_shared::access::Principal;
use floorboard_shared::protocol::{ServerMsg, Topic};
use floorboard_shared::report::{DETAILS_MAX, REPORTED_AT_END, REPORTED_AT_MIN, ROLE_MAX, SUMMARY_MAX, check_text};
use floorboard_shared::text::Lines;
use floorboard_shared::{ErrorBody, Issue, Kind, ReportDraft, ReportId, ReporterId, Severity, Status, UnitId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use crate::api;
use crate::app::Catalog;
use crate::clock::{age, clock_time, ticking_now};
use crate::live::Live;
use crate::outbox::Refused;
use crate::storage;

const CHECKIN_KEY: &str = "floorboard.checkin.v1";
const LAST_KEY: &str = "floorboard.last-report.v1";
/// A person's reports as last seen, kept on the device per login (the newest `MINE_KEPT`).
const MINE_KEY: &str = "floorboard.mine.v1";
const MINE_KEPT: usize = 50;

/// Where the tablet is: remembered on the device, for whoever signs in on it. (Check-ins
/// stored before sign-in also name a reporter: ignored, the session says who.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CheckIn {
    facility: String,
    unit: String,
}

/// What carries over from one of a person's reports to their next.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct LastReport {
    module: String,
    role: String,
    users: u32,
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let me = expect_context::<Arc<Principal>>();
    let checkin = RwSignal::new(storage::load::<CheckIn>(CHECKIN_KEY));
    // A refused report the trainer opened back into the form.
    let editing = RwSignal::new(None::<Refused>);
    view! {
        <section class="report-page">
            {move || match checkin.get() {
                None => view! { <CheckInForm checkin/> }.into_any(),
                Some(c) => view! {
                    <CheckedIn current=c.clone() checkin/>
                    <crate::signin::PinOffer/>
                    <NeedsEditing editing/>
                    <ReportForm at=c.clone() editing/>
                    <Outgoing/>
                    <MyReports reporter=me.login.clone()/>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn CheckInForm(checkin: RwSignal<Option<CheckIn>>) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    let me = expect_context::<Arc<Principal>>();
    let previous = checkin.get_untracked().or_else(|| storage::load(CHECKIN_KEY));
    // A device never checked in starts at the person's home facility.
    let home = me.facility.as_ref().map(ToString::to_string);
    let facility = RwSignal::new(previous.as_ref().map(|c| c.facility.clone()).or(home).unwrap_or_default());
    let unit = RwSignal::new(previous.map(|c| c.unit).unwrap_or_default());
    let problem = RwSignal::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (f, u) = (facility.get(), unit.get());
        let known =
            catalog.with(|g| g.as_ref().is_some_and(|g| g.unit_facility(&u).is_some_and(|owner| owner.as_str() == f)));
        if known {
            let c = CheckIn { facility: f, unit: u };
            storage::save(CHECKIN_KEY, &c);
            checkin.set(Some(c));
        } else {
            problem.set(Some("Choose your facility and unit.".into()));
        }
    };

    view! {
        <form class="card checkin" on:submit=submit>
            <h1>"Check in"</h1>
            <p class="hint">"Once per shift: where are you working?"</p>
            <label>"Facility"
                <select name="facility" required on:change=move |ev| { facility.set(event_target_value(&ev)); unit.set(String::new()); }>
                    <option value="" selected=move || facility.get().is_empty()>"Choose…"</option>
                    {move || catalog.with(|g| g.as_ref().map(|g| g.facilities().iter().map(|f| {
                        let id = f.id.to_string();
                        let selected = facility.get_untracked() == id;
                        view! { <option value=id.clone() selected=selected>{f.name.clone()}</option> }
                    }).collect_view()))}
                </select>
            </label>
            <label>"Unit"
                <select name="unit" required on:change=move |ev| unit.set(event_target_value(&ev))>
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

/// How often a check-in the server has not heard of yet (the tablet was offline) is tried
/// again.
const CHECK_IN_RETRY: Duration = Duration::from_secs(30);

#[component]
fn CheckedIn(current: CheckIn, checkin: RwSignal<Option<CheckIn>>) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    // The server counts who is on which unit for the lead's board; the device remembers the
    // unit for whoever signs in next, and tells the server for each.
    let told = UnitId::new(current.unit.clone());
    let tell = move || {
        let unit = told.clone();
        spawn_local(async move {
            let _ = api::check_in(&unit).await;
        });
    };
    tell();
    if let Ok(retry) = set_interval_with_handle(tell, CHECK_IN_RETRY) {
        on_cleanup(move || retry.clear());
    }
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
            <span>"Checked in: "<strong>{place}</strong></span>
            <button type="button" class="link" on:click=move |_| checkin.set(None)>"Change"</button>
        </div>
    }
}

/// How long typing must pause before a field is checked: long enough that a message does
/// not flicker in and out under each keystroke, short enough to show while the trainer looks.
const SETTLE_MS: u64 = 350;

/// A free-text field checked as the server will check it (`report::check_text`: the same
/// codes and the same words), once the trainer pauses typing.
#[derive(Clone, Copy)]
struct Checked {
    text: RwSignal<String>,
    settled: RwSignal<String>,
    message: Memo<Option<String>>,
}

impl Checked {
    fn new(field: &'static str, text: RwSignal<String>, lines: Lines, max: usize) -> Checked {
        let settled = RwSignal::new(text.get_untracked());
        let pending = StoredValue::new(None::<TimeoutHandle>);
        Effect::new(move |_| {
            let now = text.get();
            if let Some(handle) = pending.get_value() {
                handle.clear();
            }
            let handle = set_timeout_with_handle(move || settled.set(now), Duration::from_millis(SETTLE_MS)).ok();
            pending.set_value(handle);
        });
        let message =
            Memo::new(move |_| settled.with(|t| check_text(field, t.clone(), lines, max).err().map(|e| e.message)));
        Checked { text, settled, message }
    }

    /// Checks what is typed now, without waiting for the pause (on Send, on reopening).
    fn settle(&self) {
        self.settled.set(self.text.get_untracked());
    }
}

/// The message under a field. In the page from the start, so a screen reader announces it
/// when it fills (a live region added together with its text often is not).
#[component]
fn FieldProblem(id: &'static str, message: Signal<Option<String>>) -> impl IntoView {
    view! { <p id=id class="field-problem" aria-live="polite">{move || message.get()}</p> }
}

/// Whether `edited` says exactly what the refused `original` said.
fn unchanged(original: &ReportDraft, edited: &ReportDraft) -> bool {
    *original == ReportDraft { id: original.id, ..edited.clone() }
}

#[component]
fn ReportForm(at: CheckIn, editing: RwSignal<Option<Refused>>) -> impl IntoView {
    let live = expect_context::<Live>();
    let catalog = expect_context::<Catalog>().0;
    let me = expect_context::<Arc<Principal>>();
    let last_key = storage::personal(LAST_KEY, &me.login);
    let last = storage::load::<LastReport>(&last_key).unwrap_or(LastReport { users: 1, ..LastReport::default() });

    let kind = RwSignal::new(None::<Kind>);
    let severity = RwSignal::new(None::<Severity>);
    // The module last reported on, else the first of the person's own modules.
    let first_module = || me.modules.first().map(ToString::to_string).unwrap_or_default();
    let module = RwSignal::new(Some(last.module).filter(|m| !m.is_empty()).unwrap_or_else(first_module));
    let summary = RwSignal::new(String::new());
    let details = RwSignal::new(String::new());
    let role = RwSignal::new(last.role);
    let users = RwSignal::new(last.users.max(1));
    let at_elbow = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // A refusal naming a field the checks above do not run as the trainer types (module,
    // users affected), or the server's refusal of a report reopened: shown under the field
    // until the trainer changes anything.
    let refusal = RwSignal::new(None::<ErrorBody>);
    let saved = RwSignal::new(None::<ReportId>);

    let summary_check = Checked::new("summary", summary, Lines::One, SUMMARY_MAX);
    let details_check = Checked::new("details", details, Lines::Many, DETAILS_MAX);
    let role_check = Checked::new("affected_role", role, Lines::One, ROLE_MAX);
    let under = move |field: &'static str, check: Option<Checked>| {
        Signal::derive(move || {
            check.and_then(|c| c.message.get()).or_else(|| {
                refusal.with(|r| r.as_ref().filter(|e| e.field.as_deref() == Some(field)).map(|e| e.message.clone()))
            })
        })
    };
    let summary_problem = under("summary", Some(summary_check));
    let details_problem = under("details", Some(details_check));
    let role_problem = under("affected_role", Some(role_check));
    let module_problem = under("module", None);
    let users_problem = under("affected_users", None);
    let invalid =
        |message: Signal<Option<String>>| move || if message.with(Option::is_some) { "true" } else { "false" };

    let summary_ref = NodeRef::<leptos::html::Input>::new();
    let details_ref = NodeRef::<leptos::html::Textarea>::new();
    let more_ref = NodeRef::<leptos::html::Details>::new();
    let role_ref = NodeRef::<leptos::html::Input>::new();
    let users_ref = NodeRef::<leptos::html::Input>::new();
    let module_ref = NodeRef::<leptos::html::Select>::new();
    // Takes the trainer to the field at fault; false when it is not on this form.
    let focus_field = move |field: &str| -> bool {
        let element: Option<web_sys::HtmlElement> = match field {
            "summary" => summary_ref.get_untracked().map(Into::into),
            "details" => {
                if let Some(more) = more_ref.get_untracked() {
                    let _ = more.set_attribute("open", "");
                }
                details_ref.get_untracked().map(Into::into)
            }
            "affected_role" => role_ref.get_untracked().map(Into::into),
            "affected_users" => users_ref.get_untracked().map(Into::into),
            "module" => module_ref.get_untracked().map(Into::into),
            _ => None,
        };
        element.is_some_and(|e| e.focus().is_ok())
    };
    let clear = move || {
        kind.set(None);
        severity.set(None);
        summary.set(String::new());
        details.set(String::new());
        at_elbow.set(false);
        refusal.set(None);
        problem.set(None);
    };

    // A refused report opened back into the form: every field as the trainer wrote it, the
    // server's message under the field it named, the cursor there.
    Effect::new(move |_| {
        let Some(r) = editing.get() else {
            return;
        };
        let d = &r.report;
        kind.set(Some(d.kind));
        severity.set(Some(d.severity));
        module.set(d.module.clone());
        summary.set(d.summary.clone());
        details.set(d.details.clone().unwrap_or_default());
        role.set(d.affected_role.clone().unwrap_or_default());
        users.set(d.affected_users);
        at_elbow.set(d.resolved_at_elbow);
        for check in [summary_check, details_check, role_check] {
            check.settle();
        }
        saved.set(None);
        problem.set(None);
        refusal.set(Some(r.error.clone()));
        if let (Some(_), Some(more)) = (&d.details, more_ref.get_untracked()) {
            let _ = more.set_attribute("open", "");
        }
        let field = r.error.field.clone().unwrap_or_default();
        if !focus_field(&field) {
            focus_field("summary");
        }
    });

    let at = StoredValue::new(at);
    // Send is never greyed out. A disabled button tells a trainer on a busy unit nothing (and
    // a screen reader skips it); tapping Send on a draft the server would refuse keeps the
    // draft, shows the reason under the field and puts the cursor there, one step from the fix.
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        refusal.set(None);
        problem.set(None);
        for check in [summary_check, details_check, role_check] {
            check.settle();
        }
        // The text checks first, in the order of the fields on the screen.
        let typed = [summary_check, details_check, role_check].into_iter().zip(["summary", "details", "affected_role"]);
        for (check, field) in typed {
            if check.message.get_untracked().is_some() {
                focus_field(field);
                return;
            }
        }
        let (Some(k), Some(s)) = (kind.get_untracked(), severity.get_untracked()) else {
            problem.set(Some("Choose the kind of problem and its severity.".into()));
            return;
        };
        let origin = editing.get_untracked().map(|r| r.report);
        let now = time::OffsetDateTime::now_utc();
        let at = at.get_value();
        // A reopened report keeps where and when it was made; a clock that was wrong then
        // (refused for it) is read again. It was made by whoever is signed in: refused reports
        // are kept per person.
        let (facility, unit, reported_at) = match &origin {
            Some(o) => {
                let when = Some(o.reported_at).filter(|t| (REPORTED_AT_MIN..REPORTED_AT_END).contains(t));
                (o.facility.clone(), o.unit.clone(), when.unwrap_or(now))
            }
            None => (at.facility, at.unit, now),
        };
        let draft = ReportDraft {
            id: ReportId(uuid::Uuid::now_v7()),
            facility,
            unit,
            module: module.get_untracked(),
            kind: k,
            severity: s,
            summary: summary.get_untracked(),
            details: Some(details.get_untracked()).filter(|d| !d.trim().is_empty()),
            affected_role: Some(role.get_untracked()).filter(|r| !r.trim().is_empty()),
            affected_users: users.get_untracked(),
            resolved_at_elbow: at_elbow.get_untracked() && k == Kind::TrainingGap,
            reporter: me.login.to_string(),
            reported_at,
        };
        // The rest of what the server checks (the catalog, the counts), before anything is stored.
        let checked = catalog.with_untracked(|g| g.as_ref().map(|g| draft.clone().validate(g)));
        if let Some(Err(e)) = checked {
            if !focus_field(e.field.as_deref().unwrap_or_default()) {
                problem.set(Some(e.message));
                return;
            }
            refusal.set(Some(e));
            return;
        }
        if origin.as_ref().is_some_and(|o| unchanged(o, &draft)) {
            problem.set(Some("Change the report before sending it again: as it is, it was not accepted.".into()));
            focus_field("summary");
            return;
        }
        let id = draft.id;
        let stored = match &origin {
            Some(o) => live.submit_edited(o.id, draft),
            None => live.submit(draft),
        };
        if !stored {
            problem.set(Some("This device could not store the report. Free some space and try again.".into()));
            return;
        }
        storage::save(
            &last_key,
            &LastReport { module: module.get_untracked(), role: role.get_untracked(), users: users.get_untracked() },
        );
        editing.set(None);
        clear();
        saved.set(Some(id));
    };
    let stop_editing = move |_| {
        editing.set(None);
        clear();
    };

    let sent = move || saved.get().is_some_and(|id| !live.outbox.waiting.with(|w| w.iter().any(|r| r.id == id)));

    view! {
        <form class="card report-form" on:submit=send on:input=move |_| refusal.set(None) on:change=move |_| refusal.set(None)>
            <h1>"Report a problem"</h1>
            <Show when=move || editing.with(Option::is_some)>
                <div class="editing">
                    <p>
                        <strong>"Editing a report that was not accepted. "</strong>
                        {move || editing.with(|r| r.as_ref().map(|r| r.error.message.clone()))}
                    </p>
                    <button type="button" class="link" on:click=stop_editing>"Stop editing"</button>
                </div>
            </Show>
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
                    placeholder="e.g. BP med SmartSet does not load for RN role" node_ref=summary_ref
                    aria-describedby="summary-problem" aria-invalid=invalid(summary_problem)
                    prop:value=move || summary.get() on:input=move |ev| summary.set(event_target_value(&ev))/>
            </label>
            <FieldProblem id="summary-problem" message=summary_problem/>
            <details class="more" node_ref=more_ref>
                <summary>"More detail (optional)"</summary>
                <label class="wide">"Details"
                    <textarea name="details" maxlength=DETAILS_MAX.to_string() rows="3" node_ref=details_ref
                        aria-describedby="details-problem" aria-invalid=invalid(details_problem)
                        prop:value=move || details.get() on:input=move |ev| details.set(event_target_value(&ev))></textarea>
                </label>
                <FieldProblem id="details-problem" message=details_problem/>
            </details>
            <div class="row">
                <div>
                    <label>"Module"
                        <select name="module" required node_ref=module_ref prop:value=move || module.get()
                            aria-describedby="module-problem" aria-invalid=invalid(module_problem)
                            on:change=move |ev| module.set(event_target_value(&ev))>
                            <option value="" selected=move || module.get().is_empty()>"Choose…"</option>
                            {move || catalog.with(|g| g.as_ref().map(|g| g.modules().iter().map(|m| {
                                let id = m.id.to_string();
                                let selected = module.get_untracked() == id;
                                view! { <option value=id.clone() selected=selected>{m.name.clone()}</option> }
                            }).collect_view()))}
                        </select>
                    </label>
                    <FieldProblem id="module-problem" message=module_problem/>
                </div>
                <div>
                    <label>"Affected role"
                        <input type="text" name="role" maxlength=ROLE_MAX.to_string() list="roles" node_ref=role_ref
                            aria-describedby="role-problem" aria-invalid=invalid(role_problem)
                            prop:value=move || role.get() on:input=move |ev| role.set(event_target_value(&ev))/>
                        <datalist id="roles">
                            <option value="RN"/><option value="Charge RN"/><option value="Physician"/><option value="APP"/>
                            <option value="Unit clerk"/><option value="Pharmacist"/><option value="Tech"/><option value="Registrar"/>
                        </datalist>
                    </label>
                    <FieldProblem id="role-problem" message=role_problem/>
                </div>
                <div>
                    <label>"Users affected"
                        <input type="number" name="users" min="1" max="10000" inputmode="numeric" node_ref=users_ref
                            aria-describedby="users-problem" aria-invalid=invalid(users_problem)
                            prop:value=move || users.get().to_string()
                            on:input=move |ev| users.set(event_target_value(&ev).parse().unwrap_or(1))/>
                    </label>
                    <FieldProblem id="users-problem" message=users_problem/>
                </div>
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
        Status::AwaitingInfo => "Awaiting information",
        Status::Escalated => "Escalated",
        Status::PendingMigration => "Pending migration",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

/// Reports stored on the device, waiting to send.
#[component]
fn Outgoing() -> impl IntoView {
    let outbox = expect_context::<Live>().outbox;
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
    }
}

/// Reports the server refused after they left, above the form: they wait for the trainer to
/// fix them (or discard them: only the trainer does), not for the network.
#[component]
fn NeedsEditing(editing: RwSignal<Option<Refused>>) -> impl IntoView {
    let outbox = expect_context::<Live>().outbox;
    // The refused report whose Discard was tapped once: a second tap on "Discard for good"
    // is needed, so a stray touch on a tablet cannot lose a report.
    let discarding = RwSignal::new(None::<ReportId>);
    let edited = move |id: ReportId| editing.with(|e| e.as_ref().is_some_and(|e| e.report.id == id));
    view! {
        <Show when=move || outbox.refused.with(|r| !r.is_empty())>
            <section class="card refused" aria-labelledby="refused-title">
                <h2 id="refused-title">"Needs editing"</h2>
                <p class="hint">"The command center did not accept these. They stay on this tablet until you fix and send them, or discard them."</p>
                <ul>
                    <For each=move || outbox.refused.get() key=|r| r.report.id let:r>
                        {
                            let id = r.report.id;
                            let again = r.clone();
                            view! {
                                <li class="refused-report" class:being-edited=move || edited(id)>
                                    <span class="summary">{r.report.summary.clone()}</span>
                                    <span class="meta">{r.report.kind.label()}" · "{clock_time(r.report.reported_at)}</span>
                                    <span class="problem">{r.error.message.clone()}</span>
                                    <div class="actions">
                                        <Show when=move || edited(id)
                                            fallback=move || {
                                                let again = again.clone();
                                                view! { <button type="button" on:click=move |_| editing.set(Some(again.clone()))>"Edit"</button> }
                                            }>
                                            <span class="hint">"Open in the form below"</span>
                                        </Show>
                                        <Show when=move || discarding.get() == Some(id)
                                            fallback=move || view! {
                                                <button type="button" class="link" on:click=move |_| discarding.set(Some(id))>"Discard"</button>
                                            }>
                                            <button type="button" class="danger" on:click=move |_| {
                                                if edited(id) {
                                                    editing.set(None);
                                                }
                                                outbox.dismiss_refused(id);
                                            }>"Discard for good"</button>
                                            <button type="button" class="link" on:click=move |_| discarding.set(None)>"Keep"</button>
                                        </Show>
                                    </div>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </section>
        </Show>
    }
}

/// The trainer's own reports with their live status, newest first.
#[component]
fn MyReports(reporter: ReporterId) -> impl IntoView {
    let names = expect_context::<Catalog>();
    let live = expect_context::<Live>();
    let now = ticking_now();
    // The list as last seen on this device, until the server's snapshot: a tablet reloaded
    // in a dead zone still shows the person's reports with their last known statuses.
    let kept_at = storage::personal(MINE_KEY, &reporter);
    let kept: Vec<Issue> = storage::load(&kept_at).unwrap_or_default();
    let mine = RwSignal::new(kept.into_iter().map(|i| (i.report.id, i)).collect::<BTreeMap<ReportId, Issue>>());
    let confirmed = RwSignal::new(false);
    Effect::new(move |_| {
        let mut newest: Vec<Issue> = mine.with(|m| m.values().cloned().collect());
        newest.sort_by_key(|i| std::cmp::Reverse(i.received_at));
        newest.truncate(MINE_KEPT);
        storage::save(&kept_at, &newest);
    });
    let topic = Topic::Mine { reporter };
    let wanted = topic.clone();
    live.on_message(move |msg| match msg {
        ServerMsg::Snapshot { topic, issues, .. } if *topic == wanted => {
            mine.set(issues.iter().map(|i| (i.report.id, i.clone())).collect());
            confirmed.set(true);
        }
        ServerMsg::Event(event) if wanted.wants(event) => mine.update(|m| {
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
            <Show when=move || !confirmed.get() && mine.with(|m| !m.is_empty())>
                <p class="hint as-of">"As last seen on this device: statuses update when the server answers."</p>
            </Show>
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
                            {issue.resolution.as_ref().map(|r| view! { <span class="resolution">{names.resolution_label(r)}</span> })}
                            {issue.note.clone().map(|note| view! { <span class="note">{note}</span> })}
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}
