import type { Request, Response } from 'express';
import multer from 'multer';
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../../common/schemas.ts';

// Forms with files (the cancellation ticket's attachments) arrive as multipart/form-data, which
// express.urlencoded leaves alone. multer reads them into memory within the API's own limits, so
// no file larger than a ticket may carry is ever buffered whole.

declare module 'express-serve-static-core' {
  interface Locals {
    /** Why the files of a form were not taken (too large, too many), in the form's words. */
    uploadProblem?: string;
  }
}

const MIB = 1024 * 1024;
const parse = multer({
  storage: multer.memoryStorage(),
  // Browsers send a file name as raw UTF-8; busboy would read it as Latin-1 without this.
  defParamCharset: 'utf8',
  limits: { files: MAX_ATTACHMENTS, fileSize: MAX_ATTACHMENT_BYTES, fields: 50, fieldSize: 64 * 1024, parts: 50 + MAX_ATTACHMENTS },
}).array('attachments', MAX_ATTACHMENTS);

function plain(err: multer.MulterError): string {
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      // multer 2 names the file; its types do not declare it yet.
      return `${(err as { filename?: string }).filename ?? 'a file'} is larger than ${MAX_ATTACHMENT_BYTES / MIB} MiB, the most a file may be`;
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return `attach at most ${MAX_ATTACHMENTS} files`;
    default:
      return 'the form is larger than it may be';
  }
}

/**
 * Reads a multipart form once the session is known (never for a stranger). A file over the limits
 * becomes `res.locals.uploadProblem`, not an error page, so the form comes back with it beside the
 * field; the fields before the files (the form puts them first) are still read.
 */
export function readMultipart(req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    parse(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError) {
        res.locals.uploadProblem = plain(err);
        return resolve();
      }
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      resolve();
    });
  });
}

/** The files a form carried, as the API's attachments; a file input left empty sends a nameless empty part. */
export function attachmentsOf(req: Request): { fileName: string; contentType: string; contentBase64: string }[] {
  const files = Array.isArray(req.files) ? req.files : [];
  return files.filter((f) => f.originalname !== '' || f.size > 0).map((f) => ({ fileName: f.originalname, contentType: f.mimetype, contentBase64: f.buffer.toString('base64') }));
}

const TYPE_NAMES: Record<(typeof ATTACHMENT_TYPES)[number], string> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'text/plain': 'plain text',
  'text/csv': 'CSV',
};
/** What the file field says it takes, from the one list the API checks. */
export const ACCEPTED_TYPES = Object.values(TYPE_NAMES).join(', ').replace(/, ([^,]+)$/, ' or $1');
export const ACCEPT_ATTRIBUTE = [...ATTACHMENT_TYPES, '.pdf', '.png', '.jpg', '.jpeg', '.txt', '.csv'].join(',');

/** The API's complaint about a file's `part` (contentType, contentBase64, fileName; none: the list itself), said of that file. */
export function attachmentProblem(fileName: string, part: string, message: string): string {
  if (part === 'contentType') return `${fileName} is not a file of an accepted type (${ACCEPTED_TYPES})`;
  if (part === 'contentBase64') return `${fileName} is larger than ${MAX_ATTACHMENT_BYTES / MIB} MiB, the most a file may be`;
  if (part === 'fileName') return `the name ${JSON.stringify(fileName)} cannot be kept: ${message}`;
  return `attach at most ${MAX_ATTACHMENTS} files`;
}
