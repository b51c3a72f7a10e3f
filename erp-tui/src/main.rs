//! The till: `cargo run --release -p erp-tui` opens `erp.db` (SQLite) in the working directory,
//! or the database in `--database-url` / `DATABASE_URL`.

use std::process::ExitCode;

use clap::Parser;
use erp_core::{ConnectOptions, Erp};
use erp_tui::app::App;
use erp_tui::cart;

/// The point-of-sale terminal of erp.
#[derive(Parser)]
#[command(name = "erp-tui", version, about)]
struct Args {
    /// `sqlite://PATH`, `mysql://USER:PASSWORD@HOST/DB` or `memory`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://erp.db")]
    database_url: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = ConnectOptions {
        max_connections: 4,
        ..ConnectOptions::default()
    };
    // Open (and migrate) the database before taking over the terminal, so errors print plainly.
    let erp = match runtime.block_on(Erp::connect(&args.database_url, &options)) {
        Ok(erp) => erp,
        Err(error) => {
            eprintln!(
                "error: cannot open {}: {error}",
                erp_core::redact_url(&args.database_url)
            );
            return ExitCode::FAILURE;
        }
    };
    let cart_path = cart::cart_path(&args.database_url);
    let saved = cart::load(&cart_path);
    let (app, first) = App::new(erp.backend_name(), saved, Some(cart_path));
    // ratatui::init also installs a panic hook that restores the terminal before the report.
    let mut terminal = ratatui::init();
    let outcome = runtime.block_on(erp_tui::driver::run(&mut terminal, erp, app, first));
    ratatui::restore();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
