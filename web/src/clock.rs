//! Time for the views: a ticking "now" for ages and SLA-style clocks, and short age labels.

use leptos::prelude::*;
use time::OffsetDateTime;

/// A signal holding the current time, updated every second while the owner lives.
pub fn ticking_now() -> ReadSignal<OffsetDateTime> {
    let (now, set_now) = signal(OffsetDateTime::now_utc());
    if let Ok(handle) =
        set_interval_with_handle(move || set_now.set(OffsetDateTime::now_utc()), std::time::Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    now
}

/// "just now", "4 min", "1 h 12 min", "2 d 3 h".
pub fn age(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (now - since).whole_seconds().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// `at` on the browser's wall clock (its zone's offset now).
fn local(at: OffsetDateTime) -> OffsetDateTime {
    let offset_minutes = -js_sys::Date::new_0().get_timezone_offset() as i64;
    at + time::Duration::minutes(offset_minutes)
}

/// Local wall-clock time of day, "14:05", in the browser's zone.
pub fn clock_time(at: OffsetDateTime) -> String {
    let local = local(at);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// Local date, "7 December 2026", in the browser's zone.
pub fn clock_date(at: OffsetDateTime) -> String {
    let local = local(at);
    format!("{} {} {}", local.day(), local.month(), local.year())
}
