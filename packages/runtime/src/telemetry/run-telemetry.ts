// The runtime's seam for tracing: what the engine calls when a process has telemetry installed. The OpenTelemetry
// SDK itself is in otel-telemetry.ts, its own bundle (out/telemetry.mjs), loaded only when an OTLP endpoint is
// configured (load-telemetry.ts) — a process without one loads none of it and the engine only checks a global.
import { createHash } from 'node:crypto';
import type { RunEvent } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';

/**
 * What the engine tells a process's telemetry. Installed once per process (or worker thread) with
 * {@link installRunTelemetry}; every run the engine starts, resumes or continues afterwards reports to it.
 */
export interface RunTelemetry {
  /** Every event of a run executed here, once it is stored (the engine's `onEvent` order). */
  observe(event: RunEvent): void;
  /**
   * A run continues here (resumed, redriven, taken over, or a queued run starting): `past` is its stored log before
   * this execution's first event. Called before any event of the execution is observed.
   */
  resumed(runId: string, past: readonly RunEvent[]): void;
  /** The caller the run's steps use: each call made through it is traced (and carries `traceparent`). */
  wrap(caller: AgentCaller): AgentCaller;
  /** Exports what has ended so far. Never throws. */
  flush(): Promise<void>;
  /** Flushes and stops (the process ends). Never throws; bounded in time. */
  shutdown(): Promise<void>;
}

/** A registered symbol: the CLI's bundle, serve's executor bundle and the cluster bundle each carry a runtime copy. */
const INSTALLED = Symbol.for('baton.runTelemetry');

/** Makes `telemetry` this process's (thread's) telemetry; `undefined` removes it. */
export function installRunTelemetry(telemetry: RunTelemetry | undefined): void {
  (globalThis as { [INSTALLED]?: RunTelemetry })[INSTALLED] = telemetry;
}

/** This process's (thread's) telemetry, if one is installed. */
export function activeRunTelemetry(): RunTelemetry | undefined {
  return (globalThis as { [INSTALLED]?: RunTelemetry })[INSTALLED];
}

/**
 * The W3C trace context of run `runId`'s trace, derived from its id alone: the trace id is the first 16 bytes of
 * SHA-256(`baton-run:<runId>`) and the run span's id the next 8 (lower-case hex; W3C Trace Context §3.2.2.3 — never
 * all zero, as a SHA-256 prefix of that length practically never is). Every process that executes a part of the
 * run — the one that started it, the one that resumed it after an approval, a worker that took it over — thus puts
 * its spans in one trace under one run span, with nothing stored in the run.
 */
export function runTraceIds(runId: string): { traceId: string; spanId: string } {
  const hex = createHash('sha256').update(`baton-run:${runId}`).digest('hex');
  return { traceId: hex.slice(0, 32), spanId: hex.slice(32, 48) };
}
