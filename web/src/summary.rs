//! The daily floor support summary, the page a lead prints for the 07:00 huddle and a
//! trainer reads at the end of a shift: a day or a shift, every facility or one, each
//! facility on its own printed page; the CSV for a spreadsheet. The numbers are the
//! server's (`GET /api/v1/summary`, `floorboard_shared::summary`).

use std::sync::Arc;

use floorboard_shared::access::{Action, Principal, decide};
use floorboard_shared::reteach::Trend;
use floorboard_shared::summary::{Brief, Period, Section, Summary, Timing};
use floorboard_shared::{ErrorBody, FacilityId, Kind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use time::OffsetDateTime;

use crate::api;
use crate::app::Catalog;
use crate::report::{severity_label, status_label};

/// Whether `who` may read the summary of everyone's reports (else only their own).
pub fn reads_roll_up(who: &Principal) -> bool {
    decide(who, Action::ReadSummary { facility: who.facility.as_ref(), reporter: None }).is_ok()
}

/// Whether `who` has a summary to read at all.
pub fn allowed(who: &Principal) -> Result<(), floorboard_shared::access::Denied> {
    if reads_roll_up(who) {
        return Ok(());
    }
    decide(who, Action::ReadSummary { facility: None, reporter: Some(&who.login) })
}

/// The answer to the latest `query` (a query string), asked again whenever it changes; an
/// answer that arrives after the next question is dropped.
fn latest<T, F>(
    query: impl Fn() -> String + 'static,
    ask: impl Fn(String) -> F + Copy + 'static,
) -> RwSignal<Option<Result<T, ErrorBody>>>
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, ErrorBody>> + 'static,
{
    let answer = RwSignal::new(None);
    let asked = StoredValue::new(String::new());
    Effect::new(move |_| {
        let q = query();
        asked.set_value(q.clone());
        spawn_local(async move {
            let got = ask(q.clone()).await;
            if asked.with_value(|a| *a == q) {
                answer.set(Some(got));
            }
        });
    });
    answer
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let me = expect_context::<Arc<Principal>>();
    let catalog = expect_context::<Catalog>();
    let roll_up = reads_roll_up(&me);
    // A lead starts on today; a trainer on the shift they are working, what they hand over.
    let now = catalog.0.with_untracked(|g| g.as_ref().map(|g| Period::current(g, OffsetDateTime::now_utc(), !roll_up)));
    let date = RwSignal::new(now.as_ref().map(|p| p.key().chars().take(10).collect()).unwrap_or_default());
    let shift = RwSignal::new(now.and_then(|p| p.shift).map(clock).unwrap_or_default());
    let facility = RwSignal::new(String::new());
    let reporter = (!roll_up).then(|| me.login.to_string());
    let query = move || {
        let mut q = Vec::new();
        for (name, value) in [("date", date.get()), ("shift", shift.get()), ("facility", facility.get())] {
            if !value.is_empty() {
                q.push(format!("{name}={}", js_sys::encode_uri_component(&value)));
            }
        }
        if let Some(r) = &reporter {
            q.push(format!("reporter={}", js_sys::encode_uri_component(r)));
        }
        q.join("&")
    };
    let answer = latest(query.clone(), |q| async move { api::summary(&q).await });
    let shifts =
        move || catalog.0.with(|g| g.as_ref().map(|g| g.shift_starts().iter().map(|t| clock(*t)).collect::<Vec<_>>()));
    let facilities = move || {
        catalog.0.with(|g| {
            g.as_ref().map(|g| g.facilities().iter().map(|f| (f.id.to_string(), f.name.clone())).collect::<Vec<_>>())
        })
    };
    let csv = move || format!("/api/v1/summary?{}&format=csv", query());
    let print = |_| {
        let _ = window().print();
    };
    view! {
        <section class="summary-page">
            <div class="summary-bar">
                <h1>{if roll_up { "Daily floor support summary" } else { "My floor support summary" }}</h1>
                <label>"Date" <input type="date" name="date" prop:value=move || date.get() on:change=move |ev| date.set(event_target_value(&ev))/></label>
                <label>"Shift"
                    <select name="shift" on:change=move |ev| shift.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || shift.get().is_empty()>"Whole day"</option>
                        {move || shifts().unwrap_or_default().into_iter().map(|s| {
                            let chosen = s.clone();
                            view! { <option value=s.clone() prop:selected=move || shift.get() == chosen>{format!("Shift from {s}")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {(roll_up && me.facility.is_none()).then(|| view! {
                    <label>"Facility"
                        <select name="facility" on:change=move |ev| facility.set(event_target_value(&ev))>
                            <option value="" selected>"Every facility"</option>
                            {move || facilities().unwrap_or_default().into_iter().map(|(id, name)| view! {
                                <option value=id>{name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <button type="button" on:click=print>"Print"</button>
                <a class="button" href=csv download>"Download CSV"</a>
            </div>
            // The curve is the board's: shown to whoever sees a board (not to an administrator).
            {crate::board::scope(&me).ok().map(|shown| view! { <crate::curve::CurvePanel facility=shown every=None/> })}
            {move || match answer.get() {
                None => view! { <p class="empty" role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="problem" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(s)) => view! { <SummaryView summary=s/> }.into_any(),
            }}
            {roll_up.then(|| view! { <ReteachPanel date facility/> })}
        </section>
    }
}

fn clock(t: time::Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// "12 min", "1 h 05 min"; a dash when nothing was measured.
fn minutes(secs: Option<u64>) -> String {
    match secs {
        None => "–".into(),
        Some(s) if s < 3600 => format!("{} min", s.div_ceil(60)),
        Some(s) => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

#[component]
fn SummaryView(summary: Summary) -> impl IntoView {
    let catalog = expect_context::<Catalog>();
    let local = |t: OffsetDateTime| {
        catalog
            .0
            .with_untracked(|g| g.as_ref().map(|g| g.local(t)))
            .map_or_else(String::new, |l| format!("{} {:02}:{:02}", l.date(), l.hour(), l.minute()))
    };
    let what = match &summary.shift {
        Some(s) => format!("{}, shift from {s}", summary.date),
        None => format!("{}, whole day", summary.date),
    };
    let when = if summary.complete {
        format!("Final: {} to {}", local(summary.from), local(summary.to))
    } else {
        format!("So far: from {}, as of {}", local(summary.from), local(summary.as_of))
    };
    view! {
        <p class="summary-period"><strong>{what}</strong>" · "{when}</p>
        {summary.sections.into_iter().map(|s| view! { <SectionView section=s/> }).collect_view()}
    }
}

#[component]
fn SectionView(section: Section) -> impl IntoView {
    let catalog = expect_context::<Catalog>();
    let facility_name = |f: &FacilityId| {
        catalog
            .0
            .with_untracked(|g| g.as_ref().and_then(|g| g.facility(f.as_str())).map(|f| f.name.clone()))
            .unwrap_or_else(|| f.to_string())
    };
    let title = section.facility.as_ref().map_or_else(|| "All facilities".to_owned(), facility_name);
    let queue_name = move |q: &floorboard_shared::QueueId| {
        catalog
            .0
            .with_untracked(|g| g.as_ref().and_then(|g| g.queue(q.as_str())).map(|q| q.name.clone()))
            .unwrap_or_else(|| q.to_string())
    };
    let timing = |t: &Timing| format!("{} / {}", minutes(t.median_secs), minutes(t.p90_secs));
    let counts = |caption: &'static str, rows: Vec<(String, u32)>| {
        view! {
            <table class="summary-table">
                <caption>{caption}</caption>
                <tbody>{rows.into_iter().map(|(k, n)| view! { <tr><th scope="row">{k}</th><td>{n}</td></tr> }).collect_view()}</tbody>
            </table>
        }
    };
    let kinds: Vec<(String, u32)> = section.by_kind.iter().map(|(k, n)| (k.label().to_owned(), *n)).collect();
    let statuses: Vec<(String, u32)> =
        section.by_status.iter().map(|(s, n)| (status_label(*s).to_owned(), *n)).collect();
    let severities: Vec<(String, u32)> =
        section.by_severity.iter().map(|(s, n)| (severity_label(*s).to_owned(), *n)).collect();
    let modules: Vec<(String, u32)> =
        section.by_module.iter().map(|m| (catalog.module_label(&m.module), m.count)).collect();
    view! {
        <article class="summary-section" aria-label=title.clone()>
            <h2>{title.clone()}</h2>
            <dl class="summary-figures">
                <div><dt>"Reported"</dt><dd>{section.reported}</dd></div>
                <div><dt>"Users affected"</dt><dd>{section.affected_users}</dd></div>
                <div><dt>"Resolved at the elbow"</dt><dd>{section.resolved_at_elbow}</dd></div>
                <div class="figure-safety"><dt>"Open patient safety"</dt><dd>{section.safety_open.len()}</dd></div>
            </dl>
            <div class="summary-grid">
                {counts("By kind", kinds)}
                {counts("By status", statuses)}
                {counts("By severity", severities)}
                {counts("By module", modules)}
            </div>
            <table class="summary-table wide">
                <caption>"By unit"</caption>
                <thead><tr>
                    <th scope="col">"Unit"</th>
                    {Kind::ALL.iter().map(|k| view! { <th scope="col">{k.label()}</th> }).collect_view()}
                    <th scope="col">"Total"</th>
                </tr></thead>
                <tbody>
                    {section.by_unit.iter().map(|u| view! {
                        <tr>
                            <th scope="row">{catalog.unit_label(&u.unit)}</th>
                            {u.by_kind.values().map(|n| view! { <td>{*n}</td> }).collect_view()}
                            <td>{u.total}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <table class="summary-table wide">
                <caption>"By queue (time to acknowledge and to resolve: median / 90th percentile)"</caption>
                <thead><tr>
                    <th scope="col">"Queue"</th><th scope="col">"Issues"</th><th scope="col">"Open"</th>
                    <th scope="col">"Acknowledge"</th><th scope="col">"Resolve"</th>
                </tr></thead>
                <tbody>
                    {section.by_queue.iter().map(|q| view! {
                        <tr>
                            <th scope="row">{queue_name(&q.queue)}</th>
                            <td>{q.count}</td><td>{q.open}</td>
                            <td>{timing(&q.acknowledge)}</td><td>{timing(&q.resolve)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Briefs caption="Top open issues, by users affected" briefs=section.top_open/>
            <Briefs caption="Open patient-safety issues" briefs=section.safety_open/>
            <Briefs caption="Reopened" briefs=section.reopened/>
        </article>
    }
}

#[component]
fn Briefs(caption: &'static str, briefs: Vec<Brief>) -> impl IntoView {
    let catalog = expect_context::<Catalog>();
    if briefs.is_empty() {
        return view! { <p class="summary-none"><strong>{caption}</strong>": none."</p> }.into_any();
    }
    view! {
        <table class="summary-table wide briefs">
            <caption>{caption}</caption>
            <thead><tr>
                <th scope="col">"Users"</th><th scope="col">"Summary"</th><th scope="col">"Unit"</th>
                <th scope="col">"Kind"</th><th scope="col">"Severity"</th><th scope="col">"Status"</th>
            </tr></thead>
            <tbody>
                {briefs.into_iter().map(|b| view! {
                    <tr data-severity=b.severity.as_str()>
                        <td>{b.affected_users}</td>
                        <td>{b.summary}</td>
                        <td>{catalog.unit_label(&b.unit)}</td>
                        <td>{b.kind.label()}</td>
                        <td>{severity_label(b.severity)}</td>
                        <td>{status_label(b.status)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The re-teach list of the week ending with the summary's day: the training-gap workflows
/// reported again and again, for the training team to schedule refreshers.
#[component]
fn ReteachPanel(date: RwSignal<String>, facility: RwSignal<String>) -> impl IntoView {
    let catalog = expect_context::<Catalog>();
    let query = move || {
        let mut q = vec!["days=7".to_owned()];
        for (name, value) in [("date", date.get()), ("facility", facility.get())] {
            if !value.is_empty() {
                q.push(format!("{name}={}", js_sys::encode_uri_component(&value)));
            }
        }
        q.join("&")
    };
    let list = latest(query, |q| async move { api::reteach(&q).await });
    let trend = |t: Trend| match t {
        Trend::Rising => "Rising",
        Trend::Steady => "Steady",
        Trend::Falling => "Falling",
    };
    view! {
        <section class="summary-section reteach" aria-labelledby="reteach-title">
            <h2 id="reteach-title">"Re-teach list: training gaps reported again and again, last 7 days"</h2>
            <a class="button" href=move || format!("/api/v1/reteach?{}&format=csv", query()) download>"Download re-teach CSV"</a>
            {move || match list.get() {
                None => view! { <p class="empty">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="problem" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(l)) if l.workflows.is_empty() => view! { <p class="summary-none">"No workflow was reported more than once."</p> }.into_any(),
                Some(Ok(l)) => view! {
                    <table class="summary-table wide">
                        <thead><tr>
                            <th scope="col">"Module"</th><th scope="col">"Workflow"</th><th scope="col">"Units"</th>
                            <th scope="col">"Reports"</th><th scope="col">"Reporters"</th><th scope="col">"Users"</th><th scope="col">"Trend"</th>
                        </tr></thead>
                        <tbody>
                            {l.workflows.into_iter().map(|w| view! {
                                <tr>
                                    <td>{catalog.module_label(&w.module)}</td>
                                    <td>{w.workflow}</td>
                                    <td>{w.units.iter().map(|u| catalog.unit_label(u)).collect::<Vec<_>>().join("; ")}</td>
                                    <td>{w.reports}</td><td>{w.reporters}</td><td>{w.affected_users}</td>
                                    <td>{trend(w.trend)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
