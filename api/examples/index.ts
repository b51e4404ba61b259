// The examples of the OpenAPI document, by operationId: each operation's request and the body of
// each of its answers. Error answers show one problem of each type they can carry, built from the
// problem types' own documentation (common/problem-types.ts).
import { PROBLEM_TYPES, type ProblemType } from '../../common/problem-types.ts';
import { cancellationExamples } from './cancellation.ts';
import { operationsExamples } from './operations.ts';
import { purchaseExamples } from './purchase.ts';
import { BASE, downloadUrl, ids } from './samples.ts';

export interface OperationExamples {
  /** The request body. */
  request?: unknown;
  /** The body of each success answer that has one, by status. */
  responses: Record<number, unknown>;
}
export type Examples = Record<string, OperationExamples>;

export const EXAMPLES: Examples = { ...purchaseExamples, ...cancellationExamples, ...operationsExamples };

/** What a problem of this type says in `detail`, where its meaning would not read as one request's answer. */
const DETAILS: Partial<Record<ProblemType, string>> = {
  'validation-failed': '2 fields are not valid.',
  'idempotency-key-reused': 'This Idempotency-Key was already used with a different request body.',
  'forbidden': 'The role sales_agent may not reveal product keys.',
  'not-found': 'No such customer.',
  'rate-limited': 'Rate limit of 600 requests per minute exceeded.',
};

/** The members a type carries beyond the standard ones, with values from its documentation. */
function extraMembers(name: ProblemType): Record<string, unknown> {
  const doc = PROBLEM_TYPES[name] as { fields?: Record<string, string> };
  if (!doc.fields) return {};
  if ('errors' in doc.fields) {
    return name === 'validation-failed'
      ? { errors: [{ path: 'body.lineItems.0.quantity', message: 'Too small: expected number to be >=1' }, { path: 'body.paymentMethod', message: 'Invalid option: expected one of "pm_card_ok"|"pm_card_declined"|"pm_async"|"pm_flaky"' }] }
      : { errors: [{ path: 'Idempotency-Key', message: 'reused with a different request' }] };
  }
  // Documented as a literal in backticks, e.g. linkStatus: '`expired`'.
  return Object.fromEntries(Object.entries(doc.fields).map(([member, value]) => [member, value.replace(/`/g, '')]));
}

/** One example problem per type, named by the type: what an error answer's `examples` holds. */
export function problemExamples(names: readonly ProblemType[], instance: string) {
  return Object.fromEntries(
    names.map((name) => {
      const doc = PROBLEM_TYPES[name];
      const value = { type: `${BASE}/problems/${name}`, title: doc.title, status: doc.status, detail: DETAILS[name] ?? doc.meaning, instance, ...extraMembers(name) };
      return [name, { summary: doc.title, value }];
    }),
  );
}

/** The sample values of path parameters, so an example problem's `instance` is a real path. */
const PATH_SAMPLES: Record<string, string> = {
  customerId: ids.customer,
  subscriptionId: ids.subscription,
  orderId: ids.order,
  refundCaseId: ids.refundCase,
  endpointId: ids.endpoint,
  deliveryId: ids.delivery,
  token: downloadUrl.slice(downloadUrl.lastIndexOf('/') + 1),
};

/** An Express path with its parameters filled in with the samples. */
export const samplePath = (path: string) => path.replace(/:([A-Za-z]+)/g, (_m, name: string) => PATH_SAMPLES[name] ?? name);
