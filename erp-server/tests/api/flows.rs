//! Every endpoint in its normal use.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_problem, read};

pub async fn health_and_docs_are_served(app: &TestApp) {
    let (status, body) = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.call(Method::GET, "/health/ready", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["database"], "ok");
    assert_eq!(body["redis"], "disabled");
    let (status, schema) = app.call(Method::GET, "/api/schema", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(schema["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/orders",
        "/api/v1/products/{id}/stock",
        "/api/v1/auth/jwt/refresh",
    ] {
        assert!(schema["paths"][path].is_object(), "{path} documented");
    }
    assert!(schema["components"]["securitySchemes"]["bearer"].is_object());
    let page = app
        .request(Method::GET, "/docs/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
    // The UI's assets come from the binary, not from a CDN.
    let css = app
        .request(Method::GET, "/docs/swagger-ui.css", None)
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.text().await.unwrap().len() > 1000);
}

pub async fn login_refresh_logout_and_me(app: &TestApp) {
    app.user("ana", "operator").await;
    let (status, tokens) = app
        .call(
            Method::POST,
            "/api/v1/auth/jwt/login",
            None,
            Some(json!({"username": "ANA", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["user"]["role"], "operator");
    let access = tokens["access_token"].as_str().unwrap();
    let (status, me) = app
        .call(Method::GET, "/api/v1/auth/me", Some(access), None)
        .await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("ana"))
    );

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, rotated) = app
        .call(
            Method::POST,
            "/api/v1/auth/jwt/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(second, refresh);
    // The first token again: stolen. Its whole family dies, the fresh one included.
    let reuse = app
        .request(Method::POST, "/api/v1/auth/jwt/refresh", None)
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(reuse, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let after = app
        .request(Method::POST, "/api/v1/auth/jwt/refresh", None)
        .json(&json!({"refresh_token": second}))
        .send()
        .await
        .unwrap();
    assert_problem(after, StatusCode::UNAUTHORIZED, "invalid_token").await;

    let (_, fresh) = app
        .call(
            Method::POST,
            "/api/v1/auth/jwt/login",
            None,
            Some(json!({"username": "ana", "password": PASSWORD})),
        )
        .await;
    let token = fresh["refresh_token"].as_str().unwrap();
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = app
        .request(Method::POST, "/api/v1/auth/jwt/refresh", None)
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap();
    assert_problem(gone, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

pub async fn wrong_password_is_401_and_deactivated_users_are_refused(app: &TestApp) {
    let token = app.user("bob", "operator").await;
    let wrong = app
        .request(Method::POST, "/api/v1/auth/jwt/login", None)
        .json(&json!({"username": "bob", "password": "nope nope nope"}))
        .send()
        .await
        .unwrap();
    assert!(wrong.headers().contains_key("www-authenticate"));
    assert_problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let (_, me) = app
        .call(Method::GET, "/api/v1/auth/me", Some(&token), None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let (status, _) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The token is still within its lifetime, but the user is gone: refused at once.
    let refused = app
        .request(Method::GET, "/api/v1/auth/me", Some(&token))
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::FORBIDDEN, "user_inactive").await;
}

/// Placing an order reads the user once, in the order's own transaction (not in a query of its
/// own before it): a role taken away or a user deactivated still counts at once.
pub async fn orders_check_the_user_in_the_orders_own_transaction(app: &TestApp) {
    let token = app.user("olga", "operator").await;
    app.product("OLGA-1", "3.00", 10).await;
    let customer = app.customer("Olga").await;
    let placed = app
        .order(&token, customer, &[("OLGA-1", 1)], "olga-1")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    let (_, me) = app
        .call(Method::GET, "/api/v1/auth/me", Some(&token), None)
        .await;
    let path = format!("/api/v1/users/{}", me["id"].as_i64().unwrap());

    let (status, _) = app
        .admin(Method::PATCH, &path, Some(json!({"role": "viewer"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let demoted = app
        .order(&token, customer, &[("OLGA-1", 1)], "olga-2")
        .await;
    assert_problem(demoted, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, _) = app
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"role": "operator", "active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let inactive = app
        .order(&token, customer, &[("OLGA-1", 1)], "olga-3")
        .await;
    assert_problem(inactive, StatusCode::FORBIDDEN, "user_inactive").await;

    let (status, products) = app
        .admin(Method::GET, "/api/v1/products?q=OLGA-1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        products["items"][0]["reserved"], 1,
        "only the first order: {products}"
    );
}

pub async fn customers_are_created_listed_changed_and_deleted(app: &TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/customers", Some(&app.admin_token))
        .json(&json!({"name": "Ana Souza", "email": "Ana@Example.com",
                      "phone": "+55 11 98765-4321", "tax_id": "529.982.247-25"}))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (status, ana) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    assert_eq!(ana["email"], "ana@example.com");
    assert_eq!(ana["tax_id"], "529.982.247-25");
    assert_eq!(location, format!("/api/v1/customers/{}", ana["id"]));
    for name in ["Bruno", "Carla", "Davi"] {
        app.customer(name).await;
    }
    let (status, page) = app
        .admin(Method::GET, "/api/v1/customers?limit=2&offset=1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["name"], "Bruno");
    let (_, found) = app
        .admin(Method::GET, "/api/v1/customers?q=souza", None)
        .await;
    assert_eq!(found["total"], 1);
    let (_, found) = app
        .admin(Method::GET, "/api/v1/customers?q=5299", None)
        .await;
    assert_eq!(found["items"][0]["name"], "Ana Souza");

    let (status, changed) = app
        .admin(
            Method::PATCH,
            &location,
            Some(json!({"name": "Ana S.", "phone": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Ana S.");
    assert!(changed["phone"].is_null());
    let duplicate = app
        .request(Method::POST, "/api/v1/customers", Some(&app.admin_token))
        .json(&json!({"name": "Other", "email": "ana@example.com"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(duplicate, StatusCode::CONFLICT, "duplicate").await;
    assert_eq!(problem["field"], "email");

    let (status, _) = app.admin(Method::DELETE, &location, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.admin(Method::DELETE, &location, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deleting again is harmless");
    let (_, deleted) = app.admin(Method::GET, &location, None).await;
    assert!(deleted["deleted_at"].is_string());
    let (_, live) = app.admin(Method::GET, "/api/v1/customers", None).await;
    assert_eq!(live["total"], 3);
    let (_, all) = app
        .admin(Method::GET, "/api/v1/customers?include_deleted=true", None)
        .await;
    assert_eq!(all["total"], 4);
}

pub async fn products_stock_and_movements(app: &TestApp) {
    let tea = app.product("TEA-01", "4.90", 10).await;
    let id = tea["id"].as_i64().unwrap();
    assert_eq!(tea["price"], "4.90");
    assert_eq!(tea["available"], 10);
    app.product("MUG-01", "19.99", 1).await;
    let (_, found) = app.admin(Method::GET, "/api/v1/products?q=tea", None).await;
    assert_eq!(found["total"], 1);
    let (_, low) = app
        .admin(Method::GET, "/api/v1/products?low_stock=true", None)
        .await;
    assert_eq!(low["items"][0]["sku"], "MUG-01");

    let (status, changed) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(json!({"price": "5.25"})),
        )
        .await;
    assert_eq!(
        (status, changed["price"].as_str()),
        (StatusCode::OK, Some("5.25"))
    );
    let (status, received) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/products/{id}/stock"),
            Some(json!({"kind": "receipt", "quantity": 5, "reason": "delivery 42"})),
        )
        .await;
    assert_eq!(
        (status, received["on_hand"].as_i64()),
        (StatusCode::OK, Some(15))
    );
    let customer = app.customer("Ana").await;
    let placed = app
        .order(&app.admin_token, customer, &[("TEA-01", 12)], "k1")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    let below = app
        .request(
            Method::PATCH,
            &format!("/api/v1/products/{id}/stock"),
            Some(&app.admin_token),
        )
        .json(&json!({"kind": "adjustment", "quantity": -4, "reason": "broken"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        below,
        StatusCode::UNPROCESSABLE_ENTITY,
        "stock_below_reserved",
    )
    .await;
    assert_eq!(
        (
            problem["reserved"].as_i64(),
            problem["requested_on_hand"].as_i64()
        ),
        (Some(12), Some(11))
    );
    let (_, movements) = app
        .admin(
            Method::GET,
            &format!("/api/v1/products/{id}/movements"),
            None,
        )
        .await;
    let kinds: Vec<&str> = movements["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["RESERVATION", "RECEIPT", "RECEIPT"]);
    assert_eq!(movements["items"][1]["reason"], "delivery 42");

    // With an Idempotency-Key, a receipt retried after a lost answer moves the stock once.
    let keyed = |key: &str, quantity: i64| {
        app.request(
            Method::PATCH,
            &format!("/api/v1/products/{id}/stock"),
            Some(&app.admin_token),
        )
        .header("Idempotency-Key", key)
        .json(&json!({"kind": "receipt", "quantity": quantity, "reason": "delivery 43"}))
        .send()
    };
    let first = keyed("delivery-43", 5).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert!(!first.headers().contains_key("idempotent-replayed"));
    let again = keyed("delivery-43", 5).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (_, product) = read(again).await;
    assert_eq!(product["on_hand"], 20);
    let conflict = keyed("delivery-43", 6).await.unwrap();
    let problem = assert_problem(
        conflict,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    assert!(problem["movement_id"].is_i64(), "{problem}");
    let bad_key = keyed(" ", 5).await.unwrap();
    assert_problem(
        bad_key,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(app.stock(id).await, (20, 12));

    let (status, off) = app
        .admin(Method::DELETE, &format!("/api/v1/products/{id}"), None)
        .await;
    assert_eq!(
        (status, off["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let refused = app
        .order(&app.admin_token, customer, &[("TEA-01", 1)], "k2")
        .await;
    assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "product_inactive",
    )
    .await;
    app.assert_consistent().await;
}

/// A status change or cancellation whose answer was lost can be sent again with the same
/// `Idempotency-Key`: the retry gets the first answer, not 409 `invalid_transition`.
pub async fn status_changes_and_cancels_replay_with_the_same_key(app: &TestApp) {
    let tea = app.product("TEA-01", "4.90", 10).await["id"]
        .as_i64()
        .unwrap();
    let ana = app.customer("Ana").await;
    let mut ids = Vec::new();
    for key in ["o1", "o2"] {
        let (status, order) = read(
            app.order(&app.admin_token, ana, &[("TEA-01", 2)], key)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        ids.push(order["id"].as_i64().unwrap());
    }
    let (first_id, second_id) = (ids[0], ids[1]);
    let change = |id: i64, key: Option<&str>, status: &str| {
        let mut builder = app.request(
            Method::PATCH,
            &format!("/api/v1/orders/{id}/status"),
            Some(&app.admin_token),
        );
        if let Some(key) = key {
            builder = builder.header("Idempotency-Key", key);
        }
        builder.json(&json!({"status": status})).send()
    };

    let confirmed = change(first_id, Some("confirm-1"), "CONFIRMED")
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(!confirmed.headers().contains_key("idempotent-replayed"));
    let (_, first_answer) = read(confirmed).await;
    assert_eq!(first_answer["status"], "CONFIRMED");

    // The retry: the same status code and body, marked as a replay; nothing new in the history.
    let again = change(first_id, Some("confirm-1"), "CONFIRMED")
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (_, replayed) = read(again).await;
    assert_eq!(replayed, first_answer);
    let (_, history) = app
        .admin(
            Method::GET,
            &format!("/api/v1/orders/{first_id}/history"),
            None,
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");

    // The same key for another transition is a conflict; without a key, the old answer.
    let other = change(first_id, Some("confirm-1"), "PICKED").await.unwrap();
    let problem = assert_problem(
        other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    assert_eq!(problem["changed_to"], "CONFIRMED", "{problem}");
    let cancel_with_it = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orders/{first_id}"),
            Some(&app.admin_token),
        )
        .header("Idempotency-Key", "confirm-1")
        .send()
        .await
        .unwrap();
    assert_problem(
        cancel_with_it,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    let keyless = change(first_id, None, "CONFIRMED").await.unwrap();
    assert_problem(keyless, StatusCode::CONFLICT, "invalid_transition").await;
    let bad_key = change(first_id, Some(" "), "PICKED").await.unwrap();
    assert_problem(
        bad_key,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A cancellation retried with its key releases the reservation once.
    let cancel = || {
        app.request(
            Method::DELETE,
            &format!("/api/v1/orders/{second_id}?note=changed%20mind"),
            Some(&app.admin_token),
        )
        .header("Idempotency-Key", "cancel-2")
        .send()
    };
    let (status, cancelled) = read(cancel().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(app.stock(tea).await, (10, 2));
    let again = cancel().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (status, replayed) = read(again).await;
    assert_eq!((status, replayed), (StatusCode::OK, cancelled));
    assert_eq!(app.stock(tea).await, (10, 2));
    app.assert_consistent().await;
}

pub async fn orders_are_placed_replayed_moved_and_cancelled(app: &TestApp) {
    let tea = app.product("TEA-01", "4.90", 10).await["id"]
        .as_i64()
        .unwrap();
    app.product("MUG-01", "19.99", 5).await;
    let ana = app.customer("Ana").await;
    let bia = app.customer("Bia").await;
    let first = app
        .order(
            &app.admin_token,
            ana,
            &[("TEA-01", 2), ("mug-01", 1)],
            "sale-1",
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].to_str().unwrap().to_string();
    assert!(!first.headers().contains_key("idempotent-replayed"));
    let (_, order) = read(first).await;
    assert_eq!(order["total"], "29.79");
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["next_statuses"], json!(["CONFIRMED", "CANCELLED"]));

    let replay = app
        .order(
            &app.admin_token,
            ana,
            &[("TEA-01", 2), ("mug-01", 1)],
            "sale-1",
        )
        .await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (_, again) = read(replay).await;
    assert_eq!(again["id"], order["id"]);
    let conflict = app
        .order(&app.admin_token, ana, &[("TEA-01", 3)], "sale-1")
        .await;
    let problem = assert_problem(
        conflict,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    assert_eq!(problem["order_id"], order["id"]);
    assert_eq!(app.stock(tea).await, (10, 2));

    // Keys are scoped per customer: Bia's "sale-1" is not Ana's, so it is a new order.
    let other_customer = app
        .order(&app.admin_token, bia, &[("TEA-01", 1)], "sale-1")
        .await;
    assert_eq!(other_customer.status(), StatusCode::CREATED);
    assert!(!other_customer.headers().contains_key("idempotent-replayed"));
    let (_, bia_order) = read(other_customer).await;
    assert_ne!(bia_order["id"], order["id"]);
    assert_eq!(bia_order["customer_id"], bia);
    assert_eq!(app.stock(tea).await, (10, 3));
    let (code, _) = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/orders/{}", bia_order["id"]),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(app.stock(tea).await, (10, 2));

    let short = app
        .order(&app.admin_token, bia, &[("TEA-01", 9)], "sale-2")
        .await;
    let problem = assert_problem(
        short,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_stock",
    )
    .await;
    assert_eq!(
        (
            problem["sku"].as_str(),
            problem["requested"].as_i64(),
            problem["available"].as_i64()
        ),
        (Some("TEA-01"), Some(9), Some(8))
    );
    let unknown = app
        .order(&app.admin_token, bia, &[("NOPE", 1)], "sale-3")
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let second = app
        .order(&app.admin_token, bia, &[("TEA-01", 1)], "sale-4")
        .await;
    let (_, second) = read(second).await;

    for status in ["CONFIRMED", "PICKED"] {
        let (code, moved) = app
            .admin(
                Method::PATCH,
                &format!("{location}/status"),
                Some(json!({"status": status, "note": "ok"})),
            )
            .await;
        assert_eq!(
            (code, moved["status"].as_str()),
            (StatusCode::OK, Some(status))
        );
    }
    let illegal = app
        .request(Method::DELETE, &location, Some(&app.admin_token))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(illegal, StatusCode::CONFLICT, "invalid_transition").await;
    assert_eq!(
        (problem["from"].as_str(), problem["to"].as_str()),
        (Some("PICKED"), Some("CANCELLED"))
    );
    let (code, _) = app
        .admin(
            Method::PATCH,
            &format!("{location}/status"),
            Some(json!({"status": "SHIPPED"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(app.stock(tea).await, (8, 1));

    let second_path = format!("/api/v1/orders/{}", second["id"]);
    let (code, cancelled) = app
        .admin(
            Method::DELETE,
            &format!("{second_path}?note=customer%20called"),
            None,
        )
        .await;
    assert_eq!(
        (code, cancelled["status"].as_str()),
        (StatusCode::OK, Some("CANCELLED"))
    );
    assert_eq!(app.stock(tea).await, (8, 0));

    let (_, detail) = app.admin(Method::GET, &location, None).await;
    let steps: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["PENDING", "CONFIRMED", "PICKED", "SHIPPED"]);
    let (_, history) = app
        .admin(Method::GET, &format!("{second_path}/history"), None)
        .await;
    assert_eq!(history[1]["note"], "customer called");

    let (_, shipped) = app
        .admin(Method::GET, "/api/v1/orders?status=shipped", None)
        .await;
    assert_eq!(shipped["total"], 1);
    let (_, for_bia) = app
        .admin(
            Method::GET,
            &format!("/api/v1/orders?customer_id={bia}"),
            None,
        )
        .await;
    // Her cancelled "sale-1" and her "sale-4".
    assert_eq!(for_bia["total"], 2);
    let (_, future) = app
        .admin(
            Method::GET,
            "/api/v1/orders?created_from=2999-01-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(future["total"], 0);
    let (_, all) = app.admin(Method::GET, "/api/v1/orders?limit=1", None).await;
    assert_eq!(
        (
            all["total"].as_u64(),
            all["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    app.assert_consistent().await;
}

pub async fn users_are_listed_changed_and_passwords_reset(app: &TestApp) {
    let token = app.user("carla", "operator").await;
    let (_, me) = app
        .call(Method::GET, "/api/v1/auth/me", Some(&token), None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let (status, users) = app.admin(Method::GET, "/api/v1/users", None).await;
    assert_eq!((status, users["total"].as_u64()), (StatusCode::OK, Some(2)));
    let (status, promoted) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"role": "manager"})),
        )
        .await;
    assert_eq!(
        (status, promoted["role"].as_str()),
        (StatusCode::OK, Some("manager"))
    );
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{id}/password"),
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": "brand new password"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.login("carla", "brand new password").await;
}

/// Role and active in one PATCH are one command: one transaction, one `UserUpdated` event.
pub async fn patching_role_and_active_together_is_one_change(app: &TestApp) {
    let token = app.user("dora", "operator").await;
    let (_, me) = app
        .call(Method::GET, "/api/v1/auth/me", Some(&token), None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let (status, changed) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"role": "viewer", "active": false})),
        )
        .await;
    assert_eq!(
        (
            status,
            changed["role"].as_str(),
            changed["active"].as_bool()
        ),
        (StatusCode::OK, Some("viewer"), Some(false))
    );
    let events = app
        .erp
        .events_after(&erp_core::Actor::system(), None, 1000)
        .await
        .unwrap();
    let updates = events
        .iter()
        .filter(|e| e.event_type == "UserUpdated" && e.aggregate_id == id)
        .count();
    assert_eq!(updates, 1, "one change, one event: {events:?}");

    // A patch refused as a whole changes neither part.
    let (status, _) = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"role": "nonsense", "active": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, still) = app
        .admin(Method::GET, &format!("/api/v1/users/{id}"), None)
        .await;
    assert_eq!(
        (still["role"].as_str(), still["active"].as_bool()),
        (Some("viewer"), Some(false))
    );
}

/// The README says how idempotency keys are scoped, in the words the server behaves by.
#[test]
fn readme_states_that_order_keys_are_scoped_per_customer() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### Idempotent orders")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    assert!(section.contains("scoped per customer"), "{section}");
    assert!(
        section.contains("`(customer_id, Idempotency-Key)`"),
        "{section}"
    );
    assert!(
        section.contains("The same key for another customer"),
        "{section}"
    );
    assert!(
        section.contains("`(product, Idempotency-Key)`"),
        "{section}"
    );
}
