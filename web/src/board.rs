//! The training lead's wall board: facilities side by side, units as rows, the four kinds
//! as columns, each cell's number printed and shaded on a colour-blind-safe scale, patient
//! safety marked, a time-window switch, totals, and a drill-down into a cell's issues. An
//! account limited to one facility sees that facility's board; the drill-down is offered
//! where the account may read a unit's issues.

use std::collections::HashMap;
use std::sync::Arc;

use floorboard_shared::access::{Action, Denied, Principal, decide};
use floorboard_shared::coverage::Coverage;
use floorboard_shared::golive::Facility;
use floorboard_shared::heatmap::{BoardView, Cell, CellCounts, Window};
use floorboard_shared::protocol::{ServerMsg, Topic};
use floorboard_shared::{FacilityId, Issue, Kind, UnitId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::app::Catalog;
use crate::live::{ConnStatus, Live};
use crate::report::{severity_label, status_label};

/// How often the board reads who is checked in where.
const COVERAGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the numbers count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Measure {
    Open,
    In(Window),
}

impl Measure {
    const ALL: [Measure; 5] = [
        Measure::Open,
        Measure::In(Window::LastHour),
        Measure::In(Window::ThisShift),
        Measure::In(Window::Today),
        Measure::In(Window::SinceGoLive),
    ];

    fn label(self) -> &'static str {
        match self {
            Measure::Open => "Open now",
            Measure::In(Window::LastHour) => "Last hour",
            Measure::In(Window::ThisShift) => "This shift",
            Measure::In(Window::Today) => "Today",
            Measure::In(Window::SinceGoLive) => "Since go-live",
        }
    }

    fn of(self, c: &CellCounts) -> u32 {
        match self {
            Measure::Open => c.open,
            Measure::In(w) => c.in_window(w),
        }
    }
}

/// Shade steps of a viridis-like sequential scale (legible to the common colour
/// blindnesses); the text colour on each step passes WCAG AA contrast.
pub fn shade(n: u32) -> u8 {
    match n {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=7 => 4,
        8..=12 => 5,
        13..=20 => 6,
        _ => 7,
    }
}

/// The board `who` may watch: every facility's (`None`), else one facility's (a wall
/// display's own board, or the account's facility).
pub fn scope(who: &Principal) -> Result<Option<FacilityId>, Denied> {
    floorboard_shared::access::board_scope(who)
}

/// How often the board redraws the go-live curve (its last point moves by the hour).
const CURVE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Follows the board of `shown` (every facility's when `None`) live: its snapshot, then
/// each update, whose changed cells `changed` hears too. Unsubscribed with its owner.
pub fn follow_board(shown: Option<FacilityId>, changed: impl Fn(&[Cell]) + 'static) -> RwSignal<BoardView> {
    let live = expect_context::<Live>();
    let board = RwSignal::new(BoardView::default());
    let topic = Topic::Board { facility: shown.clone() };
    let wanted = topic.clone();
    live.on_message(move |msg| match msg {
        ServerMsg::Snapshot { topic, cells, .. } if *topic == wanted => board.set(BoardView::from_cells(cells.clone())),
        ServerMsg::BoardUpdate { facility, cells, .. } if *facility == shown => {
            board.update(|b| b.apply(cells.clone()));
            changed(cells);
        }
        _ => {}
    });
    live.subscribe(topic.clone());
    let held = StoredValue::new(topic);
    on_cleanup(move || live.unsubscribe(&held.get_value()));
    board
}

/// Who is checked in where, for the board of `shown`: it changes by the shift, not by the
/// second, so it is read every minute (the board's live stream carries issues only).
pub fn follow_coverage(shown: Option<FacilityId>) -> RwSignal<Coverage> {
    let coverage = RwSignal::new(Coverage::default());
    let read = move || {
        let shown = shown.clone();
        spawn_local(async move {
            if let Ok(now) = api::coverage(shown.as_ref()).await {
                coverage.set(now);
            }
        });
    };
    read();
    if let Ok(every) = set_interval_with_handle(read, COVERAGE_EVERY) {
        on_cleanup(move || every.clear());
    }
    coverage
}

/// The board: the heatmap, or the wall display's view of it (a display's token, or
/// `/board?wall`).
#[component]
pub fn BoardPage() -> impl IntoView {
    let me = expect_context::<Arc<Principal>>();
    let asked = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("wall").is_some());
    if crate::wall::is_wall(&me, asked) {
        let shown = scope(&me).ok().flatten();
        return view! { <crate::wall::WallBoard shown/> }.into_any();
    }
    view! { <HeatBoard/> }.into_any()
}

#[component]
fn HeatBoard() -> impl IntoView {
    let live = expect_context::<Live>();
    let catalog = expect_context::<Catalog>().0;
    let me = expect_context::<Arc<Principal>>();
    let shown = scope(&me).ok().flatten();
    // A lead's summary of the day, a click away (not on a wall display, which reads none).
    let summary_link = crate::summary::reads_roll_up(&me);
    let drillable = move |facility: &FacilityId| decide(&me, Action::ReadUnit { facility }).is_ok();
    // Bumped per cell on each live change, to restart its pulse.
    let pulses = RwSignal::new(HashMap::<(UnitId, Kind), u32>::new());
    let measure = RwSignal::new(Measure::Open);
    let drill = RwSignal::new(None::<(UnitId, Kind)>);
    let board = follow_board(shown.clone(), move |cells| {
        pulses.update(|p| {
            for c in cells {
                *p.entry((c.unit.clone(), c.kind)).or_default() += 1;
            }
        });
    });
    let coverage = follow_coverage(shown.clone());

    let stale = move || live.status.get() != ConnStatus::Live;
    let curve_scope = shown.clone();
    let in_view = move |facility: &FacilityId| shown.as_ref().is_none_or(|s| s == facility);
    let drills = {
        let (in_view, drillable) = (in_view.clone(), drillable.clone());
        move || {
            catalog
                .with(|g| g.as_ref().is_some_and(|g| g.facilities().iter().any(|f| in_view(&f.id) && drillable(&f.id))))
        }
    };
    view! {
        <section class="board-page" class:stale=stale>
            <div class="board-bar">
                <h1>"Issues by unit"</h1>
                <fieldset class="window-switch">
                    <legend class="visually-hidden">"Count"</legend>
                    {Measure::ALL.into_iter().map(|m| view! {
                        <label class:chosen=move || measure.get() == m>
                            <input type="radio" name="measure" prop:checked=move || measure.get() == m on:change=move |_| measure.set(m)/>
                            {m.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <KindTotals board measure/>
                {summary_link.then(|| view! { <a class="button summary-link" href="/summary">"Daily summary"</a> })}
            </div>
            <Show when=stale>
                <p class="stale-banner" role="alert">"Reconnecting: these numbers may be out of date."</p>
            </Show>
            <div class="facilities">
                {move || catalog.with(|g| g.as_ref().map(|g| g.facilities().iter().filter(|f| in_view(&f.id)).cloned().map(|f| {
                    let drill = drillable(&f.id).then_some(drill);
                    view! { <FacilityTable facility=f board pulses measure drill coverage/> }
                }).collect_view()))}
            </div>
            {move || drill.get().map(|(unit, kind)| view! { <CellIssues unit kind on_close=move || drill.set(None)/> })}
            <Legend drills/>
            <crate::curve::CurvePanel facility=curve_scope every=Some(CURVE_EVERY)/>
        </section>
    }
}

#[component]
fn KindTotals(board: RwSignal<BoardView>, measure: RwSignal<Measure>) -> impl IntoView {
    let total = move |kind: Option<Kind>| {
        let m = measure.get();
        board.with(|b| b.cells().filter(|c| kind.is_none_or(|k| k == c.kind)).map(|c| m.of(&c.counts)).sum::<u32>())
    };
    view! {
        <dl class="kind-totals" aria-label="Totals by kind">
            {Kind::ALL.into_iter().map(|k| view! { <div><dt>{k.label()}</dt><dd>{move || total(Some(k))}</dd></div> }).collect_view()}
            <div class="all"><dt>"All"</dt><dd>{move || total(None)}</dd></div>
        </dl>
    }
}

#[component]
fn FacilityTable(
    facility: Facility,
    board: RwSignal<BoardView>,
    pulses: RwSignal<HashMap<(UnitId, Kind), u32>>,
    measure: RwSignal<Measure>,
    /// Where an opened cell goes; `None` where the account may not read a unit's issues.
    drill: Option<RwSignal<Option<(UnitId, Kind)>>>,
    coverage: RwSignal<Coverage>,
) -> impl IntoView {
    let id = facility.id.clone();
    let facility_total = {
        let id = id.clone();
        move |kind: Option<Kind>| {
            let m = measure.get();
            board.with(|b| {
                b.cells()
                    .filter(|c| c.facility == id && kind.is_none_or(|k| k == c.kind))
                    .map(|c| m.of(&c.counts))
                    .sum::<u32>()
            })
        }
    };
    let caption_total = facility_total.clone();
    view! {
        <table class="facility">
            <caption>{facility.name.clone()}<span class="facility-total">{move || caption_total(None)}</span></caption>
            <thead><tr>
                <th scope="col">"Unit"</th>
                {Kind::ALL.into_iter().map(|k| view! { <th scope="col" title=k.label()>{short(k)}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {facility.units.iter().map(|u| {
                    let unit = u.id.clone();
                    let name = u.name.clone();
                    view! {
                        <tr>
                            <th scope="row"><CoverBadge unit=unit.clone() coverage/>{name.clone()}</th>
                            {Kind::ALL.into_iter().map(|k| view! { <HeatCell unit=unit.clone() unit_name=name.clone() kind=k board pulses measure drill/> }).collect_view()}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <tfoot><tr>
                <th scope="row">"Total"</th>
                {Kind::ALL.into_iter().map(|k| { let t = facility_total.clone(); view! { <td>{move || t(Some(k))}</td> } }).collect_view()}
            </tr></tfoot>
        </table>
    }
}

/// How many people are checked in on a unit, beside its name; nothing when nobody is.
#[component]
fn CoverBadge(unit: UnitId, coverage: RwSignal<Coverage>) -> impl IntoView {
    let people = move || coverage.with(|c| c.people(&unit));
    move || {
        let n = people();
        (n > 0).then(|| {
            let label = if n == 1 { "1 person checked in".to_owned() } else { format!("{n} people checked in") };
            view! { <span class="cover" title=label.clone() aria-label=label>{n}</span> }
        })
    }
}

fn short(kind: Kind) -> &'static str {
    match kind {
        Kind::TrainingGap => "Training",
        Kind::Configuration => "Config",
        Kind::Access => "Access",
        Kind::Process => "Process",
    }
}

#[component]
fn HeatCell(
    unit: UnitId,
    unit_name: String,
    kind: Kind,
    board: RwSignal<BoardView>,
    pulses: RwSignal<HashMap<(UnitId, Kind), u32>>,
    measure: RwSignal<Measure>,
    drill: Option<RwSignal<Option<(UnitId, Kind)>>>,
) -> impl IntoView {
    let key = (unit.clone(), kind);
    let counts = {
        let unit = unit.clone();
        Memo::new(move |_| board.with(|b| b.get(&unit, kind)))
    };
    let value = move || measure.get().of(&counts.get());
    let pulse = {
        let key = key.clone();
        Memo::new(move |_| pulses.with(|p| p.get(&key).copied().unwrap_or(0)))
    };
    let label = move || {
        let c = counts.get();
        let safety = if c.safety_open > 0 { format!(", {} patient safety", c.safety_open) } else { String::new() };
        format!("{unit_name}, {}: {} {}{safety}", kind.label(), value(), measure.get().label().to_lowercase())
    };
    view! {
        <td class="cell" data-shade=move || shade(value()).to_string() data-unit=unit.to_string() data-kind=kind.as_str()>
            // Re-created on each change so its pulse animation plays once.
            {move || {
                let n = pulse.get();
                let key = key.clone();
                let label = label.clone();
                let shown = view! {
                    <span class="n">{move || match value() { 0 => String::new(), v => v.to_string() }}</span>
                    <Show when=move || { counts.get().safety_open > 0 }>
                        <span class="safety" title="open patient-safety issues">{move || format!("▲{}", counts.get().safety_open)}</span>
                    </Show>
                };
                match drill {
                    Some(drill) => view! {
                        <button type="button" class="cell-button" class:pulse={n > 0} aria-label=label
                            on:click=move |_| drill.set(Some(key.clone()))>{shown}</button>
                    }
                    .into_any(),
                    None => view! { <span class="cell-button" class:pulse={n > 0} role="img" aria-label=label>{shown}</span> }.into_any(),
                }
            }}
        </td>
    }
}

/// A cell's issues, fetched when the cell is opened.
#[component]
fn CellIssues(unit: UnitId, kind: Kind, on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let issues = RwSignal::new(None::<Result<Vec<Issue>, String>>);
    let fetch_unit = unit.clone();
    spawn_local(async move {
        let result = api::unit_issues(&fetch_unit, kind).await.map(|at| at.issues).map_err(|e| e.message);
        issues.set(Some(result));
    });
    let close = on_close.clone();
    view! {
        <aside class="card detail" role="dialog" aria-labelledby="cell-title">
            <button type="button" class="close" aria-label="Close" on:click=move |_| close()>"×"</button>
            <h2 id="cell-title">{format!("{unit}: {}", kind.label())}</h2>
            {move || match issues.get() {
                None => view! { <p>"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="problem">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="empty">"No issues."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="issues">
                        {list.into_iter().map(|i| view! {
                            <li class="issue">
                                <span class="sev" data-severity=i.report.severity.as_str()>{severity_label(i.report.severity)}</span>
                                <span class="summary">{i.report.summary.clone()}</span>
                                <span class="status-badge" data-status=i.status.as_str()>{status_label(i.status)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </aside>
    }
}

#[component]
fn Legend(
    /// Whether some cell opens onto its issues.
    drills: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <p class="legend">
            "Shade: "
            {[(1, "1"), (2, "2"), (3, "3–4"), (4, "5–7"), (5, "8–12"), (6, "13–20"), (7, "21+")].into_iter().map(|(s, t)| view! {
                <span class="swatch" data-shade=s.to_string()>{t}</span>
            }).collect_view()}
            " · ▲ open patient-safety issues"
            {move || drills().then_some(" · click a cell for its issues")}
        </p>
    }
}
