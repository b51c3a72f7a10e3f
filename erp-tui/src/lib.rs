//! erp-tui: the point-of-sale terminal app for counter staff.
//!
//! Elm-shaped: [`app::App`] is the state, [`app::App::update`] turns a [`msg::Msg`] (a key, a
//! tick, a database result) into new state and background [`task::Task`]s, and
//! [`app::App::view`] draws. The driver runs tasks off the render loop, so the screen never
//! freezes on the database. Every business rule is erp-core's; this crate parses keys, calls
//! erp-core and shows the answer.

pub mod app;
pub mod cart;
pub mod driver;
pub mod form;
pub mod harness;
pub mod i18n;
pub mod keys;
pub mod msg;
pub mod notice;
pub mod return_keys;
pub mod screens;
pub mod task;
pub mod widgets;
