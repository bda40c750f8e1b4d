//! The device's outbox: every report is written here, with its id, before it is sent, and
//! leaves only when the server acknowledges it. A report the server refuses for good moves to
//! the refused list, where it stays until the trainer sends an edited copy or discards it:
//! never dropped silently. Both live in localStorage, so they survive a dropped connection,
//! a reload and a restart of the tablet.
//!
//! Each person's reports are kept apart, under their login: on a tablet the people of a unit
//! share, only the author's own session shows or sends them, and one whose session ended
//! finds them again when they sign back in.

use floorboard_shared::{ErrorBody, ReportDraft, ReportId, ReporterId};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
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

/// Reactive view of the signed-in person's outbox; the storage is the truth. Empty, and
/// refusing to store, while nobody is signed in.
#[derive(Clone, Copy)]
pub struct Outbox {
    author: StoredValue<Option<ReporterId>>,
    pub waiting: RwSignal<Vec<ReportDraft>>,
    pub refused: RwSignal<Vec<Refused>>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox {
            author: StoredValue::new(None),
            waiting: RwSignal::new(Vec::new()),
            refused: RwSignal::new(Vec::new()),
        }
    }

    /// Shows and sends `author`'s reports, and stores new ones as theirs.
    pub fn open(&self, author: ReporterId) {
        adopt_unowned(WAITING_KEY, &author, |r: &ReportDraft| r);
        adopt_unowned(REFUSED_KEY, &author, |r: &Refused| &r.report);
        self.waiting.set(storage::load(&storage::personal(WAITING_KEY, &author)).unwrap_or_default());
        self.refused.set(storage::load(&storage::personal(REFUSED_KEY, &author)).unwrap_or_default());
        self.author.set_value(Some(author));
    }

    /// Nobody is signed in: the reports stay on the device, out of sight.
    pub fn close(&self) {
        self.author.set_value(None);
        self.waiting.set(Vec::new());
        self.refused.set(Vec::new());
    }

    /// Saves one of the author's lists; false when the device refused or nobody is signed in.
    fn store<T: Serialize>(&self, key: &str, list: &T) -> bool {
        self.author.with_value(|a| a.as_ref().is_some_and(|a| storage::save(&storage::personal(key, a), list)))
    }

    /// Stores a report before it is sent. Returns false if the device could not store it.
    pub fn add(&self, report: ReportDraft) -> bool {
        let mut waiting = self.waiting.get_untracked();
        if !waiting.iter().any(|r| r.id == report.id) {
            waiting.push(report);
        }
        let stored = self.store(WAITING_KEY, &waiting);
        self.waiting.set(waiting);
        stored
    }

    /// The server acknowledged it: it is durable there.
    pub fn delivered(&self, id: ReportId) {
        let mut waiting = self.waiting.get_untracked();
        let before = waiting.len();
        waiting.retain(|r| r.id != id);
        if waiting.len() != before {
            self.store(WAITING_KEY, &waiting);
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
        self.store(WAITING_KEY, &waiting);
        self.store(REFUSED_KEY, &refused);
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
        self.store(REFUSED_KEY, &refused);
        self.refused.set(refused);
    }
}

/// Moves what a release before sign-in left in the device's one list (`key`) into
/// `author`'s own, when it names them as its reporter. The rest stays where it is: it is
/// nobody's to send.
fn adopt_unowned<T: Serialize + DeserializeOwned>(key: &str, author: &ReporterId, draft: impl Fn(&T) -> &ReportDraft) {
    let Some(unowned) = storage::load::<Vec<T>>(key) else {
        return;
    };
    let (theirs, others): (Vec<T>, Vec<T>) = unowned.into_iter().partition(|r| draft(r).reporter == author.as_str());
    if theirs.is_empty() {
        return;
    }
    let own = storage::personal(key, author);
    let mut list = storage::load::<Vec<T>>(&own).unwrap_or_default();
    for report in theirs {
        if !list.iter().any(|r| draft(r).id == draft(&report).id) {
            list.push(report);
        }
    }
    // Theirs is written first: should the device refuse the second write, a report is held
    // twice (the copy is skipped above, next time), never not at all.
    if storage::save(&own, &list) {
        if others.is_empty() {
            storage::remove(key);
        } else {
            storage::save(key, &others);
        }
    }
}
