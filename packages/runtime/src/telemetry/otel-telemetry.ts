// OpenTelemetry traces of runs, built from the run's event stream (its own bundle, out/telemetry.mjs; see
// load-telemetry.ts). One span per run, step, agent call (each attempt of a step is one call) and wait, with the
// GenAI semantic conventions' attributes on agent calls; the call's context goes to `http/` agents as `traceparent`.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, defaultTextMapSetter, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { AgentDef, RunEvent } from '@baton/protocol';
import type { AgentCaller, AgentRequest, AgentResponse, AgentTurnResponse } from '../agents/agent.js';
import { runTraceIds, type RunTelemetry } from './run-telemetry.js';
import type { TelemetrySettings } from './telemetry-settings.js';
import { openedWait, closedWait, type WaitOpen } from './wait-events.js';

/** How long {@link RunTelemetry.shutdown} waits for the last export (ms): a collector that is down never holds up an exit. */
export const SHUTDOWN_TIMEOUT_MS = 3_000;

/**
 * Random ids, except for the run span: {@link DeterministicIds.next} makes the next root span take the run's
 * derived trace and span ids ({@link runTraceIds}). The SDK's tracer asks for a span id, then (for a root span)
 * a trace id, synchronously inside `startSpan`.
 */
class DeterministicIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: { traceId: string; spanId: string } | undefined;
  generateTraceId(): string {
    const id = this.next?.traceId;
    this.next = undefined;
    return id ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.random.generateSpanId();
  }
}

/** The spans of one run open in this process. */
interface RunSpans {
  run: Span;
  runContext: Context;
  /** Open step spans by step instance key, with the number of calls made in them (attempts). */
  steps: Map<string, { span: Span; context: Context; calls: number }>;
  /** Open compensation spans by step key. */
  compensations: Map<string, { span: Span; context: Context; calls: number }>;
  /** Open wait spans by wait key (an approval's task). */
  waits: Map<string, Span>;
  /** Open tool call spans of steps' tool loops, by `<step>|<callId>` (a call id is unique within its step). */
  tools: Map<string, { span: Span; context: Context; calls: number }>;
}

/**
 * The GenAI semantic conventions' view of an agent (https://opentelemetry.io/docs/specs/semconv/gen-ai/): a model
 * (`openai/…`, `anthropic/…`, `ollama/…`, a configured provider) is a `chat` with that provider; an `http/` or
 * `command/` agent, or a stub, is an `invoke_agent` of the agent.
 */
export function genAiOf(agent: AgentDef): { operation: 'chat' | 'invoke_agent'; provider: string; model?: string } {
  const model = agent.model ?? '';
  const slash = model.indexOf('/');
  const provider = slash > 0 ? model.slice(0, slash) : model || 'stub';
  const name = slash > 0 ? model.slice(slash + 1) : '';
  if (provider === 'http' || provider === 'command' || provider === 'stub') return { operation: 'invoke_agent', provider: `baton.${provider}` };
  return { operation: 'chat', provider, ...(name ? { model: name } : {}) };
}

/** Milliseconds since the epoch of an event's ISO time (the span times are the stored events' times). */
function at(event: { time: string }): number {
  return Date.parse(event.time);
}

/**
 * Traces runs with the OpenTelemetry SDK: a `BasicTracerProvider` whose `BatchSpanProcessor` exports over OTLP/HTTP
 * (JSON) to `settings.tracesUrl`. Spans are made from the run's events as they are stored, with the events' times:
 * - the run span `run <flow>` (root; its trace and span ids derived from the run id, {@link runTraceIds}) from
 *   `run.started` to the run's end, ended by whichever process ends the run;
 * - a step span `step <key>` from `step.started` to `step.finished` (child of the run, or of the sub-flow step
 *   around it), `compensate <key>` likewise;
 * - one span per agent call (per attempt), child of its step, named by the GenAI conventions (`chat <model>`,
 *   `invoke_agent <agent>`), with `gen_ai.*` attributes and the tokens the call used;
 * - a wait span `wait <kind> <what>` from the wait's start to its end (decision, event, timer, condition, lock,
 *   withdrawal) — across processes: a run resumed elsewhere ends the waits its log shows ended meanwhile.
 * Attributes carry names, ids, counts, codes and statuses — never prompts, inputs, outputs, error messages or
 * header values.
 */
export function createOtelTelemetry(settings: TelemetrySettings): RunTelemetry {
  const ids = new DeterministicIds();
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers }));
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }), idGenerator: ids, spanProcessors: [processor] });
  const tracer = provider.getTracer('baton');
  const propagator = new W3CTraceContextPropagator();
  const runs = new Map<string, RunSpans>();

  const child = (name: string, parent: Context, start: number, attributes: Attributes, kind = SpanKind.INTERNAL): Span => tracer.startSpan(name, { startTime: start, attributes, kind }, parent);

  /** The run's spans, its run span (re)made with the run's ids; `started` is its `run.started` (or the resume's) time. */
  const open = (runId: string, flow: string, started: number): RunSpans => {
    ids.next = runTraceIds(runId);
    const run = tracer.startSpan(`run ${flow}`, { root: true, startTime: started, attributes: { 'baton.run.id': runId, 'baton.flow': flow } }, ROOT_CONTEXT);
    ids.next = undefined;
    const spans: RunSpans = { run, runContext: trace.setSpan(ROOT_CONTEXT, run), steps: new Map(), compensations: new Map(), waits: new Map(), tools: new Map() };
    runs.set(runId, spans);
    return spans;
  };

  /** The context a step (or wait) with instance key `key` starts in: the sub-flow step around it, else the run. */
  const parentOf = (spans: RunSpans, key: string): Context => {
    for (let cut = key.lastIndexOf('/'); cut > 0; cut = key.lastIndexOf('/', cut - 1)) {
      const around = spans.steps.get(key.slice(0, cut));
      if (around) return around.context;
      // a flow tool's steps (`<step>/<callId>/…`) are under its tool call's span
      const slash = key.lastIndexOf('/', cut - 1);
      const call = slash > 0 ? spans.tools.get(`${key.slice(0, slash)}|${key.slice(slash + 1, cut)}`) : undefined;
      if (call) return call.context;
    }
    return spans.runContext;
  };

  const startWait = (spans: RunSpans, runId: string, wait: WaitOpen, start: number): void => {
    spans.waits.get(wait.key)?.end(start);
    spans.waits.set(wait.key, child(`wait ${wait.kind}${wait.what ? ` ${wait.what}` : ''}`, parentOf(spans, wait.key), start, { 'baton.run.id': runId, 'baton.wait.kind': wait.kind, 'baton.wait.key': wait.key, 'baton.node': wait.node }));
  };

  const endRun = (spans: RunSpans, runId: string, event: RunEvent, status: 'succeeded' | 'failed' | 'cancelled'): void => {
    const end = at(event);
    for (const s of [...spans.tools.values(), ...spans.steps.values(), ...spans.compensations.values()]) s.span.end(end);
    for (const w of spans.waits.values()) w.end(end);
    spans.run.setAttribute('baton.run.status', status);
    if (event.type === 'run.failed') {
      spans.run.setStatus({ code: SpanStatusCode.ERROR, message: event.error.code });
      spans.run.setAttribute('error.type', event.error.code);
    }
    spans.run.end(end);
    runs.delete(runId);
  };

  const observe = (event: RunEvent): void => {
    const runId = event.runId;
    if (event.type === 'run.started') {
      if (!runs.has(runId)) open(runId, event.flow, at(event));
      return;
    }
    const spans = runs.get(runId) ?? (event.type === 'run.resumed' ? open(runId, event.flow, at(event)) : undefined);
    if (!spans) return;
    const time = at(event);
    const opened = openedWait(event);
    if (opened) return startWait(spans, runId, opened, time);
    const closed = closedWait(event);
    if (closed !== undefined) {
      const wait = spans.waits.get(closed.key);
      if (wait) {
        if (closed.outcome) wait.setAttribute('baton.wait.outcome', closed.outcome);
        wait.end(time);
        spans.waits.delete(closed.key);
      }
      return;
    }
    switch (event.type) {
      case 'run.resumed':
        spans.run.addEvent('run.resumed', { ...(event.redrive ? { 'baton.redrive': true } : {}), ...(event.takeover ? { 'baton.takeover': true } : {}) }, time);
        return;
      case 'step.started': {
        const span = child(`step ${event.step}`, parentOf(spans, event.step), time, { 'baton.run.id': runId, 'baton.step': event.step, 'baton.node': event.node, 'baton.agent': event.agent, 'baton.step.target': event.target });
        spans.steps.get(event.step)?.span.end(time);
        spans.steps.set(event.step, { span, context: trace.setSpan(ROOT_CONTEXT, span), calls: 0 });
        return;
      }
      case 'step.retrying':
        spans.steps.get(event.step)?.span.addEvent('step.retrying', { 'baton.attempt': event.attempt, 'baton.retry.delay_ms': event.delayMs, 'error.type': event.error.code }, time);
        return;
      case 'step.finished': {
        const open = spans.steps.get(event.step);
        if (!open) return;
        open.span.setAttributes({ 'baton.step.status': event.status, 'baton.step.attempts': event.attempts, 'baton.tokens': event.tokens, ...(event.costUsd !== undefined ? { 'baton.cost_usd': event.costUsd } : {}) });
        if (event.status === 'failed') {
          open.span.setStatus({ code: SpanStatusCode.ERROR, message: event.error?.code });
          if (event.error) open.span.setAttribute('error.type', event.error.code);
        }
        open.span.end(time);
        spans.steps.delete(event.step);
        return;
      }
      case 'tool.started': {
        // a tool call of a step's tool loop: `execute_tool <name>` (GenAI conventions) under its step
        const key = `${event.step}|${event.callId}`;
        spans.tools.get(key)?.span.end(time);
        const span = child(`execute_tool ${event.tool}`, parentOf(spans, `${event.step}/`), time, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': event.tool,
          'gen_ai.tool.call.id': event.callId,
          'baton.run.id': runId,
          'baton.step': event.step,
          'baton.turn': event.turn,
          'baton.tool.target': event.target,
        });
        spans.tools.set(key, { span, context: trace.setSpan(ROOT_CONTEXT, span), calls: 0 });
        return;
      }
      case 'tool.finished': {
        const key = `${event.step}|${event.callId}`;
        // a refused call never started: its span is the instant it was refused
        const open = spans.tools.get(key)?.span ?? child(`execute_tool ${event.tool}`, parentOf(spans, `${event.step}/`), time, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': event.tool, 'gen_ai.tool.call.id': event.callId, 'baton.run.id': runId, 'baton.step': event.step, 'baton.turn': event.turn });
        open.setAttributes({ 'baton.tool.status': event.status, 'baton.tokens': event.tokens });
        if (event.status !== 'succeeded') {
          open.setStatus({ code: SpanStatusCode.ERROR, message: event.error?.code });
          if (event.error) open.setAttribute('error.type', event.error.code);
        }
        open.end(time);
        spans.tools.delete(key);
        return;
      }
      case 'compensation.started': {
        const span = child(`compensate ${event.step}`, parentOf(spans, event.step), time, { 'baton.run.id': runId, 'baton.step': event.step, 'baton.node': event.node, 'baton.agent': event.agent });
        spans.compensations.set(event.step, { span, context: trace.setSpan(ROOT_CONTEXT, span), calls: 0 });
        return;
      }
      case 'compensation.finished': {
        const open = spans.compensations.get(event.step);
        if (!open) return;
        if (event.status === 'failed') open.span.setStatus({ code: SpanStatusCode.ERROR, message: event.error?.code });
        open.span.end(time);
        spans.compensations.delete(event.step);
        return;
      }
      case 'run.waiting':
        // the run stops here; whoever continues it remakes its spans from the log (`resumed`)
        spans.run.addEvent('run.waiting', {}, time);
        runs.delete(runId);
        return;
      case 'run.succeeded':
        return endRun(spans, runId, event, 'succeeded');
      case 'run.failed':
        return endRun(spans, runId, event, 'failed');
      case 'run.cancelled':
        return endRun(spans, runId, event, 'cancelled');
      default:
        return;
    }
  };

  const resumed = (runId: string, past: readonly RunEvent[]): void => {
    if (past.length === 0) return;
    const first = past.find((e) => e.type === 'run.started');
    const spans = open(runId, first?.type === 'run.started' ? first.flow : (past.find((e) => e.type === 'run.resumed') as { flow?: string } | undefined)?.flow ?? '', first ? at(first) : Date.now());
    // the waits the log shows: still open ones stay open here; those that ended after the last executor let the run
    // go (a decision or an event stored by another process) end now, with their stored times
    let stoppedAt = 0;
    for (const e of past) if (e.type === 'run.waiting') stoppedAt = e.seq;
    const started = new Map<string, { wait: WaitOpen; event: RunEvent }>();
    for (const e of past) {
      const wait = openedWait(e);
      if (wait) {
        started.set(wait.key, { wait, event: e });
        continue;
      }
      const closed = closedWait(e);
      if (!closed) continue;
      const begun = started.get(closed.key);
      started.delete(closed.key);
      if (!begun || e.seq <= stoppedAt) continue;
      startWait(spans, runId, begun.wait, at(begun.event));
      const span = spans.waits.get(closed.key)!;
      if (closed.outcome) span.setAttribute('baton.wait.outcome', closed.outcome);
      span.end(at(e));
      spans.waits.delete(closed.key);
    }
    for (const { wait, event } of started.values()) startWait(spans, runId, wait, at(event));
  };

  /**
   * A model call's client span (`chat <model>`, GenAI attributes) under its step's span, around `answer` — a plain
   * call, or one turn of a tool loop (`baton.turn`; the loop's later turns are not new attempts).
   */
  const traced = async <R extends AgentResponse | AgentTurnResponse>(request: AgentRequest, answer: (request: AgentRequest) => Promise<R>, turn?: number): Promise<R> => {
    const spans = runs.get(request.runId);
    // an agent tool's call (idempotency key `<run>/<step>/tool/<callId>`) is under its tool call's span
    const tool = request.idempotencyKey.lastIndexOf('/tool/');
    const parent = !spans
      ? undefined
      : tool >= 0
        ? spans.tools.get(`${request.stepKey}|${request.idempotencyKey.slice(tool + 6)}`)
        : request.idempotencyKey.includes(':compensation/')
          ? spans.compensations.get(request.stepKey)
          : spans.steps.get(request.stepKey);
    if (!spans || !parent) return answer(request);
    if (turn === undefined || turn === 1) parent.calls++;
    const ai = genAiOf(request.agent);
    const span = tracer.startSpan(
      `${ai.operation} ${ai.model ?? request.agent.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': ai.operation,
          'gen_ai.provider.name': ai.provider,
          'gen_ai.system': ai.provider,
          'gen_ai.agent.name': request.agent.name,
          ...(ai.model ? { 'gen_ai.request.model': ai.model } : {}),
          'baton.run.id': request.runId,
          'baton.step': request.stepKey,
          'baton.attempt': parent.calls,
          'baton.call_index': request.callIndex,
          ...(turn !== undefined ? { 'baton.turn': turn } : {}),
        },
      },
      parent.context,
    );
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    try {
      const response = await answer({ ...request, traceparent: carrier.traceparent });
      if (response.model) {
        // the model that answered, as resolved (a config's override or defaultModel), over the .flow file's
        span.updateName(`${ai.operation} ${response.model.name}`);
        span.setAttributes({ 'gen_ai.provider.name': response.model.provider, 'gen_ai.system': response.model.provider, 'gen_ai.request.model': response.model.name, 'gen_ai.response.model': response.model.name });
      }
      if (response.usage) span.setAttributes({ 'gen_ai.usage.input_tokens': response.usage.input, 'gen_ai.usage.output_tokens': response.usage.output });
      span.setAttribute('baton.tokens', response.tokens ?? 0);
      if (response.costUsd !== undefined) span.setAttribute('baton.cost_usd', response.costUsd);
      return response;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      span.setStatus({ code: SpanStatusCode.ERROR, ...(typeof code === 'string' ? { message: code } : {}) });
      span.setAttribute('error.type', typeof code === 'string' ? code : 'AGENT_FAILED');
      throw error;
    } finally {
      span.end();
    }
  };
  const wrap = (caller: AgentCaller): AgentCaller => {
    const wrapped: AgentCaller = { call: (request) => traced(request, (r) => caller.call(r)) };
    const turn = caller.turn?.bind(caller);
    if (turn) wrapped.turn = (request) => traced(request, (r) => turn({ ...request, traceparent: r.traceparent }), request.turn);
    return wrapped;
  };

  const settle = (work: Promise<unknown>): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      work.then(
        () => (clearTimeout(timer), resolve()),
        () => (clearTimeout(timer), resolve()),
      );
    });

  return {
    observe,
    resumed,
    wrap,
    flush: () => settle(provider.forceFlush()),
    shutdown: () => settle(provider.shutdown()),
  };
}
