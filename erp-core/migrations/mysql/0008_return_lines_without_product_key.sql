-- The last foreign key to products, for the reason of 0007: InnoDB checks it with a shared lock on
-- the product row, taken when a return's lines are inserted, before the return locks the products
-- it restocks. An order claiming the same product in between (waiting for its exclusive lock)
-- and the return asking for its own exclusive lock then deadlock; the retry hides it, at the cost
-- of the whole command run again. Products are never deleted, and the invariant check names any
-- return line that names a product that does not exist. The index on product_id stays.

ALTER TABLE return_lines DROP FOREIGN KEY return_lines_product_fk;
