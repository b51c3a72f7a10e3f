//! The till and the REST server on one database, each with its own connection pool as they would
//! be in two processes: a sale made at the till is read and moved through the API, an order made
//! through the API shows up at the till, and a move made at the till is what the API reports.
//! Runs on SQLite and, when `ERP_TEST_MYSQL_URL` is set, on MySQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::KeyCode;
use erp_core::domain::{Password, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_e2e::{PASSWORD, TestDatabase};
use erp_server::config::ServeArgs;
use erp_tui::harness::Harness;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

struct Api {
    client: Client,
    base: String,
    token: String,
}

impl Api {
    async fn login(base: String) -> Api {
        let client = Client::new();
        let response = client
            .post(format!("{base}/api/v1/auth/jwt/login"))
            .json(&json!({"username": "root", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_string();
        Api {
            client,
            base,
            token,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// `(on_hand, reserved)` of the product with `sku`.
    async fn stock(&self, sku: &str) -> (i64, i64) {
        let page = self.get(&format!("/products?q={sku}")).await;
        let product = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sku"] == sku)
            .unwrap_or_else(|| panic!("{sku} in {page}"));
        (
            product["on_hand"].as_i64().unwrap(),
            product["reserved"].as_i64().unwrap(),
        )
    }
}

fn assert_shows(screen: &str, expected: &[&str]) {
    for text in expected {
        assert!(screen.contains(text), "expected {text:?} on:\n{screen}");
    }
}

async fn till_and_api_share_one_database(url: &str) {
    // The server's process: its own pool, the first admin and the demo catalogue.
    let server_erp = Erp::connect(url, &ConnectOptions::default()).await.unwrap();
    let root = server_erp
        .bootstrap_admin(
            Username::parse("root").unwrap(),
            Password::new(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    server_erp.seed_demo(&Actor::system()).await.unwrap();
    let server = erp_server::app::spawn(ServeArgs::for_tests(), server_erp.clone())
        .await
        .unwrap();
    let api = Api::login(server.url()).await;

    // The till's process: another pool on the same database.
    let till_erp = Erp::connect(url, &ConnectOptions::default()).await.unwrap();
    let mut till = Harness::start(till_erp.clone(), None, 80, 24)
        .await
        .unwrap();
    till.type_text("root").await;
    till.press(KeyCode::Enter).await;
    till.type_text(PASSWORD).await;
    till.press(KeyCode::Enter).await;

    // A sale at the till...
    till.type_text("2*tea-grn-20").await;
    till.press(KeyCode::Enter).await;
    till.press(KeyCode::F(9)).await;
    assert_shows(
        &till.screen(),
        &["Order #1 placed: 2 item(s), total 19.60."],
    );

    // ...is the API's order #1, with its lines, its history and its reservation.
    let orders = api.get("/orders").await;
    assert_eq!(orders["total"], 1);
    let order = api.get("/orders/1").await;
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], "19.60");
    assert_eq!(order["lines"][0]["sku"], "TEA-GRN-20");
    assert_eq!(order["lines"][0]["quantity"], 2);
    assert_eq!(order["created_by"], root.id.get());
    assert_eq!(api.stock("TEA-GRN-20").await, (45, 2));

    // The API confirms it and places a second order for a named customer.
    let (status, moved) = api
        .call(
            Method::PATCH,
            "/orders/1/status",
            Some(json!({"status": "CONFIRMED"})),
        )
        .await;
    assert_eq!(
        (status, moved["status"].as_str()),
        (StatusCode::OK, Some("CONFIRMED"))
    );
    let customers = api.get("/customers?q=souza").await;
    let souza = customers["items"][0]["id"].as_i64().unwrap();
    let response = api
        .client
        .post(format!("{}/api/v1/orders", api.base))
        .bearer_auth(&api.token)
        .header("Idempotency-Key", "web-shop-77")
        .json(&json!({"customer_id": souza, "lines": [{"sku": "COF-250", "quantity": 3}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["id"], 2);

    // The till's order list refreshes itself (every two ticks, about two seconds) and shows both.
    till.press(KeyCode::F(3)).await;
    till.tick().await;
    till.tick().await;
    assert_shows(
        &till.screen(),
        &["#2", "Ana Beatriz Souza", "#1", "CONFIRMED", "(2 orders)"],
    );

    // The till picks order #1 (the second row, newest first); the API sees the move and who made it.
    till.press(KeyCode::Down).await;
    till.press(KeyCode::Enter).await;
    assert_shows(&till.screen(), &["CONFIRMED", "p pick"]);
    till.press(KeyCode::Char('p')).await;
    assert_shows(&till.screen(), &["Order #1 is now PICKED."]);
    let order = api.get("/orders/1").await;
    assert_eq!(order["status"], "PICKED");
    let history = order["history"].as_array().unwrap();
    let path: Vec<&str> = history.iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["PENDING", "CONFIRMED", "PICKED"]);
    assert_eq!(history[2]["changed_by"], root.id.get());

    // The rules are the same on both sides: a picked order cannot be cancelled through the API.
    let (status, problem) = api.call(Method::DELETE, "/orders/1", None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    // The API cancels order #2; its stock goes back, and the till's list says so.
    assert_eq!(api.stock("COF-250").await, (60, 3));
    let (status, _) = api.call(Method::DELETE, "/orders/2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.stock("COF-250").await, (60, 0));
    till.press(KeyCode::Esc).await;
    till.tick().await;
    till.tick().await;
    assert_shows(&till.screen(), &["CANCELLED", "PICKED"]);

    for erp in [&server_erp, &till_erp] {
        let found = erp.check_invariants(&Actor::system()).await.unwrap();
        assert!(found.is_empty(), "{found:?}");
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_and_api_share_one_sqlite_file() {
    let db = TestDatabase::sqlite().unwrap();
    till_and_api_share_one_database(&db.url).await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_and_api_share_one_mysql_database() {
    let Some(db) = TestDatabase::mysql().await.unwrap() else {
        return;
    };
    till_and_api_share_one_database(&db.url).await;
    db.remove().await;
}
