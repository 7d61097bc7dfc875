// A real OpenID provider (panva/oidc-provider) for Yakuba's tests, listening on 127.0.0.1 only.
//
// Usage:
//   node provider.mjs serve --port PORT --clients clients.json --jwks jwks.json --accounts accounts.json
//                           [--rotate-refresh-tokens]
//   node provider.mjs keygen KID      prints {"jwk": <private RSA JWK>, "pem": <PKCS#8 PEM>}
//
// The issuer is http://127.0.0.1:PORT. clients.json is an array of oidc-provider client
// metadata objects (client_id, client_secret, redirect_uris, post_logout_redirect_uris,
// backchannel_logout_uri, backchannel_logout_session_required, ...). jwks.json is
// {"keys": [private JWKs]} and is read once at start: rotate keys by rewriting it and
// restarting on the same port. accounts.json is an array of
// {sub, login, password, name, email, department, groups, disabled} and is read again on every
// login and every lookup of an account (token, refresh, userinfo), so an administrator's change
// takes effect at once: a disabled or deleted account cannot log in, its refresh tokens are
// refused with invalid_grant and its access tokens with 401 at userinfo.
//
// Clients whose grant_types include refresh_token get a refresh token with every code, without
// the offline_access scope (which oidc-provider grants only with prompt=consent); such a token
// ends with the provider's session. With --rotate-refresh-tokens every refresh spends the old
// token and issues a new one; reusing a spent one revokes the grant.
//
// Back-channel logout tokens are POSTed to each client's backchannel_logout_uri. To reach an
// https endpoint with a private or self-signed certificate, start node with
// NODE_EXTRA_CA_CERTS=/path/to/ca.pem (Node adds it to the roots its fetch trusts).

import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs, promisify } from 'node:util';

const [command, ...rest] = process.argv.slice(2);

if (command === 'keygen') {
  await keygen(rest[0]);
} else if (command === 'serve') {
  // Imported here only: keygen does not need it.
  const { default: Provider } = await import('oidc-provider');
  serve(Provider, rest);
} else {
  process.stderr.write('usage: provider.mjs serve --port P --clients F --jwks F --accounts F [--rotate-refresh-tokens] | keygen KID\n');
  process.exit(2);
}

async function keygen(kid) {
  if (!kid) {
    process.stderr.write('keygen needs a key id\n');
    process.exit(2);
  }
  // Not generateKeyPairSync: in Node 20 a garbage collection during it can deadlock the
  // process (the job's destructor waits for a lock the job holds), seen under load.
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  process.stdout.write(`${JSON.stringify({ jwk, pem })}\n`);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

function loginPage(uid, error) {
  const message = error ? `<p class="error">${escapeHtml(error)}</p>` : '';
  return page('ログイン', `<h1>ログイン</h1>${message}
<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>ログインID <input name="login" autocomplete="username"></label>
<label>パスワード <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">ログイン</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function serve(Provider, argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      clients: { type: 'string' },
      jwks: { type: 'string' },
      accounts: { type: 'string' },
      'rotate-refresh-tokens': { type: 'boolean', default: false },
    },
  });
  for (const name of ['port', 'clients', 'jwks', 'accounts']) {
    if (!values[name]) {
      process.stderr.write(`serve needs --${name}\n`);
      process.exit(2);
    }
  }
  const port = Number(values.port);
  const issuer = `http://127.0.0.1:${port}`;
  const clients = readJson(values.clients);
  const jwks = readJson(values.jwks);
  // The enabled accounts as the file says now; see the usage above.
  const activeAccount = (matches) => readJson(values.accounts).find((a) => !a.disabled && matches(a));

  const configuration = {
    clients,
    jwks,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
      department: ['department'],
    },
    pkce: { required: () => true },
    async issueRefreshToken(_ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    ...(values['rotate-refresh-tokens'] ? { rotateRefreshToken: true } : {}),
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation form already says "yes": a browser submits it at once, and the test
        // harness posts its hidden fields.
        async logoutSource(ctx, form) {
          const confirmed = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
          ctx.body = page('ログアウト', `<h1>ログアウトしています</h1>${confirmed}
<noscript><button type="submit" form="op.logoutForm">ログアウト</button></noscript>
<script>document.getElementById('op.logoutForm').submit();</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('ログアウト', '<h1>ログアウトしました</h1>');
        },
      },
    },
    async findAccount(_ctx, sub) {
      const account = activeAccount((a) => a.sub === sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: account.login,
            name: account.name,
            email: account.email,
            email_verified: true,
            department: account.department,
            groups: account.groups,
          };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('エラー', `<h1>エラー</h1><pre>${escapeHtml(JSON.stringify(out))}</pre>`);
    },
    // oidc-provider refuses outgoing requests to special-use addresses such as 127.0.0.1 (SSRF
    // protection) by passing its own dispatcher. Here every relying party is on loopback by
    // design, so the provider uses Node's global fetch without it.
    fetch: (url, options) => {
      const { dispatcher: _ignored, ...plain } = options;
      return globalThis.fetch(url, plain);
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.on('backchannel.success', (_ctx, client, _sub, _sid) => {
    console.log(`back-channel logout delivered to ${client.clientId}`);
  });
  provider.on('backchannel.error', (_ctx, err, client) => {
    console.log(`back-channel logout to ${client.clientId} failed: ${err.message}`);
  });
  provider.on('server_error', (_ctx, err) => {
    console.log(`server error: ${err.stack}`);
  });

  async function interaction(req, res, url) {
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, uid } = details;
    if (match[2] && req.method === 'POST') {
      const form = await readForm(req);
      const login = form.get('login') ?? '';
      const account = activeAccount((a) => a.login === login);
      if (!account || account.password !== form.get('password')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(loginPage(uid, 'ログインIDまたはパスワードが違います'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
      return;
    }
    if (prompt.name === 'login') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid));
      return;
    }
    if (prompt.name === 'consent') {
      // Consent is granted automatically for whatever the client asked.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const { missingOIDCScope, missingOIDCClaims } = prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`unsupported prompt ${prompt.name}`);
  }

  const callback = provider.callback();
  const server = createServer((req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res, url).catch((err) => {
        console.log(`interaction failed: ${err.message}`);
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${err.message}`);
      });
    } else {
      callback(req, res);
    }
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`oidc-provider listening on ${issuer}`);
  });
  const stop = () => {
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
