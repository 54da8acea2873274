//! A fresh PostgreSQL database per test, on the server at `TASKHOST_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the guard goes.
//! A server that cannot be reached fails the test with how to start one: nothing skips.

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists while this value lives.
#[derive(Debug)]
pub struct FreshDatabase {
    server: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl FreshDatabase {
    /// Creates `taskhost_e2e_<random>`.
    ///
    /// # Panics
    /// When the server cannot be reached or refuses.
    pub async fn create() -> Self {
        let server =
            std::env::var("TASKHOST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let mut admin = connect(&server).await;
        let name = format!("taskhost_e2e_{:016x}", rand_u64());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
        let options: PgConnectOptions = server.parse().expect("a PostgreSQL URL");
        let url = options.database(&name).to_url_lossy().to_string();
        Self { server, name, url }
    }

    /// Drops the database (hosts using it must have stopped).
    pub async fn drop_now(self) {
        let mut admin = connect(&self.server).await;
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await;
    }
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url}: {e}. Start it (the CI script does) or set \
             TASKHOST_TEST_POSTGRES_URL; these tests do not skip."
        )
    })
}

fn rand_u64() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    #[allow(clippy::cast_possible_truncation)]
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
    mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
