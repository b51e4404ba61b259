import type { Express } from 'express';
import { PROBLEM_TYPE_NAMES, PROBLEM_TYPES, type ProblemType } from '../common/problem-types.ts';
import { html, type Html } from './console/html.ts';
import { problems } from './problem.ts';

// The page at each problem's `type` URL: what it means, its extra members, whether to retry.
// Server-rendered from the same catalog the answers use, so a page never describes another answer.

function shell(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1f2328}code{font-size:.92em}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}</style>
</head>
<body><main>${body}</main></body>
</html>`.value;
}

function typePage(name: ProblemType): string {
  const doc = PROBLEM_TYPES[name];
  const fields: Record<string, string> = 'fields' in doc ? doc.fields : {};
  return shell(
    `${doc.title} (${doc.status})`,
    html`<p><a href="/problems">All problem types</a></p>
<h1>${doc.title}</h1>
<p>HTTP status <strong>${doc.status}</strong> · type <code>/problems/${name}</code></p>
<h2>What it means</h2><p>${doc.meaning}</p>
<h2>Retry?</h2><p>${doc.retry}</p>
<h2>Members</h2>
<table><thead><tr><th scope="col">member</th><th scope="col">holds</th></tr></thead><tbody>
<tr><td><code>type</code>, <code>title</code>, <code>status</code></td><td>this page’s URL, “${doc.title}”, ${doc.status}</td></tr>
<tr><td><code>detail</code></td><td>what happened this time, in words for a person (do not parse it)</td></tr>
<tr><td><code>instance</code></td><td>the path that was called</td></tr>
${Object.entries(fields).map(([k, v]) => html`<tr><td><code>${k}</code></td><td>${v}</td></tr>`)}
</tbody></table>`,
  );
}

function indexPage(): string {
  return shell(
    'Problem types',
    html`<h1>Problem types</h1>
<p>Every error is <code>application/problem+json</code> (RFC 9457) with one of these types. Branch on <code>type</code>, never on <code>detail</code>.</p>
<table><thead><tr><th scope="col">type</th><th scope="col">status</th><th scope="col">meaning</th></tr></thead><tbody>
${PROBLEM_TYPE_NAMES.map((name) => html`<tr><td><a href="/problems/${name}"><code>${name}</code></a></td><td>${PROBLEM_TYPES[name].status}</td><td>${PROBLEM_TYPES[name].meaning}</td></tr>`)}
</tbody></table>`,
  );
}

const isType = (name: string): name is ProblemType => Object.hasOwn(PROBLEM_TYPES, name);

/** `/problems` and `/problems/<type>`: a page for a person, the catalog entry as JSON for a program. */
export function mountProblemPages(app: Express): void {
  app.get('/problems', (req, res) => {
    if (req.accepts(['text/html', 'application/json']) === 'application/json') return void res.json(PROBLEM_TYPES);
    res.type('html').send(indexPage());
  });
  app.get('/problems/:name', (req, res, next) => {
    const name = req.params.name;
    if (!isType(name)) return next(problems.notFound('problem type'));
    if (req.accepts(['text/html', 'application/json']) === 'application/json') return void res.json({ type: name, ...PROBLEM_TYPES[name] });
    res.type('html').send(typePage(name));
  });
}
