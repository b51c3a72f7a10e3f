//! The erp-server binary: `serve` (default), `migrate`, `seed --demo`, `user create`, `check`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use erp_core::domain::{NewUser, Password, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_server::config::{Cli, Command, DatabaseArgs, LogFormat, ServeArgs, UserCommand};
use tracing_subscriber::EnvFilter;

/// `serve`'s settings alone, for running without a subcommand.
#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    serve: ServeArgs,
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

fn options(database: &DatabaseArgs, migrate: bool) -> ConnectOptions {
    ConnectOptions {
        max_connections: database.db_max_connections,
        migrate,
        ..ConnectOptions::default()
    }
}

async fn connect(database: &DatabaseArgs) -> anyhow::Result<Erp> {
    Erp::connect(database.database_url.expose(), &options(database, true))
        .await
        .context("opening the database")
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ERP_USER_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat: ")?;
    anyhow::ensure!(first == second, "the passwords differ");
    Ok(first)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let system = Actor::system();
    match cli.command {
        None => {
            // No subcommand means `serve` with its settings from the environment.
            let args = ServeOnly::parse_from(["erp-server"]).serve;
            erp_server::app::serve(args, connect(&cli.database).await?).await?;
        }
        Some(Command::Serve(args)) => {
            erp_server::app::serve(*args, connect(&cli.database).await?).await?;
        }
        Some(Command::Migrate) => {
            Erp::migrate(
                cli.database.database_url.expose(),
                &options(&cli.database, true),
            )
            .await?;
            println!("migrations applied");
        }
        Some(Command::Seed(seed)) => {
            anyhow::ensure!(seed.demo, "nothing to seed: pass --demo");
            let report = connect(&cli.database).await?.seed_demo(&system).await?;
            println!(
                "loaded {} products and {} customers",
                report.products, report.customers
            );
        }
        Some(Command::User(UserCommand::Create { username, role })) => {
            let erp = connect(&cli.database).await?;
            let new = NewUser {
                username: Username::parse(&username)
                    .map_err(|e| anyhow::anyhow!("username {e}"))?,
                password: Password::new(&read_password()?)
                    .map_err(|e| anyhow::anyhow!("password {e}"))?,
                role: Role::parse(&role).map_err(|e| anyhow::anyhow!("role {e}"))?,
            };
            let user = erp.create_user(&system, new).await?;
            println!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
        }
        Some(Command::Check) => {
            let found = connect(&cli.database)
                .await?
                .check_invariants(&system)
                .await?;
            if found.is_empty() {
                println!("no inconsistencies");
            } else {
                for inconsistency in &found {
                    println!("{inconsistency}");
                }
                println!("{} inconsistencies", found.len());
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.logging.log_format);
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
