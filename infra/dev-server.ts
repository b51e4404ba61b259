/**
 * Dev-server settings for the embedded default and the tests. Temporal admits 10 updates in flight
 * per workflow by default; a popular download link sees more at once, so production clusters should
 * raise `history.maxInFlightUpdates` too (the API retries the same update id meanwhile).
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['--dynamic-config-value', 'history.maxInFlightUpdates=200'];

/**
 * For a dev server on a SQLite file (`npm start`, the chaos suite): write-ahead logging with
 * `synchronous=normal` survives the server process being killed or restarted (only an OS crash
 * can lose the last commits) and spares an fsync per write, which under load was the difference
 * between answers in time and 503s.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];
