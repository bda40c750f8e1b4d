//! The device's outbox: every report is written here, with its id, before it is sent, and
//! leaves only when the server acknowledges it. A report the server refuses for good moves to
//! the refused list, where it stays until the trainer sends an edited copy or discards it:
//! never dropped silently. Both live in localStorage, so they survive a dropped connection,
//! a reload and a restart of the tablet.

use floorboard_shared::{ErrorBody, ReportDraft, ReportId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::storage;

const WAITING_KEY: &str = "floorboard.outbox.v1";
const REFUSED_KEY: &str = "floorboard.refused.v1";

/// A report the server refused for good, kept so the trainer can see why, fix it and send
/// it again.
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

    /// Stores `edited`, the trainer's fix of the refused report `refused_id`, then forgets
    /// the refused one, so the report is on the device throughout. The fix has a new id: its
    /// content differs (docs/protocol.md §3.5). Returns false if the device could not store it;
    /// the refused report is kept then.
    pub fn replace_refused(&self, refused_id: ReportId, edited: ReportDraft) -> bool {
        let stored = self.add(edited);
        if stored {
            self.dismiss_refused(refused_id);
        }
        stored
    }

    /// The trainer discarded a refused report.
    pub fn dismiss_refused(&self, id: ReportId) {
        let mut refused = self.refused.get_untracked();
        refused.retain(|r| r.report.id != id);
        storage::save(REFUSED_KEY, &refused);
        self.refused.set(refused);
    }
}
