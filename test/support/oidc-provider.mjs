/**
 * A local OpenID provider for the tests (the `oidc-provider` package, with its development sign-in pages: any
 * password, the login names the account). Run as a child process with plain Node: oidc-provider and its
 * dependencies are ES modules, which jest cannot load on Node 20.
 *
 * It listens on an ephemeral port on 127.0.0.1 and prints `ISSUER=http://localhost:<port>` (localhost, not the
 * dashboard's 127.0.0.1: another site to the browser, as a real provider is). Then it reads one line of JSON on
 * stdin — the client and the accounts, known only once the dashboard listens — and serves:
 *   { "client": { "client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...] },
 *     "accounts": { "<login>": { <claims> } } }
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const server = http.createServer((_req, res) => { res.statusCode = 503; res.end('not configured yet'); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://localhost:${server.address().port}`;
process.stdout.write(`ISSUER=${issuer}\n`);

const line = await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const { client, accounts } = JSON.parse(line);
const provider = new Provider(issuer, {
  clients: [{ grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', ...client }],
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'zoneinfo'], frontier: ['groups', 'lab_id', 'reviewer_id'] },
  scopes: ['openid', 'email', 'profile', 'frontier'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  // The dashboard is a first-party client: consent is implied (as an organisation's provider would be set up),
  // which also spares each test sign-in a page.
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile frontier');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['frontier-review-test-provider-cookie-key'] },
});
server.removeAllListeners('request');
server.on('request', provider.callback());
process.stdout.write('READY\n');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
