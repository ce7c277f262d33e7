/**
 * The graph panel's HTML page (no `vscode` import, so the webview tests load the very same page in
 * Chromium). Content Security Policy: `default-src 'none'`; scripts only with the page's nonce; styles only with
 * the page's nonce or from the webview's resource root (`cspSource`); images and fonts only from that root; images
 * also from `blob:`/`data:` (the PNG export draws the SVG through a blob URL). No data is pasted into the page:
 * the graph arrives as messages after the script sends `ready`.
 * The page's script and stylesheet are written into the page (with the nonce) when their text is given
 * ({@link readInlineAssets}): a webview fetches each resource through its service worker and the workbench, which
 * took ~0.45 s in code-server for these two, before the script could start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface GraphPanelHtmlOptions {
  /** `webview.cspSource` (the origin resources are served from). */
  cspSource: string;
  /** A fresh random nonce per page (base64 or hex, ≥ 128 bits). */
  nonce: string;
  /** `out/webview/graph-panel.js` and `out/webview/graph-panel.css` as webview URIs (used when their text is not given). */
  scriptUri: string;
  styleUri: string;
  /** The script's and the stylesheet's text, written into the page instead of loaded (see {@link readInlineAssets}). */
  scriptText?: string;
  styleText?: string;
  /**
   * `out/webview/elk.js` (elkjs) as a webview URI: the page loads it with its nonce only when it lays a graph out
   * itself (packages/webview/src/elk-script.ts); the script tag names it (`data-elk`).
   */
  elkUri?: string;
  /** Scripts to run before the panel's (the tests' fake `acquireVsCodeApi`); each gets the nonce. */
  preludeScripts?: string[];
}

/** The page's Content-Security-Policy value. */
export function graphPanelCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`, `img-src ${cspSource} blob: data:`, `font-src ${cspSource}`].join('; ');
}

/** The page: a CSP meta tag, the stylesheet, an empty `#app` and the script (which builds everything else). */
export function graphPanelHtml(options: GraphPanelHtmlOptions): string {
  const attr = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const nonce = attr(options.nonce);
  const prelude = (options.preludeScripts ?? []).map((s) => `<script nonce="${nonce}">${s}</script>`).join('');
  const style = options.styleText !== undefined ? `<style nonce="${nonce}">${options.styleText}</style>` : `<link rel="stylesheet" href="${attr(options.styleUri)}">`;
  const elk = options.elkUri ? ` data-elk="${attr(options.elkUri)}"` : '';
  const script = options.scriptText !== undefined ? `<script nonce="${nonce}"${elk}>${options.scriptText}</script>` : `<script nonce="${nonce}" src="${attr(options.scriptUri)}"${elk}></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(graphPanelCsp(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style}
<title>Baton graph</title>
</head>
<body>
<div id="app"></div>
${prelude}${script}
</body>
</html>`;
}

const inlineCache = new Map<string, { scriptText?: string; styleText?: string }>();

/**
 * The panel's script and stylesheet (`graph-panel.js`, `graph-panel.css` in `dir`, out/webview) as text to write into
 * the page, read once per `dir`. A text that could end its element early or change how the HTML parser reads it
 * (`</script`, `<!--` in the script; `</style` in the stylesheet — the build has none) or a file that cannot be read
 * is left out: the page then loads that file from its URI.
 */
export function readInlineAssets(dir: string): { scriptText?: string; styleText?: string } {
  let assets = inlineCache.get(dir);
  if (!assets) {
    const read = (name: string, unsafe: RegExp): string | undefined => {
      try {
        const text = readFileSync(path.join(dir, name), 'utf8');
        return unsafe.test(text) ? undefined : text;
      } catch {
        return undefined;
      }
    };
    const scriptText = read('graph-panel.js', /<\/script|<!--/i);
    const styleText = read('graph-panel.css', /<\/style/i);
    assets = { ...(scriptText !== undefined ? { scriptText } : {}), ...(styleText !== undefined ? { styleText } : {}) };
    inlineCache.set(dir, assets);
  }
  return assets;
}
