//! Rate limits, failed-login throttling and the event relay, with and without Redis.

use std::time::{Duration, Instant};

use erp_core::input::CustomerInput;
use erp_core::{Actor, Erp};
use erp_server::app::spawn;
use erp_server::config::ServeArgs;
use erp_server::relay::Lease;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, redis_url, spawn_app_with, unique,
};

fn limited(ip_per_minute: u32, user_per_minute: u32) -> ServeArgs {
    ServeArgs {
        ip_per_minute,
        user_per_minute,
        ..ServeArgs::for_tests()
    }
}

async fn get_orders(app: &TestApp, url: &str) -> reqwest::Response {
    app.client
        .get(format!("{url}/api/v1/orders"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_ip_budget_get_429_with_retry_after() {
    // The login in spawn_app spends one request of the budget of 6.
    let app = spawn_app_with(Backend::Sqlite, limited(6, 0))
        .await
        .unwrap();
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let response = get_orders(&app, &app.url).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["ratelimit-limit"], "6");
        remaining.push(
            response.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(remaining, ["4", "3", "2", "1", "0"]);
    let refused = get_orders(&app, &app.url).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Health checks are never limited.
    let (status, _) = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_one_proxy_a_spoofed_forwarded_for_does_not_escape_the_ip_budget() {
    let args = ServeArgs {
        trusted_proxies: Some("1".parse().unwrap()),
        ..limited(4, 0)
    };
    // The login in spawn_app came without the header: it spent the peer's budget, not the
    // client's below.
    let app = spawn_app_with(Backend::Sqlite, args).await.unwrap();
    let from = |spoofed: usize| {
        app.client
            .get(format!("{}/api/v1/orders", app.url))
            .bearer_auth(&app.admin_token)
            // The client wrote the left entry; the proxy appended the address it saw.
            .header("x-forwarded-for", format!("10.9.9.{spoofed}, 198.51.100.7"))
            .send()
    };
    for spoofed in 0..4 {
        assert_eq!(from(spoofed).await.unwrap().status(), StatusCode::OK);
    }
    assert_problem(
        from(99).await.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    // Another client behind the same proxy has a budget of its own.
    let other = app
        .client
        .get(format!("{}/api/v1/orders", app.url))
        .bearer_auth(&app.admin_token)
        .header("x-forwarded-for", "198.51.100.8")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_has_a_budget_of_their_own() {
    let app = spawn_app_with(Backend::Sqlite, limited(0, 3))
        .await
        .unwrap();
    // Registering the other user spent one of the admin's three requests.
    let other = app.user("other", "viewer").await;
    for _ in 0..2 {
        assert_eq!(get_orders(&app, &app.url).await.status(), StatusCode::OK);
    }
    assert_problem(
        get_orders(&app, &app.url).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    let (status, _) = app
        .call(Method::GET, "/api/v1/orders", Some(&other), None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another user is not limited by the first"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_per_address() {
    let args = ServeArgs {
        login_failures_per_ip: 3,
        ..ServeArgs::for_tests()
    };
    let app = spawn_app_with(Backend::Sqlite, args).await.unwrap();
    for user in ["a-one", "b-two", "c-three"] {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/jwt/login",
                None,
                Some(json!({"username": user, "password": "guess guess"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now: the address is guessing.
    let throttled = app
        .request(Method::POST, "/api/v1/auth/jwt/login", None)
        .json(&json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(throttled.headers().contains_key("retry-after"));
    assert_problem(throttled, StatusCode::TOO_MANY_REQUESTS, "login_throttled").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_budget_through_redis() {
    let Some(redis) = redis_url() else {
        return;
    };
    let args = ServeArgs {
        redis_url: Some(redis.into()),
        redis_prefix: unique("erptest"),
        jwt_secret: Some("one secret for both instances, 32+ bytes".into()),
        ..limited(7, 0)
    };
    let app = spawn_app_with(Backend::Sqlite, args.clone()).await.unwrap();
    let second = spawn(args, app.erp.clone()).await.unwrap();
    // 1 login + 3 + 3 = 7 allowed across both instances; the 8th is refused by either.
    for _ in 0..3 {
        assert_eq!(get_orders(&app, &app.url).await.status(), StatusCode::OK);
        assert_eq!(
            get_orders(&app, &second.url()).await.status(),
            StatusCode::OK
        );
    }
    assert_problem(
        get_orders(&app, &second.url()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    assert_problem(
        get_orders(&app, &app.url).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    second.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_limits_fall_back_to_the_process_and_orders_still_work() {
    let args = ServeArgs {
        // Nothing listens on port 1.
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..limited(5, 0)
    };
    let app = spawn_app_with(Backend::Sqlite, args).await.unwrap();
    let (status, ready) = app.call(Method::GET, "/health/ready", None, None).await;
    assert_eq!(
        (status, ready["redis"].as_str()),
        (StatusCode::OK, Some("unavailable"))
    );
    app.product("TEA-01", "1.00", 5).await;
    let customer = app.customer("Ana").await;
    let placed = app
        .order(&app.admin_token, customer, &[("TEA-01", 1)], "k1")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    // 1 login + 3 above + 1 order = 4: one more fits the local budget of 5.
    assert_eq!(get_orders(&app, &app.url).await.status(), StatusCode::OK);
    assert_problem(
        get_orders(&app, &app.url).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    let pending = app
        .erp
        .unpublished_events(&erp_core::Actor::system(), 100)
        .await
        .unwrap();
    assert!(
        !pending.is_empty(),
        "events wait in the outbox while Redis is away"
    );
    app.stop().await;
}

/// Reads the whole stream as `(event id, type)`.
async fn stream_events(redis: &str, stream: &str) -> Vec<(i64, String)> {
    let client = redis::Client::open(redis).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .query_async(&mut connection)
        .await
        .unwrap();
    entries
        .ids
        .iter()
        .map(|entry| {
            let id: String = entry.get("id").unwrap();
            let kind: String = entry.get("type").unwrap();
            (id.parse().unwrap(), kind)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_events_reach_the_redis_stream_even_after_redis_was_down() {
    let Some(redis) = redis_url() else {
        return;
    };
    // First the server runs without a reachable Redis: events pile up in the outbox.
    let prefix = unique("erptest");
    let down = relaying_to("redis://127.0.0.1:1", &prefix);
    let app = spawn_app_with(Backend::Sqlite, down).await.unwrap();
    app.product("TEA-01", "1.00", 5).await;
    let customer = app.customer("Ana").await;
    let placed = app
        .order(&app.admin_token, customer, &[("TEA-01", 2)], "k1")
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    // Then a server with Redis starts on the same database and relays the backlog.
    let up = relaying_to(&redis, &prefix);
    let relay = spawn(up, app.erp.clone()).await.unwrap();
    let stream = format!("{prefix}:events");
    let deadline = Instant::now() + Duration::from_secs(15);
    let events = loop {
        let events = stream_events(&redis, &stream).await;
        if events.iter().any(|(_, kind)| kind == "OrderCreated") || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let kinds: Vec<&str> = events.iter().map(|(_, k)| k.as_str()).collect();
    assert!(
        kinds.contains(&"ProductCreated") && kinds.contains(&"OrderCreated"),
        "{kinds:?}"
    );
    let ids: std::collections::HashSet<i64> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), events.len(), "each event once (a single relay)");
    // The relay marks a batch published right after adding it to the stream; wait for that commit.
    let pending = loop {
        let pending = app
            .erp
            .unpublished_events(&erp_core::Actor::system(), 100)
            .await
            .unwrap();
        if pending.is_empty() || Instant::now() > deadline {
            break pending;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(pending.is_empty(), "relayed events are marked published");
    relay.stop().await.unwrap();
    app.stop().await;
}

// The relay keeps both its stores bounded and publishes from one instance at a time: the Redis
// stream is trimmed, published outbox rows go after their retention, and the lease is taken and
// renewed in one atomic step.

/// Writes `n` events to the outbox (one customer each).
async fn make_events(erp: &Erp, n: usize) {
    for i in 0..n {
        let customer = CustomerInput {
            name: format!("Customer {i}"),
            email: format!("c{i}@example.com"),
            phone: None,
            tax_id: None,
        }
        .parse()
        .unwrap();
        erp.create_customer(&Actor::system(), customer)
            .await
            .unwrap();
    }
}

/// Waits (up to 30 s) until the relay has published every event.
async fn wait_until_published(erp: &Erp) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = erp.unpublished_events(&Actor::system(), 10).await.unwrap();
        if pending.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "events still unpublished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Who holds the relay lease `key`, if anyone.
async fn lease_holder(
    connection: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap()
}

async fn stream_length(url: &str, stream: &str) -> u64 {
    redis::cmd("XLEN")
        .arg(stream)
        .query_async(&mut redis_connection(url).await)
        .await
        .unwrap()
}

/// A server that relays its outbox to the Redis at `url` under `prefix`.
fn relaying_to(url: &str, prefix: &str) -> ServeArgs {
    ServeArgs {
        redis_url: Some(url.to_string().into()),
        redis_prefix: prefix.to_string(),
        ..ServeArgs::for_tests()
    }
}

async fn remove_keys(url: &str, prefix: &str) {
    let mut connection = redis_connection(url).await;
    let _: () = redis::cmd("DEL")
        .arg(format!("{prefix}:events"))
        .arg(format!("{prefix}:relay:lease"))
        .query_async(&mut connection)
        .await
        .unwrap();
}

/// A server that stops hands its relay's lease back at once, so another server's relay need not
/// wait for it to expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_gives_its_relay_lease_up() {
    let Some(redis) = redis_url() else {
        return;
    };
    let prefix = unique("erptest");
    let args = relaying_to(&redis, &prefix);
    let app = spawn_app_with(Backend::Sqlite, args).await.unwrap();
    make_events(&app.erp, 1).await;
    wait_until_published(&app.erp).await;
    let key = format!("{prefix}:relay:lease");
    let mut connection = redis_connection(&redis).await;
    let held = lease_holder(&mut connection, &key).await;
    assert!(held.is_some(), "the relay published without the lease");
    app.stop().await;
    let after = lease_holder(&mut connection, &key).await;
    assert_eq!(after, None, "the stopped server still holds the lease");
    remove_keys(&redis, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_trimmed_to_about_its_configured_length() {
    let Some(redis) = redis_url() else {
        return;
    };
    let prefix = unique("erptest");
    let args = ServeArgs {
        events_stream_max_len: 10,
        ..relaying_to(&redis, &prefix)
    };
    let app = spawn_app_with(Backend::Sqlite, args).await.unwrap();
    let published = 350;
    make_events(&app.erp, published).await;
    wait_until_published(&app.erp).await;
    let stream = format!("{prefix}:events");
    let length = stream_length(&redis, &stream).await;
    // `MAXLEN ~` trims whole stream nodes (100 entries each by default), so the stream may hold
    // up to one node more than asked; untrimmed it would hold all 350.
    assert!(
        (10..=110).contains(&length),
        "{length} entries after {published} events"
    );
    // What is kept is the newest: the last event published is the stream's last entry.
    let newest = app
        .erp
        .events_after(&Actor::system(), None, 1000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id
        .get();
    let last: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(&stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut redis_connection(&redis).await)
        .await
        .unwrap();
    let id: String = last.ids[0].get("id").unwrap();
    assert_eq!(id, newest.to_string());
    remove_keys(&redis, &prefix).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_deletes_published_outbox_rows_after_their_retention_only() {
    let Some(redis) = redis_url() else {
        return;
    };
    let prefix = unique("erptest");
    let keep_an_hour = ServeArgs {
        outbox_retention_seconds: 3600,
        outbox_purge_interval_ms: 50,
        ..relaying_to(&redis, &prefix)
    };
    let mut app = spawn_app_with(Backend::Sqlite, keep_an_hour).await.unwrap();
    make_events(&app.erp, 5).await;
    wait_until_published(&app.erp).await;
    let events = app
        .erp
        .events_after(&Actor::system(), None, 100)
        .await
        .unwrap()
        .len();
    assert!(events >= 5);
    // Several purges later, events published a moment ago are all still there.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kept = app
        .erp
        .events_after(&Actor::system(), None, 100)
        .await
        .unwrap();
    assert_eq!(
        kept.len(),
        events,
        "published events within their retention stay"
    );
    app.server.take().unwrap().stop().await.unwrap();

    // A relay that keeps published events for no time deletes them at its next purge.
    let keep_nothing = ServeArgs {
        outbox_retention_seconds: 0,
        outbox_purge_interval_ms: 50,
        ..relaying_to(&redis, &prefix)
    };
    let relay = spawn(keep_nothing, app.erp.clone()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = app
            .erp
            .events_after(&Actor::system(), None, 100)
            .await
            .unwrap();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{} events left", left.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The stream still has them: deleting outbox rows is the database's housekeeping only.
    assert_eq!(
        stream_length(&redis, &format!("{prefix}:events")).await,
        events as u64
    );
    relay.stop().await.unwrap();
    remove_keys(&redis, &prefix).await;
    app.stop().await;
}

#[tokio::test]
async fn a_lease_held_by_one_relay_cannot_be_renewed_or_taken_by_another() {
    let Some(redis) = redis_url() else {
        return;
    };
    let key = format!("{}:relay:lease", unique("erptest"));
    let mut connection = redis_connection(&redis).await;
    let first = Lease::new(&key, "first");
    let second = Lease::new(&key, "second");
    let long = Duration::from_secs(30);
    assert!(first.take_or_renew(&mut connection, long).await.unwrap());
    assert!(
        !second.take_or_renew(&mut connection, long).await.unwrap(),
        "the second relay took a held lease"
    );
    // The holder renews; the other still cannot, and the lease keeps its holder.
    assert!(
        first
            .take_or_renew(&mut connection, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(!second.take_or_renew(&mut connection, long).await.unwrap());
    assert_eq!(
        lease_holder(&mut connection, &key).await.as_deref(),
        Some("first")
    );
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        ttl_ms > 30_000,
        "the renewal extended the lease: {ttl_ms} ms"
    );

    // Once the holder stops renewing and the lease expires, another takes it, and the old
    // holder cannot renew its way back.
    let short = Duration::from_millis(200);
    let _: () = redis::cmd("PEXPIRE")
        .arg(&key)
        .arg(150)
        .query_async(&mut connection)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(second.take_or_renew(&mut connection, long).await.unwrap());
    assert!(!first.take_or_renew(&mut connection, short).await.unwrap());

    // A relay that stops gives its lease up, but never one another relay holds now.
    assert!(!first.release(&mut connection).await.unwrap());
    assert!(second.release(&mut connection).await.unwrap());
    assert!(first.take_or_renew(&mut connection, long).await.unwrap());

    // Many relays racing for a free lease: exactly one gets it.
    let race_key = format!("{key}:race");
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let lease = Lease::new(&race_key, format!("relay-{n}"));
        let mut connection = redis_connection(&redis).await;
        racers.spawn(async move { lease.take_or_renew(&mut connection, long).await.unwrap() });
    }
    let winners = racers
        .join_all()
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(winners, 1);
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .arg(&race_key)
        .query_async(&mut connection)
        .await
        .unwrap();
}
