import type { z } from 'zod';
import type { keysAndDownloadsBody } from '../../common/schemas.ts';
import type { Caller } from '../auth.ts';
import type { Config } from '../../common/config.ts';
import type { Db } from '../../db/client.ts';
import type { PageRequest } from '../../common/paging.ts';
import type { SoftwareSubscription } from '../../generated/prisma/client.ts';
import { asTime, everyRow, keyset, pageOf, type Keyset } from './paging.ts';
import { problems } from '../problem.ts';
import { audit } from './audit.ts';
import type { CustomerService } from './customers.ts';
import type { LinkService } from './links.ts';

const distinct = (values: string[]) => [...new Set(values)];

type SoftwareRow = SoftwareSubscription & { product: { name: string } };
const SOFTWARE_LIST: Keyset<SoftwareRow> = { list: 'software', field: 'purchasedAt', direction: 'asc', at: (s) => s.purchasedAt.toISOString(), id: (s) => s.id, parse: asTime };
const softwareRow = (s: SoftwareRow) => ({
  subscriptionId: s.id,
  orderId: s.orderId,
  productId: s.productId,
  productName: s.product.name,
  quantity: s.quantity,
  status: s.status,
  purchasedAt: s.purchasedAt.toISOString(),
});

export function createSoftwareService(deps: { db: Db; config: Config; customers: CustomerService; links: LinkService }) {
  const { db, config, customers, links } = deps;

  async function listOf(caller: Caller, customerId: string) {
    const customer = await customers.get(caller, customerId);
    return (page: PageRequest) => {
      const k = keyset(SOFTWARE_LIST, page);
      return db.softwareSubscription.findMany({ where: { customerId: customer.id, partnerId: customer.partnerId, ...k.where }, include: { product: { select: { name: true } } }, orderBy: k.orderBy, take: k.take });
    };
  }

  async function subscriptionFor(caller: Caller, customerId: string, subscriptionId: string) {
    const customer = await customers.get(caller, customerId);
    const sub = await db.softwareSubscription.findFirst({
      where: { id: subscriptionId, customerId: customer.id, partnerId: customer.partnerId },
      include: { product: { include: { variants: { orderBy: [{ version: 'asc' }, { language: 'asc' }, { fileType: 'asc' }] } } } },
    });
    if (!sub) throw problems.notFound('software subscription');
    return sub;
  }

  return {
    /** A customer's Software, oldest purchase first. */
    async list(caller: Caller, customerId: string, page: PageRequest) {
      const fetch = await listOf(caller, customerId);
      return pageOf(await fetch(page), SOFTWARE_LIST, page, softwareRow);
    },

    /** Every item of a customer's Software, for an export. */
    async *everyItem(caller: Caller, customerId: string) {
      const fetch = await listOf(caller, customerId);
      for await (const row of everyRow(async (page) => ({ rows: await fetch(page), spec: SOFTWARE_LIST }))) yield softwareRow(row);
    },

    /** Every download window ever opened for the item, newest first. */
    async links(caller: Caller, customerId: string, subscriptionId: string, page: PageRequest) {
      const sub = await subscriptionFor(caller, customerId, subscriptionId);
      return links.history(sub.id, caller.role === 'admin_agent', page);
    },

    async get(caller: Caller, customerId: string, subscriptionId: string) {
      const sub = await subscriptionFor(caller, customerId, subscriptionId);
      const isAdmin = caller.role === 'admin_agent';
      const [key, open] = await Promise.all([isAdmin ? db.productKey.findUnique({ where: { subscriptionId: sub.id } }) : null, links.openLinks(sub.id)]);
      const variants = sub.product.variants;
      const revealed = isAdmin && key && key.status === 'active';
      // Who saw a key is part of the trail (Partner Center logs key views too).
      if (revealed) await audit(db, caller, 'product_key.reveal', { type: 'software_subscription', id: sub.id });
      return {
        subscriptionId: sub.id,
        orderId: sub.orderId,
        productId: sub.productId,
        productName: sub.product.name,
        quantity: sub.quantity,
        status: sub.status,
        purchasedAt: sub.purchasedAt.toISOString(),
        // Perpetual software is refundable for REFUND_WINDOW after its purchase (Partner Center: 30 days).
        refundableUntil: new Date(sub.purchasedAt.getTime() + config.refundWindowMs).toISOString(),
        options: {
          versions: distinct(variants.map((v) => v.version)),
          languages: distinct(variants.map((v) => v.language)),
          fileTypes: distinct(variants.map((v) => v.fileType)),
        },
        variants: variants.map((v) => ({ version: v.version, language: v.language, fileType: v.fileType })),
        ...(revealed ? { productKey: key.value } : {}),
        downloadLinks: open.map((l) => links.view(l, isAdmin)),
      };
    },

    /**
     * "Get keys and downloads": the product key and the variant's open window, or a new window of
     * TTL / max downloads once the previous one has ended — as often as needed.
     */
    async keysAndDownloads(caller: Caller, customerId: string, subscriptionId: string, body: z.infer<typeof keysAndDownloadsBody>) {
      const sub = await subscriptionFor(caller, customerId, subscriptionId);
      const variant = sub.product.variants.find((v) => v.version === body.version && v.language === body.language && v.fileType === body.fileType);
      if (!variant) {
        const vs = sub.product.variants;
        const list = (xs: string[]) => distinct(xs).map((x) => `"${x}"`).join(', ');
        const errors = [];
        if (!vs.some((v) => v.version === body.version)) errors.push({ path: 'version', message: `must be one of ${list(vs.map((v) => v.version))}` });
        if (!vs.some((v) => v.language === body.language)) errors.push({ path: 'language', message: `must be one of ${list(vs.map((v) => v.language))}` });
        if (!vs.some((v) => v.fileType === body.fileType)) errors.push({ path: 'fileType', message: `must be one of ${list(vs.map((v) => v.fileType))}` });
        if (errors.length === 0) {
          errors.push({ path: '(body)', message: `this combination is not offered; offered: ${vs.map((v) => `${v.version} / ${v.language} / ${v.fileType}`).join('; ')}` });
        }
        throw problems.unprocessable(`${sub.product.name} is not offered in that version, language and file type.`, errors);
      }
      if (sub.status !== 'active') throw problems.conflict('software-not-active', `This software is ${sub.status.replace('_', ' ')}; no keys or downloads are available.`);
      const key = await db.productKey.findUnique({ where: { subscriptionId: sub.id } });
      if (!key || key.status !== 'active') throw problems.conflict('software-not-active', 'This software has no active product key.');

      const link = await links.openOrReuse(caller, sub.id, variant.id);
      await audit(db, caller, 'keys_and_downloads.get', { type: 'software_subscription', id: sub.id }, { linkId: link.id });
      return { productKey: key.value, download: links.view({ ...link, variant }, true) };
    },
  };
}
