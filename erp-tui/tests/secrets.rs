//! The database password never reaches the screen, even when the till cannot open the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn a_database_url_that_cannot_be_opened_is_shown_without_its_password() {
    // A port that does not parse fails at once, before any network; a closed port fails after
    // the connection is refused. Both print the URL.
    for url in [
        "mysql://shop:hunter2-secret@127.0.0.1:notaport/erp",
        "mysql://shop:hunter2-secret@127.0.0.1:1/erp",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_erp-tui"))
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(shown.contains("cannot open"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
