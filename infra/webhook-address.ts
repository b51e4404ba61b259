import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/*
 * Where a partner's webhook may point. In production only https to public addresses: a URL that
 * resolves to loopback, a private network, link-local (cloud metadata at 169.254.169.254) or any
 * other special range would let a partner make us call our own internal services. The address is
 * checked at registration and again inside every connection's DNS lookup, so a name that resolves
 * to a public address at registration and to an internal one later (DNS rebinding) is refused at
 * the attempt. WEBHOOK_ALLOW_PRIVATE_URLS=true (the embedded default) lifts both rules, so that a
 * receiver on the same machine works.
 */

export class WebhookUrlRefused extends Error {
  override name = 'WebhookUrlRefused';
}

/** A unicast address on the public internet (IPv4-mapped IPv6 judged as its IPv4 address). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
  return ip.range() === 'unicast';
}

/** The URL's form, without resolving it: the scheme, no credentials, no literal internal address. */
export function checkWebhookUrlForm(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('The url is not an absolute URL.');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new WebhookUrlRefused(allowPrivate ? 'The url must use https or http.' : 'The url must use https.');
  }
  if (url.username || url.password) throw new WebhookUrlRefused('The url must not carry a user name or password; the signature authenticates us.');
  if (url.hash) throw new WebhookUrlRefused('The url must not have a #fragment.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && !isPublicAddress(host)))) {
    throw new WebhookUrlRefused(`The url points to a private or loopback address (${host}); only public addresses receive webhooks.`);
  }
  return url;
}

/** The form, and (unless private URLs are allowed) every address the host resolves to now. */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = checkWebhookUrlForm(raw, allowPrivate);
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await dns.lookup(host, { all: true });
  } catch {
    throw new WebhookUrlRefused(`The host ${host} could not be resolved.`);
  }
  const internal = addresses.find((a) => !isPublicAddress(a.address));
  if (internal) throw new WebhookUrlRefused(`The host ${host} resolves to a private or loopback address (${internal.address}); only public addresses receive webhooks.`);
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses internal addresses at connection time (unless allowed). */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const usable = allowPrivate ? list : list.filter((a) => isPublicAddress(a.address));
      if (usable.length === 0) {
        const refused: NodeJS.ErrnoException = new WebhookUrlRefused(`${hostname} resolves to no public address (${list.map((a) => a.address).join(', ')})`);
        refused.code = 'EWEBHOOKADDRESS';
        return callback(refused, []);
      }
      if (options.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}
