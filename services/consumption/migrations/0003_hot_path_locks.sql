-- Foreign keys to rows that many transactions name at once. Each check locks
-- the referenced row FOR KEY SHARE; when concurrent orders of one product
-- (whose stock they also update), or settlements of one supplier's bindings,
-- hold such locks together, PostgreSQL records every lock in a multixact and
-- rewrites the row's lock word, WAL-logged, once per order line. These
-- references are checked by the code in the same transaction (SubmitOrder and
-- the import read the product and the buyer; settlement reads the bindings it
-- records), and products, buyers and bindings are never deleted (a binding
-- ends by its validity), so the keys guard nothing the code does not.
ALTER TABLE order_lines DROP CONSTRAINT order_lines_product_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_buyer_id_fkey;
ALTER TABLE line_shares DROP CONSTRAINT line_shares_binding_id_fkey;

-- The monitoring service's record id for each attribution it has booked, in
-- a table of its own: attributions become insert-only, and linking a booking
-- is one narrow insert instead of an update of a wide row (which, as every
-- row of a page is linked soon after it is written, could rarely stay on its
-- page and so added an entry to each of the table's four indexes).
CREATE TABLE attribution_bookings (
  event_id         text PRIMARY KEY,  -- the attribution's consumption.income_attributed event
  income_record_id text NOT NULL
);
INSERT INTO attribution_bookings (event_id, income_record_id)
  SELECT event_id, income_record_id FROM attributions WHERE income_record_id IS NOT NULL;
ALTER TABLE attributions DROP COLUMN income_record_id;
