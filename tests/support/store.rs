//! Where a test server keeps its data: a fresh SQLite directory, or a fresh PostgreSQL
//! database on the machine's server, created for the test and dropped after it. The suite
//! runs on SQLite unless `FLOORBOARD_TEST_DATABASE=postgres`.

use std::path::Path;
use std::sync::Arc;

use sqlx::Connection;
use tempfile::TempDir;

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("FLOORBOARD_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether the suite was asked to run on PostgreSQL.
pub fn postgres_requested() -> bool {
    std::env::var("FLOORBOARD_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A data directory (always: SQLite lives there, PostgreSQL ignores it) and, on
/// PostgreSQL, a database of the test's own. Clones share both; the last drop removes them.
#[derive(Clone)]
pub struct TestStore {
    dir: Arc<TempDir>,
    pub database: Option<Arc<PgDatabase>>,
}

impl TestStore {
    /// The backend the suite runs on.
    pub async fn fresh() -> TestStore {
        if postgres_requested() { Self::postgres().await } else { Self::sqlite() }
    }

    pub fn sqlite() -> TestStore {
        TestStore { dir: Arc::new(TempDir::new().expect("temp dir")), database: None }
    }

    pub async fn postgres() -> TestStore {
        TestStore {
            dir: Arc::new(TempDir::new().expect("temp dir")),
            database: Some(Arc::new(PgDatabase::create().await)),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(|d| d.url.clone())
    }

    /// The audit trail as stored, read and verified beside a running server.
    pub async fn audit(&self) -> Arc<dyn floorboard_server::store::audit::AuditStore> {
        match self.database_url() {
            Some(url) => Arc::new(floorboard_server::store::PgStore::open(&url, 2).await.expect("open PostgreSQL")),
            None => Arc::new(floorboard_server::store::SqliteStore::open(self.data_dir()).await.expect("open SQLite")),
        }
    }

    /// Runs one SQL statement on the database behind the server's back (a tampering test).
    pub async fn execute(&self, sql: &str) {
        match self.database_url() {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sql).execute(&mut conn).await.expect("the statement runs");
            }
            None => {
                let options =
                    floorboard_server::store::SqliteStore::connect_options(&self.data_dir().join("floorboard.db"));
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("connect");
                sqlx::query(sql).execute(&mut conn).await.expect("the statement runs");
            }
        }
    }

    /// Runs a query of (text, integer) rows on the database behind the server's back (a
    /// direct count to hold a computed number to).
    pub async fn pairs(&self, sql: &str) -> Vec<(String, i64)> {
        match self.database_url() {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            None => {
                let options =
                    floorboard_server::store::SqliteStore::connect_options(&self.data_dir().join("floorboard.db"));
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("connect");
                sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    /// The accounts and sessions as stored, read beside a running server as `floorboard
    /// user` reads them.
    pub async fn accounts(&self) -> Arc<dyn floorboard_server::store::accounts::AccountStore> {
        match self.database_url() {
            Some(url) => Arc::new(floorboard_server::store::PgStore::open(&url, 2).await.expect("open PostgreSQL")),
            None => Arc::new(floorboard_server::store::SqliteStore::open(self.data_dir()).await.expect("open SQLite")),
        }
    }
}

/// A PostgreSQL database created for one test, dropped (with its connections) after it.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        let name = format!("floorboard_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("PostgreSQL for tests is reachable");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
        let base = pg_admin_url();
        let server = base.rsplit_once('/').map(|(s, _)| s.to_owned()).expect("URL with a database");
        PgDatabase { url: format!("{server}/{name}"), name }
    }

    /// The URL of this database through another host and port (a proxy in front of it).
    pub fn url_via(&self, addr: std::net::SocketAddr) -> String {
        format!("postgres://postgres@{addr}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async: a small runtime of its own on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}
