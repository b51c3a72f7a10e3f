//! Concurrent clients over HTTP.

use std::collections::HashSet;

use reqwest::StatusCode;

use crate::helpers::{TestApp, read};

pub async fn thirty_two_requests_with_one_key_make_one_order(app: &TestApp) {
    let tea = app.product("TEA-01", "4.90", 100).await["id"]
        .as_i64()
        .unwrap();
    let customer = app.customer("Ana").await;
    let requests = (0..32).map(|_| async {
        let response = app
            .order(
                &app.admin_token,
                customer,
                &[("TEA-01", 2)],
                "one-key-for-all",
            )
            .await;
        let replayed = response.headers().contains_key("idempotent-replayed");
        let (status, body) = read(response).await;
        (status, replayed, body["id"].as_i64())
    });
    let answers = futures::future::join_all(requests).await;
    let created = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CREATED)
        .count();
    let replays = answers
        .iter()
        .filter(|(s, r, _)| *s == StatusCode::OK && *r)
        .count();
    let ids: HashSet<_> = answers.iter().map(|(_, _, id)| *id).collect();
    assert_eq!((created, replays), (1, 31), "{answers:?}");
    assert_eq!(ids.len(), 1);
    assert!(ids.iter().all(Option::is_some));
    assert_eq!(app.stock(tea).await, (100, 2));
    app.assert_consistent().await;
}

pub async fn thirty_two_clients_racing_for_the_last_units_never_oversell(app: &TestApp) {
    let tea = app.product("LAST-01", "4.90", 7).await["id"]
        .as_i64()
        .unwrap();
    let customer = app.customer("Ana").await;
    let requests = (0..32).map(|i| async move {
        let response = app
            .order(
                &app.admin_token,
                customer,
                &[("LAST-01", 1)],
                &format!("racer-{i}"),
            )
            .await;
        let (status, body) = read(response).await;
        (status, body["code"].as_str().map(String::from))
    });
    let answers = futures::future::join_all(requests).await;
    let sold = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|(s, c)| {
            *s == StatusCode::UNPROCESSABLE_ENTITY && c.as_deref() == Some("insufficient_stock")
        })
        .count();
    assert_eq!((sold, refused), (7, 25), "{answers:?}");
    assert_eq!(app.stock(tea).await, (7, 7));
    app.assert_consistent().await;
}
