import type { Request } from 'express';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import type { z } from 'zod';
import type { Reply } from '../reply.ts';
import { Readable } from 'node:stream';
import type { Page } from '../services/paging.ts';

/** A list's columns in its CSV export: each column's header and how it reads a row. */
export type CsvColumns<T> = { header: string; get: (row: T) => unknown }[];

/** Columns that are the row's own fields, under their names. */
export function fieldColumns<T>(...keys: (keyof T & string)[]): CsvColumns<T> {
  return keys.map((key) => ({ header: key, get: (row: T) => row[key] }));
}

export interface ListAnswer<T> {
  req: Request;
  page: () => Promise<Page<T>>;
  /** Lists that export: every row of the filtered set, streamed, and the file name. */
  export?: { name: string; columns: CsvColumns<T>; rows: () => AsyncIterable<T> };
}

const CSV = 'text/csv';
const NDJSON = 'application/x-ndjson';

/**
 * A list's answer: a page as a JSON array with `Link: <…>; rel="next"` while more remain; for
 * `Accept: text/csv` (RFC 4180, a header row) or `application/x-ndjson`, the whole filtered set,
 * streamed in bounded memory.
 */
export async function listReply<T>({ req, page, export: exp }: ListAnswer<T>): Promise<Reply> {
  const wanted = exp ? req.accepts(['application/json', CSV, NDJSON]) : 'application/json';
  if (exp && (wanted === CSV || wanted === NDJSON)) {
    const disposition = `attachment; filename="${exp.name}.ndjson"`;
    if (wanted === CSV) return csvReply(exp.name, exp.columns, exp.rows());
    const lines = Readable.from(
      (async function* () {
        for await (const row of exp.rows()) yield `${JSON.stringify(row)}\n`;
      })(),
    );
    return { status: 200, headers: { 'Content-Type': `${NDJSON}; charset=utf-8`, 'Content-Disposition': disposition }, stream: lines };
  }
  const { items, next } = await page();
  if (!next) return { status: 200, body: items };
  const url = new URL(req.originalUrl, 'http://x');
  url.searchParams.set('cursor', next);
  return { status: 200, body: items, headers: { Link: `<${url.pathname}${url.search}>; rel="next"` } };
}

/**
 * The answers every list declares: the page and 422 for a bad limit or cursor. A list that exports
 * passes its CSV columns, and documents its export formats with the page's example rows in each.
 */
export function listResponses<T>(description: string, schema: z.ZodType<T[]>, columns?: CsvColumns<T>) {
  const exports = columns && ((example: unknown) => {
    const rows = schema.parse(example);
    return {
      [CSV]: stringifySync(rows.map((row) => columns.map((c) => c.get(row) ?? '')), { ...CSV_OPTIONS, columns: columns.map((c) => c.header) }),
      [NDJSON]: rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
    };
  });
  return {
    200: { description: `${description}, one page (limit, cursor; Link rel="next" while more remain)${exports ? '; with Accept: text/csv or application/x-ndjson, the whole filtered set' : ''}`, schema, headers: ['Link'] as const, exports },
    422: { description: 'A bad limit (1–500) or cursor (take it from the Link header), or a bad filter' },
  };
}

const CSV_OPTIONS = { header: true, record_delimiter: '\r\n', cast: { boolean: (b: boolean) => String(b), object: (o: object) => JSON.stringify(o) } };

/** Every row as CSV (RFC 4180: a header row, CRLF, quoting by csv-stringify), streamed. */
export function csvReply<T>(name: string, columns: CsvColumns<T>, rows: AsyncIterable<T>): Reply {
  const source = Readable.from(
    (async function* () {
      for await (const row of rows) yield columns.map((c) => c.get(row) ?? '');
    })(),
    { objectMode: true },
  );
  const csv = source.pipe(stringify({ ...CSV_OPTIONS, columns: columns.map((c) => c.header) }));
  source.on('error', (err) => csv.destroy(err));
  return { status: 200, headers: { 'Content-Type': 'text/csv; charset=utf-8; header=present', 'Content-Disposition': `attachment; filename="${name}.csv"` }, stream: csv };
}
