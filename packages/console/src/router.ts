// The console's page routes are hash routes (`#/runs`, `#/runs/<id>?step=…`, `#/inbox?run=…&task=…`): they never
// collide with the JSON API at `/runs/<id>`, and the fragment survives sign-in, so a notification's link lands on
// its item (docs/console.md). A user of several tenants works in the one the route's `tenant=` names (the header's
// picker sets it; every link made by {@link href} keeps it; api.ts and live.ts send it to the server).

/** A parsed page route: `#/runs/01J…?step=a` → `{path: 'runs/01J…', segments: ['runs', '01J…'], query}`. */
export interface Route {
  /** The path without the leading `#/` and without the query; '' for the start page. */
  path: string;
  /** `path` split on `/`, each segment percent-decoded. */
  segments: string[];
  query: URLSearchParams;
}

/** Parses a location hash (`#/a/b?x=1`, `#a/b`, `` all work). A segment that is not valid percent-encoding stays as written. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)).replace(/\/+$/, '');
  const segments = path === '' ? [] : path.split('/').map(decode);
  return { path, segments, query: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)) };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Matches a route against a pattern of literal segments and `:name` parameters (`runs/:id`): the parameters, or
 * undefined when the route is not the pattern's (another segment count or another literal).
 */
export function matchPattern(pattern: string, route: Route): Record<string, string> | undefined {
  const parts = pattern === '' ? [] : pattern.split('/');
  if (parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith(':')) params[part.slice(1)] = route.segments[i];
    else if (part !== route.segments[i]) return undefined;
  }
  return params;
}

/**
 * The hash of a page route: `href('runs', id)` → `#/runs/<id, percent-encoded>`; `query` entries that are undefined
 * or '' are left out.
 */
export function href(path: string, ...rest: (string | Record<string, string | undefined>)[]): string {
  const segments = [path, ...rest.filter((r): r is string => typeof r === 'string').map(encodeURIComponent)];
  const query = rest.find((r): r is Record<string, string | undefined> => typeof r === 'object');
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  // the page's tenant goes with every link (the sign-in page's `next` holds it already)
  const tenant = path === 'signin' || query?.tenant !== undefined ? undefined : currentTenant();
  if (tenant) params.set('tenant', tenant);
  const q = params.toString();
  return `#/${segments.join('/')}${q ? `?${q}` : ''}`;
}

/**
 * The tenant the page works in: the route's `tenant=` (a user of several tenants chose it in the header), else
 * undefined — the server then uses the user's first tenant.
 */
export function currentTenant(): string | undefined {
  if (typeof location === 'undefined') return undefined;
  return currentRoute().query.get('tenant') || undefined;
}

/** `path` (an API path, maybe with a query) naming the page's tenant (`tenant=<id>`), when one is chosen. */
export function withTenant(path: string): string {
  const tenant = currentTenant();
  return tenant ? `${path}${path.includes('?') ? '&' : '?'}tenant=${encodeURIComponent(tenant)}` : path;
}

/** The current route (from `location.hash`). */
export function currentRoute(): Route {
  return parseHash(location.hash);
}

/** Goes to a page route (`#/…`); `replace` does not add a history entry (a redirect). */
export function navigate(hash: string, replace = false): void {
  if (replace) history.replaceState(history.state, '', hash);
  else location.hash = hash;
  // replaceState fires no hashchange: tell the listeners ourselves
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Calls `listener` with the route after every change of the hash; returns the function that stops it. */
export function onRouteChange(listener: (route: Route) => void): () => void {
  const handler = (): void => listener(currentRoute());
  window.addEventListener('hashchange', handler);
  return () => window.removeEventListener('hashchange', handler);
}
