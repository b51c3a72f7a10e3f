//! Configuration: command-line flags over environment variables over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use erp_core::HashingLimits;
use erp_core::domain::LoginPolicy;
use secrecy::SecretString;

use crate::forwarded::TrustedProxies;

/// erp-server: the REST API of the erp order-management system.
#[derive(Debug, Parser)]
#[command(name = "erp-server", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub logging: LogArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default). Boxed: its settings dwarf the other commands'.
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data.
    Seed(SeedArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the invariants on the live database and list every inconsistency (exit 1 if any).
    Check,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH`, `mysql://USER:PASSWORD@HOST/DB` or `memory`.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://erp.db",
        global = true
    )]
    pub database_url: SecretUrl,
    /// Most database connections this process opens.
    #[arg(
        long,
        env = "ERP_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
}

/// How to log.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// `text` for people, `json` for log collectors.
    #[arg(long, env = "ERP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `seed` options.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Load the demo catalogue (three dozen products, six customers); only once per database.
    #[arg(long)]
    pub demo: bool,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from ERP_USER_PASSWORD or asked for.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// viewer, operator, manager or admin.
        #[arg(long, default_value = "operator")]
        role: String,
    },
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (`:0` picks a free port; the chosen one is logged).
    #[arg(long, env = "ERP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Redis for rate limits and the event stream; without it limits are per process and events
    /// stay in the outbox.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretUrl>,
    /// The HS256 secret that signs access tokens (at least 32 bytes).
    #[arg(long, env = "ERP_JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,
    /// A file holding the secret (Docker/Kubernetes secrets).
    #[arg(long, env = "ERP_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Development mode: generate a throwaway JWT secret when none is configured.
    #[arg(long)]
    pub dev: bool,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ERP_ACCESS_TOKEN_SECONDS", default_value_t = 900)]
    pub access_token_seconds: u64,
    /// Requests per minute allowed per client IP (0: no limit).
    #[arg(long, env = "ERP_RATE_LIMIT_IP_PER_MINUTE", default_value_t = 600)]
    pub ip_per_minute: u32,
    /// Requests per minute allowed per authenticated user (0: no limit).
    #[arg(long, env = "ERP_RATE_LIMIT_USER_PER_MINUTE", default_value_t = 300)]
    pub user_per_minute: u32,
    /// Failed logins per client IP before further logins from it are refused, until 15 minutes
    /// pass without a failure (0: no limit). Counted in the database, so every instance shares
    /// them.
    #[arg(long, env = "ERP_LOGIN_FAILURES_PER_IP", default_value_t = 20)]
    pub login_failures_per_ip: u32,
    /// Password hashes run at once; each holds 19 MiB while it runs (0: one per core).
    #[arg(long, env = "ERP_LOGIN_HASHES", default_value_t = 0)]
    pub login_hashes: usize,
    /// Logins that may wait for a password hash beyond those running; one more is answered 503
    /// `busy` with Retry-After (default: 16 per running hash).
    #[arg(long, env = "ERP_LOGIN_QUEUE")]
    pub login_queue: Option<usize>,
    /// The reverse proxies whose `X-Forwarded-For` entries are believed: a hop count (`1` for one
    /// load balancer) or a comma-separated list of proxy networks (`10.0.0.0/8,192.168.1.7`).
    /// Unset: the socket peer is the client.
    #[arg(long, env = "ERP_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<TrustedProxies>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ERP_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Prefix of every Redis key (several deployments can share one Redis).
    #[arg(long, env = "ERP_REDIS_PREFIX", default_value = "erp")]
    pub redis_prefix: String,
    /// Longest a request may take, in milliseconds; past it the answer is 503 `timeout`.
    #[arg(long, env = "ERP_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Longest a client may take to send a request's head, in milliseconds; past it the
    /// connection is closed (slowloris).
    #[arg(long, env = "ERP_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// After SIGTERM, how long requests in flight may finish, in milliseconds, before the
    /// remaining connections are closed.
    #[arg(long, env = "ERP_SHUTDOWN_DEADLINE_MS", default_value_t = 20_000)]
    pub shutdown_deadline_ms: u64,
    /// Serve Prometheus metrics at `/metrics`, without authentication (`false` to turn off).
    #[arg(long, env = "ERP_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// How often the outbox relay looks for new events, in milliseconds.
    #[arg(long, env = "ERP_RELAY_INTERVAL_MS", default_value_t = 500)]
    pub relay_interval_ms: u64,
    /// About how many events the Redis stream keeps: each XADD trims it to roughly this length
    /// (`MAXLEN ~`, so it may run a little over). 0: never trimmed.
    #[arg(long, env = "ERP_EVENTS_STREAM_MAX_LEN", default_value_t = 100_000)]
    pub events_stream_max_len: u64,
    /// How long published events stay in the outbox table (for readers of the table), in
    /// seconds; the relay then deletes them. Unpublished events are never deleted.
    #[arg(long, env = "ERP_OUTBOX_RETENTION_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub outbox_retention_seconds: u64,
    /// How often the relay deletes expired published events, in milliseconds.
    #[arg(long, env = "ERP_OUTBOX_PURGE_INTERVAL_MS", default_value_t = 60_000)]
    pub outbox_purge_interval_ms: u64,
}

/// The outbox relay's settings.
#[derive(Clone, Debug)]
pub struct RelaySettings {
    /// Prefix of the stream and lease keys.
    pub prefix: String,
    /// How often the relay looks for new events.
    pub interval: Duration,
    /// Approximate length the stream is trimmed to (0: never).
    pub stream_max_len: u64,
    /// How long published events stay in the outbox.
    pub retention: Duration,
    /// How often expired published events are deleted.
    pub purge_interval: Duration,
}

/// A secret from the command line or the environment; its `Debug` says `[REDACTED]`.
fn secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

/// A URL that may carry a password (database, Redis). It shows (`Debug`, `Display`) with the
/// password redacted, so settings and errors can be printed; the driver gets the real URL only
/// through [`SecretUrl::expose`], so a leak is never one `&*url` away.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// The URL with its password, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", erp_core::redact_url(&self.0))
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&erp_core::redact_url(&self.0))
    }
}

impl std::str::FromStr for SecretUrl {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<SecretUrl, Self::Err> {
        Ok(SecretUrl(text.to_string()))
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> SecretUrl {
        SecretUrl(url)
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> SecretUrl {
        SecretUrl(url.to_string())
    }
}

impl ServeArgs {
    /// Defaults for tests and embedding: a throwaway secret, a free port on localhost.
    pub fn for_tests() -> ServeArgs {
        ServeArgs {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            redis_url: None,
            jwt_secret: None,
            jwt_secret_file: None,
            dev: true,
            access_token_seconds: 900,
            ip_per_minute: 0,
            user_per_minute: 0,
            login_failures_per_ip: 20,
            login_hashes: 0,
            login_queue: None,
            trusted_proxies: None,
            max_body_bytes: 64 * 1024,
            redis_prefix: "erp".into(),
            relay_interval_ms: 100,
            metrics: true,
            events_stream_max_len: 100_000,
            outbox_retention_seconds: 7 * 24 * 3600,
            outbox_purge_interval_ms: 60_000,
            request_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            shutdown_deadline_ms: 5_000,
        }
    }

    /// The limits on password hashing these settings ask for.
    pub fn hashing_limits(&self) -> HashingLimits {
        let default = HashingLimits::default();
        let concurrent = match self.login_hashes {
            0 => default.concurrent,
            n => n,
        };
        HashingLimits {
            concurrent,
            queue: self.login_queue.unwrap_or(16 * concurrent),
        }
    }

    /// The limits on failed logins these settings ask for.
    pub fn login_policy(&self) -> LoginPolicy {
        LoginPolicy {
            failures_per_address: self.login_failures_per_ip,
        }
    }

    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    /// The header-read timeout as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    /// The shutdown deadline as a duration.
    pub fn shutdown_deadline(&self) -> Duration {
        Duration::from_millis(self.shutdown_deadline_ms)
    }

    /// What the outbox relay needs to know.
    pub fn relay_settings(&self) -> RelaySettings {
        RelaySettings {
            prefix: self.redis_prefix.clone(),
            interval: Duration::from_millis(self.relay_interval_ms.max(10)),
            stream_max_len: self.events_stream_max_len,
            retention: Duration::from_secs(self.outbox_retention_seconds),
            purge_interval: Duration::from_millis(self.outbox_purge_interval_ms.max(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_print_without_their_secrets() {
        let cli = Cli::parse_from([
            "erp-server",
            "--database-url",
            "mysql://shop:db-hunter2@db/erp",
            "serve",
            "--jwt-secret",
            "jwt-hunter2-jwt-hunter2-jwt-hunter2",
            "--redis-url",
            "redis://:cache-hunter2@cache:6379",
        ]);
        let Some(Command::Serve(serve)) = &cli.command else {
            panic!("serve expected");
        };
        let shown = format!("{cli:?} {serve:?} {}", cli.database.database_url);
        for secret in ["db-hunter2", "jwt-hunter2", "cache-hunter2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("[redacted]") && shown.contains("REDACTED"),
            "{shown}"
        );
        // The driver still gets the real URL.
        assert_eq!(
            cli.database.database_url.expose(),
            "mysql://shop:db-hunter2@db/erp"
        );
    }
}
