//! Snapshot tests of the renderings (insta: the expected text is committed under `snapshots/`;
//! a change in layout shows up as a diff to review, `cargo insta review` or INSTA_UPDATE=always).

use super::*;
use crate::domain::{Money, Quantity, Sku};

fn sale() -> ReceiptDocument {
    sample::sale().unwrap()
}

/// Two of the three units of the discounted coffee come back and are refunded in cash.
fn sale_return() -> ReceiptDocument {
    let mut document = sale();
    document.kind = ReceiptKind::Return { return_number: 7 };
    document.issued_at += chrono::Duration::days(2);
    document.customer = None;
    document.lines = vec![ReceiptLine {
        sku: Sku::parse("COF-250").unwrap(),
        description: "Café especial torrado em grãos 250 g".into(),
        quantity: Quantity::new(1).unwrap(),
        unit_price: Money::parse("32.50").unwrap(),
        discount: Money::parse("1.63").unwrap(),
        total: Money::parse("30.87").unwrap(),
    }];
    document.subtotal = Money::parse("30.87").unwrap();
    document.sale_discount = Money::ZERO;
    document.total = Money::parse("30.87").unwrap();
    document.tenders = vec![ReceiptTender {
        kind: TenderKind::Cash,
        amount: Money::parse("30.87").unwrap(),
    }];
    document.change = Money::ZERO;
    document
}

fn layout(columns: u32, language: Language) -> ReceiptLayout {
    ReceiptLayout::new(PaperWidth::from_columns(columns).unwrap(), language)
}

#[test]
fn sale_pt_br_32() {
    insta::assert_snapshot!(sale().render_text(layout(32, Language::PtBr)));
}

#[test]
fn sale_pt_br_42() {
    insta::assert_snapshot!(sale().render_text(layout(42, Language::PtBr)));
}

#[test]
fn sale_pt_br_48() {
    insta::assert_snapshot!(sale().render_text(layout(48, Language::PtBr)));
}

#[test]
fn sale_en_42() {
    insta::assert_snapshot!(sale().render_text(layout(42, Language::En)));
}

#[test]
fn return_pt_br_32() {
    insta::assert_snapshot!(sale_return().render_text(layout(32, Language::PtBr)));
}

#[test]
fn return_pt_br_42() {
    insta::assert_snapshot!(sale_return().render_text(layout(42, Language::PtBr)));
}

#[test]
fn return_en_48() {
    insta::assert_snapshot!(sale_return().render_text(layout(48, Language::En)));
}

#[test]
fn every_line_fits_the_paper_at_every_width_in_every_language() {
    for document in [sale(), sale_return()] {
        for width in PaperWidth::ALL {
            for language in [Language::PtBr, Language::En] {
                let text = document.render_text(ReceiptLayout::new(width, language));
                for line in text.lines() {
                    assert!(
                        line.chars().count() <= width.columns(),
                        "{width} {language:?}: {line:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_receipt_says_it_is_not_a_fiscal_document_at_top_and_bottom() {
    let text = sale().render_text(layout(32, Language::PtBr));
    assert_eq!(text.matches("NÃO É DOCUMENTO FISCAL").count(), 2);
    let text = sale().render_text(layout(32, Language::En));
    assert_eq!(text.matches("NOT A FISCAL DOCUMENT").count(), 2);
}

#[test]
fn times_are_printed_in_the_shop_clock() {
    // 17:04 UTC is 14:04 in Brasília (UTC-3).
    let mut document = sale();
    let text = document.render_text(layout(42, Language::PtBr));
    assert!(text.contains("01/12/2026 14:04"), "{text}");
    document.shop.utc_offset_minutes = 60;
    let text = document.render_text(layout(42, Language::En));
    assert!(text.contains("2026-12-01 18:04"), "{text}");
}

#[test]
fn a_reprint_is_marked_as_a_copy() {
    let mut document = sale();
    assert!(
        !document
            .render_text(layout(42, Language::PtBr))
            .contains("2ª VIA")
    );
    document.reprint = true;
    assert!(
        document
            .render_text(layout(42, Language::PtBr))
            .contains("2ª VIA")
    );
}

#[test]
fn escpos_initialises_selects_portuguese_prints_every_line_and_cuts() {
    let document = sale();
    let layout = layout(42, Language::PtBr);
    let bytes = document.render_escpos(layout).unwrap();
    // ESC @ (initialise), then ESC t 3 (code page 860).
    assert_eq!(&bytes[..5], b"\x1b@\x1bt\x03");
    // GS V: a cut, at the end.
    let cut = bytes.windows(2).rposition(|w| w == b"\x1dV").unwrap();
    assert!(cut > bytes.len() - 6, "the cut comes last");
    // Bold on (ESC E 1) for the shop name, and off again.
    assert!(bytes.windows(3).any(|w| w == b"\x1bE\x01"));
    assert!(bytes.windows(3).any(|w| w == b"\x1bE\x00"));
    // Text lines arrive verbatim in code page 860: "Ã" is 0x8E, "É" is 0x90.
    assert!(bytes.windows(6).any(|w| w == b"N\x8eO \x90 "));
    for line in document.render_text(layout).lines() {
        let Some(needle) = line.split_whitespace().rfind(|word| word.is_ascii()) else {
            continue;
        };
        assert!(
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle:?} missing"
        );
    }
}

#[test]
fn characters_the_printer_lacks_print_as_a_question_mark() {
    let mut document = sale();
    document.lines[0].description = "Chá 東京 ☕".into();
    let bytes = document.render_escpos(layout(42, Language::PtBr)).unwrap();
    assert!(bytes.windows(8).any(|w| w == b"Ch\xa0 ?? ?"));
    assert!(!bytes.contains(&0xE6), "no UTF-8 lead bytes of CJK");
}

#[test]
fn printing_to_a_path_appends_the_escpos_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lp0");
    let document = sale();
    let layout = layout(32, Language::PtBr);
    print_to_path(&document, layout, &path).unwrap();
    print_to_path(&document, layout, &path).unwrap();
    let written = std::fs::read(&path).unwrap();
    let one = document.render_escpos(layout).unwrap();
    assert_eq!(written, [one.clone(), one].concat());

    let missing = dir.path().join("no-such-dir").join("lp0");
    let err = print_to_path(&document, layout, &missing).unwrap_err();
    assert_eq!(err.code(), "unavailable");
}
