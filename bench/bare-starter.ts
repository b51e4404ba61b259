// The control arms of bench scenarios 1 and 3 (both its modes): the least an HTTP service can do
// for the same job, with no auth, idempotency, validation or database. Service vs control is what our API costs;
// control vs raw SDK is what any HTTP hop (and, for downloads, the file) costs on the same machine.
import { createReadStream } from 'node:fs';
import express from 'express';
import { loadConfig } from '../common/config.ts';
import { workflowIds } from '../common/ids.ts';
import type { OrderInput } from '../common/domain.ts';
import { ensureMediaFile } from '../infra/media.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import { connectClient } from '../infra/temporal-connection.ts';
import { incrementUpdate } from './baseline-workflows.ts';

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

/** One count on a baseline counter workflow; false once it is at its cap. */
const counted = (workflowId: string) =>
  temporal.workflow.getHandle(workflowId).executeUpdate(incrementUpdate).then(
    () => true,
    () => false,
  );

/** Scenario 3: count on the baseline counter workflow, then stream the same file the service serves. */
app.get('/download', async (req, res) => {
  const q = req.query as Record<string, string>;
  const media = await ensureMediaFile(config.downloads.filesDir, { id: q.variant!, fileName: q.file!, sizeBytes: Number(q.size) });
  if (!(await counted(q.workflow!))) return void res.sendStatus(410);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(media.size));
  createReadStream(media.path).pipe(res);
});

/** Scenario 3's 302 mode: count on the baseline counter workflow, then send the client to storage. */
app.get('/redirect', async (req, res) => {
  if (!(await counted(String(req.query.workflow)))) return void res.sendStatus(410);
  res.redirect(302, `https://downloads.example.test/media/${encodeURIComponent(String(req.query.file))}`);
});

app.get('/ready', (_req, res) => void res.sendStatus(200));
const server = app.listen(config.port, config.host);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
