//! The OpenAPI document against what the server does: every status a route answers for real is
//! listed for that operation, and every operation lists the statuses any request can meet.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, read};

/// One request to provoke a status: as whom, at which route (the document's template), with
/// which body and `Idempotency-Key`, and the status it must get.
struct Provoke<'a> {
    method: Method,
    template: &'static str,
    path: String,
    token: Option<&'a str>,
    body: Option<Value>,
    key: Option<&'static str>,
    expect: u16,
}

fn case<'a>(
    method: Method,
    template: &'static str,
    path: impl Into<String>,
    token: Option<&'a str>,
    body: Option<Value>,
    expect: u16,
) -> Provoke<'a> {
    Provoke {
        method,
        template,
        path: path.into(),
        token,
        body,
        key: None,
        expect,
    }
}

impl Provoke<'_> {
    fn with_key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }
}

/// The statuses the served document lists for `method template`.
fn documented(doc: &Value, method: &Method, template: &str) -> BTreeSet<String> {
    let operation = &doc["paths"][template][method.as_str().to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not in the document"
    );
    operation["responses"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

/// Each route of the table answers the status it is provoked into, and that status is in the
/// served document for the route's operation.
pub async fn every_status_a_route_answers_is_documented(app: &TestApp) {
    let (status, doc) = app.call(Method::GET, "/api/schema", None, None).await;
    assert_eq!(status, StatusCode::OK);

    let admin = Some(app.admin_token.as_str());
    let viewer_token = app.user("vera", "viewer").await;
    let operator_token = app.user("otto", "operator").await;
    let inactive_token = app.user("ivo", "operator").await;
    let (_, ivo) = app
        .call(Method::GET, "/api/v1/auth/me", Some(&inactive_token), None)
        .await;
    let (status, _) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/users/{}", ivo["id"]),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (viewer, operator, inactive) = (
        Some(viewer_token.as_str()),
        Some(operator_token.as_str()),
        Some(inactive_token.as_str()),
    );
    let tea = app.product("TEA-01", "4.90", 10).await["id"]
        .as_i64()
        .unwrap();
    let ana = app.customer("Ana").await;
    let (status, order) = read(
        app.order(&app.admin_token, ana, &[("TEA-01", 2)], "o1")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let order = order["id"].as_i64().unwrap();
    let missing = 999_999;

    let customer = json!({"name": "Bia", "email": "bia@example.com"});
    let product = json!({"sku": "MUG-01", "name": "Mug", "price": "9.90"});
    let receipt = json!({"kind": "receipt", "quantity": 1, "reason": "delivery"});
    let line = json!({"customer_id": ana, "lines": [{"sku": "TEA-01", "quantity": 1}]});
    let login =
        |username: &str, password: &str| json!({"username": username, "password": password});
    use Method as M;
    let table = vec![
        // Authentication and the caller.
        case(
            M::GET,
            "/api/v1/auth/me",
            "/api/v1/auth/me",
            admin,
            None,
            200,
        ),
        case(
            M::GET,
            "/api/v1/auth/me",
            "/api/v1/auth/me",
            None,
            None,
            401,
        ),
        case(
            M::GET,
            "/api/v1/auth/me",
            "/api/v1/auth/me",
            inactive,
            None,
            403,
        ),
        case(
            M::POST,
            "/api/v1/auth/jwt/login",
            "/api/v1/auth/jwt/login",
            None,
            Some(login("ivo", PASSWORD)),
            403,
        ),
        case(
            M::POST,
            "/api/v1/auth/jwt/login",
            "/api/v1/auth/jwt/login",
            None,
            Some(login("vera", "not her password")),
            401,
        ),
        case(
            M::POST,
            "/api/v1/auth/jwt/login",
            "/api/v1/auth/jwt/login",
            None,
            Some(json!({"username": "vera"})),
            422,
        ),
        case(
            M::POST,
            "/api/v1/auth/register",
            "/api/v1/auth/register",
            operator,
            Some(json!({"username": "new1", "password": PASSWORD, "role": "viewer"})),
            403,
        ),
        case(
            M::POST,
            "/api/v1/auth/register",
            "/api/v1/auth/register",
            admin,
            Some(json!({"username": "vera", "password": PASSWORD, "role": "viewer"})),
            409,
        ),
        // Customers.
        case(
            M::POST,
            "/api/v1/customers",
            "/api/v1/customers",
            viewer,
            Some(customer.clone()),
            403,
        ),
        case(
            M::POST,
            "/api/v1/customers",
            "/api/v1/customers",
            inactive,
            Some(customer.clone()),
            403,
        ),
        case(
            M::POST,
            "/api/v1/customers",
            "/api/v1/customers",
            admin,
            Some(json!({"name": "Ana", "email": "ana@example.com"})),
            409,
        ),
        case(
            M::POST,
            "/api/v1/customers",
            "/api/v1/customers",
            admin,
            Some(json!({"name": "", "email": "x@example.com"})),
            422,
        ),
        case(
            M::GET,
            "/api/v1/customers",
            "/api/v1/customers",
            inactive,
            None,
            403,
        ),
        case(
            M::GET,
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{missing}"),
            admin,
            None,
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{ana}"),
            viewer,
            Some(json!({"name": "Ana Souza"})),
            403,
        ),
        case(
            M::PATCH,
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{missing}"),
            admin,
            Some(json!({"name": "Ana Souza"})),
            404,
        ),
        case(
            M::DELETE,
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{ana}"),
            viewer,
            None,
            403,
        ),
        case(
            M::DELETE,
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{missing}"),
            admin,
            None,
            404,
        ),
        // Products and stock.
        case(
            M::POST,
            "/api/v1/products",
            "/api/v1/products",
            operator,
            Some(product.clone()),
            403,
        ),
        case(
            M::POST,
            "/api/v1/products",
            "/api/v1/products",
            admin,
            Some(json!({"sku": "tea-01", "name": "Tea", "price": "1.00"})),
            409,
        ),
        case(
            M::GET,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{missing}"),
            admin,
            None,
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{tea}"),
            operator,
            Some(json!({"price": "5.00"})),
            403,
        ),
        case(
            M::PATCH,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{missing}"),
            admin,
            Some(json!({"price": "5.00"})),
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/products/{id}/stock",
            format!("/api/v1/products/{tea}/stock"),
            operator,
            Some(receipt.clone()),
            403,
        ),
        case(
            M::PATCH,
            "/api/v1/products/{id}/stock",
            format!("/api/v1/products/{missing}/stock"),
            admin,
            Some(receipt.clone()),
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/products/{id}/stock",
            format!("/api/v1/products/{tea}/stock"),
            admin,
            Some(json!({"kind": "adjustment", "quantity": -9, "reason": "count"})),
            422,
        ),
        case(
            M::GET,
            "/api/v1/products/{id}/movements",
            format!("/api/v1/products/{missing}/movements"),
            admin,
            None,
            404,
        ),
        case(
            M::DELETE,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{tea}"),
            operator,
            None,
            403,
        ),
        case(
            M::DELETE,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{missing}"),
            admin,
            None,
            404,
        ),
        // Orders.
        case(
            M::POST,
            "/api/v1/orders",
            "/api/v1/orders",
            viewer,
            Some(line.clone()),
            403,
        )
        .with_key("v1"),
        case(
            M::POST,
            "/api/v1/orders",
            "/api/v1/orders",
            admin,
            Some(line.clone()),
            400,
        ),
        case(
            M::POST,
            "/api/v1/orders",
            "/api/v1/orders",
            admin,
            Some(json!({"customer_id": missing, "lines": [{"sku": "TEA-01", "quantity": 1}]})),
            404,
        )
        .with_key("m1"),
        case(
            M::POST,
            "/api/v1/orders",
            "/api/v1/orders",
            admin,
            Some(json!({"customer_id": ana, "lines": [{"sku": "TEA-01", "quantity": 99}]})),
            422,
        )
        .with_key("s1"),
        case(
            M::GET,
            "/api/v1/orders",
            "/api/v1/orders?status=LOST",
            admin,
            None,
            422,
        ),
        case(
            M::GET,
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{missing}"),
            admin,
            None,
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{order}/status"),
            viewer,
            Some(json!({"status": "CONFIRMED"})),
            403,
        ),
        case(
            M::PATCH,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{order}/status"),
            admin,
            Some(json!({"status": "SHIPPED"})),
            409,
        ),
        case(
            M::PATCH,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{missing}/status"),
            admin,
            Some(json!({"status": "CONFIRMED"})),
            404,
        ),
        case(
            M::PATCH,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{order}/status"),
            admin,
            Some(json!({"status": "CONFIRMED"})),
            200,
        )
        .with_key("c1"),
        case(
            M::PATCH,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{order}/status"),
            admin,
            Some(json!({"status": "PICKED"})),
            422,
        )
        .with_key("c1"),
        case(
            M::DELETE,
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{order}"),
            operator,
            None,
            403,
        ),
        case(
            M::DELETE,
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{missing}"),
            admin,
            None,
            404,
        ),
        case(
            M::GET,
            "/api/v1/orders/{id}/history",
            format!("/api/v1/orders/{missing}/history"),
            admin,
            None,
            404,
        ),
        // Users, settings, tills.
        case(M::GET, "/api/v1/users", "/api/v1/users", viewer, None, 403),
        case(
            M::GET,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{missing}"),
            admin,
            None,
            404,
        ),
        case(
            M::PUT,
            "/api/v1/settings/shop",
            "/api/v1/settings/shop",
            operator,
            Some(json!({"name": "Loja"})),
            403,
        ),
        case(
            M::POST,
            "/api/v1/registers",
            "/api/v1/registers",
            operator,
            Some(json!({"code": "CAIXA-09", "name": "Front"})),
            403,
        ),
        case(
            M::POST,
            "/api/v1/parked-sales",
            "/api/v1/parked-sales",
            viewer,
            Some(json!({"label": "mesa 1", "lines": [{"sku": "TEA-01", "quantity": 1}]})),
            403,
        ),
    ];

    let mut undocumented = Vec::new();
    for provoke in table {
        let mut request = app.request(provoke.method.clone(), &provoke.path, provoke.token);
        if let Some(body) = &provoke.body {
            request = request.json(body);
        }
        if let Some(key) = provoke.key {
            request = request.header("Idempotency-Key", key);
        }
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!(
            status.as_u16(),
            provoke.expect,
            "{} {}: {body}",
            provoke.method,
            provoke.path
        );
        let listed = documented(&doc, &provoke.method, provoke.template);
        if !listed.contains(&provoke.expect.to_string()) {
            undocumented.push(format!(
                "{} {} answers {} but documents {listed:?}",
                provoke.method, provoke.template, provoke.expect
            ));
        }
    }
    assert!(undocumented.is_empty(), "{undocumented:#?}");

    // What any request can meet: 503 (database down or busy, a timeout) everywhere; 401 and 403
    // (no valid token; a role without the right, or a deactivated user) wherever a token is needed.
    let mut missing_generic = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let mut needed = vec!["503"];
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                needed.extend(["401", "403"]);
            }
            for status in needed {
                if !responses.contains_key(status) {
                    missing_generic.push(format!("{method} {path} lacks {status}"));
                }
            }
        }
    }
    assert!(missing_generic.is_empty(), "{missing_generic:#?}");
}
