//! The services some tests need (MySQL, Redis, a Galera cluster), read from the environment.
//!
//! A test whose service is not configured passes without running: without this crate the test
//! harness hides its "skipped" line, and `cargo test` reports every such test as passed. So each
//! test binary counts the tests that skipped, and when it exits prints one line per missing
//! service, outside the harness's capture, e.g.
//!
//! ```text
//! note: 68 tests ran nothing: they need MySQL and ERP_TEST_MYSQL_URL is not set (README.md, "The two commands")
//! ```
//!
//! `ERP_REQUIRE_SERVICES=1` (set by `.ci/run`) turns a missing MySQL or Redis into a failure;
//! `ERP_REQUIRE_GALERA=1` (set by `.ci/galera ci`) does the same for the cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::{Mutex, Once};

/// A service a test may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Mysql,
    Redis,
    Galera,
}

impl Service {
    /// The variable that holds its URL (or, for Galera, the nodes' URLs).
    pub fn variable(self) -> &'static str {
        match self {
            Service::Mysql => "ERP_TEST_MYSQL_URL",
            Service::Redis => "ERP_TEST_REDIS_URL",
            Service::Galera => "ERP_TEST_GALERA_URLS",
        }
    }

    /// The variable that makes its absence a failure.
    fn requirement(self) -> &'static str {
        match self {
            Service::Mysql | Service::Redis => "ERP_REQUIRE_SERVICES",
            Service::Galera => "ERP_REQUIRE_GALERA",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Mysql => "MySQL",
            Service::Redis => "Redis",
            Service::Galera => "a Galera cluster",
        }
    }

    fn where_to_read(self) -> &'static str {
        match self {
            Service::Mysql | Service::Redis => "README.md, \"The two commands\"",
            Service::Galera => ".ci/galera",
        }
    }
}

/// `ERP_TEST_MYSQL_URL`, or `None` when the calling test is to be skipped.
pub fn mysql_url() -> Option<String> {
    url(Service::Mysql)
}

/// `ERP_TEST_REDIS_URL`, or `None` when the calling test is to be skipped.
pub fn redis_url() -> Option<String> {
    url(Service::Redis)
}

/// The nodes of `ERP_TEST_GALERA_URLS` (comma-separated), or `None` when the calling test is to
/// be skipped.
pub fn galera_urls() -> Option<Vec<String>> {
    url(Service::Galera).map(|urls| {
        urls.split(',')
            .map(|url| url.trim().to_string())
            .filter(|url| !url.is_empty())
            .collect()
    })
}

/// The service's URL, or `None` after counting the calling test as skipped.
///
/// # Panics
/// When the service is missing and its requirement variable is `1`: in CI a missing service is a
/// failure, never a silent pass.
pub fn url(service: Service) -> Option<String> {
    let url = url_from(service, |name| std::env::var(name).ok());
    if url.is_none() {
        record_skip(service);
    }
    url
}

fn url_from(service: Service, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    match env(service.variable()) {
        Some(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                env(service.requirement()).as_deref() != Some("1"),
                "{} is not set but {}=1",
                service.variable(),
                service.requirement()
            );
            None
        }
    }
}

/// Each service's skipped tests in this process, by test name (the harness names each test's
/// thread after it), so a test that asks twice counts once.
static SKIPPED: Mutex<BTreeMap<Service, BTreeSet<String>>> = Mutex::new(BTreeMap::new());
static REPORT_AT_EXIT: Once = Once::new();

fn record_skip(service: Service) {
    let test = std::thread::current()
        .name()
        .unwrap_or("an unnamed test")
        .to_string();
    // The harness captures this line and shows it only for a failing test; the count at exit is
    // what a passing run shows.
    eprintln!("skipped: {} is not set", service.variable());
    if let Ok(mut skipped) = SKIPPED.lock() {
        skipped.entry(service).or_default().insert(test);
    }
    REPORT_AT_EXIT.call_once(register_exit_report);
}

/// One line per missing service, e.g. "note: 3 tests ran nothing: they need MySQL and
/// ERP_TEST_MYSQL_URL is not set (...)".
fn summary(skipped: &BTreeMap<Service, BTreeSet<String>>) -> Vec<String> {
    skipped
        .iter()
        .filter(|(_, tests)| !tests.is_empty())
        .map(|(service, tests)| {
            let count = tests.len();
            format!(
                "note: {count} test{} ran nothing: {} {} and {} is not set ({})",
                if count == 1 { "" } else { "s" },
                if count == 1 { "it needs" } else { "they need" },
                service.name(),
                service.variable(),
                service.where_to_read()
            )
        })
        .collect()
}

extern "C" fn report_skips() {
    let Ok(skipped) = SKIPPED.lock() else {
        return;
    };
    // Straight to the process's stderr: the harness captures only the print macros.
    let mut stderr = std::io::stderr().lock();
    for line in summary(&skipped) {
        let _ = writeln!(stderr, "{line}");
    }
}

#[allow(unsafe_code)]
fn register_exit_report() {
    // SAFETY: `report_skips` is a plain `extern "C" fn()` that only locks a static and writes to
    // stderr; it neither unwinds (it has no panicking path) nor touches thread-locals that exit
    // may already have torn down.
    let registered = unsafe { libc::atexit(report_skips) };
    if registered != 0 {
        eprintln!("note: the count of skipped tests could not be registered for exit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn a_set_url_is_returned() {
        let url = url_from(
            Service::Mysql,
            env(&[("ERP_TEST_MYSQL_URL", "mysql://root@127.0.0.1/test")]),
        );
        assert_eq!(url.as_deref(), Some("mysql://root@127.0.0.1/test"));
    }

    #[test]
    #[should_panic(expected = "ERP_TEST_REDIS_URL is not set but ERP_REQUIRE_SERVICES=1")]
    fn a_required_service_that_is_missing_fails() {
        url_from(Service::Redis, env(&[("ERP_REQUIRE_SERVICES", "1")]));
    }

    #[test]
    fn galera_is_required_by_its_own_variable() {
        let url = url_from(
            Service::Galera,
            env(&[("ERP_REQUIRE_SERVICES", "1"), ("ERP_TEST_GALERA_URLS", " ")]),
        );
        assert_eq!(url, None);
    }

    #[test]
    fn the_summary_counts_each_test_once_per_service() {
        let mut skipped = BTreeMap::new();
        skipped.insert(
            Service::Mysql,
            BTreeSet::from(["a".to_string(), "b".to_string()]),
        );
        skipped.insert(Service::Redis, BTreeSet::from(["c".to_string()]));
        assert_eq!(
            summary(&skipped),
            [
                "note: 2 tests ran nothing: they need MySQL and ERP_TEST_MYSQL_URL is not set \
                 (README.md, \"The two commands\")",
                "note: 1 test ran nothing: it needs Redis and ERP_TEST_REDIS_URL is not set \
                 (README.md, \"The two commands\")",
            ]
        );
    }
}
