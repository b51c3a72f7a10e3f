//! The screens. Each owns its state, its key table, its reaction to results, and its drawing.

pub mod caixa;
pub mod checkout;
pub mod customers;
pub mod login;
pub mod orders;
pub mod picker;
pub mod products;
pub mod receipts;
pub mod returns;
pub mod sale;
pub mod setup;
pub mod users;
