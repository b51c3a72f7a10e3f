//! What operators see: one log line per request, and Prometheus metrics at `/metrics`.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::helpers::{Backend, PASSWORD, spawn_app};

/// The value of the sample `name` whose labels include all of `labels`, in a Prometheus text
/// exposition; `None` when there is none.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (series_name, found) = match series.split_once('{') {
            Some((n, rest)) => (n, parse_labels(rest.trim_end_matches('}'))),
            None => (series, HashMap::new()),
        };
        if series_name == name
            && labels
                .iter()
                .all(|(k, v)| found.get(*k).map(String::as_str) == Some(*v))
        {
            return value.parse().ok();
        }
    }
    None
}

fn parse_labels(text: &str) -> HashMap<String, String> {
    let mut labels = HashMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"').unwrap();
        labels.insert(
            key.trim_start_matches(',').to_string(),
            after[..end].to_string(),
        );
        rest = &after[end + 1..];
    }
    labels
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let product = app.product("TEA-01", "1.00", 5).await;
    let id = product["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (status, _) = app
            .admin(Method::GET, &format!("/api/v1/products/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    for missing in [999_998, 999_999] {
        let (status, _) = app
            .admin(Method::GET, &format!("/api/v1/products/{missing}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app.call(Method::GET, "/no/such/page", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let response = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();

    let ok = [
        ("method", "GET"),
        ("route", "/api/v1/products/{id}"),
        ("status", "200"),
    ];
    let missing = [
        ("method", "GET"),
        ("route", "/api/v1/products/{id}"),
        ("status", "404"),
    ];
    assert_eq!(
        sample(&text, "http_requests_total", &ok),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "http_requests_total", &missing),
        Some(2.0),
        "{text}"
    );
    let created = [
        ("method", "POST"),
        ("route", "/api/v1/products"),
        ("status", "201"),
    ];
    assert_eq!(
        sample(&text, "http_requests_total", &created),
        Some(1.0),
        "{text}"
    );
    // The latency histogram: three requests, all within the largest bucket, some time taken.
    assert_eq!(
        sample(&text, "http_request_duration_seconds_count", &ok),
        Some(3.0),
        "{text}"
    );
    let mut inf = ok.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(
        sample(&text, "http_request_duration_seconds_bucket", &inf),
        Some(3.0)
    );
    let mut fastest = ok.to_vec();
    fastest.push(("le", "0.001"));
    assert!(sample(&text, "http_request_duration_seconds_bucket", &fastest).is_some());
    assert!(sample(&text, "http_request_duration_seconds_sum", &ok).unwrap() > 0.0);
    // A path no route has is counted under one label, never under its raw path.
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(sample(&text, "http_requests_total", &unmatched), Some(1.0));
    assert!(
        !text.contains("/no/such/page") && !text.contains("/api/v1/products/99999"),
        "{text}"
    );

    // The database pool and the outbox: without Redis nothing is published, so every event
    // so far waits, and the oldest has waited a little while.
    assert!(
        sample(&text, "erp_db_pool_size", &[]).unwrap() >= 1.0,
        "{text}"
    );
    assert!(sample(&text, "erp_db_pool_idle", &[]).is_some(), "{text}");
    assert!(
        sample(&text, "erp_db_pool_max", &[]).unwrap() >= 1.0,
        "{text}"
    );
    assert_eq!(sample(&text, "erp_database_up", &[]), Some(1.0));
    // The server's own count of transactions run again (the app shares the server's Erp).
    assert_eq!(
        sample(&text, "erp_transaction_retries_total", &[]),
        Some(app.erp.retries() as f64),
        "{text}"
    );
    let waiting = app
        .erp
        .events_after(&erp_core::Actor::system(), None, 100)
        .await
        .unwrap()
        .len();
    assert!(waiting >= 1);
    assert_eq!(
        sample(&text, "erp_outbox_unpublished", &[]),
        Some(waiting as f64),
        "{text}"
    );
    assert!(
        sample(&text, "erp_relay_lag_seconds", &[]).unwrap() > 0.0,
        "{text}"
    );

    // A scrape is counted like any request, and the counts go on from where they were.
    let text = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scraped = [("route", "/metrics"), ("status", "200")];
    assert_eq!(sample(&text, "http_requests_total", &scraped), Some(1.0));
    assert_eq!(sample(&text, "http_requests_total", &ok), Some(3.0));

    // The route is in the API document, as the health routes are: text, no token, no problems.
    let (status, schema) = app.call(Method::GET, "/api/schema", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let scrape = &schema["paths"]["/metrics"]["get"];
    assert!(
        scrape["responses"]["200"]["content"]["text/plain"].is_object(),
        "{scrape}"
    );
    assert!(scrape["security"].is_null(), "{scrape}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_switched_off() {
    let args = erp_server::config::ServeArgs {
        metrics: false,
        ..erp_server::config::ServeArgs::for_tests()
    };
    let app = crate::helpers::spawn_app_with(Backend::Sqlite, args)
        .await
        .unwrap();
    let (status, body) = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    app.stop().await;
}

/// The `erp-server` binary on a fresh SQLite file with an admin `root`, logging at its default
/// level: its URL and the process. A process of its own, because tracing's filters are global to
/// a process and the other tests running beside this one install subscribers of their own.
async fn start_binary(dir: &std::path::Path) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let database = format!("sqlite://{}", dir.join("erp.db").display());
    let created = Command::new(env!("CARGO_BIN_EXE_erp-server"))
        .args(["user", "create", "--username", "root", "--role", "admin"])
        .env("DATABASE_URL", &database)
        .env("ERP_USER_PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_erp-server"))
        .arg("serve")
        .env("DATABASE_URL", &database)
        .env("ERP_BIND", "127.0.0.1:0")
        .env("ERP_JWT_SECRET", "jwt-hunter2-jwt-hunter2-jwt-hunter2")
        .env_remove("RUST_LOG")
        .env_remove("ERP_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("erp-server listening on ") {
                return url.to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .unwrap();
    (child, url, lines)
}

/// The server's log at the default level (INFO), as text: each request answered is one line
/// with its method, route template, status, latency and request id, and none shows a token, a
/// password or a query string.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_one_info_line_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, mut lines) = start_binary(dir.path()).await;
    let client = Client::new();
    let login = client
        .post(format!("{url}/api/v1/auth/jwt/login"))
        .header("x-request-id", "obs-login-1")
        .json(&json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let created = client
        .post(format!("{url}/api/v1/products"))
        .bearer_auth(&token)
        .header("x-request-id", "obs-create-1")
        .json(&json!({"sku": "TEA-01", "name": "Tea", "price": "1.00", "initial_stock": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let read = client
        .get(format!("{url}/api/v1/products/{id}?api_key=query-hunter2"))
        .bearer_auth(&token)
        .header("x-request-id", "obs-read-1")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let refused = client
        .get(format!("{url}/api/v1/auth/me"))
        .bearer_auth("not-a-valid-token-hunter2")
        .header("x-request-id", "obs-refused-1")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let mut log = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        log.push_str(&line);
        log.push('\n');
    }
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .await
        .unwrap();

    let line_of = |request_id: &str| -> String {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&format!("request_id={request_id}")) && l.contains("status="))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "one line per request for {request_id}:\n{log}"
        );
        lines[0].to_string()
    };
    let read = line_of("obs-read-1");
    for part in [
        " INFO ",
        "method=GET",
        "route=/api/v1/products/{id}",
        "status=200",
        "latency_ms=",
    ] {
        assert!(read.contains(part), "{part} missing in {read}");
    }
    let latency: f64 = read
        .split("latency_ms=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(latency > 0.0, "{read}");
    let login = line_of("obs-login-1");
    for part in ["method=POST", "route=/api/v1/auth/jwt/login", "status=200"] {
        assert!(login.contains(part), "{part} missing in {login}");
    }
    let create = line_of("obs-create-1");
    for part in ["method=POST", "route=/api/v1/products ", "status=201"] {
        assert!(create.contains(part), "{part} missing in {create}");
    }
    let refused = line_of("obs-refused-1");
    for part in ["route=/api/v1/auth/me", "status=401"] {
        assert!(refused.contains(part), "{part} missing in {refused}");
    }
    for secret in [
        token.as_str(),
        PASSWORD,
        "hunter2",
        "api_key",
        &format!("/api/v1/products/{id}"),
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
