//! The permission matrix over HTTP: each role against each action.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, read};

pub async fn every_role_gets_exactly_its_permissions(app: &TestApp) {
    app.product("TEA-01", "1.00", 1000).await;
    let tea = app
        .admin(Method::GET, "/api/v1/products?q=TEA-01", None)
        .await
        .1["items"][0]["id"]
        .as_i64()
        .unwrap();
    let customer = app.customer("Ana").await;
    // (role, may read, may order and move, may cancel, may manage catalogue and users)
    let roles = [
        ("viewer", true, false, false, false),
        ("operator", true, true, false, false),
        ("manager", true, true, true, true),
        ("admin", true, true, true, true),
    ];
    for (role, read_ok, order_ok, cancel_ok, manage_ok) in roles {
        let token = app.user(&format!("{role}1"), role).await;
        let expect = |allowed: bool, status: StatusCode, action: &str| {
            if allowed {
                assert!(
                    status.is_success(),
                    "{role} should be allowed to {action}: {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} must not {action}");
            }
        };
        let (status, _) = app
            .call(Method::GET, "/api/v1/orders", Some(&token), None)
            .await;
        expect(read_ok, status, "list orders");
        let (status, _) = app
            .call(Method::GET, "/api/v1/products", Some(&token), None)
            .await;
        expect(read_ok, status, "list products");
        let (status, _) = app
            .call(Method::GET, "/api/v1/customers", Some(&token), None)
            .await;
        expect(read_ok, status, "list customers");

        let (status, _) = read(
            app.order(&token, customer, &[("TEA-01", 1)], &format!("{role}-k"))
                .await,
        )
        .await;
        expect(order_ok, status, "place an order");
        let (_, order) = read(
            app.order(
                &app.admin_token,
                customer,
                &[("TEA-01", 1)],
                &format!("admin-{role}"),
            )
            .await,
        )
        .await;
        let order_path = format!("/api/v1/orders/{}", order["id"]);
        let (status, _) = app
            .call(
                Method::PATCH,
                &format!("{order_path}/status"),
                Some(&token),
                Some(json!({"status": "CONFIRMED"})),
            )
            .await;
        expect(order_ok, status, "confirm an order");
        let (status, _) = app
            .call(Method::DELETE, &order_path, Some(&token), None)
            .await;
        expect(cancel_ok, status, "cancel an order");

        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/products",
                Some(&token),
                Some(json!({"sku": format!("NEW-{role}"), "name": "New", "price": "1.00"})),
            )
            .await;
        expect(manage_ok, status, "create a product");
        let (status, _) = app
            .call(
                Method::PATCH,
                &format!("/api/v1/products/{tea}/stock"),
                Some(&token),
                Some(json!({"kind": "receipt", "quantity": 1, "reason": "count"})),
            )
            .await;
        expect(manage_ok, status, "adjust stock");
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/customers",
                Some(&token),
                Some(json!({"name": "New", "email": format!("new-{role}@example.com")})),
            )
            .await;
        // Customers are added at the counter too (editing stays with managers).
        expect(order_ok, status, "create a customer");
        let (status, _) = app
            .call(Method::GET, "/api/v1/users", Some(&token), None)
            .await;
        expect(manage_ok, status, "list users");
        let (status, _) = app
            .call(Method::POST, "/api/v1/auth/register", Some(&token),
                Some(json!({"username": format!("hire-{role}"), "password": "a long enough password", "role": "viewer"})))
            .await;
        expect(manage_ok, status, "register a user");
    }
    // A manager cannot make an admin; an admin can.
    let manager = app.login("manager1", crate::helpers::PASSWORD).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            Some(&manager),
            Some(
                json!({"username": "boss", "password": "a long enough password", "role": "admin"}),
            ),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_not_grantable"))
    );
    let (status, _) = app
        .admin(
            Method::POST,
            "/api/v1/auth/register",
            Some(
                json!({"username": "boss", "password": "a long enough password", "role": "admin"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.assert_consistent().await;
}
