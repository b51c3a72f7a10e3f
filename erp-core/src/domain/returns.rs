//! Returns: units of a delivered order coming back, and the money paid back for them.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::sale::{check_tenders, hash_tenders};
use super::{
    ApproverCredentials, CashSessionId, IdempotencyKey, Note, OrderId, Payment, ProductId,
    Quantity, Reason, RegisterId, ReturnId, Sku, TenderLine, Timestamp, UserId,
};
use crate::error::Error;

/// Where returned units go.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Back on the shelf: `on_hand += quantity` with a RETURN movement.
    Restock,
    /// Damaged or unsellable: nothing goes back to stock, and the reason is recorded.
    WriteOff(Reason),
}

/// One line of a return as asked for: which product of the order, how many, where they go.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReturnLineRequest {
    /// The order line's SKU (unique within an order).
    pub sku: Sku,
    /// Units coming back.
    pub quantity: Quantity,
    /// Restock or write off.
    pub disposition: Disposition,
}

/// A return, validated: 1 or more lines (each SKU once), up to
/// [`NewCounterSale::MAX_TENDERS`](super::NewCounterSale::MAX_TENDERS) refund tenders (none: no
/// money back, an exchange).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReturn {
    order_id: OrderId,
    lines: Vec<ReturnLineRequest>,
    refunds: Vec<TenderLine>,
    register_id: Option<RegisterId>,
    idempotency_key: IdempotencyKey,
    note: Option<Note>,
    approver: Option<ApproverCredentials>,
}

impl NewReturn {
    /// Validates the shape. A cash refund needs the till it is paid from.
    pub fn new(
        order_id: OrderId,
        lines: Vec<ReturnLineRequest>,
        refunds: Vec<TenderLine>,
        register_id: Option<RegisterId>,
        idempotency_key: IdempotencyKey,
        note: Option<Note>,
        approver: Option<ApproverCredentials>,
    ) -> Result<NewReturn, Error> {
        let skus: Vec<Sku> = lines.iter().map(|l| l.sku.clone()).collect();
        super::order::check_lines(&skus)?;
        check_tenders(&refunds, "refunds", 0)?;
        Ok(NewReturn {
            order_id,
            lines,
            refunds,
            register_id,
            idempotency_key,
            note,
            approver,
        })
    }

    /// The order.
    pub fn order_id(&self) -> OrderId {
        self.order_id
    }
    /// The lines.
    pub fn lines(&self) -> &[ReturnLineRequest] {
        &self.lines
    }
    /// The money paid back.
    pub fn refunds(&self) -> &[TenderLine] {
        &self.refunds
    }
    /// The till a cash refund comes from.
    pub fn register_id(&self) -> Option<RegisterId> {
        self.register_id
    }
    /// The client's key.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
    /// The note.
    pub fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }
    /// The approving manager's login.
    pub fn approver(&self) -> Option<&ApproverCredentials> {
        self.approver.as_ref()
    }

    /// A digest of what was asked for (never of the approver).
    pub fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let goes = match &l.disposition {
                    Disposition::Restock => "restock".to_string(),
                    Disposition::WriteOff(reason) => format!("write-off:{reason}"),
                };
                format!("{}x{}:{goes}", l.sku, l.quantity)
            })
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "return;order={};register={:?};",
            self.order_id,
            self.register_id.map(RegisterId::get)
        ));
        for line in lines {
            hasher.update(format!("line={line};"));
        }
        hash_tenders(&mut hasher, &self.refunds);
        hasher.update(format!("note={:?}", self.note.as_ref().map(Note::as_str)));
        crate::auth::hex(&hasher.finalize())
    }
}

/// One returned line as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnedLine {
    /// The order line's position.
    pub line_no: u32,
    /// The product.
    pub product_id: ProductId,
    /// Its SKU.
    pub sku: Sku,
    /// Units.
    pub quantity: Quantity,
    /// Back to stock (true) or written off (false).
    pub restocked: bool,
    /// Why written off.
    pub reason: Option<Reason>,
}

/// A return as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SaleReturn {
    /// Row id.
    pub id: ReturnId,
    /// The order.
    pub order_id: OrderId,
    /// The lines.
    pub lines: Vec<ReturnedLine>,
    /// The money paid back, one payment of kind refund per tender.
    pub refunds: Vec<Payment>,
    /// Their sum.
    pub refund_total: super::Money,
    /// The session a cash refund went through.
    pub cash_session_id: Option<CashSessionId>,
    /// The manager who approved it.
    pub approved_by: Option<UserId>,
    /// The client's key; one return per `(order, key)`.
    pub idempotency_key: IdempotencyKey,
    /// [`NewReturn::fingerprint`].
    #[serde(skip)]
    pub request_fingerprint: String,
    /// The note.
    pub note: Option<Note>,
    /// Who took it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// The result of recording a return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnOutcome {
    /// The return.
    #[serde(rename = "return")]
    pub sale_return: SaleReturn,
    /// True when the key had been used for this same return: nothing new happened.
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64, disposition: Disposition) -> ReturnLineRequest {
        ReturnLineRequest {
            sku: Sku::parse(sku).unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            disposition,
        }
    }

    fn request(lines: Vec<ReturnLineRequest>, key: &str) -> Result<NewReturn, Error> {
        NewReturn::new(
            OrderId(1),
            lines,
            vec![],
            None,
            IdempotencyKey::parse(key).unwrap(),
            None,
            None,
        )
    }

    #[test]
    fn a_return_needs_distinct_lines() {
        assert!(request(vec![], "k").is_err());
        let twice = vec![
            line("A", 1, Disposition::Restock),
            line("a", 1, Disposition::Restock),
        ];
        assert!(request(twice, "k").is_err());
    }

    #[test]
    fn the_fingerprint_tells_restock_from_write_off() {
        let restock = request(vec![line("A", 1, Disposition::Restock)], "k").unwrap();
        let broken = Disposition::WriteOff(Reason::parse("broken").unwrap());
        let write_off = request(vec![line("A", 1, broken)], "k").unwrap();
        assert_ne!(restock.fingerprint(), write_off.fingerprint());
    }
}
