//! The board as a wall display shows it, read from across the room with nobody touching
//! it: every facility's totals in one row, the hottest units first (most open issues, then
//! most patient-safety items, then most reported today) across facilities rather than a
//! hundred mostly empty rows, the units with open patient-safety items beside them, the
//! curve since go-live and who is checked in. Sized to the screen's width, so names and
//! numbers are at least 28 px at 1080p and twice that at 2160p (about 4 m away).

use std::collections::BTreeMap;

use floorboard_shared::access::{Principal, Reach};
use floorboard_shared::curve::Breakdown;
use floorboard_shared::heatmap::BoardView;
use floorboard_shared::{FacilityId, UnitId};
use leptos::prelude::*;

use crate::app::Catalog;
use crate::board::{follow_board, follow_coverage};
use crate::curve::{CurveChart, follow};
use crate::live::{ConnStatus, Live};

/// The most units the hottest list shows; the rest are counted below it.
const HOTTEST: usize = 10;
/// How often the wall redraws the curve.
const CURVE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `who` sees the board as a wall: a display's token always; anyone else at
/// `/board?wall`.
pub fn is_wall(who: &Principal, asked: bool) -> bool {
    asked || matches!(who.reach, Reach::Display { .. })
}

/// One unit's line on the wall.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Hot {
    unit: UnitId,
    facility: FacilityId,
    open: u32,
    safety: u32,
    today: u32,
}

/// The units with anything open or reported today, hottest first.
fn hottest(board: &BoardView) -> Vec<Hot> {
    let mut units: BTreeMap<&UnitId, Hot> = BTreeMap::new();
    for c in board.cells() {
        let hot = units.entry(&c.unit).or_insert_with(|| Hot {
            unit: c.unit.clone(),
            facility: c.facility.clone(),
            open: 0,
            safety: 0,
            today: 0,
        });
        hot.open += c.counts.open;
        hot.safety += c.counts.safety_open;
        hot.today += c.counts.today;
    }
    let mut hot: Vec<Hot> = units.into_values().filter(|h| h.open > 0 || h.today > 0).collect();
    hot.sort_by(|a, b| (b.open, b.safety, b.today).cmp(&(a.open, a.safety, a.today)).then_with(|| a.unit.cmp(&b.unit)));
    hot
}

#[component]
pub fn WallBoard(shown: Option<FacilityId>) -> impl IntoView {
    let live = expect_context::<Live>();
    let catalog = expect_context::<Catalog>();
    let board = follow_board(shown.clone(), |_| {});
    let coverage = follow_coverage(shown.clone());
    let curves = follow(shown.clone(), RwSignal::new(Breakdown::Kind), Some(CURVE_EVERY));
    let now = crate::clock::ticking_now();
    let clock = move || {
        let t = catalog.0.with(|g| g.as_ref().map(|g| g.local(now.get()))).unwrap_or_else(|| now.get());
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    let title = {
        let shown = shown.clone();
        move || {
            catalog.0.with(|g| {
                g.as_ref().map_or_else(String::new, |g| match &shown {
                    Some(f) => g.facility(f.as_str()).map_or_else(|| f.to_string(), |f| f.name.clone()),
                    None => g.name().to_owned(),
                })
            })
        }
    };
    let facilities = move || {
        catalog.0.with(|g| {
            g.as_ref().map_or_else(Vec::new, |g| {
                g.facilities()
                    .iter()
                    .filter(|f| shown.as_ref().is_none_or(|s| *s == f.id))
                    .map(|f| (f.id.clone(), f.name.clone()))
                    .collect::<Vec<_>>()
            })
        })
    };
    let unit_name = move |unit: &UnitId| {
        catalog.0.with_untracked(|g| {
            g.as_ref().and_then(|g| g.units().find(|(_, u)| u.id == *unit).map(|(_, u)| u.name.clone()))
        })
    };
    let hot = Memo::new(move |_| board.with(hottest));
    let people_in = move |facility: &FacilityId| {
        coverage.with(|c| {
            catalog.0.with(|g| {
                g.as_ref().map_or(0, |g| {
                    g.units().filter(|(f, _)| f.id == *facility).map(|(_, u)| c.people(&u.id)).sum::<u32>()
                })
            })
        })
    };
    let stale = move || live.status.get() != ConnStatus::Live;
    view! {
        <section class="wall" class:stale=stale aria-label="Wall board">
            <header class="wall-head">
                <h1>{title}</h1>
                <span class="wall-clock">{clock}</span>
            </header>
            <Show when=stale>
                <p class="stale-banner wall-stale" role="alert">"Reconnecting: these numbers may be out of date."</p>
            </Show>
            <ul class="wall-totals" aria-label="Facilities">
                {move || facilities().into_iter().map(|(id, name)| {
                    let (open, safety) = board.with(|b| b.cells().filter(|c| c.facility == id).fold((0, 0), |(o, s), c| (o + c.counts.open, s + c.counts.safety_open)));
                    let people = people_in(&id);
                    view! {
                        <li class="wall-facility" data-facility=id.to_string()>
                            <span class="wall-name">{name}</span>
                            <span class="wall-figures">
                                <span class="wall-num">{open}<small>" open"</small></span>
                                {(safety > 0).then(|| view! { <span class="wall-num wall-safety">{format!("▲{safety}")}</span> })}
                            </span>
                            <span class="wall-people">{format!("{people} on the floor")}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="wall-main">
                <section class="wall-hot" aria-labelledby="wall-hot-title">
                    <h2 id="wall-hot-title">"Hottest units"</h2>
                    <ol>
                        {move || hot.get().into_iter().take(HOTTEST).map(|h| {
                            let people = coverage.with(|c| c.people(&h.unit));
                            view! {
                                <li class="wall-unit" data-unit=h.unit.to_string()>
                                    <span class="wall-name">{unit_name(&h.unit).unwrap_or_else(|| h.unit.to_string())}</span>
                                    <span class="wall-where">{h.facility.as_str().to_uppercase()}</span>
                                    <span class="wall-num wall-safety">{(h.safety > 0).then(|| format!("▲{}", h.safety))}</span>
                                    <span class="wall-num">{h.open}</span>
                                    <span class="wall-people">{(people > 0).then(|| format!("{people} here"))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    {move || {
                        let more = hot.with(Vec::len).saturating_sub(HOTTEST);
                        (more > 0).then(|| view! { <p class="wall-more">{format!("and {more} more units with issues")}</p> })
                    }}
                    <Show when=move || hot.with(Vec::is_empty)>
                        <p class="wall-more">"Nothing open on any unit."</p>
                    </Show>
                </section>
                <aside class="wall-side">
                    <section aria-labelledby="wall-safety-title">
                        <h2 id="wall-safety-title">"Open patient safety"</h2>
                        {move || {
                            let safety: Vec<Hot> = hot.with(|h| h.iter().filter(|h| h.safety > 0).cloned().collect());
                            if safety.is_empty() {
                                return view! { <p class="wall-more">"None open."</p> }.into_any();
                            }
                            view! {
                                <ul class="wall-safety-list">
                                    {safety.into_iter().map(|h| view! {
                                        <li><span class="wall-num wall-safety">{format!("▲{}", h.safety)}</span>
                                        <span class="wall-name">{unit_name(&h.unit).unwrap_or_else(|| h.unit.to_string())}</span></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                    <section class="wall-curve" aria-label="Since go-live">
                        {move || curves.get().and_then(|c| {
                            let first = c.curves.first().cloned()?;
                            Some(view! { <CurveChart curves=c curve=first/> })
                        })}
                    </section>
                </aside>
            </div>
        </section>
    }
}
