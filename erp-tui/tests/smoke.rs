//! The real binary in a real pseudo-terminal (tmux): a fresh directory, the first admin, the demo
//! data, a sale, quit. The screen text is checked at each step and the database afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use erp_core::domain::OrderQuery;
use erp_core::{Actor, ConnectOptions, Erp};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(dir: &Path, program: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var("ERP_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "tmux is needed for the terminal smoke test"
            );
            eprintln!("skipped: tmux is not installed");
            return None;
        }
        let session = format!("erp-smoke-{}", std::process::id());
        // After the app exits, the shell says how, and keeps the pane open to be read.
        let script = format!("{program}; echo \"erp-tui exited with $?\"; sleep 60");
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "80",
                "-y",
                "24",
                "-c",
            ])
            .arg(dir)
            .args(["-e", "DATABASE_URL=sqlite://erp.db", "sh", "-c", &script])
            .status()
            .unwrap();
        assert!(status.success(), "tmux could not start a session");
        Some(Tmux { session })
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).to_string()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.session, key])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Waits until `text` is on screen (the app works in the background, so the screen follows
    /// the keys a little later).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

#[test]
fn the_binary_runs_a_first_sale_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // English whatever the machine's LANG says: the test reads English words.
    let printer = dir.path().join("printer.bin");
    let program = format!(
        "{} --lang en --printer {}",
        env!("CARGO_BIN_EXE_erp-tui"),
        printer.display()
    );
    let Some(tmux) = Tmux::start(dir.path(), &program) else {
        return;
    };
    let screen = tmux.wait_for("Create the first admin");
    assert!(screen.contains("Username:") && screen.contains("Password again:"));
    tmux.text("admin");
    tmux.keys(&["Enter"]);
    tmux.text("first-run-secret");
    tmux.keys(&["Enter"]);
    tmux.text("first-run-secret");
    let screen = tmux.screen();
    assert!(
        !screen.contains("first-run-secret"),
        "passwords are masked:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("Load the demo catalogue?");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("Open the caixa");
    assert!(
        screen.contains("Demo data loaded: 36 products, 6 customers."),
        "{screen}"
    );
    // Before the first sale: the float counted into the drawer.
    tmux.text("100");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Caixa open: session 1, float 100.00.");
    tmux.text("2*tea-grn-20");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Added 2 × Chá verde, 20 sachês.");
    tmux.keys(&["F9"]);
    tmux.wait_for("TOTAL DUE");
    tmux.text("50");
    tmux.wait_for("CHANGE 30.40");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Receipt, sale #1");
    assert!(
        screen.contains("Sale #1: 2 item(s), total 19.60, change 30.40."),
        "{screen}"
    );
    assert!(screen.contains("NOT A FISCAL DOCUMENT"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("TOTAL 0.00");
    assert!(
        screen.contains("Customer: Consumidor final"),
        "a new sale with the walk-in customer:\n{screen}"
    );
    tmux.keys(&["F3"]);
    tmux.wait_for("Orders, newest first");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("erp-tui exited with 0");
    // The terminal is back to normal: the app's screen is gone.
    assert!(!screen.contains("Orders, newest first"), "{screen}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("erp.db").display());
    let orders = runtime.block_on(async {
        let erp = Erp::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        erp.orders(&Actor::system(), &OrderQuery::default())
            .await
            .unwrap()
    });
    assert_eq!(orders.total, 1);
    assert_eq!(orders.items[0].total.to_string(), "19.60");
    assert_eq!(orders.items[0].change.to_string(), "30.40");
    // The receipt went to the printer as ESC/POS: it starts with ESC @ (initialise).
    let printed = std::fs::read(&printer).unwrap();
    assert!(
        printed.starts_with(&[0x1b, b'@']),
        "{:?}",
        &printed[..8.min(printed.len())]
    );
}
