-- Counter sales that take money: channels, discounts, payments and refunds, registers, cash
-- sessions with their cash movements and closing counts, and returns.
--
-- The rules the service keeps are backed by constraints here: a register has at most one open
-- session (a unique key on a generated column that holds the register only while the session is
-- open), an order is never paid past its total nor refunded past what was paid, a line never comes
-- back more often than it was sold, discounts never make a line negative, and a return's
-- idempotency key makes it happen once.
-- The new tables use IF NOT EXISTS; MySQL 8 has no IF NOT EXISTS for columns, so a run of this
-- migration interrupted inside the ALTERs needs the half-added columns dropped by hand.

CREATE TABLE IF NOT EXISTS registers (
    id          BIGINT        NOT NULL AUTO_INCREMENT,
    code        VARCHAR(32)   NOT NULL,
    name        VARCHAR(200)  NOT NULL,
    created_at  DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT registers_code_uq UNIQUE KEY (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cash_sessions (
    id                BIGINT         NOT NULL AUTO_INCREMENT,
    register_id       BIGINT         NOT NULL,
    opened_by         BIGINT         NULL,
    opened_at         DATETIME(6)    NOT NULL,
    opening_float     DECIMAL(14, 2) NOT NULL,
    closed_by         BIGINT         NULL,
    closed_at         DATETIME(6)    NULL,
    -- The register while the session is open, NULL once closed: NULLs never collide, so the
    -- unique key allows one open session per register and any number of closed ones.
    open_register_id  BIGINT         AS (IF(closed_at IS NULL, register_id, NULL)) STORED,
    PRIMARY KEY (id),
    CONSTRAINT cash_sessions_open_uq UNIQUE KEY (open_register_id),
    KEY cash_sessions_register_idx (register_id, id),
    CONSTRAINT cash_sessions_register_fk FOREIGN KEY (register_id) REFERENCES registers (id),
    CONSTRAINT cash_sessions_opened_by_fk FOREIGN KEY (opened_by) REFERENCES users (id),
    CONSTRAINT cash_sessions_closed_by_fk FOREIGN KEY (closed_by) REFERENCES users (id),
    CONSTRAINT cash_sessions_float_ck CHECK (opening_float >= 0),
    CONSTRAINT cash_sessions_closed_ck CHECK (closed_at IS NOT NULL OR closed_by IS NULL)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cash_session_counts (
    cash_session_id  BIGINT         NOT NULL,
    tender           VARCHAR(16)    NOT NULL,
    expected         DECIMAL(14, 2) NOT NULL,
    counted          DECIMAL(14, 2) NOT NULL,
    difference       DECIMAL(15, 2) NOT NULL,
    PRIMARY KEY (cash_session_id, tender),
    CONSTRAINT cash_session_counts_session_fk FOREIGN KEY (cash_session_id)
        REFERENCES cash_sessions (id),
    CONSTRAINT cash_session_counts_tender_ck CHECK (tender IN
        ('cash', 'debit', 'credit', 'pix', 'other')),
    CONSTRAINT cash_session_counts_amounts_ck CHECK (expected >= 0 AND counted >= 0),
    CONSTRAINT cash_session_counts_difference_ck CHECK (difference = counted - expected)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cash_movements (
    id               BIGINT         NOT NULL AUTO_INCREMENT,
    cash_session_id  BIGINT         NOT NULL,
    kind             VARCHAR(8)     NOT NULL,
    amount           DECIMAL(14, 2) NOT NULL,
    reason           VARCHAR(200)   NOT NULL,
    created_by       BIGINT         NULL,
    created_at       DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    KEY cash_movements_session_idx (cash_session_id, id),
    CONSTRAINT cash_movements_session_fk FOREIGN KEY (cash_session_id)
        REFERENCES cash_sessions (id),
    CONSTRAINT cash_movements_user_fk FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT cash_movements_kind_ck CHECK (kind IN ('in', 'out')),
    CONSTRAINT cash_movements_amount_ck CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE orders
    ADD COLUMN channel          VARCHAR(16)    NOT NULL DEFAULT 'delivery',
    ADD COLUMN discount         DECIMAL(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN paid             DECIMAL(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN change_given     DECIMAL(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN refunded         DECIMAL(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN register_id      BIGINT         NULL,
    ADD COLUMN cash_session_id  BIGINT         NULL,
    ADD COLUMN approved_by      BIGINT         NULL,
    ADD KEY orders_cash_session_idx (cash_session_id),
    ADD CONSTRAINT orders_register_fk FOREIGN KEY (register_id) REFERENCES registers (id),
    ADD CONSTRAINT orders_cash_session_fk FOREIGN KEY (cash_session_id)
        REFERENCES cash_sessions (id),
    ADD CONSTRAINT orders_approved_by_fk FOREIGN KEY (approved_by) REFERENCES users (id),
    ADD CONSTRAINT orders_channel_ck CHECK (channel IN ('delivery', 'counter')),
    ADD CONSTRAINT orders_discount_ck CHECK (discount >= 0),
    ADD CONSTRAINT orders_paid_ck CHECK (paid >= 0 AND paid <= total),
    ADD CONSTRAINT orders_change_ck CHECK (change_given >= 0),
    ADD CONSTRAINT orders_refunded_ck CHECK (refunded >= 0 AND refunded <= paid);

-- line_total stays unit_price * quantity (0001's check); the line's own discount comes off it.
ALTER TABLE order_lines
    ADD COLUMN list_price  DECIMAL(14, 2) NULL,
    ADD COLUMN discount    DECIMAL(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN returned    INT            NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_lines_discount_ck CHECK (discount >= 0 AND discount <= line_total),
    ADD CONSTRAINT order_lines_returned_ck CHECK (returned >= 0 AND returned <= quantity);
UPDATE order_lines SET list_price = unit_price WHERE list_price IS NULL;

CREATE TABLE IF NOT EXISTS returns (
    id                   BIGINT         NOT NULL AUTO_INCREMENT,
    order_id             BIGINT         NOT NULL,
    idempotency_key      VARCHAR(128)   NOT NULL,
    request_fingerprint  CHAR(64)       NOT NULL,
    refund_total         DECIMAL(14, 2) NOT NULL,
    cash_session_id      BIGINT         NULL,
    approved_by          BIGINT         NULL,
    note                 TEXT           NULL,
    created_by           BIGINT         NULL,
    created_at           DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    -- One return per order and key: a concurrent duplicate waits on this index, then fails with
    -- a duplicate-key error and replays the winner's return.
    CONSTRAINT returns_idempotency_uq UNIQUE KEY (order_id, idempotency_key),
    CONSTRAINT returns_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT returns_session_fk FOREIGN KEY (cash_session_id) REFERENCES cash_sessions (id),
    CONSTRAINT returns_approved_by_fk FOREIGN KEY (approved_by) REFERENCES users (id),
    CONSTRAINT returns_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT returns_refund_ck CHECK (refund_total >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS return_lines (
    return_id   BIGINT        NOT NULL,
    line_no     INT           NOT NULL,
    product_id  BIGINT        NOT NULL,
    sku         VARCHAR(32)   NOT NULL,
    quantity    INT           NOT NULL,
    restocked   TINYINT(1)    NOT NULL,
    reason      VARCHAR(200)  NULL,
    PRIMARY KEY (return_id, line_no),
    CONSTRAINT return_lines_return_fk FOREIGN KEY (return_id) REFERENCES returns (id),
    CONSTRAINT return_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT return_lines_quantity_ck CHECK (quantity > 0),
    CONSTRAINT return_lines_reason_ck CHECK (restocked = 1 OR reason IS NOT NULL)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS payments (
    id               BIGINT         NOT NULL AUTO_INCREMENT,
    order_id         BIGINT         NOT NULL,
    kind             VARCHAR(16)    NOT NULL,
    tender           VARCHAR(16)    NOT NULL,
    amount           DECIMAL(14, 2) NOT NULL,
    reference        VARCHAR(100)   NULL,
    cash_session_id  BIGINT         NULL,
    return_id        BIGINT         NULL,
    created_by       BIGINT         NULL,
    created_at       DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    KEY payments_order_idx (order_id, id),
    KEY payments_session_idx (cash_session_id),
    CONSTRAINT payments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT payments_session_fk FOREIGN KEY (cash_session_id) REFERENCES cash_sessions (id),
    CONSTRAINT payments_return_fk FOREIGN KEY (return_id) REFERENCES returns (id),
    CONSTRAINT payments_user_fk FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT payments_kind_ck CHECK (kind IN ('payment', 'refund')),
    CONSTRAINT payments_tender_ck CHECK (tender IN ('cash', 'debit', 'credit', 'pix', 'other')),
    CONSTRAINT payments_amount_ck CHECK (amount > 0),
    CONSTRAINT payments_return_ck CHECK ((kind = 'refund') = (return_id IS NOT NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- SALE and RETURN join the movement kinds.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_ck;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_ck CHECK (kind IN
        ('RECEIPT', 'ADJUSTMENT', 'RESERVATION', 'RELEASE', 'SHIPMENT', 'SALE', 'RETURN'));
