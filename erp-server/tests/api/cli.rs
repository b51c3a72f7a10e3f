//! The binary's own failures: each says what is wrong and exits non-zero, at once.

use std::process::Output;
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::helpers::closed_port;

/// Runs `erp-server` with `args` and `env`; its output and how long it took.
async fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_erp-server"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env(
            "ERP_JWT_SECRET",
            "a shared secret of at least thirty-two bytes!",
        )
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the binary exits")
        .unwrap();
    (output, started.elapsed())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn migrate_refuses_a_database_url_it_does_not_support() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("erp.db");
    for url in [
        "postgres://shop@db.internal/erp".to_string(),
        bare.display().to_string(),
    ] {
        let (output, _) = run(&["migrate"], &[("DATABASE_URL", &url)]).await;
        let said = stderr(&output);
        assert!(!output.status.success(), "{url}: {said}");
        assert!(said.contains("database_url"), "{url}: {said}");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("migrations applied"),
            "{url}"
        );
    }
    assert!(!bare.exists(), "nothing was created");
}

#[tokio::test]
async fn an_unreachable_mysql_is_named_at_once() {
    let (_reserved, port) = closed_port();
    let url = format!("mysql://shop:hunter2@127.0.0.1:{port}/erp");
    for command in ["migrate", "serve"] {
        let (output, took) = run(&[command], &[("DATABASE_URL", &url)]).await;
        let said = stderr(&output);
        assert!(!output.status.success(), "{command}: {said}");
        assert!(
            said.contains(&format!("127.0.0.1:{port}")),
            "{command}: {said}"
        );
        assert!(said.to_lowercase().contains("refused"), "{command}: {said}");
        assert!(!said.contains("hunter2"), "{command}: {said}");
        // The pool's acquire timeout (10 s) is what it took before.
        assert!(took < Duration::from_secs(5), "{command} took {took:?}");
    }
}

#[tokio::test]
async fn a_port_in_use_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("erp.db").display());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let (output, _) = run(&["serve"], &[("DATABASE_URL", &url), ("ERP_BIND", &bind)]).await;
    let said = stderr(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains(&bind), "{said}");
    assert!(said.to_lowercase().contains("in use"), "{said}");
}
