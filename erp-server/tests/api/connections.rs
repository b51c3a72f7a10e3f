//! The connection layer, spoken to over raw TCP: slow clients, refusals before the body,
//! headers hyper cannot accept, request timeouts and shutdown with a deadline.

use std::time::Duration;

use erp_core::domain::{NewUser, Password, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_server::app::{RunningServer, spawn};
use erp_server::config::ServeArgs;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app};

/// Far longer than anything here should take: a bound so a regression fails instead of hanging.
const SAFETY: Duration = Duration::from_secs(60);

/// One response read off a raw connection: the head (lower-cased) and the body.
async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&buffer)
        );
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed in the middle of a body");
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).to_string();
    (head, body)
}

async fn server_with(args: ServeArgs) -> RunningServer {
    let erp = Erp::connect("memory", &ConnectOptions::default())
        .await
        .unwrap();
    erp.create_user(
        &Actor::system(),
        NewUser {
            username: Username::parse("root").unwrap(),
            password: Password::new(PASSWORD).unwrap(),
            role: Role::Admin,
        },
    )
    .await
    .unwrap();
    spawn(args, erp).await.unwrap()
}

#[tokio::test]
async fn a_request_head_never_finished_is_disconnected() {
    let server = server_with(ServeArgs {
        header_read_timeout_ms: 300,
        ..ServeArgs::for_tests()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: erp\r\nX-Slow: ")
        .await
        .unwrap();
    // The server closes the connection (after a bare 408 at most); without the timeout this read
    // waits for ever and the safety bound fails the test.
    let mut rest = Vec::new();
    tokio::time::timeout(SAFETY, stream.read_to_end(&mut rest))
        .await
        .expect("the half-sent head was kept open")
        .ok();
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    tokio::time::timeout(SAFETY, server.stop())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_closes_connections_still_open_after_the_deadline() {
    let server = server_with(ServeArgs {
        shutdown_deadline_ms: 300,
        ..ServeArgs::for_tests()
    })
    .await;
    // A login whose body never arrives: the handler waits on it.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/jwt/login HTTP/1.1\r\nHost: erp\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(SAFETY, server.stop())
        .await
        .expect("the server waited for the slow client instead of its deadline")
        .unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(SAFETY, stream.read_to_end(&mut rest))
        .await
        .expect("the connection was left open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_is_a_timeout_problem() {
    // Hashing a password takes far more than a millisecond.
    let server = server_with(ServeArgs {
        request_timeout_ms: 1,
        ..ServeArgs::for_tests()
    })
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/jwt/login", server.url()))
        .json(&json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "timeout").await;
    server.stop().await.unwrap();
}

pub async fn refusals_before_the_body_say_connection_close_and_others_keep_alive() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let addr = app.server.as_ref().unwrap().addr;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The head first, the body in a second write, as pooled clients do.
    stream
        .write_all(
            b"POST /api/v1/orders HTTP/1.1\r\nHost: erp\r\nAuthorization: Bearer forged\r\n\
              Content-Type: application/json\r\nIdempotency-Key: k1\r\nContent-Length: 2\r\n\r\n",
        )
        .await
        .unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(head.contains("application/problem+json"), "{head}");
    assert!(body.contains("invalid_token"), "{body}");

    // 415 from the headers alone, with a valid token.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: erp\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/plain\r\nIdempotency-Key: k2\r\nContent-Length: 2\r\n\r\n",
        app.admin_token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 415"), "{head}");
    assert!(head.contains("connection: close"), "{head}");

    // A refusal after the body was read keeps the connection: a second request goes through.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let wrong = br#"{"username":"root","password":"not the password"}"#;
    let request = format!(
        "POST /api/v1/auth/jwt/login HTTP/1.1\r\nHost: erp\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        wrong.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(wrong).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(!head.contains("connection: close"), "{head}");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: erp\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    app.stop().await;
}

pub async fn a_header_hyper_refuses_is_answered_with_a_problem() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let addr = app.server.as_ref().unwrap().addr;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = br#"{"customer_id": 1, "lines": [{"sku": "X", "quantity": 1}]}"#;
    let request = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: erp\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: abc\x01def\r\n\
         Content-Length: {}\r\n\r\n",
        app.admin_token,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let (head, body) = tokio::time::timeout(SAFETY, read_response(&mut stream))
        .await
        .unwrap();
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(head.contains("application/problem+json"), "{head}\n{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "missing_idempotency_key", "{problem}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_refusals_close_and_late_ones_keep_alive() {
    refusals_before_the_body_say_connection_close_and_others_keep_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_headers_get_a_problem_body() {
    a_header_hyper_refuses_is_answered_with_a_problem().await;
}
