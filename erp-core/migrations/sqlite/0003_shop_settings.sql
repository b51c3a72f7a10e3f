-- The shop's own settings: what every receipt prints about it (name, CNPJ, address, phone, a
-- closing line) and its clock offset for the times printed.
--
-- Exactly one row, id 1, so every till and server of the shop prints the same header: the CHECK
-- keeps a second row out, and the row is written here so that reading it never finds nothing and
-- changing it is a plain UPDATE (the same statement on every dialect). The placeholder name is the one of
-- `ShopSettings::unconfigured()`.

CREATE TABLE shop_settings (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    tax_id              TEXT,
    address             TEXT,
    phone               TEXT,
    footer              TEXT,
    utc_offset_minutes  INTEGER NOT NULL,
    updated_by          INTEGER REFERENCES users (id),
    updated_at          INTEGER,
    CONSTRAINT shop_settings_one_row_ck CHECK (id = 1),
    CONSTRAINT shop_settings_name_ck CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT shop_settings_offset_ck CHECK (utc_offset_minutes BETWEEN -720 AND 840)
);

INSERT INTO shop_settings (id, name, utc_offset_minutes) VALUES (1, 'Minha Loja', -180);
