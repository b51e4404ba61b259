import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import { execute, queryRows } from '../db/statements.ts';
import type { Money, PaymentEventType } from '../common/domain.ts';

export type ChargeStatus = 'captured' | 'pending';

export interface ChargeRequest {
  /** The same key always means the same charge: a retried call never charges twice. */
  idempotencyKey: string;
  reference: string;
  method: string;
  amount: Money;
}

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<{ paymentId: string; status: ChargeStatus }>;
  /** Releases an authorization that was never captured. Voiding twice is fine. */
  void(paymentId: string): Promise<void>;
  refund(request: { paymentId: string; idempotencyKey: string; amount: Money }): Promise<{ refundId: string }>;
}

/** The provider said no: the card was declined or the method is unknown. Retrying will not help. */
export class PaymentDeclinedError extends Error {
  override name = 'PaymentDeclinedError';
}
/** The provider could not answer now (timeout, 5xx): the same request may succeed later. */
export class PaymentUnavailableError extends Error {
  override name = 'PaymentUnavailableError';
}
export class RefundRejectedError extends Error {
  override name = 'RefundRejectedError';
}

type Settlement = PaymentEventType;

/**
 * A local payment provider with a ledger in PostgreSQL that behaves like a real one:
 * `pm_card_ok` captures at once, `pm_card_declined` declines, `pm_async` stays pending until the
 * provider settles it (and sends the signed webhook), `pm_flaky` fails transiently twice per
 * charge, then succeeds. Charges are idempotent on their key; refunds never exceed the capture.
 */
export class LocalPaymentProvider implements PaymentProvider {
  constructor(private readonly db: Db) {}

  async charge(request: ChargeRequest): Promise<{ paymentId: string; status: ChargeStatus }> {
    const amount = new Prisma.Decimal(request.amount.amount);
    if (amount.isNegative()) throw new PaymentDeclinedError('amount must not be negative');
    // Find or open the charge for this key and count this attempt, in one statement: an attempt is
    // counted only while the charge is undecided and asked for the same amount.
    const [payment] = await queryRows<{ id: string; amount: string; currency: string; status: string; attempts: number }>(
      this.db,
      Prisma.sql`
      INSERT INTO provider_payments AS p (id, idempotency_key, reference, method, amount, currency, status, attempts)
      VALUES (${`pay_${randomUUID().replace(/-/g, '')}`}, ${request.idempotencyKey}, ${request.reference}, ${request.method},
              ${request.amount.amount}::numeric, ${request.amount.currency}, 'processing', 1)
      ON CONFLICT (idempotency_key) DO UPDATE SET
        attempts = p.attempts + CASE WHEN p.status = 'processing' AND p.amount = EXCLUDED.amount AND p.currency = EXCLUDED.currency THEN 1 ELSE 0 END,
        updated_at = CASE WHEN p.status = 'processing' AND p.amount = EXCLUDED.amount AND p.currency = EXCLUDED.currency THEN now() ELSE p.updated_at END
      RETURNING id, amount::text AS amount, currency, status, attempts`,
    );
    if (!payment) throw new Error(`charge ${request.idempotencyKey} could not be recorded`);
    if (!new Prisma.Decimal(payment.amount).equals(amount) || payment.currency !== request.amount.currency) {
      throw new PaymentDeclinedError('idempotency key reused with a different amount');
    }
    switch (payment.status) {
      case 'captured':
      case 'pending':
        return { paymentId: payment.id, status: payment.status };
      case 'declined':
      case 'failed':
      case 'voided':
        throw new PaymentDeclinedError(`payment ${payment.id} is ${payment.status}`);
    }
    const attempts = payment.attempts;
    switch (request.method) {
      case 'pm_card_ok':
        return this.settleCharge(payment.id, 'captured');
      case 'pm_async':
        return this.settleCharge(payment.id, 'pending');
      case 'pm_flaky':
        if (attempts <= 2) throw new PaymentUnavailableError(`payment provider unavailable (attempt ${attempts}), try again`);
        return this.settleCharge(payment.id, 'captured');
      case 'pm_card_declined':
        await this.db.providerPayment.update({ where: { id: payment.id }, data: { status: 'declined' } });
        throw new PaymentDeclinedError('card declined');
      default:
        await this.db.providerPayment.update({ where: { id: payment.id }, data: { status: 'declined' } });
        throw new PaymentDeclinedError(`unknown payment method ${request.method}`);
    }
  }

  private async settleCharge(paymentId: string, status: ChargeStatus) {
    await execute(this.db, Prisma.sql`UPDATE provider_payments SET status = ${status}, updated_at = now() WHERE id = ${paymentId}`);
    return { paymentId, status };
  }

  async void(paymentId: string): Promise<void> {
    const payment = await this.db.providerPayment.findUnique({ where: { id: paymentId } });
    if (!payment) return;
    if (payment.status === 'pending' || payment.status === 'processing') {
      await this.db.providerPayment.update({ where: { id: paymentId }, data: { status: 'voided' } });
    }
  }

  async refund(request: { paymentId: string; idempotencyKey: string; amount: Money }): Promise<{ refundId: string }> {
    const existing = await this.db.providerRefund.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
    if (existing) return { refundId: existing.id };
    const amount = new Prisma.Decimal(request.amount.amount);
    if (!amount.isPositive()) throw new RefundRejectedError('refund amount must be positive');
    return this.db.$transaction(async (tx) => {
      // Lock the payment so concurrent refunds cannot together exceed the capture.
      const rows = await tx.$queryRaw<{ status: string; amount: Prisma.Decimal; refunded_amount: Prisma.Decimal; currency: string }[]>`
        SELECT status, amount, refunded_amount, currency FROM provider_payments WHERE id = ${request.paymentId} FOR UPDATE`;
      const payment = rows[0];
      if (!payment) throw new RefundRejectedError(`unknown payment ${request.paymentId}`);
      if (payment.status !== 'captured') throw new RefundRejectedError(`payment ${request.paymentId} is ${payment.status}, not captured`);
      if (payment.currency !== request.amount.currency) throw new RefundRejectedError('refund currency differs from the payment');
      if (new Prisma.Decimal(payment.refunded_amount).plus(amount).greaterThan(payment.amount)) {
        throw new RefundRejectedError('refund exceeds the captured amount');
      }
      const refundId = `re_${randomUUID().replace(/-/g, '')}`;
      await tx.providerRefund.create({ data: { id: refundId, paymentId: request.paymentId, idempotencyKey: request.idempotencyKey, amount } });
      await tx.providerPayment.update({ where: { id: request.paymentId }, data: { refundedAmount: { increment: amount } } });
      return { refundId };
    });
  }

  /**
   * What the real provider does on its side for an asynchronous payment: decides it, then sends
   * the webhook. Returns the event to deliver (the caller signs and posts it).
   */
  async settle(paymentId: string, outcome: Settlement): Promise<{ eventId: string; type: Settlement; reference: string }> {
    const payment = await this.db.providerPayment.findUniqueOrThrow({ where: { id: paymentId } });
    if (payment.status === 'pending') {
      await this.db.providerPayment.update({
        where: { id: paymentId },
        data: { status: outcome === 'payment.succeeded' ? 'captured' : 'failed' },
      });
    }
    return { eventId: `evt_${paymentId}_${outcome}`, type: outcome, reference: payment.reference };
  }
}
