-- Recalled carts now stay in the table (0008), so lists and recalls read the carts not taken
-- through an index of their own instead of scanning past every taken one.

CREATE INDEX parked_sales_open_idx ON parked_sales (id) WHERE taken_at IS NULL;
