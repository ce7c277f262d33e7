// The operations console's files, served by `baton serve` on its own port (docs/console.md, docs/security.md):
// `GET /` is a shell with no data around one nonce'd module script, under a strict Content-Security-Policy;
// `GET /console/<file>` answers only the files out/console/manifest.json lists (no path is ever joined from a
// request), cached for a year (their names carry their content hash). Nothing is loaded from another origin.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from './http-io.js';

/**
 * What esbuild.mjs writes to out/console/manifest.json: the entry script, its stylesheet, the entry's static imports
 * (transitively; the shell preloads them), every file (names relative to the folder).
 */
export interface ConsoleManifest {
  entry: string;
  css?: string;
  preload?: string[];
  files: string[];
}

/** Where the console is built: out/console beside the CLI bundle (out/cli.mjs). */
export function defaultConsoleDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'console');
}

/**
 * The headers of the shell: the policy allows only this response's nonce'd script and what it loads
 * (`'strict-dynamic'`), styles, images, fonts, fetches and workers from this origin; no base, no form posts, no framing.
 */
export function shellHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}' 'strict-dynamic'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/**
 * The shell: no data, one module script with `nonce`, its static imports preloaded (`modulepreload`, the same nonce:
 * fetched beside the entry, not a round trip per import level); `insecure` adds the red bar and tells the page (no sign-in).
 */
export function shellHtml(manifest: ConsoleManifest, nonce: string, insecure: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Baton</title>
<link rel="icon" href="data:,">
${manifest.css ? `<link rel="stylesheet" href="/console/${manifest.css}">\n` : ''}${(manifest.preload ?? []).filter((f) => manifest.files.includes(f)).map((f) => `<link rel="modulepreload" nonce="${nonce}" href="/console/${f}">\n`).join('')}<script type="module" nonce="${nonce}" src="/console/${manifest.entry}"></script>
</head>
<body data-insecure="${insecure}">
${insecure ? '<div class="insecure-bar" role="alert">insecure: everyone is admin (baton serve --insecure)</div>\n' : ''}<div id="app"></div>
<noscript>The Baton console needs JavaScript.</noscript>
</body>
</html>
`;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.map': 'application/json' };

/** The console's routes of a server: `handles` tells whether a path is the console's; `answer` answers it. */
export class ConsoleRoute {
  constructor(
    private readonly dir: string,
    private readonly insecure: boolean,
  ) {}

  /** Whether `path` is the console's: `/` and `/console/…`. */
  handles(path: string): boolean {
    return path === '/' || path.startsWith('/console/');
  }

  /**
   * Answers `GET /` (the shell, a fresh 128-bit nonce per response) or `GET /console/<file>` (a manifest file).
   * The manifest is read per request, so a rebuild is served at once.
   * @throws HttpError 405 `METHOD_NOT_ALLOWED` (not GET/HEAD), 404 `CONSOLE_NOT_BUILT` (no out/console/manifest.json),
   *   404 `NOT_FOUND` (a file the manifest does not list).
   */
  async answer(_req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`);
    const manifest = await this.manifest();
    if (path === '/') {
      const nonce = randomBytes(16).toString('base64');
      const body = shellHtml(manifest, nonce, this.insecure);
      res.writeHead(200, { ...shellHeaders(nonce), 'content-length': Buffer.byteLength(body) });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const name = path.slice('/console/'.length);
    if (!manifest.files.includes(name)) throw new HttpError(404, 'NOT_FOUND', `no console file ${name}`);
    const bytes = await readFile(this.file(name));
    res.writeHead(200, {
      'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      'content-length': bytes.length,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    res.end(method === 'HEAD' ? undefined : bytes);
  }

  private async manifest(): Promise<ConsoleManifest> {
    let text: string;
    try {
      text = await readFile(path.join(this.dir, 'manifest.json'), 'utf8');
    } catch {
      throw new HttpError(404, 'CONSOLE_NOT_BUILT', `the console is not built (no ${path.join(this.dir, 'manifest.json')}): run npm run build`);
    }
    const manifest = JSON.parse(text) as ConsoleManifest;
    if (typeof manifest.entry !== 'string' || !Array.isArray(manifest.files)) throw new HttpError(404, 'CONSOLE_NOT_BUILT', `${path.join(this.dir, 'manifest.json')} is not a console manifest: run npm run build`);
    return manifest;
  }

  /** A listed file's path: the manifest's names are esbuild's, joined here only after the list matched exactly. */
  private file(name: string): string {
    return path.join(this.dir, ...name.split('/'));
  }
}
