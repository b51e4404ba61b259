-- migrate:up
CREATE TYPE agent_role AS ENUM ('admin_agent', 'sales_agent', 'support_engineer', 'operations');
CREATE TYPE order_status AS ENUM ('awaiting_payment', 'provisioning', 'active', 'payment_failed', 'expired', 'failed', 'cancelled');
CREATE TYPE subscription_status AS ENUM ('active', 'cancellation_requested', 'cancelled');
CREATE TYPE product_key_status AS ENUM ('active', 'revoked');
CREATE TYPE link_status AS ENUM ('active', 'expired', 'revoked');
CREATE TYPE link_end_reason AS ENUM ('time', 'downloads');
CREATE TYPE refund_case_status AS ENUM ('submitted', 'in_review', 'info_requested', 'approved', 'completed', 'rejected');
CREATE TYPE impact AS ENUM ('low', 'medium', 'high', 'critical');

CREATE TABLE partners (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE agents (
  id uuid PRIMARY KEY,
  partner_id uuid REFERENCES partners(id),
  name text NOT NULL,
  role agent_role NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  -- partner staff belong to a partner; provider staff (support, operations) to none
  CHECK ((role IN ('admin_agent', 'sales_agent')) = (partner_id IS NOT NULL))
);
CREATE INDEX agents_partner_id_idx ON agents(partner_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents(id),
  prefix text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  label text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at timestamptz(3),
  last_used_at timestamptz(3)
);

CREATE TABLE customers (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  domain text NOT NULL,
  company_name text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (partner_id, domain)
);

CREATE TABLE products (
  id text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL,
  unit_price numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
  currency char(3) NOT NULL,
  sellable boolean NOT NULL DEFAULT true,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE product_variants (
  id uuid PRIMARY KEY,
  product_id text NOT NULL REFERENCES products(id),
  version text NOT NULL,
  language text NOT NULL,
  file_type text NOT NULL,
  file_name text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  UNIQUE (product_id, version, language, file_type)
);

CREATE TABLE orders (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  customer_id uuid NOT NULL REFERENCES customers(id),
  created_by_agent_id uuid REFERENCES agents(id),
  status order_status NOT NULL,
  payment_method text NOT NULL,
  payment_id text,
  total_amount numeric(12, 2) NOT NULL CHECK (total_amount >= 0),
  currency char(3) NOT NULL,
  workflow_id text NOT NULL UNIQUE,
  failure_reason text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX orders_partner_id_created_at_idx ON orders(partner_id, created_at);
CREATE INDEX orders_status_updated_at_idx ON orders(status, updated_at);

CREATE TABLE order_line_items (
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders(id),
  position integer NOT NULL,
  product_id text NOT NULL REFERENCES products(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(12, 2) NOT NULL,
  UNIQUE (order_id, position)
);

CREATE TABLE order_events (
  id bigserial PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders(id),
  at timestamptz(3) NOT NULL DEFAULT now(),
  status order_status NOT NULL,
  detail text NOT NULL,
  dedupe_key text NOT NULL,
  UNIQUE (order_id, dedupe_key)
);

CREATE TABLE software_subscriptions (
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders(id),
  line_item_id uuid NOT NULL UNIQUE REFERENCES order_line_items(id),
  partner_id uuid NOT NULL REFERENCES partners(id),
  customer_id uuid NOT NULL REFERENCES customers(id),
  product_id text NOT NULL REFERENCES products(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  status subscription_status NOT NULL,
  purchased_at timestamptz(3) NOT NULL DEFAULT now(),
  cancelled_at timestamptz(3)
);
CREATE INDEX software_subscriptions_customer_id_purchased_at_idx ON software_subscriptions(customer_id, purchased_at);

CREATE TABLE product_keys (
  id uuid PRIMARY KEY,
  subscription_id uuid NOT NULL UNIQUE REFERENCES software_subscriptions(id),
  authority_key_id text NOT NULL UNIQUE,
  value text NOT NULL,
  status product_key_status NOT NULL,
  issued_at timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at timestamptz(3)
);

CREATE TABLE download_links (
  id uuid PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES software_subscriptions(id),
  variant_id uuid NOT NULL REFERENCES product_variants(id),
  token_hash text NOT NULL UNIQUE,
  workflow_id text NOT NULL UNIQUE,
  status link_status NOT NULL,
  end_reason link_end_reason,
  max_downloads integer NOT NULL CHECK (max_downloads > 0),
  downloads_used integer NOT NULL DEFAULT 0 CHECK (downloads_used >= 0 AND downloads_used <= max_downloads),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at timestamptz(3) NOT NULL,
  ended_at timestamptz(3)
);
CREATE INDEX download_links_subscription_id_variant_id_status_idx ON download_links(subscription_id, variant_id, status);
CREATE INDEX download_links_status_expires_at_idx ON download_links(status, expires_at);
-- At most one open window per subscription and variant: concurrent "get keys and downloads" share it.
CREATE UNIQUE INDEX download_links_one_active_window ON download_links(subscription_id, variant_id) WHERE status = 'active';

CREATE TABLE download_events (
  id bigserial PRIMARY KEY,
  link_id uuid NOT NULL REFERENCES download_links(id),
  sequence integer NOT NULL CHECK (sequence > 0),
  at timestamptz(3) NOT NULL DEFAULT now(),
  client_address text,
  user_agent text,
  UNIQUE (link_id, sequence)
);

CREATE TABLE refund_cases (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  customer_id uuid NOT NULL REFERENCES customers(id),
  subscription_id uuid NOT NULL REFERENCES software_subscriptions(id),
  order_id uuid NOT NULL REFERENCES orders(id),
  created_by_agent_id uuid NOT NULL REFERENCES agents(id),
  workflow_id text NOT NULL UNIQUE,
  status refund_case_status NOT NULL,
  issue_type text NOT NULL,
  impact impact NOT NULL,
  title text NOT NULL,
  description text,
  customer_reference text NOT NULL,
  order_reference text NOT NULL,
  refund_reason text NOT NULL,
  amount_requested numeric(12, 2) NOT NULL CHECK (amount_requested > 0),
  approved_amount numeric(12, 2) CHECK (approved_amount > 0),
  currency char(3) NOT NULL,
  contact_name text NOT NULL,
  contact_email text NOT NULL,
  contact_phone text NOT NULL,
  external_ticket_id text,
  sla_due_at timestamptz(3) NOT NULL,
  overdue boolean NOT NULL DEFAULT false,
  escalated_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  completed_at timestamptz(3)
);
CREATE INDEX refund_cases_status_created_at_idx ON refund_cases(status, created_at);
CREATE INDEX refund_cases_partner_id_created_at_idx ON refund_cases(partner_id, created_at);
-- One open case per piece of software.
CREATE UNIQUE INDEX refund_cases_one_open_per_subscription ON refund_cases(subscription_id)
  WHERE status IN ('submitted', 'in_review', 'info_requested', 'approved');

CREATE TABLE refund_case_events (
  id bigserial PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES refund_cases(id),
  at timestamptz(3) NOT NULL DEFAULT now(),
  type text NOT NULL,
  actor_agent_id uuid,
  note text,
  data jsonb,
  dedupe_key text NOT NULL,
  UNIQUE (case_id, dedupe_key)
);

CREATE TABLE refund_case_attachments (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES refund_cases(id),
  file_name text NOT NULL,
  content_type text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  sha256 char(64) NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_records (
  agent_id uuid NOT NULL REFERENCES agents(id),
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  request_hash text NOT NULL,
  response_status integer,
  response_headers jsonb,
  response_body jsonb,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  completed_at timestamptz(3),
  PRIMARY KEY (agent_id, key)
);

CREATE TABLE processed_webhook_events (
  event_id text PRIMARY KEY,
  order_id uuid NOT NULL,
  type text NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  at timestamptz(3) NOT NULL DEFAULT now(),
  agent_id uuid,
  partner_id uuid,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  data jsonb
);
CREATE INDEX audit_events_target_type_target_id_idx ON audit_events(target_type, target_id);

CREATE TABLE provider_payments (
  id text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  reference text NOT NULL,
  method text NOT NULL,
  amount numeric(12, 2) NOT NULL,
  currency char(3) NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  refunded_amount numeric(12, 2) NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE provider_refunds (
  id text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES provider_payments(id),
  idempotency_key text NOT NULL UNIQUE,
  amount numeric(12, 2) NOT NULL CHECK (amount > 0),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE authority_keys (
  id text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  product_id text NOT NULL,
  value text NOT NULL UNIQUE,
  status text NOT NULL,
  issued_at timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at timestamptz(3)
);

CREATE TABLE partner_tickets (
  id text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  issue_type text NOT NULL,
  title text NOT NULL,
  status text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE partner_tickets, authority_keys, provider_refunds, provider_payments, audit_events,
  processed_webhook_events, idempotency_records, refund_case_attachments, refund_case_events,
  refund_cases, download_events, download_links, product_keys, software_subscriptions,
  order_events, order_line_items, orders, product_variants, products, customers, api_keys,
  agents, partners;
DROP TYPE impact, refund_case_status, link_end_reason, link_status, product_key_status,
  subscription_status, order_status, agent_role;
