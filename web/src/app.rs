//! The shell: sign-in, routes, the header (the screens this account may use, the connection,
//! who is signed in), and the context every screen shares (the session, the live connection,
//! the go-live catalog, and on screens the signed-in `Arc<Principal>`).

use std::sync::Arc;

use floorboard_shared::access::{Action, Denied, Principal, decide};
use floorboard_shared::protocol::PROTOCOL_VERSION;
use floorboard_shared::{ErrorCode, GoLive, ModuleId, ResolutionId, UnitId};
use leptos::context::Provider;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::live::{ConnStatus, Live};
use crate::session::{Auth, Who};
use crate::signin::{LockScreen, SignInPage};
use crate::{accounts, api, board, queues, report, storage, summary};

const SIGN_IN_PATH: &str = "/signin";

/// The go-live's catalog; `None` until first loaded (from the server or the device's copy).
#[derive(Clone, Copy)]
pub struct Catalog(pub RwSignal<Option<Arc<GoLive>>>);

const CATALOG_KEY: &str = "floorboard.golive.v1";

impl Catalog {
    /// The device's copy, so the tablet works offline; `refresh` asks the server.
    fn load() -> Catalog {
        Catalog(RwSignal::new(storage::load::<GoLive>(CATALOG_KEY).map(Arc::new)))
    }

    /// Asks the server (a session's right), again while it cannot be reached.
    fn refresh(self) {
        spawn_local(async move {
            loop {
                match api::golive().await {
                    Ok(golive) => {
                        storage::save(CATALOG_KEY, &golive);
                        self.0.set(Some(Arc::new(golive)));
                        return;
                    }
                    Err(e) if e.code == ErrorCode::Unauthenticated => return,
                    Err(_) => sleep_ms(5_000).await,
                }
            }
        });
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

    /// A resolution code's name; the id until the catalog is loaded.
    pub fn resolution_label(&self, resolution: &ResolutionId) -> String {
        self.0
            .with_untracked(|g| g.as_ref().and_then(|g| g.resolution(resolution)).map(|r| r.name.clone()))
            .unwrap_or_else(|| resolution.to_string())
    }

    /// A module's name; the id until the catalog is loaded.
    pub fn module_label(&self, module: &ModuleId) -> String {
        self.0
            .with_untracked(|g| g.as_ref().and_then(|g| g.module(module.as_str())).map(|m| m.name.clone()))
            .unwrap_or_else(|| module.to_string())
    }
}

/// Names the page in its title.
pub fn set_title(title: &str) {
    document().set_title(title);
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A screen of the app, shown to a principal who may use it: the server refuses the rest
/// anyway, and the page does not offer what would be refused.
#[derive(Clone, Copy)]
enum Screen {
    Report,
    Queues,
    Board,
    Summary,
    Accounts,
}

impl Screen {
    const ALL: [Screen; 5] = [Screen::Report, Screen::Queues, Screen::Board, Screen::Summary, Screen::Accounts];

    fn path(self) -> &'static str {
        match self {
            Screen::Report => "/report",
            Screen::Queues => "/queues",
            Screen::Board => "/board",
            Screen::Summary => "/summary",
            Screen::Accounts => "/accounts",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Screen::Report => "Report",
            Screen::Queues => "Queues",
            Screen::Board => "Board",
            Screen::Summary => "Summary",
            Screen::Accounts => "Accounts",
        }
    }

    /// The page's title, which names the screen (a tab, a screen reader, the history).
    fn title(self) -> &'static str {
        match self {
            Screen::Report => "Report a problem · Floorboard",
            Screen::Queues => "Queues · Floorboard",
            Screen::Board => "Board · Floorboard",
            Screen::Summary => "Daily summary · Floorboard",
            Screen::Accounts => "Accounts · Floorboard",
        }
    }

    fn purpose(self) -> &'static str {
        match self {
            Screen::Report => "At the elbow: report a problem in three taps, even offline.",
            Screen::Queues => "Command center: triage your queues live.",
            Screen::Board => "Training lead: the heatmap of issues by unit.",
            Screen::Summary => "The day's floor support summary, to print or export.",
            Screen::Accounts => "Administrator: accounts, wall displays, the audit trail.",
        }
    }

    fn allowed(self, who: &Principal) -> Result<(), Denied> {
        match self {
            Screen::Report => decide(who, Action::Submit),
            Screen::Queues => decide(who, Action::ListQueues),
            Screen::Board => board::scope(who).map(drop),
            Screen::Summary => summary::allowed(who),
            Screen::Accounts => decide(who, Action::ManageAccounts),
        }
    }

    /// The screen, or why this account has none here (a link kept from another account).
    fn page(self) -> AnyView {
        let me = expect_context::<Arc<Principal>>();
        set_title(self.title());
        if let Err(Denied(why)) = self.allowed(&me) {
            return view! { <p class="empty" role="status">{format!("Not open to this account: {why}.")}</p> }
                .into_any();
        }
        match self {
            Screen::Report => view! { <report::ReportPage/> }.into_any(),
            Screen::Queues => view! { <queues::QueuesPage/> }.into_any(),
            Screen::Board => view! { <board::BoardPage/> }.into_any(),
            Screen::Summary => view! { <summary::SummaryPage/> }.into_any(),
            Screen::Accounts => view! { <accounts::AccountsPage/> }.into_any(),
        }
    }

    fn open_to(who: &Principal) -> impl Iterator<Item = Screen> + '_ {
        Screen::ALL.into_iter().filter(|s| s.allowed(who).is_ok())
    }
}

#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::start();
    let live = Live::start(auth);
    let catalog = Catalog::load();
    provide_context(auth);
    provide_context(live);
    provide_context(catalog);

    // One person's connection and outbox at a time: opened at sign-in, closed at sign-out or
    // when the session ends, before the next person's are opened.
    let login = Memo::new(move |_| {
        auth.who.with(|w| match w {
            Who::SignedIn(p) => Some(p.login.clone()),
            _ => None,
        })
    });
    Effect::new(move |_| {
        live.close();
        match login.get() {
            Some(login) => {
                live.outbox.open(login);
                live.open();
                catalog.refresh();
            }
            None => live.outbox.close(),
        }
    });

    let person = Memo::new(move |_| {
        auth.who.with(|w| match w {
            Who::SignedIn(p) | Who::Locked(p) => Some(p.clone()),
            _ => None,
        })
    });
    let locked = move || auth.who.with(|w| matches!(w, Who::Locked(_)));
    let signed_in = move || match auth.who.get() {
        Who::SignedIn(me) => Some(me),
        _ => None,
    };
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Floorboard"</a>
                {move || signed_in().map(|me| view! {
                    <nav aria-label="Screens">
                        {Screen::open_to(&me).map(|s| view! { <A href=s.path()>{s.label()}</A> }).collect_view()}
                    </nav>
                    <ConnectionIndicator/>
                    <SignedInAs me/>
                })}
            </header>
            <UpdateBanner/>
            <main id="main">
                {move || match auth.who.get() {
                    Who::Asking => view! { <p class="empty">"Loading…"</p> }.into_any(),
                    Who::Nobody { ended } => view! { <SignInPage ended/> }.into_any(),
                    Who::Locked(me) => view! { <LockScreen me/> }.into_any(),
                    Who::SignedIn(_) => ().into_any(),
                }}
                // The person's screens stay as they were under the lock (a report half
                // written survives it), hidden and inert until the PIN opens them.
                {move || person.get().map(|me| view! {
                    <div class="screens" hidden=locked inert=locked>
                        <Provider value=me>
                            <Routes fallback=|| view! { <p class="empty">"No such screen."</p> }>
                                <Route path=path!("/") view=Home/>
                                <Route path=path!("/signin") view=|| view! { <Redirect path="/"/> }/>
                                <Route path=path!("/report") view=|| Screen::Report.page()/>
                                <Route path=path!("/queues") view=|| Screen::Queues.page()/>
                                <Route path=path!("/board") view=|| Screen::Board.page()/>
                                <Route path=path!("/summary") view=|| Screen::Summary.page()/>
                                <Route path=path!("/accounts") view=|| Screen::Accounts.page()/>
                            </Routes>
                        </Provider>
                    </div>
                })}
            </main>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    let me = expect_context::<Arc<Principal>>();
    set_title("Floorboard");
    view! {
        <section class="home">
            <h1>"Floorboard"</h1>
            <p>"The command center for this go-live."</p>
            <ul class="screens">
                {Screen::open_to(&me).map(|s| view! {
                    <li><a href=s.path()><strong>{s.label()}</strong><span>{s.purpose()}</span></a></li>
                }).collect_view()}
            </ul>
            {Screen::open_to(&me).next().is_none().then(|| view! {
                <p class="empty">"This account has no screen here."</p>
            })}
        </section>
    }
}

/// Who is signed in, and signing out. The server ends the session and closes its sockets;
/// the page closes its own first, so that close is not taken for a session ended elsewhere.
#[component]
fn SignedInAs(me: Arc<Principal>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let live = expect_context::<Live>();
    let navigate = use_navigate();
    let problem = RwSignal::new(None::<String>);
    let sign_out = move |_| {
        let navigate = navigate.clone();
        live.close();
        spawn_local(async move {
            match api::sign_out().await {
                // Still signed in: leaving the device believing otherwise would hand the session
                // to whoever picks it up next.
                Err(e) if e.code != ErrorCode::Unauthenticated => {
                    live.open();
                    problem.set(Some(format!("Not signed out: {}.", e.message)));
                }
                _ => {
                    auth.signed_out();
                    navigate(SIGN_IN_PATH, Default::default());
                }
            }
        });
    };
    view! {
        <div class="who">
            <span class="who-name">{me.name.clone()}</span>
            <span class="who-login">{me.login.to_string()}</span>
            <button type="button" class="sign-out" on:click=sign_out>"Sign out"</button>
            <span class="who-problem" role="status">{move || problem.get()}</span>
        </div>
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
