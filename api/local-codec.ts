// The codec endpoint of the Web UI that `npm start` embeds. That Web UI calls its codec from the
// browser with no credentials, so this listener takes no API key; it is kept to the operator's own
// machine instead: it listens on loopback only, answers only requests addressed to a loopback name
// (a DNS-rebound page would send its own host), and only to the embedded Web UI's origin or to a
// tool with no origin at all (the temporal CLI's --codec-endpoint). It decodes and never encodes:
// an encoded payload is one a workflow would trust, and that stays behind a support key (/codec/encode).
import type { Server } from 'node:http';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { codecBody } from './routes/codec.ts';
import { createCodecService } from './services/codec.ts';
import { HttpProblem, zodErrors } from './problem.ts';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The origins the embedded Web UI is opened at: its port under each loopback name. */
export const loopbackOrigins = (uiPort: number) => LOOPBACK_NAMES.map((name) => `http://${name}:${uiPort}`);

export interface LocalCodec {
  url: string;
  close(): Promise<void>;
}

export function localCodecApp(codec: PayloadCodec, options: { port: () => number; uiOrigins: readonly string[] }) {
  const service = createCodecService(codec);
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const hosts = LOOPBACK_NAMES.map((name) => `${name}:${options.port()}`);
    const origin = req.get('Origin');
    if (!hosts.includes(req.get('Host') ?? '')) return void res.status(403).type('text/plain').send('This codec answers only on this machine (Host must be a loopback name).\n');
    if (origin !== undefined && !options.uiOrigins.includes(origin)) return void res.status(403).type('text/plain').send('This codec answers only the embedded Temporal Web UI.\n');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(cors({ origin: [...options.uiOrigins], allowedHeaders: ['Content-Type', 'X-Namespace'], methods: ['POST'] }));
  app.post('/decode', express.json({ limit: '8mb' }), async (req, res) => {
    const parsed = codecBody.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ title: 'The body is not a list of payloads.', errors: zodErrors(parsed.error) });
    res.json(await service.decode(parsed.data.payloads));
  });
  app.use((_req, res) => void res.status(404).type('text/plain').send('Only POST /decode is served here.\n'));
  const answerProblem: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (err instanceof HttpProblem) return void res.status(err.status).json({ title: err.title, detail: err.detail, ...err.extra });
    const status = (err as { status?: number }).status;
    res.status(status && status < 500 ? status : 500).json({ title: status && status < 500 ? 'The request could not be read.' : 'The payloads could not be decoded.' });
  };
  app.use(answerProblem);
  return app;
}

/** Starts the embedded Web UI's codec on 127.0.0.1:`port` (0 for any free port). */
export async function startLocalCodec(codec: PayloadCodec, options: { port: number; uiPort: number; logger?: Logger }): Promise<LocalCodec> {
  let bound = options.port;
  const app = localCodecApp(codec, { port: () => bound, uiOrigins: loopbackOrigins(options.uiPort) });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  bound = typeof address === 'object' && address ? address.port : options.port;
  options.logger?.info({ port: bound }, 'Web UI codec listening on loopback');
  return { url: `http://127.0.0.1:${bound}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
