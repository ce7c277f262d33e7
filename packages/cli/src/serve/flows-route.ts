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

/** A trigger of a served flow (the IR's `Trigger` without its source range). */
export type TriggerInfo = Trigger extends infer T ? (T extends Trigger ? Omit<T, 'range'> : never) : never;

/** One flow of `GET /flows`. */
export interface FlowInfo {
  name: string;
  /** The file declaring it, relative to the served folder (`/`-separated). */
  file: string;
  /** Its doc comment, when it has one. */
  doc?: string;
  /** The flow's triggers as the IR has them, without their source ranges. */
  triggers: TriggerInfo[];
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
      // without their source ranges: a page needs no path on the server
      triggers: flow.triggers.map(({ range: _range, ...trigger }) => trigger as TriggerInfo),
      inputs: flow.inputs.map((input) => ({ name: input.name, type: input.type, ...(input.default !== undefined ? { default: input.default } : {}) })),
      ...(flow.slaMs !== undefined ? { slaMs: flow.slaMs } : {}),
    });
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.file < b.file ? -1 : 1));
}
