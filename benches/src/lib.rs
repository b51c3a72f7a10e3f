//! What the load tools (`erp-load`, `erp-drill`) share: the HTTP set-up of a run (log in, create
//! the run's products and customer) and the answers they count. Benchmarks live in benches/.

use anyhow::{Context, ensure};
use clap::ValueEnum;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// Where a run's orders go.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Spread {
    /// Every order takes the same product: the row-lock hot spot.
    Hot,
    /// Orders pick among `--sku-count` products.
    Spread,
}

impl Spread {
    /// How many products the run needs, given `--sku-count`.
    pub fn products(self, sku_count: usize) -> usize {
        match self {
            Spread::Hot => 1,
            Spread::Spread => sku_count.max(1),
        }
    }

    /// What the run's banner calls it.
    pub fn describe(self) -> &'static str {
        match self {
            Spread::Hot => "hot SKU",
            Spread::Spread => "spread",
        }
    }
}

/// Sends a request; its status and JSON body (`Null` when the body is not JSON).
pub async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<(StatusCode, Value)> {
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A run's own data on the server: products and a customer with a run-specific prefix, so runs
/// never interfere.
pub struct Run {
    /// The prefix of the run's SKUs and idempotency keys.
    pub tag: String,
    pub token: String,
    /// (SKU, product id)
    pub products: Vec<(String, i64)>,
    pub customer: i64,
}

/// Logs in as `username` and creates `sku_count` products with a billion units each and one
/// customer.
pub async fn prepare(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
    sku_count: usize,
) -> anyhow::Result<Run> {
    let (status, tokens) = send(
        client
            .post(format!("{base}/api/v1/auth/jwt/login"))
            .json(&json!({"username": username, "password": password})),
    )
    .await
    .context("logging in")?;
    ensure!(status == StatusCode::OK, "login failed: {status} {tokens}");
    let token = tokens["access_token"]
        .as_str()
        .context("no access token")?
        .to_string();

    let tag = format!("L{:06X}", fastrand::u32(..0xFF_FFFF));
    let mut products = Vec::with_capacity(sku_count);
    for i in 0..sku_count.max(1) {
        let sku = format!("{tag}-{i:04}");
        let (status, product) = send(
            client
                .post(format!("{base}/api/v1/products"))
                .bearer_auth(&token)
                .json(
                    &json!({"sku": sku, "name": format!("Load test {i}"), "price": "1.00",
                              "initial_stock": 1_000_000_000}),
                ),
        )
        .await?;
        ensure!(
            status == StatusCode::CREATED,
            "creating {sku}: {status} {product}"
        );
        products.push((sku, product["id"].as_i64().context("product id")?));
    }
    let (status, customer) = send(
        client
            .post(format!("{base}/api/v1/customers"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Load {tag}"), "email": format!("{}@load.example", tag.to_lowercase())})),
    )
    .await?;
    ensure!(
        status == StatusCode::CREATED,
        "creating the customer: {status} {customer}"
    );
    let customer = customer["id"].as_i64().context("customer id")?;
    Ok(Run {
        tag,
        token,
        products,
        customer,
    })
}
