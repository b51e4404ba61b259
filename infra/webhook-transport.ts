import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrlForm, guardedLookup } from './webhook-address.ts';

/** What a receiver answered, or why there was no answer. Only an excerpt of its body is kept. */
export type PostOutcome = { status: number; excerpt: string } | { error: string };

const EXCERPT_BYTES = 512;

/**
 * POSTs one signed event. No redirect is followed (a 3xx is a failed attempt: following it would
 * let a receiver point us anywhere), the whole exchange must finish within `timeoutMs`, and the
 * address is checked as the connection is made (infra/webhook-address.ts).
 */
export function postWebhook(request: { url: string; headers: Record<string, string>; body: string; timeoutMs: number; allowPrivate: boolean }): Promise<PostOutcome> {
  let url: URL;
  try {
    url = checkWebhookUrlForm(request.url, request.allowPrivate);
  } catch (err) {
    return Promise.resolve({ error: (err as Error).message });
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    const req = transport.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'csp-onprem-webhooks/1', 'content-length': Buffer.byteLength(request.body), ...request.headers },
      lookup: guardedLookup(request.allowPrivate),
      signal: AbortSignal.timeout(request.timeoutMs),
      agent: false,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < EXCERPT_BYTES) chunks.push(chunk.subarray(0, EXCERPT_BYTES - kept));
        kept += chunk.length;
        // The rest of a large answer is not worth reading.
        if (kept >= EXCERPT_BYTES) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, excerpt: Buffer.concat(chunks).toString('utf8') });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      resolve({ error: timedOut ? `no answer within ${request.timeoutMs / 1000} s` : err.code === 'EWEBHOOKADDRESS' ? err.message : `${err.code ?? err.name}: ${err.message}` });
    });
    req.end(request.body);
  });
}
