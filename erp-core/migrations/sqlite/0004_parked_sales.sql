-- Parked sales: carts put aside at one till and recalled by any till of the shop.
--
-- A parked cart is a label and lines of SKU and quantity, nothing more: it reserves no stock and
-- keeps no price (the checkout prices it again), so the lines name SKUs, not products, and a
-- product renamed or deactivated meanwhile is found out at checkout. Recalling deletes the cart
-- in the unit of work that reads it, which is what makes two tills recalling one cart get it
-- once. The label and line limits are the service's (40 characters, 200 lines), kept here too.

CREATE TABLE parked_sales (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    label        TEXT    NOT NULL,
    register_id  INTEGER REFERENCES registers (id),
    customer_id  INTEGER REFERENCES customers (id),
    parked_by    INTEGER REFERENCES users (id),
    parked_at    INTEGER NOT NULL,
    CONSTRAINT parked_sales_label_ck CHECK (length(label) BETWEEN 1 AND 40)
);

CREATE TABLE parked_sale_lines (
    parked_sale_id  INTEGER NOT NULL REFERENCES parked_sales (id),
    line_no         INTEGER NOT NULL,
    sku             TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    PRIMARY KEY (parked_sale_id, line_no),
    CONSTRAINT parked_sale_lines_line_ck CHECK (line_no BETWEEN 0 AND 199),
    CONSTRAINT parked_sale_lines_quantity_ck CHECK (quantity > 0)
);
