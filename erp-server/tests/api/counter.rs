//! The shop's settings, receipts of stored sales and returns, and parked sales over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_problem, read};

macro_rules! counter_api_tests {
    ($backend:expr) => {
        api_tests!($backend;
            counter::shop_settings_are_read_by_anyone_and_changed_by_admins,
            counter::bad_shop_settings_are_problems_that_change_nothing,
            counter::receipts_of_sales_and_returns_as_text_and_escpos,
            counter::bad_receipt_requests_are_problems,
            counter::parked_sales_are_parked_listed_and_recalled_once,
            counter::bad_parked_sales_are_problems_that_change_nothing,
            counter::a_keyed_park_is_answered_again_not_repeated,
            counter::a_keyed_recall_is_answered_again_to_its_retry,
        );
    };
}

mod sqlite {
    counter_api_tests!(crate::helpers::Backend::Sqlite);
}

mod mysql {
    counter_api_tests!(crate::helpers::Backend::Mysql);
}

pub async fn shop_settings_are_read_by_anyone_and_changed_by_admins(app: &TestApp) {
    let viewer = app.user("vera", "viewer").await;
    let manager = app.user("mona", "manager").await;
    let (status, shop) = app
        .call(Method::GET, "/api/v1/settings/shop", Some(&viewer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    assert_eq!(shop["name"], "Minha Loja");
    assert_eq!(shop["tax_id"], serde_json::Value::Null);
    assert_eq!(shop["utc_offset_minutes"], -180);

    let body = json!({
        "name": "Empório Exemplo",
        "tax_id": "11222333000181",
        "address": ["Rua das Flores, 123", "São Paulo - SP"],
        "phone": "(11) 3333-4444",
        "footer": "Obrigado!",
    });
    let refused = app
        .request(Method::PUT, "/api/v1/settings/shop", Some(&manager))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, saved) = app
        .admin(Method::PUT, "/api/v1/settings/shop", Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["tax_id"], "11.222.333/0001-81");
    assert_eq!(saved["phone"], "1133334444");
    let (status, shop) = app
        .call(Method::GET, "/api/v1/settings/shop", Some(&manager), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shop, saved);
    assert_eq!(
        shop["address"],
        json!(["Rua das Flores, 123", "São Paulo - SP"])
    );

    let anonymous = app
        .request(Method::GET, "/api/v1/settings/shop", None)
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    let (_, schema) = read(
        app.request(Method::GET, "/api/schema", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = &schema["paths"]["/api/v1/settings/shop"];
    assert!(path["get"].is_object() && path["put"].is_object(), "{path}");
}

pub async fn bad_shop_settings_are_problems_that_change_nothing(app: &TestApp) {
    let bad = [
        (
            json!({"name": "Shop", "tax_id": "529.982.247-25"}),
            "tax_id",
        ),
        (
            json!({"name": "Shop", "tax_id": "11.222.333/0001-82"}),
            "tax_id",
        ),
        (json!({"name": ""}), "name"),
        (
            json!({"name": "Shop", "address": ["a", "b", "c", "d", "e"]}),
            "address",
        ),
        (
            json!({"name": "Shop", "utc_offset_minutes": 2000}),
            "utc_offset_minutes",
        ),
    ];
    for (body, field) in bad {
        let response = app
            .request(Method::PUT, "/api/v1/settings/shop", Some(&app.admin_token))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let unknown = app
        .request(Method::PUT, "/api/v1/settings/shop", Some(&app.admin_token))
        .json(&json!({"name": "Shop", "colour": "red"}))
        .send()
        .await
        .unwrap();
    // A wrong shape (an unknown field) is 422, like every body's.
    assert_problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let (_, shop) = app.admin(Method::GET, "/api/v1/settings/shop", None).await;
    assert_eq!(shop["name"], "Minha Loja", "nothing changed");
}

/// A till with TEA-01 (4.90) open for `ana`; returns (ana's token, register id, walk-in id).
async fn open_till(app: &TestApp) -> (String, i64, i64) {
    app.product("TEA-01", "4.90", 20).await;
    let walk_in = app.customer("Walkin").await;
    let ana = app.user("ana", "operator").await;
    let (status, register) = app
        .admin(
            Method::POST,
            "/api/v1/registers",
            Some(json!({"code": "caixa-01", "name": "Front"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{register}");
    let id = register["id"].as_i64().unwrap();
    let (status, session) = app
        .call(
            Method::POST,
            &format!("/api/v1/registers/{id}/sessions"),
            Some(&ana),
            Some(json!({"opening_float": "100.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    (ana, id, walk_in)
}

/// Sells 2 TEA-01 (9.80) for 5.00 PIX and 10.00 cash; returns the order id.
async fn sell(app: &TestApp, ana: &str, register: i64, customer: i64, key: &str) -> i64 {
    let response = app
        .request(Method::POST, "/api/v1/sales", Some(ana))
        .header("Idempotency-Key", key)
        .json(&json!({
            "register_id": register,
            "customer_id": customer,
            "lines": [{"sku": "TEA-01", "quantity": 2}],
            "tenders": [{"tender": "pix", "amount": "5.00"}, {"tender": "cash", "amount": "10.00"}],
        }))
        .send()
        .await
        .unwrap();
    let (status, sold) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    sold["order"]["id"].as_i64().unwrap()
}

async fn get_raw(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

pub async fn receipts_of_sales_and_returns_as_text_and_escpos(app: &TestApp) {
    let (ana, register, walk_in) = open_till(app).await;
    app.user("boss", "manager").await;
    app.admin(
        Method::PUT,
        "/api/v1/settings/shop",
        Some(
            json!({"name": "Empório Exemplo", "tax_id": "11222333000181",
                    "address": ["Rua das Flores, 123"]}),
        ),
    )
    .await;
    let order = sell(app, &ana, register, walk_in, "s-1").await;

    let path = format!("/api/v1/orders/{order}/receipt");
    let (status, content_type, body) = get_raw(app, &path, &ana).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/plain; charset=utf-8");
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("Empório Exemplo"), "{text}");
    assert!(text.contains("CNPJ 11.222.333/0001-81"), "{text}");
    assert!(text.contains("NÃO É DOCUMENTO FISCAL"), "{text}");
    assert!(text.contains(&format!("Pedido {order}")), "{text}");
    assert!(text.contains("Operador: ana"), "{text}");
    assert!(text.contains("CAIXA-01"), "{text}");
    assert!(text.contains("R$ 9,80") && text.contains("Troco"), "{text}");
    assert!(
        text.lines().all(|l| l.chars().count() <= 42),
        "42 columns by default"
    );

    for (width, lang, marker) in [(32, "en", "NOT A FISCAL DOCUMENT"), (48, "pt-BR", "Troco")] {
        let (status, _, body) = get_raw(
            app,
            &format!("{path}?width={width}&lang={lang}&format=text"),
            &ana,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(marker), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= width));
        assert!(text.lines().any(|l| l.chars().count() == width), "{text}");
    }
    let (_, _, again) = get_raw(app, &path, &ana).await;
    assert_eq!(
        String::from_utf8(again).unwrap(),
        text,
        "a reprint is the same receipt"
    );
    let (_, _, copy) = get_raw(app, &format!("{path}?reprint=true"), &ana).await;
    assert!(String::from_utf8(copy).unwrap().contains("2ª VIA"));

    let (status, content_type, bytes) =
        get_raw(app, &format!("{path}?format=escpos&width=32"), &ana).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/octet-stream");
    assert_eq!(&bytes[..2], b"\x1b@", "starts by initialising the printer");
    assert!(bytes.windows(5).any(|w| w == b"CAIXA"), "the text is in it");

    // A return of one unit, and its receipt.
    let back = json!({"lines": [{"sku": "TEA-01", "quantity": 1}],
                      "refunds": [{"tender": "cash", "amount": "4.90"}],
                      "register_id": register,
                      "approver": {"username": "boss", "password": PASSWORD}});
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/orders/{order}/returns"),
            Some(&ana),
        )
        .header("Idempotency-Key", "r-1")
        .json(&back)
        .send()
        .await
        .unwrap();
    let (status, returned) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{returned}");
    let return_id = returned["id"].as_i64().unwrap();
    let (status, content_type, body) = get_raw(
        app,
        &format!("/api/v1/orders/{order}/returns/{return_id}/receipt?lang=en"),
        &ana,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/plain; charset=utf-8");
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("RETURN") && text.contains("TOTAL REFUNDED"),
        "{text}"
    );
    assert!(text.contains(&format!("Original order {order}")), "{text}");
    assert!(text.contains("R$ 4.90"), "{text}");

    let (_, schema) = read(
        app.request(Method::GET, "/api/schema", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let receipt = &schema["paths"]["/api/v1/orders/{id}/receipt"]["get"];
    let content = &receipt["responses"]["200"]["content"];
    assert!(
        content["text/plain; charset=utf-8"].is_object(),
        "{receipt}"
    );
    assert!(content["application/octet-stream"].is_object(), "{receipt}");
    assert!(schema["paths"]["/api/v1/orders/{id}/returns/{return_id}/receipt"]["get"].is_object());
}

pub async fn bad_receipt_requests_are_problems(app: &TestApp) {
    let (ana, register, walk_in) = open_till(app).await;
    let order = sell(app, &ana, register, walk_in, "s-1").await;
    let path = format!("/api/v1/orders/{order}/receipt");
    for (query, field) in [
        ("width=40", "width"),
        ("width=abc", "width"),
        ("lang=fr", "lang"),
        ("format=pdf", "format"),
    ] {
        let response = app
            .request(Method::GET, &format!("{path}?{query}"), Some(&ana))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
    let unknown = app
        .request(Method::GET, &format!("{path}?colour=red"), Some(&ana))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let missing = app
        .request(Method::GET, "/api/v1/orders/999999/receipt", Some(&ana))
        .send()
        .await
        .unwrap();
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
    // A delivery order not yet paid has no receipt.
    let (status, placed) = read(app.order(&ana, walk_in, &[("TEA-01", 1)], "o-1").await).await;
    assert_eq!(status, StatusCode::CREATED);
    let unpaid = app
        .request(
            Method::GET,
            &format!("/api/v1/orders/{}/receipt", placed["id"]),
            Some(&ana),
        )
        .send()
        .await
        .unwrap();
    assert_problem(
        unpaid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "order_not_eligible",
    )
    .await;
    let no_return = app
        .request(
            Method::GET,
            &format!("/api/v1/orders/{order}/returns/77/receipt"),
            Some(&ana),
        )
        .send()
        .await
        .unwrap();
    assert_problem(no_return, StatusCode::NOT_FOUND, "not_found").await;
    let bad_id = app
        .request(
            Method::GET,
            &format!("/api/v1/orders/{order}/returns/x/receipt"),
            Some(&ana),
        )
        .send()
        .await
        .unwrap();
    assert_problem(bad_id, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let anonymous = app.request(Method::GET, &path, None).send().await.unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

pub async fn parked_sales_are_parked_listed_and_recalled_once(app: &TestApp) {
    let (ana, register, walk_in) = open_till(app).await;
    let bia = app.user("bia", "operator").await;
    let (status, parked) = app
        .call(
            Method::POST,
            "/api/v1/parked-sales",
            Some(&ana),
            Some(
                json!({"label": "blue coat", "register_id": register, "customer_id": walk_in,
                        "lines": [{"sku": "tea-01", "quantity": 2}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{parked}");
    assert_eq!(parked["label"], "blue coat");
    assert_eq!(parked["lines"], json!([{"sku": "TEA-01", "quantity": 2}]));
    let id = parked["id"].as_i64().unwrap();
    let (_, product) = app
        .admin(Method::GET, "/api/v1/products?q=TEA-01", None)
        .await;
    assert_eq!(
        product["items"][0]["reserved"], 0,
        "parking reserves nothing"
    );

    let (status, listed) = app
        .call(Method::GET, "/api/v1/parked-sales", Some(&bia), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([parked.clone()]));

    // Two tills recall it at once: one gets it, the other 404.
    let path = format!("/api/v1/parked-sales/{id}/recall");
    let (first, second) = tokio::join!(
        app.request(Method::POST, &path, Some(&ana)).send(),
        app.request(Method::POST, &path, Some(&bia)).send(),
    );
    let mut statuses = vec![first.unwrap(), second.unwrap()];
    statuses.sort_by_key(|r| r.status());
    let lost = statuses.pop().unwrap();
    let won = statuses.pop().unwrap();
    let (status, recalled) = read(won).await;
    assert_eq!(status, StatusCode::OK, "{recalled}");
    assert_eq!(recalled, parked);
    assert_problem(lost, StatusCode::NOT_FOUND, "not_found").await;
    let (_, listed) = app
        .call(Method::GET, "/api/v1/parked-sales", Some(&bia), None)
        .await;
    assert_eq!(listed, json!([]));

    // The checkout is a normal sale of the recalled lines, at the till's open session.
    sell(app, &ana, register, walk_in, "after-recall").await;
    let (_, schema) = read(
        app.request(Method::GET, "/api/schema", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(schema["paths"]["/api/v1/parked-sales/{id}/recall"]["post"].is_object());
    app.assert_consistent().await;
}

pub async fn bad_parked_sales_are_problems_that_change_nothing(app: &TestApp) {
    let (ana, _, _) = open_till(app).await;
    let viewer = app.user("vera", "viewer").await;
    let good = json!({"label": "x", "lines": [{"sku": "TEA-01", "quantity": 1}]});
    let refused = app
        .request(Method::POST, "/api/v1/parked-sales", Some(&viewer))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let too_many: Vec<_> = (0..201)
        .map(|i| json!({"sku": format!("S-{i}"), "quantity": 1}))
        .collect();
    for (body, field) in [
        (
            json!({"label": "x".repeat(41), "lines": [{"sku": "TEA-01", "quantity": 1}]}),
            "label",
        ),
        (
            json!({"label": " ", "lines": [{"sku": "TEA-01", "quantity": 1}]}),
            "label",
        ),
        (json!({"label": "x", "lines": []}), "lines"),
        (json!({"label": "x", "lines": too_many}), "lines"),
        (
            json!({"label": "x", "lines": [{"sku": "TEA-01", "quantity": 0}]}),
            "lines[0].quantity",
        ),
    ] {
        let response = app
            .request(Method::POST, "/api/v1/parked-sales", Some(&ana))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let nowhere = app
        .request(Method::POST, "/api/v1/parked-sales", Some(&ana))
        .json(&json!({"label": "x", "register_id": 9999, "lines": [{"sku": "TEA-01", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_problem(nowhere, StatusCode::NOT_FOUND, "not_found").await;
    let missing = app
        .request(Method::POST, "/api/v1/parked-sales/9999/recall", Some(&ana))
        .send()
        .await
        .unwrap();
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
    let (_, listed) = app
        .call(Method::GET, "/api/v1/parked-sales", Some(&ana), None)
        .await;
    assert_eq!(listed, json!([]), "nothing was parked");
}

/// With an `Idempotency-Key` a park is made once: the same cart again is 200 with
/// `Idempotent-Replayed` and the first cart, another cart under the key 422, and a bad key 422.
pub async fn a_keyed_park_is_answered_again_not_repeated(app: &TestApp) {
    let (ana, _, _) = open_till(app).await;
    let park = |key: &str, label: &str, quantity: i64| {
        app.request(Method::POST, "/api/v1/parked-sales", Some(&ana))
            .header("Idempotency-Key", key)
            .json(&json!({"label": label, "lines": [{"sku": "TEA-01", "quantity": quantity}]}))
            .send()
    };
    let (status, first) = read(park("cart-1", "blue coat", 2).await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let again = park("cart-1", "retry", 2).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (status, replayed) = read(again).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replayed, first, "the first cart, label and all");
    let conflict = assert_problem(
        park("cart-1", "blue coat", 3).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    assert_eq!(conflict["parked_sale_id"], first["id"], "{conflict}");
    let bad = assert_problem(
        park("a key with spaces", "x", 1).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(bad["field"], "idempotency_key", "{bad}");
    let (_, listed) = app
        .call(Method::GET, "/api/v1/parked-sales", Some(&ana), None)
        .await;
    assert_eq!(listed, json!([first]), "parked once");
}

/// With an `Idempotency-Key` a recall's retry (after a lost answer) gets the cart it took, 200
/// with `Idempotent-Replayed`; another key or none is 404, and a bad key is 422.
pub async fn a_keyed_recall_is_answered_again_to_its_retry(app: &TestApp) {
    let (ana, _, _) = open_till(app).await;
    let (status, parked) = app
        .call(
            Method::POST,
            "/api/v1/parked-sales",
            Some(&ana),
            Some(json!({"label": "mesa 6", "lines": [{"sku": "TEA-01", "quantity": 2}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{parked}");
    let path = format!("/api/v1/parked-sales/{}/recall", parked["id"]);
    let recall = |key: &str| {
        app.request(Method::POST, &path, Some(&ana))
            .header("Idempotency-Key", key)
            .send()
    };
    let bad = assert_problem(
        recall("a key with spaces").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(bad["field"], "idempotency_key", "{bad}");
    let first = recall("recall-1").await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status, taken) = read(first).await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    assert_eq!(taken, parked);
    let again = recall("recall-1").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let (status, replayed) = read(again).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replayed, parked, "the same cart");
    assert_problem(
        recall("recall-2").await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let (status, _) = app.call(Method::POST, &path, Some(&ana), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
