//! Accounts, sessions and the log of account changes: the storage `auth` decides with. Rare
//! writes (a sign-in, a sign-out, an administrator's change) on the read pool, outside the
//! group commit; the SQL is written once (`sql_accounts!`) for both backends.

use async_trait::async_trait;
use floorboard_shared::access::{Account, Reach, Role};
use floorboard_shared::{FacilityId, ModuleId, QueueId, ReporterId};
use time::OffsetDateTime;

use super::StoreError;

/// An account as stored: what the API shows, and the password's Argon2id PHC string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub account: Account,
    pub password_hash: String,
}

/// A session as stored. Its token is never stored: `token_hash` is the hex of its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub login: ReporterId,
    pub reach: Reach,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// The PIN's Argon2id PHC string, if one is set.
    pub pin_hash: Option<String>,
    /// Locked after its idle limit: only its PIN (or signing out) opens it again.
    pub locked: bool,
}

/// One entry of the account-change log: a session ended (`token_hash`), or an account
/// changed (`None`: every session of the login is to be read again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChange {
    pub seq: i64,
    pub login: String,
    pub token_hash: Option<String>,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// The account with this login.
    async fn user(&self, login: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Every account, by login.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;

    /// How many accounts hold the administrator role and are not disabled.
    async fn active_admins(&self) -> Result<u64, StoreError>;

    /// Adds an account; false if the login is taken (nothing is written).
    async fn add_user(&self, user: &UserRecord, at: OffsetDateTime) -> Result<bool, StoreError>;

    /// Replaces an account (by its login) and logs the change, so every node drops its
    /// sessions' cached roles (and, if disabled, the sessions); false if there is none.
    /// With `end_sessions`, the account's sessions end too (a reset password).
    async fn update_user(&self, user: &UserRecord, end_sessions: bool, at: OffsetDateTime) -> Result<bool, StoreError>;

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;

    /// A session that has not ended, with its account.
    async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>, StoreError>;

    /// The wall displays' sessions that have not ended or expired at `now`, oldest first.
    async fn display_sessions(&self, now: OffsetDateTime) -> Result<Vec<SessionRecord>, StoreError>;

    /// Sets a session's PIN (an Argon2id PHC string).
    async fn set_pin(&self, token_hash: &str, pin_hash: &str) -> Result<(), StoreError>;

    /// Locks a session (its idle limit passed) and logs it, so every node drops it and
    /// closes its sockets; or unlocks it (its PIN was given), clearing the failures (nothing
    /// to log: no node holds a locked session).
    async fn set_locked(
        &self,
        token_hash: &str,
        login: &str,
        locked: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Counts a wrong PIN for a session; answers the failures in a row.
    async fn pin_failed(&self, token_hash: &str) -> Result<i64, StoreError>;

    /// Ends a session and logs it, so every node closes its sockets.
    async fn end_session(&self, token_hash: &str, login: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    /// Records when sessions were last active on this node (token hash, time): a later time
    /// than the row's replaces it.
    async fn record_activity(&self, seen: &[(String, OffsetDateTime)]) -> Result<(), StoreError>;

    /// When a session was last active on any node, as the nodes recorded it.
    async fn last_active(&self, token_hash: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    /// The account changes after `seq`, oldest first.
    async fn account_changes_after(&self, seq: i64) -> Result<Vec<AccountChange>, StoreError>;

    /// The last account change (0 before the first): where a node starts following.
    async fn last_account_change(&self) -> Result<i64, StoreError>;
}

/// The columns of `users`, in the order `UserRow` reads them.
pub(super) const USER_COLUMNS: &str =
    "login, name, roles, queues, facility, modules, password_hash, disabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub login: String,
    pub name: String,
    pub roles: String,
    pub queues: String,
    pub facility: Option<String>,
    pub modules: String,
    pub password_hash: String,
    pub disabled: bool,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<UserRecord, StoreError> {
        let login = ReporterId::parse_owned(r.login).map_err(StoreError::Corrupt)?;
        Ok(UserRecord {
            account: Account {
                login,
                name: r.name,
                roles: serde_json::from_str::<Vec<Role>>(&r.roles)?,
                queues: serde_json::from_str::<Vec<QueueId>>(&r.queues)?,
                facility: r.facility.map(FacilityId::new),
                modules: serde_json::from_str::<Vec<ModuleId>>(&r.modules)?,
                disabled: r.disabled,
            },
            password_hash: r.password_hash,
        })
    }
}

/// A `users` row's values but its password and times, in `USER_COLUMNS`' order: login, name,
/// roles, queues, facility, modules.
pub(super) type UserValues = (String, String, String, String, Option<String>, String);

pub(super) fn user_values(u: &UserRecord) -> Result<UserValues, StoreError> {
    let a = &u.account;
    Ok((
        a.login.to_string(),
        a.name.clone(),
        serde_json::to_string(&a.roles).map_err(|e| StoreError::Rejected(e.to_string()))?,
        serde_json::to_string(&a.queues).map_err(|e| StoreError::Rejected(e.to_string()))?,
        a.facility.as_ref().map(ToString::to_string),
        serde_json::to_string(&a.modules).map_err(|e| StoreError::Rejected(e.to_string()))?,
    ))
}

/// The columns of `sessions`, in the order `SessionRow` reads them.
pub(super) const SESSION_COLUMNS: &str = "token_hash, login, reach, created_at, expires_at, pin_hash, locked_at";

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    pub token_hash: String,
    pub login: String,
    pub reach: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub pin_hash: Option<String>,
    pub locked_at: Option<i64>,
}

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<SessionRecord, StoreError> {
        Ok(SessionRecord {
            token_hash: r.token_hash,
            login: ReporterId::parse_owned(r.login).map_err(StoreError::Corrupt)?,
            reach: serde_json::from_str(&r.reach)?,
            created_at: super::sql::from_micros(r.created_at)?,
            expires_at: super::sql::from_micros(r.expires_at)?,
            pin_hash: r.pin_hash,
            locked: r.locked_at.is_some(),
        })
    }
}

/// Implements `AccountStore` for `$store` (with `pool: sqlx::Pool<$db>` and an
/// `announce_account_change(conn)` of its own: PostgreSQL NOTIFYs the other nodes).
macro_rules! sql_accounts {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn log_account_change(
                conn: &mut <$db as sqlx::Database>::Connection,
                login: &str,
                token_hash: Option<&str>,
                at: time::OffsetDateTime,
            ) -> Result<(), $crate::store::StoreError> {
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO account_changes (login, token_hash, at) VALUES (");
                q.separated(", ")
                    .push_bind(login.to_owned())
                    .push_bind(token_hash.map(str::to_owned))
                    .push_bind($crate::store::sql::micros(at));
                q.push(")").build().execute(&mut *conn).await?;
                Self::announce_account_change(conn).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::accounts::AccountStore for $store {
            async fn user(
                &self,
                login: &str,
            ) -> Result<Option<$crate::store::accounts::UserRecord>, $crate::store::StoreError> {
                use $crate::store::accounts::*;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {USER_COLUMNS} FROM users WHERE login = "));
                q.push_bind(login.to_owned());
                q.build_query_as::<UserRow>().fetch_optional(&self.pool).await?.map(UserRecord::try_from).transpose()
            }

            async fn users(&self) -> Result<Vec<$crate::store::accounts::UserRecord>, $crate::store::StoreError> {
                use $crate::store::accounts::*;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {USER_COLUMNS} FROM users ORDER BY login"));
                q.build_query_as::<UserRow>()
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(UserRecord::try_from)
                    .collect()
            }

            async fn active_admins(&self) -> Result<u64, $crate::store::StoreError> {
                let n: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE NOT disabled AND roles LIKE '%\"admin\"%'")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(n as u64)
            }

            async fn add_user(
                &self,
                user: &$crate::store::accounts::UserRecord,
                at: time::OffsetDateTime,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::accounts::*;
                let (login, name, roles, queues, facility, modules) = user_values(user)?;
                let at = $crate::store::sql::micros(at);
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO users ({USER_COLUMNS}) VALUES ("));
                q.separated(", ")
                    .push_bind(login)
                    .push_bind(name)
                    .push_bind(roles)
                    .push_bind(queues)
                    .push_bind(facility)
                    .push_bind(modules)
                    .push_bind(user.password_hash.clone())
                    .push_bind(user.account.disabled)
                    .push_bind(at)
                    .push_bind(at);
                q.push(") ON CONFLICT (login) DO NOTHING");
                Ok(q.build().execute(&self.pool).await?.rows_affected() == 1)
            }

            async fn update_user(
                &self,
                user: &$crate::store::accounts::UserRecord,
                end_sessions: bool,
                at: time::OffsetDateTime,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::accounts::*;
                let (login, name, roles, queues, facility, modules) = user_values(user)?;
                let micros = $crate::store::sql::micros(at);
                let mut tx = self.pool.begin().await?;
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE users SET name = ");
                q.push_bind(name)
                    .push(", roles = ")
                    .push_bind(roles)
                    .push(", queues = ")
                    .push_bind(queues)
                    .push(", facility = ")
                    .push_bind(facility)
                    .push(", modules = ")
                    .push_bind(modules)
                    .push(", password_hash = ")
                    .push_bind(user.password_hash.clone())
                    .push(", disabled = ")
                    .push_bind(user.account.disabled)
                    .push(", updated_at = ")
                    .push_bind(micros)
                    .push(" WHERE login = ")
                    .push_bind(login.clone());
                if q.build().execute(&mut *tx).await?.rows_affected() == 0 {
                    return Ok(false);
                }
                if end_sessions || user.account.disabled {
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE sessions SET ended_at = ");
                    q.push_bind(micros).push(" WHERE ended_at IS NULL AND login = ").push_bind(login.clone());
                    q.build().execute(&mut *tx).await?;
                }
                Self::log_account_change(&mut tx, &login, None, at).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn create_session(
                &self,
                s: &$crate::store::accounts::SessionRecord,
            ) -> Result<(), $crate::store::StoreError> {
                let reach =
                    serde_json::to_string(&s.reach).map_err(|e| $crate::store::StoreError::Rejected(e.to_string()))?;
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO sessions (token_hash, login, reach, created_at, expires_at) VALUES (",
                );
                q.separated(", ")
                    .push_bind(s.token_hash.clone())
                    .push_bind(s.login.to_string())
                    .push_bind(reach)
                    .push_bind($crate::store::sql::micros(s.created_at))
                    .push_bind($crate::store::sql::micros(s.expires_at));
                q.push(")").build().execute(&self.pool).await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
            ) -> Result<
                Option<($crate::store::accounts::SessionRecord, $crate::store::accounts::UserRecord)>,
                $crate::store::StoreError,
            > {
                use $crate::store::accounts::*;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE ended_at IS NULL AND token_hash = "
                ));
                q.push_bind(token_hash.to_owned());
                let Some(row) = q.build_query_as::<SessionRow>().fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let session = SessionRecord::try_from(row)?;
                let Some(user) = self.user(session.login.as_str()).await? else {
                    return Ok(None);
                };
                Ok(Some((session, user)))
            }

            async fn display_sessions(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<Vec<$crate::store::accounts::SessionRecord>, $crate::store::StoreError> {
                use $crate::store::accounts::*;
                // A person's session is `{"kind":"session"}`; every other reach is a display's.
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions \
                     WHERE ended_at IS NULL AND reach LIKE '%\"display\"%' AND expires_at > "
                ));
                q.push_bind($crate::store::sql::micros(now)).push(" ORDER BY created_at");
                let rows = q.build_query_as::<SessionRow>().fetch_all(&self.pool).await?;
                rows.into_iter().map(SessionRecord::try_from).collect()
            }

            async fn set_pin(&self, token_hash: &str, pin_hash: &str) -> Result<(), $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE sessions SET pin_hash = ");
                q.push_bind(pin_hash.to_owned())
                    .push(", pin_failures = 0 WHERE ended_at IS NULL AND token_hash = ")
                    .push_bind(token_hash.to_owned());
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn set_locked(
                &self,
                token_hash: &str,
                login: &str,
                locked: bool,
                at: time::OffsetDateTime,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE sessions SET locked_at = ");
                q.push_bind(locked.then(|| $crate::store::sql::micros(at)))
                    .push(", pin_failures = 0 WHERE ended_at IS NULL AND token_hash = ")
                    .push_bind(token_hash.to_owned());
                // Only a lock is told to the other nodes (they drop the session); an unlocked
                // session is read again from here wherever it is next used.
                if q.build().execute(&mut *tx).await?.rows_affected() > 0 && locked {
                    Self::log_account_change(&mut tx, login, Some(token_hash), at).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn pin_failed(&self, token_hash: &str) -> Result<i64, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "UPDATE sessions SET pin_failures = pin_failures + 1 WHERE token_hash = ",
                );
                q.push_bind(token_hash.to_owned()).push(" RETURNING pin_failures");
                let failures: i32 = q.build_query_scalar().fetch_one(&self.pool).await?;
                Ok(i64::from(failures))
            }

            async fn end_session(
                &self,
                token_hash: &str,
                login: &str,
                at: time::OffsetDateTime,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE sessions SET ended_at = ");
                q.push_bind($crate::store::sql::micros(at))
                    .push(" WHERE ended_at IS NULL AND token_hash = ")
                    .push_bind(token_hash.to_owned());
                if q.build().execute(&mut *tx).await?.rows_affected() > 0 {
                    Self::log_account_change(&mut tx, login, Some(token_hash), at).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record_activity(
                &self,
                seen: &[(String, time::OffsetDateTime)],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for (token_hash, at) in seen {
                    let at = $crate::store::sql::micros(*at);
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE sessions SET last_active = ");
                    q.push_bind(at)
                        .push(" WHERE token_hash = ")
                        .push_bind(token_hash.clone())
                        .push(" AND (last_active IS NULL OR last_active < ")
                        .push_bind(at)
                        .push(")");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn last_active(
                &self,
                token_hash: &str,
            ) -> Result<Option<time::OffsetDateTime>, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT last_active FROM sessions WHERE token_hash = ");
                q.push_bind(token_hash.to_owned());
                let at: Option<Option<i64>> = q.build_query_scalar().fetch_optional(&self.pool).await?;
                at.flatten().map($crate::store::sql::from_micros).transpose()
            }

            async fn account_changes_after(
                &self,
                seq: i64,
            ) -> Result<Vec<$crate::store::accounts::AccountChange>, $crate::store::StoreError> {
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("SELECT seq, login, token_hash FROM account_changes WHERE seq > ");
                q.push_bind(seq).push(" ORDER BY seq LIMIT 10000");
                let rows: Vec<(i64, String, Option<String>)> = q.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|(seq, login, token_hash)| $crate::store::accounts::AccountChange { seq, login, token_hash })
                    .collect())
            }

            async fn last_account_change(&self) -> Result<i64, $crate::store::StoreError> {
                let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM account_changes")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(seq)
            }
        }
    };
}

pub(super) use sql_accounts;
