// The control arms of bench scenarios 1 and 3 (both its modes): the least an HTTP service can do
// for the same job, with no auth, idempotency or validation. Service vs control is what our API costs;
// control vs raw SDK is what any HTTP hop costs on the same machine (for downloads, which the control
// counts in PostgreSQL as the service does, it also holds the file and what the statement saves over an update).
import { createReadStream } from 'node:fs';
import express from 'express';
import pg from 'pg';
import { loadConfig } from '../common/config.ts';
import { workflowIds } from '../common/ids.ts';
import type { OrderInput } from '../common/domain.ts';
import { ensureMediaFile } from '../infra/media.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import { connectClient } from '../infra/temporal-connection.ts';

const config = loadConfig();
const codec = new EncryptionCodec(parseKeyRing(resolveSecrets(config).payloadKeys));
const temporal = await connectClient(config, config.temporal.address!, codec);
const app = express();

/** Scenario 1: parse the body, start the purchase workflow. */
app.post('/start', express.json(), async (req, res) => {
  const input = req.body as OrderInput;
  await temporal.workflow.start('orderWorkflow', { taskQueue: config.temporal.taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
  res.status(202).json({ orderId: input.orderId });
});

/**
 * Scenario 3 counts downloads as the service does, in PostgreSQL, by one conditional statement (the
 * service's also records each download's event and ends the window at its cap): true while under
 * the cap. The table is the control's own, in the bench's database.
 */
const database = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
await database.query('CREATE TABLE IF NOT EXISTS bench_download_counts (counter text PRIMARY KEY, used int NOT NULL)');
const counted = async (counter: string, cap: number) =>
  (
    await database.query({
      name: 'count',
      text: `INSERT INTO bench_download_counts (counter, used) VALUES ($1, 1)
             ON CONFLICT (counter) DO UPDATE SET used = bench_download_counts.used + 1 WHERE bench_download_counts.used < $2
             RETURNING used`,
      values: [counter, cap],
    })
  ).rowCount === 1;

/** Scenario 3: count, then stream the same file the service serves. */
app.get('/download', async (req, res) => {
  const q = req.query as Record<string, string>;
  const media = await ensureMediaFile(config.downloads.filesDir, { id: q.variant!, fileName: q.file!, sizeBytes: Number(q.size) });
  if (!(await counted(q.counter!, Number(q.cap)))) return void res.sendStatus(410);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(media.size));
  createReadStream(media.path).pipe(res);
});

/** Scenario 3's 302 mode: count, then send the client to storage. */
app.get('/redirect', async (req, res) => {
  if (!(await counted(String(req.query.counter), Number(req.query.cap)))) return void res.sendStatus(410);
  res.redirect(302, `https://downloads.example.test/media/${encodeURIComponent(String(req.query.file))}`);
});

app.get('/ready', (_req, res) => void res.sendStatus(200));
const server = app.listen(config.port, config.host);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
