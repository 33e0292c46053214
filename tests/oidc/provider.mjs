// Two OpenID Connect issuers for the tests, each a certified `oidc-provider` on a port of its
// own (127.0.0.1, port 0). FOR TESTS ONLY: anyone who can reach it signs in as any account.
//
// Input (environment): OIDC_ISSUERS, names of the issuers ("region,kommun"); OIDC_ACCOUNTS,
// JSON {accountId: {acr, claims: {...}}} shared by both.
// Output: one JSON line on stdout once listening: {"region": "http://127.0.0.1:PORT", ...}.
//
// Clients are registered by the test once it knows the hub's address:
//   POST /__test/clients  {client_id, client_secret, redirect_uris, post_logout_redirect_uris}
// Sign-in needs no login form: an authorization request with login_hint=ACCOUNT finishes at
// once as that account (login_hint=deny answers access_denied); without one the interaction
// page lists the accounts as buttons (for the browser tests).

import http from 'node:http';
import Provider from 'oidc-provider';

// OIDC_CLOCK_OFFSET (seconds): this provider's clock runs that far ahead (the clock skew test).
const offset = Number(process.env.OIDC_CLOCK_OFFSET || 0);
if (offset) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset * 1000;
}

const names = (process.env.OIDC_ISSUERS || 'region,kommun').split(',').filter(Boolean);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

/** A tiny in-memory adapter, so clients can be added while running. */
function adapterFor(store) {
  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload) {
      store.set(this.key(id), payload);
      if (payload.uid) store.set(`${this.model}:uid:${payload.uid}`, id);
      if (payload.grantId) {
        const list = store.get(`grant:${payload.grantId}`) || [];
        list.push(this.key(id));
        store.set(`grant:${payload.grantId}`, list);
      }
    }

    async find(id) {
      return store.get(this.key(id));
    }

    async findByUid(uid) {
      const id = store.get(`${this.model}:uid:${uid}`);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode() {
      return undefined;
    }

    async consume(id) {
      const found = store.get(this.key(id));
      if (found) found.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const key of store.get(`grant:${grantId}`) || []) store.delete(key);
      store.delete(`grant:${grantId}`);
    }
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function chooser(uid, issuer) {
  const buttons = Object.keys(accounts)
    .map((id) => `<li><button type="submit" name="account" value="${escape(id)}">${escape(id)}</button></li>`)
    .join('');
  return `<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Testinloggning ${escape(issuer)}</title></head>
<body><main><h1>Testinloggning hos ${escape(issuer)}</h1>
<form method="post" action="/interaction/${escape(uid)}"><ul>${buttons}
<li><button type="submit" name="account" value="deny">Avbryt</button></li></ul></form></main></body></html>`;
}

async function interaction(provider, issuerName, req, res) {
  const details = await provider.interactionDetails(req, res);
  let account = details.params.login_hint;
  if (req.method === 'POST') account = new URLSearchParams(await readBody(req)).get('account');
  if (!account) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(chooser(details.uid, issuerName));
    return;
  }
  const chosen = accounts[account];
  if (account === 'deny' || !chosen) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  const result = { consent: { grantId } };
  if (details.prompt.name === 'login' || !details.session) {
    result.login = { accountId: account, acr: chosen.acr };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function start(name) {
  const server = http.createServer();
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const store = new Map();
  const acrValues = [...new Set(Object.values(accounts).map((a) => a.acr).filter(Boolean))];
  const provider = new Provider(issuer, {
    adapter: adapterFor(store),
    acrValues,
    claims: {
      openid: ['sub', 'hsa_id', 'employee_id', 'oid', 'roles'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    cookies: { keys: [`test-only-${name}-cookie-key`] },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    async findAccount(_ctx, id) {
      const found = accounts[id];
      if (!found) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...found.claims }) };
    },
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      if (req.url === '/__test/clients' && req.method === 'POST') {
        const client = JSON.parse(await readBody(req));
        await new (adapterFor(store))('Client').upsert(client.client_id, {
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          ...client,
        });
        res.writeHead(204);
        res.end();
        return;
      }
      if (req.url.startsWith('/interaction/')) {
        await interaction(provider, name, req, res);
        return;
      }
      callback(req, res);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err && err.message));
    }
  });
  return [name, issuer];
}

const issuers = Object.fromEntries(await Promise.all(names.map(start)));
process.stdout.write(`${JSON.stringify(issuers)}\n`);
// Ends with its parent: the test closes stdin when it drops the provider.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
