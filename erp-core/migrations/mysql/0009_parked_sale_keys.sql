-- A cart may be parked under an idempotency key, so a till that retries after a lost answer gets
-- the cart it parked instead of a second copy. A recalled cart is no longer deleted but marked
-- taken (it leaves every list), so its key still answers a late retry. Several NULL keys are
-- allowed by the unique index.

ALTER TABLE parked_sales
    ADD COLUMN idempotency_key VARCHAR(128) NULL,
    ADD COLUMN request_fingerprint CHAR(64) NULL,
    ADD COLUMN taken_at DATETIME(6) NULL,
    ADD UNIQUE KEY parked_sales_key_uq (idempotency_key);
