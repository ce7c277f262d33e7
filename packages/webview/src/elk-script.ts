/**
 * elkjs for the panel's page, from a script file of its own: out/webview/elk.js (elkjs' bundled build, which sets
 * `window.ELK`). esbuild.mjs maps `elkjs/lib/elk.bundled.js` to this module for the page, so the page's script stays
 * small (≈ 0.3 MB instead of 1.7 MB) and elkjs (1.6 MB, ~1 s to compile and start cold) is fetched only when the
 * page lays a graph out itself — the first drawing arrives laid out by the language server.
 * The page's `<script>` names the file (`data-elk`, graphPanelHtml) and carries the page's nonce, which the added
 * script gets too: the strict CSP (`script-src 'nonce-…'`) stays as it is.
 */
import type { ELK, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import { mark } from './page-marks.js';

type ElkConstructor = new () => ELK;

/** The page's script element, which names elk.js (`data-elk`) and carries the nonce (read when needed: this module may be evaluated late). */
const own = (): HTMLScriptElement | null => document.querySelector<HTMLScriptElement>('script[data-elk]');

let loading: Promise<ElkConstructor> | undefined;

/** Loads out/webview/elk.js once (a `<script>` with the page's nonce); resolves with elkjs' constructor. */
export function loadElk(): Promise<ElkConstructor> {
  loading ??= new Promise<ElkConstructor>((resolve, reject) => {
    const loaded = (): ElkConstructor | undefined => (window as unknown as { ELK?: ElkConstructor }).ELK;
    if (loaded()) return resolve(loaded()!);
    const page = own();
    const elkUrl = page?.dataset.elk;
    if (!elkUrl) return reject(new Error('the page does not name its layout script (data-elk)'));
    const script = document.createElement('script');
    if (page.nonce) script.nonce = page.nonce;
    script.src = elkUrl;
    script.async = true;
    script.onload = () => {
      const ELK = loaded();
      if (!ELK) return reject(new Error('the layout script did not define ELK'));
      mark('elk');
      resolve(ELK);
    };
    script.onerror = () => reject(new Error(`the layout script could not be loaded (${elkUrl})`));
    document.head.append(script);
  });
  // a failed load may be retried by the next layout
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Stands for elkjs' ELK class in @baton/graph's `layoutFlowGraph` (`new ELK()`, then `layout`): loads the script first. */
export default class ElkFromScript {
  private engine: ELK | undefined;

  async layout(graph: ElkNode, options?: { layoutOptions?: LayoutOptions }): Promise<ElkNode> {
    this.engine ??= new (await loadElk())();
    return this.engine.layout(graph, options);
  }
}
