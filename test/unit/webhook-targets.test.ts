/**
 * Where a review's own webhook may go (issue 13, finding 4): the allow-list, and the addresses a name resolves
 * to, checked before connecting. The hostile URLs of the finding, parsed as the worker parses them. The resolver
 * is injected only where a public or an internal answer must be made up; a real POST to loopback is refused or
 * delivered by the real code path in the last test.
 */
import { checkedAddresses, hostAllowed, isInternalAddress, parseAllowedHosts, TargetRefused } from '../../activities/webhook-targets';
import { postSigned } from '../../activities/webhooks';
import { HookServer } from '../support/hook-server';

const refusal = async (url: string, allowed: string[], resolve?: (h: string) => Promise<{ address: string; family: number }[]>): Promise<string> => {
  const e = await checkedAddresses(new URL(url), allowed, resolve).then(() => null, (err: unknown) => err);
  if (!(e instanceof TargetRefused)) throw new Error(`expected a refusal for ${url}, got ${String(e)}`);
  return e.message;
};

test('internal ranges, IPv4 and IPv6, mapped addresses included', () => {
  for (const a of ['127.0.0.1', '10.0.0.5', '172.16.3.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.5', '::ffff:127.0.0.1', 'not-an-ip']) {
    expect(`${a} ${isInternalAddress(a)}`).toBe(`${a} true`);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(`${a} ${isInternalAddress(a)}`).toBe(`${a} false`);
});

test('the allow-list: exact names, *.suffix wildcards, IP literals; nothing when unset', async () => {
  const allowed = parseAllowedHosts(' hooks.slack.com, *.example.gov ,[::1], 10.0.0.5');
  expect(allowed).toEqual(['hooks.slack.com', '*.example.gov', '::1', '10.0.0.5']);
  expect(hostAllowed('hooks.slack.com', allowed)).toBe(true);
  expect(hostAllowed('chat.example.gov', allowed)).toBe(true);
  expect(hostAllowed('example.gov.evil.example', allowed)).toBe(false);
  expect(hostAllowed('evilexample.gov', allowed)).toBe(false);
  expect(await refusal('https://hooks.slack.com/x', [])).toMatch(/not on WEBHOOK_ALLOWED_HOSTS/);
});

test('the finding\'s targets are refused, with reasons', async () => {
  const allowed = ['hooks.example.gov', 'metadata.google.internal', '*.example.gov'];
  for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/', 'http://0x7f000001/', 'http://2130706433/', 'http://10.0.0.5/']) {
    expect(await refusal(url, allowed)).toMatch(/not on WEBHOOK_ALLOWED_HOSTS/);
  }
  // Allowed by name, but resolving inside: refused after resolution.
  const internal = async () => [{ address: '169.254.169.254', family: 4 }];
  expect(await refusal('http://metadata.google.internal/computeMetadata/v1/', allowed, internal)).toMatch(/resolves to an internal address \(169\.254\.169\.254\)/);
  const mixed = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }];
  expect(await refusal('https://hooks.example.gov/x', allowed, mixed)).toMatch(/10\.1\.2\.3/);
  const missing = async () => { throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' }); };
  expect(await refusal('https://chat.example.gov/x', allowed, missing)).toMatch(/does not resolve \(ENOTFOUND\)/);
  const publicAnswer = async () => [{ address: '93.184.216.34', family: 4 }];
  expect(await checkedAddresses(new URL('https://hooks.example.gov/x'), allowed, publicAnswer)).toEqual([{ address: '93.184.216.34', family: 4 }]);
});

test('an internal address named literally on the list is allowed; the POST goes to the checked address', async () => {
  const hooks = await HookServer.start();
  try {
    const url = hooks.url('/review');
    expect(await refusal(url, ['localhost'])).toMatch(/not on WEBHOOK_ALLOWED_HOSTS/);
    const addresses = await checkedAddresses(new URL(url), ['127.0.0.1']);
    // Pinned: the name in the URL is never resolved again (here it does not even exist).
    const pinnedUrl = url.replace('127.0.0.1', 'no-such-host.invalid');
    await postSigned(pinnedUrl, { text: 'x' }, 'd', { secret: 's', timeoutMs: 5000, addresses });
    expect(hooks.received.map((r) => r.path)).toEqual(['/review']);
  } finally {
    await hooks.close();
  }
});
