// What a run's events count for `baton serve`'s Prometheus metrics: the executing thread turns each stored event
// into a small sample and posts it on a BroadcastChannel; the HTTP thread's registry (cli/src/serve/metrics.ts)
// adds the samples up. One channel name per server, so two servers in one process never mix their counts.
import { BroadcastChannel } from 'node:worker_threads';
import type { RunEvent } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';
import type { RunTelemetry } from './run-telemetry.js';

/**
 * One sample of the metrics, as posted by {@link createRunMetricsObserver}. `flow`: the run's flow; `step`: the step's
 * key without its loop indexes (`lines[2]/check` → `lines/check`, so that a label has as many values as the
 * definition has steps, not as many as a loop has items); times in seconds, cost in US dollars.
 */
export type RunMetricSample =
  | { kind: 'run.started'; flow: string }
  | { kind: 'run.finished'; flow: string; status: 'succeeded' | 'failed' | 'cancelled' }
  | { kind: 'step.finished'; flow: string; step: string; status: string; seconds: number; costUsd?: number }
  | { kind: 'step.retrying'; flow: string; step: string }
  | { kind: 'run.redriven'; flow: string }
  /** Tokens of one agent call: `input`/`output` when the provider split them, else `total` alone. */
  | { kind: 'tokens'; flow: string; input?: number; output?: number; total?: number }
  /** An SLA breach recorded (`sla.breached`): of the run's flow SLA or of an approval's. */
  | { kind: 'sla.breached'; flow: string; sla: 'flow' | 'approval' };

/** A step key's label: its loop indexes removed (`migrate[3]` → `migrate`, `a[0]/b[1]` → `a/b`). */
export function stepLabel(key: string): string {
  return key.replace(/\[\d+\]/g, '');
}

/**
 * Counts the runs executed in this thread for the metrics registry listening on `channel`: a {@link RunTelemetry}
 * that makes one {@link RunMetricSample} per counted event (run started, ended, step finished or retried, a
 * redrive) and per agent call with tokens, and posts them as an array, once per turn of the event loop.
 * `close()` posts what is left and closes its channel.
 */
export function createRunMetricsObserver(channel: string): RunTelemetry & { close(): void } {
  const out = new BroadcastChannel(channel);
  out.unref();
  /** The flow of each run executing here (events after `run.started` do not name it). */
  const flows = new Map<string, string>();
  // samples go out together, once per turn of the event loop: a message costs the executing thread ~0.5 ms, a
  // sample a few µs (at hundreds of steps a second, one message each was a quarter of its time)
  let batch: RunMetricSample[] = [];
  const post = (sample: RunMetricSample): void => {
    if (batch.push(sample) === 1) setImmediate(flush);
  };
  const flush = (): void => {
    const samples = batch;
    batch = [];
    if (samples.length > 0) out.postMessage(samples);
  };
  return {
    observe(event: RunEvent): void {
      switch (event.type) {
        case 'run.started':
          flows.set(event.runId, event.flow);
          return post({ kind: 'run.started', flow: event.flow });
        case 'run.resumed':
          flows.set(event.runId, event.flow);
          if (event.redrive) post({ kind: 'run.redriven', flow: event.flow });
          return;
        case 'step.finished': {
          const flow = flows.get(event.runId) ?? '';
          return post({ kind: 'step.finished', flow, step: stepLabel(event.step), status: event.status, seconds: event.durationMs / 1000, ...(event.costUsd !== undefined ? { costUsd: event.costUsd } : {}) });
        }
        case 'step.retrying':
          return post({ kind: 'step.retrying', flow: flows.get(event.runId) ?? '', step: stepLabel(event.step) });
        case 'sla.breached':
          // one the engine found late (a poller's is counted where it polls)
          return post({ kind: 'sla.breached', flow: flows.get(event.runId) ?? '', sla: event.key === 'flow' ? 'flow' : 'approval' });
        case 'run.waiting':
          flows.delete(event.runId);
          return;
        case 'run.succeeded':
        case 'run.failed':
        case 'run.cancelled': {
          const flow = flows.get(event.runId) ?? '';
          flows.delete(event.runId);
          return post({ kind: 'run.finished', flow, status: event.type === 'run.succeeded' ? 'succeeded' : event.type === 'run.failed' ? 'failed' : 'cancelled' });
        }
        default:
          return;
      }
    },
    resumed(runId: string, past: readonly RunEvent[]): void {
      const first = past.find((e) => e.type === 'run.started' || e.type === 'run.resumed') as { flow?: string } | undefined;
      if (first?.flow !== undefined) flows.set(runId, first.flow);
    },
    wrap(caller: AgentCaller): AgentCaller {
      const count = (runId: string, response: { usage?: { input: number; output: number }; tokens?: number }): void => {
        const flow = flows.get(runId) ?? '';
        if (response.usage) post({ kind: 'tokens', flow, input: response.usage.input, output: response.usage.output });
        else if (response.tokens) post({ kind: 'tokens', flow, total: response.tokens });
      };
      const wrapped: AgentCaller = {
        async call(request) {
          const response = await caller.call(request);
          count(request.runId, response);
          return response;
        },
      };
      const turn = caller.turn?.bind(caller);
      if (turn) {
        wrapped.turn = async (request) => {
          const response = await turn(request);
          count(request.runId, response);
          return response;
        };
      }
      return wrapped;
    },
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    close: () => {
      flush();
      out.close();
    },
  };
}

/** One {@link RunTelemetry} telling each of `parts` (in order; calls wrapped by each, the first outermost). */
export function composeRunTelemetry(parts: RunTelemetry[]): RunTelemetry {
  if (parts.length === 1) return parts[0];
  return {
    observe: (event) => {
      for (const p of parts) p.observe(event);
    },
    resumed: (runId, past) => {
      for (const p of parts) p.resumed(runId, past);
    },
    wrap: (caller) => parts.reduceRight((inner, p) => p.wrap(inner), caller),
    flush: async () => {
      await Promise.all(parts.map((p) => p.flush()));
    },
    shutdown: async () => {
      await Promise.all(parts.map((p) => p.shutdown()));
    },
  };
}
