//! The go-live curve drawn as SVG (no chart library, nothing fetched from elsewhere): the
//! backlog open at each hour's end stacked by kind or severity, with the issues reported
//! and resolved per hour as lines over it, day by day since go-live. One chart per curve, so
//! facilities sit side by side.

use floorboard_shared::curve::{Breakdown, Curve, Curves};
use floorboard_shared::{FacilityId, Kind, Severity};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::app::Catalog;

/// The chart's drawing box; the page scales it to its width.
const W: f64 = 600.0;
const H: f64 = 180.0;
/// Room below the plot for the day labels.
const AXIS: f64 = 18.0;

/// Colour-blind-safe series colours (Okabe and Ito), in the order of `Curves::keys`.
fn colour(by: Breakdown, i: usize) -> &'static str {
    const KINDS: [&str; 4] = ["#0072b2", "#e69f00", "#009e73", "#cc79a7"];
    const SEVERITIES: [&str; 4] = ["#a4161a", "#e69f00", "#0072b2", "#8a8a8a"];
    let palette = match by {
        Breakdown::Kind => KINDS,
        Breakdown::Severity => SEVERITIES,
    };
    palette.get(i).copied().unwrap_or("#555")
}

fn key_label(by: Breakdown, i: usize) -> &'static str {
    match by {
        Breakdown::Kind => Kind::ALL.get(i).map_or("", |k| k.label()),
        Breakdown::Severity => Severity::ALL.get(i).map_or("", |&s| crate::report::severity_label(s)),
    }
}

/// Reads the curves of `facility` (every one the reader's board shows when `None`) by `by`
/// now, whenever `by` changes, and every `every` if given, into the signal returned.
pub fn follow(
    facility: Option<FacilityId>,
    by: RwSignal<Breakdown>,
    every: Option<std::time::Duration>,
) -> RwSignal<Option<Curves>> {
    let curves = RwSignal::new(None);
    let read = move |by: Breakdown| {
        let facility = facility.clone();
        spawn_local(async move {
            if let Ok(got) = api::curve(facility.as_ref(), by).await {
                curves.set(Some(got));
            }
        });
    };
    let first = read.clone();
    Effect::new(move |_| first(by.get()));
    if let Some(every) = every
        && let Ok(handle) = set_interval_with_handle(move || read(by.get_untracked()), every)
    {
        on_cleanup(move || handle.clear());
    }
    curves
}

/// A switch between the curve by kind and by severity.
#[component]
pub fn BreakdownSwitch(by: RwSignal<Breakdown>) -> impl IntoView {
    view! {
        <fieldset class="window-switch curve-switch">
            <legend class="visually-hidden">"Curve by"</legend>
            {[(Breakdown::Kind, "By kind"), (Breakdown::Severity, "By severity")].into_iter().map(|(b, label)| view! {
                <label class:chosen=move || by.get() == b>
                    <input type="radio" name="curve-by" prop:checked=move || by.get() == b on:change=move |_| by.set(b)/>
                    {label}
                </label>
            }).collect_view()}
        </fieldset>
    }
}

/// The curves followed, as a row of charts: "are we stabilising?".
#[component]
pub fn CurvePanel(facility: Option<FacilityId>, every: Option<std::time::Duration>) -> impl IntoView {
    let by = RwSignal::new(Breakdown::Kind);
    let curves = follow(facility, by, every);
    view! {
        <section class="curve-panel" aria-labelledby="curve-title">
            <div class="curve-bar">
                <h2 id="curve-title">"Since go-live, hour by hour"</h2>
                <BreakdownSwitch by/>
            </div>
            {move || curves.get().map(|c| view! { <CurveRow curves=c/> })}
        </section>
    }
}

/// Sums the series of one curve hour by hour.
fn total(series: &[Vec<u32>]) -> Vec<u32> {
    let hours = series.first().map_or(0, Vec::len);
    (0..hours).map(|h| series.iter().map(|s| s.get(h).copied().unwrap_or(0)).sum()).collect()
}

/// A chart of one curve, with its title (the facility's name, or the whole go-live).
#[component]
pub fn CurveChart(curves: Curves, curve: Curve) -> impl IntoView {
    let catalog = expect_context::<Catalog>();
    let title = curve.facility.as_ref().map_or_else(
        || "All facilities".to_owned(),
        |f| {
            catalog
                .0
                .with_untracked(|g| g.as_ref().and_then(|g| g.facility(f.as_str())).map(|f| f.name.clone()))
                .unwrap_or_else(|| f.to_string())
        },
    );
    let by = curves.by;
    let hours = curve.open.first().map_or(0, Vec::len).max(1);
    let (reported, resolved, open) = (total(&curve.reported), total(&curve.resolved), total(&curve.open));
    let top = reported.iter().chain(&resolved).chain(&open).copied().max().unwrap_or(0).max(4) as f64;
    let x = |h: usize| h as f64 * W / hours as f64;
    let y = |n: f64| (H - AXIS) * (1.0 - n / top);
    // The backlog stacked: each key's band from the sum of the keys below it.
    let mut floor = vec![0_u32; hours];
    let bands: Vec<_> = curve
        .open
        .iter()
        .enumerate()
        .map(|(i, series)| {
            let upper: Vec<u32> = floor.iter().zip(series).map(|(f, n)| f + n).collect();
            let mut points: Vec<String> =
                upper.iter().enumerate().map(|(h, &n)| format!("{:.1},{:.1}", x(h), y(n as f64))).collect();
            points.extend(floor.iter().enumerate().rev().map(|(h, &n)| format!("{:.1},{:.1}", x(h), y(n as f64))));
            floor = upper;
            view! { <polygon points=points.join(" ") fill=colour(by, i) fill-opacity="0.45" stroke="none"/> }
        })
        .collect();
    let line = |values: &[u32]| {
        values
            .iter()
            .enumerate()
            .map(|(h, &n)| format!("{:.1},{:.1}", x(h) + x(1) / 2.0, y(n as f64)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A line at each day since go-live; a label on at most eight of them, where it fits.
    let days = hours.div_ceil(24);
    let label_every = days.div_ceil(8).max(1);
    let ticks = (0..days)
        .map(|d| {
            let at = x(d * 24);
            let label = (d % label_every == 0 && at + 50.0 <= W).then(|| {
                view! {
                    <text x=at + 3.0 y=H - 4.0 class="curve-label">{format!("Day {}", d + 1)}</text>
                }
            });
            view! { <line x1=at y1=0 x2=at y2=H - AXIS class="curve-day"/> {label} }
        })
        .collect_view();
    let last24 = |v: &[u32]| v.iter().rev().take(24).sum::<u32>();
    let described = format!(
        "{title}: {} open now; in the last 24 hours {} reported and {} resolved",
        open.last().copied().unwrap_or(0),
        last24(&reported),
        last24(&resolved)
    );
    view! {
        <figure class="curve">
            <figcaption>
                <strong>{title}</strong>
                <span class="curve-now">{format!("{} open", open.last().copied().unwrap_or(0))}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=described>
                {ticks}
                {bands}
                <polyline points=line(&reported) class="curve-reported" fill="none"/>
                <polyline points=line(&resolved) class="curve-resolved" fill="none"/>
            </svg>
        </figure>
    }
}

/// The legend shared by a row of charts.
#[component]
pub fn CurveLegend(by: Breakdown) -> impl IntoView {
    view! {
        <ul class="curve-legend" aria-label="Curve legend">
            <li><span class="swatch line-reported"></span>"Reported per hour"</li>
            <li><span class="swatch line-resolved"></span>"Resolved per hour"</li>
            {(0..4).map(|i| view! {
                <li><span class="swatch" style=format!("background:{}", colour(by, i))></span>{format!("Open: {}", key_label(by, i))}</li>
            }).collect_view()}
        </ul>
    }
}

/// Every curve of `curves` side by side, with the legend.
#[component]
pub fn CurveRow(curves: Curves) -> impl IntoView {
    let by = curves.by;
    view! {
        <div class="curve-row">
            {curves.curves.clone().into_iter().map(|c| view! { <CurveChart curves=curves.clone() curve=c/> }).collect_view()}
        </div>
        <CurveLegend by/>
    }
}
