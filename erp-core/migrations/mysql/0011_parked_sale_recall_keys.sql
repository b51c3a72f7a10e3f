-- A recall may carry a key of its own: the till that took a cart under it gets the same cart
-- again when it retries after a lost answer, instead of "not found" for a cart it holds. The
-- key answers only the user who took the cart (taken_by; NULL for the system).

ALTER TABLE parked_sales
    ADD COLUMN taken_key VARCHAR(128) NULL,
    ADD COLUMN taken_by BIGINT NULL;
