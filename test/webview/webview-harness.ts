/**
 * Loads the built graph panel (out/webview/graph-panel.js + .css, written into the page as the extension does, or
 * loaded from their URLs with `open(…, { inline: false })`) in headless Chromium (Debian's, through
 * playwright-core) inside the very page the extension serves (playwright gives each launch a fresh profile) (packages/extension/src/graph-panel-html.ts,
 * with its CSP), served over HTTP from 127.0.0.1, with a fake `acquireVsCodeApi` that records what the
 * page posts. VS Code's theme variables are set from the Light+/Dark Modern subset the console uses (themes.ts).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebviewMessage, WebviewToHostMessage } from '@baton/protocol';
import { graphPanelHtml, readInlineAssets } from '../../packages/extension/src/graph-panel-html.js';
import { THEMES, themeDeclarations, type ThemeName } from '../../packages/console/src/themes.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEBVIEW = path.join(ROOT, 'out', 'webview');

/** Light or dark: VS Code's theme variables, from the console's single copy (packages/console/src/themes.ts). */
export type Theme = ThemeName;

/** One loaded panel page. */
export interface PanelPage {
  page: Page;
  /** Everything the page posted so far, in order. */
  posted(): Promise<WebviewToHostMessage[]>;
  /** Delivers a host message as VS Code does (a `message` event on window). */
  send(message: HostToWebviewMessage): Promise<void>;
  /** Waits for a posted message matching `match` (polling; fails after `timeoutMs` naming `what`). */
  waitForPosted<T extends WebviewToHostMessage>(match: (m: WebviewToHostMessage) => m is T, what: string, timeoutMs?: number): Promise<T>;
  /** Sends a graph update and waits for its `rendered` answer. */
  update(message: Omit<Extract<HostToWebviewMessage, { type: 'graph' }>, 'type' | 'requestId'>): Promise<Extract<WebviewToHostMessage, { type: 'rendered' }>>;
  /** Console errors and page errors seen (CSP violations included). */
  errors: string[];
}

/** Serves the harness page and out/webview over HTTP, and drives Chromium. */
export class PanelHarness {
  private browser: Browser | undefined;
  private server: Server | undefined;
  private origin = '';
  private requestId = 1;

  /**
   * Serves the page and launches Chromium (`BATON_CHROMIUM`, default Debian's `/usr/bin/chromium`).
   * Rejects with one line, and no stack, when the build or Chromium is missing: what is missing and the command
   * that provides it (`npm run deps:system` installs Chromium).
   */
  async start(): Promise<void> {
    if (!existsSync(path.join(WEBVIEW, 'graph-panel.js'))) throw plainError(`${WEBVIEW}/graph-panel.js is missing: run npm run build first`);
    const executable = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(executable)) {
      throw plainError(`Chromium is not installed (${executable}${process.env.BATON_CHROMIUM ? ', from BATON_CHROMIUM' : ''}): run npm run deps:system, which installs the system packages the suites need`);
    }
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/panel.html') {
        const name = (url.searchParams.get('theme') as Theme) ?? 'light';
        const theme = THEMES[name];
        const vars = themeDeclarations(name);
        // VS Code sets the variables as a style attribute on <html> and the theme kind as a body class.
        const prelude = [
          `document.documentElement.style.cssText=${JSON.stringify(vars)};document.body.className=${JSON.stringify(theme.bodyClass)};`,
          `window.__posted=[];window.__state=${url.searchParams.get('state') ?? 'undefined'};window.acquireVsCodeApi=function(){return{postMessage:function(m){window.__posted.push(JSON.parse(JSON.stringify(m)))},getState:function(){return window.__state},setState:function(s){window.__state=s}}};`,
        ];
        const html = graphPanelHtml({ cspSource: this.origin, nonce: 'dGVzdC1ub25jZS0xMjM0NQ', scriptUri: `${this.origin}/webview/graph-panel.js`, styleUri: `${this.origin}/webview/graph-panel.css`, elkUri: `${this.origin}/webview/elk.js`, preludeScripts: prelude, ...(url.searchParams.get('inline') === '0' ? {} : readInlineAssets(WEBVIEW)) });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = path.join(WEBVIEW, path.basename(url.pathname));
      if (url.pathname.startsWith('/webview/') && existsSync(file)) {
        res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' }).end(readFileSync(file));
        return;
      }
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    this.browser = await chromium.launch({
      executablePath: executable,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Opens a fresh panel page; `state` is what `getState()` returns (a restored panel). */
  async open(theme: Theme = 'light', options: { width?: number; height?: number; state?: unknown; inline?: boolean } = {}): Promise<PanelPage> {
    const page = await this.browser!.newPage({ viewport: { width: options.width ?? 900, height: options.height ?? 700 }, colorScheme: theme });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    const state = options.state === undefined ? '' : `&state=${encodeURIComponent(JSON.stringify(options.state))}`;
    await page.goto(`${this.origin}/panel.html?theme=${theme}${state}${options.inline === false ? '&inline=0' : ''}`);
    const posted = (): Promise<WebviewToHostMessage[]> => page.evaluate(() => (window as unknown as { __posted: WebviewToHostMessage[] }).__posted);
    const waitForPosted = async <T extends WebviewToHostMessage>(match: (m: WebviewToHostMessage) => m is T, what: string, timeoutMs = 20_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await posted()).find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; posted: ${JSON.stringify((await posted()).map((m) => m.type))}; errors: ${errors.join(' | ')}`);
        await page.waitForTimeout(25);
      }
    };
    const send = async (message: HostToWebviewMessage): Promise<void> => {
      const json = JSON.stringify(message);
      await page.evaluate((text: string) => void window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(text) })), json);
    };
    await waitForPosted((m): m is Extract<WebviewToHostMessage, { type: 'ready' }> => m.type === 'ready', 'ready');
    const update: PanelPage['update'] = async (message) => {
      const requestId = this.requestId++;
      await send({ type: 'graph', requestId, ...message });
      return waitForPosted((m): m is Extract<WebviewToHostMessage, { type: 'rendered' }> => m.type === 'rendered' && m.requestId === requestId, `rendered #${requestId}`, 60_000);
    };
    return { page, posted, send, waitForPosted, update, errors };
  }
}

/** An Error whose stack is its message alone: mocha prints it as one line. */
function plainError(message: string): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}
