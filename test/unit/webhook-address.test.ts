import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkWebhookUrl, checkWebhookUrlForm, guardedLookup, isPublicAddress } from '../../infra/webhook-address.ts';
import { postWebhook } from '../../infra/webhook-transport.ts';
import { retryDelayMs } from '../../activities/webhooks.ts';
import { MAX_RETRY_INTERVAL_MS } from '../../db/webhooks.ts';

describe('webhook URLs: only public https unless private URLs are allowed', () => {
  test('only unicast public addresses count as public', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.equal(isPublicAddress(a), true, a);
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1', 'not-an-ip']) {
      assert.equal(isPublicAddress(a), false, a);
    }
  });

  test('the form: https, no credentials, no literal internal address', () => {
    assert.equal(checkWebhookUrlForm('https://hooks.example.com/x', false).hostname, 'hooks.example.com');
    for (const url of ['http://hooks.example.com/x', 'ftp://x.example', 'https://user:pw@hooks.example.com/', 'https://127.0.0.1/', 'https://[::1]/', 'https://localhost/', 'https://a.localhost/', 'not a url']) {
      assert.throws(() => checkWebhookUrlForm(url, false), { name: 'WebhookUrlRefused' }, url);
    }
    assert.equal(checkWebhookUrlForm('http://127.0.0.1:8080/x', true).port, '8080');
  });

  test('at registration a host that does not resolve is refused; with the flag nothing is resolved', async () => {
    await assert.rejects(checkWebhookUrl('https://no-such-host.invalid/x', false), /could not be resolved/);
    assert.equal((await checkWebhookUrl('http://no-such-host.invalid/x', true)).protocol, 'http:');
  });

  test('at connection time a name that resolves to loopback gets no address without the flag (DNS rebinding)', async () => {
    const resolve = (allow: boolean) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((r) => guardedLookup(allow)('localhost', {}, (err, address) => r({ err, address })));
    const refused = await resolve(false);
    assert.equal(refused.err?.code, 'EWEBHOOKADDRESS');
    assert.match(refused.err!.message, /resolves to no public address \(127\.0\.0\.1/);
    assert.equal((await resolve(true)).address, '127.0.0.1');
  });

  test('retries back off exponentially from the initial interval, capped', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(30_000, n)), [30_000, 60_000, 120_000, 240_000]);
    assert.equal(retryDelayMs(30_000, 30), MAX_RETRY_INTERVAL_MS);
  });
});

describe('webhook transport', () => {
  let url: string;
  const server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    if (req.url === '/redirect') return void res.writeHead(302, { Location: 'http://169.254.169.254/' }).end();
    res.writeHead(200).end('x'.repeat(10_000));
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const post = (path: string, allowPrivate = true, timeoutMs = 5_000) => postWebhook({ url: url + path, headers: {}, body: '{}', timeoutMs, allowPrivate });

  test('a receiver that hangs is given up on at the timeout', async () => {
    assert.deepEqual(await post('/hang', true, 300), { error: 'no answer within 0.3 s' });
  });
  test('keeps only an excerpt of the answer', async () => {
    const outcome = await post('/ok');
    assert.ok('status' in outcome && outcome.status === 200 && outcome.excerpt.length === 512);
  });
  test('follows no redirect', async () => {
    const outcome = await post('/redirect');
    assert.ok('status' in outcome && outcome.status === 302);
  });
  test('refuses plain http and loopback receivers at the attempt without the flag', async () => {
    assert.deepEqual(await post('/ok', false), { error: 'The url must use https.' });
    const outcome = await postWebhook({ url: url.replace('http:', 'https:') + '/ok', headers: {}, body: '{}', timeoutMs: 2_000, allowPrivate: false });
    assert.ok('error' in outcome && /private or loopback/.test(outcome.error), JSON.stringify(outcome));
  });
});
