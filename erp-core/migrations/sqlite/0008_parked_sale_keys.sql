-- A cart may be parked under an idempotency key, so a till that retries after a lost answer gets
-- the cart it parked instead of a second copy. A recalled cart is no longer deleted but marked
-- taken (it leaves every list), so its key still answers a late retry.

ALTER TABLE parked_sales ADD COLUMN idempotency_key TEXT;
ALTER TABLE parked_sales ADD COLUMN request_fingerprint TEXT;
ALTER TABLE parked_sales ADD COLUMN taken_at INTEGER;

CREATE UNIQUE INDEX parked_sales_key_uq ON parked_sales (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
