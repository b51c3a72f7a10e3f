-- A cash movement (cash in or out) may carry an idempotency key, so a till that asks again after
-- a lost answer gets the movement it made instead of a second one. Unique per session.

ALTER TABLE cash_movements ADD COLUMN request_key TEXT;

CREATE UNIQUE INDEX cash_movements_request_uq ON cash_movements (cash_session_id, request_key)
    WHERE request_key IS NOT NULL;
