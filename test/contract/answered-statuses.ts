// Run by scripts/test.ts after the rest of the suite (it is not a *.test.ts file, so the main run
// does not pick it up): every status any route answered during the suite must be in the OpenAPI
// document, so a caller who builds against the document meets no answer it does not describe.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildOpenApiDocument, toOpenApiPath } from '../../api/openapi.ts';
import { ROUTES } from '../../api/routes/index.ts';

const file = process.env.API_STATUS_LOG;

test('every status a route answered in the suite is documented for that route in the OpenAPI document', () => {
  assert.ok(file && existsSync(file), 'API_STATUS_LOG names the answers the suite recorded (run through `npm test`)');
  const doc = buildOpenApiDocument(ROUTES) as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const known = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
  const answered = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [method, route, status] = line.split(' ') as [string, string, string];
    // HEAD is answered by the GET route (Express), and documented as that route's answers.
    const asGet = method === 'head' ? 'get' : method;
    if (!known.has(`${asGet} ${route}`)) continue; // the console's pages are not part of the API
    const key = `${asGet} ${route} ${status}`;
    answered.set(key, (answered.get(key) ?? 0) + 1);
  }
  const undocumented = [...answered.keys()].filter((key) => {
    const [method, route, status] = key.split(' ') as [string, string, string];
    return !doc.paths[toOpenApiPath(route)]?.[method]?.responses[status];
  });
  assert.deepEqual(undocumented, [], `answered but not documented: ${undocumented.join('; ')}`);
  const exercised = new Set([...answered.keys()].map((k) => k.split(' ').slice(0, 2).join(' ')));
  const never = [...known].filter((k) => !exercised.has(k));
  assert.deepEqual(never, [], `routes the suite never called: ${never.join('; ')}`);
  console.log(`checked ${answered.size} route × status pairs over ${exercised.size} routes`);
});
