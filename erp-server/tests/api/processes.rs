//! Three erp-server processes on one MySQL database (or one per node of a Galera cluster) racing
//! for the same stock and the same idempotency key: correctness must come from the database, not
//! from anything in one process.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use erp_core::domain::{NewUser, Password, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{Backend, PASSWORD, TestDatabase, read};

/// Starts `erp-server serve` on a free port and returns it with its base URL.
async fn start_server(database_url: &str) -> (Child, String) {
    start_server_with(database_url, &[]).await
}

/// [`start_server`] with more settings in its environment.
pub async fn start_server_with(database_url: &str, settings: &[(&str, &str)]) -> (Child, String) {
    // Its log goes to a file, read back only if it stops before listening: a pipe nobody drains
    // would block a server that logs a lot.
    let log = tempfile::tempfile().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_erp-server"))
        .arg("serve")
        .envs(settings.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("ERP_BIND", "127.0.0.1:0")
        .env(
            "ERP_JWT_SECRET",
            "a shared secret of at least thirty-two bytes!",
        )
        .env("ERP_RATE_LIMIT_IP_PER_MINUTE", "0")
        .env("ERP_RATE_LIMIT_USER_PER_MINUTE", "0")
        .env("ERP_DB_MAX_CONNECTIONS", "16")
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log.try_clone().unwrap()))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("erp-server listening on ") {
                return url.to_string();
            }
        }
        panic!(
            "the server exited before listening; it said:\n{}",
            read_from_start(log)
        );
    })
    .await
    .unwrap();
    (child, url)
}

fn read_from_start(mut file: std::fs::File) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.read_to_string(&mut text).unwrap();
    text
}

async fn order(
    client: &Client,
    url: &str,
    token: &str,
    customer: i64,
    key: &str,
) -> (StatusCode, Value) {
    let response = client
        .post(format!("{url}/api/v1/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"customer_id": customer, "lines": [{"sku": "RACE-01", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    read(response).await
}

/// Sends an order until it is answered with something other than "busy" (a command that ran out
/// of retries changed nothing, so the same request with the same key is safe to send again), and
/// counts the busy answers.
async fn order_until_answered(
    client: &Client,
    url: &str,
    token: &str,
    customer: i64,
    key: &str,
    busy: &mut u32,
) -> (StatusCode, Value) {
    loop {
        let (status, body) = order(client, url, token, customer, key).await;
        if status == StatusCode::SERVICE_UNAVAILABLE && body["code"] == "busy" {
            *busy += 1;
            continue;
        }
        return (status, body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_server_processes_on_one_mysql_never_oversell_or_duplicate() {
    three_server_processes_never_oversell_or_duplicate(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_three_server_processes_on_three_nodes_never_oversell_or_duplicate() {
    three_server_processes_never_oversell_or_duplicate(Backend::Galera).await;
}

/// Three servers started together on an empty database (each migrating it at start), server
/// `i` on node `i` of a cluster, then 48 clients ordering through them.
async fn three_server_processes_never_oversell_or_duplicate(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    db.sync_nodes().await;
    let servers = join_all((0..3).map(|i| start_server(&db.nodes[i % db.nodes.len()]))).await;
    let erp = Erp::connect(&db.url, &ConnectOptions::default())
        .await
        .unwrap();
    let system = Actor::system();
    erp.create_user(
        &system,
        NewUser {
            username: Username::parse("root").unwrap(),
            password: Password::new(PASSWORD).unwrap(),
            role: Role::Admin,
        },
    )
    .await
    .unwrap();
    db.sync_nodes().await;
    let urls: Vec<String> = servers.iter().map(|(_, url)| url.clone()).collect();
    let client = Client::new();
    let login = client
        .post(format!("{}/api/v1/auth/jwt/login", urls[0]))
        .json(&json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (_, tokens) = read(login).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let (status, product) = read(
        client
            .post(format!("{}/api/v1/products", urls[1]))
            .bearer_auth(&token)
            .json(&json!({"sku": "RACE-01", "name": "Race", "price": "1.00", "initial_stock": 60}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    db.sync_nodes().await;
    let (_, customer) = read(
        client
            .post(format!("{}/api/v1/customers", urls[2]))
            .bearer_auth(&token)
            .json(&json!({"name": "Racer", "email": "racer@example.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let customer = customer["id"].as_i64().unwrap();
    // A cluster node applies the others' commits asynchronously: let every node catch up with
    // the setup before clients use it through any server.
    db.sync_nodes().await;

    // 48 clients, 16 per process; each first sends the shared key, then orders until refused.
    let clients = (0..48).map(|i| {
        let client = client.clone();
        let url = urls[i % 3].clone();
        let token = token.clone();
        async move {
            let (mut created, mut busy) = (Vec::new(), 0);
            let (status, shared) =
                order_until_answered(&client, &url, &token, customer, "shared-key", &mut busy)
                    .await;
            assert!(
                status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{shared}"
            );
            let shared_id = shared["id"].as_i64();
            if status == StatusCode::CREATED {
                created.push(shared_id.unwrap());
            }
            for attempt in 0.. {
                let key = format!("c{i}-{attempt}");
                let (status, body) =
                    order_until_answered(&client, &url, &token, customer, &key, &mut busy).await;
                match status {
                    StatusCode::CREATED => created.push(body["id"].as_i64().unwrap()),
                    StatusCode::UNPROCESSABLE_ENTITY if body["code"] == "insufficient_stock" => {
                        break;
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
            }
            (created, shared_id, busy)
        }
    });
    let results = join_all(clients).await;
    let busy: u32 = results.iter().map(|(_, _, b)| b).sum();
    eprintln!("{backend:?}: 60 orders over three servers, {busy} busy answers");
    if backend == Backend::Mysql {
        // One server queues the racers on its row lock; on a cluster they collide at commit
        // across nodes and a hot row can exhaust a command's retries.
        assert_eq!(busy, 0, "no command ran out of retries");
    }
    let sold: Vec<i64> = results.iter().flat_map(|(c, _, _)| c.clone()).collect();
    let distinct: HashSet<i64> = sold.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        sold.len(),
        "no order answered as created twice"
    );
    assert_eq!(sold.len(), 60, "exactly the stock was sold");
    let shared: HashSet<i64> = results.iter().filter_map(|(_, s, _)| *s).collect();
    assert!(
        shared.len() <= 1,
        "one order for the shared key across processes: {shared:?}"
    );
    db.sync_nodes().await;
    let product_id = product["id"].as_i64().unwrap();
    let (_, stock) = read(
        client
            .get(format!("{}/api/v1/products/{product_id}", urls[0]))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(60), Some(60))
    );
    for node in &db.nodes {
        let erp = Erp::connect(node, &ConnectOptions::default())
            .await
            .unwrap();
        let found = erp.check_invariants(&system).await.unwrap();
        assert!(found.is_empty(), "{node}: {found:#?}");
    }
    for (mut child, _) in servers {
        let _ = child.kill().await;
    }
    db.remove().await;
}
