import type { Request } from 'express';

/**
 * What a download request asks for, read once from its method and headers:
 * - `head`: the headers of a GET; counts nothing (link scanners and previews send HEAD).
 * - `whole` / a range from byte 0: a download starts, and is counted.
 * - a range that starts later: a download resumes (see claimResumedBytes for what it may take).
 * - `unsatisfiable`: 416, counts nothing.
 * Several ranges, a malformed Range or an If-Range that no longer matches are answered with the
 * whole file (RFC 9110 lets a server ignore Range), and counted as such.
 */
export type DownloadAsk = { kind: 'head' } | { kind: 'whole' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

export function readDownloadAsk(req: Request, size: number, etag: string | undefined): DownloadAsk {
  if (req.method === 'HEAD') return { kind: 'head' };
  if (!req.get('Range')) return { kind: 'whole' };
  const ifRange = req.get('If-Range');
  if (ifRange && ifRange !== etag) return { kind: 'whole' };
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges === -2 || ranges === undefined || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'whole' };
  return { kind: 'range', start: ranges[0]!.start, end: ranges[0]!.end };
}

/** A resume: a range that does not start at the first byte. */
export const isResume = (ask: DownloadAsk): ask is { kind: 'range'; start: number; end: number } => ask.kind === 'range' && ask.start > 0;

export const rangeLength = (ask: { start: number; end: number }) => ask.end - ask.start + 1;
