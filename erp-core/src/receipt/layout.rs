//! Lays a receipt out in fixed-width lines: the one layout behind both the text and the ESC/POS
//! forms, so they never disagree.

use super::{
    FiscalStatus, Language, ReceiptDocument, ReceiptKind, ReceiptLayout, ReceiptLine, TenderKind,
};
use crate::domain::{Money, Timestamp};

/// One printed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// At most the paper's width in characters.
    pub text: String,
    /// Printed in bold where the printer can.
    pub bold: bool,
}

/// The words of one language.
struct Labels {
    not_fiscal: &'static str,
    phone: &'static str,
    reprint: &'static str,
    return_title: &'static str,
    order: &'static str,
    return_number: &'static str,
    original_order: &'static str,
    operator: &'static str,
    register: &'static str,
    customer: &'static str,
    tax_id: &'static str,
    discount: &'static str,
    subtotal: &'static str,
    sale_discount: &'static str,
    not_refunded: &'static str,
    total: &'static str,
    total_refunded: &'static str,
    paid_with: &'static str,
    refunded_in: &'static str,
    change: &'static str,
}

const PT_BR: Labels = Labels {
    not_fiscal: "NÃO É DOCUMENTO FISCAL",
    phone: "Tel.",
    reprint: "2ª VIA",
    return_title: "DEVOLUÇÃO",
    order: "Pedido",
    return_number: "Devolução",
    original_order: "Pedido de origem",
    operator: "Operador",
    register: "Caixa",
    customer: "Cliente",
    tax_id: "CPF/CNPJ",
    discount: "Desconto",
    subtotal: "Subtotal",
    sale_discount: "Desconto na venda",
    not_refunded: "Não reembolsado",
    total: "TOTAL",
    total_refunded: "TOTAL DEVOLVIDO",
    paid_with: "Pagamento",
    refunded_in: "Reembolso",
    change: "Troco",
};

const EN: Labels = Labels {
    not_fiscal: "NOT A FISCAL DOCUMENT",
    phone: "Phone",
    reprint: "REPRINT",
    return_title: "RETURN",
    order: "Order",
    return_number: "Return",
    original_order: "Original order",
    operator: "Operator",
    register: "Register",
    customer: "Customer",
    tax_id: "Tax id",
    discount: "Discount",
    subtotal: "Subtotal",
    sale_discount: "Sale discount",
    not_refunded: "Not refunded",
    total: "TOTAL",
    total_refunded: "TOTAL REFUNDED",
    paid_with: "Payment",
    refunded_in: "Refund",
    change: "Change",
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::PtBr => &PT_BR,
        Language::En => &EN,
    }
}

fn tender_label(kind: TenderKind, language: Language) -> &'static str {
    match (language, kind) {
        (Language::PtBr, TenderKind::Cash) => "Dinheiro",
        (Language::PtBr, TenderKind::DebitCard) => "Cartão de débito",
        (Language::PtBr, TenderKind::CreditCard) => "Cartão de crédito",
        (Language::PtBr, TenderKind::Pix) => "PIX",
        (Language::PtBr, TenderKind::Other) => "Outros",
        (Language::En, TenderKind::Cash) => "Cash",
        (Language::En, TenderKind::DebitCard) => "Debit card",
        (Language::En, TenderKind::CreditCard) => "Credit card",
        (Language::En, TenderKind::Pix) => "PIX",
        (Language::En, TenderKind::Other) => "Other",
    }
}

/// `R$ 1.234,56` (pt-BR) or `R$ 1,234.56` (en).
pub fn money(amount: Money, language: Language) -> String {
    let (group, decimal) = match language {
        Language::PtBr => ('.', ','),
        Language::En => (',', '.'),
    };
    let cents = amount.cents();
    let digits = (cents / 100).to_string();
    let mut units = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            units.push(group);
        }
        units.push(digit);
    }
    format!("R$ {units}{decimal}{:02}", cents % 100)
}

/// An amount taken off: `-R$ 1,00`.
fn minus(amount: Money, language: Language) -> String {
    format!("-{}", money(amount, language))
}

/// The shop's local time of `at`.
fn local_time(document: &ReceiptDocument, at: Timestamp, language: Language) -> String {
    let local = at.with_timezone(&document.shop.offset());
    match language {
        Language::PtBr => local.format("%d/%m/%Y %H:%M").to_string(),
        Language::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// Breaks `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        // A word longer than the line is cut wherever the line ends.
        while word.len() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        let needed = if current.is_empty() {
            word.len()
        } else {
            width_of(&current) + 1 + word.len()
        };
        if needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.extend(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The lines being laid out, `width` characters wide.
struct Sheet {
    width: usize,
    rows: Vec<Row>,
}

impl Sheet {
    fn push(&mut self, text: String, bold: bool) {
        self.rows.push(Row { text, bold });
    }

    fn left(&mut self, text: &str) {
        self.hanging(text, 0);
    }

    /// `text` wrapped, keeping its leading spaces, and with continuation lines `hang` characters
    /// further in.
    fn hanging(&mut self, text: &str, hang: usize) {
        let body = text.trim_start_matches(' ');
        let indent = text.len() - body.len();
        let first = wrap(body, self.width.saturating_sub(indent).max(1));
        let Some((head, tail)) = first.split_first() else {
            return;
        };
        self.push(format!("{}{head}", " ".repeat(indent)), false);
        let inner = indent + hang;
        let rest = tail.join(" ");
        for line in wrap(&rest, self.width.saturating_sub(inner).max(1)) {
            self.push(format!("{}{line}", " ".repeat(inner)), false);
        }
    }

    fn center(&mut self, text: &str, bold: bool) {
        for line in wrap(text, self.width) {
            let pad = (self.width - width_of(&line)) / 2;
            self.push(format!("{}{line}", " ".repeat(pad)), bold);
        }
    }

    fn right(&mut self, text: &str) {
        let pad = self.width.saturating_sub(width_of(text));
        self.push(format!("{}{text}", " ".repeat(pad)), false);
    }

    /// `left` and `right` on one line, pushed apart; on two when they do not fit together.
    fn pair(&mut self, left: &str, right: &str, bold: bool) {
        let (l, r) = (width_of(left), width_of(right));
        if l + 1 + r <= self.width {
            let gap = self.width - l - r;
            self.push(format!("{left}{}{right}", " ".repeat(gap)), bold);
        } else {
            for line in wrap(left, self.width) {
                self.push(line, bold);
            }
            let pad = self.width.saturating_sub(r);
            self.push(format!("{}{right}", " ".repeat(pad)), bold);
        }
    }

    fn rule(&mut self, c: char) {
        self.push(c.to_string().repeat(self.width), false);
    }
}

/// The receipt as printed lines.
pub(super) fn rows(document: &ReceiptDocument, layout: ReceiptLayout) -> Vec<Row> {
    let language = layout.language;
    let words = labels(language);
    let mut sheet = Sheet {
        width: layout.width.columns(),
        rows: Vec::new(),
    };

    // The shop.
    let shop = &document.shop;
    sheet.center(shop.name.as_str(), true);
    if let Some(tax_id) = &shop.tax_id {
        sheet.center(&format!("CNPJ {}", tax_id.formatted()), false);
    }
    for line in shop.address_lines() {
        sheet.center(line, false);
    }
    if let Some(phone) = &shop.phone {
        sheet.center(&format!("{} {phone}", words.phone), false);
    }
    sheet.rule('=');
    let notice = match document.fiscal {
        FiscalStatus::NotFiscal => words.not_fiscal,
    };
    sheet.center(notice, true);
    if let ReceiptKind::Return { .. } = document.kind {
        sheet.center(words.return_title, true);
    }
    if document.reprint {
        sheet.center(words.reprint, false);
    }
    sheet.rule('=');

    // The facts.
    let when = local_time(document, document.issued_at, language);
    match document.kind {
        ReceiptKind::Sale => {
            sheet.pair(
                &format!("{} {}", words.order, document.order_id),
                &when,
                false,
            );
        }
        ReceiptKind::Return { return_number } => {
            sheet.pair(
                &format!("{} {return_number}", words.return_number),
                &when,
                false,
            );
            sheet.left(&format!("{} {}", words.original_order, document.order_id));
        }
    }
    let operator = document
        .operator
        .as_ref()
        .map(|name| format!("{}: {name}", words.operator));
    let register = document
        .register
        .as_ref()
        .map(|name| format!("{}: {name}", words.register));
    match (operator, register) {
        (Some(operator), Some(register)) => sheet.pair(&operator, &register, false),
        (Some(one), None) | (None, Some(one)) => sheet.left(&one),
        (None, None) => {}
    }
    if let Some(customer) = &document.customer {
        sheet.left(&format!("{}: {}", words.customer, customer.name));
        if let Some(tax_id) = &customer.tax_id {
            sheet.left(&format!("{}: {tax_id}", words.tax_id));
        }
    }
    sheet.rule('-');

    // The items.
    for (index, line) in document.lines.iter().enumerate() {
        item(&mut sheet, index, line, language);
    }
    sheet.rule('-');

    // The money.
    if document.sale_discount.cents() != 0 || document.not_refunded.cents() != 0 {
        sheet.pair(words.subtotal, &money(document.subtotal, language), false);
    }
    if document.sale_discount.cents() != 0 {
        sheet.pair(
            words.sale_discount,
            &minus(document.sale_discount, language),
            false,
        );
    }
    if document.not_refunded.cents() != 0 {
        sheet.pair(
            words.not_refunded,
            &minus(document.not_refunded, language),
            false,
        );
    }
    let (total_label, tenders_label) = match document.kind {
        ReceiptKind::Sale => (words.total, words.paid_with),
        ReceiptKind::Return { .. } => (words.total_refunded, words.refunded_in),
    };
    sheet.pair(total_label, &money(document.total, language), true);
    if !document.tenders.is_empty() {
        sheet.left(&format!("{tenders_label}:"));
        for tender in &document.tenders {
            sheet.pair(
                &format!("  {}", tender_label(tender.kind, language)),
                &money(tender.amount, language),
                false,
            );
        }
    }
    if document.change.cents() != 0 {
        sheet.pair(words.change, &money(document.change, language), false);
    }
    sheet.rule('=');

    // The closing.
    if let Some(footer) = &shop.footer {
        for line in footer.as_str().lines() {
            sheet.center(line, false);
        }
    }
    sheet.center(notice, true);
    sheet.rows
}

/// One item: number, code and name; quantity and price; the discount if any; the line total.
fn item(sheet: &mut Sheet, index: usize, line: &ReceiptLine, language: Language) {
    sheet.hanging(
        &format!("{:03} {} {}", index + 1, line.sku, line.description),
        4,
    );
    let quantity = format!(
        "   {} x {}",
        line.quantity.get(),
        money(line.unit_price, language)
    );
    let total = money(line.total, language);
    if line.discount.cents() == 0 {
        sheet.pair(&quantity, &total, false);
    } else {
        sheet.left(&quantity);
        sheet.pair(
            &format!("   {}", labels(language).discount),
            &minus(line.discount, language),
            false,
        );
        sheet.right(&total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_per_language() {
        let amount = Money::parse("1234567.8").unwrap();
        assert_eq!(money(amount, Language::PtBr), "R$ 1.234.567,80");
        assert_eq!(money(amount, Language::En), "R$ 1,234,567.80");
        assert_eq!(money(Money::ZERO, Language::PtBr), "R$ 0,00");
        assert_eq!(
            money(Money::parse("999.99").unwrap(), Language::PtBr),
            "R$ 999,99"
        );
        assert_eq!(
            money(Money::parse("1000").unwrap(), Language::PtBr),
            "R$ 1.000,00"
        );
    }

    #[test]
    fn wrapping_never_exceeds_the_width_and_keeps_every_word() {
        let text = "Chá verde orgânico em folhas soltas Supercalifragilisticexpialidocious 500g";
        for width in [8, 32, 42] {
            let lines = wrap(text, width);
            assert!(lines.iter().all(|l| width_of(l) <= width), "{lines:?}");
            let joined: String = lines.concat();
            let expected: String = text.split_whitespace().collect();
            assert_eq!(joined.replace(' ', ""), expected);
        }
    }

    #[test]
    fn a_pair_too_wide_for_one_line_takes_two() {
        let mut sheet = Sheet {
            width: 20,
            rows: Vec::new(),
        };
        sheet.pair("Left", "Right", false);
        sheet.pair("A rather long label here", "R$ 10,00", false);
        let texts: Vec<&str> = sheet.rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Left           Right",
                "A rather long label",
                "here",
                "            R$ 10,00"
            ]
        );
    }
}
