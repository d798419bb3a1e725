// node-oidc-provider (the npm package oidc-provider, an OpenID Certified
// provider) as a second real identity provider for ocrbox's integration
// tests. Started by test/idp.StartNodeOIDC, never by hand:
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json (written by the Go helper, 0600: it holds client secrets):
//
//   {"clients": [{"client_id", "client_secret", "redirect_uris", "grant_types",
//                 "post_logout_redirect_uris" (optional: RP-Initiated Logout)}],
//    "accounts": [{"sub", "email", "email_verified", "name", "password"}],
//    "access_token_ttl": 3600, "refresh_token_ttl": 86400}
//
// The ui/e2e harness starts it too (ui/e2e/harness.ts, startNodeOIDC), for
// RP-Initiated Logout in a browser (Dex has no end_session_endpoint).
//
// It listens on two ports of 127.0.0.1 chosen by the kernel: the issuer
// (http://127.0.0.1:PORT) and a control port for the test. The first line on
// stdout is `READY {"issuer": …, "control": …}`. The control port answers
//
//   GET  /counts  {"codes": {CODE: n}, "grants": {TYPE: n}, "revocations": n,
//                  "live_refresh_tokens": n, "kids": [signing key ids]}
//   POST /rotate  a new signing key is used from now on; the old one stays in
//                 the JWKS (no restart: the next Provider shares the storage)
//   POST /down    the issuer port stops listening and drops its connections
//   POST /up      it listens again on the same port
//
// The login and consent pages are plain HTML forms (fields "login" and
// "password", then "approval") so a Go test can play the browser over HTTP,
// as idp.BrowserLogin does for Dex. The process exits when stdin closes, so
// it never outlives the test that started it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// Everything the provider stores (codes, sessions, grants, tokens), shared
// by the Provider instances a key rotation creates.
const storage = new Map();

class Adapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const exp = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    storage.set(this.key(id), { payload, exp });
    if (payload.grantId) {
      const g = `grant:${payload.grantId}`;
      storage.set(g, [...(storage.get(g) || []), this.key(id)]);
    }
  }
  async find(id) {
    const e = storage.get(this.key(id));
    if (!e || (e.exp && e.exp < Date.now())) return undefined;
    return e.payload;
  }
  async findByUid(uid) {
    for (const [k, e] of storage) {
      if (k.startsWith(`${this.model}:`) && e.payload && e.payload.uid === uid) return this.find(k.slice(this.model.length + 1));
    }
    return undefined;
  }
  async findByUserCode() { return undefined; }
  async consume(id) {
    const e = storage.get(this.key(id));
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { storage.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const k of storage.get(`grant:${grantId}`) || []) storage.delete(k);
    storage.delete(`grant:${grantId}`);
  }
}

function liveRefreshTokens() {
  let n = 0;
  for (const [k, e] of storage) {
    if (k.startsWith('RefreshToken:') && !e.payload.consumed && !(e.exp && e.exp < Date.now())) n += 1;
  }
  return n;
}

const accounts = new Map(config.accounts.map((a) => [a.sub, a]));

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

let keys = [newKey()];
const cookieKeys = [randomBytes(32).toString('hex')];
const counts = { codes: {}, grants: {}, revocations: 0 };

function makeProvider(issuer) {
  const provider = new Provider(issuer, {
    adapter: Adapter,
    clients: config.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: c.grant_types,
      response_types: ['code'],
      ...(c.post_logout_redirect_uris ? { post_logout_redirect_uris: c.post_logout_redirect_uris } : {}),
    })),
    jwks: { keys },
    cookies: { keys: cookieKeys },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    async findAccount(ctx, sub) {
      const a = accounts.get(sub);
      if (!a) return undefined;
      return {
        accountId: sub,
        async claims() { return { sub, email: a.email, email_verified: a.email_verified, name: a.name }; },
      };
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: config.access_token_ttl,
      IdToken: config.access_token_ttl,
      RefreshToken: config.refresh_token_ttl,
      AuthorizationCode: 60,
      Grant: config.refresh_token_ttl,
      Session: 3600,
      Interaction: 600,
    },
  });
  provider.use(interactions(provider));
  return provider;
}

async function readForm(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString();
  return { raw, form: querystring.parse(raw) };
}

function page(title, body) {
  return `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// interactions serves the login and consent pages, and counts what reaches
// the token and revocation endpoints (the body is read here and handed on
// as req.body, which the provider accepts).
function interactions(provider) {
  return async (ctx, next) => {
    if (ctx.method === 'POST' && (ctx.path === '/token' || ctx.path === '/token/revocation')) {
      const { raw, form } = await readForm(ctx.req);
      ctx.req.body = raw;
      if (ctx.path === '/token/revocation') {
        counts.revocations += 1;
      } else {
        const gt = String(form.grant_type || '');
        counts.grants[gt] = (counts.grants[gt] || 0) + 1;
        if (gt === 'authorization_code') {
          const code = String(form.code || '');
          counts.codes[code] = (counts.codes[code] || 0) + 1;
        }
      }
      return next();
    }
    const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login|\/consent)?$/);
    if (!m) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { uid, prompt } = details;
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      if (prompt.name === 'login') {
        ctx.body = page('Sign in', `<form method="post" action="/interaction/${esc(uid)}/login">
<input name="login"><input name="password" type="password"><button type="submit">Sign in</button></form>`);
      } else {
        ctx.body = page('Allow access', `<form method="post" action="/interaction/${esc(uid)}/consent">
<input type="hidden" name="approval" value="approve"><button type="submit">Allow</button></form>`);
      }
      return undefined;
    }
    const { form } = await readForm(ctx.req);
    let result;
    if (m[2] === '/login' && prompt.name === 'login') {
      const a = [...accounts.values()].find((x) => x.email === form.login && x.password === form.password);
      if (!a) {
        ctx.type = 'html';
        ctx.body = page('Sign in', `<p>Wrong email or password.</p><form method="post" action="/interaction/${esc(uid)}/login">
<input name="login"><input name="password" type="password"><button type="submit">Sign in</button></form>`);
        return undefined;
      }
      result = { login: { accountId: a.sub } };
    } else if (m[2] === '/consent' && prompt.name === 'consent') {
      const { accountId } = details.session;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: details.params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    } else {
      ctx.throw(400, `unexpected ${ctx.path} for prompt ${prompt.name}`);
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
    return undefined;
  };
}

let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = http.createServer((req, res) => handler(req, res));
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
handler = makeProvider(issuer).callback();

function json(res, v) {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(v));
}

const control = http.createServer((req, res) => {
  const route = `${req.method} ${req.url}`;
  switch (route) {
    case 'GET /counts':
      return json(res, { ...counts, live_refresh_tokens: liveRefreshTokens(), kids: keys.map((k) => k.kid) });
    case 'POST /rotate':
      keys = [newKey(), ...keys];
      handler = makeProvider(issuer).callback();
      return json(res, { kids: keys.map((k) => k.kid) });
    case 'POST /down':
      if (!server.listening) return json(res, { down: true });
      server.close();
      server.closeAllConnections();
      return json(res, { down: true });
    case 'POST /up':
      if (server.listening) return json(res, { up: true });
      return server.listen(port, '127.0.0.1', () => json(res, { up: true }));
    default:
      res.statusCode = 404;
      return res.end();
  }
});
await new Promise((resolve) => { control.listen(0, '127.0.0.1', resolve); });

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdout.write(`READY ${JSON.stringify({ issuer, control: `http://127.0.0.1:${control.address().port}` })}\n`);
