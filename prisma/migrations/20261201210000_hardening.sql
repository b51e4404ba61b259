-- migrate:up
-- Activities that keep failing with a transient error (attempt 3 and on), written by the worker's
-- activity interceptor and cleared when the activity succeeds, so operations can see an order or a
-- case whose workflow is retrying instead of it failing silently (GET /v1/operations/retrying).
CREATE TABLE activity_retries (
  workflow_id text NOT NULL,
  activity_id text NOT NULL,
  activity_type text NOT NULL,
  workflow_type text NOT NULL,
  attempt integer NOT NULL,
  last_error text NOT NULL,
  first_failed_at timestamptz(3) NOT NULL DEFAULT now(),
  last_failed_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, activity_id)
);
CREATE INDEX activity_retries_last_failed_at_idx ON activity_retries(last_failed_at);

-- Bytes a window has served to requests that resume a download (a Range that does not start at
-- byte 0). They are free while they stay within the file size times the downloads counted, so a
-- resumed download does not use up the cap and ranges cannot get around it.
ALTER TABLE download_links ADD COLUMN resumed_bytes bigint NOT NULL DEFAULT 0;

-- migrate:down
ALTER TABLE download_links DROP COLUMN resumed_bytes;
DROP TABLE activity_retries;
