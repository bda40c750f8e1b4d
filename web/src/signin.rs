//! The sign-in screen: at `/signin`, and in place of any screen while nobody is signed in,
//! so that signing in continues to the screen that was asked for.

use floorboard_shared::access::SignIn;
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
                Ok(info) => auth.signed_in(info.principal),
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
