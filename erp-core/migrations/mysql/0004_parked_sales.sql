-- Parked sales: carts put aside at one till and recalled by any till of the shop.
--
-- A parked cart is a label and lines of SKU and quantity, nothing more: it reserves no stock and
-- keeps no price (the checkout prices it again), so the lines name SKUs, not products, and a
-- product renamed or deactivated meanwhile is found out at checkout. Recalling locks the cart
-- row and deletes it in the same unit of work, which is what makes two tills recalling one cart
-- get it once. The label and line limits are the service's (40 characters, 200 lines), kept
-- here too.

CREATE TABLE IF NOT EXISTS parked_sales (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    label        VARCHAR(40)   NOT NULL,
    register_id  BIGINT        NULL,
    customer_id  BIGINT        NULL,
    parked_by    BIGINT        NULL,
    parked_at    DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT parked_sales_register_fk FOREIGN KEY (register_id) REFERENCES registers (id),
    CONSTRAINT parked_sales_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT parked_sales_parked_by_fk FOREIGN KEY (parked_by) REFERENCES users (id),
    CONSTRAINT parked_sales_label_ck CHECK (CHAR_LENGTH(label) BETWEEN 1 AND 40)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS parked_sale_lines (
    parked_sale_id  BIGINT       NOT NULL,
    line_no         INT          NOT NULL,
    sku             VARCHAR(32)  NOT NULL,
    quantity        INT          NOT NULL,
    PRIMARY KEY (parked_sale_id, line_no),
    CONSTRAINT parked_sale_lines_sale_fk FOREIGN KEY (parked_sale_id) REFERENCES parked_sales (id),
    CONSTRAINT parked_sale_lines_line_ck CHECK (line_no BETWEEN 0 AND 199),
    CONSTRAINT parked_sale_lines_quantity_ck CHECK (quantity > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
