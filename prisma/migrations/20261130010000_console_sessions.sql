-- migrate:up
-- Sessions of the web console. Only the SHA-256 of the cookie's token is stored, so a copy of
-- the table cannot sign anyone in; a session dies with its API key (revocation is immediate).
CREATE TABLE console_sessions (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  last_seen_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at timestamptz(3) NOT NULL
);
CREATE INDEX console_sessions_api_key_id_idx ON console_sessions(api_key_id);
CREATE INDEX console_sessions_expires_at_idx ON console_sessions(expires_at);

-- migrate:down
DROP TABLE console_sessions;
