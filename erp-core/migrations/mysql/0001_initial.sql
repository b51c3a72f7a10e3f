-- erp schema for MySQL 8 / MariaDB 10.6+ (InnoDB).
--
-- Money is DECIMAL(14,2) (exact), time DATETIME(6) in UTC. Searchable text has a `*_folded` copy
-- (Unicode lower case, computed by erp-core) compared with a binary collation, so search agrees
-- with the other backends whatever the server's default collation.
-- CHECK constraints are enforced by MySQL 8.0.16+ and MariaDB 10.2+: stock can never go negative
-- or below what is reserved, even by a manual SQL edit.

CREATE TABLE IF NOT EXISTS users (
    id              BIGINT       NOT NULL AUTO_INCREMENT,
    username        VARCHAR(32)  NOT NULL,
    password_hash   VARCHAR(255) NOT NULL,
    role            VARCHAR(16)  NOT NULL,
    active          TINYINT(1)   NOT NULL DEFAULT 1,
    failed_logins   INT          NOT NULL DEFAULT 0,
    locked_until    DATETIME(6)  NULL,
    created_at      DATETIME(6)  NOT NULL,
    updated_at      DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT users_username_uq UNIQUE KEY (username),
    CONSTRAINT users_role_ck CHECK (role IN ('viewer', 'operator', 'manager', 'admin')),
    CONSTRAINT users_failed_logins_ck CHECK (failed_logins >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS customers (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    name         VARCHAR(200)  NOT NULL,
    name_folded  VARCHAR(200)  NOT NULL,
    email        VARCHAR(254)  NOT NULL,
    phone        VARCHAR(16)   NULL,
    tax_id       VARCHAR(14)   NULL,
    created_at   DATETIME(6)   NOT NULL,
    updated_at   DATETIME(6)   NOT NULL,
    deleted_at   DATETIME(6)   NULL,
    -- MySQL has no partial indexes: these columns hold the value while the customer is live and
    -- NULL once deleted, and NULLs never collide in a unique index.
    email_live   VARCHAR(254)  AS (IF(deleted_at IS NULL, email, NULL)) STORED,
    tax_id_live  VARCHAR(14)   AS (IF(deleted_at IS NULL, tax_id, NULL)) STORED,
    PRIMARY KEY (id),
    CONSTRAINT customers_email_live_uq UNIQUE KEY (email_live),
    CONSTRAINT customers_tax_id_live_uq UNIQUE KEY (tax_id_live),
    KEY customers_name_idx (name_folded, id),
    KEY customers_deleted_name_idx (deleted_at, name_folded, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS products (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    sku            VARCHAR(32)    NOT NULL,
    name           VARCHAR(200)   NOT NULL,
    name_folded    VARCHAR(200)   NOT NULL,
    price          DECIMAL(14, 2) NOT NULL,
    on_hand        BIGINT         NOT NULL,
    reserved       BIGINT         NOT NULL DEFAULT 0,
    reorder_level  BIGINT         NOT NULL DEFAULT 0,
    active         TINYINT(1)     NOT NULL DEFAULT 1,
    created_at     DATETIME(6)    NOT NULL,
    updated_at     DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT products_sku_uq UNIQUE KEY (sku),
    -- The catalogue list and type-ahead search scan this index alone, in SKU order.
    KEY products_search_idx (active, sku, name_folded),
    CONSTRAINT products_price_ck CHECK (price >= 0),
    CONSTRAINT products_on_hand_ck CHECK (on_hand >= 0),
    CONSTRAINT products_reserved_ck CHECK (reserved >= 0 AND reserved <= on_hand),
    CONSTRAINT products_reorder_level_ck CHECK (reorder_level >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS orders (
    id                   BIGINT         NOT NULL AUTO_INCREMENT,
    customer_id          BIGINT         NOT NULL,
    status               VARCHAR(16)    NOT NULL,
    total                DECIMAL(14, 2) NOT NULL,
    idempotency_key      VARCHAR(128)   NOT NULL,
    request_fingerprint  CHAR(64)       NOT NULL,
    note                 TEXT           NULL,
    created_by           BIGINT         NULL,
    created_at           DATETIME(6)    NOT NULL,
    updated_at           DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    -- One order per customer and key: a concurrent duplicate waits on this index, then fails with
    -- a duplicate-key error and replays the winner's order.
    CONSTRAINT orders_idempotency_uq UNIQUE KEY (customer_id, idempotency_key),
    KEY orders_status_idx (status, id),
    KEY orders_customer_idx (customer_id, id),
    KEY orders_created_idx (created_at, id),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT orders_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT orders_status_ck CHECK (status IN
        ('PENDING', 'CONFIRMED', 'PICKED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    CONSTRAINT orders_total_ck CHECK (total >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_lines (
    order_id      BIGINT         NOT NULL,
    line_no       INT            NOT NULL,
    product_id    BIGINT         NOT NULL,
    sku           VARCHAR(32)    NOT NULL,
    product_name  VARCHAR(200)   NOT NULL,
    unit_price    DECIMAL(14, 2) NOT NULL,
    quantity      INT            NOT NULL,
    line_total    DECIMAL(14, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    KEY order_lines_product_idx (product_id),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT order_lines_quantity_ck CHECK (quantity > 0),
    CONSTRAINT order_lines_price_ck CHECK (unit_price >= 0),
    CONSTRAINT order_lines_total_ck CHECK (line_total = unit_price * quantity)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_status_history (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    order_id     BIGINT       NOT NULL,
    from_status  VARCHAR(16)  NULL,
    to_status    VARCHAR(16)  NOT NULL,
    changed_by   BIGINT       NULL,
    changed_at   DATETIME(6)  NOT NULL,
    note         TEXT         NULL,
    PRIMARY KEY (id),
    KEY order_status_history_order_idx (order_id, id),
    CONSTRAINT order_status_history_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_status_history_user_fk FOREIGN KEY (changed_by) REFERENCES users (id),
    CONSTRAINT order_status_history_to_ck CHECK (to_status IN
        ('PENDING', 'CONFIRMED', 'PICKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS stock_movements (
    id              BIGINT        NOT NULL AUTO_INCREMENT,
    product_id      BIGINT        NOT NULL,
    kind            VARCHAR(16)   NOT NULL,
    on_hand_delta   BIGINT        NOT NULL,
    reserved_delta  BIGINT        NOT NULL,
    order_id        BIGINT        NULL,
    reason          VARCHAR(200)  NULL,
    created_by      BIGINT        NULL,
    created_at      DATETIME(6)   NOT NULL,
    -- The client's idempotency key of a stock receipt or adjustment: a retried request finds
    -- its movement instead of moving the stock twice.
    request_key     VARCHAR(128)  NULL,
    PRIMARY KEY (id),
    KEY stock_movements_product_idx (product_id, id),
    UNIQUE KEY stock_movements_request_uq (product_id, request_key),
    CONSTRAINT stock_movements_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT stock_movements_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT stock_movements_user_fk FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT stock_movements_kind_ck CHECK (kind IN
        ('RECEIPT', 'ADJUSTMENT', 'RESERVATION', 'RELEASE', 'SHIPMENT'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The transactional outbox: written with the change, relayed to Redis afterwards.
CREATE TABLE IF NOT EXISTS outbox_events (
    id              BIGINT       NOT NULL AUTO_INCREMENT,
    event_type      VARCHAR(64)  NOT NULL,
    aggregate_type  VARCHAR(32)  NOT NULL,
    aggregate_id    BIGINT       NOT NULL,
    payload         TEXT         NOT NULL,
    actor           BIGINT       NULL,
    occurred_at     DATETIME(6)  NOT NULL,
    published_at    DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY outbox_events_unpublished_idx (published_at, id),
    CONSTRAINT outbox_events_actor_fk FOREIGN KEY (actor) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One-time setup steps (first admin, demo data): the primary key makes each happen once.
CREATE TABLE IF NOT EXISTS milestones (
    name     VARCHAR(64)  NOT NULL,
    done_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Refresh tokens, stored only as their SHA-256 digest.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  CHAR(64)     NOT NULL,
    family      CHAR(32)     NOT NULL,
    user_id     BIGINT       NOT NULL,
    issued_at   DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL,
    used_at     DATETIME(6)  NULL,
    revoked_at  DATETIME(6)  NULL,
    PRIMARY KEY (token_hash),
    KEY refresh_tokens_family_idx (family),
    KEY refresh_tokens_user_idx (user_id),
    CONSTRAINT refresh_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
