import { z } from 'zod';

// What every list takes: `limit` and an opaque `cursor` naming where the previous page ended.

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

/** Where a page ended: the list it belongs to, the last row's sort value and its id. */
export interface Cursor {
  list: string;
  at: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.list, cursor.at, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3) {
      const [list, at, id] = value as unknown[];
      if (typeof list === 'string' && typeof at === 'string' && typeof id === 'string') return { list, at, id };
    }
  } catch {
    // not base64url JSON: answered as a bad cursor below
  }
  return undefined;
}

export const pageShape = {
  limit: z.coerce.number().int('limit must be a whole number').min(1).max(MAX_PAGE).default(DEFAULT_PAGE).describe(`Rows per page, 1–${MAX_PAGE} (default ${DEFAULT_PAGE})`),
  cursor: z
    .string()
    .max(1000)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'not a cursor from a previous page of this list (take it from the Link header)' });
      return cursor ?? z.NEVER;
    })
    .optional()
    .describe('Where the previous page ended: take the whole next URL from its Link header rather than building it'),
};
export const pageQuery = z.strictObject(pageShape);
export type PageRequest = { limit: number; cursor?: Cursor };
