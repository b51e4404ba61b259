// Every kind of failure the API answers, declared once: the problem+json `type` of each answer
// (`<PUBLIC_BASE_URL>/problems/<name>`), the page served at that URL, and the OpenAPI document
// all come from here. A caller branches on the type, never on the wording of `detail`.

export interface ProblemTypeDoc {
  status: number;
  title: string;
  /** What happened, for the caller. */
  meaning: string;
  /** Whether and how to retry. */
  retry: string;
  /** Members of the problem beyond type, title, status, detail and instance. */
  fields?: Readonly<Record<string, string>>;
}

const FIELD_ERRORS = { errors: 'each field that is wrong: `path` (e.g. `body.amountRequested.amount`, `query.limit`) and `message`' };
const NO = 'No: the same request will be refused the same way.';

export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'Bad Request', meaning: 'The request could not be read: the body is not JSON, the URL is not valid percent-encoding, or the Idempotency-Key is not 1–255 characters.', retry: 'No: fix the request first.', fields: FIELD_ERRORS },
  'unauthorized': { status: 401, title: 'Unauthorized', meaning: 'No API key, or one that is unknown or revoked. `WWW-Authenticate: Bearer` says how to send one.', retry: 'With a valid key. Failed attempts count towards the address’s limit (too-many-failed-authentications).' },
  'bad-signature': { status: 401, title: 'Bad Signature', meaning: 'A payment webhook whose `Payment-Signature` is missing or is not the HMAC of its raw body.', retry: 'No: sign the raw body with the shared secret.' },
  'forbidden': { status: 403, title: 'Forbidden', meaning: 'The key is valid, but its role may not do this (`detail` names the role and the action).', retry: NO },
  'not-found': { status: 404, title: 'Not Found', meaning: 'No such resource, or one of another partner’s (the two are not told apart), or no such route.', retry: NO },
  'idempotency-key-in-flight': { status: 409, title: 'Request In Flight', meaning: 'A request with this Idempotency-Key is still being processed.', retry: 'Yes: the same request, with the same key, after `Retry-After` seconds; it answers as the first one did.' },
  'idempotency-retry-needed': { status: 409, title: 'Retry The First Request', meaning: 'The first request with this Idempotency-Key failed part-way (an answer of 5xx); the key stays bound to that request.', retry: 'Yes: send that same request again with the same key to finish it.' },
  'refund-case-open': { status: 409, title: 'Refund Case Open', meaning: 'A refund case is already open for this software; only one may be open at a time.', retry: 'No: follow the open case (GET /v1/refund-cases?q=<subscriptionId>).' },
  'not-cancellable': { status: 409, title: 'Not Cancellable', meaning: 'This software cannot be cancelled now: it is already cancelled, its order is still being paid or provisioned, or it has no captured payment.', retry: 'Once the order is active, if `detail` says it is still in flight; otherwise no.' },
  'case-not-decidable': { status: 409, title: 'Case Not Decidable', meaning: 'The refund case is not in review (it waits on the partner, or it is decided), or the decision is refused (an amount above the one requested).', retry: 'No: read the case; decide again once it is in review.' },
  'case-closed': { status: 409, title: 'Case Closed', meaning: 'The refund case is completed or rejected and takes no more comments.', retry: NO },
  'software-not-active': { status: 409, title: 'Software Not Active', meaning: 'This software is cancelled or being cancelled, or has no active product key: no keys or downloads are given.', retry: NO },
  'customer-exists': { status: 409, title: 'Customer Exists', meaning: 'Your partner already has a customer with this domain.', retry: 'No: use the existing customer (GET /v1/customers).' },
  'endpoint-limit': { status: 409, title: 'Endpoint Limit', meaning: 'The partner has as many webhook endpoints as it may.', retry: 'After deleting one.' },
  'link-expired': { status: 410, title: 'Link Expired', meaning: 'The download window’s 14 days have passed.', retry: 'No: an admin agent opens a new window with “Get keys and downloads”.', fields: { linkStatus: '`expired`', reason: '`time`' } },
  'link-used-up': { status: 410, title: 'Link Used Up', meaning: 'The download window’s 50 downloads are used.', retry: 'No: an admin agent opens a new window with “Get keys and downloads”.', fields: { linkStatus: '`expired`', reason: '`downloads`' } },
  'link-revoked': { status: 410, title: 'Link Revoked', meaning: 'The purchase was cancelled: its key and every download window are revoked.', retry: NO, fields: { linkStatus: '`revoked`', reason: '`revoked`' } },
  'content-too-large': { status: 413, title: 'Content Too Large', meaning: 'The body is larger than this endpoint accepts.', retry: 'No: send less (attachments: at most 5 files of 2 MiB).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type', meaning: 'The body’s charset or Content-Encoding is not one this endpoint reads (JSON in UTF-8, uncompressed or gzip/deflate).', retry: 'No: send the body as UTF-8 JSON.' },
  'range-not-satisfiable': { status: 416, title: 'Range Not Satisfiable', meaning: 'The `Range` asked for lies outside the file; `Content-Range: bytes */<size>` gives its size. Nothing is counted.', retry: 'With a range inside the file.' },
  'validation-failed': { status: 422, title: 'Validation Failed', meaning: 'The body or the query string is well-formed but not valid: every wrong field is listed.', retry: 'No: correct the fields listed in `errors`. A refused request changed nothing, and its Idempotency-Key may be used for the corrected one.', fields: FIELD_ERRORS },
  'idempotency-key-reused': { status: 422, title: 'Idempotency Key Reused', meaning: 'This Idempotency-Key was already used with a different request.', retry: 'No: a new request needs a new key.', fields: FIELD_ERRORS },
  'rate-limited': { status: 429, title: 'Rate Limited', meaning: 'This API key sent more requests this minute than `RATE_LIMIT_PER_MINUTE`; the `RateLimit` and `RateLimit-Policy` headers say how many and for how long.', retry: 'Yes: after `Retry-After` seconds.' },
  'too-many-failed-authentications': { status: 429, title: 'Too Many Failed Authentications', meaning: 'This address failed to authenticate too often this minute; its requests are refused before any key is checked.', retry: 'Yes: after `Retry-After` seconds, with a valid key.' },
  'internal-error': { status: 500, title: 'Internal Server Error', meaning: 'Something went wrong on our side; the `X-Request-Id` header identifies it in our logs.', retry: 'Yes, with the same Idempotency-Key: nothing is done twice.' },
  'unavailable': { status: 503, title: 'Service Unavailable', meaning: 'The database or Temporal cannot be reached right now; nothing acknowledged is lost.', retry: 'Yes: after `Retry-After` seconds, with the same Idempotency-Key.' },
} as const satisfies Record<string, ProblemTypeDoc>;

export type ProblemType = keyof typeof PROBLEM_TYPES;
/** The problem types of one HTTP status (e.g. every 409). */
export type ProblemTypeOf<S extends number> = { [K in ProblemType]: (typeof PROBLEM_TYPES)[K]['status'] extends S ? K : never }[ProblemType];
export const PROBLEM_TYPE_NAMES = Object.keys(PROBLEM_TYPES) as ProblemType[];

/** The type URL of `name` under the API's public address. */
export const problemTypeUrl = (publicBaseUrl: string, name: ProblemType) => `${publicBaseUrl}/problems/${name}`;
