-- migrate:up
-- Partner webhooks. A partner's endpoints (webhook_endpoints) receive the events it subscribed to;
-- each event (webhook_events) is written by the triggers below in the transaction of the state
-- change it reports, with one delivery row per endpoint (webhook_deliveries): that is the outbox.
-- No writer in the code can forget an event, and no event outlives a change that rolled back.
CREATE TYPE webhook_endpoint_status AS ENUM ('enabled', 'disabled');
CREATE TYPE webhook_delivery_status AS ENUM ('pending', 'delivered', 'failed');

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  url text NOT NULL,
  description text,
  event_types text[] NOT NULL,
  status webhook_endpoint_status NOT NULL DEFAULT 'enabled',
  disabled_reason text,
  -- The signing secret, sealed with the payload encryption keys: it must be usable to sign.
  secret_sealed text NOT NULL,
  previous_secret_sealed text,
  previous_secret_expires_at timestamptz(3),
  created_by_agent_id uuid,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_partner_created_idx ON webhook_endpoints (partner_id, created_at DESC, id DESC);

CREATE TABLE webhook_events (
  id text PRIMARY KEY,
  seq bigserial NOT NULL UNIQUE,
  partner_id uuid NOT NULL,
  type text NOT NULL,
  -- Events of one customer (so of each of its subscriptions) reach an endpoint in this order.
  ordering_key text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  data jsonb NOT NULL,
  occurred_at timestamptz(3) NOT NULL
);
CREATE INDEX webhook_events_target_idx ON webhook_events (target_type, target_id);
CREATE INDEX webhook_events_occurred_idx ON webhook_events (occurred_at);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id text NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  event_type text NOT NULL,
  ordering_key text NOT NULL,
  occurred_at timestamptz(3) NOT NULL,
  seq bigint NOT NULL,
  status webhook_delivery_status NOT NULL DEFAULT 'pending',
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz(3),
  -- Set at the first failed attempt (and cleared by a redelivery): retries stop after it.
  retry_until timestamptz(3),
  last_attempt_at timestamptz(3),
  last_response_status int,
  last_error text,
  response_excerpt text,
  delivered_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id)
);
-- The head of each customer's queue at an endpoint, and what is due.
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, ordering_key, occurred_at, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_created_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
-- The metrics' recent deliveries and lag.
CREATE INDEX webhook_deliveries_attempted_idx ON webhook_deliveries (last_attempt_at);

-- When a window's link.expiring notice is due (its deadline less LINK_EXPIRING_NOTICE), set at open.
ALTER TABLE download_links ADD COLUMN expiry_notice_at timestamptz(3);

-- Records one event and its deliveries to the partner's enabled endpoints that want its type, and
-- wakes each endpoint's delivery workflow once the transaction commits (NOTIFY waits for COMMIT).
-- A partner with no such endpoint gets no row: the cost of an order without webhooks is one probe.
CREATE FUNCTION record_webhook_event(p_partner uuid, p_type text, p_ordering text, p_target_type text, p_target_id text, p_data jsonb, p_occurred timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  event_id text;
  event_seq bigint;
  occurred timestamptz;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE partner_id = p_partner AND status = 'enabled' AND p_type = ANY (event_types)) THEN
    RETURN;
  END IF;
  -- One customer's events are numbered in the order their transactions commit: a second change of
  -- the same customer waits here until the first commits, so the drain never sees a later event of
  -- a customer before an earlier one becomes visible. Held to COMMIT; changes of one customer are
  -- rare and short, so the wait is too.
  PERFORM pg_advisory_xact_lock(hashtextextended('webhook:' || p_ordering, 0));
  event_id := 'evt_' || replace(gen_random_uuid()::text, '-', '');
  -- Taken after the lock, so one customer's times follow its commit order too.
  occurred := GREATEST(p_occurred, clock_timestamp());
  INSERT INTO webhook_events (id, partner_id, type, ordering_key, target_type, target_id, data, occurred_at)
  VALUES (event_id, p_partner, p_type, p_ordering, p_target_type, p_target_id, p_data, occurred)
  RETURNING seq INTO event_seq;
  INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, ordering_key, occurred_at, seq, next_attempt_at)
  SELECT e.id, event_id, p_type, p_ordering, occurred, event_seq, occurred
    FROM webhook_endpoints e
   WHERE e.partner_id = p_partner AND e.status = 'enabled' AND p_type = ANY (e.event_types);
  PERFORM pg_notify('webhook_deliveries', e.id::text)
     FROM webhook_endpoints e
    WHERE e.partner_id = p_partner AND e.status = 'enabled' AND p_type = ANY (e.event_types);
END
$$;

CREATE FUNCTION webhook_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM record_webhook_event(NEW.partner_id, 'order.' || NEW.status::text, NEW.customer_id::text, 'order', NEW.id::text,
    jsonb_strip_nulls(jsonb_build_object(
      'orderId', NEW.id, 'customerId', NEW.customer_id, 'status', NEW.status, 'failureReason', NEW.failure_reason,
      'total', jsonb_build_object('amount', NEW.total_amount::text, 'currency', NEW.currency),
      'subscriptionIds', (SELECT jsonb_agg(s.id ORDER BY s.id) FROM software_subscriptions s WHERE s.order_id = NEW.id))),
    clock_timestamp());
  RETURN NULL;
END
$$;
CREATE TRIGGER orders_webhook_event AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('active', 'payment_failed', 'expired', 'failed'))
  EXECUTE FUNCTION webhook_order_event();

CREATE FUNCTION webhook_link_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sub software_subscriptions%ROWTYPE;
  data jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- A window taken back because its workflow never started: it was never open.
    DELETE FROM webhook_events WHERE target_type = 'download_link' AND target_id = OLD.id::text;
    RETURN NULL;
  END IF;
  SELECT * INTO sub FROM software_subscriptions WHERE id = NEW.subscription_id;
  data := jsonb_strip_nulls(jsonb_build_object(
    'linkId', NEW.id, 'subscriptionId', NEW.subscription_id, 'customerId', sub.customer_id, 'orderId', sub.order_id,
    'variantId', NEW.variant_id, 'status', NEW.status, 'endReason', NEW.end_reason,
    'downloadsUsed', NEW.downloads_used, 'maxDownloads', NEW.max_downloads,
    'openedAt', NEW.created_at, 'expiresAt', NEW.expires_at, 'endedAt', NEW.ended_at));
  IF TG_OP = 'INSERT' THEN
    PERFORM record_webhook_event(sub.partner_id, 'link.opened', sub.customer_id::text, 'download_link', NEW.id::text, data, clock_timestamp());
    IF NEW.expiry_notice_at IS NOT NULL THEN
      -- Announced now, delivered when due; taken back below if the window ends before then.
      PERFORM record_webhook_event(sub.partner_id, 'link.expiring', sub.customer_id::text, 'download_link', NEW.id::text,
        data || jsonb_build_object('noticeAt', NEW.expiry_notice_at), GREATEST(NEW.expiry_notice_at, clock_timestamp()));
    END IF;
  ELSE
    DELETE FROM webhook_events
     WHERE target_type = 'download_link' AND target_id = NEW.id::text AND type = 'link.expiring' AND occurred_at > clock_timestamp();
    PERFORM record_webhook_event(sub.partner_id, CASE WHEN NEW.status = 'revoked' THEN 'link.revoked' ELSE 'link.expired' END,
      sub.customer_id::text, 'download_link', NEW.id::text, data, clock_timestamp());
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER download_links_webhook_opened AFTER INSERT ON download_links
  FOR EACH ROW EXECUTE FUNCTION webhook_link_event();
CREATE TRIGGER download_links_webhook_ended AFTER UPDATE OF status ON download_links
  FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
  EXECUTE FUNCTION webhook_link_event();
CREATE TRIGGER download_links_webhook_dropped AFTER DELETE ON download_links
  FOR EACH ROW EXECUTE FUNCTION webhook_link_event();

CREATE FUNCTION webhook_refund_case_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    -- A filing taken back because its workflow never started.
    DELETE FROM webhook_events WHERE target_type = 'refund_case' AND target_id = OLD.id::text;
    RETURN NULL;
  END IF;
  PERFORM record_webhook_event(NEW.partner_id, 'refund_case.' || NEW.status::text, NEW.customer_id::text, 'refund_case', NEW.id::text,
    jsonb_strip_nulls(jsonb_build_object(
      'refundCaseId', NEW.id, 'subscriptionId', NEW.subscription_id, 'orderId', NEW.order_id, 'customerId', NEW.customer_id,
      'status', NEW.status,
      'amountRequested', jsonb_build_object('amount', NEW.amount_requested::text, 'currency', NEW.currency),
      'approvedAmount', CASE WHEN NEW.approved_amount IS NULL THEN NULL ELSE jsonb_build_object('amount', NEW.approved_amount::text, 'currency', NEW.currency) END)),
    clock_timestamp());
  RETURN NULL;
END
$$;
CREATE TRIGGER refund_cases_webhook_submitted AFTER INSERT ON refund_cases
  FOR EACH ROW EXECUTE FUNCTION webhook_refund_case_event();
CREATE TRIGGER refund_cases_webhook_moved AFTER UPDATE OF status ON refund_cases
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('info_requested', 'approved', 'rejected', 'completed'))
  EXECUTE FUNCTION webhook_refund_case_event();
CREATE TRIGGER refund_cases_webhook_dropped AFTER DELETE ON refund_cases
  FOR EACH ROW EXECUTE FUNCTION webhook_refund_case_event();

CREATE FUNCTION webhook_key_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sub software_subscriptions%ROWTYPE;
BEGIN
  SELECT * INTO sub FROM software_subscriptions WHERE id = NEW.subscription_id;
  -- The key's id and state only: its value never leaves the service this way.
  PERFORM record_webhook_event(sub.partner_id, 'key.revoked', sub.customer_id::text, 'product_key', NEW.id::text,
    jsonb_build_object('keyId', NEW.id, 'subscriptionId', NEW.subscription_id, 'customerId', sub.customer_id, 'orderId', sub.order_id,
      'status', NEW.status, 'revokedAt', NEW.revoked_at),
    clock_timestamp());
  RETURN NULL;
END
$$;
CREATE TRIGGER product_keys_webhook_revoked AFTER UPDATE OF status ON product_keys
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'revoked')
  EXECUTE FUNCTION webhook_key_event();

-- migrate:down
DROP TRIGGER product_keys_webhook_revoked ON product_keys;
DROP FUNCTION webhook_key_event();
DROP TRIGGER refund_cases_webhook_dropped ON refund_cases;
DROP TRIGGER refund_cases_webhook_moved ON refund_cases;
DROP TRIGGER refund_cases_webhook_submitted ON refund_cases;
DROP FUNCTION webhook_refund_case_event();
DROP TRIGGER download_links_webhook_dropped ON download_links;
DROP TRIGGER download_links_webhook_ended ON download_links;
DROP TRIGGER download_links_webhook_opened ON download_links;
DROP FUNCTION webhook_link_event();
DROP TRIGGER orders_webhook_event ON orders;
DROP FUNCTION webhook_order_event();
DROP FUNCTION record_webhook_event(uuid, text, text, text, text, jsonb, timestamptz);
ALTER TABLE download_links DROP COLUMN expiry_notice_at;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
DROP TYPE webhook_delivery_status;
DROP TYPE webhook_endpoint_status;
