import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

export function errorPage(session: ConsoleSession | undefined, status: number, title: string, detail: string): Html {
  return page({ title, session }, html`<p class="problem" data-status="${status}">${detail}</p><p><a href="/console">Back to the console</a></p>`);
}

/** What a browser shows for a download link that has ended (the answer is still 410). */
export function endedLinkPage(reason: 'time' | 'downloads' | 'revoked'): Html {
  const why = { time: 'Its 14 days have passed.', downloads: 'All of its downloads have been used.', revoked: 'The purchase was cancelled, so the link was revoked.' }[reason];
  const next =
    reason === 'revoked'
      ? html`<p>This software can no longer be downloaded.</p>`
      : html`<p>Ask your partner for a new link: an admin agent can open a new download window at any time with <strong>Get keys and downloads</strong>.</p>`;
  return page({ title: 'This download link has ended' }, html`<p class="problem" data-status="410" data-reason="${reason}">${why}</p>${next}`);
}
