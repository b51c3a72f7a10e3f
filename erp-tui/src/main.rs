//! The till: `cargo run --release -p erp-tui` opens `erp.db` (SQLite) in the working directory,
//! or the database in `--database-url` / `DATABASE_URL`.

use std::process::ExitCode;

use clap::Parser;
use erp_core::{ConnectOptions, Erp};
use erp_tui::app::App;
use erp_tui::cart::{self, CartStore};
use erp_tui::i18n;

/// The point-of-sale terminal of erp.
#[derive(Parser)]
#[command(name = "erp-tui", version, about)]
struct Args {
    /// `sqlite://PATH`, `mysql://USER:PASSWORD@HOST/DB` or `memory`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://erp.db")]
    database_url: String,
    /// This till's register name. Each register keeps its own sale per user; two tills running
    /// at once need different names.
    #[arg(long, env = "ERP_REGISTER", default_value = cart::DEFAULT_REGISTER)]
    register: String,
    /// `pt-BR` or `en`; by default the language of LC_ALL / LC_MESSAGES / LANG, else English.
    #[arg(long)]
    lang: Option<String>,
    /// An ESC/POS receipt printer: a device (`/dev/usb/lp0`) or a file receipts are appended to.
    /// Without it receipts are shown on screen only.
    #[arg(long, env = "ERP_PRINTER")]
    printer: Option<std::path::PathBuf>,
    /// The receipt paper's width in columns: 32 (58 mm), 42 or 48 (80 mm).
    #[arg(long, env = "ERP_PAPER", default_value_t = 42)]
    paper: u32,
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
    let lang = match args.lang.as_deref().map(i18n::parse_locale) {
        None => i18n::from_env(),
        Some(Some(lang)) => lang,
        Some(None) => {
            eprintln!("error: --lang: the till speaks pt-BR and en");
            return ExitCode::FAILURE;
        }
    };
    i18n::set(lang);
    let paper = match erp_core::receipt::PaperWidth::from_columns(args.paper) {
        Ok(paper) => paper,
        Err(error) => {
            eprintln!("error: --paper: {error}");
            return ExitCode::FAILURE;
        }
    };
    let carts = match CartStore::for_database(&args.database_url, &args.register) {
        Ok(carts) => carts,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Held until the till exits: a second till with this register name would share its carts.
    let _register = match carts.claim() {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("error: {error}");
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
    let set_aside = cart::set_aside_shared_cart(&args.database_url);
    let (mut app, first) = App::new(erp.backend_name(), Some(carts));
    app.lang = lang;
    app.config.printer = args.printer;
    app.config.paper = paper;
    if let Some((path, old)) = set_aside {
        app.notice = Some(erp_tui::notice::Notice::error(erp_tui::t!(
            "old-cart-set-aside",
            lines = old.lines.len().to_string(),
            path = path.display().to_string()
        )));
    }
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
