/**
 * The console's store reads (issue 13, design §2.5, §2.6, §2.8) on both stores, with identical results: keyset pages of
 * runs with their filters and the bounded text search, status counts, events after a seq, the definition's sources,
 * and the metrics (`runStats`, checked against a fold of the same runs computed here). Registered by
 * sqlite-schema8.test.ts and pg-schema7.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import type { NewRunEvent } from '@baton/protocol';
import { runIdBound, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { storeFixture } from './conformance-fixture.js';
import { APPROVAL, DEFINITION, OTHER_DEFINITION, rejectsWith } from './conformance-support.js';
import type { Schema8Factory } from './conformance-schema8.js';

/** The nearest-rank percentile of `values` (sorted here): the value at rank ceil(p·n). */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1];
}

/** Waits until the clock is past `ms` (run ids carry the creation millisecond). */
async function pastMs(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Registers the console cases for the stores `factory` makes. */
export function consoleConformance(name: string, factory: Schema8Factory): void {
  describe(`run store console reads: ${name}`, function () {
    this.timeout(30_000);
    const fixture = storeFixture(factory);
    const open = fixture.open;

    const start = (s: RunStoreApi, extra: Partial<Parameters<RunStoreApi['createRun']>[0]> = {}) =>
      s.createRun({ flow: 'A', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'acme', ...extra }).then((r) => r.id);

    it('runIdBound is the smallest ULID of a millisecond: 10 time characters as ULIDs encode them, then zeros', () => {
      for (const ms of [0, 1, 1_733_400_000_123, Date.UTC(2026, 11, 5, 1, 2, 3, 4)]) assert.equal(runIdBound(ms), encodeTime(ms, 10) + '0'.repeat(16));
      assert.equal(runIdBound('2026-12-05T01:02:03.004Z'), runIdBound(Date.UTC(2026, 11, 5, 1, 2, 3, 4)));
      assert.equal(runIdBound(-5), '0'.repeat(26));
      assert.throws(() => runIdBound('yesterday'), /not a time: yesterday/);
    });

    it('listRunsPage: newest first in keyset pages (next only while a page is full), by tenant, flow, status and an id range; countRuns per status', async () => {
      const s = await open();
      const ids: string[] = [];
      const shape: [string, 'running' | 'succeeded' | 'failed'][] = [['A', 'succeeded'], ['B', 'failed'], ['A', 'failed'], ['A', 'running'], ['B', 'succeeded'], ['A', 'succeeded']];
      for (const [flow, status] of shape) {
        const id = await start(s, { flow });
        if (status !== 'running') await s.updateRun(id, { status, finishedAt: new Date().toISOString() });
        ids.push(id);
      }
      const foreign = await start(s, { tenant: 'other' });
      const newest = [...ids].reverse();
      const page = (filter: Parameters<NonNullable<RunStoreApi['listRunsPage']>>[0]) => s.listRunsPage!(filter).then((p) => ({ ids: p.runs.map((r) => r.id), next: p.next, searchedTo: p.searchedTo }));
      assert.deepEqual(await page({ tenant: 'acme', limit: 4 }), { ids: newest.slice(0, 4), next: newest[3], searchedTo: undefined });
      assert.deepEqual(await page({ tenant: 'acme', limit: 4, before: newest[3] }), { ids: newest.slice(4), next: undefined, searchedTo: undefined });
      assert.deepEqual(await page({ tenant: 'acme', limit: 3, before: newest[2] }), { ids: newest.slice(3), next: undefined, searchedTo: undefined }, 'a page exactly full at the end has no next');
      assert.deepEqual((await page({ limit: 1 })).ids, [foreign], 'without a tenant: every tenant');
      assert.deepEqual((await page({ tenant: 'acme', flow: 'A' })).ids, [ids[5], ids[3], ids[2], ids[0]]);
      assert.deepEqual((await page({ tenant: 'acme', status: 'failed' })).ids, [ids[2], ids[1]]);
      assert.deepEqual((await page({ tenant: 'acme', flow: 'A', status: 'succeeded' })).ids, [ids[5], ids[0]]);
      assert.deepEqual((await page({ tenant: 'acme', fromId: ids[1], toId: ids[4] })).ids, [ids[3], ids[2], ids[1]], 'fromId inclusive, toId exclusive');
      assert.deepEqual((await page({ tenant: 'acme', fromId: runIdBound(Date.now() + 60_000) })).ids, [], 'nothing started in the future');
      assert.deepEqual((await page({ tenant: 'acme', toId: runIdBound(Date.now() + 60_000), limit: 2 })).ids, newest.slice(0, 2));
      const full = await s.listRunsPage!({ tenant: 'acme', limit: 1 });
      assert.deepEqual(full.runs[0], await s.getRun(ids[5]), 'the same record as getRun');

      assert.deepEqual(await s.countRuns!({ tenant: 'acme' }), { succeeded: 3, failed: 2, running: 1 });
      assert.deepEqual(await s.countRuns!({ tenant: 'acme', flow: 'B' }), { succeeded: 1, failed: 1 });
      assert.deepEqual(await s.countRuns!({ tenant: 'acme', fromId: ids[2] }), { failed: 1, running: 1, succeeded: 2 });
      assert.deepEqual(await s.countRuns!({ tenant: 'nobody' }), {});
    });

    it('listRunsPage with text: a case-insensitive substring of the inputs (% and _ literal); a scan that stops early says searchedTo, and before= goes on from there', async () => {
      const s = await open();
      const old = await start(s, { inputs: { customer: 'Globex', note: 'needle' } });
      const ids = [old];
      for (let i = 0; i < 4; i++) ids.push(await start(s, { inputs: { customer: i % 2 ? 'ACME Corp' : 'Initech', note: i === 3 ? '100%_done' : '100 percent' } }));
      const text = (q: string, extra = {}, options?: { scanLimit?: number }) =>
        s.listRunsPage!({ tenant: 'acme', text: q, ...extra }, options).then((p) => ({ ids: p.runs.map((r) => r.id), next: p.next, searchedTo: p.searchedTo }));
      assert.deepEqual(await text('acme corp'), { ids: [ids[4], ids[2]], next: undefined, searchedTo: undefined });
      assert.deepEqual((await text('%_')).ids, [ids[4]], '% and _ are literal');
      assert.deepEqual((await text('"customer":"Initech"')).ids, [ids[3], ids[1]], 'the JSON text as stored');
      assert.deepEqual(await text('no such text'), { ids: [], next: undefined, searchedTo: undefined }, 'fewer runs than the scan limit: the search is complete');
      assert.deepEqual(await text('acme', { limit: 1 }), { ids: [ids[4]], next: ids[4], searchedTo: undefined });
      // the scan looks at 2 runs per page: the needle in the oldest run is out of reach of the first look
      assert.deepEqual(await text('needle', {}, { scanLimit: 2 }), { ids: [], next: undefined, searchedTo: ids[3] });
      assert.deepEqual(await text('needle', { before: ids[3] }, { scanLimit: 2 }), { ids: [], next: undefined, searchedTo: ids[1] });
      assert.deepEqual(await text('needle', { before: ids[1] }, { scanLimit: 2 }), { ids: [old], next: undefined, searchedTo: undefined });
    });

    it("eventsSince: the stored events after a seq, at most limit, only the scope's tenant's", async () => {
      const s = await open();
      const id = await start(s);
      for (let i = 0; i < 5; i++) s.append(id, { type: 'step.started', step: `s${i}`, node: `n${i}`, agent: 'A', target: 'agent' });
      await s.flush();
      const all = await s.getEvents(id);
      const reader = await open();
      assert.deepEqual(await reader.eventsSince!(id, 1, 2), all.slice(1, 3));
      assert.deepEqual(await reader.eventsSince!(id, 3, 100, { tenant: 'acme' }), all.slice(3));
      assert.deepEqual(await reader.eventsSince!(id, 0, 100, { tenant: 'other' }), []);
      assert.deepEqual(await reader.eventsSince!('01NOSUCHRUN000000000000000', 0, 100), []);
    });

    it('sources: stored with the run (once per text and per definition file), also for a definition stored before without them; migrateRun stores the new ones', async () => {
      const s = await open();
      const bare = await start(s);
      const sha = (text: string) => createHash('sha256').update(JSON.stringify(text === 'one' ? DEFINITION : OTHER_DEFINITION)).digest('hex');
      assert.deepEqual(await s.getDefinitionSources!(bare), { definition: sha('one'), sources: [] }, 'none given: none stored');
      const sources = [
        { file: 'lib/b.flow', text: 'flow B {}\n' },
        { file: 'a.flow', text: 'import "lib/b.flow"\nflow A {}\n' },
      ];
      const withSources = await start(s, { sources });
      const expected = { definition: sha('one'), sources: [sources[1], sources[0]] };
      assert.deepEqual(await s.getDefinitionSources!(withSources), expected, 'sorted by file');
      assert.deepEqual(await (await open()).getDefinitionSources!(bare), expected, 'the earlier run of that definition has them now');
      await start(s, { sources: [{ file: 'a.flow', text: 'changed\n' }] });
      assert.deepEqual(await s.getDefinitionSources!(withSources), expected, "a definition's file keeps its first text");
      await rejectsWith(s.getDefinitionSources!(withSources, { tenant: 'other' }), 'RUN_NOT_FOUND');
      await rejectsWith(s.getDefinitionSources!('01NOSUCHRUN000000000000000'), 'RUN_NOT_FOUND');

      const waiting = await start(s, { sources });
      await s.updateRun(waiting, { status: 'waiting', waitingOn: [APPROVAL] });
      const moved = [{ file: 'a.flow', text: 'flow A { v2 }\n' }];
      await s.migrateRun!(waiting, { from: sha('one'), definition: OTHER_DEFINITION, flow: 'A', waitingOn: [APPROVAL], event: { type: 'run.migrated' } as unknown as NewRunEvent, sources: moved });
      assert.deepEqual(await s.getDefinitionSources!(waiting), { definition: sha('two'), sources: moved });
    });

    it('putDefinition: a definition made during a run (a flow an agent wrote), by hash with its texts, once per content', async () => {
      const s = await open();
      const texts = [{ file: '/w/Custom.generated.flow', text: 'import "./a.flow"\nflow Custom {}\n' }];
      const hash = await s.putDefinition(OTHER_DEFINITION, texts);
      assert.equal(hash, createHash('sha256').update(JSON.stringify(OTHER_DEFINITION)).digest('hex'));
      assert.equal(await s.putDefinition(OTHER_DEFINITION, texts), hash, 'again: the same hash, nothing added');
      const reader = await open();
      assert.deepEqual(await reader.getDefinitionByHash(hash), OTHER_DEFINITION);
      assert.deepEqual(await reader.getDefinitionByHash(`sha256:${hash}`), OTHER_DEFINITION);
      assert.deepEqual(await reader.getSourcesByHash(`sha256:${hash}`), texts);
      assert.deepEqual(await reader.getSourcesByHash('0'.repeat(64)), []);
      await rejectsWith(reader.getDefinitionByHash('0'.repeat(64)), 'DEFINITION_NOT_FOUND');
    });

    it('runStats: runs per day and status, success rate, nearest-rank p50/p95 of run and step time, tokens and cost per run, retries, dead letters, bottleneck, SLA breaches — equal to a fold of the same runs', async () => {
      const s = await open();
      const t0 = Date.now();
      await pastMs(t0);
      const startedAt = '2026-12-04T10:00:00.000Z';
      const later = (ms: number) => new Date(Date.parse(startedAt) + ms).toISOString();
      type Step = { node: string; ms: number; attempts: number; tokens: number; costUsd?: number; status?: 'succeeded' | 'failed' };
      const plan: { flow: string; status: 'running' | 'succeeded' | 'failed' | 'cancelled'; ms?: number; steps: Step[] }[] = [];
      // 20 finished runs of Buy: p95 is rank 19 (0.95 · 20, exactly), p50 rank 10 — a rank off by one shows
      for (let i = 0; i < 21; i++) {
        plan.push({
          flow: 'Buy',
          status: i === 20 ? 'running' : i % 7 === 3 ? 'failed' : 'succeeded',
          ms: i === 20 ? undefined : ((i * 7) % 20) * 1000 + i,
          steps: [
            { node: 'n1', ms: 100 * ((i * 3) % 21), attempts: i === 0 ? 3 : 1, tokens: 10 * ((i * 5) % 21), costUsd: 0.001 * ((i * 11) % 21), status: i % 7 === 3 ? 'failed' : 'succeeded' },
            { node: 'n2', ms: 500, attempts: 1, tokens: 5 },
          ],
        });
      }
      plan.push({ flow: 'Sell', status: 'cancelled', ms: 250, steps: [{ node: 'x', ms: 250, attempts: 2, tokens: 0 }] });
      plan.push({ flow: 'Sell', status: 'succeeded', ms: 60_000, steps: [] });
      const runIds: string[] = [];
      for (const run of plan) {
        const id = await start(s, { flow: run.flow, startedAt });
        for (const step of run.steps) {
          const event = { type: 'step.finished', step: step.node, node: step.node, agent: 'A', status: step.status ?? 'succeeded', durationMs: step.ms, attempts: step.attempts, tokens: step.tokens, callIndexes: [], ...(step.costUsd !== undefined ? { costUsd: step.costUsd } : {}) };
          s.append(id, event as NewRunEvent);
        }
        if (run.status !== 'running') await s.updateRun(id, { status: run.status, finishedAt: later(run.ms!) });
        await s.flush();
        runIds.push(id);
      }
      await start(s, { flow: 'Buy', tenant: 'other', startedAt });
      const lastMs = Date.now();
      await pastMs(lastMs);
      const to = new Date(Date.now()).toISOString();
      await pastMs(Date.parse(to));
      await start(s, { flow: 'Buy', startedAt }); // after the window
      const breachAt = new Date(t0 + 1).toISOString();
      await fixture.store().insertSlaBreach({ runId: runIds[1], key: 'flow', tenant: 'acme', flow: 'Buy', deadline: breachAt, at: breachAt });
      const from = new Date(t0).toISOString();

      // the fold
      const flows = ['Buy', 'Sell'].map((flow) => {
        const runs = plan.filter((r) => r.flow === flow);
        const byStatus: Record<string, number> = {};
        for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        const ended = runs.filter((r) => r.status !== 'running');
        const durations = ended.map((r) => r.ms!);
        const steps = runs.flatMap((r) => r.steps);
        const tokens = runs.map((r) => r.steps.reduce((n, st) => n + st.tokens, 0));
        const nano = runs.map((r) => r.steps.reduce((n, st) => n + (st.costUsd === undefined ? 0 : Math.floor(st.costUsd * 1e9 + 0.5)), 0));
        const priced = steps.some((st) => st.costUsd !== undefined);
        const nodes = [...new Set(steps.map((st) => st.node))].sort();
        const totals = nodes.map((node) => ({ node, totalMs: steps.filter((st) => st.node === node).reduce((n, st) => n + st.ms, 0), p95Ms: nearestRank(steps.filter((st) => st.node === node).map((st) => st.ms), 0.95) }));
        const bottleneck = totals.reduce<(typeof totals)[number] | undefined>((best, t) => (!best || t.totalMs > best.totalMs ? t : best), undefined);
        return {
          flow,
          runs: runs.length,
          byStatus,
          successRate: (byStatus.succeeded ?? 0) / ended.length,
          p50Ms: nearestRank(durations, 0.5),
          p95Ms: nearestRank(durations, 0.95),
          tokensAvg: tokens.reduce((a, b) => a + b, 0) / runs.length,
          tokensP95: nearestRank(tokens, 0.95),
          costAvgUsd: priced ? nano.reduce((a, b) => a + b, 0) / runs.length / 1e9 : null,
          costP95Usd: priced ? nearestRank(nano, 0.95)! / 1e9 : null,
          retries: steps.reduce((n, st) => n + st.attempts - 1, 0),
          deadLetters: byStatus.failed ?? 0,
          slaBreaches: flow === 'Buy' ? 1 : 0,
          ...(bottleneck ? { bottleneck } : {}),
        };
      });
      const steps = plan
        .flatMap((r) => r.steps.map((st) => ({ ...st, flow: r.flow })))
        .reduce<Map<string, { flow: string; node: string; list: Step[] }>>((m, st) => m.set(`${st.flow}/${st.node}`, { flow: st.flow, node: st.node, list: [...(m.get(`${st.flow}/${st.node}`)?.list ?? []), st] }), new Map());
      const expected = {
        from,
        to,
        days: [
          { day: '2026-12-04', flow: 'Buy', runs: 21, byStatus: flows[0].byStatus },
          { day: '2026-12-04', flow: 'Sell', runs: 2, byStatus: flows[1].byStatus },
        ],
        flows,
        steps: [...steps.values()].map(({ flow, node, list }) => ({
          flow,
          node,
          count: list.length,
          failed: list.filter((st) => st.status === 'failed').length,
          p50Ms: nearestRank(list.map((st) => st.ms), 0.5),
          p95Ms: nearestRank(list.map((st) => st.ms), 0.95),
          totalMs: list.reduce((n, st) => n + st.ms, 0),
          retries: list.reduce((n, st) => n + st.attempts - 1, 0),
          tokens: list.reduce((n, st) => n + st.tokens, 0),
          costUsd: list.reduce((n, st) => n + (st.costUsd === undefined ? 0 : Math.floor(st.costUsd * 1e9 + 0.5)), 0) / 1e9,
        })),
        slaBreaches: [{ day: breachAt.slice(0, 10), flow: 'Buy', count: 1 }],
      };
      const reader = await open();
      assert.deepEqual(await reader.runStats!({ tenant: 'acme', from, to }), expected);
      const buyOnly = await reader.runStats!({ tenant: 'acme', from, to, flow: 'Buy' });
      assert.deepEqual(buyOnly.flows, [flows[0]]);
      assert.deepEqual(buyOnly.steps, expected.steps.filter((st) => st.flow === 'Buy'));
      const empty = await reader.runStats!({ tenant: 'acme', from: to, to: new Date(Date.parse(to) + 1).toISOString() });
      assert.deepEqual(empty, { from: to, to: new Date(Date.parse(to) + 1).toISOString(), days: [], flows: [], steps: [], slaBreaches: [] });
    });
  });
}
