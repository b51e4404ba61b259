/**
 * The payment methods the local payment provider knows, and so the ones the API accepts:
 * `pm_card_ok` captures at once, `pm_card_declined` declines, `pm_async` waits for the provider's
 * webhook, and `pm_flaky` (for tests and chaos runs) fails transiently twice per charge, then
 * captures. Plain constants: the API's schema reads them without loading the provider.
 */
export const LOCAL_PAYMENT_METHODS = ['pm_card_ok', 'pm_card_declined', 'pm_async', 'pm_flaky'] as const;
export type LocalPaymentMethod = (typeof LOCAL_PAYMENT_METHODS)[number];
