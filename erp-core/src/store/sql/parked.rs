//! Parked sales on both dialects: written with their lines, listed, and taken (read and marked
//! taken in one unit of work, the row locked first so two tills cannot both take one cart). A
//! taken cart stays, out of every list, for its idempotency key.

use super::dialect::Dialect;
use super::rows::Columns;
use super::statement::{Statement, placeholders};
use super::stored;
use crate::domain::{
    CustomerId, IdempotencyKey, NewParkedSale, ParkedLabel, ParkedLine, ParkedSale, ParkedSaleId,
    Quantity, Recall, RegisterId, Sku, Timestamp, UserId,
};
use crate::store::StoreResult;

const COLUMNS: &str = "id, label, register_id, customer_id, parked_by, parked_at";

fn parked(row: &dyn Columns) -> StoreResult<ParkedSale> {
    Ok(ParkedSale {
        id: ParkedSaleId(row.int("id")?),
        label: stored(
            ParkedLabel::parse(&row.text("label")?),
            "parked_sales.label",
        )?,
        register_id: row.opt_int("register_id")?.map(RegisterId),
        customer_id: row.opt_int("customer_id")?.map(CustomerId),
        lines: Vec::new(),
        parked_by: row.opt_int("parked_by")?.map(UserId),
        parked_at: row.time("parked_at")?,
    })
}

fn line(row: &dyn Columns) -> StoreResult<(ParkedSaleId, ParkedLine)> {
    Ok((
        ParkedSaleId(row.int("parked_sale_id")?),
        ParkedLine {
            sku: stored(Sku::parse(&row.text("sku")?), "parked_sale_lines.sku")?,
            quantity: stored(
                Quantity::new(row.int("quantity")?),
                "parked_sale_lines.quantity",
            )?,
        },
    ))
}

/// The carts selected by `statement`, with their lines read with `lock`.
async fn with_lines<D: Dialect>(
    tx: &mut D::Tx,
    statement: Statement,
    lock: &str,
) -> StoreResult<Vec<ParkedSale>> {
    let mut sales = D::fetch_in(tx, statement, parked).await?;
    if sales.is_empty() {
        return Ok(sales);
    }
    let lines = Statement::new(format!(
        "SELECT parked_sale_id, line_no, sku, quantity FROM parked_sale_lines \
         WHERE parked_sale_id IN ({}) ORDER BY parked_sale_id, line_no{lock}",
        placeholders(sales.len())
    ))
    .ids(sales.iter().map(|s| s.id.get()));
    for (id, found) in D::fetch_in(tx, lines, line).await? {
        if let Some(sale) = sales.iter_mut().find(|s| s.id == id) {
            sale.lines.push(found);
        }
    }
    Ok(sales)
}

/// Stores a cart with its lines.
pub(crate) async fn insert<D: Dialect>(
    tx: &mut D::Tx,
    new: &NewParkedSale,
    by: Option<UserId>,
    at: Timestamp,
) -> StoreResult<ParkedSaleId> {
    let id = D::execute_in(
        tx,
        Statement::new(
            "INSERT INTO parked_sales (label, register_id, customer_id, parked_by, parked_at, \
             idempotency_key, request_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .text(new.label().as_str())
        .opt_int(new.register_id().map(RegisterId::get))
        .opt_int(new.customer_id().map(CustomerId::get))
        .opt_int(by.map(UserId::get))
        .time(at)
        .opt_text(new.key().map(IdempotencyKey::as_str))
        .opt_text(new.key().map(|_| new.fingerprint()).as_deref()),
    )
    .await?;
    for (line_no, line) in new.lines().iter().enumerate() {
        D::execute_in(
            tx,
            Statement::new(
                "INSERT INTO parked_sale_lines (parked_sale_id, line_no, sku, quantity) \
                 VALUES (?, ?, ?, ?)",
            )
            .int(id)
            .int(i64::try_from(line_no).unwrap_or(i64::MAX))
            .text(line.sku.as_str())
            .int(line.quantity.as_i64()),
        )
        .await?;
    }
    Ok(ParkedSaleId(id))
}

/// Locks a cart, reads it and marks it taken by `by` (under `key`, if given): the caller holds
/// the only copy once this returns. A cart another unit of work took first is not found (the
/// locking read waits for it and then sees it taken), unless the same user took it under this
/// same `key`: then it is answered again, replayed.
pub(crate) async fn take<D: Dialect>(
    tx: &mut D::Tx,
    id: ParkedSaleId,
    at: Timestamp,
    key: Option<&IdempotencyKey>,
    by: Option<UserId>,
) -> StoreResult<Option<Recall>> {
    let select = Statement::new(format!(
        "SELECT {COLUMNS} FROM parked_sales WHERE id = ? AND taken_at IS NULL{}",
        D::FOR_UPDATE
    ))
    .int(id.get());
    if let Some(sale) = with_lines::<D>(tx, select, D::FOR_UPDATE)
        .await?
        .into_iter()
        .next()
    {
        D::execute_in(
            tx,
            Statement::new(
                "UPDATE parked_sales SET taken_at = ?, taken_key = ?, taken_by = ? WHERE id = ?",
            )
            .time(at)
            .opt_text(key.map(IdempotencyKey::as_str))
            .opt_int(by.map(UserId::get))
            .int(id.get()),
        )
        .await?;
        return Ok(Some(Recall {
            sale,
            replayed: false,
        }));
    }
    let Some(key) = key else {
        return Ok(None);
    };
    // Locking, so that under MySQL's repeatable read it sees a take committed after this
    // transaction's snapshot (the retry of a recall whose first try is still committing).
    let taker = by.map(UserId::get);
    let select = Statement::new(format!(
        "SELECT {COLUMNS} FROM parked_sales WHERE id = ? AND taken_key = ? \
         AND (taken_by = ? OR (taken_by IS NULL AND ? IS NULL)){}",
        D::FOR_UPDATE
    ))
    .int(id.get())
    .text(key.as_str())
    .opt_int(taker)
    .opt_int(taker);
    Ok(with_lines::<D>(tx, select, D::FOR_UPDATE)
        .await?
        .into_iter()
        .next()
        .map(|sale| Recall {
            sale,
            replayed: true,
        }))
}

/// The cart parked under `key`, taken or not, with its request's fingerprint.
pub(crate) async fn by_key<D: Dialect>(
    tx: &mut D::Tx,
    key: &IdempotencyKey,
) -> StoreResult<Option<(ParkedSale, String)>> {
    let select = Statement::new(
        "SELECT id, request_fingerprint FROM parked_sales WHERE idempotency_key = ?",
    )
    .text(key.as_str());
    let found = D::fetch_in(tx, select, |row| {
        Ok((row.int("id")?, row.opt_text("request_fingerprint")?))
    })
    .await?;
    let Some((id, fingerprint)) = found.into_iter().next() else {
        return Ok(None);
    };
    let select = Statement::new(format!("SELECT {COLUMNS} FROM parked_sales WHERE id = ?")).int(id);
    Ok(with_lines::<D>(tx, select, "")
        .await?
        .into_iter()
        .next()
        .map(|sale| (sale, fingerprint.unwrap_or_default())))
}

/// Every parked cart, oldest first, at most `limit`.
pub(crate) async fn list<D: Dialect>(tx: &mut D::Tx, limit: u32) -> StoreResult<Vec<ParkedSale>> {
    let select = Statement::new(format!(
        "SELECT {COLUMNS} FROM parked_sales WHERE taken_at IS NULL ORDER BY id LIMIT ?"
    ))
    .int(i64::from(limit));
    with_lines::<D>(tx, select, "").await
}
