//! Configuration: command-line flags over environment variables over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Serve the API (the default).
    Serve(ServeArgs),
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
        default_value = "sqlite://erp.db",
        global = true
    )]
    pub database_url: String,
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
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// The HS256 secret that signs access tokens (at least 32 bytes).
    #[arg(long, env = "ERP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
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
    /// Failed logins per client IP within 15 minutes before further logins are refused.
    #[arg(long, env = "ERP_LOGIN_FAILURES_PER_IP", default_value_t = 20)]
    pub login_failures_per_ip: u32,
    /// Trust the first address of `X-Forwarded-For` as the client (behind a load balancer only).
    #[arg(long, env = "ERP_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ERP_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Prefix of every Redis key (several deployments can share one Redis).
    #[arg(long, env = "ERP_REDIS_PREFIX", default_value = "erp")]
    pub redis_prefix: String,
    /// How often the outbox relay looks for new events, in milliseconds.
    #[arg(long, env = "ERP_RELAY_INTERVAL_MS", default_value_t = 500)]
    pub relay_interval_ms: u64,
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
            trust_forwarded_for: false,
            max_body_bytes: 64 * 1024,
            redis_prefix: "erp".into(),
            relay_interval_ms: 100,
        }
    }

    /// The relay interval as a duration.
    pub fn relay_interval(&self) -> Duration {
        Duration::from_millis(self.relay_interval_ms.max(10))
    }
}
