//! The shell: routes, the connection indicator, and the context every screen shares (the
//! live connection and the go-live catalog).

use std::sync::Arc;

use floorboard_shared::protocol::PROTOCOL_VERSION;
use floorboard_shared::{GoLive, ModuleId, UnitId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::live::{ConnStatus, Live};
use crate::{api, board, queues, report, storage};

/// The go-live's catalog; `None` until first loaded (from the server or the device's copy).
#[derive(Clone, Copy)]
pub struct Catalog(pub RwSignal<Option<Arc<GoLive>>>);

const CATALOG_KEY: &str = "floorboard.golive.v1";

impl Catalog {
    /// Starts from the device's copy, so the tablet works offline, then refreshes.
    fn load() -> Catalog {
        let cached = storage::load::<GoLive>(CATALOG_KEY).map(Arc::new);
        let catalog = Catalog(RwSignal::new(cached));
        spawn_local(async move {
            loop {
                if let Ok(golive) = api::golive().await {
                    storage::save(CATALOG_KEY, &golive);
                    catalog.0.set(Some(Arc::new(golive)));
                    return;
                }
                gloo_timers_sleep(5_000).await;
            }
        });
        catalog
    }
}

impl Catalog {
    /// A unit's name and its facility's, for people; the id until the catalog is loaded.
    pub fn unit_label(&self, unit: &UnitId) -> String {
        self.0.with_untracked(|g| {
            g.as_ref()
                .and_then(|g| g.units().find(|(_, u)| u.id == *unit).map(|(f, u)| format!("{}, {}", u.name, f.name)))
                .unwrap_or_else(|| unit.to_string())
        })
    }

    /// A module's name; the id until the catalog is loaded.
    pub fn module_label(&self, module: &ModuleId) -> String {
        self.0
            .with_untracked(|g| g.as_ref().and_then(|g| g.module(module.as_str())).map(|m| m.name.clone()))
            .unwrap_or_else(|| module.to_string())
    }
}

/// Resolves after `ms` milliseconds.
pub async fn gloo_timers_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(Live::start());
    provide_context(Catalog::load());
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Floorboard"</a>
                <nav aria-label="Screens">
                    <A href="/report">"Report"</A>
                    <A href="/queues">"Queues"</A>
                    <A href="/board">"Board"</A>
                </nav>
                <ConnectionIndicator/>
            </header>
            <UpdateBanner/>
            <main id="main">
                <Routes fallback=|| view! { <p class="empty">"No such screen."</p> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/report") view=report::ReportPage/>
                    <Route path=path!("/queues") view=queues::QueuesPage/>
                    <Route path=path!("/board") view=board::BoardPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! {
        <section class="home">
            <h1>"Floorboard"</h1>
            <p>"The command center for this go-live."</p>
            <ul class="screens">
                <li><a href="/report"><strong>"Report"</strong><span>"At the elbow: report a problem in three taps, even offline."</span></a></li>
                <li><a href="/queues"><strong>"Queues"</strong><span>"Command center: triage your queues live."</span></a></li>
                <li><a href="/board"><strong>"Board"</strong><span>"Training lead: the heatmap of issues by unit."</span></a></li>
            </ul>
        </section>
    }
}

/// Offers a reload when the server speaks another protocol version than this app: the copy
/// on the tablet (kept by the service worker) is older, or the server was updated under it.
/// Not blocking: the trainer may finish what they are typing first. The outbox is in
/// localStorage and survives the reload; the service worker fetches the page and bundle from
/// the network first (the server sends them `no-cache`), so the reload gets the new version.
#[component]
fn UpdateBanner() -> impl IntoView {
    let live = expect_context::<Live>();
    let outdated = move || live.server_protocol.get().is_some_and(|p| p != PROTOCOL_VERSION);
    let reload = |_| {
        let _ = window().location().reload();
    };
    // The region is in the page from the start, so its message is announced when it shows.
    view! {
        <div class="update-slot" role="status">
            <Show when=outdated>
                <div class="update">
                    <span>"Floorboard was updated. Reload to get the new version."</span>
                    <button type="button" class="primary" on:click=reload>"Reload"</button>
                </div>
            </Show>
        </div>
    }
}

/// Live, connecting or reconnecting, how many reports wait in the outbox and how many the
/// server refused and wait for the trainer.
#[component]
fn ConnectionIndicator() -> impl IntoView {
    let live = expect_context::<Live>();
    let label = move || match live.status.get() {
        ConnStatus::Live => "Live".to_owned(),
        ConnStatus::Connecting => "Connecting…".to_owned(),
        ConnStatus::Reconnecting(secs) => format!("Reconnecting (retry in {secs} s)"),
    };
    let waiting = move || live.outbox.waiting.with(Vec::len);
    let needs_editing = move || live.outbox.refused.with(Vec::len);
    view! {
        <div class="conn" role="status" aria-live="polite" data-status=move || format!("{:?}", live.status.get())>
            <span class="dot" class:live=move || live.status.get() == ConnStatus::Live aria-hidden="true"></span>
            <span class="conn-label">{label}</span>
            <Show when=move || { waiting() > 0 }>
                <span class="waiting">{move || format!("{} waiting to send", waiting())}</span>
            </Show>
            // Seen from every screen: refused reports wait for the trainer, not for the network.
            <Show when=move || { needs_editing() > 0 }>
                <a class="needs-editing" href="/report">{move || match needs_editing() {
                    1 => "1 needs editing".to_owned(),
                    n => format!("{n} need editing"),
                }}</a>
            </Show>
        </div>
    }
}
