// The console's pages: each is a custom element loaded on demand (its own chunk), registered here with its hash
// route. A page file (pages/runs.ts, pages/run.ts, …) defines its element; pages/index.ts lists them, one entry each.
import type { Permission } from '@baton/protocol/access-rules';
import { matchPattern, type Route } from '../router.js';

/** One page of the console. */
export interface PageDef {
  /** Its route: literal segments and `:name` parameters, e.g. `runs/:id` for `#/runs/<id>`. */
  pattern: string;
  /** The custom element's tag (defined by the module `load` imports). */
  tag: string;
  /** Imports the page's module (a dynamic import(): its own chunk). */
  load: () => Promise<unknown>;
  /** The document title while shown ("Runs"). */
  title: string;
  /** Shown in the header's navigation, in `order`; `permission`: only to users whose roles grant it. */
  nav?: { label: string; order: number; permission?: Permission };
  /** Shown without a session (the sign-in page). */
  public?: boolean;
}

const pages: PageDef[] = [];

/** Adds a page (one element may serve several patterns, e.g. `start` and `start/:flow`). @throws Error when its pattern is taken. */
export function registerPage(page: PageDef): void {
  if (pages.some((p) => p.pattern === page.pattern)) throw new Error(`page ${page.pattern} is registered twice`);
  pages.push(page);
}

/** The page of a route with its parameters (literal patterns win over parameters), or undefined. */
export function pageFor(route: Route): { page: PageDef; params: Record<string, string> } | undefined {
  const ranked = [...pages].sort((a, b) => a.pattern.split(':').length - b.pattern.split(':').length);
  for (const page of ranked) {
    const params = matchPattern(page.pattern, route);
    if (params) return { page, params };
  }
  return undefined;
}

/** The pages shown in the navigation, in order. */
export function navPages(): PageDef[] {
  return pages.filter((p) => p.nav).sort((a, b) => a.nav!.order - b.nav!.order);
}
