-- A recall may carry a key of its own: the till that took a cart under it gets the same cart
-- again when it retries after a lost answer, instead of "not found" for a cart it holds.

ALTER TABLE parked_sales ADD COLUMN taken_key VARCHAR(128) NULL;
