//! Shared set-up for the end-to-end tests: a fresh database of each kind, named so tests can run
//! in parallel, and the rule for services that are not configured.

use sqlx::Connection;

/// The test password of every user the tests make.
pub const PASSWORD: &str = "a long enough password";

/// `ERP_TEST_MYSQL_URL`, or `None` after saying the test is skipped. With
/// `ERP_REQUIRE_SERVICES=1` a missing URL is a failure instead.
pub fn mysql_server_url() -> Option<String> {
    erp_test_services::mysql_url()
}

/// A database that exists for one test.
pub struct TestDatabase {
    /// What `Erp::connect` takes.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    mysql: Option<(String, String)>,
}

impl TestDatabase {
    /// A SQLite file in a temporary directory.
    pub fn sqlite() -> std::io::Result<TestDatabase> {
        let dir = tempfile::tempdir()?;
        Ok(TestDatabase {
            url: format!("sqlite://{}", dir.path().join("erp.db").display()),
            _dir: Some(dir),
            mysql: None,
        })
    }

    /// A new, empty database on the MySQL server of `ERP_TEST_MYSQL_URL`, or `None` when that is
    /// not set.
    pub async fn mysql() -> Result<Option<TestDatabase>, sqlx::Error> {
        let Some(server) = mysql_server_url() else {
            return Ok(None);
        };
        let name = unique_name("erp_e2e");
        let mut conn = sqlx::mysql::MySqlConnection::connect(&server).await?;
        sqlx::raw_sql(&format!("CREATE DATABASE `{name}`"))
            .execute(&mut conn)
            .await?;
        let base = server.split('?').next().unwrap_or(&server);
        let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
        Ok(Some(TestDatabase {
            url: format!("{root}/{name}"),
            _dir: None,
            mysql: Some((server, name)),
        }))
    }

    /// Drops a MySQL database (a SQLite file goes with its directory).
    pub async fn remove(self) {
        if let Some((server, name)) = &self.mysql
            && let Ok(mut conn) = sqlx::mysql::MySqlConnection::connect(server).await
        {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// `prefix_` and 16 random hex digits.
pub fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    // Without randomness, fall back to the clock: names only need to differ between tests.
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}
