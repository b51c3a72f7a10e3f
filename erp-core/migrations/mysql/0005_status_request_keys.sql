-- Status changes and cancellations that can be retried: the client's idempotency key of a status
-- change is kept on the history row it wrote, in the same unit of work as the change, so a retry
-- after a lost answer finds that row and replays the answer instead of failing as a transition
-- the order has already made. Keys are per order; InnoDB's unique index admits any number of
-- NULLs, so keyless changes (all of them before this migration) do not collide. The length is
-- the service's key limit (128).

ALTER TABLE order_status_history
    ADD COLUMN request_key VARCHAR(128) NULL,
    ADD UNIQUE KEY order_status_history_request_uq (order_id, request_key);
