import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunMetricSample } from '@baton/runtime';

/** The step duration histogram's buckets, seconds: from a stub's milliseconds to an hour-long agent call. */
export const STEP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * `baton serve`'s Prometheus metrics (prom-client; docs/observability.md lists them with their labels). The counters
 * add up the samples that the threads executing this server's runs post on {@link channel} (see the runtime's
 * `createRunMetricsObserver`): they count what this process executed since it started — a restart starts them at
 * 0 again (Prometheus' `rate()` and `increase()` take such resets into account), and in a cluster each process
 * counts its own (sum them in Prometheus). Labels: `flow` (a served flow's name), `step` (a step's key without
 * loop indexes), `status` and token `type` — bounded by the served definitions, never by run ids or data.
 */
export class ServeMetrics {
  /** The BroadcastChannel name the executing threads post samples on (unique per server). */
  readonly channel = `baton.metrics.${randomUUID()}`;
  readonly registry = new Registry();
  private readonly input = new BroadcastChannel(this.channel);
  private queue: () => { active: number; queued: number } = () => ({ active: 0, queued: 0 });

  private readonly runsStarted = new Counter({ name: 'baton_runs_started_total', help: 'Runs started (executed from their start) by this process.', labelNames: ['flow'], registers: [this.registry] });
  private readonly runsFinished = new Counter({ name: 'baton_runs_finished_total', help: 'Runs that ended in this process, by status (succeeded, failed, cancelled).', labelNames: ['flow', 'status'], registers: [this.registry] });
  private readonly stepSeconds = new Histogram({ name: 'baton_step_duration_seconds', help: 'Wall time of finished steps, all attempts (seconds), by flow and step (its key without loop indexes) and status.', labelNames: ['flow', 'step', 'status'], buckets: STEP_SECONDS_BUCKETS, registers: [this.registry] });
  private readonly retries = new Counter({ name: 'baton_step_retries_total', help: 'Failed attempts of steps that were tried again.', labelNames: ['flow', 'step'], registers: [this.registry] });
  private readonly tokens = new Counter({ name: 'baton_tokens_total', help: 'Tokens used by agent calls: type input/output when the provider splits them, total when it reports one number (http/ and command/ agents).', labelNames: ['flow', 'type'], registers: [this.registry] });
  private readonly cost = new Counter({ name: 'baton_cost_usd_total', help: 'What the finished steps cost (US dollars; steps whose model has prices in baton.config.json).', labelNames: ['flow'], registers: [this.registry] });
  private readonly deadLetters = new Counter({ name: 'baton_dead_letters_total', help: 'Runs that ended failed here: dead letters that `baton runs redrive` can continue.', labelNames: ['flow'], registers: [this.registry] });
  private readonly slaBreaches = new Counter({ name: 'baton_sla_breaches_total', help: 'SLA breaches recorded by this process (its SLA poll, or the engine finding one late), by flow and kind: flow (the run\'s own sla) or approval (an approval\'s sla:).', labelNames: ['flow', 'kind'], registers: [this.registry] });
  private readonly redrives = new Counter({ name: 'baton_redrives_total', help: 'Failed runs redriven (continued from their failed step) in this process.', labelNames: ['flow'], registers: [this.registry] });

  constructor() {
    this.input.unref();
    // the executing threads post their samples in batches (one message per turn of their event loop)
    this.input.onmessage = (message) => {
      for (const sample of (message as { data: RunMetricSample[] }).data) this.add(sample);
    };
    const registers = [this.registry];
    const queue = (): { active: number; queued: number } => this.queue();
    new Gauge({ name: 'baton_runs_active', help: 'Runs executing now (this server’s executor; 0 for a --queue front door, whose workers execute).', registers, collect() {
      this.set(queue().active);
    } });
    new Gauge({ name: 'baton_runs_queued', help: 'Runs accepted and waiting for a slot: the embedded run queue’s pending work, or what a --queue front door has not yet handed to the cluster’s queue.', registers, collect() {
      this.set(queue().queued);
    } });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * `baton serve --queue`: the cluster's BullMQ queue depth per tenant, read from Redis at each scrape
   * (`baton_queue_jobs{tenant, state}`, state `waiting` or `active`). A tenant whose read fails is left out of
   * that scrape.
   */
  observeClusterQueue(tenants: string[], depth: (tenant: string) => Promise<{ waiting: number; active: number }>): void {
    new Gauge({
      name: 'baton_queue_jobs',
      help: 'Activations of runs in the cluster’s BullMQ queue (baton serve --queue), by tenant and state: waiting (waiting, delayed, paused) or active (taken by a worker).',
      labelNames: ['tenant', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const read = await Promise.all(tenants.map((tenant) => depth(tenant).then((d) => ({ tenant, d }), () => undefined)));
        for (const r of read) {
          if (!r) continue;
          this.set({ tenant: r.tenant, state: 'waiting' }, r.d.waiting);
          this.set({ tenant: r.tenant, state: 'active' }, r.d.active);
        }
      },
    });
  }

  /** Where the queue gauges are read (the server's supervisor). */
  observeQueue(read: () => { active: number; queued: number }): void {
    this.queue = read;
  }

  /** Counts one sample (exported for tests and for a supervisor in this thread). */
  add(sample: RunMetricSample): void {
    switch (sample.kind) {
      case 'run.started':
        return this.runsStarted.inc({ flow: sample.flow });
      case 'run.finished':
        this.runsFinished.inc({ flow: sample.flow, status: sample.status });
        if (sample.status === 'failed') this.deadLetters.inc({ flow: sample.flow });
        return;
      case 'step.finished':
        this.stepSeconds.observe({ flow: sample.flow, step: sample.step, status: sample.status }, sample.seconds);
        if (sample.costUsd) this.cost.inc({ flow: sample.flow }, sample.costUsd);
        return;
      case 'step.retrying':
        return this.retries.inc({ flow: sample.flow, step: sample.step });
      case 'run.redriven':
        return this.redrives.inc({ flow: sample.flow });
      case 'sla.breached':
        return this.slaBreaches.inc({ flow: sample.flow, kind: sample.sla });
      case 'tokens':
        if (sample.input) this.tokens.inc({ flow: sample.flow, type: 'input' }, sample.input);
        if (sample.output) this.tokens.inc({ flow: sample.flow, type: 'output' }, sample.output);
        if (sample.total) this.tokens.inc({ flow: sample.flow, type: 'total' }, sample.total);
        return;
    }
  }

  /** The text exposition format (and its content type) of every metric now. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  close(): void {
    this.input.close();
  }
}
