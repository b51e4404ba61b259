import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The project's root folder, wherever the process was started from. */
export const PROJECT_ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const TOOLS_VENV_BIN = path.join(PROJECT_ROOT, '.tools', 'venv', 'bin');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma', 'migrations');
