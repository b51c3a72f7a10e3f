-- Counter sales that take money: channels, discounts, payments and refunds, registers, cash
-- sessions with their cash movements and closing counts, and returns.
--
-- Money is INTEGER cents as in 0001. The rules the service keeps are backed by constraints here:
-- a register has at most one open session (a partial unique index), an order is never paid past
-- its total nor refunded past what was paid, a line never comes back more often than it was sold,
-- discounts never make a line negative, and a return's idempotency key makes it happen once.

CREATE TABLE registers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT registers_code_uq UNIQUE (code),
    CONSTRAINT registers_name_ck CHECK (length(name) BETWEEN 1 AND 200)
);

CREATE TABLE cash_sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    register_id    INTEGER NOT NULL REFERENCES registers (id),
    opened_by      INTEGER REFERENCES users (id),
    opened_at      INTEGER NOT NULL,
    opening_float  INTEGER NOT NULL,
    closed_by      INTEGER REFERENCES users (id),
    closed_at      INTEGER,
    CONSTRAINT cash_sessions_float_ck CHECK (opening_float >= 0),
    CONSTRAINT cash_sessions_closed_ck CHECK (closed_at IS NOT NULL OR closed_by IS NULL)
);
-- One open session per register, whatever the service does: the database refuses a second.
CREATE UNIQUE INDEX cash_sessions_open_uq ON cash_sessions (register_id) WHERE closed_at IS NULL;
CREATE INDEX cash_sessions_register_idx ON cash_sessions (register_id, id);

-- What a close counted per tender, beside what the records expected.
CREATE TABLE cash_session_counts (
    cash_session_id  INTEGER NOT NULL REFERENCES cash_sessions (id),
    tender           TEXT    NOT NULL,
    expected         INTEGER NOT NULL,
    counted          INTEGER NOT NULL,
    difference       INTEGER NOT NULL,
    PRIMARY KEY (cash_session_id, tender),
    CONSTRAINT cash_session_counts_tender_ck CHECK (tender IN
        ('cash', 'debit', 'credit', 'pix', 'other')),
    CONSTRAINT cash_session_counts_amounts_ck CHECK (expected >= 0 AND counted >= 0),
    CONSTRAINT cash_session_counts_difference_ck CHECK (difference = counted - expected)
);

-- Cash put in (suprimento) or taken out (sangria) of a drawer, with the reason.
CREATE TABLE cash_movements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    cash_session_id  INTEGER NOT NULL REFERENCES cash_sessions (id),
    kind             TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    reason           TEXT    NOT NULL,
    created_by       INTEGER REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    CONSTRAINT cash_movements_kind_ck CHECK (kind IN ('in', 'out')),
    CONSTRAINT cash_movements_amount_ck CHECK (amount > 0)
);
CREATE INDEX cash_movements_session_idx ON cash_movements (cash_session_id, id);

ALTER TABLE orders ADD COLUMN channel TEXT NOT NULL DEFAULT 'delivery'
    CONSTRAINT orders_channel_ck CHECK (channel IN ('delivery', 'counter'));
ALTER TABLE orders ADD COLUMN discount INTEGER NOT NULL DEFAULT 0
    CONSTRAINT orders_discount_ck CHECK (discount >= 0);
ALTER TABLE orders ADD COLUMN paid INTEGER NOT NULL DEFAULT 0
    CONSTRAINT orders_paid_ck CHECK (paid >= 0 AND paid <= total);
ALTER TABLE orders ADD COLUMN change_given INTEGER NOT NULL DEFAULT 0
    CONSTRAINT orders_change_ck CHECK (change_given >= 0);
ALTER TABLE orders ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0
    CONSTRAINT orders_refunded_ck CHECK (refunded >= 0 AND refunded <= paid);
ALTER TABLE orders ADD COLUMN register_id INTEGER REFERENCES registers (id);
ALTER TABLE orders ADD COLUMN cash_session_id INTEGER REFERENCES cash_sessions (id);
ALTER TABLE orders ADD COLUMN approved_by INTEGER REFERENCES users (id);
CREATE INDEX orders_cash_session_idx ON orders (cash_session_id) WHERE cash_session_id IS NOT NULL;

-- line_total stays unit_price * quantity (0001's check); the line's own discount comes off it.
ALTER TABLE order_lines ADD COLUMN list_price INTEGER;
ALTER TABLE order_lines ADD COLUMN discount INTEGER NOT NULL DEFAULT 0
    CONSTRAINT order_lines_discount_ck CHECK (discount >= 0 AND discount <= line_total);
ALTER TABLE order_lines ADD COLUMN returned INTEGER NOT NULL DEFAULT 0
    CONSTRAINT order_lines_returned_ck CHECK (returned >= 0 AND returned <= quantity);
UPDATE order_lines SET list_price = unit_price;

CREATE TABLE returns (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id             INTEGER NOT NULL REFERENCES orders (id),
    idempotency_key      TEXT    NOT NULL,
    request_fingerprint  TEXT    NOT NULL,
    refund_total         INTEGER NOT NULL,
    cash_session_id      INTEGER REFERENCES cash_sessions (id),
    approved_by          INTEGER REFERENCES users (id),
    note                 TEXT,
    created_by           INTEGER REFERENCES users (id),
    created_at           INTEGER NOT NULL,
    -- One return per order and key: a retried return finds the first instead of refunding twice.
    CONSTRAINT returns_idempotency_uq UNIQUE (order_id, idempotency_key),
    CONSTRAINT returns_refund_ck CHECK (refund_total >= 0)
);

CREATE TABLE return_lines (
    return_id   INTEGER NOT NULL REFERENCES returns (id),
    line_no     INTEGER NOT NULL,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    sku         TEXT    NOT NULL,
    quantity    INTEGER NOT NULL,
    restocked   INTEGER NOT NULL,
    reason      TEXT,
    PRIMARY KEY (return_id, line_no),
    CONSTRAINT return_lines_quantity_ck CHECK (quantity > 0),
    CONSTRAINT return_lines_restocked_ck CHECK (restocked IN (0, 1)),
    CONSTRAINT return_lines_reason_ck CHECK (restocked = 1 OR reason IS NOT NULL)
);

-- Money in (kind payment) and back out (kind refund, with its return).
CREATE TABLE payments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    kind             TEXT    NOT NULL,
    tender           TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    reference        TEXT,
    cash_session_id  INTEGER REFERENCES cash_sessions (id),
    return_id        INTEGER REFERENCES returns (id),
    created_by       INTEGER REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    CONSTRAINT payments_kind_ck CHECK (kind IN ('payment', 'refund')),
    CONSTRAINT payments_tender_ck CHECK (tender IN ('cash', 'debit', 'credit', 'pix', 'other')),
    CONSTRAINT payments_amount_ck CHECK (amount > 0),
    CONSTRAINT payments_return_ck CHECK ((kind = 'refund') = (return_id IS NOT NULL))
);
CREATE INDEX payments_order_idx ON payments (order_id, id);
CREATE INDEX payments_session_idx ON payments (cash_session_id) WHERE cash_session_id IS NOT NULL;

-- SALE and RETURN join the movement kinds. SQLite cannot change a CHECK in place: the table is
-- rebuilt with the same columns and indexes (nothing references it).
CREATE TABLE stock_movements_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id      INTEGER NOT NULL REFERENCES products (id),
    kind            TEXT    NOT NULL,
    on_hand_delta   INTEGER NOT NULL,
    reserved_delta  INTEGER NOT NULL,
    order_id        INTEGER REFERENCES orders (id),
    reason          TEXT,
    created_by      INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    request_key     TEXT,
    CONSTRAINT stock_movements_kind_ck CHECK (kind IN
        ('RECEIPT', 'ADJUSTMENT', 'RESERVATION', 'RELEASE', 'SHIPMENT', 'SALE', 'RETURN'))
);
INSERT INTO stock_movements_new (id, product_id, kind, on_hand_delta, reserved_delta, order_id,
    reason, created_by, created_at, request_key)
SELECT id, product_id, kind, on_hand_delta, reserved_delta, order_id, reason, created_by,
    created_at, request_key FROM stock_movements;
DROP TABLE stock_movements;
ALTER TABLE stock_movements_new RENAME TO stock_movements;
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);
CREATE UNIQUE INDEX stock_movements_request_uq ON stock_movements (product_id, request_key)
    WHERE request_key IS NOT NULL;
