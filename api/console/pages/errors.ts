import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

export function errorPage(session: ConsoleSession | undefined, status: number, title: string, detail: string): Html {
  return page({ title, session }, html`<p class="problem" data-status="${status}">${detail}</p><p><a href="/console">Back to the console</a></p>`);
}
