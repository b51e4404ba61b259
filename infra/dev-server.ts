/**
 * Dev-server settings for the embedded default and the tests. Temporal admits 10 updates in flight
 * per workflow by default; a popular download link sees more at once, so production clusters should
 * raise `history.maxInFlightUpdates` too (the API retries the same update id meanwhile).
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['--dynamic-config-value', 'history.maxInFlightUpdates=200'];
