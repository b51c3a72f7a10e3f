//! Black-box tests of erp-server: the real server on a free port, over HTTP, against a fresh
//! SQLite file and (with `ERP_TEST_MYSQL_URL`) a fresh MySQL database per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod cli;
mod connections;
mod documented;
mod flows;
mod hashing;
mod helpers;
mod limits;
mod observability;
mod outages;
mod permissions;
mod processes;
mod proxy;
mod races;
mod secrets;
mod tills;

/// One `#[tokio::test]` per listed test for the given backend; the database is removed even when
/// the test fails.
macro_rules! api_tests {
    ($backend:expr; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                use futures::FutureExt;
                let Some(app) = crate::helpers::spawn_app($backend).await else {
                    return;
                };
                let outcome = std::panic::AssertUnwindSafe(crate::$module::$name(&app))
                    .catch_unwind()
                    .await;
                app.stop().await;
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            }
        )*
    };
}

macro_rules! all_api_tests {
    ($backend:expr) => {
        api_tests!($backend;
            flows::health_and_docs_are_served,
            flows::login_refresh_logout_and_me,
            flows::wrong_password_is_401_and_deactivated_users_are_refused,
            flows::orders_check_the_user_in_the_orders_own_transaction,
            flows::customers_are_created_listed_changed_and_deleted,
            flows::products_stock_and_movements,
            flows::orders_are_placed_replayed_moved_and_cancelled,
            flows::status_changes_and_cancels_replay_with_the_same_key,
            flows::users_are_listed_changed_and_passwords_reset,
            flows::patching_role_and_active_together_is_one_change,
            bad_input::malformed_bodies_are_refused_without_changes,
            bad_input::odd_text_is_stored_verbatim_or_refused,
            bad_input::paths_queries_and_tokens_are_checked,
            permissions::every_role_gets_exactly_its_permissions,
            races::thirty_two_requests_with_one_key_make_one_order,
            races::thirty_two_clients_racing_for_the_last_units_never_oversell,
            tills::a_shift_at_the_till_sells_pays_returns_and_closes,
            tills::a_keyed_cash_movement_is_answered_again_not_repeated,
            tills::bad_sales_payments_and_returns_are_problems_that_change_nothing,
        );
    };
}

mod sqlite {
    all_api_tests!(crate::helpers::Backend::Sqlite);
    // The document is the same whatever the database: once is enough.
    api_tests!(crate::helpers::Backend::Sqlite;
        documented::every_status_a_route_answers_is_documented,
    );
}

mod mysql {
    all_api_tests!(crate::helpers::Backend::Mysql);
}

mod counter;
