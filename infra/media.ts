import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

export interface MediaFile {
  path: string;
  size: number;
  sha256Hex: string;
}

/**
 * The embedded default's stand-in for object storage: installation media generated once per
 * variant on local disk (deterministic bytes of the catalog's size), with its SHA-256 beside it.
 */
const pending = new Map<string, Promise<MediaFile>>();

export function ensureMediaFile(dir: string, variant: { id: string; fileName: string; sizeBytes: number }): Promise<MediaFile> {
  const key = path.join(dir, variant.id, variant.fileName);
  let job = pending.get(key);
  if (!job) {
    // Concurrent first downloads of a variant share one generation.
    job = generate(dir, variant).finally(() => pending.delete(key));
    pending.set(key, job);
  }
  return job;
}

async function generate(dir: string, variant: { id: string; fileName: string; sizeBytes: number }): Promise<MediaFile> {
  const folder = path.join(dir, variant.id);
  const file = path.join(folder, variant.fileName);
  const sumFile = `${file}.sha256`;
  if (existsSync(file) && existsSync(sumFile)) {
    return { path: file, size: variant.sizeBytes, sha256Hex: readFileSync(sumFile, 'utf8').trim() };
  }
  mkdirSync(folder, { recursive: true });
  const hash = createHash('sha256');
  const header = Buffer.from(`Demo installation media for ${variant.fileName} (variant ${variant.id})\n`);
  function* chunks() {
    let written = 0;
    let counter = 0;
    while (written < variant.sizeBytes) {
      const block = written === 0 ? header : createHash('sha256').update(`${variant.id}:${counter++}`).digest();
      const piece = block.subarray(0, Math.min(block.length, variant.sizeBytes - written));
      written += piece.length;
      hash.update(piece);
      yield piece;
    }
  }
  const tmp = `${file}.${randomUUID()}.tmp`;
  await pipeline(Readable.from(chunks()), createWriteStream(tmp));
  const sha256Hex = hash.digest('hex');
  renameSync(tmp, file);
  writeFileSync(sumFile, `${sha256Hex}\n`);
  return { path: file, size: variant.sizeBytes, sha256Hex };
}
