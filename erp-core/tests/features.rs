//! The `sqlite` and `mysql` features decide which database drivers an embedder builds: an
//! application that needs SQLite only must not compile the MySQL driver (nor its `rsa`
//! dependency), and the other way round. Read from `cargo tree`, i.e. from what Cargo would build.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Command;

/// The packages erp-core depends on (normal edges, this platform) with `features` and no
/// defaults, or with the defaults when `features` is `None`.
fn dependencies(features: Option<&[&str]>) -> BTreeSet<String> {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--package",
            "erp-core",
            "--edges",
            "normal",
        ])
        .args(["--prefix", "none", "--format", "{p}"]);
    if let Some(features) = features {
        command.arg("--no-default-features");
        if !features.is_empty() {
            command.args(["--features", &features.join(",")]);
        }
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn has(packages: &BTreeSet<String>, name: &str) -> bool {
    packages.contains(name)
}

#[test]
fn sqlite_alone_builds_no_mysql_driver() {
    let packages = dependencies(Some(&["sqlite"]));
    assert!(has(&packages, "sqlx-sqlite"), "{packages:?}");
    assert!(!has(&packages, "sqlx-mysql"), "{packages:?}");
    assert!(!has(&packages, "rsa"), "{packages:?}");
}

#[test]
fn mysql_alone_builds_no_sqlite_driver() {
    let packages = dependencies(Some(&["mysql"]));
    assert!(has(&packages, "sqlx-mysql"), "{packages:?}");
    assert!(!has(&packages, "sqlx-sqlite"), "{packages:?}");
    assert!(!has(&packages, "libsqlite3-sys"), "{packages:?}");
}

#[test]
fn no_backend_feature_builds_no_sql_at_all() {
    let packages = dependencies(Some(&[]));
    assert!(!has(&packages, "sqlx-core"), "{packages:?}");
    assert!(!has(&packages, "tokio"), "{packages:?}");
}

#[test]
fn the_defaults_build_both_drivers() {
    let packages = dependencies(None);
    assert!(has(&packages, "sqlx-sqlite"), "{packages:?}");
    assert!(has(&packages, "sqlx-mysql"), "{packages:?}");
}
