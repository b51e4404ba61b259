import { html, type Fragment, type Html } from './html.ts';

// How a console list sorts and pages: the same `sort` and `cursor` the API takes, as links, so a
// sorted page can be bookmarked, reloaded and read without JavaScript.

/** How many rows a console list shows at a time: enough to scan, few enough to read on a phone. */
export const CONSOLE_PAGE = 50;

/** A list page's address: its path and its query, without the empty values. */
export function listHref(path: string, query: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface ListState {
  path: string;
  /** The filters in force, carried by every sort and page link. */
  filters: Readonly<Record<string, string | number | undefined>>;
  /** The sort in force (`col` or `-col`), or undefined for the list's own order. */
  sort: string | undefined;
  /** The list's own order, when no sort is given. */
  byDefault: string;
}

/**
 * A column header that sorts: a link to the list sorted by it (ascending first, then the other way),
 * with `aria-sort` on the column in force so a screen reader says how the table is ordered.
 */
export function sortHeader(state: ListState, column: string, label: Fragment): Html {
  const current = state.sort ?? state.byDefault;
  const ascending = current === column;
  const descending = current === `-${column}`;
  const next = ascending ? `-${column}` : column;
  const ariaSort = ascending ? 'ascending' : descending ? 'descending' : 'none';
  const arrow = ascending ? '▲' : descending ? '▼' : '';
  return html`<th scope="col" aria-sort="${ariaSort}"><a class="sort" href="${listHref(state.path, { ...state.filters, sort: next === state.byDefault ? undefined : next })}">${label}${arrow ? html` <span aria-hidden="true">${arrow}</span>` : ''}<span class="visually-hidden">, sort ${ascending ? 'descending' : 'ascending'}</span></a></th>`;
}

/** How a list's order reads in its caption: its own order's words, or "by amount requested, descending". */
export function sortSaid(state: ListState, labels: Readonly<Record<string, string>>, ownOrder: string): string {
  const sort = state.sort ?? state.byDefault;
  if (sort === state.byDefault) return ownOrder;
  const column = sort.replace(/^-/, '');
  return `by ${(labels[column] ?? column).toLowerCase()}, ${sort.startsWith('-') ? 'descending' : 'ascending'}`;
}

/** The links under a list: back to its first page, and on to the next while more remain. */
export function pager(state: ListState, page: { next?: string; onFirstPage: boolean }): Fragment {
  if (!page.next && page.onFirstPage) return '';
  const here = { ...state.filters, sort: state.sort };
  return html`<nav class="pager" aria-label="Pages">${page.onFirstPage ? '' : html`<a href="${listHref(state.path, here)}">First page</a>`}${page.next ? html`<a href="${listHref(state.path, { ...here, cursor: page.next })}" rel="next">Next page</a>` : html`<span>Last page</span>`}</nav>`;
}
