// The base of every console page: a lit element rendered into the light DOM (so the console's stylesheet applies and
// tests find its elements), given its route parameters and query by the shell.
import { LitElement } from 'lit';

/** A page element: the shell sets `params` (the route's `:name` parameters) and `query` before connecting it. */
export class ConsolePage extends LitElement {
  static override properties = { params: { attribute: false }, query: { attribute: false } };
  declare params: Record<string, string>;
  declare query: URLSearchParams;

  constructor() {
    super();
    this.params = {};
    this.query = new URLSearchParams();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
