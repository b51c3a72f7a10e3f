//! Shared set-up for the erp-tui tests: a shop with an admin and the demo catalogue, and an app
//! driven through its harness.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::KeyCode;
use erp_core::domain::{NewUser, Password, Role, Username};
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

/// Starts the app at 80x24 and logs in as `username`.
pub async fn logged_in(erp: &Erp, username: &str, carts: Option<CartStore>) -> Harness {
    let mut app = Harness::start(erp.clone(), carts, 80, 24).await.unwrap();
    log_in(&mut app, username).await;
    app
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
