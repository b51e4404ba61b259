// The load's HTTP side: every call is counted, every answer's status kept, and writes are retried
// the way a careful caller would (same Idempotency-Key) until acknowledged or given up.
import { randomUUID } from 'node:crypto';
import { sleep } from '../infra/waiting.ts';

export interface Tally {
  attempted: number;
  acknowledged: number;
  /** Answers 500–599 other than 503 (an outage is announced as 503; anything else is a bug). */
  serverErrors: string[];
  unavailable: number;
  byStatus: Record<string, number>;
  /** `op status` → count, to see which operations answered what. */
  byOperation: Record<string, number>;
  latencies: Record<string, number[]>;
}

export function newTally(): Tally {
  return { attempted: 0, acknowledged: 0, serverErrors: [], unavailable: 0, byStatus: {}, byOperation: {}, latencies: {} };
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
}


export function httpClient(base: string, tally: Tally) {
  async function once(op: string, method: string, path: string, options: { key?: string; body?: unknown; idempotencyKey?: string; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply | null> {
    tally.attempted++;
    const t = performance.now();
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
          ...(options.body !== undefined || options.raw ? { 'Content-Type': 'application/json' } : {}),
          ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
          ...options.headers,
        },
        body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      (tally.latencies[op] ??= []).push(performance.now() - t);
      tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
      tally.byOperation[`${op} ${res.status}`] = (tally.byOperation[`${op} ${res.status}`] ?? 0) + 1;
      if (res.status === 503) tally.unavailable++;
      else if (res.status >= 500) tally.serverErrors.push(`${method} ${path.replace(/\/v1\/downloads\/.+/, '/v1/downloads/[token]')} → ${res.status} ${text.slice(0, 200)}`);
      let body: Record<string, unknown> = {};
      try {
        body = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
    } catch {
      // The connection failed or timed out: the caller does not know the outcome.
      tally.byStatus.network = (tally.byStatus.network ?? 0) + 1;
      tally.byOperation[`${op} network`] = (tally.byOperation[`${op} network`] ?? 0) + 1;
      return null;
    }
  }

  return {
    once,
    /**
     * A write retried with one Idempotency-Key until it gets a definite answer (not 503, not a
     * network failure, not "still processing"); `acknowledged` counts the 2xx ones.
     */
    async write(op: string, path: string, key: string, body: unknown, giveUpMs = 120_000): Promise<Reply | null> {
      const idempotencyKey = randomUUID();
      const deadline = Date.now() + giveUpMs;
      for (let attempt = 0; ; attempt++) {
        const reply = await once(op, 'POST', path, { key, body, idempotencyKey });
        const retry = !reply || reply.status === 503 || reply.status === 429 || (reply.status === 409 && /still being processed|first request .* failed/i.test(String(reply.body.detail)));
        if (!retry) {
          if (reply.status >= 200 && reply.status < 300) tally.acknowledged++;
          return reply;
        }
        if (Date.now() > deadline) return reply;
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    },
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
