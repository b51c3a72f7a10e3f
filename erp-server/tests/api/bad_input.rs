//! Bad input of every kind gets a 4xx problem, never a 500, and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, read};

/// Sends only the head of a POST announcing `length` bytes of JSON and reads the answer.
async fn raw_post_headers(app: &TestApp, path: &str, length: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        app.admin_token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buffer))
                .await
                .unwrap()
                .unwrap();
        response.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&response);
        if read == 0 || (text.contains("\r\n\r\n") && text.trim_end().ends_with('}')) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A snapshot of everything a bad request could have changed.
async fn snapshot(app: &TestApp) -> Value {
    let (_, products) = app
        .admin(Method::GET, "/api/v1/products?include_inactive=true", None)
        .await;
    let (_, customers) = app
        .admin(Method::GET, "/api/v1/customers?include_deleted=true", None)
        .await;
    let (_, orders) = app.admin(Method::GET, "/api/v1/orders", None).await;
    let (_, users) = app.admin(Method::GET, "/api/v1/users", None).await;
    json!([products, customers, orders, users])
}

pub async fn malformed_bodies_are_refused_without_changes(app: &TestApp) {
    app.product("TEA-01", "4.90", 10).await;
    let customer = app.customer("Ana").await;
    let before = snapshot(app).await;
    let post = |body: &'static str, content_type: &'static str| {
        app.request(Method::POST, "/api/v1/orders", Some(&app.admin_token))
            .header("Idempotency-Key", "k-bad")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_problem(
        post("{\"customer_id\": 1,", "application/json")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_problem(
        post("not json at all", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_problem(
        post("", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    let wrong_type = assert_problem(
        post(r#"{"customer_id": "one", "lines": []}"#, "application/json")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(wrong_type["field"], "customer_id");
    let nested = assert_problem(
        post(
            r#"{"customer_id": 1, "lines": [{"sku": "TEA-01", "quantity": 1.5}]}"#,
            "application/json",
        )
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(nested["field"], "lines[0].quantity");
    assert_problem(
        post(
            r#"{"customer_id": 1, "lines": [], "admin": true}"#,
            "application/json",
        )
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        post(r#"{"customer_id": 1, "lines": []}"#, "text/plain")
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let zero = assert_problem(
        app.order(&app.admin_token, customer, &[("TEA-01", 0)], "k-zero")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(zero["field"], "lines[0].quantity");
    // A client announcing a huge body is refused from the headers alone (it does not even have
    // to send the body), so the refusal is read over a raw connection.
    let (status, problem) = raw_post_headers(app, "/api/v1/customers", 10 * 1024 * 1024).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(problem["code"], "payload_too_large");
    // A chunked body without a length is cut off at the limit while it is read.
    let chunks = futures::stream::iter((0..100).map(|_| Ok::<_, std::io::Error>(vec![b' '; 4096])));
    let streamed = app
        .request(Method::POST, "/api/v1/customers", Some(&app.admin_token))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = streamed {
        // Hyper may also drop the connection once it refuses the rest: either way, refused.
        assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }
    let no_key = app
        .request(Method::POST, "/api/v1/orders", Some(&app.admin_token))
        .json(&json!({"customer_id": customer, "lines": [{"sku": "TEA-01", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_problem(no_key, StatusCode::BAD_REQUEST, "missing_idempotency_key").await;
    let bad_key = app
        .order(&app.admin_token, customer, &[("TEA-01", 1)], "has space")
        .await;
    let problem = assert_problem(
        bad_key,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["field"], "idempotency_key");
    let money = app
        .request(Method::POST, "/api/v1/products", Some(&app.admin_token))
        .json(&json!({"sku": "X-1", "name": "X", "price": 12.5}))
        .send()
        .await
        .unwrap();
    let problem =
        assert_problem(money, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(
        problem["field"], "price",
        "money must be a string, never a float"
    );
    let sub_cent = app
        .request(Method::POST, "/api/v1/products", Some(&app.admin_token))
        .json(&json!({"sku": "X-1", "name": "X", "price": "0.001"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        sub_cent,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(snapshot(app).await, before, "bad requests changed nothing");
}

pub async fn odd_text_is_stored_verbatim_or_refused(app: &TestApp) {
    let before = snapshot(app).await;
    for (name, email) in [
        ("Robert'); DROP TABLE customers;--", "bobby@example.com"),
        ("Zoë 東京 🍵 \\ % _ \" '", "zoe@example.com"),
    ] {
        let (status, customer) = app
            .admin(
                Method::POST,
                "/api/v1/customers",
                Some(json!({"name": name, "email": email})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{customer}");
        assert_eq!(customer["name"], name, "stored and returned exactly");
    }
    let (_, found) = app
        .admin(Method::GET, "/api/v1/customers?q=%25%20_%20%22", None)
        .await;
    assert_eq!(found["total"], 1, "wildcards are literal: {found}");
    for (name, email) in [
        ("bidi \u{202E}evil", "e1@example.com"),
        ("nul \u{0} byte", "e2@example.com"),
        ("", "e3@example.com"),
        ("Ok", "not-an-email"),
        ("Ok", "a@b@example.com"),
    ] {
        let response = app
            .request(Method::POST, "/api/v1/customers", Some(&app.admin_token))
            .json(&json!({"name": name, "email": email}))
            .send()
            .await
            .unwrap();
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let sku = app
        .request(Method::POST, "/api/v1/products", Some(&app.admin_token))
        .json(&json!({"sku": "A'; DELETE FROM products;--", "name": "x", "price": "1.00"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(sku, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["field"], "sku");
    let (status, search) = app
        .admin(
            Method::GET,
            "/api/v1/products?q=%27%20OR%201%3D1%20--",
            None,
        )
        .await;
    assert_eq!(
        (status, search["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    let after = snapshot(app).await;
    assert_eq!(after[0], before[0], "no product was created");
}

pub async fn paths_queries_and_tokens_are_checked(app: &TestApp) {
    let get = |path: &'static str, token: Option<&'static str>| async move {
        let token = token.map(|_| app.admin_token.as_str());
        app.request(Method::GET, path, token).send().await.unwrap()
    };
    assert_problem(
        get("/api/v1/orders", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let forged = app
        .request(
            Method::GET,
            "/api/v1/orders",
            Some("eyJhbGciOiJIUzI1NiJ9.e30.forged"),
        )
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert_problem(
        get("/api/v1/orders/999999", Some("")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        get("/api/v1/orders/abc", Some("")).await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    assert_problem(
        get("/api/v1/orders/-5", Some("")).await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    assert_problem(
        get("/api/v1/orders?limit=abc", Some("")).await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    assert_problem(
        get("/api/v1/orders?limit=100000", Some("")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        get("/api/v1/orders?status=LOST", Some("")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        get("/api/v1/orders?created_from=yesterday", Some("")).await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    assert_problem(
        get("/api/v1/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let wrong_method = app
        .request(Method::PUT, "/api/v1/orders", Some(&app.admin_token))
        .send()
        .await
        .unwrap();
    assert_problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let (status, _) = read(get("/api/v1/customers?q=%00", Some("")).await).await;
    assert!(
        status.is_client_error(),
        "control characters in a search are refused, not a 500"
    );
}
