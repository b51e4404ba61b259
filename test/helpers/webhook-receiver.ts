import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  createdAt: string;
  partnerId: string;
  data: Record<string, unknown>;
  /** When it arrived here. */
  at: number;
  headers: Record<string, string>;
}

export type ReceiverMode = 'ok' | 'down' | 'hang' | 'gone';

/**
 * A partner's receiver as partners write them: a real HTTP server on a local port that verifies
 * each request with the `standardwebhooks` package against the secrets it was given, and answers
 * by its mode (2xx, 503, never, 410). Every verified event is kept in arrival order; a request whose
 * signature does not verify is answered 400 and counted.
 */
export async function startReceiver(): Promise<{
  url: string;
  events: Received[];
  rejected: number;
  secrets: string[];
  mode: ReceiverMode;
  /** While set, a verified event it holds true for is answered 503 (a receiver that chokes on one event). */
  refuse: ((event: { id: string; type: string; data: Record<string, unknown> }) => boolean) | undefined;
  /** Types arrived, in order. */
  types(): string[];
  close(): Promise<void>;
}> {
  const state = {
    events: [] as Received[],
    rejected: 0,
    secrets: [] as string[],
    mode: 'ok' as ReceiverMode,
    refuse: undefined as ((event: { id: string; type: string; data: Record<string, unknown> }) => boolean) | undefined,
  };
  const hanging = new Set<IncomingMessage>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.mode === 'hang') return void hanging.add(req);
      if (state.mode === 'down') return void res.writeHead(503).end('down for maintenance');
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const verified = state.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        state.rejected++;
        return void res.writeHead(400).end('bad signature');
      }
      if (state.mode === 'gone') return void res.writeHead(410).end('gone');
      const event = JSON.parse(body) as Omit<Received, 'at' | 'headers'>;
      if (state.refuse?.(event)) return void res.writeHead(503).end('not now');
      state.events.push({ ...event, at: Date.now(), headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    get events() {
      return state.events;
    },
    get rejected() {
      return state.rejected;
    },
    get secrets() {
      return state.secrets;
    },
    set secrets(list: string[]) {
      state.secrets = list;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: ReceiverMode) {
      state.mode = m;
    },
    get refuse() {
      return state.refuse;
    },
    set refuse(fn) {
      state.refuse = fn;
    },
    types: () => state.events.map((e) => e.type),
    async close() {
      for (const req of hanging) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
