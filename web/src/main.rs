//! Floorboard's front end, compiled to wasm: sign-in (`/signin`), the trainer's tablet
//! (`/report`), the command-center queues (`/queues`), the unit board (`/board`) and the daily
//! summary (`/summary`), live over
//! the same websocket protocol as every other client, with every wire type and the access
//! policy from `floorboard-shared`.

mod accounts;
mod api;
mod app;
mod board;
mod clock;
mod curve;
mod live;
mod outbox;
mod queues;
mod report;
mod session;
mod signin;
mod storage;
mod summary;
mod wall;

fn main() {
    console_error_panic_hook_lite();
    register_service_worker();
    leptos::mount::mount_to_body(app::App);
}

/// Panics reach the browser console instead of vanishing: where it happened, never the
/// message, which can quote a string the code held (a report's text, on a slicing panic).
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        web_sys::console::error_1(&format!("Floorboard panicked at {at}").into());
    }));
}

/// The service worker keeps the app shell cached, so a tablet in a dead zone can reload
/// the page and still reach its outbox.
fn register_service_worker() {
    if let Some(window) = web_sys::window() {
        let container = window.navigator().service_worker();
        let _ = container.register("/sw.js");
    }
}
