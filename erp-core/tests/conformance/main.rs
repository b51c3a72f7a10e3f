//! The conformance suite: every service behaviour and error, run against every backend.
//!
//! `memory` and `sqlite` always run; `mysql` runs when `ERP_TEST_MYSQL_URL` is set (each test in
//! a database of its own). A new backend is done when this suite passes on it.

#![cfg(not(loom))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod fixture;
mod sales;
mod shop;
mod suite;

/// One `#[tokio::test]` per suite function, for the given backend.
macro_rules! conformance {
    ($backend:expr) => {
        conformance!(@each $backend;
        create_product_records_opening_stock_as_a_receipt,
        duplicate_sku_is_rejected_even_in_another_case,
        receipt_and_adjustment_change_on_hand_with_a_reason,
        adjustment_never_takes_stock_below_reserved,
        a_keyed_stock_change_happens_once,
        unknown_product_is_not_found,
        price_change_keeps_the_price_frozen_on_placed_orders,
        deactivated_product_cannot_be_ordered_and_leaves_the_default_list,
        product_search_matches_sku_prefix_or_name_ignoring_case,
        search_ignores_accents_and_case_for_products_and_customers,
        product_list_is_ordered_by_sku_with_pages_and_total,
        type_ahead_search_can_skip_the_count,
        low_stock_filter_lists_available_at_or_below_reorder_level,
        customer_email_is_unique_among_live_customers,
        customer_tax_id_is_unique_among_live_customers,
        customer_update_changes_fields_and_clears_optional_ones,
        deleted_customer_cannot_order_or_be_edited_and_deleting_twice_is_harmless,
        customer_search_matches_name_email_or_tax_id_in_name_order,
        order_reserves_stock_and_freezes_prices_and_total,
        an_order_keeps_every_character_and_instant_it_was_given,
        order_fails_whole_when_any_line_lacks_stock,
        order_with_unknown_sku_or_customer_is_not_found_and_changes_nothing,
        same_key_and_same_request_replays_the_original_order,
        same_key_with_a_different_request_is_a_conflict,
        a_failed_order_does_not_bind_its_key,
        a_repeated_order_is_replayed_after_its_stock_is_gone,
        keys_are_per_customer,
        full_lifecycle_ships_stock_out_and_records_every_step,
        cancel_returns_reserved_stock,
        shipped_or_picked_order_cannot_be_cancelled,
        illegal_transitions_are_refused_and_change_nothing,
        a_keyed_status_change_happens_once_and_replays_its_answer,
        concurrent_status_changes_with_one_key_change_the_order_once,
        unknown_order_is_not_found,
        order_list_filters_by_status_customer_and_time_newest_first,
        the_first_admin_is_created_once,
        wrong_password_and_unknown_user_fail_alike,
        repeated_login_failures_make_the_user_wait,
        unknown_and_known_names_are_throttled_alike,
        forgotten_login_failures_are_deleted_and_live_ones_kept,
        the_right_password_from_a_fresh_address_is_let_in,
        parallel_wrong_guesses_are_all_counted,
        the_permission_matrix_is_enforced_for_every_role,
        a_manager_cannot_make_or_manage_an_admin,
        duplicate_username_is_rejected,
        role_and_active_change_in_one_transaction,
        own_password_change_needs_the_current_password,
        a_deactivated_user_can_neither_log_in_nor_act,
        an_actor_deactivated_or_demoted_after_login_is_refused_by_the_next_command,
        refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
        every_command_writes_its_event_to_the_outbox,
        published_events_leave_the_unpublished_queue,
        the_outbox_backlog_counts_what_waits_and_since_when,
        published_events_are_deleted_after_their_retention_and_unpublished_ones_kept,
        demo_data_loads_once_and_is_consistent,
        a_mixed_workload_keeps_every_invariant,
        counter_sale_is_born_delivered_paid_and_takes_stock_with_a_sale_movement,
        counter_sale_bad_input_is_refused_and_changes_nothing,
        discounts_round_half_even_and_totals_are_sums_of_printed_figures,
        a_cash_session_expects_float_plus_in_minus_out_plus_taken_less_change,
        a_keyed_cash_movement_is_made_once,
        a_keyed_cash_movement_retried_after_its_session_closed_is_not_made_again,
        delivery_orders_are_paid_later_up_to_their_balance,
        returns_never_exceed_what_was_sold_or_paid,
        till_roles_follow_the_matrix
        );
    };
    (@each $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                crate::common::run($backend, crate::suite::$name).await;
            }
        )*
    };
}

mod memory {
    conformance!(crate::common::Backend::Memory);
}

#[cfg(feature = "sqlite")]
mod sqlite {
    conformance!(crate::common::Backend::Sqlite);
}

#[cfg(feature = "mysql")]
mod mysql {
    conformance!(crate::common::Backend::Mysql);
}

/// Through one node of a Galera cluster, whose auto-increment ids step by the node count.
#[cfg(feature = "mysql")]
mod galera {
    conformance!(crate::common::Backend::Galera);
}
