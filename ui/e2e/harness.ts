// The end-to-end harness: the real ocrbox binary (built from this checkout,
// embedding ui/dist), real tesseract, two real local accounts, and Debian's
// chromium driven by playwright-core. Nothing is mocked.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** REPO_ROOT is the Go module root: two levels above this file (ui/e2e). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** UI_DIR is the browser app's folder (ui/). */
export const UI_DIR = join(REPO_ROOT, 'ui');

/** CORPUS is the shared OCR test corpus, beside the checkout like for the Go tests. */
export const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'testdata', 'ocr');

/** CHROMIUM is Debian's browser; the suite never downloads one. */
export const CHROMIUM = process.env.OCRBOX_E2E_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Account is a local user the harness created with `ocrbox users add`. */
export interface Account {
  email: string;
  name: string;
  password: string;
}

/** ALICE and BOB are the two accounts of the suite. */
export const ALICE: Account = { email: 'alice@example.org', name: 'Alice Example', password: 'alice-e2e-password' };
export const BOB: Account = { email: 'bob@example.org', name: 'Bob Example', password: 'bob-e2e-password' };

/** DEX is the OpenID Connect provider the sign-in-with tests use, built by scripts/build-dex. */
export const DEX = join(REPO_ROOT, 'bin', 'dex');

/**
 * GRACE signs in through Dex only (she has no local account). Her bcrypt
 * hash (cost 10) is precomputed: the suite has no bcrypt library and Dex
 * only takes hashes.
 */
export const GRACE: Account = { email: 'grace@example.org', name: 'Grace Hopper', password: 'grace-e2e-Passw0rd' };
const GRACE_HASH = '$2a$10$qVeWfL2Nm9jmN5VmgBEMa.ci.7Yzqn6sA99xPOeJfpPlUyn0jtUNa';

/** DEX_BUTTON is the label of the "Sign in with …" button (plugins.oidc.display_name). */
export const DEX_BUTTON = 'Sign in with Example SSO';

/**
 * NODE_OIDC_DIR holds node-oidc-provider (npm ci --prefix test/idp/oidcprovider)
 * and the provider script the Go tests run too (test/idp.StartNodeOIDC).
 * Unlike Dex it offers RP-Initiated Logout (an end_session_endpoint).
 */
export const NODE_OIDC_DIR = join(REPO_ROOT, 'test', 'idp', 'oidcprovider');

/** NODE_OIDC_BUTTON is the "Sign in with …" label when node-oidc-provider is the IdP. */
export const NODE_OIDC_BUTTON = 'Sign in with Example IdP';

/**
 * nodeOIDCMissing says why node-oidc-provider cannot run here, or '' when it can.
 */
export function nodeOIDCMissing(): string {
  if (!existsSync(join(NODE_OIDC_DIR, 'node_modules', 'oidc-provider', 'package.json'))) {
    return `node-oidc-provider is not installed in ${NODE_OIDC_DIR} (npm ci --prefix test/idp/oidcprovider)`;
  }
  return '';
}

/** isCI: a CI run must not skip anything silently. */
export const isCI = process.env.CI === 'true';

/**
 * missingPrerequisites lists what the suite cannot run without: chromium,
 * tesseract, the corpus, and Go (unless OCRBOX_BIN names a built binary).
 */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`chromium not found at ${CHROMIUM} (apt-get install chromium, see scripts/install-deps)`);
  if (spawnSync('tesseract', ['--version'], { stdio: 'ignore' }).status !== 0) {
    missing.push('tesseract is not installed (scripts/install-deps)');
  }
  if (!existsSync(join(CORPUS, 'pages', 'phototest.tif'))) missing.push(`the OCR corpus is missing at ${CORPUS}`);
  if (process.env.OCRBOX_BIN) {
    if (!existsSync(process.env.OCRBOX_BIN)) missing.push(`OCRBOX_BIN=${process.env.OCRBOX_BIN} does not exist`);
  } else if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    missing.push('go is not installed (needed to build the ocrbox binary; or set OCRBOX_BIN)');
  }
  if (!existsSync(join(UI_DIR, 'dist', 'index.html'))) missing.push('ui/dist is not built (cd ui && npm run build)');
  return missing;
}

/**
 * e2eEnabled decides whether the suite runs: with everything present yes;
 * otherwise in CI it throws (a loud failure), elsewhere it explains and skips.
 */
export function e2eEnabled(): boolean {
  const missing = missingPrerequisites();
  if (missing.length === 0) return true;
  const why = `ocrbox e2e: cannot run:\n  - ${missing.join('\n  - ')}`;
  if (isCI) throw new Error(`${why}\n(CI=true: the end-to-end suite must run)`);
  console.warn(`${why}\nSkipping the end-to-end suite (it fails instead when CI=true).`);
  return false;
}

/** HarnessOptions choose what the server signs in with. */
export interface HarnessOptions {
  /** oidc starts Dex and adds the oidc provider after local (GRACE signs in there). */
  oidc?: boolean;
  /**
   * nodeOIDC starts node-oidc-provider instead of Dex as the oidc provider
   * (GRACE signs in there; ocrbox's /login?signed_out=1 is a registered
   * post-logout redirect URI).
   */
  nodeOIDC?: boolean;
}

/** IdP is a running OpenID Connect provider for the suite. */
interface IdP {
  issuer: string;
  clientID: string;
  clientSecret: string;
  /** env is what the server needs besides issuer and client, e.g. scopes. */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

/** Harness is a running server and browser for one suite. */
export interface Harness {
  baseURL: string;
  bin: string;
  dataDir: string;
  /** artifacts is the folder with screenshots, downloads, logs and metrics.json. */
  artifacts: string;
  /** issuer is the OpenID Connect provider's issuer URL, when one runs. */
  issuer?: string;
  browser: Browser;
  /** metrics end up in artifacts/metrics.json. */
  metrics: Record<string, unknown>;
  /** pageErrors collects uncaught exceptions of every page the harness opened. */
  pageErrors: string[];
  /** newContext opens a browser context on the server, logging its console to the artifacts. */
  newContext(opts?: BrowserContextOptions): Promise<BrowserContext>;
  /** shot saves a full-page PNG as artifacts/<name>.png. */
  shot(page: Page, name: string): Promise<string>;
  /** serverLog returns what the server printed so far (for failure messages). */
  serverLog(): string;
  /** cli runs the ocrbox binary with the harness's data directory. */
  cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** freePort asks the kernel for an unused port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * buildBinary compiles the checkout once. The binary embeds ui/dist as it is
 * now, so build the app first (scripts/test-ui checks that dist is current).
 * Asynchronous: a cold cgo build takes minutes and must not block the
 * test worker's event loop meanwhile.
 */
async function buildBinary(work: string): Promise<string> {
  if (process.env.OCRBOX_BIN) return resolve(process.env.OCRBOX_BIN);
  const bin = join(work, 'ocrbox');
  const started = Date.now();
  const go = spawn('go', ['build', '-o', bin, '.'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  go.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  go.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r, reject) => {
    go.once('error', reject);
    go.once('close', r);
  });
  if (code !== 0) throw new Error(`ocrbox e2e: go build failed (exit ${code}):\n${out}`);
  console.log(`ocrbox e2e: built ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

/** waitReady polls /readyz until 200, the process exits, or the timeout passes. */
async function waitReady(baseURL: string, proc: ChildProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`ocrbox e2e: the server exited (${proc.exitCode ?? proc.signalCode}) before it was ready. Its log:\n${log()}`);
    }
    try {
      const res = await fetch(`${baseURL}/readyz`);
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ocrbox e2e: ${baseURL}/readyz not 200 after ${timeoutMs / 1000} s (last: ${last}). Server log:\n${log()}`);
}

/**
 * startHarness builds and starts ocrbox on a free port with a fresh data
 * directory, adds ALICE and BOB, and launches chromium.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const artifacts = resolve(process.env.OCRBOX_E2E_ARTIFACTS || join(UI_DIR, 'e2e-artifacts', timestamp()));
  mkdirSync(artifacts, { recursive: true });
  console.log(`ocrbox e2e: artifacts in ${artifacts}`);

  const work = mkdtempSync(join(tmpdir(), 'ocrbox-e2e-'));
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  let bin: string;
  try {
    bin = await buildBinary(work);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;

  // A hermetic server: cwd is the temp dir so no config.toml is read, and the
  // caller's OCRBOX_* variables are left out (ocrbox refuses unknown ones,
  // such as this suite's OCRBOX_BIN or OCRBOX_E2E_ARTIFACTS).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OCRBOX_')));
  const env: Record<string, string | undefined> = {
    ...inherited,
    OCRBOX_SERVER_LISTEN: `127.0.0.1:${port}`,
    OCRBOX_STORAGE_DATA_DIR: dataDir,
    OCRBOX_OCR_WORKERS: '1',
    OCRBOX_LOG_FORMAT: 'text',
    OMP_THREAD_LIMIT: '1',
  };
  let idp: IdP | undefined;
  let button = DEX_BUTTON;
  try {
    if (options.nodeOIDC) {
      idp = await startNodeOIDC(work, baseURL, artifacts);
      button = NODE_OIDC_BUTTON;
    } else if (options.oidc) {
      idp = await startDex(work, baseURL, artifacts);
    }
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  if (idp) {
    Object.assign(env, {
      OCRBOX_AUTH_PROVIDERS: 'local,oidc',
      OCRBOX_PLUGINS_OIDC_ISSUER: idp.issuer,
      OCRBOX_PLUGINS_OIDC_CLIENT_ID: idp.clientID,
      OCRBOX_PLUGINS_OIDC_CLIENT_SECRET: idp.clientSecret,
      OCRBOX_PLUGINS_OIDC_DISPLAY_NAME: button.replace('Sign in with ', ''),
      ...idp.env,
    });
  }
  const logPath = join(artifacts, 'server.log');
  const logFile = createWriteStream(logPath);
  let logText = '';
  const proc = spawn(bin, ['serve'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [proc.stdout, proc.stderr]) {
    s?.on('data', (b: Buffer) => {
      logText += b.toString();
      logFile.write(b);
    });
  }
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const serverLog = () => logText;

  let browser: Browser | undefined;
  const stopServer = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    process.removeListener('exit', killOnExit);
    await new Promise((r) => logFile.end(r));
    await idp?.stop();
  };

  try {
    await waitReady(baseURL, proc, serverLog);

    const cli = (args: string[], input?: string) => {
      const res = spawnSync(bin, [...args, '--data-dir', dataDir], { cwd: work, env, input, encoding: 'utf8' });
      return { status: res.status, stdout: res.stdout, stderr: res.stderr };
    };
    for (const a of [ALICE, BOB]) {
      const res = cli(['users', 'add', a.email, '--name', a.name, '--password-stdin'], `${a.password}\n`);
      if (res.status !== 0) throw new Error(`ocrbox users add ${a.email} failed: ${res.stderr}${res.stdout}`);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const b = browser;
    const pageErrors: string[] = [];
    const consoleLog = createWriteStream(join(artifacts, 'browser-console.log'));
    const metrics: Record<string, unknown> = { chromium: b.version(), baseURL };

    const harness: Harness = {
      baseURL,
      bin,
      dataDir,
      artifacts,
      issuer: idp?.issuer,
      browser: b,
      metrics,
      pageErrors,
      async newContext(opts = {}) {
        const ctx = await b.newContext({ baseURL, acceptDownloads: true, viewport: { width: 1280, height: 860 }, ...opts });
        ctx.on('page', (p) => {
          p.on('console', (m) => consoleLog.write(`[${m.type()}] ${p.url()} ${m.text()}\n`));
          p.on('pageerror', (e) => {
            pageErrors.push(`${p.url()}: ${e.message}`);
            consoleLog.write(`[pageerror] ${p.url()} ${e.stack ?? e.message}\n`);
          });
        });
        return ctx;
      },
      async shot(page, name) {
        const path = join(artifacts, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      serverLog,
      cli,
      async stop() {
        writeFileSync(join(artifacts, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
        await b.close().catch(() => undefined);
        await new Promise((r) => consoleLog.end(r));
        await stopServer();
        rmSync(work, { recursive: true, force: true });
        const shots = readdirSync(artifacts).filter((f) => f.endsWith('.png')).sort();
        console.log(`ocrbox e2e: ${shots.length} screenshots and logs in ${artifacts}\n  ${shots.join('\n  ')}`);
      },
    };
    return harness;
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await stopServer();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

/**
 * startDex runs bin/dex (scripts/build-dex) on a free port with one static
 * client whose redirect URI is the server's callback, and GRACE as its one
 * user. Dex reads YAML, and JSON is YAML.
 */
async function startDex(work: string, baseURL: string, artifacts: string): Promise<IdP> {
  if (!existsSync(DEX)) throw new Error(`ocrbox e2e: ${DEX} is missing: run scripts/build-dex`);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/dex`;
  const clientID = 'ocrbox-e2e';
  const clientSecret = randomBytes(16).toString('hex');
  const config = {
    issuer,
    storage: { type: 'memory' },
    web: { http: `127.0.0.1:${port}` },
    logger: { level: 'info', format: 'text' },
    oauth2: { passwordConnector: 'local', skipApprovalScreen: true, responseTypes: ['code'] },
    enablePasswordDB: true,
    staticClients: [{ id: clientID, secret: clientSecret, name: 'ocrbox', redirectURIs: [`${baseURL}/api/v1/auth/oidc/callback`] }],
    staticPasswords: [{ email: GRACE.email, hash: GRACE_HASH, username: 'grace', name: GRACE.name, userID: 'grace-e2e' }],
  };
  const cfgPath = join(work, 'dex.yaml');
  writeFileSync(cfgPath, JSON.stringify(config), { mode: 0o600 });
  const log = createWriteStream(join(artifacts, 'dex.log'));
  const proc = spawn(DEX, ['serve', cfgPath], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`ocrbox e2e: dex exited (${proc.exitCode}); see ${join(artifacts, 'dex.log')}`);
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`ocrbox e2e: dex not ready after 30 s; see ${join(artifacts, 'dex.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    issuer,
    clientID,
    clientSecret,
    async stop() {
      process.removeListener('exit', kill);
      proc.kill('SIGTERM');
    },
  };
}

/**
 * startNodeOIDC runs node-oidc-provider with test/idp/oidcprovider/provider.mjs
 * (the script the Go tests use; it picks its own port and prints
 * `READY {"issuer", "control"}`) with one client whose redirect URI is the
 * server's callback and whose post-logout redirect URI is the sign-in page
 * ocrbox sends the browser back to, and GRACE as its one account. Scopes
 * leave out offline_access: without prompt=consent the provider would drop
 * it anyway, and a second sign-in then needs no consent page, only a live
 * IdP session.
 */
async function startNodeOIDC(work: string, baseURL: string, artifacts: string): Promise<IdP> {
  const missing = nodeOIDCMissing();
  if (missing) throw new Error(`ocrbox e2e: ${missing}`);
  const clientID = 'ocrbox-e2e';
  const clientSecret = randomBytes(16).toString('hex');
  const config = {
    clients: [
      {
        client_id: clientID,
        client_secret: clientSecret,
        redirect_uris: [`${baseURL}/api/v1/auth/oidc/callback`],
        post_logout_redirect_uris: [`${baseURL}/login?signed_out=1`],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    accounts: [{ sub: 'grace-e2e', email: GRACE.email, email_verified: true, name: GRACE.name, password: GRACE.password }],
    access_token_ttl: 3600,
    refresh_token_ttl: 86400,
  };
  const cfgPath = join(work, 'node-oidc.json');
  writeFileSync(cfgPath, JSON.stringify(config), { mode: 0o600 });
  const log = createWriteStream(join(artifacts, 'node-oidc.log'));
  // stdin stays open: the provider exits when it closes.
  const proc = spawn(process.execPath, [join(NODE_OIDC_DIR, 'provider.mjs'), cfgPath], {
    cwd: NODE_OIDC_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stderr?.pipe(log);
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  const ready = await new Promise<{ issuer: string }>((resolveReady, reject) => {
    let buf = '';
    let done = false;
    const t = setTimeout(() => fail(new Error('not ready after 30 s')), 30_000);
    function fail(e: Error) {
      if (done) return;
      done = true;
      clearTimeout(t);
      proc.kill('SIGKILL');
      reject(new Error(`ocrbox e2e: node-oidc-provider: ${e.message}; see ${join(artifacts, 'node-oidc.log')}`));
    }
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`exited (${code}) before it was ready`)));
    proc.stdout?.on('data', (b: Buffer) => {
      log.write(b);
      if (done) return;
      buf += b.toString();
      const line = buf.split('\n').slice(0, -1).find((l) => l.startsWith('READY ')); // whole lines only
      if (!line) return;
      done = true;
      clearTimeout(t);
      try {
        resolveReady(JSON.parse(line.slice('READY '.length)));
      } catch (e) {
        reject(e);
      }
    });
  });
  return {
    issuer: ready.issuer,
    clientID,
    clientSecret,
    env: { OCRBOX_PLUGINS_OIDC_SCOPES: 'openid email profile' },
    async stop() {
      process.removeListener('exit', kill);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin?.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      log.end();
    },
  };
}
