//! Arbitrary bytes as the JSON body of `POST /orders` plus an `Idempotency-Key` header: parsing
//! never panics, and whatever it accepts is a well-formed command.

#![no_main]

use std::collections::HashSet;

use erp_core::domain::{NewOrder, Quantity};
use erp_core::input::OrderInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the header value, the rest the body.
    let (key, body) = match data.iter().position(|b| *b == b'\n') {
        Some(split) => (&data[..split], &data[split + 1..]),
        None => (&b"fuzz-key"[..], data),
    };
    let key = String::from_utf8_lossy(key);
    let Ok(input) = serde_json::from_slice::<OrderInput>(body) else {
        return;
    };
    let Ok(order) = input.parse(&key) else {
        return;
    };
    assert!(order.customer_id().get() > 0);
    assert!(!order.lines().is_empty() && order.lines().len() <= NewOrder::MAX_LINES);
    let mut skus = HashSet::new();
    for line in order.lines() {
        assert!(skus.insert(line.sku.clone()), "repeated SKU accepted");
        assert!((1..=Quantity::MAX).contains(&line.quantity.get()));
        assert_eq!(erp_core::domain::Sku::parse(line.sku.as_str()).as_ref(), Ok(&line.sku));
    }
    let key = order.idempotency_key().as_str();
    assert!(!key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_graphic()));
    // The fingerprint is stable: same request, same digest.
    assert_eq!(order.fingerprint(), order.clone().fingerprint());
});
