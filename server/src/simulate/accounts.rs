//! The simulated trainers' accounts: as the administrator, `simulate` makes (or resets) an
//! account per simulated trainer, up to `MAX_ACCOUNTS` (more trainers share them, round
//! robin: each account costs the server an Argon2 hash and a sign-in), and a lead's for the
//! board watcher, then signs each in. Their passwords are fresh random ones each run.

use anyhow::{Context, bail};
use floorboard_shared::access::{AccountSpec, NewAccount, PasswordReset, Role, SessionInfo, SignIn};

use super::traffic::trainer_name;

/// Most accounts a simulation makes.
pub const MAX_ACCOUNTS: usize = 50;
/// The board watcher's account.
const LEAD: &str = "sim-lead";

/// The sessions a simulation runs with.
pub struct Sessions {
    /// One bearer token per account; trainer `i` uses `trainers[i % trainers.len()]`.
    pub trainers: Vec<String>,
    pub lead: String,
}

impl Sessions {
    /// The token of trainer `index`.
    pub fn trainer(&self, index: usize) -> &str {
        self.trainers.get(index % self.trainers.len().max(1)).map_or("", String::as_str)
    }
}

/// Signs in as the administrator at `base` (an `http://host:port`) and prepares the sessions.
pub async fn prepare(base: &str, admin_login: &str, admin_password: &str, trainers: usize) -> anyhow::Result<Sessions> {
    let http = reqwest::Client::new();
    let admin = sign_in(&http, base, admin_login, admin_password).await.context(
        "cannot sign in as the administrator (--admin-login, --admin-password or FLOORBOARD_ADMIN_PASSWORD)",
    )?;
    let account = |roles: Vec<Role>| AccountSpec {
        name: "Simulated".into(),
        roles,
        queues: vec![],
        facility: None,
        modules: vec![],
        disabled: false,
    };
    let mut tokens = Vec::new();
    for index in 0..trainers.clamp(1, MAX_ACCOUNTS) {
        let login = trainer_name(index);
        tokens.push(ensure(&http, base, &admin, &login, account(vec![Role::Trainer])).await?);
    }
    let lead = ensure(&http, base, &admin, LEAD, account(vec![Role::Lead])).await?;
    Ok(Sessions { trainers: tokens, lead })
}

/// Makes `login` with a fresh password (or resets an existing one's), then signs it in.
async fn ensure(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    login: &str,
    spec: AccountSpec,
) -> anyhow::Result<String> {
    let password = format!("sim-{}", crate::auth::secret::new_token());
    let new = NewAccount { login: login.into(), spec, password: Some(password.clone()) };
    let added = http.post(format!("{base}/api/v1/users")).bearer_auth(admin).json(&new).send().await?;
    match added.status().as_u16() {
        201 => {}
        409 => {
            let reset = PasswordReset { password: Some(password.clone()) };
            let url = format!("{base}/api/v1/users/{login}/password");
            let response = http.post(url).bearer_auth(admin).json(&reset).send().await?;
            if !response.status().is_success() {
                bail!("cannot reset the password of {login}: {}", response.status());
            }
        }
        status => bail!("cannot make the account {login}: {status}"),
    }
    sign_in(http, base, login, &password).await
}

async fn sign_in(http: &reqwest::Client, base: &str, login: &str, password: &str) -> anyhow::Result<String> {
    let request = SignIn { login: login.into(), password: password.into() };
    let response = http.post(format!("{base}/api/v1/sessions")).json(&request).send().await?;
    if response.status() != 201 {
        bail!("signing in as {login} was refused: {}", response.status());
    }
    let info: SessionInfo = response.json().await?;
    info.token.context("the server answered no token")
}
