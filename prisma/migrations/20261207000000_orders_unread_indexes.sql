-- migrate:up
-- Every order pays for each of its indexes on insert, and no read uses these two: the workflow id
-- is derived from the order's id (`order-<id>`), so the primary key already keeps it unique and
-- nothing looks an order up by it; and orders are listed by customer (orders_customer_created_idx),
-- by status (orders_status_updated_at_idx) or by time (orders_created_idx), never by partner alone.
ALTER TABLE orders DROP CONSTRAINT orders_workflow_id_key;
DROP INDEX orders_partner_id_created_at_idx;

-- migrate:down
CREATE INDEX orders_partner_id_created_at_idx ON orders (partner_id, created_at);
ALTER TABLE orders ADD CONSTRAINT orders_workflow_id_key UNIQUE (workflow_id);
