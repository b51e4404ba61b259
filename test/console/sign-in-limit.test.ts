import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/** The console's sign-in form, from one address: its own file, as its counts would lock out other tests' sign-ins. */
describe('console sign-in limit (PostgreSQL, no worker)', () => {
  let stack: Stack;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    stack = await startStack('console_sign_in_limit', {}, { worker: false });
    app = createApp(stack.apiDeps());
  });
  after(async () => stack?.close());

  /** Posts the form the way a browser does: the sign-in page's cookie and its hidden token. */
  async function signIn(key: string) {
    const agent = request.agent(app);
    const form = await agent.get('/console/sign-in');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    return agent.post('/console/sign-in').type('form').send({ _csrf: csrf, apiKey: key });
  }

  test('successful sign-ins never count; past 20 refused ones a minute the address gets 429 with a page that says why', async () => {
    // A team behind one address signing in, one after another: more than the limit, every one let in.
    const team: number[] = [];
    for (let i = 0; i < 25; i++) team.push((await signIn(stack.demo.apiKeys.support_engineer)).status);
    assert.deepEqual([...new Set(team)], [303]);

    const wrong = `csp_0123456789abcdef_${'w'.repeat(43)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await signIn(wrong)).status);
    assert.deepEqual(statuses, [...Array(20).fill(401), 429]);
    const refused = await signIn(stack.demo.apiKeys.support_engineer);
    assert.equal(refused.status, 429, 'a good key from a blocked address waits too');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.match(refused.text, /Too many failed sign-in attempts from this address/);
  });
});
