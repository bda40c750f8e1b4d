//! The device's outbox: every report is written here, with its id, before it is sent, and
//! leaves only when the server acknowledges it (or refuses it for good). It lives in
//! localStorage, so it survives a dropped connection, a reload and a restart of the tablet.

use floorboard_shared::{ErrorBody, ReportDraft, ReportId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::storage;

const WAITING_KEY: &str = "floorboard.outbox.v1";
const REFUSED_KEY: &str = "floorboard.refused.v1";

/// A report the server refused for good, kept so the trainer can see why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub report: ReportDraft,
    pub error: ErrorBody,
}

/// Reactive view of the outbox; the storage is the truth.
#[derive(Clone, Copy)]
pub struct Outbox {
    pub waiting: RwSignal<Vec<ReportDraft>>,
    pub refused: RwSignal<Vec<Refused>>,
}

impl Outbox {
    pub fn load() -> Outbox {
        Outbox {
            waiting: RwSignal::new(storage::load(WAITING_KEY).unwrap_or_default()),
            refused: RwSignal::new(storage::load(REFUSED_KEY).unwrap_or_default()),
        }
    }

    /// Stores a report before it is sent. Returns false if the device could not store it.
    pub fn add(&self, report: ReportDraft) -> bool {
        let mut waiting = self.waiting.get_untracked();
        if !waiting.iter().any(|r| r.id == report.id) {
            waiting.push(report);
        }
        let stored = storage::save(WAITING_KEY, &waiting);
        self.waiting.set(waiting);
        stored
    }

    /// The server acknowledged it: it is durable there.
    pub fn delivered(&self, id: ReportId) {
        let mut waiting = self.waiting.get_untracked();
        let before = waiting.len();
        waiting.retain(|r| r.id != id);
        if waiting.len() != before {
            storage::save(WAITING_KEY, &waiting);
            self.waiting.set(waiting);
        }
    }

    /// The server refused it for a reason a retry will not fix.
    pub fn refused(&self, id: ReportId, error: ErrorBody) {
        let mut waiting = self.waiting.get_untracked();
        let Some(at) = waiting.iter().position(|r| r.id == id) else {
            return;
        };
        let report = waiting.remove(at);
        let mut refused = self.refused.get_untracked();
        refused.push(Refused { report, error });
        storage::save(WAITING_KEY, &waiting);
        storage::save(REFUSED_KEY, &refused);
        self.waiting.set(waiting);
        self.refused.set(refused);
    }

    pub fn dismiss_refused(&self, id: ReportId) {
        let mut refused = self.refused.get_untracked();
        refused.retain(|r| r.report.id != id);
        storage::save(REFUSED_KEY, &refused);
        self.refused.set(refused);
    }
}
