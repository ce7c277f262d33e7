// `<baton-console>`: the console's frame — the header (navigation, who is signed in, the tenant picker of a user of
// several tenants, sign-out) and the page of the current hash route, loaded on demand; pages that need a session send
// a signed-out user to `#/signin?next=…`.
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { ApiError } from './api.js';
import { currentRoute, currentTenant, href, navigate, onRouteChange, type Route } from './router.js';
import { loadSession, may, onSessionChange, session, signInHref, signOut } from './session.js';
import { navPages, pageFor } from './pages/registry.js';
import type { ConsolePage } from './pages/page.js';

/** The console's frame element (light DOM). */
export class ConsoleApp extends LitElement {
  static override properties = { page: { state: true }, problem: { state: true }, active: { state: true }, tenant: { state: true } };
  declare page: ConsolePage | undefined;
  declare problem: string | undefined;
  declare active: string;
  /** The route's `tenant=` ('' when it names none: the user's first tenant). */
  declare tenant: string;
  private shown = 0;
  private readonly stops: (() => void)[] = [];

  constructor() {
    super();
    this.page = undefined;
    this.problem = undefined;
    this.active = '';
    this.tenant = '';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.stops.push(onRouteChange((route) => void this.show(route)), onSessionChange(() => this.requestUpdate()));
    void this.show(currentRoute());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Shows the page of `route` (the latest call wins when loads overlap). */
  private async show(route: Route): Promise<void> {
    const turn = ++this.shown;
    if (route.path === '') {
      navigate(href('runs'), true);
      return;
    }
    const found = pageFor(route);
    if (!found) {
      this.page = undefined;
      this.problem = `There is no page ${location.hash}.`;
      return;
    }
    // the page's module loads while the session is asked for (not one after the other)
    const loading = found.page.load();
    try {
      if (!found.page.public && !(await loadSession())) {
        loading.catch(() => undefined);
        if (turn === this.shown) navigate(signInHref(), true);
        return;
      }
      await loading;
    } catch (error) {
      if (turn !== this.shown) return;
      this.page = undefined;
      this.problem = error instanceof ApiError ? error.message : `The page could not be loaded: ${String(error)}`;
      return;
    }
    if (turn !== this.shown) return;
    document.title = `${found.page.title} · Baton`;
    this.active = found.page.pattern.split('/')[0];
    this.problem = undefined;
    // the same page with other parameters or another query is updated in place (its state kept) — in another tenant
    // it is a new page: nothing of the other tenant's stays on it
    const tenant = route.query.get('tenant') ?? '';
    const page = this.page?.localName === found.page.tag && tenant === this.tenant ? this.page : (document.createElement(found.page.tag) as ConsolePage);
    this.tenant = tenant;
    page.params = found.params;
    page.query = route.query;
    this.page = page;
  }

  override render(): TemplateResult {
    const who = session();
    const links = navPages().filter((p) => !p.nav!.permission || may(p.nav!.permission));
    return html`<header class="topbar">
        <a class="brand" href=${href('runs')}>Baton</a>
        <nav aria-label="Pages">${who ? links.map((p) => html`<a href=${href(p.pattern)} aria-current=${this.active === p.pattern ? 'page' : nothing}>${p.nav!.label}</a>`) : nothing}</nav>
        <span class="spacer"></span>
        ${who && who.tenants.length > 1 ? this.tenantPicker(who.tenants, this.tenant || who.tenant) : nothing}
        ${who ? html`<span class="who" title=${`tenant ${this.tenant || who.tenant}`}><span class="user">${who.user}</span> <span class="muted">${who.roles.join(', ')} · ${this.tenant || who.tenant}</span></span>
          ${who.insecure ? nothing : html`<vscode-button secondary id="sign-out" @click=${() => void signOut()}>Sign out</vscode-button>`}` : nothing}
      </header>
      <main id="page">${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : (this.page ?? html`<p class="muted">Loading…</p>`)}</main>`;
  }

  /** The header's tenant picker (a user of several tenants): another tenant opens the same list page in it. */
  private tenantPicker(tenants: string[], shown: string): TemplateResult {
    return html`<label class="tenant-picker">Tenant
      <vscode-single-select id="tenant-picker" @change=${(e: Event) => this.switchTenant((e.target as HTMLSelectElement).value)}>
        ${tenants.map((t) => html`<vscode-option value=${t} ?selected=${t === shown}>${t}</vscode-option>`)}
      </vscode-single-select>
    </label>`;
  }

  /**
   * Goes to `tenant`: the page shown, without its parameters and query (a run, a flow or a filter of the other tenant
   * means nothing in this one) — `#/runs/<id>` becomes `#/runs?tenant=<tenant>`.
   */
  private switchTenant(tenant: string): void {
    if (tenant === (currentTenant() ?? session()?.tenant)) return;
    navigate(href(currentRoute().segments[0] ?? 'runs', { tenant }));
  }
}
customElements.define('baton-console', ConsoleApp);
