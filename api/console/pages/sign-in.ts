import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';

export function signInPage(csrf: string, options: { error?: string; next?: string } = {}): Html {
  return page(
    { title: 'Sign in', notice: options.error ? { kind: 'error', text: options.error } : undefined },
    html`<p>Sign in with your API key. The console keeps a session cookie; the key itself is not stored in the browser.</p>
<form method="post" action="/console/sign-in" class="stack narrow">
<input type="hidden" name="_csrf" value="${csrf}">
${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ''}
<div><label for="apiKey">API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="off" spellcheck="false" required maxlength="200" placeholder="csp_…" autofocus></div>
<button type="submit">Sign in</button>
</form>`,
  );
}
