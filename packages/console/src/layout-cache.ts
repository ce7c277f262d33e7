// Laid-out graphs kept in the browser (IndexedDB) by definition hash, flow and folds: a definition never changes under
// its hash, so another run of it — in another tab, after a reload — is drawn without elkjs (a 1,000-step flow's layout
// takes ~0.3–2 s). Only the geometry is kept (node ids with their boxes, edge ids with their routes): the graph's
// texts (labels, prompts, ranges) come from the server's answer each time, never from the cache.
import type { FlowGraph, GraphGeometry, GraphLayout } from '@baton/protocol';
import { geometryOf, withGeometry } from '@baton/graph';

/** What one entry holds: the geometry of a layout, by node and edge id. */
interface Geometry extends GraphGeometry {
  key: string;
  /** When it was stored (ms since the epoch), to drop the oldest. */
  at: number;
}

/** Bumped when the layout code changes what it draws: older geometry is then never read (another database name). */
const LAYOUT_VERSION = 1;
const DB = `baton-console-layouts-v${LAYOUT_VERSION}`;
const STORE = 'layouts';
/** Entries kept; beyond, the oldest go. */
const MAX_ENTRIES = 24;

function open(): Promise<IDBDatabase | undefined> {
  return new Promise((resolve) => {
    try {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(undefined);
      request.onblocked = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  });
}

function done<T>(request: IDBRequest<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(undefined);
  });
}

/**
 * The layout of `graph` stored under `key`, rebuilt with the graph's own nodes and edges; undefined when none is
 * stored, when it does not fit the graph (a node or edge without geometry), or when IndexedDB is not available.
 */
export async function cachedLayout(key: string, graph: FlowGraph): Promise<GraphLayout | undefined> {
  const db = await open();
  if (!db) return undefined;
  try {
    const geometry = (await done(db.transaction(STORE).objectStore(STORE).get(key))) as Geometry | undefined;
    if (!geometry) return undefined;
    return withGeometry(graph, geometry);
  } finally {
    db.close();
  }
}

/** Stores `layout`'s geometry under `key` (dropping the oldest entries beyond {@link MAX_ENTRIES}). Never rejects. */
export async function storeLayout(key: string, layout: GraphLayout): Promise<void> {
  const db = await open();
  if (!db) return;
  try {
    const geometry: Geometry = { key, at: Date.now(), ...geometryOf(layout) };
    const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
    await done(store.put(geometry));
    const count = (await done(db.transaction(STORE).objectStore(STORE).count())) ?? 0;
    if (count > MAX_ENTRIES) {
      const all = ((await done(db.transaction(STORE).objectStore(STORE).getAll())) ?? []) as Geometry[];
      const stale = all.sort((a, b) => a.at - b.at).slice(0, all.length - MAX_ENTRIES);
      const removing = db.transaction(STORE, 'readwrite').objectStore(STORE);
      for (const g of stale) removing.delete(g.key);
    }
  } catch {
    // a full or unavailable store: the next open lays out again
  } finally {
    db.close();
  }
}
