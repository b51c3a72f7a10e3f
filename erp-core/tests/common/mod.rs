//! Test databases for every backend: a fresh, empty store per test.
//!
//! - memory: a new `MemoryStore`;
//! - SQLite: a file in a new temporary directory (removed afterwards);
//! - MySQL: a new database named `erp_t_<random>` on the server of `ERP_TEST_MYSQL_URL`, dropped
//!   afterwards, so tests run in parallel without seeing each other. Unset variable: the test is
//!   skipped, unless `ERP_REQUIRE_SERVICES=1`, which makes a missing service a failure.
//! - Galera: the same on a cluster whose nodes `ERP_TEST_GALERA_URLS` lists (comma-separated),
//!   created through the first node and reachable through every node; skipped when unset unless
//!   `ERP_REQUIRE_GALERA=1` (set by `.ci/galera ci`, the only place a cluster runs).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::panic::AssertUnwindSafe;

use erp_core::{ConnectOptions, Erp};
use futures::FutureExt;

/// The backends the suites run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
    Mysql,
    Galera,
}

/// A fresh database and how to remove it.
pub struct TestDb {
    pub erp: Erp,
    pub url: String,
    /// The database's URL on every node of the cluster; just `url` on the other backends.
    pub nodes: Vec<String>,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Nothing,
    TempDir(#[allow(dead_code)] tempfile::TempDir),
    DropMysql {
        server_url: String,
        database: String,
    },
}

/// `ERP_TEST_MYSQL_URL`, or `None` (counted as skipped) when the test should be skipped.
pub fn mysql_url() -> Option<String> {
    erp_test_services::mysql_url()
}

/// The nodes of `ERP_TEST_GALERA_URLS`, or `None` (after saying so) when the test should be
/// skipped.
pub fn galera_urls() -> Option<Vec<String>> {
    erp_test_services::galera_urls()
}

/// Waits until every node has applied the transactions the cluster committed before the call:
/// until each node's `wsrep_last_committed` (a cluster-wide sequence number) reaches the highest
/// any node reported.
pub async fn sync_galera_nodes(nodes: &[String]) {
    use sqlx::Connection;
    async fn last_committed(conn: &mut sqlx::MySqlConnection) -> u64 {
        let (_, value): (String, String) =
            sqlx::query_as("SHOW GLOBAL STATUS LIKE 'wsrep_last_committed'")
                .fetch_one(conn)
                .await
                .unwrap();
        value.parse().unwrap()
    }
    let mut conns = Vec::new();
    for node in nodes {
        // Without the database, which may be the very thing a node has yet to create.
        let server = with_database(node, "");
        conns.push(
            sqlx::mysql::MySqlConnection::connect(&server)
                .await
                .unwrap(),
        );
    }
    let mut target = 0;
    for conn in &mut conns {
        target = target.max(last_committed(conn).await);
    }
    for conn in &mut conns {
        let mut waited = 0;
        while last_committed(conn).await < target {
            waited += 1;
            assert!(waited < 3000, "a node did not catch up within 30 s");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// The URL of the same server with another database.
pub fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{root}/{database}{query}")
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}_{:016x}", fastrand_u64())
}

fn fastrand_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.finish()
}

/// Creates an empty MySQL database and returns its URL.
pub async fn create_mysql_database(server_url: &str) -> (String, String) {
    use sqlx::Connection;
    let database = random_name("erp_t");
    let mut conn = sqlx::mysql::MySqlConnection::connect(server_url)
        .await
        .expect("connect to ERP_TEST_MYSQL_URL");
    sqlx::raw_sql(&format!(
        "CREATE DATABASE `{database}` CHARACTER SET utf8mb4"
    ))
    .execute(&mut conn)
    .await
    .expect("create test database");
    conn.close().await.ok();
    (with_database(server_url, &database), database)
}

/// Drops a database made by [`create_mysql_database`].
pub async fn drop_mysql_database(server_url: &str, database: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::mysql::MySqlConnection::connect(server_url).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{database}`"))
            .execute(&mut conn)
            .await;
        conn.close().await.ok();
    }
}

/// Opens a fresh database on `backend`; `None` when the backend's service is not configured.
pub async fn open(backend: Backend, options: &ConnectOptions) -> Option<TestDb> {
    match backend {
        Backend::Memory => Some(TestDb {
            erp: Erp::connect("memory", options).await.unwrap(),
            url: "memory".into(),
            nodes: vec!["memory".into()],
            backend,
            cleanup: Cleanup::Nothing,
        }),
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("erp.db").display());
            let erp = Erp::connect(&url, options).await.unwrap();
            Some(TestDb {
                erp,
                nodes: vec![url.clone()],
                url,
                backend,
                cleanup: Cleanup::TempDir(dir),
            })
        }
        Backend::Mysql => {
            let server_url = mysql_url()?;
            let (url, database) = create_mysql_database(&server_url).await;
            let erp = Erp::connect(&url, options).await.unwrap();
            Some(TestDb {
                erp,
                nodes: vec![url.clone()],
                url,
                backend,
                cleanup: Cleanup::DropMysql {
                    server_url,
                    database,
                },
            })
        }
        Backend::Galera => {
            let servers = galera_urls()?;
            // DDL replicates to every node (in total order) before CREATE DATABASE returns.
            let (url, database) = create_mysql_database(&servers[0]).await;
            let erp = Erp::connect(&url, options).await.unwrap();
            Some(TestDb {
                erp,
                nodes: servers
                    .iter()
                    .map(|server| with_database(server, &database))
                    .collect(),
                url,
                backend,
                cleanup: Cleanup::DropMysql {
                    server_url: servers[0].clone(),
                    database,
                },
            })
        }
    }
}

impl TestDb {
    /// The database's URL on node `i` (round robin over the nodes).
    pub fn node(&self, i: usize) -> &str {
        &self.nodes[i % self.nodes.len()]
    }

    /// One `Erp` per node (the test's own `erp` where there is one node), so that tasks spread
    /// over them put their connections on different nodes.
    pub async fn erps(&self, options: &ConnectOptions) -> Vec<Erp> {
        if self.nodes.len() == 1 {
            return vec![self.erp.clone()];
        }
        let mut erps = Vec::new();
        for node in &self.nodes {
            erps.push(Erp::connect(node, options).await.unwrap());
        }
        erps
    }

    /// Waits until every node has applied every transaction committed so far (Galera applies
    /// other nodes' transactions asynchronously), so that reads on any node see all of them.
    pub async fn sync_nodes(&self) {
        if self.backend == Backend::Galera {
            sync_galera_nodes(&self.nodes).await;
        }
    }

    /// Removes the database.
    pub async fn remove(self) {
        if let Cleanup::DropMysql {
            server_url,
            database,
        } = &self.cleanup
        {
            drop_mysql_database(server_url, database).await;
        }
    }
}

/// Runs `test` on a fresh database of `backend` and removes the database afterwards, even when
/// the test fails.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Erp) -> Fut,
    Fut: Future<Output = ()>,
{
    let options = ConnectOptions {
        max_connections: 8,
        ..ConnectOptions::default()
    };
    let Some(db) = open(backend, &options).await else {
        return;
    };
    let cleanup = match &db.cleanup {
        Cleanup::DropMysql {
            server_url,
            database,
        } => Some((server_url.clone(), database.clone())),
        _ => None,
    };
    let outcome = AssertUnwindSafe(test(db.erp.clone())).catch_unwind().await;
    match outcome {
        Ok(()) => db.remove().await,
        Err(panic) => {
            if let Some((server_url, database)) = cleanup {
                drop_mysql_database(&server_url, &database).await;
            }
            std::panic::resume_unwind(panic);
        }
    }
}
