-- migrate:up
-- An order's subscriptions are read by the order: on every change of its status (the webhook
-- outbox's trigger lists them in the event), when a refund case asks whether the order is fully
-- cancelled, and on its page. Without an index each of those scanned the whole table; in bench
-- scenario 1 that was one full scan per order.
CREATE INDEX software_subscriptions_order_id_idx ON software_subscriptions (order_id);
-- A refund case's page lists its attachments.
CREATE INDEX refund_case_attachments_case_id_idx ON refund_case_attachments (case_id);

-- migrate:down
DROP INDEX refund_case_attachments_case_id_idx;
DROP INDEX software_subscriptions_order_id_idx;
