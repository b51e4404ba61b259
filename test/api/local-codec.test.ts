import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { localCodecApp, loopbackOrigins, startLocalCodec, type LocalCodec } from '../../api/local-codec.ts';
import { startEmbeddedTemporal } from '../../infra/dev-server.ts';
import { EncryptionCodec, newKeyRingSpec, parseKeyRing } from '../../infra/payload-codec.ts';
import { launchChromium } from '../helpers/browser.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const asJson = (p: { metadata?: Record<string, Uint8Array | null | undefined> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data!).toString('base64'),
});

/**
 * The codec `npm start` gives its embedded Web UI: the same dev-server start as `npm start`
 * (infra/dev-server.ts), its Web UI told where the codec is, and Chromium calling it from the
 * Web UI's page as the UI does, and from a page that is not the UI.
 */
describe('the embedded Web UI decodes payloads through a codec kept to this machine', () => {
  const codec = new EncryptionCodec(parseKeyRing(newKeyRingSpec()));
  let local: LocalCodec;
  let temporal: TestWorkflowEnvironment;
  let browser: Browser;
  let stranger: Server;
  let uiPort: number;
  let encrypted: ReturnType<typeof asJson>;

  before(async () => {
    uiPort = await freePort();
    local = await startLocalCodec(codec, { port: 0, uiPort });
    temporal = await startEmbeddedTemporal({ namespace: 'default', uiPort, codecEndpoint: local.url });
    browser = await launchChromium();
    stranger = createHttpServer((_req, res) => res.end('<!doctype html><title>a page on another port</title>')).listen(0, '127.0.0.1');
    const [payload] = await codec.encode([defaultPayloadConverter.toPayload({ orderId: 'order-1', paymentMethod: 'pm_card_ok' })]);
    encrypted = asJson(payload!);
  });
  after(async () => {
    await browser?.close();
    await temporal?.teardown();
    await local?.close();
    stranger?.close();
  });

  test('npm start’s Web UI is configured with the codec’s endpoint', async () => {
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    assert.equal(settings.Codec?.Endpoint, local.url);
  });

  test('from the Web UI’s own page, Chromium decodes a payload (CORS preflight and all); from another page it cannot', async () => {
    const decodeFrom = async (pageUrl: string) => {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      const answer = await page.evaluate(
        async ([url, body]) => {
          try {
            const res = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' }, body });
            return { status: res.status, body: await res.text() };
          } catch (err) {
            return { status: 0, body: String(err) };
          }
        },
        [local.url, JSON.stringify({ payloads: [encrypted] })] as const,
      );
      await page.close();
      return answer;
    };
    const fromUi = await decodeFrom(`http://localhost:${uiPort}/`);
    assert.equal(fromUi.status, 200, fromUi.body);
    const decoded = JSON.parse(Buffer.from((JSON.parse(fromUi.body) as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString('utf8'));
    assert.deepEqual(decoded, { orderId: 'order-1', paymentMethod: 'pm_card_ok' });
    const fromElsewhere = await decodeFrom(`http://127.0.0.1:${(stranger.address() as { port: number }).port}/`);
    assert.equal(fromElsewhere.status, 0, `a page that is not the Web UI read: ${fromElsewhere.body}`);
  });

  test('it listens on loopback only, answers only loopback host names and the Web UI’s origins, decodes and never encodes', async () => {
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(local.url).port);
    const app = localCodecApp(codec, { port: () => port, uiOrigins: loopbackOrigins(uiPort) });
    const host = `127.0.0.1:${port}`;
    const body = { payloads: [encrypted] };

    const cli = await request(app).post('/decode').set('Host', host).send(body);
    assert.equal(cli.status, 200, 'a tool with no Origin on this machine (the temporal CLI) decodes');
    assert.equal(cli.headers['access-control-allow-origin'], undefined);
    const preflight = await request(app).options('/decode').set('Host', host).set('Origin', `http://localhost:${uiPort}`).set('Access-Control-Request-Headers', 'content-type,x-namespace');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], `http://localhost:${uiPort}`);
    assert.match(preflight.headers['access-control-allow-headers'] as string, /X-Namespace/);

    const rebound = await request(app).post('/decode').set('Host', `evil.example:${port}`).send(body);
    assert.equal(rebound.status, 403, 'a page DNS-rebound to 127.0.0.1 sends its own Host');
    const foreign = await request(app).post('/decode').set('Host', host).set('Origin', 'http://evil.example').send(body);
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.equal((await request(app).post('/encode').set('Host', host).send(body)).status, 404, 'encoding stays behind a support key');
    const garbage = await request(app).post('/decode').set('Host', host).send({ payloads: [{ data: 'not base64!' }] });
    assert.equal(garbage.status, 400);
    const tampered = await request(app).post('/decode').set('Host', host).send({ payloads: [{ ...encrypted, data: Buffer.from('tampered').toString('base64') }] });
    assert.equal(tampered.status, 400);
    assert.match(JSON.stringify(tampered.body), /payloads\.0/);
  });
});
