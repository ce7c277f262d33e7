/**
 * The operations console in a real browser: a real `startServer` (packages/cli/src/serve/server.ts) on a temp SQLite
 * store, serving the built console (out/console) with users from a config, and Debian's Chromium driven by
 * playwright-core (as test/webview/webview-harness.ts). Every page opened collects the page's CSP violations
 * (`securitypolicyviolation` events) and every request it makes, so a test asserts "no violation, nothing off-origin".
 *
 * Agents are in-process and controllable: `gate(agent)` holds every call of that agent until the test releases it,
 * `failNext(agent, n)` makes its next n calls fail — tests wait on DOM states, never on time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SqliteRunStore, type AgentCaller, type AgentRequest, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer, type ServeOptions } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import type { Role } from '../../packages/protocol/src/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built console (npm run build). */
export const CONSOLE_DIR = path.join(ROOT, 'out', 'console');

const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;

/** A user of the test server: its token is `<name>-token`. */
export interface TestUser {
  name: string;
  roles: Role[];
  tenant?: string;
  /** Several tenants (the first is the one a request that names none is in); instead of `tenant`. */
  tenants?: string[];
  groups?: string[];
  flows?: string[];
}

/** Options of {@link ConsoleHarness.start}. */
export interface HarnessOptions {
  /** The served .flow text (written to flows.flow in a temp folder). */
  flows: string;
  users?: TestUser[];
  /** `baton serve --insecure`. */
  insecure?: boolean;
  /** More server options (e.g. a fake clock). */
  serve?: Partial<ServeOptions>;
}

/** A console page opened by {@link ConsoleHarness.open}. */
export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** CSP violations seen (`<directive> <blocked URI>`), from the page's `securitypolicyviolation` events. */
  cspViolations(): Promise<string[]>;
  /** Every URL the page requested (documents, scripts, styles, fetches, workers), in order. */
  requests: string[];
  /** The requests that went anywhere but the server's origin (data: and blob: URLs are the page's own). */
  offOrigin(): string[];
  /**
   * The page's `GET /stream` requests (Server-Sent Events): how many are open now (asked, not yet finished or
   * failed — a closed EventSource's request fails as aborted) and the most that were open at once.
   */
  streams: { open: number; most: number };
  /** Console errors (4xx answers of the API left out: pages show those) and uncaught page errors. */
  errors: string[];
  /** Signs in through the page's form with `user`'s token and waits for the signed-in header. */
  signIn(user: string): Promise<void>;
  close(): Promise<void>;
}

/** Controls one agent's calls: `release()` lets the oldest held call answer (or every future one with `openAll`). */
export interface Gate {
  /** Calls held now. */
  held(): number;
  /** Resolves once at least `n` calls are held. */
  waitHeld(n?: number): Promise<void>;
  release(): void;
  openAll(): void;
}

/** The server, the store and the browser of one test file. */
export class ConsoleHarness {
  dir = '';
  store!: RunStoreApi;
  server!: BatonServer;
  browser!: Browser;
  private readonly gates = new Map<string, { held: (() => void)[]; open: boolean; waiters: { n: number; resolve: () => void }[] }>();
  private readonly failures = new Map<string, number>();
  readonly logs: string[] = [];

  /**
   * Starts the server (127.0.0.1, any port) and Chromium (`BATON_CHROMIUM`, default Debian's `/usr/bin/chromium`; a
   * fresh profile per launch, as playwright makes one). Rejects with one line when the console is not built or
   * Chromium is missing, naming the command that provides it.
   */
  async start(options: HarnessOptions): Promise<void> {
    if (!existsSync(path.join(CONSOLE_DIR, 'manifest.json'))) throw plainError(`${CONSOLE_DIR}/manifest.json is missing: run npm run build first`);
    const executable = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(executable)) throw plainError(`Chromium is not installed (${executable}): run npm run deps:system`);
    this.dir = mkdtempSync(path.join(tmpdir(), 'baton-console-'));
    writeFileSync(path.join(this.dir, 'flows.flow'), options.flows);
    this.store = await SqliteRunStore.open(path.join(this.dir, 'runs.db'));
    const users: User[] = (options.users ?? []).map((u) => ({ name: u.name, tenant: u.tenants?.[0] ?? u.tenant ?? 'default', ...(u.tenants ? { tenants: u.tenants } : {}), roles: u.roles, groups: u.groups ?? [], ...(u.flows ? { flows: u.flows } : {}), tokenEnv: `${u.name.toUpperCase()}_TOKEN`, token: `${u.name}-token` }));
    this.server = await startServer(await planFor(this.dir, 'UTC', quiet), {
      store: this.store, host: '127.0.0.1', port: 0, users, insecure: options.insecure ?? false, maxBodyBytes: 1 << 20,
      schedules: false, timerPollMs: 0, agents: this.agents(), consoleDir: CONSOLE_DIR, log: (line) => this.logs.push(line),
      sessions: { secret: Buffer.from('a-console-test-secret-of-32-bytes!!') }, ...options.serve,
    });
    this.browser = await chromium.launch({
      executablePath: executable,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
  }

  /** Closes the browser, the server and the store; removes the temp folder. Safe after a failed start. */
  async stop(): Promise<void> {
    for (const gate of this.gates.values()) {
      gate.open = true;
      for (const release of gate.held.splice(0)) release();
    }
    await this.browser?.close();
    await this.server?.close();
    await this.store?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's origin, `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.server.url;
  }

  /**
   * Opens the console at `hash` (`#/runs`) in a fresh browser context (its own cookies) with the light or dark colour
   * scheme; the page's CSP violations and requests are collected from the start.
   */
  async open(hash = '#/runs', options: { theme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<ConsolePage> {
    const context = await this.browser.newContext({ colorScheme: options.theme ?? 'light', viewport: { width: options.width ?? 1200, height: options.height ?? 800 } });
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __csp: string[] }).__csp = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const streams = { open: 0, most: 0 };
    const isStream = (r: { url(): string }): boolean => new URL(r.url()).pathname === '/stream';
    page.on('request', (r) => {
      if (!isStream(r)) return;
      streams.open++;
      streams.most = Math.max(streams.most, streams.open);
    });
    const ended = (r: { url(): string }): void => {
      if (isStream(r)) streams.open--;
    };
    page.on('requestfinished', ended);
    page.on('requestfailed', ended);
    page.on('console', (m) => {
      // an API answer of 401/403/404 is the page's business (it shows it), not an error of the page
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    const origin = this.url;
    await page.goto(`${origin}/${hash}`);
    const consolePage: ConsolePage = {
      page,
      context,
      requests,
      errors,
      streams,
      cspViolations: async () => {
        const inPage = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
        return [...inPage, ...errors.filter((e) => /Content Security Policy/i.test(e))];
      },
      offOrigin: () => requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:')),
      signIn: async (user: string) => {
        await page.locator('#token input').waitFor();
        await page.locator('#token input').fill(`${user}-token`);
        await page.locator('#sign-in').click();
        await page.locator('.topbar .who .user', { hasText: user }).waitFor();
      },
      close: () => context.close(),
    };
    return consolePage;
  }

  /**
   * A request to the server's API as `user` (its token as Bearer; `X-Baton-Action-Id` on changes): the status and the
   * JSON answer.
   */
  async api<T = Record<string, unknown>>(user: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${user}-token`, 'content-type': 'application/json', ...(method === 'GET' ? {} : { 'x-baton-action-id': randomUUID() }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Starts a served flow as `user` (`POST /runs`, an operator or admin) and returns the run id. */
  async startRun(user: string, flow: string, inputs: Record<string, unknown> = {}): Promise<string> {
    const { status, body } = await this.api<{ runId: string }>(user, 'POST', '/runs', { flow, inputs });
    if (status !== 202) throw new Error(`POST /runs ${flow} answered ${status}: ${JSON.stringify(body)}`);
    return body.runId;
  }

  /** Holds every call of `agent` until released (see {@link Gate}). */
  gate(agent: string): Gate {
    const gate = this.gates.get(agent) ?? { held: [], open: false, waiters: [] };
    this.gates.set(agent, gate);
    return {
      held: () => gate.held.length,
      waitHeld: (n = 1) => (gate.held.length >= n ? Promise.resolve() : new Promise<void>((resolve) => void gate.waiters.push({ n, resolve }))),
      release: () => gate.held.shift()?.(),
      openAll: () => {
        gate.open = true;
        for (const release of gate.held.splice(0)) release();
      },
    };
  }

  /** Makes the next `times` calls of `agent` fail (the step fails: a dead letter once its retries are spent). */
  failNext(agent: string, times = 1): void {
    this.failures.set(agent, (this.failures.get(agent) ?? 0) + times);
  }

  /** The agents of the test server: each answers `{text: "<agent> done"}` (10 tokens), after its gate and failures. */
  private agents(): AgentCaller {
    return {
      call: async (request: AgentRequest) => {
        const name = request.agent.name;
        const gate = this.gates.get(name);
        if (gate && !gate.open) {
          await new Promise<void>((resolve) => {
            gate.held.push(resolve);
            for (const w of gate.waiters.filter((w) => gate.held.length >= w.n)) w.resolve();
            gate.waiters = gate.waiters.filter((w) => gate.held.length < w.n);
          });
        }
        const failing = this.failures.get(name) ?? 0;
        if (failing > 0) {
          this.failures.set(name, failing - 1);
          throw new Error(`${name} failed (the test asked it to)`);
        }
        return { output: { text: `${name} done` }, tokens: 10 };
      },
    };
  }
}

/** Asserts a console page broke no CSP rule, asked nothing of another origin and logged no error. */
export async function assertClean(p: ConsolePage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violation');
  assert.deepEqual(p.offOrigin(), [], "no request off the server's origin");
  assert.deepEqual(p.errors, [], 'no console error');
}

/** An Error whose stack is its message alone: mocha prints it as one line. */
function plainError(message: string): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}
