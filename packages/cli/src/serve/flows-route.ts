// `GET /flows` of `baton serve`: the flows the caller can start, with what the console's start form needs.
import path from 'node:path';
import type { JsonValue, Trigger, TypeRef } from '@baton/protocol';
import type { ServePlan } from './server.js';
import { servedFlows } from './runs-route.js';

/** One input of a served flow: its name, its type (the IR's `TypeRef`) and its default when it has one. */
export interface FlowInputInfo {
  name: string;
  type: TypeRef;
  default?: JsonValue;
}

/** One flow of `GET /flows`. */
export interface FlowInfo {
  name: string;
  /** The file declaring it, relative to the served folder (`/`-separated). */
  file: string;
  /** Its doc comment, when it has one. */
  doc?: string;
  triggers: Trigger[];
  inputs: FlowInputInfo[];
  /** `sla` of the flow, ms. */
  slaMs?: number;
}

/**
 * The served flows (those with a trigger: what `POST /runs {flow}` starts for the caller's tenant), each once, by
 * name: `{name, file, doc?, triggers, inputs: [{name, type, default?}], slaMs?}`. `root` is the served folder: files
 * are named relative to it, never by their absolute path on the server.
 */
export function flowsOf(plan: ServePlan, root: string | undefined): FlowInfo[] {
  const seen = new Map<string, FlowInfo>();
  for (const served of servedFlows(plan)) {
    const key = `${served.file}#${served.flow.name}`;
    if (seen.has(key)) continue;
    const flow = served.flow;
    const file = root ? path.relative(root, served.file).split(path.sep).join('/') : path.basename(served.file);
    seen.set(key, {
      name: flow.name,
      file,
      ...(flow.doc !== undefined ? { doc: flow.doc } : {}),
      triggers: flow.triggers,
      inputs: flow.inputs.map((input) => ({ name: input.name, type: input.type, ...(input.default !== undefined ? { default: input.default } : {}) })),
      ...(flow.slaMs !== undefined ? { slaMs: flow.slaMs } : {}),
    });
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.file < b.file ? -1 : 1));
}
