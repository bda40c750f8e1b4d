//! The administrator's screen: the go-live's accounts (add one, disable or enable it, reset
//! its password: a one-time password shown once), a wall display's link, and the audit
//! trail's export. The same operations as the API (`/api/v1/users`, `/api/v1/display-tokens`,
//! `/api/v1/audit/export`) and the `floorboard user` commands.

use std::collections::BTreeSet;

use floorboard_shared::access::{Account, AccountIssued, AccountSpec, DisplayInfo, DisplayRequest, NewAccount, Role};
use floorboard_shared::{ErrorBody, FacilityId, ModuleId, QueueId, REDACTED, TextField};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::app::Catalog;
use crate::clock::clock_date;

/// A role as the go-live team names it.
fn role_label(role: Role) -> &'static str {
    match role {
        Role::Trainer => "Trainer",
        Role::SuperUser => "Super user",
        Role::Staff => "Command-center staff",
        Role::Lead => "Lead",
        Role::Viewer => "Viewer",
        Role::Admin => "Administrator",
    }
}

/// A refusal as the screen says it: the server's words, and the field they are about.
fn refusal(e: &ErrorBody) -> String {
    match &e.field {
        Some(field) => format!("{} ({field})", e.message),
        None => e.message.clone(),
    }
}

/// What the screen last did, or why it could not.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Done(String),
    /// A one-time password, shown this once.
    Issued {
        login: String,
        password: String,
    },
    Refused(String),
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let accounts = RwSignal::new(None::<Vec<Account>>);
    let outcome = RwSignal::new(None::<Outcome>);
    let reload = move || {
        spawn_local(async move {
            match api::users().await {
                Ok(list) => accounts.set(Some(list)),
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    reload();
    view! {
        <section class="accounts-page">
            <h1>"Accounts"</h1>
            <div class="outcome" role="status" aria-live="polite">
                {move || outcome.get().map(|o| match o {
                    Outcome::Done(what) => view! { <p class="notice">{what}</p> }.into_any(),
                    Outcome::Issued { login, password } => view! {
                        <p class="notice issued">
                            "One-time password for " <strong>{login}</strong> ": " <code class="one-time">{password}</code>
                            " Give it to them in person: it is not shown again."
                        </p>
                    }.into_any(),
                    Outcome::Refused(why) => view! { <p class="problem" role="alert">{why}</p> }.into_any(),
                })}
            </div>
            <AddAccount outcome on_added=reload/>
            <AccountList accounts outcome on_changed=reload/>
            <WallDisplay outcome/>
            <RedactText outcome/>
            <section class="card">
                <h2>"Audit trail"</h2>
                <p>"Sign-ins, account changes, reads of issue lists and exports, chained by hash. The export is itself recorded."</p>
                <a class="button" href="/api/v1/audit/export" download="floorboard-audit.csv">"Export the audit trail (CSV)"</a>
            </section>
        </section>
    }
}

#[component]
fn AddAccount(outcome: RwSignal<Option<Outcome>>, on_added: impl Fn() + Copy + 'static) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    let login = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let roles = RwSignal::new(BTreeSet::<Role>::new());
    let facility = RwSignal::new(String::new());
    let queues = RwSignal::new(BTreeSet::<QueueId>::new());
    let modules = RwSignal::new(BTreeSet::<ModuleId>::new());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let facility = facility.get_untracked();
        let new = NewAccount {
            login: login.get_untracked().trim().to_lowercase(),
            spec: AccountSpec {
                name: name.get_untracked(),
                roles: roles.get_untracked().into_iter().collect(),
                queues: queues.get_untracked().into_iter().collect(),
                facility: (!facility.is_empty()).then(|| FacilityId::new(facility)),
                modules: modules.get_untracked().into_iter().collect(),
                disabled: false,
            },
            password: None,
        };
        spawn_local(async move {
            match api::add_user(&new).await {
                Ok(AccountIssued { account, one_time_password }) => {
                    let login_added = account.login.to_string();
                    outcome.set(Some(match one_time_password {
                        Some(password) => Outcome::Issued { login: login_added, password },
                        None => Outcome::Done(format!("Added {login_added}.")),
                    }));
                    login.set(String::new());
                    name.set(String::new());
                    on_added();
                }
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    let is_staff = move || roles.with(|r| r.contains(&Role::Staff));
    view! {
        <form class="card add-account" on:submit=submit>
            <h2>"Add an account"</h2>
            <div class="fields">
                <label>"Login"
                    <input type="text" name="login" required maxlength="64" autocapitalize="none" spellcheck="false"
                        prop:value=move || login.get() on:input=move |ev| login.set(event_target_value(&ev))/>
                </label>
                <label>"Name"
                    <input type="text" name="name" required maxlength="128"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <label>"Facility"
                    <select name="facility" on:change=move |ev| facility.set(event_target_value(&ev))>
                        <FacilityOptions/>
                    </select>
                </label>
            </div>
            <fieldset class="choices">
                <legend>"Roles"</legend>
                {checkboxes("role", Role::ALL.map(|r| (r, r.as_str().to_owned(), role_label(r).to_owned())).to_vec(), roles)}
            </fieldset>
            <Show when=is_staff>
                <fieldset class="choices">
                    <legend>"Queues worked"</legend>
                    {move || catalog.with(|g| g.as_ref().map(|g| {
                        checkboxes("queue", g.queues().iter().map(|q| (q.id.clone(), q.id.to_string(), q.name.clone())).collect(), queues)
                    }))}
                </fieldset>
            </Show>
            <fieldset class="choices">
                <legend>"Epic modules (the tablet's default for their reports)"</legend>
                {move || catalog.with(|g| g.as_ref().map(|g| {
                    checkboxes("module", g.modules().iter().map(|m| (m.id.clone(), m.id.to_string(), m.name.clone())).collect(), modules)
                }))}
            </fieldset>
            <button type="submit" class="primary">"Add account"</button>
        </form>
    }
}

/// A facility select's options: every facility (`""`), then each of the go-live's.
#[component]
fn FacilityOptions() -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    view! {
        <option value="">"Every facility"</option>
        {move || catalog.with(|g| g.as_ref().map(|g| g.facilities().iter().map(|f| {
            view! { <option value=f.id.to_string()>{f.name.clone()}</option> }
        }).collect_view()))}
    }
}

/// A checkbox per `(item, value, label)`, each adding its item to `chosen` or taking it out.
fn checkboxes<T: Ord + Clone + Send + Sync + 'static>(
    name: &'static str,
    items: Vec<(T, String, String)>,
    chosen: RwSignal<BTreeSet<T>>,
) -> impl IntoView {
    items
        .into_iter()
        .map(|(item, value, label)| {
            let held = item.clone();
            view! {
                <label><input type="checkbox" name=name value=value
                    prop:checked=move || chosen.with(|s| s.contains(&held))
                    on:change=move |_| chosen.update(|s| { if !s.remove(&item) { s.insert(item.clone()); } })/>
                {label}</label>
            }
        })
        .collect_view()
}

#[component]
fn AccountList(
    accounts: RwSignal<Option<Vec<Account>>>,
    outcome: RwSignal<Option<Outcome>>,
    on_changed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let set_disabled = move |account: Account, disabled: bool| {
        let login = account.login.clone();
        let spec = AccountSpec {
            name: account.name,
            roles: account.roles,
            queues: account.queues,
            facility: account.facility,
            modules: account.modules,
            disabled,
        };
        spawn_local(async move {
            match api::update_user(&login, &spec).await {
                Ok(_) => {
                    let what = if disabled { "Disabled" } else { "Enabled" };
                    outcome.set(Some(Outcome::Done(format!("{what} {login}."))));
                    on_changed();
                }
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    let reset = move |account: Account| {
        spawn_local(async move {
            match api::reset_password(&account.login).await {
                Ok(AccountIssued { one_time_password: Some(password), .. }) => {
                    outcome.set(Some(Outcome::Issued { login: account.login.to_string(), password }));
                }
                Ok(_) => outcome.set(Some(Outcome::Done(format!("Reset {}.", account.login)))),
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Everyone"</h2>
            {move || match accounts.get() {
                None => view! { <p>"Loading…"</p> }.into_any(),
                Some(list) => view! {
                    <table class="account-list">
                        <thead><tr>
                            <th scope="col">"Login"</th><th scope="col">"Name"</th><th scope="col">"Roles"</th>
                            <th scope="col">"Facility"</th><th scope="col">"Queues"</th><th scope="col">"State"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|a| {
                                let roles = a.roles.iter().map(|&r| role_label(r)).collect::<Vec<_>>().join(", ");
                                let queues = a.queues.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                                let facility = a.facility.as_ref().map_or_else(|| "every".to_owned(), ToString::to_string);
                                let (toggle, for_reset) = (a.clone(), a.clone());
                                let disabled = a.disabled;
                                view! {
                                    <tr data-login=a.login.to_string() class:disabled=disabled>
                                        <td>{a.login.to_string()}</td>
                                        <td>{a.name.clone()}</td>
                                        <td>{roles}</td>
                                        <td>{facility}</td>
                                        <td>{queues}</td>
                                        <td>{if disabled { "Disabled" } else { "Active" }}</td>
                                        <td class="actions">
                                            <button type="button" class="toggle" on:click=move |_| set_disabled(toggle.clone(), !disabled)>
                                                {if disabled { "Enable" } else { "Disable" }}
                                            </button>
                                            <button type="button" class="reset" on:click=move |_| reset(for_reset.clone())>"Reset password"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// A link a wall display opens once: `/display#TOKEN` (after `#`, so no server or proxy
/// log sees the token); and the walls' tokens still live, each revocable (the wall's screen
/// goes to sign-in at once).
#[component]
fn WallDisplay(outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let catalog = expect_context::<Catalog>().0;
    let facility = RwSignal::new(String::new());
    let link = RwSignal::new(None::<String>);
    let walls = RwSignal::new(Vec::<DisplayInfo>::new());
    let reload = move || {
        spawn_local(async move {
            match api::displays().await {
                Ok(list) => walls.set(list),
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    reload();
    let issue = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = facility.get_untracked();
        let request = DisplayRequest { facility: (!chosen.is_empty()).then(|| FacilityId::new(chosen)) };
        spawn_local(async move {
            match api::issue_display(&request).await {
                Ok(info) => {
                    let origin = window().location().origin().unwrap_or_default();
                    link.set(info.token.map(|t| format!("{origin}/display#{t}")));
                    reload();
                }
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match api::revoke_display(&id).await {
                Ok(()) => {
                    outcome.set(Some(Outcome::Done("Revoked: that wall now shows the sign-in screen.".into())));
                    reload();
                }
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    let board_name = move |f: &Option<FacilityId>| match f {
        None => "Every facility".to_owned(),
        Some(f) => catalog
            .with_untracked(|g| g.as_ref().and_then(|g| g.facility(f.as_str())).map(|f| f.name.clone()))
            .unwrap_or_else(|| f.to_string()),
    };
    view! {
        <form class="card wall-display" on:submit=issue>
            <h2>"Wall displays"</h2>
            <p>"A link for a screen on the wall: it shows one board, read only, for 30 days."</p>
            <label>"Board"
                <select name="display-facility" on:change=move |ev| facility.set(event_target_value(&ev))>
                    <FacilityOptions/>
                </select>
            </label>
            <button type="submit">"Make a display link"</button>
            {move || link.get().map(|l| view! {
                <p class="display-link">"Open this once on the wall's browser: " <code>{l}</code></p>
            })}
            <ul class="walls">
                {move || walls.get().into_iter().map(|w| {
                    let id = w.id.clone();
                    view! {
                        <li data-display=w.id.clone()>
                            <span>{board_name(&w.facility)}" · issued by "{w.issued_by.to_string()}" · until "{clock_date(w.expires_at)}</span>
                            <button type="button" class="revoke" on:click=move |_| revoke(id.clone())>"Revoke"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </form>
    }
}

/// The privacy officer's fix: an issue's text that let patient data through is replaced by
/// `[redacted]` wherever it is served. By the issue's id (the queue screen shows it), without
/// reading the text.
#[component]
fn RedactText(outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let field = RwSignal::new(TextField::Summary);
    let redact = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (raw, chosen) = (id.get_untracked(), field.get_untracked());
        spawn_local(async move {
            match api::redact(raw.trim(), chosen).await {
                Ok(_) => {
                    outcome.set(Some(Outcome::Done(format!(
                        "Redacted: the {} of that issue now reads {REDACTED} everywhere.",
                        chosen.as_str()
                    ))));
                    id.set(String::new());
                }
                Err(e) => outcome.set(Some(Outcome::Refused(refusal(&e)))),
            }
        });
    };
    view! {
        <form class="card redact" on:submit=redact>
            <h2>"Redact an issue's text"</h2>
            <p>"When a report's text let patient data through: it is replaced everywhere it is shown, and the redaction is audited."</p>
            <label>"Issue id"
                <input name="redact-id" required autocomplete="off" spellcheck="false" prop:value=id on:input=move |ev| id.set(event_target_value(&ev))/>
            </label>
            <label>"Text"
                <select name="redact-field" on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if let Some(f) = TextField::ALL.into_iter().find(|f| f.as_str() == chosen) {
                        field.set(f);
                    }
                }>
                    <option value="summary">"Summary"</option>
                    <option value="details">"Details"</option>
                    <option value="note">"Notes"</option>
                </select>
            </label>
            <button type="submit">"Redact"</button>
        </form>
    }
}
