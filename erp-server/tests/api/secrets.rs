//! Secrets (the JWT secret, database and Redis passwords) never reach the logs or error output.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Client;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

const SECRETS: [&str; 3] = ["jwt-hunter2", "db-hunter2", "cache-hunter2"];

fn assert_no_secret(output: &str) {
    for secret in SECRETS {
        assert!(!output.contains(secret), "{secret} shown in:\n{output}");
    }
}

#[tokio::test]
async fn a_database_url_that_cannot_be_opened_is_reported_without_its_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_erp-server"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            "mysql://shop:db-hunter2@127.0.0.1:notaport/erp",
        )
        .env("ERP_JWT_SECRET", "jwt-hunter2-jwt-hunter2-jwt-hunter2")
        .env("RUST_LOG", "trace")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(shown.contains("error"), "{shown}");
    assert_no_secret(&shown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_logs_no_secret_even_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_erp-server"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("erp.db").display()),
        )
        .env("ERP_BIND", "127.0.0.1:0")
        .env("ERP_JWT_SECRET", "jwt-hunter2-jwt-hunter2-jwt-hunter2")
        // Nothing listens there: every rate-limit check fails over Redis and logs why.
        .env("REDIS_URL", "redis://:cache-hunter2@127.0.0.1:1/0")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            stdout.push_str(&line);
            stdout.push('\n');
            if let Some(url) = line.strip_prefix("erp-server listening on ") {
                return url.to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .unwrap();
    let client = Client::new();
    let response = client
        .post(format!("{url}/api/v1/auth/jwt/login"))
        .json(&json!({"username": "nobody", "password": "db-hunter2 typed here"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    // Logs go to stdout; read what followed the "listening" line.
    while let Some(line) = lines.next_line().await.unwrap() {
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let logs = format!("{stdout}{stderr}");
    // The request and the Redis failures were logged: there was something to leak.
    assert!(logs.contains("jwt/login"), "{logs}");
    assert!(logs.contains("Redis"), "{logs}");
    assert_no_secret(&logs);
}
