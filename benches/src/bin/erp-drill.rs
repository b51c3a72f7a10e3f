//! erp-drill: orders placed through several erp-server processes at once (each client sticks to
//! one server), with commands run at given seconds (kill a database node, bring it back), and a
//! per-second timeline of what each server answered. Made for the cluster drill
//! (`benches/galera-drill`), usable against any set of servers.
//!
//! ```sh
//! ERP_LOAD_PASSWORD=... erp-drill --url http://127.0.0.1:18081 --url http://127.0.0.1:18082 \
//!     --username bench --clients 4 --duration 40 --skus hot \
//!     --event '10=.ci/galera kill 3' --event '20=.ci/galera rejoin 3' --acked acked.txt
//! ```
//! Prints the timeline, the events with their start and end, and per server: orders created,
//! every other answer by status and problem code, the slowest answer, and when failures started
//! and stopped. `--acked` writes the id of every acknowledged order, one per line, for checking on
//! every database node afterwards that none was lost.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;
use erp_benches::{Run, Spread, prepare};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "Orders through several erp-server processes, with timed events")]
struct Args {
    /// A server's base URL; repeat for each server. The first one sets the run up.
    #[arg(long = "url", required = true)]
    urls: Vec<String>,
    /// A manager or admin.
    #[arg(long, default_value = "admin")]
    username: String,
    /// The password (or set ERP_LOAD_PASSWORD).
    #[arg(long, env = "ERP_LOAD_PASSWORD", hide_env_values = true)]
    password: String,
    /// Concurrent clients per server.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    #[arg(long, value_enum, default_value_t = Spread::Hot)]
    skus: Spread,
    /// Products to spread over.
    #[arg(long, default_value_t = 100)]
    sku_count: usize,
    /// `SECONDS=COMMAND`: runs COMMAND with `sh -c` that many seconds into the run.
    #[arg(long = "event")]
    events: Vec<String>,
    /// Writes the id of every acknowledged order here, one per line.
    #[arg(long)]
    acked: Option<std::path::PathBuf>,
    /// Gives up on a request after this many seconds (counted as a timeout).
    #[arg(long, default_value_t = 10)]
    request_timeout: u64,
}

/// What one answer was, as counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Answer {
    Created,
    Replayed,
    /// Another status, with the problem's `code`.
    Refused(u16, String),
    Timeout,
    /// The connection failed (refused, reset) before any answer.
    Transport,
}

impl Answer {
    fn acknowledged(&self) -> bool {
        matches!(self, Answer::Created | Answer::Replayed)
    }

    fn label(&self) -> String {
        match self {
            Answer::Created => "201".to_string(),
            Answer::Replayed => "200".to_string(),
            Answer::Refused(status, code) => format!("{status} {code}"),
            Answer::Timeout => "timeout".to_string(),
            Answer::Transport => "transport".to_string(),
        }
    }
}

/// Per server and per second of the run: answers and the slowest one.
#[derive(Default)]
struct Tally {
    answers: BTreeMap<(usize, u64), BTreeMap<Answer, u64>>,
    slowest: BTreeMap<(usize, u64), Duration>,
    acked: Vec<i64>,
}

async fn place(
    client: &Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (Answer, Option<i64>) {
    let sent = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) if error.is_timeout() => return (Answer::Timeout, None),
        Err(_) => return (Answer::Transport, None),
    };
    let status = response.status();
    let body: Value = match response.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(error) if error.is_timeout() => return (Answer::Timeout, None),
        Err(_) => return (Answer::Transport, None),
    };
    let id = body["id"].as_i64();
    let answer = match status {
        StatusCode::CREATED => Answer::Created,
        StatusCode::OK => Answer::Replayed,
        other => Answer::Refused(
            other.as_u16(),
            body["code"].as_str().unwrap_or("-").to_string(),
        ),
    };
    (answer, id)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.clients > 0 && args.duration > 0,
        "clients and duration must be positive"
    );
    let mut events = Vec::new();
    for event in &args.events {
        let (at, command) = event
            .split_once('=')
            .context("an event is SECONDS=COMMAND")?;
        let at: u64 = at.trim().parse().context("an event's SECONDS")?;
        events.push((at, command.to_string()));
    }
    let client = Client::builder()
        .timeout(Duration::from_secs(args.request_timeout))
        .connect_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let bases: Vec<String> = args
        .urls
        .iter()
        .map(|url| url.trim_end_matches('/').to_string())
        .collect();
    let count = args.skus.products(args.sku_count);
    let run = prepare(&client, &bases[0], &args.username, &args.password, count).await?;
    let Run {
        tag,
        token,
        products,
        customer,
    } = run;
    // The servers on other nodes see the run's rows once the cluster has applied them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "{} servers x {} clients for {} s, {} ({count} SKU{})",
        bases.len(),
        args.clients,
        args.duration,
        args.skus.describe(),
        if count == 1 { "" } else { "s" }
    );

    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let skus: Arc<Vec<String>> = Arc::new(products.into_iter().map(|(sku, _)| sku).collect());
    let mut workers = Vec::new();
    for (server, base) in bases.iter().enumerate() {
        for worker in 0..args.clients {
            let (client, base, token, tag) =
                (client.clone(), base.clone(), token.clone(), tag.clone());
            let (tally, skus) = (tally.clone(), skus.clone());
            workers.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed((server * 1000 + worker) as u64);
                let mut n = 0u64;
                while Instant::now() < deadline {
                    n += 1;
                    let sku = &skus[rng.usize(..skus.len())];
                    let key = format!("{tag}-{server}-{worker}-{n}");
                    let body =
                        json!({"customer_id": customer, "lines": [{"sku": sku, "quantity": 1}]});
                    let sent = Instant::now();
                    let second = sent.duration_since(started).as_secs();
                    let (answer, id) = place(&client, &base, &token, &key, &body).await;
                    let took = sent.elapsed();
                    let failed = !answer.acknowledged();
                    if let Ok(mut tally) = tally.lock() {
                        *tally
                            .answers
                            .entry((server, second))
                            .or_default()
                            .entry(answer)
                            .or_default() += 1;
                        let slowest = tally.slowest.entry((server, second)).or_default();
                        *slowest = (*slowest).max(took);
                        if let (false, Some(id)) = (failed, id) {
                            tally.acked.push(id);
                        }
                    }
                    if failed {
                        // A server that refuses at once must not be hammered in a tight loop.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }));
        }
    }
    let mut happened = Vec::new();
    for (at, command) in events {
        let when = started + Duration::from_secs(at);
        tokio::time::sleep_until(when.into()).await;
        let began = started.elapsed();
        let status = tokio::process::Command::new("sh")
            .args(["-c", &command])
            .stdout(std::process::Stdio::null())
            .status()
            .await;
        let ended = started.elapsed();
        happened.push((began, ended, command, status.map(|s| s.success())));
    }
    for worker in workers {
        worker.await?;
    }

    let tally = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
    println!("\ntimeline (second: per server, answers and the slowest in ms)");
    for second in 0..=args.duration {
        let mut line = format!("{second:>4}s");
        for server in 0..bases.len() {
            let answers = tally.answers.get(&(server, second));
            let text = answers.map_or_else(String::new, |answers| {
                answers
                    .iter()
                    .map(|(answer, n)| format!("{}x{n}", answer.label()))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let slowest = tally
                .slowest
                .get(&(server, second))
                .map_or(0, |d| d.as_millis());
            line.push_str(&format!(" | s{}: {text} ({slowest} ms)", server + 1));
        }
        println!("{line}");
    }
    println!("\nevents");
    for (began, ended, command, status) in &happened {
        println!(
            "  {:>6.2}s .. {:>6.2}s  {command}  ({})",
            began.as_secs_f64(),
            ended.as_secs_f64(),
            match status {
                Ok(true) => "ok".to_string(),
                Ok(false) => "failed".to_string(),
                Err(error) => format!("not run: {error}"),
            }
        );
    }
    println!("\nper server");
    for (server, base) in bases.iter().enumerate() {
        let mut totals: BTreeMap<Answer, u64> = BTreeMap::new();
        let (mut first_failure, mut last_failure) = (None, None);
        let mut slowest = Duration::ZERO;
        for ((s, second), answers) in &tally.answers {
            if *s != server {
                continue;
            }
            for (answer, n) in answers {
                *totals.entry(answer.clone()).or_default() += n;
                if !answer.acknowledged() {
                    first_failure = first_failure.or(Some(*second));
                    last_failure = Some(*second);
                }
            }
            slowest = slowest.max(tally.slowest[&(server, *second)]);
        }
        let summary: Vec<String> = totals
            .iter()
            .map(|(answer, n)| format!("{}: {n}", answer.label()))
            .collect();
        println!(
            "  s{} {base}: {}; slowest {} ms; failures {}",
            server + 1,
            summary.join(", "),
            slowest.as_millis(),
            match (first_failure, last_failure) {
                (Some(first), Some(last)) => format!("from {first}s to {last}s"),
                _ => "none".to_string(),
            }
        );
    }
    let created: u64 = tally
        .answers
        .values()
        .flat_map(|answers| answers.iter())
        .filter(|(answer, _)| answer.acknowledged())
        .map(|(_, n)| n)
        .sum();
    println!(
        "\nacknowledged orders: {created} ({:.1}/s)",
        created as f64 / args.duration as f64
    );
    if let Some(path) = &args.acked {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for id in &tally.acked {
            writeln!(file, "{id}")?;
        }
        file.flush()?;
    }
    Ok(())
}
