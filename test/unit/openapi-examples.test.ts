import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXAMPLES } from '../../api/examples/index.ts';
import { buildOpenApiDocument, toOpenApiPath } from '../../api/openapi.ts';
import { ROUTES } from '../../api/routes/index.ts';
import { PROBLEM_TYPES } from '../../common/problem-types.ts';

type Media = { example?: unknown; examples?: Record<string, { value: unknown }> };
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
};

const document = buildOpenApiDocument(ROUTES) as unknown as { paths: Record<string, Record<string, Operation>> };
const operations = Object.values(document.paths).flatMap((item) => Object.values(item));

test('every operation’s request body and every answer that has a body carry an example', () => {
  const missing: string[] = [];
  for (const op of operations) {
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) if (media.example === undefined) missing.push(`${op.operationId} request ${type}`);
    for (const [status, answer] of Object.entries(op.responses)) {
      for (const [type, media] of Object.entries(answer.content ?? {})) {
        if (media.example === undefined && !Object.keys(media.examples ?? {}).length) missing.push(`${op.operationId} ${status} ${type}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('each example is valid for its operation: the request parses, and an answer’s schema keeps every member of it', () => {
  const names = ROUTES.map((r) => r.operationId);
  assert.deepEqual(Object.keys(EXAMPLES).filter((id) => !names.includes(id)), [], 'no examples of an operation that does not exist');
  for (const def of ROUTES) {
    const examples = EXAMPLES[def.operationId];
    const bodySchema = def.body ?? def.rawBodySchema;
    if (bodySchema) {
      const parsed = bodySchema.safeParse(examples?.request);
      assert.ok(parsed.success, `${def.operationId}: its request example is refused: ${parsed.error?.message}`);
    }
    for (const [status, answer] of Object.entries(def.responses)) {
      if (!answer.schema) continue;
      const example = examples?.responses[Number(status)];
      const parsed = answer.schema.safeParse(example);
      assert.ok(parsed.success, `${def.operationId} ${status}: its example does not match its schema: ${parsed.error?.message}`);
      // A member the schema does not know would be stripped: the example would show what is never sent.
      assert.deepEqual(JSON.parse(JSON.stringify(parsed.data)), example, `${def.operationId} ${status}: the example has members the answer does not`);
    }
    for (const status of Object.keys(examples?.responses ?? {})) assert.ok(def.responses[Number(status)]?.schema, `${def.operationId}: an example of the undeclared answer ${status}`);
  }
});

test('an error answer shows one problem of each type it can carry, of that answer’s status', () => {
  let shown = 0;
  for (const op of operations) {
    for (const [status, answer] of Object.entries(op.responses)) {
      const problems = answer.content?.['application/problem+json'];
      if (!problems) continue;
      for (const [name, { value }] of Object.entries(problems.examples ?? {})) {
        const problem = value as { type: string; status: number; title: string };
        const type = problem.type.split('/problems/')[1] as keyof typeof PROBLEM_TYPES;
        assert.equal(type, name, `${op.operationId} ${status}: the example is named by its type`);
        assert.ok(PROBLEM_TYPES[type], `${op.operationId} ${status}: ${problem.type} is not a problem type`);
        assert.deepEqual([problem.status, problem.title], [Number(status), PROBLEM_TYPES[type].title], `${op.operationId} ${status}: ${type} is a ${PROBLEM_TYPES[type].status}`);
        shown++;
      }
    }
  }
  const cancellation = operations.find((op) => op.operationId === 'fileCancellation')!;
  assert.deepEqual(Object.keys(cancellation.responses['409']?.content?.['application/problem+json']?.examples ?? {}), ['refund-case-open', 'not-cancellable', 'idempotency-key-in-flight', 'idempotency-retry-needed']);
  const download = operations.find((op) => op.operationId === 'download')!;
  assert.deepEqual(Object.keys(download.responses['410']?.content?.['application/problem+json']?.examples ?? {}), ['link-expired', 'link-used-up', 'link-revoked']);
  assert.ok(shown > 200, `${shown} problem examples`);
});

test('every field and every parameter of the document says what it is', () => {
  const undescribed: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const properties = (node as { properties?: Record<string, { description?: string; $ref?: string }> }).properties;
    for (const [name, schema] of Object.entries(properties ?? {})) if (!schema.description && !schema.$ref) undescribed.push(`${where}.${name}`);
    for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`);
  };
  walk(document, '#');
  for (const op of operations) for (const p of op.parameters ?? []) if (!p.description) undescribed.push(`${op.operationId} ${p.in} ${p.name}`);
  assert.deepEqual(undescribed, []);
});

test('a list that exports shows its example page as CSV and NDJSON too', () => {
  const orders = document.paths[toOpenApiPath('/v1/customers/:customerId/orders')]!.get!.responses['200']!.content!;
  const csv = String(orders['text/csv']?.example);
  assert.match(csv, /^orderId,status,total,currency,lineItems,createdAt,failureReason\r\n/);
  const rows = EXAMPLES.listCustomerOrders!.responses[200] as unknown[];
  assert.equal(csv.trimEnd().split('\r\n').length, rows.length + 1, 'a header row and one line per example row');
  assert.deepEqual(String(orders['application/x-ndjson']?.example).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown), rows);
});
