/**
 * Where a review's own webhook may be POSTed. A review's webhook URLs come from whoever started it, and the
 * worker POSTs from inside its network for up to ~40 minutes of retries, reporting failures in the audit trail:
 * without limits that is a blind SSRF with an oracle (169.254.169.254, metadata.google.internal, [::1],
 * 0x7f000001, 10.0.0.5 were all accepted — issue 13, finding 4). So, for review webhooks only (the operator's
 * WEBHOOK_URLS are trusted configuration):
 *
 * - the host must be on WEBHOOK_ALLOWED_HOSTS (`hooks.slack.com`, `*.example.gov`, or an IP literal); unset,
 *   no review webhook is posted;
 * - the name is resolved once and every address it resolves to must be public: loopback, private, link-local,
 *   CGNAT, unique-local, multicast and unspecified addresses are refused unless the allow-list names that
 *   address literally (`127.0.0.1`, `10.0.0.5`, `[::1]`) and the URL uses it;
 * - the connection goes to the address that was checked (the lookup is pinned), so a second DNS answer cannot
 *   swap in an internal address between check and connect.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an address is not on the public internet. IPv4-mapped IPv6 (::ffff:10.0.0.5) is judged as IPv4. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** WEBHOOK_ALLOWED_HOSTS: comma-separated host names, `*.suffix` wildcards and IP literals (IPv6 with or without brackets). */
export function parseAllowedHosts(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter((h) => h !== '');
}

export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

const bare = (host: string): string => host.toLowerCase().replace(/^\[|\]$/g, '');

/** Whether the URL's host is on the allow-list (exact, or under a `*.` suffix; IP literals only exactly). */
export function hostAllowed(host: string, allowed: string[]): boolean {
  const h = bare(host);
  return allowed.some((entry) => entry === h || (entry.startsWith('*.') && isIP(h) === 0 && h.endsWith(entry.slice(1))));
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;
const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The addresses to connect to for a review webhook, checked; throws TargetRefused saying why (never retried).
 * `0x7f000001`, `2130706433` and the like are normalised by the URL parser to 127.0.0.1 before this sees them.
 */
export async function checkedAddresses(url: URL, allowed: string[], resolve: Resolver = systemResolver): Promise<LookupAddress[]> {
  const host = bare(url.hostname);
  if (!hostAllowed(host, allowed)) throw new TargetRefused(`host ${host} is not on WEBHOOK_ALLOWED_HOSTS`);
  const literal = isIP(host);
  if (literal !== 0) return [{ address: host, family: literal }]; // named literally on the list: allowed whatever its range
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (e) {
    throw new TargetRefused(`host ${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const internal = addresses.filter((a) => isInternalAddress(a.address));
  if (addresses.length === 0 || internal.length > 0) {
    throw new TargetRefused(`host ${host} resolves to an internal address (${internal.map((a) => a.address).join(', ') || 'none'}); list the address itself on WEBHOOK_ALLOWED_HOSTS to allow it`);
  }
  return addresses;
}

/** A `lookup` for http.request that answers only with the checked addresses (no second resolution). */
export function pinnedLookup(addresses: LookupAddress[]) {
  return (_host: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}
