//! Every parser of untrusted text: never panics, and what it accepts is normalised for good,
//! i.e. parsing the printed value again gives the same value.

#![no_main]

use erp_core::domain::{
    Email, IdempotencyKey, Money, Name, Note, OrderStatus, Password, Phone, Reason, Role,
    SearchTerm, Sku, TaxId, Username,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(money) = Money::parse(text) {
        assert_eq!(Money::parse(&money.to_string()), Ok(money));
        assert!(money.cents() >= 0 && money.cents() <= Money::MAX_CENTS);
    }
    if let Ok(sku) = Sku::parse(text) {
        assert_eq!(Sku::parse(sku.as_str()).as_ref(), Ok(&sku));
    }
    if let Ok(email) = Email::parse(text) {
        assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
    }
    if let Ok(phone) = Phone::parse(text) {
        assert_eq!(Phone::parse(phone.as_str()).as_ref(), Ok(&phone));
    }
    if let Ok(tax_id) = TaxId::parse(text) {
        assert_eq!(TaxId::parse(&tax_id.formatted()).as_ref(), Ok(&tax_id));
        assert_eq!(TaxId::parse(tax_id.as_str()).as_ref(), Ok(&tax_id));
    }
    if let Ok(name) = Name::parse(text) {
        assert_eq!(Name::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(reason) = Reason::parse(text) {
        assert_eq!(Reason::parse(reason.as_str()).as_ref(), Ok(&reason));
    }
    if let Ok(note) = Note::parse(text) {
        assert_eq!(Note::parse(note.as_str()).as_ref(), Ok(&note));
    }
    if let Ok(username) = Username::parse(text) {
        assert_eq!(Username::parse(username.as_str()).as_ref(), Ok(&username));
    }
    if let Ok(key) = IdempotencyKey::parse(text) {
        assert_eq!(IdempotencyKey::parse(key.as_str()).as_ref(), Ok(&key));
    }
    if let Ok(status) = OrderStatus::parse(text) {
        assert_eq!(OrderStatus::parse(status.as_str()), Ok(status));
    }
    if let Ok(role) = Role::parse(text) {
        assert_eq!(Role::parse(role.as_str()), Ok(role));
    }
    let _ = Password::new(text);
    if let Ok(Some(term)) = SearchTerm::parse(text) {
        assert_eq!(term.folded(), erp_core::domain::fold(term.folded()));
    }
});
