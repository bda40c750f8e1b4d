//! The device's own storage (localStorage): check-in, outbox, preferences. Values are JSON.

use floorboard_shared::ReporterId;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = local()?.get_item(key).ok()??;
    serde_json::from_str(&text).ok()
}

/// Saves `value`; returns false when the device refused (storage full or disabled).
pub fn save<T: Serialize>(key: &str, value: &T) -> bool {
    let (Some(store), Ok(text)) = (local(), serde_json::to_string(value)) else {
        return false;
    };
    store.set_item(key, &text).is_ok()
}

pub fn remove(key: &str) {
    if let Some(store) = local() {
        let _ = store.remove_item(key);
    }
}

/// The key under which `login`'s own copy of `key` is kept: a tablet is shared by the people
/// of a unit, and what one of them left on it (reports waiting, last choices) is theirs alone.
pub fn personal(key: &str, login: &ReporterId) -> String {
    format!("{key}:{login}")
}
