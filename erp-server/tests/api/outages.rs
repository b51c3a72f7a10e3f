//! The database going away under a running server: answered fast and truthfully, and recovered
//! from without a restart. The server reaches MySQL through a proxy the test cuts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use erp_core::ConnectOptions;
use erp_server::config::ServeArgs;
use erp_server::rate_limit::RateLimiter;
use erp_server::redis_link::RedisLink;
use reqwest::{Method, StatusCode};

use crate::helpers::{
    Backend, TestApp, TestDatabase, assert_problem, closed_port, redis_url, spawn_app_on, unique,
};
use crate::proxy::{CommitTrap, Proxy};

/// A generous bound for "at once" on two busy cores; the pool's acquire timeout (10 s) is what
/// a down database cost before.
const FAST: Duration = Duration::from_secs(2);

/// A server whose database connections go through a proxy, with the default pool settings
/// (the 10 s acquire timeout an operator gets).
async fn app_behind_proxy() -> Option<(TestApp, Proxy)> {
    let db = TestDatabase::new(Backend::Mysql).await?;
    let parsed = reqwest::Url::parse(&db.url).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(3306)
    );
    let proxy = Proxy::start(upstream).await;
    let url = proxy.url_for(&db.url);
    let app = spawn_app_on(db, &url, &ConnectOptions::default(), ServeArgs::for_tests()).await;
    Some((app, proxy))
}

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_down_is_answered_503_at_once_and_recovery_is_automatic() {
    let Some((app, proxy)) = app_behind_proxy().await else {
        return;
    };
    let product = app.product("TEA", "2.50", 100).await;
    let product_id = product["id"].as_i64().unwrap();
    let customer = app.customer("Ana").await;
    let placed = app
        .order(&app.admin_token, customer, &[("TEA", 1)], "k-before")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);

    // The pool holds idle connections through the proxy; they all die with it.
    proxy.cut().await;

    // The very first command after the outage began, then a few more: each a quick 503.
    for attempt in 0..4 {
        let started = Instant::now();
        let key = format!("k-down-{attempt}");
        let response = app
            .order(&app.admin_token, customer, &[("TEA", 1)], &key)
            .await;
        let elapsed = started.elapsed();
        eprintln!("database down: order {attempt} answered in {elapsed:?}");
        assert!(retry_after(&response).is_some(), "Retry-After is set");
        let body = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("nothing was changed"),
            "{body}"
        );
        assert!(elapsed < FAST, "attempt {attempt} took {elapsed:?}");
    }
    let started = Instant::now();
    let (status, _) = app.admin(Method::GET, "/api/v1/products", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < FAST,
        "a read took {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let (status, body) = app.call(Method::GET, "/health/ready", None, None).await;
    let elapsed = started.elapsed();
    eprintln!("database down: readiness answered in {elapsed:?}");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["database"], "unavailable", "{body}");
    assert!(elapsed < FAST, "readiness took {elapsed:?}");

    // The database comes back: the server serves again by itself.
    proxy.restore().await;
    let mut ready = false;
    for _ in 0..100 {
        let (status, _) = app.call(Method::GET, "/health/ready", None, None).await;
        if status == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the database is back");
    let placed = app
        .order(&app.admin_token, customer, &[("TEA", 1)], "k-after")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    assert_eq!(
        app.stock(product_id).await,
        (100, 2),
        "the two orders placed, none of the refused"
    );
    app.assert_consistent().await;
    app.stop().await;
}

/// The connection breaks after MySQL received the COMMIT (it committed) or before (it did not):
/// either way the server cannot know, says so, and the retry with the same key tells.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_lost_during_commit_is_outcome_unknown_and_the_retry_settles_it() {
    let Some((app, proxy)) = app_behind_proxy().await else {
        return;
    };
    let product = app.product("TEA", "2.50", 100).await;
    let product_id = product["id"].as_i64().unwrap();
    let customer = app.customer("Ana").await;

    for (trap, key, committed) in [
        (CommitTrap::CutAfter, "k-committed", true),
        (CommitTrap::CutBefore, "k-rolled-back", false),
    ] {
        let before = proxy.sprung();
        proxy.trap_next_commit(trap);
        let response = app
            .order(&app.admin_token, customer, &[("TEA", 2)], key)
            .await;
        assert_eq!(
            proxy.sprung(),
            before + 1,
            "{trap:?}: the trap caught the commit"
        );
        assert!(retry_after(&response).is_some());
        let body =
            assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "outcome_unknown").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("same Idempotency-Key"), "{body}");
        assert!(!detail.contains("nothing was changed"), "{body}");

        let retried = app
            .order(&app.admin_token, customer, &[("TEA", 2)], key)
            .await;
        let expected = if committed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        assert_eq!(retried.status(), expected, "{trap:?}");
        let replayed = retried.headers().get("idempotent-replayed").is_some();
        assert_eq!(replayed, committed, "{trap:?}");
    }
    // Two keys, two orders of two units each: nothing lost, nothing doubled.
    assert_eq!(app.stock(product_id).await, (100, 4));
    let (status, orders) = app.admin(Method::GET, "/api/v1/orders", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(orders["total"], 2, "{orders}");
    app.assert_consistent().await;

    // Certain failures keep saying so: with the database gone before the command starts,
    // nothing was changed.
    proxy.cut().await;
    let response = app
        .order(&app.admin_token, customer, &[("TEA", 2)], "k-3")
        .await;
    let body = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was changed")
    );
    proxy.restore().await;
    app.stop().await;
}

/// The log lines written on this thread while the guard lives.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    /// Captures this thread's logs at INFO and above (the tests run on a current-thread runtime,
    /// so everything they await logs here).
    fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn lines_with(&self, word: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|line| line.contains(word))
            .map(str::to_string)
            .collect()
    }
}

/// Runs `n` rate-limit checks of one client; how many were allowed and the slowest.
async fn checks(limiter: &RateLimiter, key: &str, n: u32) -> (u32, Duration) {
    let (mut allowed, mut slowest) = (0, Duration::ZERO);
    for _ in 0..n {
        let started = Instant::now();
        if limiter.check(key, 1_000).await.allowed {
            allowed += 1;
        }
        slowest = slowest.max(started.elapsed());
    }
    (allowed, slowest)
}

/// Redis configured but never there: the limiter falls back at once, and the log says so once,
/// not once per check or once per reconnection attempt.
#[tokio::test]
async fn redis_at_a_closed_port_is_logged_once_and_skipped_while_down() {
    let (_reserved, port) = closed_port();
    let link = Arc::new(RedisLink::new(&format!("redis://127.0.0.1:{port}")).unwrap());
    let limiter = RateLimiter::new(Some(link.clone()), &unique("erp_breaker"));
    let (captured, _guard) = Captured::start();
    let mut allowed = 0;
    for round in 0..3 {
        let (passed, slowest) = checks(&limiter, "ip:10.0.0.1", 100).await;
        allowed += passed;
        assert!(slowest < FAST, "a check took {slowest:?}");
        if round < 2 {
            // Longer than the breaker's first open period: the old link tried Redis again and
            // warned each time.
            tokio::time::sleep(Duration::from_millis(1_200)).await;
        }
    }
    assert_eq!(
        allowed, 300,
        "the in-process limiter answered (1,000 a minute)"
    );
    assert!(link.is_open());
    let lines = captured.lines_with("Redis");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("WARN"), "{lines:#?}");
}

/// Redis dies under a server that was using it: one line when it goes, one when it is back,
/// the in-process limiter in between, and Redis used again once it answers.
#[tokio::test]
async fn redis_dying_opens_the_breaker_once_and_it_closes_when_redis_returns() {
    let Some(redis_url) = redis_url() else {
        return;
    };
    let parsed = reqwest::Url::parse(&redis_url).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(6379)
    );
    let proxy = Proxy::start(upstream).await;
    let mut through = parsed.clone();
    through.set_port(Some(proxy.addr.port())).unwrap();
    let link = Arc::new(RedisLink::new(through.as_str()).unwrap());
    let prefix = unique("erp_breaker");
    let limiter = RateLimiter::new(Some(link.clone()), &prefix);
    let (captured, _guard) = Captured::start();

    assert_eq!(checks(&limiter, "ip:10.0.0.1", 5).await.0, 5);
    assert!(link.ping().await, "Redis in use");

    proxy.cut().await;
    let (allowed, slowest) = checks(&limiter, "ip:10.0.0.1", 200).await;
    assert_eq!(allowed, 200);
    assert!(slowest < FAST, "a check took {slowest:?}");
    assert!(link.is_open(), "the breaker opened");
    assert!(!link.ping().await, "not tried while open");
    let lines = captured.lines_with("Redis");
    assert_eq!(
        lines.len(),
        1,
        "one line for the whole outage so far: {lines:#?}"
    );

    proxy.restore().await;
    let mut back = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if link.ping().await {
            back = true;
            break;
        }
    }
    assert!(back, "Redis used again after the open period");
    assert!(!link.is_open());
    assert_eq!(checks(&limiter, "ip:10.0.0.2", 3).await.0, 3);
    // The checks after the return went to Redis: the key is there.
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("{prefix}:rl:ip:10.0.0.2"))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(exists, "the limit lives in Redis again");
    let lines = captured.lines_with("Redis");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[1].contains("answers again"), "{lines:#?}");
}
