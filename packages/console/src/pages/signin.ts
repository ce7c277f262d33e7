// `#/signin[?next=<hash>]`: a token → a session cookie (POST /session), then back to `next` (a notification's link
// survives sign-in). A wrong token is said in place.
import { html } from 'lit';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { ApiError } from '../api.js';
import { href, navigate } from '../router.js';
import { insecureServer, signIn } from '../session.js';
import { ConsolePage } from './page.js';

/** The sign-in form. */
export class SignInPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, error: { state: true }, busy: { state: true } };
  declare error: string | undefined;
  declare busy: boolean;

  constructor() {
    super();
    this.error = undefined;
    this.busy = false;
  }

  override render() {
    if (insecureServer()) return html`<section class="signin"><h1>Baton</h1><p>This server runs <code>--insecure</code>: there is no sign-in. <a href="#/runs">Open the runs</a>.</p></section>`;
    return html`<section class="signin">
      <h1>Sign in to Baton</h1>
      <p class="muted">Paste your API token (the value of your <code>tokenEnv</code> in baton.config.json).</p>
      <form @submit=${this.submit} novalidate>
        <label for="token">Token</label>
        <vscode-textfield id="token" name="token" type="password" autocomplete="off" ?invalid=${this.error !== undefined} @keydown=${this.enter}></vscode-textfield>
        <p class="error" role="alert" ?hidden=${this.error === undefined}>${this.error ?? ''}</p>
        <vscode-button id="sign-in" ?disabled=${this.busy} @click=${this.submit}>Sign in</vscode-button>
      </form>
    </section>`;
  }

  private enter(e: KeyboardEvent): void {
    if (e.key === 'Enter') void this.submit(e);
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const token = ((this.querySelector('#token') as HTMLInputElement | null)?.value ?? '').trim();
    if (token === '') {
      this.error = 'enter your token';
      return;
    }
    this.busy = true;
    try {
      await signIn(token);
      this.error = undefined;
      const next = this.query.get('next');
      navigate(next && next.startsWith('#/') && !next.startsWith('#/signin') ? next : href('runs'), true);
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }
}
customElements.define('baton-signin-page', SignInPage);
