import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { PROBLEM_TYPE_NAMES, PROBLEM_TYPES } from '../../common/problem-types.ts';
import { bearer, startStack, type Stack } from '../helpers/stack.ts';

const BASE = 'http://csp.test';

/** Each condition its own problem type, documented at its URL (PostgreSQL, no worker). */
describe('problem types', () => {
  let stack: Stack;
  let admin: string;

  before(async () => {
    stack = await startStack('api_problem_types', { PUBLIC_BASE_URL: BASE }, { worker: false });
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
  });
  after(async () => stack?.close());

  test('every problem type has its page, for a person and as JSON; an unknown one is a 404 problem', async () => {
    const index = await request(stack.app).get('/problems').set('Accept', 'text/html');
    assert.equal(index.status, 200);
    for (const name of PROBLEM_TYPE_NAMES) {
      assert.match(index.text, new RegExp(`href="/problems/${name}"`));
      const page = await request(stack.app).get(`/problems/${name}`).set('Accept', 'text/html');
      assert.equal(page.status, 200, name);
      assert.match(page.text, new RegExp(`<h1>${PROBLEM_TYPES[name].title}</h1>`));
      assert.match(page.text, /<h2>Retry\?<\/h2>/);
      const json = await request(stack.app).get(`/problems/${name}`).set('Accept', 'application/json');
      assert.deepEqual([json.body.type, json.body.status], [name, PROBLEM_TYPES[name].status]);
    }
    const unknown = await request(stack.app).get('/problems/teapot');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.type, `${BASE}/problems/not-found`);
    const openapi = await request(stack.app).get('/openapi.json');
    assert.deepEqual(Object.keys(openapi.body['x-problem-types']), PROBLEM_TYPE_NAMES);
    assert.equal(openapi.body.info.version, (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version, 'the document says the version the package is');
  });

  test('answers name their condition: two 409s and two 422s are four different types', async () => {
    const customer = { companyName: 'Problem Types Ltd', domain: 'problem-types.example.com' };
    assert.equal((await request(stack.app).post('/v1/customers').set(bearer(admin)).send(customer)).status, 201);
    const duplicate = await request(stack.app).post('/v1/customers').set(bearer(admin)).send(customer);
    assert.deepEqual([duplicate.status, duplicate.body.type], [409, `${BASE}/problems/customer-exists`]);

    // A first request still holding its key (claimed, not answered): the retry is told to wait.
    const held = { companyName: 'Held Ltd', domain: 'held.example.com' };
    const agent = await stack.database.db.agent.findFirstOrThrow({ where: { partnerId: stack.demo.partners[0]!.id, role: 'admin_agent' } });
    const hash = createHash('sha256').update(`POST /v1/customers\n${JSON.stringify(held)}`).digest('hex');
    await stack.database.db.idempotencyRecord.create({ data: { agentId: agent.id, key: 'held', method: 'POST', path: '/v1/customers', requestHash: hash } });
    const inFlight = await request(stack.app).post('/v1/customers').set(bearer(admin)).set('Idempotency-Key', 'held').send(held);
    assert.deepEqual([inFlight.status, inFlight.body.type], [409, `${BASE}/problems/idempotency-key-in-flight`]);
    assert.ok(Number(inFlight.headers['retry-after']) > 0, 'a retryable 409 says when');

    const invalid = await request(stack.app).post('/v1/customers').set(bearer(admin)).send({ domain: '' });
    assert.deepEqual([invalid.status, invalid.body.type], [422, `${BASE}/problems/validation-failed`]);
    const reused = await request(stack.app).post('/v1/customers').set(bearer(admin)).set('Idempotency-Key', 'held').send({ ...held, companyName: 'Other Ltd' });
    assert.deepEqual([reused.status, reused.body.type], [422, `${BASE}/problems/idempotency-key-reused`]);

    const latin1 = await request(stack.app).post('/v1/customers').set(bearer(admin)).set('Content-Type', 'application/json; charset=latin1').send(JSON.stringify(customer));
    assert.deepEqual([latin1.status, latin1.body.type], [415, `${BASE}/problems/unsupported-media-type`]);

    const noKey = await request(stack.app).get('/v1/products');
    assert.equal(noKey.body.type, `${BASE}/problems/unauthorized`);
    assert.equal((await request(stack.app).get('/v1/nothing-here').set(bearer(admin))).body.type, `${BASE}/problems/not-found`);
  });
});
