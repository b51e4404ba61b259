-- migrate:up
-- Request counts per client key (an API key's prefix, or an address for failed sign-ins), shared
-- by every API process: a limit kept in each process's memory would be multiplied by the number
-- of processes. A key's window starts at its first request, as express-rate-limit's own store
-- does. UNLOGGED: a crash may forget the counts of the current minute (they start again), and in
-- exchange a request costs no WAL write.
CREATE UNLOGGED TABLE rate_limit_windows (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz(3) NOT NULL
);
CREATE INDEX rate_limit_windows_reset_idx ON rate_limit_windows (reset_at);

-- migrate:down
DROP TABLE rate_limit_windows;
