//! The till routes: registers, cash sessions, counter sales, payments on orders and returns,
//! in normal use and with every kind of bad input the issue lists.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, read};

/// Sends `body` as `token` with an `Idempotency-Key`.
async fn keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut builder = app.request(Method::POST, path, Some(token)).json(&body);
    if let Some(key) = key {
        builder = builder.header("Idempotency-Key", key);
    }
    builder.send().await.unwrap()
}

/// An admin sets up register `code` (stored upper-case) and `token` opens it with 100.00: the
/// register's and the session's ids.
async fn open_register(app: &TestApp, token: &str, code: &str) -> (i64, i64) {
    let (status, register) = app
        .admin(
            Method::POST,
            "/api/v1/registers",
            Some(json!({"code": code, "name": "Till"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{register}");
    assert_eq!(register["code"], code.to_uppercase());
    let id = register["id"].as_i64().unwrap();
    let (status, session) = app
        .call(
            Method::POST,
            &format!("/api/v1/registers/{id}/sessions"),
            Some(token),
            Some(json!({"opening_float": "100.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    (id, session["id"].as_i64().unwrap())
}

fn sale(register: i64, customer: i64, extra: Value) -> Value {
    let mut body = json!({
        "register_id": register,
        "customer_id": customer,
        "lines": [{"sku": "TEA-01", "quantity": 2}],
        "tenders": [{"tender": "pix", "amount": "5.00"}, {"tender": "cash", "amount": "10.00"}],
    });
    if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
    body
}

pub async fn a_shift_at_the_till_sells_pays_returns_and_closes(app: &TestApp) {
    app.product("TEA-01", "4.90", 10).await;
    let walk_in = app.customer("Walkin").await;
    let ana = app.user("ana", "operator").await;
    app.user("boss", "manager").await;
    let (id, session_id) = open_register(app, &ana, "caixa-01").await;

    // 9.80 with 5.00 PIX and 10.00 cash: 5.20 change.
    let response = keyed(
        app,
        "/api/v1/sales",
        &ana,
        Some("sale-1"),
        sale(id, walk_in, json!({})),
    )
    .await;
    let (status, sold) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    assert_eq!(sold["order"]["status"], "DELIVERED");
    assert_eq!(sold["order"]["channel"], "counter");
    assert_eq!(sold["order"]["change"], "5.20");
    assert_eq!(sold["order"]["balance_due"], "0.00");
    assert_eq!(sold["payments"].as_array().unwrap().len(), 2);
    let order_id = sold["order"]["id"].as_i64().unwrap();
    let again = keyed(
        app,
        "/api/v1/sales",
        &ana,
        Some("sale-1"),
        sale(id, walk_in, json!({})),
    )
    .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (status, replay) = read(again).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["order"]["id"], order_id);

    // A manager's login approves a 50 % discount.
    let discounted = sale(
        id,
        walk_in,
        json!({"discount": {"percent": "50"},
               "tenders": [{"tender": "debit", "amount": "4.90"}],
               "approver": {"username": "boss", "password": PASSWORD}}),
    );
    let (status, cheap) =
        read(keyed(app, "/api/v1/sales", &ana, Some("sale-2"), discounted).await).await;
    assert_eq!(status, StatusCode::CREATED, "{cheap}");
    assert_eq!(cheap["order"]["total"], "4.90");
    assert!(cheap["order"]["approved_by"].as_i64().is_some());

    // A delivery order paid later.
    let (status, placed) = read(app.order(&ana, walk_in, &[("TEA-01", 1)], "o-1").await).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let placed_id = placed["id"].as_i64().unwrap();
    let (status, paid) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{placed_id}/payments"),
            Some(&ana),
            Some(json!({"tenders": [{"tender": "credit", "amount": "4.90"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["order"]["balance_due"], "0.00");

    // Sangria, then a return refunded in cash with approval.
    let (status, moved) = app
        .call(
            Method::POST,
            &format!("/api/v1/registers/{id}/cash"),
            Some(&ana),
            Some(json!({"kind": "out", "amount": "50.00", "reason": "to the safe"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    let back = json!({"lines": [{"sku": "TEA-01", "quantity": 1}],
                      "refunds": [{"tender": "cash", "amount": "4.90"}],
                      "register_id": id,
                      "approver": {"username": "boss", "password": PASSWORD}});
    let path = format!("/api/v1/orders/{order_id}/returns");
    let (status, returned) = read(keyed(app, &path, &ana, Some("ret-1"), back).await).await;
    assert_eq!(status, StatusCode::CREATED, "{returned}");
    assert_eq!(returned["refund_total"], "4.90");

    // X report, then close 0.50 short: 100 + 10 - 5.20 - 50 - 4.90 = 49.90 expected.
    let (status, x) = app
        .call(
            Method::GET,
            &format!("/api/v1/sessions/{session_id}/report?width=42"),
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{x}");
    assert_eq!(x["kind"], "X");
    let cash = &x["tenders"][0];
    assert_eq!(
        (cash["tender"].as_str(), cash["expected"].as_str()),
        (Some("cash"), Some("49.90"))
    );
    assert!(
        x["text"]
            .as_str()
            .unwrap()
            .contains("NOT A FISCAL DOCUMENT")
    );
    let counts = json!({"counts": [
        {"tender": "cash", "counted": "49.40"},
        {"tender": "pix", "counted": "5.00"},
        {"tender": "debit", "counted": "4.90"},
    ]});
    let (status, z) = app
        .call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/close"),
            Some(&ana),
            Some(counts.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{z}");
    assert_eq!(z["kind"], "Z");
    assert_eq!(z["tenders"][0]["difference"], "-0.50");
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/close"),
            Some(&ana),
        )
        .json(&counts)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::CONFLICT, "session_closed").await;
    let (status, listed) = app
        .call(
            Method::GET,
            &format!("/api/v1/registers/{id}/sessions"),
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["open"], false);
    let (status, registers) = app
        .call(Method::GET, "/api/v1/registers", Some(&ana), None)
        .await;
    assert_eq!(
        (status, registers.as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
}

pub async fn bad_sales_payments_and_returns_are_problems_that_change_nothing(app: &TestApp) {
    app.product("TEA-01", "4.90", 10).await;
    let walk_in = app.customer("Walkin").await;
    let ana = app.user("ana", "operator").await;
    let bob = app.user("bob", "operator").await;
    app.user("boss", "manager").await;
    let (_, register) = app
        .admin(
            Method::POST,
            "/api/v1/registers",
            Some(json!({"code": "C1", "name": "One"})),
        )
        .await;
    let id = register["id"].as_i64().unwrap();
    // No open session yet.
    let response = keyed(
        app,
        "/api/v1/sales",
        &ana,
        Some("k0"),
        sale(id, walk_in, json!({})),
    )
    .await;
    assert_problem(response, StatusCode::CONFLICT, "no_open_session").await;
    let (status, session) = app
        .call(
            Method::POST,
            &format!("/api/v1/registers/{id}/sessions"),
            Some(&ana),
            Some(json!({"opening_float": "20"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let session_id = session["id"].as_i64().unwrap();
    let response = keyed(
        app,
        "/api/v1/sales",
        &bob,
        Some("k0"),
        sale(id, walk_in, json!({})),
    )
    .await;
    assert_problem(response, StatusCode::FORBIDDEN, "session_not_yours").await;
    let response = keyed(
        app,
        "/api/v1/sales",
        &ana,
        None,
        sale(id, walk_in, json!({})),
    )
    .await;
    assert_problem(response, StatusCode::BAD_REQUEST, "missing_idempotency_key").await;
    let cases = [
        (
            json!({"tenders": [{"tender": "cash", "amount": "9.79"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "payment_short",
        ),
        (
            json!({"tenders": [{"tender": "credit", "amount": "9.81"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "overpayment",
        ),
        (
            json!({"tenders": [{"tender": "cash", "amount": "0"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"tenders": [{"tender": "cash", "amount": "-5"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"discount": {"percent": "100.01"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"lines": [{"sku": "TEA-01", "quantity": 2, "discount": {"amount": "9.81"}}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"discount": {"percent": "20"}}),
            StatusCode::FORBIDDEN,
            "approval_required",
        ),
        (
            json!({"discount": {"percent": "20"}, "approver": {"username": "boss", "password": "wrong password"}}),
            StatusCode::FORBIDDEN,
            "approval_required",
        ),
        (
            json!({"lines": [{"sku": "TEA-01", "quantity": 2, "unit_price": "1.00"}]}),
            StatusCode::FORBIDDEN,
            "approval_required",
        ),
    ];
    for (index, (extra, status, code)) in cases.into_iter().enumerate() {
        let response = keyed(
            app,
            "/api/v1/sales",
            &ana,
            Some(&format!("bad-{index}")),
            sale(id, walk_in, extra.clone()),
        )
        .await;
        let problem = assert_problem(response, status, code).await;
        assert!(
            !problem.to_string().contains("wrong password"),
            "{extra}: never echoed"
        );
    }
    let (_, orders) = app.admin(Method::GET, "/api/v1/orders", None).await;
    assert_eq!(orders["total"], 0, "nothing was sold");
    let (_, tea) = app
        .admin(Method::GET, "/api/v1/products?q=TEA-01", None)
        .await;
    assert_eq!(tea["items"][0]["on_hand"], 10);

    // Payments: over the balance, on an unknown order.
    let (_, placed) = read(app.order(&ana, walk_in, &[("TEA-01", 1)], "o-1").await).await;
    let placed_id = placed["id"].as_i64().unwrap();
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/orders/{placed_id}/payments"),
            Some(&ana),
        )
        .json(&json!({"tenders": [{"tender": "pix", "amount": "4.91"}]}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "overpayment").await;
    let response = app
        .request(Method::POST, "/api/v1/orders/999999/payments", Some(&ana))
        .json(&json!({"tenders": [{"tender": "pix", "amount": "1"}]}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;

    // Returns: a pending order, more than sold, more money than paid, no key, no approval.
    let boss = json!({"username": "boss", "password": PASSWORD});
    let back = |lines: Value, refunds: Value| json!({"lines": lines, "refunds": refunds, "register_id": id, "approver": boss});
    let one = json!([{"sku": "TEA-01", "quantity": 1}]);
    let path = format!("/api/v1/orders/{placed_id}/returns");
    let response = keyed(app, &path, &ana, Some("r0"), back(one.clone(), json!([]))).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "order_not_eligible",
    )
    .await;
    let (status, sold) = read(
        keyed(
            app,
            "/api/v1/sales",
            &ana,
            Some("ok"),
            sale(id, walk_in, json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    let sold_id = sold["order"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/orders/{sold_id}/returns");
    let response = keyed(app, &path, &ana, None, back(one.clone(), json!([]))).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "missing_idempotency_key").await;
    let response = keyed(
        app,
        &path,
        &ana,
        Some("r1"),
        back(json!([{"sku": "TEA-01", "quantity": 3}]), json!([])),
    )
    .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "return_exceeds_sold",
    )
    .await;
    let response = keyed(
        app,
        &path,
        &ana,
        Some("r2"),
        back(one.clone(), json!([{"tender": "pix", "amount": "4.91"}])),
    )
    .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refund_exceeds_paid",
    )
    .await;
    let response = keyed(
        app,
        &path,
        &ana,
        Some("r3"),
        json!({"lines": one, "register_id": id}),
    )
    .await;
    assert_problem(response, StatusCode::FORBIDDEN, "approval_required").await;
    // Cash refund once the session is closed: no open session.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/close"),
            Some(&ana),
            Some(json!({"counts": [{"tender": "cash", "counted": "29.80"}, {"tender": "pix", "counted": "5"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = keyed(
        app,
        &path,
        &ana,
        Some("r4"),
        back(one, json!([{"tender": "cash", "amount": "1"}])),
    )
    .await;
    assert_problem(response, StatusCode::CONFLICT, "no_open_session").await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/registers/{id}/cash"),
            Some(&ana),
        )
        .json(&json!({"kind": "sideways", "amount": "1", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let (_, check) = app
        .admin(Method::GET, &format!("/api/v1/orders/{sold_id}"), None)
        .await;
    assert_eq!(check["refunded"], "0.00", "no refund went through");
}

/// With an `Idempotency-Key` a cash movement is made once per register: the same movement again
/// is 200 with `Idempotent-Replayed` and the first movement (also once its session is closed),
/// another amount under the key 422 `idempotency_conflict`, a bad key 422.
pub async fn a_keyed_cash_movement_is_answered_again_not_repeated(app: &TestApp) {
    let ana = app.user("ana", "operator").await;
    let (id, session_id) = open_register(app, &ana, "caixa-09").await;
    let path = format!("/api/v1/registers/{id}/cash");
    let out = |key: &'static str, amount: &'static str| {
        let body = json!({"kind": "out", "amount": amount, "reason": "to the safe"});
        keyed(app, &path, &ana, Some(key), body)
    };
    let (status, first) = read(out("cash-1", "40.00").await).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let again = out("cash-1", "40.00").await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (status, replayed) = read(again).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replayed, first);
    let conflict = assert_problem(
        out("cash-1", "41.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    assert_eq!(conflict["movement_id"], first["id"], "{conflict}");
    let bad = assert_problem(
        out("a key with spaces", "1.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(bad["field"], "idempotency_key", "{bad}");
    // Two keys on one request: which one it is made once under is not guessed.
    let twice = app
        .request(Method::POST, &path, Some(&ana))
        .json(&json!({"kind": "out", "amount": "1.00", "reason": "to the safe"}))
        .header("Idempotency-Key", "cash-2")
        .header("Idempotency-Key", "cash-3")
        .send()
        .await
        .unwrap();
    let twice = assert_problem(twice, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(twice["field"], "idempotency_key", "{twice}");
    let (status, x) = app
        .call(
            Method::GET,
            &format!("/api/v1/sessions/{session_id}/report"),
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{x}");
    assert_eq!(x["cash_out"], "40.00", "once: {x}");
    // Closed meanwhile: a retry whose answer was lost is still answered, not refused or redone.
    let (status, z) = app
        .call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/close"),
            Some(&ana),
            Some(json!({"counts": [{"tender": "cash", "counted": "60.00"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{z}");
    let late = out("cash-1", "40.00").await;
    assert_eq!(late.headers()["idempotent-replayed"], "true");
    let (status, replayed) = read(late).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replayed, first);
}
