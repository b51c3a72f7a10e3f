//! Printed receipts for counter sales and returns: the model, its plain-text layout for thermal
//! paper (32, 42 or 48 columns) and its ESC/POS form.
//!
//! A [`ReceiptDocument`] is a self-contained snapshot: everything printed on the paper (shop
//! header, lines, discounts, tenders, change, operator, register, time) is in it, already
//! computed. Rendering does no arithmetic and no I/O, so the same document prints the same way
//! from the till, the REST server or a reprint years later.
//!
//! These receipts are **not fiscal documents** and say so in their header and footer. Brazilian
//! law asks a shop selling to consumers for an NFC-e (or a SAT CF-e in São Paulo); that needs a
//! digital certificate and a round trip to the state's tax authority, which is a module of its own.
//! The model is left open for it: [`FiscalStatus`] is `#[non_exhaustive]` and today only has
//! [`FiscalStatus::NotFiscal`]. A fiscal module would add a variant carrying the authorisation
//! (the 44-digit access key, the protocol number, the consultation QR code URL and the taxes
//! summary of Lei 12.741), build the document with it, and the layout would print that block in
//! place of the notice. Everything else a DANFE NFC-e prints (items, discounts, tenders, change,
//! the shop's CNPJ and address, the customer's CPF) is already in the model.
//!
//! ```
//! use erp_core::receipt::{Language, PaperWidth, ReceiptLayout};
//! # let document = erp_core::receipt::ReceiptDocument::example().unwrap();
//! let text = document.render_text(ReceiptLayout::new(PaperWidth::Columns42, Language::PtBr));
//! assert!(text.contains("NÃO É DOCUMENTO FISCAL"));
//! assert!(text.lines().all(|line| line.chars().count() <= 42));
//! ```

mod escpos;
mod layout;
mod sample;
pub(crate) mod stored;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::Serialize;

use crate::domain::{Money, OrderId, Quantity, ShopSettings, Sku, Timestamp};

pub use escpos::print_to_path;
/// Money as a receipt prints it (the till shows it the same way).
pub use layout::money as format_money;
pub(crate) use stored::Names;

/// Everything a receipt shows, computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptDocument {
    /// The shop header.
    pub shop: ShopSettings,
    /// A sale or a return.
    pub kind: ReceiptKind,
    /// The order (for a return: the order the goods were sold on).
    pub order_id: OrderId,
    /// When the sale or the return happened.
    pub issued_at: Timestamp,
    /// Who served, by login name.
    pub operator: Option<String>,
    /// The till (`CAIXA-01`).
    pub register: Option<String>,
    /// The customer, when the sale names one (a walk-in sale does not).
    pub customer: Option<ReceiptCustomer>,
    /// The items sold, or returned.
    pub lines: Vec<ReceiptLine>,
    /// Sum of the line totals (after line discounts).
    pub subtotal: Money,
    /// The discount on the whole sale (zero when none).
    pub sale_discount: Money,
    /// For a return: what the goods were worth but was not paid back (zero when the refund is
    /// in full; always zero on a sale).
    pub not_refunded: Money,
    /// What was due (a sale) or refunded (a return): `subtotal - sale_discount - not_refunded`.
    pub total: Money,
    /// How it was paid, or refunded.
    pub tenders: Vec<ReceiptTender>,
    /// Cash handed back (zero when none).
    pub change: Money,
    /// Printed again later (marked as a copy).
    pub reprint: bool,
    /// Whether this is a fiscal document (today: never).
    pub fiscal: FiscalStatus,
}

/// What a receipt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReceiptKind {
    /// Goods sold and paid.
    Sale,
    /// Goods brought back and refunded.
    Return {
        /// The return's number.
        return_number: i64,
    },
}

/// The customer as a receipt names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptCustomer {
    /// Name.
    pub name: String,
    /// CPF or CNPJ, formatted, when the customer asked for it on the receipt.
    pub tax_id: Option<String>,
}

/// One item line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptLine {
    /// Product code.
    pub sku: Sku,
    /// Product name at the time of the sale.
    pub description: String,
    /// Units.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: Money,
    /// Discount on this line (zero when none).
    pub discount: Money,
    /// `unit_price * quantity - discount`.
    pub total: Money,
}

/// How money changed hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    /// Notes and coins.
    Cash,
    /// Debit card.
    DebitCard,
    /// Credit card.
    CreditCard,
    /// PIX instant transfer.
    Pix,
    /// Voucher or anything else.
    Other,
}

/// One payment (a sale) or refund (a return).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptTender {
    /// How.
    pub kind: TenderKind,
    /// How much (for cash: what was handed over, change included).
    pub amount: Money,
}

/// Whether a receipt is a fiscal document. See the module documentation for how a fiscal module
/// extends this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FiscalStatus {
    /// A plain receipt: printed with "Não é documento fiscal" / "Not a fiscal document".
    NotFiscal,
}

/// Thermal paper widths, in characters per line of the printer's standard font.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaperWidth {
    /// 58 mm paper.
    Columns32,
    /// 80 mm paper, font B or older printers.
    Columns42,
    /// 80 mm paper, font A.
    Columns48,
}

impl PaperWidth {
    /// Every width.
    pub const ALL: [PaperWidth; 3] = [
        PaperWidth::Columns32,
        PaperWidth::Columns42,
        PaperWidth::Columns48,
    ];

    /// The width from its number of columns (32, 42 or 48).
    pub fn from_columns(columns: u32) -> Result<PaperWidth, crate::domain::Invalid> {
        match columns {
            32 => Ok(PaperWidth::Columns32),
            42 => Ok(PaperWidth::Columns42),
            48 => Ok(PaperWidth::Columns48),
            _ => Err(crate::domain::Invalid::new("must be 32, 42 or 48 columns")),
        }
    }

    /// Characters per line.
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Columns32 => 32,
            PaperWidth::Columns42 => 42,
            PaperWidth::Columns48 => 48,
        }
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.columns())
    }
}

/// The language of the printed labels and of money and dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Brazilian Portuguese: `R$ 1.234,56`, `01/12/2026 15:04`.
    #[default]
    PtBr,
    /// English: `R$ 1,234.56`, `2026-12-01 15:04`.
    En,
}

impl Language {
    /// `pt-BR` or `en` (case-insensitive; `pt` is pt-BR).
    pub fn parse(text: &str) -> Result<Language, crate::domain::Invalid> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pt-br" | "pt_br" | "pt" => Ok(Language::PtBr),
            "en" | "en-us" | "en_us" => Ok(Language::En),
            _ => Err(crate::domain::Invalid::new("must be pt-BR or en")),
        }
    }
}

/// How to lay a receipt out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReceiptLayout {
    /// Paper width.
    pub width: PaperWidth,
    /// Labels, money and dates.
    pub language: Language,
}

impl ReceiptLayout {
    /// A layout.
    pub fn new(width: PaperWidth, language: Language) -> ReceiptLayout {
        ReceiptLayout { width, language }
    }
}

impl ReceiptDocument {
    /// The receipt as plain text, one line per printed line, none wider than the paper.
    pub fn render_text(&self, layout: ReceiptLayout) -> String {
        let mut text = String::new();
        for row in layout::rows(self, layout) {
            text.push_str(&row.text);
            text.push('\n');
        }
        text
    }

    /// The receipt as ESC/POS commands for a thermal printer: the same lines as
    /// [`render_text`](Self::render_text), titles in bold, in code page 860 (Portuguese), then a
    /// paper cut.
    pub fn render_escpos(&self, layout: ReceiptLayout) -> crate::Result<Vec<u8>> {
        escpos::render(&layout::rows(self, layout))
    }

    /// A sample sale with every part filled in, for documentation, tests and trying a printer.
    pub fn example() -> crate::Result<ReceiptDocument> {
        sample::sale()
    }
}
