import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';

type Headers = Record<string, string>;

/** A JSON answer (the body is omitted when undefined: `null` is written). */
export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Headers;
}

/** A redirect, e.g. to the file in object storage. */
export interface RedirectReply {
  status: 302;
  redirect: string;
  headers?: Headers;
}

/** A file, whole or a byte range of it; `headersOnly` answers a HEAD. */
export interface FileReply {
  status: 200 | 206;
  headers: Headers;
  file: { path: string; range?: { start: number; end: number } };
  headersOnly?: boolean;
}

/** A body of unknown length written as it is produced (exports), with backpressure. */
export interface StreamReply {
  status: 200;
  headers: Headers;
  stream: Readable;
}

/** What a route's handler answers; only the router writes it to the response. */
export type Reply = JsonReply | RedirectReply | FileReply | StreamReply;

export async function writeReply(res: Response, reply: Reply): Promise<void> {
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if ('redirect' in reply) return void res.redirect(reply.status, reply.redirect);
  if ('stream' in reply) {
    res.status(reply.status);
    // A failure part-way cuts the response short (pipeline destroys it): a client never takes a
    // truncated export for a whole one, since CSV and NDJSON bodies carry no length.
    return pipeline(reply.stream, res);
  }
  if (!('file' in reply)) return void res.status(reply.status).json(reply.body ?? null);
  res.status(reply.status);
  if (reply.headersOnly) return void res.end();
  const { path, range } = reply.file;
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, range ?? {})
      .on('error', reject)
      .pipe(res)
      .on('finish', resolve)
      .on('error', reject);
  });
}
