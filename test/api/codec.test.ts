import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workflowIds } from '../../common/ids.ts';
import { bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const UI = 'http://localhost:8233';

describe('encrypted payloads and the codec server', () => {
  let stack: Stack;
  let orderId: string;

  before(async () => {
    stack = await startStack('api_codec', { TEMPORAL_UI_URL: UI });
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const created = await request(stack.app)
      .post(`/v1/customers/${stack.demo.partners[0]!.customers[0]!.id}/orders`)
      .set(bearer(admin))
      .send({ lineItems: [{ productId: 'project-professional-2024', quantity: 3 }], paymentMethod: 'pm_card_ok' });
    orderId = created.body.orderId;
    await eventually(async () => (await request(stack.app).get(`/v1/orders/${orderId}`).set(bearer(admin))).body.status, (s) => s === 'active');
  });
  after(async () => stack?.close());

  /** The history as the server stores it, read with a client that has no codec. */
  async function rawPayloads() {
    const history = await stack.env.client.workflow.getHandle(workflowIds.order(orderId)).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    return { history, input: started.input!.payloads! };
  }

  test('keeps workflow inputs and results out of history in plain text', async () => {
    const { history } = await rawPayloads();
    const text = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    for (const secret of ['project-professional-2024', 'pm_card_ok', stack.demo.partners[0]!.customers[0]!.domain]) {
      assert.ok(!text.includes(secret), `history contains "${secret}" in plain text`);
    }
  });

  test('decodes for an operations or support key and refuses anyone else', async () => {
    const { input } = await rawPayloads();
    const body = {
      payloads: input.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    };
    for (const key of [stack.demo.apiKeys.operations, stack.demo.apiKeys.support_engineer]) {
      const res = await request(stack.app).post('/codec/decode').set(bearer(key)).set('X-Namespace', 'default').send(body);
      assert.equal(res.status, 200);
      const decoded = JSON.parse(Buffer.from(res.body.payloads[0].data, 'base64').toString('utf8'));
      assert.equal(decoded.orderId, orderId);
      assert.equal(decoded.paymentMethod, 'pm_card_ok');
    }
    assert.equal((await request(stack.app).post('/codec/decode').send(body)).status, 401);
    assert.equal((await request(stack.app).post('/codec/decode').set(bearer(stack.demo.partners[0]!.apiKeys.admin_agent)).send(body)).status, 403);
  });

  test('encodes for support only: the read-only operations role cannot forge payloads', async () => {
    const plain = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] };
    const refused = await request(stack.app).post('/codec/encode').set(bearer(stack.demo.apiKeys.operations)).send(plain);
    assert.equal(refused.status, 403);
    const roundTrip = await request(stack.app).post('/codec/encode').set(bearer(stack.demo.apiKeys.support_engineer)).send(plain);
    assert.equal(roundTrip.status, 200);
    assert.equal(Buffer.from(roundTrip.body.payloads[0].metadata.encoding, 'base64').toString(), 'binary/encrypted');
  });

  test('answers 400 naming each payload it cannot decode: unknown key, tampered ciphertext, not base64', async () => {
    const { input } = await rawPayloads();
    const real = input[0]!;
    const meta = Object.fromEntries(Object.entries(real.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]));
    const data = Buffer.from(real.data!);
    const tampered = Buffer.from(data);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    const unknownKey = { ...meta, 'encryption-key-id': Buffer.from('no-such-key').toString('base64') };
    const ops = bearer(stack.demo.apiKeys.operations);
    const res = await request(stack.app)
      .post('/codec/decode')
      .set(ops)
      .send({ payloads: [{ metadata: meta, data: data.toString('base64') }, { metadata: meta, data: tampered.toString('base64') }, { metadata: unknownKey, data: data.toString('base64') }] });
    assert.equal(res.status, 400);
    assert.match(res.headers['content-type']!, /application\/problem\+json/);
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['payloads.1', 'payloads.2']);
    const notBase64 = await request(stack.app).post('/codec/decode').set(ops).send({ payloads: [{ metadata: meta, data: '%%%' }] });
    assert.equal(notBase64.status, 422);
    assert.equal(notBase64.body.errors[0].path, 'payloads.0.data');
  });

  test('lets the Web UI origin through CORS preflight, and no other origin', async () => {
    const ok = await request(stack.app).options('/codec/decode').set('Origin', UI).set('Access-Control-Request-Method', 'POST');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], UI);
    assert.match(ok.headers['access-control-allow-headers']!, /Authorization/);
    const other = await request(stack.app).options('/codec/decode').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});
