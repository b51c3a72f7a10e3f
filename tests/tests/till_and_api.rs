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

    // The till opens its caixa (the register is created at a manager's first login)...
    assert_shows(&till.screen(), &["Open the caixa", "Float counted"]);
    till.type_text("100").await;
    till.press(KeyCode::Enter).await;
    assert_shows(&till.screen(), &["Caixa open: session"]);

    // ...and sells at the counter, paid in cash, the exact amount prefilled.
    till.type_text("2*tea-grn-20").await;
    till.press(KeyCode::Enter).await;
    till.press(KeyCode::F(9)).await;
    assert_shows(&till.screen(), &["TOTAL DUE", "19.60"]);
    till.press(KeyCode::Enter).await;
    assert_shows(
        &till.screen(),
        &[
            "Receipt, sale #1",
            "NOT A FISCAL DOCUMENT",
            "Sale #1: 2 item(s), total 19.60",
        ],
    );
    till.press(KeyCode::Enter).await;

    // ...which is the API's order #1: a counter sale, handed over and paid, the stock gone.
    let orders = api.get("/orders").await;
    assert_eq!(orders["total"], 1);
    let order = api.get("/orders/1").await;
    assert_eq!(order["status"], "DELIVERED");
    assert_eq!(order["channel"], "counter");
    assert_eq!(order["total"], "19.60");
    assert_eq!(order["lines"][0]["sku"], "TEA-GRN-20");
    assert_eq!(order["lines"][0]["quantity"], 2);
    assert_eq!(order["created_by"], root.id.get());
    assert_eq!(api.stock("TEA-GRN-20").await, (43, 0));
    let receipt = api
        .client
        .get(format!(
            "{}/api/v1/orders/1/receipt?width=42&lang=en",
            api.base
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let receipt = receipt.text().await.unwrap();
    assert!(receipt.contains("NOT A FISCAL DOCUMENT"), "{receipt}");
    assert!(receipt.contains("19.60"), "{receipt}");

    // The API places a delivery order for a named customer and confirms it.
    let customers = api.get("/customers?q=souza").await;
    let souza = customers["items"][0]["id"].as_i64().unwrap();
    let place = |key: &'static str| {
        api.client
            .post(format!("{}/api/v1/orders", api.base))
            .bearer_auth(&api.token)
            .header("Idempotency-Key", key)
            .json(&json!({"customer_id": souza, "lines": [{"sku": "COF-250", "quantity": 3}]}))
            .send()
    };
    let response = place("web-shop-77").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["id"], 2);
    let (status, moved) = api
        .call(
            Method::PATCH,
            "/orders/2/status",
            Some(json!({"status": "CONFIRMED"})),
        )
        .await;
    assert_eq!(
        (status, moved["status"].as_str()),
        (StatusCode::OK, Some("CONFIRMED"))
    );

    // The till's order list refreshes itself (every two ticks, about two seconds) and shows both.
    till.press(KeyCode::F(3)).await;
    till.tick().await;
    till.tick().await;
    assert_shows(
        &till.screen(),
        &[
            "#2",
            "Ana Beatriz Souza",
            "#1",
            "CONFIRMED",
            "DELIVERED",
            "(2 orders)",
        ],
    );

    // The till picks order #2 (the first row, newest first); the API sees the move and who made it.
    till.press(KeyCode::Enter).await;
    assert_shows(&till.screen(), &["CONFIRMED", "p pick"]);
    till.press(KeyCode::Char('p')).await;
    assert_shows(&till.screen(), &["Order #2 is now PICKED."]);
    let order = api.get("/orders/2").await;
    assert_eq!(order["status"], "PICKED");
    let history = order["history"].as_array().unwrap();
    let path: Vec<&str> = history.iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["PENDING", "CONFIRMED", "PICKED"]);
    assert_eq!(history[2]["changed_by"], root.id.get());

    // The rules are the same on both sides: a picked order cannot be cancelled through the API.
    let (status, problem) = api.call(Method::DELETE, "/orders/2", None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    // The API places and cancels order #3; its stock goes back, and the till's list says so.
    let response = place("web-shop-78").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(api.stock("COF-250").await, (60, 6));
    let (status, _) = api.call(Method::DELETE, "/orders/3", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.stock("COF-250").await, (60, 3));
    till.press(KeyCode::Esc).await;
    till.tick().await;
    till.tick().await;
    assert_shows(&till.screen(), &["CANCELLED", "PICKED", "DELIVERED"]);

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
