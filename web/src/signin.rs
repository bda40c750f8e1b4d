//! The sign-in screen: at `/signin`, and in place of any screen while nobody is signed in,
//! so that signing in continues to the screen that was asked for. The lock screen: in place
//! of any screen while the session is locked after its idle limit, asking for its PIN. And
//! the tablet's offer to set that PIN.

use std::sync::Arc;

use floorboard_shared::ErrorCode;
use floorboard_shared::access::{Principal, SignIn};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::session::Auth;

#[component]
pub fn SignInPage(
    /// A session ended under the person: say so, and that their waiting reports are kept.
    ended: bool,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    crate::app::set_title("Sign in · Floorboard");
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let refusal = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let password_ref = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        refusal.set(None);
        let credentials = SignIn { login: login.get_untracked(), password: password.get_untracked() };
        spawn_local(async move {
            let answer = api::sign_in(&credentials).await;
            busy.set(false);
            match answer {
                // Replaces this screen with the one asked for (`/signin` leads home).
                Ok(info) => auth.session(info),
                Err(e) => {
                    // The server's own words: a wrong login or password, or how long to wait.
                    refusal.set(Some(e.message));
                    password.set(String::new());
                    if let Some(field) = password_ref.get_untracked() {
                        let _ = field.focus();
                    }
                }
            }
        });
    };

    view! {
        <form class="card signin" on:submit=submit aria-busy=move || busy.get().to_string()>
            <h1>"Sign in"</h1>
            {ended.then(|| view! {
                <p class="notice">"Your session ended. Sign in again to carry on: reports waiting on this device are kept for their author."</p>
            })}
            <label>"Login"
                <input type="text" name="login" autocomplete="username" autocapitalize="none" spellcheck="false"
                    required maxlength="64" prop:value=move || login.get() on:input=move |ev| login.set(event_target_value(&ev))/>
            </label>
            <label>"Password"
                <input type="password" name="password" autocomplete="current-password" required node_ref=password_ref
                    aria-describedby="signin-problem"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            // In the page from the start, so a screen reader announces the refusal when it fills.
            <p id="signin-problem" class="field-problem" aria-live="assertive">{move || refusal.get()}</p>
            <button type="submit" class="primary big">"Sign in"</button>
        </form>
    }
}

/// The session locked after its idle limit: its PIN opens it again, as it was (the outbox
/// waits on the device meanwhile); "not me" signs it out for whoever holds the tablet.
#[component]
pub fn LockScreen(me: Arc<Principal>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let pin = RwSignal::new(String::new());
    let refusal = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let unlock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let typed = pin.get_untracked();
        spawn_local(async move {
            let answer = api::unlock(&typed).await;
            busy.set(false);
            pin.set(String::new());
            match answer {
                Ok(info) => auth.session(info),
                // Too many wrong PINs end the session: the API's hook shows the sign-in screen.
                Err(e) if e.code == ErrorCode::Unauthenticated => {}
                Err(e) => refusal.set(Some(e.message)),
            }
        });
    };
    let not_me = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            auth.signed_out();
        });
    };
    let name = me.name.clone();
    view! {
        <form class="card signin lock" on:submit=unlock aria-busy=move || busy.get().to_string()>
            <h1>"Locked"</h1>
            <p>{format!("{} ({}) was idle. Enter your PIN to carry on where you left off.", me.name, me.login)}</p>
            <label>"PIN"
                <input type="password" name="pin" inputmode="numeric" autocomplete="off" required maxlength="8"
                    aria-describedby="lock-problem"
                    prop:value=move || pin.get() on:input=move |ev| pin.set(event_target_value(&ev))/>
            </label>
            <p id="lock-problem" class="field-problem" aria-live="assertive">{move || refusal.get()}</p>
            <button type="submit" class="primary big">"Unlock"</button>
            <button type="button" class="link not-me" on:click=not_me>{format!("Not {name}? Sign out")}</button>
        </form>
    }
}

/// On the tablet, until the session has a PIN: set one, so a break between two patients
/// ends at a PIN rather than at the password.
#[component]
pub fn PinOffer() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let pin = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = pin.get_untracked();
        spawn_local(async move {
            match api::set_pin(&typed).await {
                Ok(()) => {
                    pin.set(String::new());
                    auth.pin_set.set(true);
                }
                Err(e) => said.set(Some(e.message)),
            }
        });
    };
    view! {
        <Show when=move || !auth.pin_set.get()>
            <form class="card pin-offer" on:submit=save>
                <label>"Quick unlock: a PIN for this shift (4 to 8 digits), asked after a break instead of your password"
                    <input type="password" name="new-pin" inputmode="numeric" autocomplete="off" required minlength="4" maxlength="8"
                        prop:value=move || pin.get() on:input=move |ev| pin.set(event_target_value(&ev))/>
                </label>
                <p class="field-problem" aria-live="polite">{move || said.get()}</p>
                <button type="submit">"Set PIN"</button>
            </form>
        </Show>
    }
}
