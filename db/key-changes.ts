import pg from 'pg';
import type { Logger } from '../common/logger.ts';

/** The channel the api_keys and agents triggers notify on (migration api_key_change_notifications). */
export const KEY_CHANGES_CHANNEL = 'api_key_changes';
/** A key prefix, or ALL_KEYS when every remembered key must be forgotten. */
export const ALL_KEYS = '*';

export interface KeyChangeFeed {
  /** True while notifications arrive: only then may a verified key's row be remembered. */
  readonly live: boolean;
  /** Called with a changed key's prefix, or ALL_KEYS (an agent changed, or the feed was down). */
  subscribe(listener: (prefix: string) => void): void;
  close(): Promise<void>;
}

/**
 * LISTENs on its own connection. A lost connection makes the feed not live (and tells listeners
 * to forget everything, since changes may have been missed) until it has listened again.
 */
export function listenForKeyChanges(databaseUrl: string, logger?: Logger, retryMs = 1_000): KeyChangeFeed {
  const listeners: ((prefix: string) => void)[] = [];
  const emit = (prefix: string) => {
    for (const l of listeners) l(prefix);
  };
  let live = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const down = (err?: unknown) => {
    if (live) logger?.warn({ err }, 'API key change notifications lost; verifying every key against the database until they are back');
    live = false;
    emit(ALL_KEYS);
    const c = client;
    client = undefined;
    c?.removeAllListeners('notification');
    void c?.end().catch(() => undefined);
    if (!closed && !retry) retry = setTimeout(connect, retryMs);
  };

  function connect() {
    retry = undefined;
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'csp-api-key-changes' });
    client = c;
    c.on('error', down);
    c.on('end', () => (client === c ? down() : undefined));
    c.on('notification', (msg) => emit(msg.payload ?? ALL_KEYS));
    c.connect()
      .then(() => c.query(`LISTEN ${KEY_CHANGES_CHANNEL}`))
      .then(() => {
        if (client !== c) return;
        // Anything remembered before this point may have changed unseen.
        emit(ALL_KEYS);
        live = true;
      })
      .catch((err: unknown) => (client === c ? down(err) : undefined));
  }
  connect();

  return {
    get live() {
      return live;
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
