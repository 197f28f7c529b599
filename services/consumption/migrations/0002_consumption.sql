-- Consumption service (issue 6): suppliers and their household bindings,
-- certified products, buyers, partnerships, orders, attributions and
-- policies. Protos are kept whole in `body` (as the API shows them); the
-- columns beside them are what queries filter and add up.

CREATE TABLE suppliers (
  supplier_id   text PRIMARY KEY CHECK (supplier_id ~ '^sp-[0-9a-f]{20}$'),
  division_code text NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  body          bytea NOT NULL  -- zx.consumption.v1.Supplier
);

CREATE TABLE bindings (
  binding_id   text PRIMARY KEY CHECK (binding_id ~ '^bd-[0-9a-f]{20}$'),
  supplier_id  text NOT NULL REFERENCES suppliers,
  household_id text NOT NULL,
  body         bytea NOT NULL  -- zx.consumption.v1.Binding
);
CREATE INDEX bindings_supplier ON bindings (supplier_id);

CREATE TABLE products (
  product_id    text   PRIMARY KEY CHECK (product_id ~ '^pd-[0-9a-f]{20}$'),
  supplier_id   text   NOT NULL REFERENCES suppliers,
  origin_county text   NOT NULL CHECK (origin_county ~ '^[0-9]{12}$'),
  stock         bigint NOT NULL CHECK (stock >= 0),  -- never oversold
  body          bytea  NOT NULL  -- zx.consumption.v1.Product (its stock is this column)
);

CREATE TABLE buyers (
  buyer_id       text PRIMARY KEY CHECK (buyer_id ~ '^by-[0-9a-f]{20}$'),
  division_code  text NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  kind           smallint NOT NULL CHECK (kind > 0),
  counts_toward  text REFERENCES buyers,
  body           bytea NOT NULL  -- zx.consumption.v1.Buyer
);
CREATE INDEX buyers_division ON buyers (division_code text_pattern_ops);
CREATE INDEX buyers_counts_toward ON buyers (counts_toward) WHERE counts_toward IS NOT NULL;

CREATE TABLE partnerships (
  partnership_id   text PRIMARY KEY,
  partner_province text NOT NULL,
  origin_division  text NOT NULL,
  body             bytea NOT NULL  -- zx.consumption.v1.Partnership
);
CREATE INDEX partnerships_province ON partnerships (partner_province);

CREATE TABLE orders (
  order_id          text     PRIMARY KEY CHECK (order_id ~ '^or-[0-9a-f]{20}$'),
  buyer_id          text     NOT NULL REFERENCES buyers,
  buyer_division    text     NOT NULL,
  channel           smallint NOT NULL,
  status            smallint NOT NULL CHECK (status BETWEEN 1 AND 7),
  placed_on         date     NOT NULL,
  settled_on        date,
  total_fen         bigint   NOT NULL CHECK (total_fen >= 0),
  refunded_fen      bigint   NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND total_fen),
  platform_order_no text     UNIQUE,  -- imported 832-platform orders: the idempotency key
  body              bytea    NOT NULL  -- zx.consumption.v1.Order
);
CREATE INDEX orders_buyer_settled ON orders (buyer_id, settled_on) WHERE status IN (5, 7);

CREATE TABLE order_lines (
  line_id           text   PRIMARY KEY CHECK (line_id ~ '^ol-[0-9a-f]{20}$'),
  order_id          text   NOT NULL REFERENCES orders,
  product_id        text   NOT NULL REFERENCES products,
  supplier_id       text   NOT NULL,
  origin_county     text   NOT NULL,
  quantity          bigint NOT NULL CHECK (quantity > 0),
  unit_price_fen    bigint NOT NULL CHECK (unit_price_fen > 0),
  refunded_quantity bigint NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_origin ON order_lines (origin_county text_pattern_ops);

-- The bindings a settled line was attributed through, as they stood at
-- settlement: refunds reverse through exactly these, whatever changed since.
CREATE TABLE line_shares (
  line_id      text     NOT NULL REFERENCES order_lines,
  binding_id   text     NOT NULL REFERENCES bindings,
  rule         smallint NOT NULL,
  share_bp     integer  NOT NULL,
  fen_per_unit bigint   NOT NULL,
  household_id text     NOT NULL,
  village_code text     NOT NULL,
  PRIMARY KEY (line_id, binding_id)
);

-- Append-only: a refund adds negative rows; nothing is rewritten but the
-- monitoring service's record id, once it has booked the event.
CREATE TABLE attributions (
  attribution_id   text     PRIMARY KEY,
  line_id          text     NOT NULL REFERENCES order_lines,
  refund_id        text,    -- set on a refund's (negative) attributions
  binding_id       text     NOT NULL,
  rule             smallint NOT NULL,
  household_id     text     NOT NULL,
  village_code     text     NOT NULL,
  month            text     NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
  amount_fen       bigint   NOT NULL CHECK (amount_fen <> 0),
  event_id         text     NOT NULL UNIQUE,
  income_record_id text
);
CREATE INDEX attributions_line ON attributions (line_id);
CREATE INDEX attributions_village ON attributions (village_code text_pattern_ops, month);

CREATE TABLE policies (
  seq            bigserial   PRIMARY KEY,
  owner_division text        NOT NULL CHECK (owner_division ~ '^[0-9]{12}$'),
  body           bytea       NOT NULL  -- zx.consumption.v1.ConsumptionPolicy
);
CREATE INDEX policies_owner ON policies (owner_division);
