-- The shop's own settings: what every receipt prints about it (name, CNPJ, address, phone, a
-- closing line) and its clock offset for the times printed.
--
-- Exactly one row, id 1, so every till and server of the shop prints the same header: the CHECK
-- keeps a second row out, and the row is written here so that reading it never finds nothing and
-- changing it is a plain UPDATE (the same statement on every dialect). The placeholder name is the one of
-- `ShopSettings::unconfigured()`. INSERT IGNORE: a run interrupted after the insert can be
-- repeated.

CREATE TABLE IF NOT EXISTS shop_settings (
    id                  BIGINT        NOT NULL,
    name                VARCHAR(200)  NOT NULL,
    tax_id              VARCHAR(20)   NULL,
    address             TEXT          NULL,
    phone               VARCHAR(20)   NULL,
    footer              TEXT          NULL,
    utc_offset_minutes  INT           NOT NULL,
    updated_by          BIGINT        NULL,
    updated_at          DATETIME(6)   NULL,
    PRIMARY KEY (id),
    CONSTRAINT shop_settings_updated_by_fk FOREIGN KEY (updated_by) REFERENCES users (id),
    CONSTRAINT shop_settings_one_row_ck CHECK (id = 1),
    CONSTRAINT shop_settings_offset_ck CHECK (utc_offset_minutes BETWEEN -720 AND 840)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT IGNORE INTO shop_settings (id, name, utc_offset_minutes) VALUES (1, 'Minha Loja', -180);
