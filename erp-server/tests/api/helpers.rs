//! Starting the real server on a free port against a fresh database, and talking to it over HTTP
//! like any client.

use std::time::Duration;

use erp_core::domain::{NewUser, Password, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_server::app::{RunningServer, spawn};
use erp_server::config::ServeArgs;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// The databases the API tests run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
    /// A database on a Galera cluster, reachable through every node.
    Galera,
}

pub const PASSWORD: &str = "a long enough password";

/// `ERP_TEST_MYSQL_URL`, or `None` (counted as skipped) when MySQL tests are to be skipped.
pub fn mysql_url() -> Option<String> {
    erp_test_services::mysql_url()
}

/// `ERP_TEST_REDIS_URL`, or `None` (counted as skipped) when Redis tests are to be skipped.
pub fn redis_url() -> Option<String> {
    erp_test_services::redis_url()
}

/// The nodes of `ERP_TEST_GALERA_URLS` (comma-separated), or `None` (counted as skipped) when the
/// cluster tests are to be skipped; `.ci/galera ci` sets `ERP_REQUIRE_GALERA=1`.
pub fn galera_urls() -> Option<Vec<String>> {
    erp_test_services::galera_urls()
}

/// A loopback port on which nothing listens and which no other test can take while the returned
/// socket lives: bound but never listening, so every connection to it is refused. Binding a
/// listener and dropping it frees the port, and a parallel test's listener could then answer.
pub fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// A unique name for a database or a Redis prefix.
pub fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

/// A fresh database: its URL and how to remove it.
pub struct TestDatabase {
    pub url: String,
    /// The database's URL on every node of a cluster; just `url` elsewhere.
    pub nodes: Vec<String>,
    _dir: Option<tempfile::TempDir>,
    mysql: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("erp.db").display());
                Some(TestDatabase {
                    nodes: vec![url.clone()],
                    url,
                    _dir: Some(dir),
                    mysql: None,
                })
            }
            Backend::Mysql | Backend::Galera => {
                use sqlx::Connection;
                let servers = match backend {
                    Backend::Galera => galera_urls()?,
                    _ => vec![mysql_url()?],
                };
                let server = servers[0].clone();
                let name = unique("erp_api");
                let mut conn = sqlx::mysql::MySqlConnection::connect(&server)
                    .await
                    .unwrap();
                sqlx::raw_sql(&format!("CREATE DATABASE `{name}`"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let on_server = |server: &str| {
                    let root = server.split('?').next().unwrap_or(server);
                    let root = root.rsplit_once('/').map_or(root, |(r, _)| r);
                    format!("{root}/{name}")
                };
                Some(TestDatabase {
                    url: on_server(&server),
                    nodes: servers.iter().map(|s| on_server(s)).collect(),
                    _dir: None,
                    mysql: Some((server, name)),
                })
            }
        }
    }

    /// Waits until every node of a cluster has applied every transaction committed so far (a
    /// node applies the others' commits asynchronously): until each node's
    /// `wsrep_last_committed`, a cluster-wide sequence number, reaches the highest reported.
    pub async fn sync_nodes(&self) {
        use sqlx::Connection;
        if self.nodes.len() < 2 {
            return;
        }
        let mut conns = Vec::new();
        for node in &self.nodes {
            // Without the database, which may be the very thing a node has yet to create.
            let server = node
                .rsplit_once('/')
                .map_or(node.as_str(), |(root, _)| root);
            conns.push(
                sqlx::mysql::MySqlConnection::connect(&format!("{server}/"))
                    .await
                    .unwrap(),
            );
        }
        let mut seen = Vec::new();
        for conn in &mut conns {
            seen.push(last_committed(conn).await);
        }
        let target = seen.into_iter().max().unwrap_or(0);
        for conn in &mut conns {
            for waited in 0.. {
                if last_committed(conn).await >= target {
                    break;
                }
                assert!(waited < 3000, "a node did not catch up within 30 s");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }

    pub async fn remove(&self) {
        if let Some((server, name)) = &self.mysql {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::mysql::MySqlConnection::connect(server).await {
                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

async fn last_committed(conn: &mut sqlx::MySqlConnection) -> u64 {
    let (_, value): (String, String) =
        sqlx::query_as("SHOW GLOBAL STATUS LIKE 'wsrep_last_committed'")
            .fetch_one(conn)
            .await
            .unwrap();
    value.parse().unwrap()
}

/// The server under test, an admin to drive it, and a client.
pub struct TestApp {
    pub server: Option<RunningServer>,
    pub url: String,
    pub erp: Erp,
    pub client: Client,
    pub admin_token: String,
    pub db: TestDatabase,
}

/// Starts the server with default test settings.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, ServeArgs::for_tests()).await
}

/// Starts the server with `args` (tests lower the rate limits, add Redis...).
pub async fn spawn_app_with(backend: Backend, args: ServeArgs) -> Option<TestApp> {
    let db = TestDatabase::new(backend).await?;
    let options = ConnectOptions {
        max_connections: 40,
        acquire_timeout: Duration::from_secs(30),
        ..ConnectOptions::default()
    };
    let url = db.url.clone();
    Some(spawn_app_on(db, &url, &options, args).await)
}

/// Starts the server on `db` reached through `url` (a proxy in front of it, say), opened with
/// `options`.
pub async fn spawn_app_on(
    db: TestDatabase,
    url: &str,
    options: &ConnectOptions,
    args: ServeArgs,
) -> TestApp {
    let erp = Erp::connect(url, options).await.unwrap();
    erp.create_user(
        &Actor::system(),
        NewUser {
            username: Username::parse("root").unwrap(),
            password: Password::new(PASSWORD).unwrap(),
            role: Role::Admin,
        },
    )
    .await
    .unwrap();
    let server = spawn(args, erp.clone()).await.unwrap();
    let url = server.url();
    let client = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut app = TestApp {
        server: Some(server),
        url,
        erp,
        client,
        admin_token: String::new(),
        db,
    };
    app.admin_token = app.login("root", PASSWORD).await;
    app
}

impl TestApp {
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
        self.db.remove().await;
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.url));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends JSON as `token` and returns status and body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = self.request(method, path, token);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        read(builder.send().await.unwrap()).await
    }

    /// As the admin.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, Some(&self.admin_token), body).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/jwt/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Registers a user with `role` (as the admin) and logs them in.
    pub async fn user(&self, username: &str, role: &str) -> String {
        let (status, body) = self
            .admin(
                Method::POST,
                "/api/v1/auth/register",
                Some(json!({"username": username, "password": PASSWORD, "role": role})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(username, PASSWORD).await
    }

    pub async fn product(&self, sku: &str, price: &str, stock: i64) -> Value {
        let (status, body) = self
            .admin(
                Method::POST,
                "/api/v1/products",
                Some(
                    json!({"sku": sku, "name": format!("Product {sku}"), "price": price,
                            "initial_stock": stock, "reorder_level": 2}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn customer(&self, name: &str) -> i64 {
        let (status, body) = self
            .admin(
                Method::POST,
                "/api/v1/customers",
                Some(
                    json!({"name": name, "email": format!("{}@example.com", name.to_lowercase())}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Places an order with `key` as `token`; returns the raw response.
    pub async fn order(
        &self,
        token: &str,
        customer: i64,
        lines: &[(&str, i64)],
        key: &str,
    ) -> Response {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
            .collect();
        self.request(Method::POST, "/api/v1/orders", Some(token))
            .header("Idempotency-Key", key)
            .json(&json!({"customer_id": customer, "lines": lines}))
            .send()
            .await
            .unwrap()
    }

    pub async fn stock(&self, product_id: i64) -> (i64, i64) {
        let (status, body) = self
            .admin(Method::GET, &format!("/api/v1/products/{product_id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        (
            body["on_hand"].as_i64().unwrap(),
            body["reserved"].as_i64().unwrap(),
        )
    }

    pub async fn assert_consistent(&self) {
        let found = self.erp.check_invariants(&Actor::system()).await.unwrap();
        assert!(found.is_empty(), "{found:#?}");
    }
}

/// Status and JSON body (Null when empty).
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts a problem response: status, `code`, and the problem content type.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (actual, body) = read(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(content_type, "application/problem+json");
    body
}
