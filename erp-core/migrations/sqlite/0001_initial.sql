-- erp schema for SQLite.
--
-- Money is stored as INTEGER cents and time as INTEGER microseconds since the Unix epoch (UTC):
-- exact, compact and ordered. Tables and columns are named as in the MySQL schema, so both dialects
-- run the same statements (erp-core binds the values in each one's encoding). Searchable text has a `*_folded` copy (Unicode lower case, computed by
-- erp-core) so search needs no collation and agrees with the other backends.
-- Constraints back the business rules even against a manual SQL edit: stock can never go negative
-- or below what is reserved, a line total is always price times quantity, and statuses, kinds and
-- roles are from their closed sets.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CONSTRAINT users_username_uq UNIQUE (username),
    CONSTRAINT users_role_ck CHECK (role IN ('viewer', 'operator', 'manager', 'admin')),
    CONSTRAINT users_active_ck CHECK (active IN (0, 1)),
    CONSTRAINT users_failed_logins_ck CHECK (failed_logins >= 0)
);

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    name_folded  TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    phone        TEXT,
    tax_id       TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER,
    CONSTRAINT customers_name_ck CHECK (length(name) BETWEEN 1 AND 200)
);
-- E-mail and tax id are unique among live customers only: a deleted customer frees them.
CREATE UNIQUE INDEX customers_email_live_uq ON customers (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX customers_tax_id_live_uq ON customers (tax_id)
    WHERE deleted_at IS NULL AND tax_id IS NOT NULL;
-- Listing is by folded name; the partial form serves the default (live only) list.
CREATE INDEX customers_name_idx ON customers (name_folded, id);
CREATE INDEX customers_live_name_idx ON customers (name_folded, id) WHERE deleted_at IS NULL;

CREATE TABLE products (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    sku            TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    name_folded    TEXT    NOT NULL,
    price          INTEGER NOT NULL,
    on_hand        INTEGER NOT NULL,
    reserved       INTEGER NOT NULL DEFAULT 0,
    reorder_level  INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT products_sku_uq UNIQUE (sku),
    CONSTRAINT products_price_ck CHECK (price >= 0),
    CONSTRAINT products_on_hand_ck CHECK (on_hand >= 0),
    CONSTRAINT products_reserved_ck CHECK (reserved >= 0 AND reserved <= on_hand),
    CONSTRAINT products_reorder_level_ck CHECK (reorder_level >= 0),
    CONSTRAINT products_active_ck CHECK (active IN (0, 1))
);
-- The catalogue list and the till's type-ahead search: active products in SKU order, with the
-- folded name inside the index so a name search scans the index alone, never the table.
CREATE INDEX products_search_idx ON products (active, sku, name_folded);

CREATE TABLE orders (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id          INTEGER NOT NULL REFERENCES customers (id),
    status               TEXT    NOT NULL,
    total                INTEGER NOT NULL,
    idempotency_key      TEXT    NOT NULL,
    request_fingerprint  TEXT    NOT NULL,
    note                 TEXT,
    created_by           INTEGER REFERENCES users (id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    -- One order per customer and key: the database, not the process, makes creation idempotent.
    CONSTRAINT orders_idempotency_uq UNIQUE (customer_id, idempotency_key),
    CONSTRAINT orders_status_ck CHECK (status IN
        ('PENDING', 'CONFIRMED', 'PICKED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    CONSTRAINT orders_total_ck CHECK (total >= 0)
);
CREATE INDEX orders_status_idx ON orders (status, id);
CREATE INDEX orders_customer_idx ON orders (customer_id, id);
CREATE INDEX orders_created_idx ON orders (created_at, id);

CREATE TABLE order_lines (
    order_id          INTEGER NOT NULL REFERENCES orders (id),
    line_no           INTEGER NOT NULL,
    product_id        INTEGER NOT NULL REFERENCES products (id),
    sku               TEXT    NOT NULL,
    product_name      TEXT    NOT NULL,
    unit_price        INTEGER NOT NULL,
    quantity          INTEGER NOT NULL,
    line_total        INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_quantity_ck CHECK (quantity > 0),
    CONSTRAINT order_lines_price_ck CHECK (unit_price >= 0),
    CONSTRAINT order_lines_total_ck CHECK (line_total = unit_price * quantity)
);
-- Open-order quantities per product (the reserved-stock check) start from the product.
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE order_status_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    changed_by   INTEGER REFERENCES users (id),
    changed_at   INTEGER NOT NULL,
    note         TEXT,
    CONSTRAINT order_status_history_to_ck CHECK (to_status IN
        ('PENDING', 'CONFIRMED', 'PICKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'))
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

CREATE TABLE stock_movements (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id      INTEGER NOT NULL REFERENCES products (id),
    kind            TEXT    NOT NULL,
    on_hand_delta   INTEGER NOT NULL,
    reserved_delta  INTEGER NOT NULL,
    order_id        INTEGER REFERENCES orders (id),
    reason          TEXT,
    created_by      INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    -- The client's idempotency key of a stock receipt or adjustment: a retried request finds
    -- its movement instead of moving the stock twice.
    request_key     TEXT,
    CONSTRAINT stock_movements_kind_ck CHECK (kind IN
        ('RECEIPT', 'ADJUSTMENT', 'RESERVATION', 'RELEASE', 'SHIPMENT'))
);
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);
CREATE UNIQUE INDEX stock_movements_request_uq ON stock_movements (product_id, request_key)
    WHERE request_key IS NOT NULL;

-- The transactional outbox: written with the change, relayed to Redis afterwards.
CREATE TABLE outbox_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type      TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    actor           INTEGER REFERENCES users (id),
    occurred_at     INTEGER NOT NULL,
    published_at    INTEGER
);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (id) WHERE published_at IS NULL;

-- One-time setup steps (first admin, demo data): the primary key makes each happen once.
CREATE TABLE milestones (
    name     TEXT    PRIMARY KEY,
    done_at  INTEGER NOT NULL
);

-- Refresh tokens, stored only as their SHA-256 digest.
CREATE TABLE refresh_tokens (
    token_hash  TEXT    PRIMARY KEY,
    family      TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
