import { Prisma, type Db } from '../../db/client.ts';
import { encodeCursor, type PageRequest } from '../../common/paging.ts';
import type { Role } from '../../common/domain.ts';
import type { Caller } from '../auth.ts';
import { problems } from '../problem.ts';
import type { CustomerService } from './customers.ts';
import { truncatedAddress } from './client-address.ts';
import type { Page } from './paging.ts';

/** What happened to one piece of software, and who did it, as the trail shows it. */
export interface ActivityEntry {
  at: string;
  type: string;
  actor: { agentId: string; name: string; role: Role } | null;
  detail: string;
  client?: { address: string | null; userAgent: string | null };
}

interface EntryRow {
  at: Date;
  key: string;
  type: string;
  agent_id: string | null;
  agent_name: string | null;
  agent_role: Role | null;
  data: Record<string, unknown> | null;
}

const CASE_EVENT_TYPES: Record<string, string> = {
  submitted: 'cancellation.filed',
  approved: 'refund_case.decided',
  rejected: 'refund_case.decided',
  info_requested: 'refund_case.decided',
  refund_issued: 'refund.issued',
};

const text = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function detailOf(row: EntryRow): string {
  const d = row.data ?? {};
  switch (row.type) {
    case 'order.placed':
      return `Order ${text(d.orderId)} placed (${text(d.total)} ${text(d.currency)}).`;
    case 'key.revealed':
      return 'The product key was shown.';
    case 'link.opened':
      return `A download window was opened for ${text(d.variant)}.`;
    case 'download.served':
      return `Download ${text(d.sequence)} of the window was served.`;
    case 'download.refused':
      return `A download was refused: the window ${text(d.reason) === 'revoked' ? 'was revoked' : text(d.reason) === 'downloads' ? 'had used all its downloads' : 'had expired'}.`;
    case 'link.expired':
      return text(d.reason) === 'downloads' ? `The window ended: all ${text(d.maxDownloads)} downloads used.` : `The window ended: its time ran out (${text(d.downloadsUsed)} of ${text(d.maxDownloads)} downloads used).`;
    case 'link.revoked':
      return 'The window was revoked (the purchase was cancelled).';
    case 'cancellation.filed':
      return `Cancellation filed: ${text(d.note)}`;
    case 'refund_case.decided':
      return `Support ${text(d.event) === 'info_requested' ? 'asked for more information' : text(d.event)}${d.note ? `: ${text(d.note)}` : '.'}`;
    case 'key.revoked':
      return 'The product key was revoked at the key authority.';
    case 'refund.issued':
      return text(d.note) || 'Refund issued.';
    default:
      return '';
  }
}

/**
 * The activity of one subscription, merged from the records each action leaves (the order, the
 * audit log, the windows and their downloads, the refund case's timeline, the key), oldest first.
 */
export function createActivityService(deps: { db: Db; customers: CustomerService }) {
  const { db, customers } = deps;

  return {
    async ofSubscription(caller: Caller, customerId: string, subscriptionId: string, page: PageRequest): Promise<Page<ActivityEntry>> {
      const customer = await customers.get(caller, customerId);
      const sub = await db.softwareSubscription.findFirst({ where: { id: subscriptionId, customerId: customer.id }, select: { id: true, orderId: true } });
      if (!sub) throw problems.notFound('software subscription');
      const cursor = page.cursor;
      if (cursor && cursor.list !== 'activity') throw problems.unprocessable('The cursor belongs to another list.', [{ path: 'query.cursor', message: 'not a cursor from this list' }]);
      const after = cursor && !Number.isNaN(Date.parse(cursor.at)) ? Prisma.sql`WHERE (e.at, e.key) > (${new Date(cursor.at)}::timestamptz, ${cursor.id})` : Prisma.empty;
      const caseTypes = Object.keys(CASE_EVENT_TYPES);
      const rows = await db.$queryRaw<EntryRow[]>`
        WITH entries AS (
          SELECT o.created_at AS at, 'order:' || o.id AS key, 'order.placed' AS type, o.created_by_agent_id AS agent_id,
                 jsonb_build_object('orderId', o.id, 'total', o.total_amount::text, 'currency', o.currency) AS data
            FROM orders o WHERE o.id = ${sub.orderId}::uuid
          UNION ALL
          SELECT a.at, 'audit:' || a.id, 'key.revealed', a.agent_id, NULL
            FROM audit_events a
           WHERE a.target_type = 'software_subscription' AND a.target_id = ${sub.id} AND a.action IN ('keys_and_downloads.get', 'product_key.reveal')
          UNION ALL
          SELECT l.created_at, 'link-open:' || l.id, 'link.opened', opened.agent_id,
                 jsonb_build_object('linkId', l.id, 'variant', v.version || ' / ' || v.language || ' / ' || v.file_type)
            FROM download_links l JOIN product_variants v ON v.id = l.variant_id
            LEFT JOIN audit_events opened ON opened.target_type = 'download_link' AND opened.target_id = l.id::text AND opened.action = 'download_link.open'
           WHERE l.subscription_id = ${sub.id}::uuid
          UNION ALL
          SELECT e.at, 'download:' || e.id, 'download.served', NULL,
                 jsonb_build_object('linkId', e.link_id, 'sequence', e.sequence, 'address', e.client_address, 'userAgent', e.user_agent)
            FROM download_events e JOIN download_links l ON l.id = e.link_id
           WHERE l.subscription_id = ${sub.id}::uuid
          UNION ALL
          SELECT a.at, 'audit:' || a.id, 'download.refused', NULL, a.data
            FROM audit_events a JOIN download_links l ON a.target_type = 'download_link' AND a.target_id = l.id::text
           WHERE l.subscription_id = ${sub.id}::uuid AND a.action = 'download.refuse'
          UNION ALL
          -- The workflow may record a window's end a moment before the API has stored the download
          -- that ended it: the end is shown after the window's last download, as it happened.
          SELECT GREATEST(l.ended_at, (SELECT max(de.at) FROM download_events de WHERE de.link_id = l.id)), 'link-end:' || l.id, CASE WHEN l.status = 'revoked' THEN 'link.revoked' ELSE 'link.expired' END, NULL,
                 jsonb_build_object('linkId', l.id, 'reason', COALESCE(l.end_reason::text, 'revoked'), 'downloadsUsed', l.downloads_used, 'maxDownloads', l.max_downloads)
            FROM download_links l
           WHERE l.subscription_id = ${sub.id}::uuid AND l.ended_at IS NOT NULL
          UNION ALL
          SELECT ev.at, 'case-event:' || ev.id, ev.type, ev.actor_agent_id, jsonb_build_object('refundCaseId', ev.case_id, 'event', ev.type, 'note', ev.note)
            FROM refund_case_events ev JOIN refund_cases c ON c.id = ev.case_id
           WHERE c.subscription_id = ${sub.id}::uuid AND ev.type = ANY(${caseTypes}::text[])
          UNION ALL
          SELECT k.revoked_at, 'key-revoked:' || k.id, 'key.revoked', NULL, NULL
            FROM product_keys k WHERE k.subscription_id = ${sub.id}::uuid AND k.revoked_at IS NOT NULL
        )
        SELECT e.at, e.key, e.type, e.agent_id, ag.name AS agent_name, ag.role AS agent_role, e.data
          FROM entries e LEFT JOIN agents ag ON ag.id = e.agent_id
          ${after}
         ORDER BY e.at, e.key
         LIMIT ${page.limit + 1}`;
      const more = rows.length > page.limit;
      const kept = more ? rows.slice(0, page.limit) : rows;
      const items = kept.map((r): ActivityEntry => {
        const type = CASE_EVENT_TYPES[r.type] ?? r.type;
        const row = { ...r, type };
        const entry: ActivityEntry = {
          at: r.at.toISOString(),
          type,
          actor: r.agent_id && r.agent_name && r.agent_role ? { agentId: r.agent_id, name: r.agent_name, role: r.agent_role } : null,
          detail: detailOf(row),
        };
        if (type === 'download.served' || type === 'download.refused') {
          entry.client = { address: truncatedAddress(text(r.data?.address) || null), userAgent: text(r.data?.userAgent) || null };
        }
        return entry;
      });
      const last = kept[kept.length - 1];
      return { items, ...(more && last ? { next: encodeCursor({ list: 'activity', at: last.at.toISOString(), id: last.key }) } : {}) };
    },
  };
}
