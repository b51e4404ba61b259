/**
 * The one list of business failure types. Activities throw non-retryable ApplicationFailures with
 * these types; workflows and the API branch on them.
 */
export const ErrorType = {
  PaymentDeclined: 'PaymentDeclined',
  RefundExceedsPayment: 'RefundExceedsPayment',
  KeyAuthorityRefused: 'KeyAuthorityRefused',
  // The database refused the data itself (infra/database-errors.ts): the same on every attempt.
  DataRejected: 'DataRejected',
  LinkEnded: 'LinkEnded',
  CaseNotDecidable: 'CaseNotDecidable',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
