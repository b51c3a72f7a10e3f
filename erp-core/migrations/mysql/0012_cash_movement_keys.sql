-- A cash movement (cash in or out) may carry an idempotency key, so a till that asks again after
-- a lost answer gets the movement it made instead of a second one. Unique per session (several
-- NULL keys are allowed by the unique index).

ALTER TABLE cash_movements
    ADD COLUMN request_key VARCHAR(128) NULL,
    ADD UNIQUE KEY cash_movements_request_uq (cash_session_id, request_key);
