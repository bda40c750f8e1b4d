//! The administrators' commands, against the same data directory or database as the server,
//! also while it runs:
//! - `floorboard user ...`: accounts (a running server hears a change through the
//!   account-change log within a second: sessions of a disabled account end, and their
//!   sockets close). The work is `auth::accounts`', as for the administrators' HTTP API;
//!   each change is recorded in the audit trail, by the operating-system user, from `cli`.
//! - `floorboard audit verify|export`: the audit trail's hash chain checked, or the trail
//!   as CSV.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use floorboard_shared::access::{AccountSpec, NewAccount, Role};
use floorboard_shared::{FacilityId, GoLive, ModuleId, QueueId};

use crate::audit::AuditEntry;
use crate::auth::accounts;
use crate::config::load_golive;
use crate::store::accounts::AccountStore;
use crate::store::audit::AuditStore;
use crate::store::{PgStore, SqliteStore};

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the go-live's data is, as given to `serve`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// PostgreSQL URL, as given to `serve`.
    #[arg(long, env = "FLOORBOARD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The SQLite data directory, as given to `serve`.
    #[arg(long, env = "FLOORBOARD_DATA_DIR", default_value = "./floorboard-data", global = true)]
    pub data_dir: PathBuf,
    /// The go-live TOML file, as given to `serve` (queues, facilities and modules are
    /// checked against it); the built-in go-live when absent.
    #[arg(long, env = "FLOORBOARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. Without --password-stdin a one-time password is made and printed.
    Add {
        login: String,
        /// Roles: trainer, super_user, staff, lead, viewer, admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The person's name (the login when absent).
        #[arg(long)]
        name: Option<String>,
        /// A queue a staff account works (repeat for several).
        #[arg(long = "queue")]
        queues: Vec<String>,
        /// The account's facility: a trainer's home, or the one a lead or viewer is limited to.
        #[arg(long)]
        facility: Option<String>,
        /// A trainer's Epic module (repeat for several).
        #[arg(long = "module")]
        modules: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Disable an account: its sessions end and their sockets close.
    Disable { login: String },
    /// Enable a disabled account again.
    Enable { login: String },
    /// Set a new password (from standard input, or a printed one-time one); sessions end.
    ResetPassword {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Add the accounts of a CSV file with the columns name, login, roles, queues, facility,
    /// modules; prints each new login with its one-time password. Nothing is added if any
    /// row is at fault.
    Import { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit trail's hash chain: exits non-zero naming the first link that
    /// does not hold (an entry or event edited, deleted or inserted). Prints the head hash:
    /// keep a copy elsewhere to detect the newest links' removal too.
    Verify,
    /// Write every audit entry as CSV (RFC 4180) to standard output.
    Export,
}

/// Both stores the administrators' commands use.
pub trait AdminStore: AccountStore + AuditStore {}
impl<T: AccountStore + AuditStore> AdminStore for T {}

async fn open(args: &StoreArgs) -> anyhow::Result<Arc<dyn AdminStore>> {
    Ok(match &args.database_url {
        Some(url) => Arc::new(PgStore::open(url, 2).await.context("cannot open the PostgreSQL database")?),
        None => {
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
            Arc::new(SqliteStore::open(&args.data_dir).await.context("cannot open the database")?)
        }
    })
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn roles(raw: &[String]) -> anyhow::Result<Vec<Role>> {
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(|r| {
            Role::parse(r)
                .with_context(|| format!("`{r}` is not a role: trainer, super_user, staff, lead, viewer, admin"))
        })
        .collect()
}

fn refused(body: floorboard_shared::ErrorBody) -> anyhow::Error {
    match body.field {
        Some(field) => anyhow::anyhow!("{} ({field}: {})", body.message, body.code.as_str()),
        None => anyhow::anyhow!("{} ({})", body.message, body.code.as_str()),
    }
}

/// An audit entry of a change made here: by the operating-system user, from `cli`.
fn cli_entry(action: &'static str, login: &str) -> AuditEntry {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    AuditEntry::new(action, Some(&format!("os:{user}")), Some(login.to_owned()), Some("cli".into()), "ok")
}

async fn record(store: &dyn AdminStore, entry: AuditEntry) -> anyhow::Result<()> {
    store
        .append_audit(&[entry], &[], time::OffsetDateTime::now_utc())
        .await
        .map(drop)
        .context("cannot write the audit trail")
}

/// Runs a `floorboard audit` command.
pub async fn run_audit(args: AuditArgs) -> anyhow::Result<()> {
    let store = open(&args.store).await?;
    match args.command {
        AuditCommand::Verify => {
            let verified =
                store.verify_audit().await.map_err(|e| anyhow::anyhow!("the audit trail does not hold: {e}"))?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "the audit trail holds: {} links over {} entries and {} events; head {}",
                verified.links, verified.entries, verified.events, verified.head
            )?;
        }
        AuditCommand::Export => {
            let entries = crate::audit::all_entries(&*store).await?;
            crate::audit::write_csv(std::io::stdout().lock(), &entries)?;
        }
    }
    Ok(())
}

/// Runs a `floorboard user` command; what it prints goes to standard output.
#[allow(clippy::print_stdout, reason = "a command-line tool's answer")]
pub async fn run_user(args: UserArgs) -> anyhow::Result<()> {
    let golive = match &args.store.config {
        Some(path) => load_golive(path)?,
        None => GoLive::example(),
    };
    let opened = open(&args.store).await?;
    let store = &*opened;
    let mut out = std::io::stdout().lock();
    let audited = |action: &'static str, login: &str| cli_entry(action, login);
    match args.command {
        UserCommand::Add { login, roles: raw, name, queues, facility, modules, password_stdin } => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let new = NewAccount {
                spec: AccountSpec {
                    name: name.unwrap_or_else(|| login.clone()),
                    roles: roles(&raw)?,
                    queues: queues.into_iter().map(QueueId::new).collect(),
                    facility: facility.map(FacilityId::new),
                    modules: modules.into_iter().map(ModuleId::new).collect(),
                    disabled: false,
                },
                login,
                password,
            };
            let (account, one_time) = accounts::add(store, &golive, new).await.map_err(refused)?;
            record(&*opened, audited("account_add", account.login.as_str())).await?;
            writeln!(out, "added {}", account.login)?;
            if let Some(password) = one_time {
                writeln!(out, "one-time password: {password}")?;
            }
        }
        UserCommand::List => {
            writeln!(
                out,
                "{:<24} {:<28} {:<24} {:<10} {:<24} disabled",
                "login", "name", "roles", "facility", "queues"
            )?;
            for user in store.users().await? {
                let a = user.account;
                let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                let queues: Vec<&str> = a.queues.iter().map(|q| q.as_str()).collect();
                let facility = a.facility.as_ref().map_or("-", |f| f.as_str());
                writeln!(
                    out,
                    "{:<24} {:<28} {:<24} {:<10} {:<24} {}",
                    a.login.as_str(),
                    a.name,
                    roles.join(","),
                    facility,
                    queues.join(","),
                    if a.disabled { "yes" } else { "no" }
                )?;
            }
        }
        UserCommand::Disable { login } => {
            let account = accounts::set_disabled(store, &login, true).await.map_err(refused)?;
            record(&*opened, audited("account_change", account.login.as_str())).await?;
            writeln!(out, "disabled {}; its sessions have ended", account.login)?;
        }
        UserCommand::Enable { login } => {
            let account = accounts::set_disabled(store, &login, false).await.map_err(refused)?;
            record(&*opened, audited("account_change", account.login.as_str())).await?;
            writeln!(out, "enabled {}", account.login)?;
        }
        UserCommand::ResetPassword { login, password_stdin } => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let one_time = accounts::reset_password(store, &login, password).await.map_err(refused)?;
            record(&*opened, audited("password_reset", &login.trim().to_lowercase())).await?;
            writeln!(out, "reset the password of {}; its sessions have ended", login.trim().to_lowercase())?;
            if let Some(password) = one_time {
                writeln!(out, "one-time password: {password}")?;
            }
        }
        UserCommand::Import { file } => {
            let reader = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let new = match accounts::read_import(reader, &golive) {
                Ok(new) => new,
                Err(faults) => {
                    for fault in &faults {
                        let field = fault.error.field.as_deref().unwrap_or("row");
                        eprintln!("{}:{}: {field}: {}", file.display(), fault.line, fault.error.message);
                    }
                    anyhow::bail!("{} rows at fault; no account was added", faults.len());
                }
            };
            let mut taken = Vec::new();
            for account in &new {
                if store.user(&account.login.trim().to_lowercase()).await?.is_some() {
                    taken.push(account.login.trim().to_lowercase());
                }
            }
            if !taken.is_empty() {
                anyhow::bail!("these logins have accounts already: {}; no account was added", taken.join(", "));
            }
            writeln!(out, "login,one_time_password")?;
            for account in new {
                let (account, one_time) = accounts::add(store, &golive, account).await.map_err(refused)?;
                record(&*opened, audited("account_add", account.login.as_str())).await?;
                writeln!(out, "{},{}", account.login, one_time.unwrap_or_default())?;
            }
        }
    }
    Ok(())
}
