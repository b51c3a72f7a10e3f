//! Shared set-up for the erp-tui tests: a shop with an admin and the demo catalogue, and an app
//! driven through its harness.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::KeyCode;
use erp_core::domain::{Name, NewRegister, NewUser, Password, RegisterCode, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_tui::cart::CartStore;
use erp_tui::harness::Harness;

pub const PASSWORD: &str = "a long enough password";

/// A SQLite file in a temporary directory.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub url: String,
}

pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("erp.db").display());
    Db { dir, url }
}

/// Opens `url` with an admin `root` and, if asked, the demo catalogue.
pub async fn shop(url: &str, demo: bool) -> Erp {
    let erp = Erp::connect(url, &ConnectOptions::default()).await.unwrap();
    if !erp.has_users().await.unwrap() {
        erp.bootstrap_admin(
            Username::parse("root").unwrap(),
            Password::new(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
        if demo {
            erp.seed_demo(&Actor::system()).await.unwrap();
        }
        // Two tills a manager has set up, so operators can open their caixa.
        for code in ["CAIXA-01", "CAIXA-02"] {
            erp.create_register(
                &Actor::system(),
                NewRegister {
                    code: RegisterCode::parse(code).unwrap(),
                    name: Name::parse(code).unwrap(),
                },
            )
            .await
            .unwrap();
        }
    }
    erp
}

/// Adds a user with `role`.
pub async fn user(erp: &Erp, name: &str, role: Role) {
    erp.create_user(
        &Actor::system(),
        NewUser {
            username: Username::parse(name).unwrap(),
            password: Password::new(PASSWORD).unwrap(),
            role,
        },
    )
    .await
    .unwrap();
}

/// Starts the app at 80x24, logs in as `username` and opens the caixa with 100.00 if it asks.
pub async fn logged_in(erp: &Erp, username: &str, carts: Option<CartStore>) -> Harness {
    let mut app = Harness::start(erp.clone(), carts, 80, 24).await.unwrap();
    log_in(&mut app, username).await;
    if app.screen().contains("Open the caixa") {
        open_caixa(&mut app, "100").await;
    }
    app
}

/// Types the float into the open-caixa form.
pub async fn open_caixa(app: &mut Harness, float: &str) {
    assert_shows(&app.screen(), &["Open the caixa", "Float counted"]);
    app.type_text(float).await;
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["Caixa open: session"]);
}

/// F9, the exact amount in cash, Enter; then closes the receipt. Returns the receipt's screen.
pub async fn pay_cash(app: &mut Harness) -> String {
    app.press(KeyCode::F(9)).await;
    let dialog = app.screen();
    assert!(
        dialog.contains("TOTAL DUE"),
        "the payment dialog:\n{dialog}"
    );
    app.press(KeyCode::Enter).await;
    let receipt = app.screen();
    assert!(
        receipt.contains("Receipt, sale #"),
        "the receipt:\n{receipt}"
    );
    app.press(KeyCode::Enter).await;
    receipt
}

/// Logs in on the login screen.
pub async fn log_in(app: &mut Harness, username: &str) {
    app.type_text(username).await;
    app.press(KeyCode::Enter).await;
    app.type_text(PASSWORD).await;
    app.press(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(
        screen.contains("Search SKU/name"),
        "logged in and selling:\n{screen}"
    );
}

/// The carts of `register` for the database `db`.
pub fn register(db: &Db, name: &str) -> CartStore {
    CartStore::for_database(&db.url, name).unwrap()
}

/// Asserts every line of `expected` appears on `screen`.
pub fn assert_shows(screen: &str, expected: &[&str]) {
    for text in expected {
        assert!(
            screen.contains(text),
            "expected {text:?} on screen:\n{screen}"
        );
    }
}
