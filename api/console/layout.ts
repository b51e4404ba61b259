import { ACCESS } from '../../common/access.ts';
import type { Role } from '../../common/domain.ts';
import type { ConsoleSession } from './sessions.ts';
import { html, type Fragment, type Html } from './html.ts';

export const ROLE_NAMES: Record<Role, string> = {
  admin_agent: 'admin agent',
  sales_agent: 'sales agent',
  support_engineer: 'support engineer',
  operations: 'operations',
};

/** What each role finds in the navigation; the routes enforce the same rules. */
export const NAV: { href: string; label: string; roles: readonly Role[] }[] = [
  { href: '/console/refund-cases', label: 'Refund cases', roles: ACCESS.readRefundCases },
  { href: '/console/operations', label: 'Operations', roles: ACCESS.operate },
  { href: '/console/customers', label: 'Customers', roles: ACCESS.partnerStaff },
  { href: '/console/webhooks', label: 'Webhooks', roles: ACCESS.manageWebhooks },
];

export interface PageOptions {
  title: string;
  session?: ConsoleSession;
  /** The navigation entry to mark as current. */
  current?: string;
  notice?: { kind: 'success' | 'error'; text: Fragment };
}

export function page(options: PageOptions, body: Fragment): Html {
  const { title, session, current, notice } = options;
  const nav = session
    ? NAV.filter((n) => n.roles.includes(session.caller.role)).map(
        (n) => html`<li><a href="${n.href}"${current === n.href ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )
    : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · CSP console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <p class="brand"><a href="/console">CSP on-premises console</a></p>
  ${session
    ? html`<nav aria-label="Main"><ul>${nav}</ul></nav>
  <form method="post" action="/console/sign-out" class="who">
    <span>${session.agentName} · ${ROLE_NAMES[session.caller.role]}</span>
    ${csrfField(session)}
    <button type="submit">Sign out</button>
  </form>`
    : ''}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${notice ? html`<div class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}</div>` : ''}
${body}
</main>
</body>
</html>`;
}

export const csrfField = (session: ConsoleSession) => html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;

/** A list of field errors, each pointing at its input. */
export function errorSummary(errors: { path: string; message: string }[] | undefined): Fragment {
  if (!errors?.length) return '';
  return html`<ul class="field-errors">${errors.map((e) => html`<li><strong>${e.path}</strong>: ${e.message}</li>`)}</ul>`;
}

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** Each unit from the age it starts at (moment.js's thresholds: 45 minutes reads "in 1 hour", 22 hours "in 1 day"). */
const UNITS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ['day', 86_400, 22 * 3600],
  ['hour', 3600, 45 * 60],
  ['minute', 60, 45],
];

/** How long ago (or from now) a time is, in the largest unit that fits: "3 hours ago", "in 12 days". */
export function relativeAge(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const size = Math.abs(seconds);
  const found = UNITS.find(([, , from]) => size >= from);
  if (!found) return seconds <= 0 ? 'just now' : 'in under a minute';
  const [unit, per] = found;
  return RELATIVE.format(Math.round(seconds / per), unit);
}

/** A time as every page shows one: UTC to the minute, and its relative age beside it. */
export const dateTime = (iso: string | null | undefined) =>
  iso ? html`<time datetime="${iso}" title="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time> <span class="age">(${relativeAge(iso)})</span>` : '—';

export const statusBadge = (status: string) => html`<span class="badge status-${status}">${status.replaceAll('_', ' ')}</span>`;

export const money = (m: { amount: string; currency: string } | null | undefined) => (m ? `${m.amount} ${m.currency}` : '—');

/**
 * A refused form's errors, in the console's one way: a list that is announced and takes focus
 * (console.js) with each item linking to its field, and each field marked and described beside
 * it. `errors` name the form's own field ids and say what is wrong in the form's words.
 */
export function formProblems(intro: string, errors: { field: string; text: string; label?: string }[] | undefined) {
  const list = errors ?? [];
  const of = (field: string) => list.find((e) => e.field === field);
  return {
    summary: list.length ? html`<div class="notice error" role="alert" id="form-errors" tabindex="-1"><p>${intro}</p><ul>${list.map((e) => html`<li><a href="#${e.field}">${e.label ? `${e.label}: ` : ''}${e.text}</a></li>`)}</ul></div>` : '',
    /** The attributes that mark a field and point at its message. */
    invalid: (field: string): Fragment => (of(field) ? html` aria-invalid="true" aria-describedby="${field}-error"` : ''),
    /** The message, beside its field. */
    beside: (field: string): Fragment => (of(field) ? html`<p class="field-error" id="${field}-error">${of(field)!.text}</p>` : ''),
  };
}
