import type { TestDef, WorkflowDefinition } from '@baton/protocol';
import { exprToText } from '@baton/protocol';
import { createStubAgents } from '../agents/stub.js';
import { toRunError } from '../errors.js';
import { evaluate } from '../expr/evaluate.js';
import { makeRecord, truthy } from '../expr/values.js';
import { startRunDetailed, type RunSummary } from '../engine/engine.js';
import { skippedView } from '../engine/scope.js';
import { RunStore } from '../store/run-store.js';

/** The outcome of one `test` block. */
export interface TestResult {
  name: string;
  flow: string;
  passed: boolean;
  /** Wall time, ms. */
  durationMs: number;
  /** Why it failed: the `expect` text and the run's status and error. */
  message?: string;
  runId?: string;
  status?: string;
}

/**
 * Runs `test` blocks offline: each runs its flow with stub agents (the test's `stub` lines override the
 * agents' own), without real delays (retry backoff and timers are instant), and evaluates `expect` over
 * the finished run: every step of the flow by name (one that did not run reads as status `skipped`),
 * `output`, `input` and `status` (the run's final state).
 * @param options.store keeps the test runs (default: an in-memory store).
 */
export async function runTests(definition: WorkflowDefinition, tests: TestDef[], options: { store?: RunStore; onResult?: (r: TestResult) => void } = {}): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const store = options.store ?? RunStore.open(':memory:');
  try {
    for (const test of tests) {
      const result = await runOne(definition, test, store);
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    if (!options.store) store.close();
  }
  return results;
}

async function runOne(definition: WorkflowDefinition, test: TestDef, store: RunStore): Promise<TestResult> {
  const started = Date.now();
  const base = { name: test.name, flow: test.flow };
  let summary: RunSummary;
  let scopeLookup: (name: string) => unknown;
  try {
    const { summary: s, result } = await startRunDetailed(definition, test.flow, (test.input ?? {}) as Record<string, unknown>, {
      store,
      agents: createStubAgents(test.stubs),
      sleep: async () => undefined,
      shortWaitMs: 0,
      random: () => 0.5,
    });
    summary = s;
    scopeLookup = (name) => {
      const v = result.scope.get(name);
      if (v !== undefined) return v;
      if (result.stepNames.has(name)) return skippedView();
      return undefined;
    };
  } catch (error) {
    const e = toRunError(error);
    return { ...base, passed: false, durationMs: Date.now() - started, message: `the run did not start: ${e.message}` };
  }
  let passed = false;
  let message: string | undefined;
  try {
    const value = evaluate(test.expect, {
      lookup: (name) => {
        if (name === 'status') return summary.status;
        if (name === 'output') return makeRecord(Object.entries(summary.outputs));
        if (name === 'input') return makeRecord(Object.entries((test.input ?? {}) as Record<string, unknown>));
        const v = scopeLookup(name);
        return v;
      },
      now: () => new Date().toISOString(),
    });
    passed = truthy(value);
  } catch (error) {
    message = `expect could not be evaluated: ${toRunError(error).message}`;
  }
  if (!passed && !message) {
    message = `expected ${exprToText(test.expect)}; the run ${summary.status}` + (summary.error ? ` (${summary.error.code}: ${summary.error.message})` : '');
  }
  return { ...base, passed, durationMs: Date.now() - started, message, runId: summary.runId, status: summary.status };
}
