-- Status changes and cancellations that can be retried: the client's idempotency key of a status
-- change is kept on the history row it wrote, in the same unit of work as the change, so a retry
-- after a lost answer finds that row and replays the answer instead of failing as a transition
-- the order has already made. Keys are per order; the partial unique index lets every keyless
-- change (all of them before this migration) share the NULL.

ALTER TABLE order_status_history ADD COLUMN request_key TEXT;

CREATE UNIQUE INDEX order_status_history_request_uq
    ON order_status_history (order_id, request_key)
    WHERE request_key IS NOT NULL;
