import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentCaller, RunStoreApi } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { firstMalformedUtf8, startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import fc from 'fast-check';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { STORE_KINDS, type StoreKind } from '../store/both-stores.js';

const SECRET = 'whsec-test-1';
const TOKEN = 'api-token-1';
const FLOWS = `
type Tier = "GOLD" | "SILVER"
agent Greeter { stub: { text: "hi" }, output: { text: string } }
agent Slow { stub: "done" }
flow Welcome {
  trigger webhook "/welcome"
  input name: string
  input tier: Tier = "SILVER"
  output text: string
  step greet: Greeter { prompt: "greet \${input.name}" }
  approval send_it { prompt: "send it?", assignee: "ops" }
  set output.text = greet.output.text
}
flow Paid {
  trigger event "invoice.paid"
  input amount: number = 0
  step note: Greeter { prompt: "paid \${input.amount}" }
}
flow Waiter {
  trigger webhook "/wait"
  wait event "shipment.arrived"
  step after: Greeter { prompt: "arrived" }
}
flow Napper {
  trigger webhook "/nap"
  wait 1h
  step after: Greeter { prompt: "woke" }
}
flow Nightly {
  trigger schedule "0 2 * * *"
  step work: Slow { prompt: "nightly" }
}
flow NeedsInput {
  trigger schedule "30 2 * * *"
  input region: string
  step work: Slow { prompt: "for \${input.region}" }
}
`;

const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (body: string | Buffer) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

for (const kind of STORE_KINDS) {
  describe(`baton serve: webhooks, events, schedules, the runs API (${kind.name})`, function () {
    this.timeout(30_000);
    let dir: string;
    let fresh: Awaited<ReturnType<StoreKind['fresh']>>;
    let store: RunStoreApi;
    let server: BatonServer;
    let gate: { open: () => void; wait: Promise<void> } | undefined;
    const logs: string[] = [];
    /** Stub answers, except that `Slow` waits for `gate` when one is set (to hold a run open). */
    const agents: AgentCaller = {
      async call(request) {
        if (request.agent.name === 'Slow' && gate) await gate.wait;
        return { output: request.agent.name === 'Slow' ? 'done' : { text: 'hi' }, tokens: 0 };
      },
    };
    const boot = async (extra: Partial<Parameters<typeof startServer>[1]> = {}) =>
      startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, webhookSecret: SECRET, apiToken: TOKEN, insecure: false, maxBodyBytes: 1024, agents, schedules: false, timerPollMs: 0, log: (l) => logs.push(l), ...extra });
    const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(`${server.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const api = (url: string, init: RequestInit = {}) => fetch(`${server.url}${url}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      fresh = await kind.fresh();
      store = await fresh.open();
      gate = undefined;
      server = await boot();
    });
    afterEach(async () => {
      gate?.open();
      await server.close();
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a signed webhook starts its flow with the body as inputs (202, the run id); the run goes on in the server', async () => {
      const body = JSON.stringify({ name: 'Ann' });
      const res = await post('/welcome', body, { 'x-baton-signature': sign(body) });
      assert.equal(res.status, 202);
      const { runId, flow } = (await res.json()) as { runId: string; flow: string };
      assert.equal(flow, 'Welcome');
      await server.idle();
      const run = await store.getRun(runId);
      assert.deepEqual([run.status, run.inputs], ['waiting', { name: 'Ann', tier: 'SILVER' }]);
    });

    it('refuses unsigned and wrongly signed bodies (401), oversized ones (413), bad JSON (400), wrong input types (422) — and starts nothing', async () => {
      const body = JSON.stringify({ name: 'Ann' });
      const answers = [
        await post('/welcome', body),
        await post('/welcome', body, { 'x-baton-signature': sign('{"name":"Eve"}') }),
        await post('/welcome', JSON.stringify({ name: 'x'.repeat(2000) }), { 'x-baton-signature': sign(JSON.stringify({ name: 'x'.repeat(2000) })) }),
        await post('/welcome', '{ nope', { 'x-baton-signature': sign('{ nope') }),
        await post('/welcome', JSON.stringify({ name: 'Ann', tier: 'BRONZE' }), { 'x-baton-signature': sign(JSON.stringify({ name: 'Ann', tier: 'BRONZE' })) }),
      ];
      const results = await Promise.all(answers.map(async (r) => [r.status, ((await r.json()) as { error: { code: string } }).error.code]));
      assert.deepEqual(results, [
        [401, 'SIGNATURE_MISSING'],
        [401, 'SIGNATURE_INVALID'],
        [413, 'BODY_TOO_LARGE'],
        [400, 'BAD_JSON'],
        [422, 'INPUT_INVALID'],
      ]);
      assert.equal((await store.listRuns()).length, 0);
    });

    /**
     * Writes `head` then each chunk (each after the previous one was flushed) on a raw socket and reads until the
     * server closes it; resolves with what was read and how it closed (`reset` for ECONNRESET).
     */
    const raw = (head: string, chunks: Buffer[]): Promise<{ text: string; reset: boolean }> =>
      new Promise((resolve, reject) => {
        const { port } = new URL(server.url);
        const socket = net.connect(Number(port), '127.0.0.1');
        let text = '';
        let reset = false;
        socket.on('data', (d) => (text += d.toString('latin1')));
        socket.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
          else reject(error);
        });
        socket.on('close', () => resolve({ text, reset }));
        socket.on('connect', async () => {
          const write = (data: string | Buffer) => new Promise<void>((done) => (socket.writable ? socket.write(data, () => done()) : done()));
          await write(head);
          for (const chunk of chunks) await write(chunk);
        });
      });
    const answerOf = (text: string) => ({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } } });

    it('a signed chunked body over --max-body gets 413 with the JSON error (not a reset), the connection closes, nothing starts', async () => {
      const body = JSON.stringify({ name: 'x'.repeat(4000) });
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += 500) {
        const part = body.slice(i, i + 500);
        chunks.push(Buffer.from(`${part.length.toString(16)}\r\n${part}\r\n`));
      }
      chunks.push(Buffer.from('0\r\n\r\n'));
      const head = `POST /welcome HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Baton-Signature: ${sign(body)}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const { text, reset } = await raw(head, chunks);
      assert.equal(reset, false, `reset; read: ${JSON.stringify(text)}`);
      const answer = answerOf(text);
      assert.equal(answer.status, 413, text);
      assert.equal(answer.body.error.code, 'BODY_TOO_LARGE');
      assert.match(text, /\r\nConnection: close\r\n/i);
      assert.equal((await store.listRuns()).length, 0);
      assert.equal((await fetch(`${server.url}/health`)).status, 200, 'the server is still up');
    });

    it('a body that is not valid UTF-8 is refused (400 BODY_NOT_UTF8, naming the byte), signed or not, on webhooks, events and the runs API — nothing is started or stored', async () => {
      const bodies = [
        Buffer.concat([Buffer.from('{"name":"Ann'), Buffer.from([0xff]), Buffer.from('"}')]), // a byte UTF-8 never uses
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong "/"
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // a UTF-16 surrogate
        Buffer.concat([Buffer.from('{"name":"é'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), // a truncated sequence
      ];
      const offsets = [12, 9, 9, 11];
      for (const [i, body] of bodies.entries()) {
        const res = await fetch(`${server.url}/welcome`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
        const answer = (await res.json()) as { error: { code: string; message: string } };
        assert.deepEqual([res.status, answer.error.code], [400, 'BODY_NOT_UTF8'], body.toString('hex'));
        assert.match(answer.error.message, new RegExp(`at byte ${offsets[i]}\\)`));
      }
      const event = await fetch(`${server.url}/events/invoice.paid`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(bodies[0]) }, body: bodies[0] });
      assert.equal(event.status, 400);
      const waiting = (await (await post('/wait', '{}', { 'x-baton-signature': sign('{}') })).json()) as { runId: string };
      await server.idle();
      const signal = await api(`/runs/${waiting.runId}/events/shipment.arrived`, { method: 'POST', body: bodies[1] });
      assert.equal(signal.status, 400);
      await server.idle();
      assert.deepEqual(
        (await store.listRuns()).map((r) => [r.flow, r.status]),
        [['Waiter', 'waiting']],
      );
      assert.equal((await store.getEvents(waiting.runId)).some((e) => e.type === 'event.received'), false);
    });

    it('an Idempotency-Key starts one run: the same key answers that run again (200, duplicate)', async () => {
      const body = JSON.stringify({ name: 'Bo' });
      const headers = { 'x-baton-signature': sign(body), 'idempotency-key': 'order-42' };
      const first = (await (await post('/welcome', body, headers)).json()) as { runId: string };
      const again = await post('/welcome', body, headers);
      assert.equal(again.status, 200);
      assert.deepEqual(((await again.json()) as { runId: string; duplicate: boolean }).runId, first.runId);
      await server.idle();
      assert.equal((await store.listRuns()).length, 1);
    });

    it('approvals over HTTP: the decision is stored with the authenticated caller (its API token\'s tenant, not the X-Baton-User it claims) and when, and the run finishes', async () => {
      const body = JSON.stringify({ name: 'Cy' });
      const { runId } = (await (await post('/welcome', body, { 'x-baton-signature': sign(body) })).json()) as { runId: string };
      await server.idle();
      assert.equal((await fetch(`${server.url}/runs/${runId}`)).status, 401, 'the runs API needs the token');
      const wrong = await api(`/runs/${runId}/approve`, { method: 'POST', body: JSON.stringify({ task: 'nope' }) });
      assert.equal(wrong.status, 409);
      const res = await api(`/runs/${runId}/approve`, { method: 'POST', body: JSON.stringify({ task: 'send_it', comment: 'fine' }), headers: { 'x-baton-user': 'ann@ops' } });
      assert.equal(res.status, 202);
      await server.idle();
      const shown = (await (await api(`/runs/${runId}`)).json()) as { run: { status: string; outputs: unknown }; events: { type: string; by?: string; decision?: string; time: string }[] };
      assert.deepEqual([shown.run.status, shown.run.outputs], ['succeeded', { text: 'hi' }]);
      const decided = shown.events.find((e) => e.type === 'approval.decided')!;
      assert.deepEqual([decided.decision, decided.by], ['approved', 'api-token:default']);
      assert.ok(Date.parse(decided.time) > 0);
    });

    it('events start their flows and reach runs waiting for them', async () => {
      const body = '{}';
      const { runId } = (await (await post('/wait', body, { 'x-baton-signature': sign(body) })).json()) as { runId: string };
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'waiting');
      const eventBody = JSON.stringify({ amount: 12 });
      const res = await post('/events/shipment.arrived', eventBody, { 'x-baton-signature': sign(eventBody) });
      assert.deepEqual(await res.json(), { event: 'shipment.arrived', started: [], delivered: [runId] });
      const paid = (await (await post('/events/invoice.paid', eventBody, { 'x-baton-signature': sign(eventBody) })).json()) as { started: string[] };
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'succeeded');
      assert.deepEqual((await store.getRun(paid.started[0])).inputs, { amount: 12 });
    });

    it('a waiting run whose timer is due is continued by the server\'s timer poll (fake clock): not a millisecond early', async () => {
      await server.close();
      let clock = Date.parse('2026-11-23T09:00:00.000Z');
      server = await boot({ now: () => new Date(clock) });
      const { runId } = (await (await post('/nap', '{}', { 'x-baton-signature': sign('{}') })).json()) as { runId: string };
      await server.idle();
      const waiting = await store.getRun(runId);
      assert.deepEqual([waiting.status, waiting.waitingOn[0].kind === 'timer' && waiting.waitingOn[0].until], ['waiting', '2026-11-23T10:00:00.000Z']);
      clock += 3_600_000 - 1;
      assert.deepEqual(await server.timers.poll(), []);
      clock += 1;
      assert.deepEqual(await server.timers.poll(), [runId]);
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'succeeded');
    });

    it('schedules fire on a fake clock (02:00 UTC), once per fire time, never overlapping a run still going', async () => {
      const entry = server.scheduler.entries[0];
      assert.equal(server.scheduler.nextFire(entry)?.toISOString().slice(11), '02:00:00.000Z');
      let release = (): void => undefined;
      gate = { open: () => release(), wait: new Promise<void>((r) => (release = r)) };
      const day = server.scheduler.nextFire(entry)!;
      assert.equal(server.scheduler.due(new Date(day.getTime() - 1)).length, 0, 'not before its time');
      assert.equal(server.scheduler.due(day).length, 1);
      assert.equal(server.scheduler.due(new Date(day.getTime() + 86_400_000)).length, 0, 'the next night, the first run still holds: skipped');
      assert.ok(logs.some((l) => /skipped the .* run — the previous one is still running/.test(l)));
      gate.open();
      await server.idle();
      assert.equal(server.scheduler.due(new Date(day.getTime() + 2 * 86_400_000)).length, 1);
      await server.idle();
      assert.deepEqual((await store.listRuns({ flow: 'Nightly' })).map((r) => r.status), ['succeeded', 'succeeded']);
    });

    it('a schedule of a flow with a required input is not started, says why in the log, and the server stays up', async () => {
      const entry = server.scheduler.entries[1];
      assert.equal(entry.label.endsWith('NeedsInput'), true);
      const started = server.scheduler.due(server.scheduler.nextFire(entry)!); // (Nightly's 02:00 is due too)
      assert.ok(!started.includes(entry), 'not counted as started');
      await server.idle();
      assert.ok(logs.some((l) => /schedule .*NeedsInput: not started: .*region/.test(l)), logs.join('\n'));
      assert.equal((await store.listRuns({ flow: 'NeedsInput' })).length, 0);
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    });

    it('a graceful stop interrupts a running run (stored, resumable); the next start resumes it', async () => {
      let release = (): void => undefined;
      gate = { open: () => release(), wait: new Promise<void>((r) => (release = r)) };
      server.scheduler.due(server.scheduler.nextFire(server.scheduler.entries[0])!);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.active(), 1);
      await server.close();
      const [run] = await store.listRuns({ flow: 'Nightly' });
      assert.equal(run.status, 'interrupted');
      gate = undefined;
      server = await boot();
      await server.idle();
      assert.equal((await store.getRun(run.id)).status, 'succeeded');
      assert.ok(logs.some((l) => l.includes(`run ${run.id} · Nightly: resuming (interrupted)`)));
    });

    it('webhooks are accepted (202, stored queued) while every execution slot is held; a stop keeps them queued and the next start runs them all', async () => {
      await server.close();
      server = await boot({ concurrency: 1 });
      let release = (): void => undefined;
      gate = { open: () => release(), wait: new Promise<void>((r) => (release = r)) };
      server.scheduler.due(server.scheduler.nextFire(server.scheduler.entries[0])!); // Nightly holds the one slot
      while (server.active() < 1) await new Promise((r) => setImmediate(r));
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const body = JSON.stringify({ name: `n${i}` });
        const res = await post('/welcome', body, { 'x-baton-signature': sign(body) });
        assert.equal(res.status, 202);
        ids.push(((await res.json()) as { runId: string }).runId);
      }
      assert.deepEqual((await Promise.all(ids.map(async (id) => (await store.getRun(id)).status))), Array(10).fill('queued'));
      const health = (await (await fetch(`${server.url}/health`)).json()) as { active: number; queued: number };
      assert.deepEqual([health.active, health.queued], [1, 10]);
      await server.close();
      assert.deepEqual((await Promise.all(ids.map(async (id) => (await store.getRun(id)).status))), Array(10).fill('queued'), 'still queued after the stop');
      gate = undefined;
      server = await boot({ concurrency: 4 });
      await server.idle();
      assert.deepEqual((await Promise.all(ids.map(async (id) => (await store.getRun(id)).status))), Array(10).fill('waiting'), 'each ran to its approval');
      assert.equal((await store.listRuns({ flow: 'Nightly' }))[0].status, 'succeeded');
    });

    it('a run keeps its agents: a server of other agents refuses to continue it (409, nothing recorded) and leaves it at start; one of the same agents continues it', async () => {
      const realCalls: string[] = [];
      const real: AgentCaller = {
        async call(request) {
          realCalls.push(request.agent.name);
          return { output: { text: 'real' }, tokens: 0 };
        },
      };
      await server.close();
      server = await boot({ agents: real, runAgents: { mode: 'real' } });
      const body = JSON.stringify({ name: 'Ann' });
      const { runId } = (await (await post('/welcome', body, { 'x-baton-signature': sign(body) })).json()) as { runId: string };
      await server.idle();
      assert.deepEqual((await store.getRun(runId)).agents, { mode: 'real' });
      await server.close();

      server = await boot(); // stub agents
      const events = (await store.getEvents(runId)).length;
      const refused = await api(`/runs/${runId}/approve`, { method: 'POST', body: JSON.stringify({ task: 'send_it' }) });
      assert.equal(refused.status, 409);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'AGENTS_MISMATCH');
      assert.equal((await store.getEvents(runId)).length, events, 'no decision recorded');
      await server.close();
      await store.updateRun(runId, { status: 'interrupted' }); // as a crash would leave it
      server = await boot();
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'interrupted', 'not resumed with stub agents');
      assert.ok(logs.some((l) => l.startsWith(`run ${runId} was started with real agents and this server runs stub agents`)), logs.join('\n'));
      await server.close();

      server = await boot({ agents: real, runAgents: { mode: 'real' } });
      await server.idle();
      const approved = await api(`/runs/${runId}/approve`, { method: 'POST', body: JSON.stringify({ task: 'send_it' }) });
      assert.equal(approved.status, 202);
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'succeeded');
      assert.deepEqual((await store.getRun(runId)).outputs, { text: 'real' });
      assert.deepEqual(realCalls, ['Greeter']);
    });

    it('answers unknown routes, wrong methods and unknown runs with JSON errors', async () => {
      const answers = await Promise.all([fetch(`${server.url}/nope`), fetch(`${server.url}/welcome`), api('/runs/01ZZZZZZZZZZZZZZZZZZZZZZZZ')]);
      assert.deepEqual(
        await Promise.all(answers.map(async (r) => [r.status, ((await r.json()) as { error: { code: string } }).error.code])),
        [
          [404, 'NOT_FOUND'],
          [405, 'METHOD_NOT_ALLOWED'],
          [404, 'RUN_NOT_FOUND'],
        ],
      );
    });
  });
}

describe('baton serve: request bodies', () => {
  it('firstMalformedUtf8 agrees with a fatal TextDecoder: the offset of the first malformed sequence, the prefix before it decodes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const valid = (b: Uint8Array) => {
      try {
        decoder.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    // bytes around UTF-8's boundaries (lead bytes, continuation bytes, ASCII) and well-formed text
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x9f, 0xa0, 0x8f, 0x90));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.array(byte, { maxLength: 12 }).map((a) => Uint8Array.from(a)), fc.string({ unit: 'binary', maxLength: 8 }).map((t) => new TextEncoder().encode(t)));
    fc.assert(
      fc.property(bytes, (b) => {
        const at = firstMalformedUtf8(b);
        assert.equal(at === b.length, valid(b));
        assert.ok(valid(b.subarray(0, at)));
      }),
      { numRuns: 3000, seed: 10_18 },
    );
  });
});
