-- Recalled carts now stay in the table (0009), so lists and recalls read the carts not taken
-- through an index of their own instead of scanning past every taken one.

ALTER TABLE parked_sales ADD KEY parked_sales_open_idx (taken_at, id);
