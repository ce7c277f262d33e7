/**
 * The graph panel's HTML page (no `vscode` import, so the webview tests load the very same page in
 * Chromium). Content Security Policy: `default-src 'none'`; scripts only with the page's nonce; styles,
 * images and fonts only from the webview's resource root (`cspSource`); images also from `blob:`/`data:`
 * (the PNG export draws the SVG through a blob URL). No data is pasted into the page: the graph arrives
 * as messages after the script sends `ready`.
 */
export interface GraphPanelHtmlOptions {
  /** `webview.cspSource` (the origin resources are served from). */
  cspSource: string;
  /** A fresh random nonce per page (base64 or hex, ≥ 128 bits). */
  nonce: string;
  /** `out/webview/graph-panel.js` and `out/webview/graph-panel.css` as webview URIs. */
  scriptUri: string;
  styleUri: string;
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
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource} blob: data:`, `font-src ${cspSource}`].join('; ');
}

/** The page: a CSP meta tag, the stylesheet, an empty `#app` and the script (which builds everything else). */
export function graphPanelHtml(options: GraphPanelHtmlOptions): string {
  const attr = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const prelude = (options.preludeScripts ?? []).map((s) => `<script nonce="${attr(options.nonce)}">${s}</script>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(graphPanelCsp(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(options.styleUri)}">
<title>Baton graph</title>
</head>
<body>
<div id="app"></div>
${prelude}<script nonce="${attr(options.nonce)}" src="${attr(options.scriptUri)}"${options.elkUri ? ` data-elk="${attr(options.elkUri)}"` : ''}></script>
</body>
</html>`;
}
