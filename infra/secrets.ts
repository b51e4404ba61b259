import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../common/config.ts';
import { newKeyRingSpec } from './payload-codec.ts';

export interface ResolvedSecrets {
  paymentWebhook: string;
  linkToken: string;
  /** The payload encryption key ring (PAYLOAD_ENCRYPTION_KEYS format). */
  payloadKeys: string;
  /** Derives the demo data's API keys, so `seed:demo` prints the same working keys every time. */
  demoSeed: string;
}

type Stored = Partial<ResolvedSecrets>;

/**
 * Secrets come from the environment. Outside production, a missing one is generated once and kept
 * in DATA_DIR/secrets.json (mode 0600), so the embedded default works with no set-up and keeps
 * working across restarts. In production a missing secret stops the process.
 */
export function resolveSecrets(config: Config): ResolvedSecrets {
  const fromEnv = { paymentWebhook: config.secrets.paymentWebhook, linkToken: config.secrets.linkToken, payloadKeys: config.secrets.payloadKeys };
  if (config.env === 'production') {
    const missing = [!fromEnv.paymentWebhook && 'PAYMENT_WEBHOOK_SECRET', !fromEnv.linkToken && 'LINK_TOKEN_SECRET', !fromEnv.payloadKeys && 'PAYLOAD_ENCRYPTION_KEYS'].filter(Boolean);
    if (missing.length) throw new ConfigError(`Invalid configuration:\n  - ${missing.join(', ')} must be set in production`);
  }
  const file = path.join(config.dataDir, 'secrets.json');
  const stored: Stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Stored) : {};
  const generate = () => randomBytes(32).toString('base64url');
  const merged: ResolvedSecrets = {
    paymentWebhook: stored.paymentWebhook ?? generate(),
    linkToken: stored.linkToken ?? generate(),
    payloadKeys: stored.payloadKeys ?? newKeyRingSpec(),
    demoSeed: stored.demoSeed ?? generate(),
  };
  if (!stored.paymentWebhook || !stored.linkToken || !stored.demoSeed || !stored.payloadKeys) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    paymentWebhook: fromEnv.paymentWebhook ?? merged.paymentWebhook,
    linkToken: fromEnv.linkToken ?? merged.linkToken,
    payloadKeys: fromEnv.payloadKeys ?? merged.payloadKeys,
    demoSeed: merged.demoSeed,
  };
}
