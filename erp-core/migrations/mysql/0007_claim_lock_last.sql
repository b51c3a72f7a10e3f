-- Orders and counter sales write their lines and stock movements first and claim the stock last
-- (one conditional UPDATE per product, then COMMIT), so the product's row lock is held for two
-- round trips. A foreign key from those rows to products would defeat that: InnoDB checks it by
-- taking a shared lock on the product row, and two orders for the same product would then each
-- hold the shared lock and wait to upgrade it to the UPDATE's exclusive one, a deadlock every
-- time. Products are never deleted, and the invariant check (`erp-server check`) reports any
-- line or movement that names a product that does not exist. The indexes on product_id stay.
-- MySQL commits each ALTER on its own: a migration interrupted between them needs the second
-- ALTER run by hand (MySQL 8 has no DROP FOREIGN KEY IF EXISTS).

ALTER TABLE order_lines DROP FOREIGN KEY order_lines_product_fk;
ALTER TABLE stock_movements DROP FOREIGN KEY stock_movements_product_fk;
