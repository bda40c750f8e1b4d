//! Check-ins: who is on which unit since when (`floorboard_shared::coverage`). Each person
//! has at most one open check-in; a new one ends the last. Kept, ended ones included, as the
//! record of who covered which unit when. Rare writes on the read pool, outside the group
//! commit; the SQL is written once (`sql_check_ins!`) for both backends.

use async_trait::async_trait;
use floorboard_shared::coverage::CheckIn;
use floorboard_shared::{FacilityId, ReporterId, UnitId};
use time::OffsetDateTime;

use super::StoreError;

#[async_trait]
pub trait CheckInStore: Send + Sync + 'static {
    /// Ends `check_in.login`'s open check-in, if any, and opens this one, in one transaction.
    async fn check_in(&self, check_in: &CheckIn) -> Result<(), StoreError>;

    /// Ends `login`'s open check-in, if any.
    async fn check_out(&self, login: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    /// The open check-ins of accounts not disabled that began after `since`, at most one per
    /// person.
    async fn open_check_ins(&self, since: OffsetDateTime) -> Result<Vec<CheckIn>, StoreError>;
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckInRow {
    pub login: String,
    pub facility: String,
    pub unit: String,
    pub since: i64,
}

impl TryFrom<CheckInRow> for CheckIn {
    type Error = StoreError;

    fn try_from(r: CheckInRow) -> Result<CheckIn, StoreError> {
        Ok(CheckIn {
            login: ReporterId::parse_owned(r.login).map_err(StoreError::Corrupt)?,
            facility: FacilityId::new(r.facility),
            unit: UnitId::new(r.unit),
            since: super::sql::from_micros(r.since)?,
        })
    }
}

/// Implements `CheckInStore` for `$store` (with `pool: sqlx::Pool<$db>`).
macro_rules! sql_check_ins {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn end_check_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                login: &str,
                at: time::OffsetDateTime,
            ) -> Result<(), $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE check_ins SET ended_at = ");
                q.push_bind($crate::store::sql::micros(at))
                    .push(" WHERE ended_at IS NULL AND login = ")
                    .push_bind(login.to_owned());
                q.build().execute(&mut *conn).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::check_ins::CheckInStore for $store {
            async fn check_in(
                &self,
                c: &floorboard_shared::coverage::CheckIn,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                Self::end_check_in(&mut tx, c.login.as_str(), c.since).await?;
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO check_ins (login, facility, unit, since) VALUES (");
                q.separated(", ")
                    .push_bind(c.login.to_string())
                    .push_bind(c.facility.to_string())
                    .push_bind(c.unit.to_string())
                    .push_bind($crate::store::sql::micros(c.since));
                q.push(")").build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn check_out(&self, login: &str, at: time::OffsetDateTime) -> Result<(), $crate::store::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::end_check_in(&mut conn, login, at).await
            }

            async fn open_check_ins(
                &self,
                since: time::OffsetDateTime,
            ) -> Result<Vec<floorboard_shared::coverage::CheckIn>, $crate::store::StoreError> {
                use $crate::store::check_ins::CheckInRow;
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT login, facility, unit, since FROM check_ins WHERE ended_at IS NULL \
                     AND login IN (SELECT login FROM users WHERE NOT disabled) AND since > ",
                );
                q.push_bind($crate::store::sql::micros(since)).push(" ORDER BY login");
                q.build_query_as::<CheckInRow>()
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(floorboard_shared::coverage::CheckIn::try_from)
                    .collect()
            }
        }
    };
}

pub(super) use sql_check_ins;
