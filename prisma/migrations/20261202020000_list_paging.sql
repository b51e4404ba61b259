-- migrate:up
-- Every list pages by keyset (its sort column, then id): each of these indexes answers one list's
-- "rows after the cursor" in index order, so a page costs the same wherever it is in the list.
CREATE INDEX orders_customer_created_idx ON orders(customer_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders(created_at, id);
CREATE INDEX refund_cases_created_idx ON refund_cases(created_at, id);
CREATE INDEX download_links_subscription_created_idx ON download_links(subscription_id, created_at DESC, id DESC);
CREATE INDEX audit_events_at_idx ON audit_events(at DESC, id DESC);
CREATE INDEX audit_events_partner_at_idx ON audit_events(partner_id, at DESC, id DESC);
CREATE INDEX audit_events_agent_at_idx ON audit_events(agent_id, at DESC, id DESC);
CREATE INDEX activity_retries_first_failed_idx ON activity_retries(first_failed_at, workflow_id, activity_id);

-- migrate:down
DROP INDEX activity_retries_first_failed_idx;
DROP INDEX audit_events_agent_at_idx;
DROP INDEX audit_events_partner_at_idx;
DROP INDEX audit_events_at_idx;
DROP INDEX download_links_subscription_created_idx;
DROP INDEX refund_cases_created_idx;
DROP INDEX orders_created_idx;
DROP INDEX orders_customer_created_idx;
