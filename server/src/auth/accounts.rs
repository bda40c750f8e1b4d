//! Managing accounts, the same for `floorboard user ...` and the administrators' HTTP API:
//! add, change, disable, reset a password, import a project team's spreadsheet, and the
//! first administrator on first start.

use std::io::Read;

use floorboard_shared::access::{Account, AccountSpec, NewAccount, Role, check_account, is_login};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, GoLive, ModuleId, QueueId, ReporterId};
use time::OffsetDateTime;

use super::secret;
use crate::error::store_error_body;
use crate::store::accounts::{AccountStore, UserRecord};

/// The administrator made on first start.
pub const FIRST_ADMIN: &str = "admin";

fn invalid(field: &str, message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidValue, message).with_field(field)
}

fn login_of(raw: &str) -> Result<ReporterId, ErrorBody> {
    let login = raw.trim().to_lowercase();
    if !is_login(&login) {
        return Err(invalid("login", "a login is 1 to 64 of a-z, 0-9, '.', '_', '-', '@'"));
    }
    ReporterId::parse_owned(login).map_err(|m| invalid("login", m))
}

/// Hashes `password` (checked for length) on the blocking pool.
async fn hashed(password: String) -> Result<String, ErrorBody> {
    if let Some(why) = secret::weak_password(&password) {
        return Err(invalid("password", why));
    }
    tokio::task::spawn_blocking(move || secret::hash_password(&password))
        .await
        .map_err(|_| ErrorBody::new(ErrorCode::Internal, "internal error"))?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot hash a password");
            ErrorBody::new(ErrorCode::Internal, "internal error")
        })
}

/// Adds an account. Answers it, and the one-time password made for it when none was given.
pub async fn add(
    store: &dyn AccountStore,
    golive: &GoLive,
    new: NewAccount,
) -> Result<(Account, Option<String>), ErrorBody> {
    let account = new.spec.account(login_of(&new.login)?);
    check_account(&account, golive)?;
    let (password, one_time) = match new.password {
        Some(password) => (password, None),
        None => {
            let made = secret::new_one_time_password();
            (made.clone(), Some(made))
        }
    };
    let record = UserRecord { account, password_hash: hashed(password).await? };
    if !store.add_user(&record, OffsetDateTime::now_utc()).await.map_err(|e| store_error_body(&e))? {
        return Err(ErrorBody::new(ErrorCode::IdConflict, "an account with this login exists").with_field("login"));
    }
    Ok((record.account, one_time))
}

async fn existing(store: &dyn AccountStore, login: &str) -> Result<UserRecord, ErrorBody> {
    let login = login_of(login)?;
    store
        .user(login.as_str())
        .await
        .map_err(|e| store_error_body(&e))?
        .ok_or_else(|| ErrorBody::new(ErrorCode::NotFound, "no account with this login").with_field("login"))
}

/// Replaces what an account is (not its login or password). Its sessions are read again
/// with the change on every node; disabling ends them.
pub async fn update(
    store: &dyn AccountStore,
    golive: &GoLive,
    login: &str,
    spec: AccountSpec,
) -> Result<Account, ErrorBody> {
    let mut record = existing(store, login).await?;
    let account = spec.account(record.account.login.clone());
    check_account(&account, golive)?;
    guard_last_admin(store, &record.account, &account).await?;
    record.account = account;
    store.update_user(&record, false, OffsetDateTime::now_utc()).await.map_err(|e| store_error_body(&e))?;
    Ok(record.account)
}

/// Disables (or enables again) an account; disabling ends its sessions and closes their
/// sockets on every node.
pub async fn set_disabled(store: &dyn AccountStore, login: &str, disabled: bool) -> Result<Account, ErrorBody> {
    let mut record = existing(store, login).await?;
    let mut changed = record.account.clone();
    changed.disabled = disabled;
    guard_last_admin(store, &record.account, &changed).await?;
    record.account = changed;
    store.update_user(&record, false, OffsetDateTime::now_utc()).await.map_err(|e| store_error_body(&e))?;
    Ok(record.account)
}

/// Sets a new password (a one-time one, answered, when none is given) and ends the
/// account's sessions.
pub async fn reset_password(
    store: &dyn AccountStore,
    login: &str,
    password: Option<String>,
) -> Result<Option<String>, ErrorBody> {
    let mut record = existing(store, login).await?;
    let one_time = password.is_none().then(secret::new_one_time_password);
    let password = password.or_else(|| one_time.clone()).unwrap_or_default();
    record.password_hash = hashed(password).await?;
    store.update_user(&record, true, OffsetDateTime::now_utc()).await.map_err(|e| store_error_body(&e))?;
    Ok(one_time)
}

/// The go-live is never left without an administrator who can sign in.
async fn guard_last_admin(store: &dyn AccountStore, before: &Account, after: &Account) -> Result<(), ErrorBody> {
    let was = before.roles.contains(&Role::Admin) && !before.disabled;
    let is = after.roles.contains(&Role::Admin) && !after.disabled;
    if was && !is && store.active_admins().await.map_err(|e| store_error_body(&e))? <= 1 {
        return Err(ErrorBody::new(ErrorCode::InvalidValue, "this is the last administrator who can sign in")
            .with_field("roles"));
    }
    Ok(())
}

/// On first start (no account at all), makes the administrator `admin` with `password`, or
/// with a one-time password, answered to be shown once.
pub async fn first_admin(store: &dyn AccountStore, password: Option<&str>) -> anyhow::Result<Option<String>> {
    if !store.users().await?.is_empty() {
        return Ok(None);
    }
    let new = NewAccount {
        login: FIRST_ADMIN.into(),
        spec: AccountSpec {
            name: "Administrator".into(),
            roles: vec![Role::Admin],
            queues: vec![],
            facility: None,
            modules: vec![],
            disabled: false,
        },
        password: password.map(str::to_owned),
    };
    // The first administrator's roles need no go-live.
    match add(store, &GoLive::example(), new).await {
        Ok((_, one_time)) => Ok(one_time),
        // Another node made it first.
        Err(body) if body.code == ErrorCode::IdConflict => Ok(None),
        Err(body) => anyhow::bail!("cannot make the first administrator: {}", body.message),
    }
}

/// One row of an import that could not be added: its line and why.
#[derive(Debug)]
pub struct ImportFault {
    pub line: u64,
    pub error: ErrorBody,
}

/// Reads a project team's account list as CSV with a header row naming the columns `name`,
/// `login`, `roles`, `queues`, `facility`, `modules` (in any order, any case; extra columns
/// ignored); lists within a cell are separated by `;`, `,` or spaces. Each row is checked
/// against the go-live; no account is written when any row is at fault.
pub fn read_import(input: impl Read, golive: &GoLive) -> Result<Vec<NewAccount>, Vec<ImportFault>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_lowercase()).collect(),
        Err(_) => {
            return Err(vec![ImportFault { line: 1, error: invalid("header", "the first row names the columns") }]);
        }
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(name_at), Some(login_at), Some(roles_at)) = (column("name"), column("login"), column("roles")) else {
        return Err(vec![ImportFault {
            line: 1,
            error: invalid(
                "header",
                "the columns name, login and roles are required (queues, facility, modules optional)",
            ),
        }]);
    };
    let (queues_at, facility_at, modules_at) = (column("queues"), column("facility"), column("modules"));
    let list = |cell: Option<&str>| -> Vec<String> {
        cell.unwrap_or_default()
            .split([';', ',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (mut accounts, mut faults) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for (index, row) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let row = match row {
            Ok(row) => row,
            Err(_) => {
                faults.push(ImportFault { line, error: invalid("row", "not a CSV row") });
                continue;
            }
        };
        let cell = |at: Option<usize>| at.and_then(|i| row.get(i));
        let mut roles = Vec::new();
        for raw in list(cell(Some(roles_at))) {
            match Role::parse(&raw) {
                Some(role) => roles.push(role),
                None => faults.push(ImportFault {
                    line,
                    error: invalid("roles", "not a role: trainer, super_user, staff, lead, viewer, admin"),
                }),
            }
        }
        let facility =
            cell(facility_at).map(str::trim).filter(|f| !f.is_empty()).map(|f| FacilityId::new(f.to_lowercase()));
        let new = NewAccount {
            login: cell(Some(login_at)).unwrap_or_default().to_owned(),
            spec: AccountSpec {
                name: cell(Some(name_at)).unwrap_or_default().to_owned(),
                roles,
                queues: list(cell(queues_at)).into_iter().map(QueueId::new).collect(),
                facility,
                modules: list(cell(modules_at)).into_iter().map(ModuleId::new).collect(),
                disabled: false,
            },
            password: None,
        };
        let checked = login_of(&new.login).and_then(|login| {
            if !seen.insert(login.clone()) {
                return Err(invalid("login", "this login is on an earlier row too"));
            }
            check_account(&new.spec.clone().account(login), golive)
        });
        match checked {
            Ok(()) => accounts.push(new),
            Err(error) => faults.push(ImportFault { line, error }),
        }
    }
    if faults.is_empty() { Ok(accounts) } else { Err(faults) }
}
