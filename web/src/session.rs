//! Who is signed in: the principal the server vouches for, in a context signal every part of
//! the page reads. The server enforces access; the page asks `access::decide` only to show
//! what the principal may use. The session itself is the server's cookie (HttpOnly), never
//! seen here; the principal is also kept on the device, so a tablet reloaded in a Wi-Fi dead
//! zone still knows whose outbox it holds.

use std::sync::Arc;

use floorboard_shared::ErrorCode;
use floorboard_shared::access::{Principal, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::sleep_ms;
use crate::{api, storage};

const PRINCIPAL_KEY: &str = "floorboard.principal.v1";
/// How often the page asks again while the server cannot be reached.
const RETRY_MS: i32 = 5_000;

/// A wall display opened at `/display#TOKEN` (the token after `#`, which no server or proxy
/// sees or logs): the token is exchanged for the session cookie, and the page reloads at
/// `/board`, leaving the link out of the history. False when this is not such a page, or the
/// token is refused (the sign-in screen then shows).
async fn open_display() -> bool {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return false;
    };
    if location.pathname().ok().as_deref() != Some("/display") {
        return false;
    }
    let token = location.hash().unwrap_or_default().trim_start_matches('#').to_owned();
    if token.is_empty() {
        return false;
    }
    let opened = api::open_display(&floorboard_shared::access::DisplayOpen { token }).await;
    opened.is_ok() && location.replace("/board").is_ok()
}

#[derive(Clone, Debug, PartialEq)]
pub enum Who {
    /// At start, until the server answers or proves unreachable.
    Asking,
    /// No session: the sign-in screen shows in place of any screen.
    Nobody {
        /// A session ended under the person (expired, signed out elsewhere): the screen says so.
        ended: bool,
    },
    SignedIn(Arc<Principal>),
    /// The session locked after its idle limit: the lock screen asks for its PIN. The page
    /// holds nothing of the person's on screen meanwhile, and its connection is closed.
    Locked(Arc<Principal>),
}

#[derive(Clone, Copy)]
pub struct Auth {
    pub who: RwSignal<Who>,
    /// The session has a PIN (the tablet offers to set one while it has none).
    pub pin_set: RwSignal<bool>,
}

impl Auth {
    /// Asks the server who is signed in. When it cannot be reached, the principal this device
    /// last saw signed in stands in until it can.
    pub fn start() -> Auth {
        let auth = Auth { who: RwSignal::new(Who::Asking), pin_set: RwSignal::new(false) };
        api::on_session_ended(move |code| match code {
            ErrorCode::SessionLocked => auth.locked(),
            _ => auth.ended(),
        });
        spawn_local(async move {
            if open_display().await {
                return; // the page reloads as the display's board
            }
            loop {
                let asked_in = auth.who.get_untracked();
                let answer = api::session().await;
                if auth.who.get_untracked() != asked_in {
                    return; // someone signed in or out meanwhile: theirs is the newer word
                }
                match answer {
                    Ok(info) => return auth.session(info),
                    // `ended` has run (the API's hook).
                    Err(e) if e.code == ErrorCode::Unauthenticated => return,
                    Err(_) if asked_in == Who::Asking => auth.who.set(match storage::load(PRINCIPAL_KEY) {
                        Some(remembered) => Who::SignedIn(Arc::new(remembered)),
                        None => Who::Nobody { ended: false },
                    }),
                    Err(_) => {}
                }
                sleep_ms(RETRY_MS).await;
            }
        });
        auth
    }

    pub fn principal(&self) -> Option<Arc<Principal>> {
        match self.who.get_untracked() {
            Who::SignedIn(p) => Some(p),
            _ => None,
        }
    }

    /// The session the server answered: who, and whether it has a PIN.
    pub fn session(self, info: SessionInfo) {
        self.pin_set.set(info.pin_set);
        self.signed_in(info.principal);
    }

    /// The server says the session is locked: the lock screen, for the same person.
    pub fn locked(self) {
        let held = match self.who.get_untracked() {
            Who::SignedIn(p) | Who::Locked(p) => Some(p),
            Who::Asking => storage::load::<Principal>(PRINCIPAL_KEY).map(Arc::new),
            Who::Nobody { .. } => None,
        };
        match held {
            Some(p) => {
                api::new_session_epoch();
                self.who.set(Who::Locked(p));
            }
            None => self.forget(Who::Nobody { ended: true }),
        }
    }

    pub fn signed_in(self, principal: Principal) {
        storage::save(PRINCIPAL_KEY, &principal);
        if self.principal().is_some_and(|p| *p == principal) {
            return;
        }
        api::new_session_epoch();
        self.who.set(Who::SignedIn(Arc::new(principal)));
    }

    /// Signed out on purpose.
    pub fn signed_out(self) {
        self.forget(Who::Nobody { ended: false });
    }

    /// The server no longer knows the session (a 401, or the socket closed "session ended").
    pub fn ended(self) {
        match self.who.get_untracked() {
            Who::Nobody { .. } => {}
            Who::Asking => self.forget(Who::Nobody { ended: false }),
            Who::SignedIn(_) | Who::Locked(_) => self.forget(Who::Nobody { ended: true }),
        }
    }

    fn forget(self, now: Who) {
        storage::remove(PRINCIPAL_KEY);
        api::new_session_epoch();
        self.who.set(now);
    }

    /// Asks the server whose session the browser holds now. `Some(true)`: still this page's
    /// principal's. `Some(false)`: none (the page signs out), or another person's, signed in
    /// from another tab of this browser (the page becomes theirs). `None`: no answer.
    pub async fn confirm(self) -> Option<bool> {
        let asked_for = self.principal()?;
        let answer = api::session().await;
        if self.principal().as_ref() != Some(&asked_for) {
            return Some(false); // signed in or out meanwhile: the answer is about another session
        }
        match answer {
            Ok(info) => {
                let same = info.principal.login == asked_for.login;
                self.session(info);
                Some(same)
            }
            Err(e) if e.code == ErrorCode::Unauthenticated => Some(false),
            Err(_) => None,
        }
    }
}
