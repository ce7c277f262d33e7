import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { CLI } from '../cli/cli-helper.js';
import { seededRandom, SoakAgentServer, type LedgerEntry } from './soak-agent.js';
import { createTestDatabase, testServices, type TestDatabase } from './test-services.js';

// The chaos soak of issue 11: runs on 4 `baton worker` processes (the built bin) against the real PostgreSQL that
// scripts/services.mjs starts and a Redis this test starts itself — so that it can SIGKILL it and start it again
// empty, once, mid-soak. The runs are started through the webhooks of a `baton serve --queue` front door, call a
// real `http/` agent (--agents real, baton.config.json) served by SoakAgentServer here — 5–50 ms, 30% HTTP 503 that
// the steps' `retry` retries — and every few seconds (2–5 s) a random worker is SIGKILLed and started again.
//
// Afterwards, from the store (SQL on its tables) and the agent's ledger:
// - 0 lost: every run a webhook accepted is in the store; 0 stuck: every one ended within the budget, succeeded, or
//   failed as a dead letter with its cause (WORKER_LOST, or the agent's AGENT_UNAVAILABLE after its retries);
// - every log is gapless (seq 1..n) and has at most one step.finished per step instance — exactly one for every step
//   that started, in a run that succeeded;
// - 0 finished steps called again. Each answered call's output is its ledger number, so the step.finished of a step
//   names the call X whose answer it recorded. Any call of the same run and step received by the agent after X was
//   answered is a violation: its caller either executed the run while X's caller still held the lease (X's caller
//   committed step.finished after X's answer, under a lease nobody had taken — or its flush would have been refused)
//   or executed it after that commit, i.e. called a finished step again. Calls received before X was answered are
//   the step's earlier attempts: retries, and the call in flight when its worker was killed (which runs again).
//   The agent's clock alone orders them, so no clock of another process enters the check. Every call carries the
//   Idempotency-Key runId/stepKey/callIndex.
// - takeover latency: for every run a killed worker held (its lease owner names the worker's pid, read from the
//   store just after the kill), the time from the SIGKILL to the run's `run.resumed` event with `takeover: true`;
//   its p50/p99/max are printed.
//
// Scale: BATON_SOAK_RUNS (default 300), BATON_SOAK_WORKERS (4), BATON_SOAK_CONCURRENCY (runs at once per worker,
// 12), BATON_SOAK_SEED (random; printed, so a failing soak can be replayed with its kills, mix and answers — the
// timing of processes is not replayable), BATON_SOAK_BUDGET_S (how long the runs may take before the rest count
// as stuck, 300). Scaled: 300 runs by default, not the issue's 1,000 — the project machine (2 cores) is shared, and
// at a load of 15–20 the cluster under this chaos finishes only 1–3 runs/s (every worker restart is a Node start,
// every run a dozen commits), so 1,000 runs did not end within 7 minutes; 300 took 157 s there. On an idle machine
// 1,000 runs take about 60 s (17 runs/s): .ci/run, on a fresh machine, sets BATON_SOAK_RUNS=1000 — the issue's size.
// Figures: bench/README.md.

const RUNS = Number(process.env.BATON_SOAK_RUNS ?? 300);
const WORKERS = Number(process.env.BATON_SOAK_WORKERS ?? 4);
const CONCURRENCY = Number(process.env.BATON_SOAK_CONCURRENCY ?? 12);
const SEED = Number(process.env.BATON_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.BATON_SOAK_BUDGET_S ?? 300) * 1000;
/** How many webhook requests are in flight at once while the runs are started. */
const STARTS_IN_FLIGHT = 8;

const FLOWS = `agent A {
  model: "http/soak"
  stub: "unused"
  retry: 8 backoff 20ms max 200ms
}
flow Chain {
  trigger webhook "/chain"
  input tag: string
  step a: A { prompt: "\${input.tag} a" }
  step b: A { prompt: "\${input.tag} b \${a.output}" }
  step c: A { prompt: "\${input.tag} c \${b.output}" }
  step d: A { prompt: "\${input.tag} d \${c.output}" }
}
flow Fan {
  trigger webhook "/fan"
  input tag: string
  input items: number[]
  step a: A { prompt: "\${input.tag} a" }
  parallel {
    step left: A { prompt: "\${input.tag} left \${a.output}" }
    step right: A { prompt: "\${input.tag} right \${a.output}" }
  }
  foreach x in input.items concurrency 3 {
    step each: A { prompt: "\${input.tag} each \${x}" }
  }
  step z: A { prompt: "\${input.tag} z \${left.output} \${right.output} \${len(each)}" }
}
flow Nap {
  trigger webhook "/nap"
  input tag: string
  step a: A { prompt: "\${input.tag} a" }
  wait 1s
  step b: A { prompt: "\${input.tag} b \${a.output}" }
}
flow Gate {
  trigger webhook "/gate"
  input tag: string
  step a: A { prompt: "\${input.tag} a" }
  approval ok { prompt: "go on with \${input.tag}?" }
  step b: A { prompt: "\${input.tag} b \${ok.output.decision}" }
}
flow Part {
  input tag: string
  output r: string
  step s1: A { prompt: "\${input.tag} s1" }
  step s2: A { prompt: "\${input.tag} s2 \${s1.output}" }
  set output.r = s2.output
}
flow Nest {
  trigger webhook "/nest"
  input tag: string
  step a: A { prompt: "\${input.tag} a" }
  step sub: Part { input: { tag: input.tag } }
  step z: A { prompt: "\${input.tag} z \${sub.output.r}" }
}
`;

/** The mix of flows started (weights). */
const MIX: [flow: string, weight: number][] = [
  ['chain', 30],
  ['fan', 20],
  ['nap', 15],
  ['gate', 20],
  ['nest', 15],
];

/** The causes a dead letter may have: its worker lost three times, or the agent failing every retry. */
const DEAD_LETTER_CAUSES = new Set(['WORKER_LOST', 'AGENT_UNAVAILABLE']);

interface Child {
  process: ChildProcess;
  /** The last 20 KB of its stdout and stderr. */
  output: () => string;
  /** Resolves with the first stdout line `match` accepts. */
  line: (match: (line: string) => boolean, ms?: number) => Promise<string>;
}

/** Starts a process that the kernel SIGKILLs should this one die (setpriv --pdeathsig, as scripts/services.mjs). */
function launch(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log?: (text: string) => void }): Child {
  const child = spawn('setpriv', ['--pdeathsig=KILL', '--', file, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let partial = '';
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const keep = (text: string): void => {
    output = (output + text).slice(-20_000);
    options.log?.(text);
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    keep(chunk);
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', keep);
  child.on('exit', () => {
    for (const w of [...waiters]) w();
  });
  return {
    process: child,
    output: () => output,
    line: (match, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no such line within ${ms} ms:\n${output}`)), ms);
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined) finish(undefined, found);
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`it exited (${child.exitCode ?? child.signalCode}):\n${output}`));
        };
        const finish = (error?: Error, found?: string): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(found!);
        };
        waiters.add(check);
        check();
      }),
  };
}

const alive = (c: Child): boolean => c.process.exitCode === null && c.process.signalCode === null;

async function kill(c: Child): Promise<void> {
  if (!alive(c)) return;
  const exited = new Promise((resolve) => c.process.once('exit', resolve));
  c.process.kill('SIGKILL');
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0–100) of `values` (nearest rank), or NaN for none. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface StoredEvent {
  seq: number;
  type: string;
  time: Date;
  data: { step?: string; status?: string; output?: unknown; takeover?: boolean };
}

describe('cluster chaos soak: runs on worker processes SIGKILLed every few seconds, Redis killed and restarted empty once', function () {
  this.timeout(BUDGET_MS + 180_000);
  const children: Child[] = [];
  const temps: string[] = [];
  let db: pg.Pool | undefined;
  let decider: RunStoreApi | undefined;
  let agent: SoakAgentServer | undefined;
  let database: TestDatabase | undefined;

  after(async () => {
    for (const c of children) await kill(c);
    await decider?.close().catch(() => undefined);
    await db?.end();
    await agent?.close();
    await database?.drop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it(`${RUNS} runs on ${WORKERS} workers: 0 lost, 0 stuck, gapless logs, one step.finished per step, no finished step called again`, async () => {
    const services = testServices();
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    const random = seededRandom(SEED);
    const soakStarted = performance.now();
    const startedAt = Date.now();
    const say = (text: string): void => console.log(`      [soak ${((performance.now() - soakStarted) / 1000).toFixed(1)}s] ${text}`);
    say(`seed ${SEED} (BATON_SOAK_SEED), ${RUNS} runs, ${WORKERS} workers × ${CONCURRENCY}`);

    // the store: a database of its own on the services' PostgreSQL
    database = await createTestDatabase('baton_soak');
    const storeUrl = database.storeUrl;

    // the queue: a Redis of this test's own, no persistence, so that a restart is empty
    const redisDir = mkdtempSync(path.join(tmpdir(), 'baton-soak-redis-'));
    temps.push(redisDir);
    const redisPort = await freePort();
    const startRedis = async (): Promise<Child> => {
      const redis = launch('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], { cwd: redisDir, env: process.env });
      children.push(redis);
      await redis.line((l) => l.includes('Ready to accept connections'));
      return redis;
    };
    let redis = await startRedis();
    const queueUrl = `redis://127.0.0.1:${redisPort}`;

    // the agent, its configuration and the flows
    agent = await SoakAgentServer.start({ random: seededRandom(SEED ^ 0x5eed), failRate: 0.3, minMs: 5, maxMs: 50 });
    const ws = mkdtempSync(path.join(tmpdir(), 'baton-soak-'));
    temps.push(ws);
    writeFileSync(path.join(ws, 'soak.flow'), FLOWS);
    writeFileSync(path.join(ws, 'baton.config.json'), JSON.stringify({ endpoints: { soak: { url: agent.url } } }));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', BATON_STORE: storeUrl, BATON_QUEUE: queueUrl, PGPASSWORD: services.pgPassword };
    delete env.FORCE_COLOR;

    const serve = launch(process.execPath, [CLI, 'serve', '.', '--insecure', '--port', '0', '--agents', 'real'], { cwd: ws, env });
    children.push(serve);
    const banner = await serve.line((l) => l.startsWith('baton serve'));
    const frontDoor = /http:\/\/[\d.:]+/.exec(banner)![0];

    // every worker's lines, in one file kept for a look after the soak (its path is printed)
    const workerLog = path.join(tmpdir(), `baton-soak-${SEED}-workers.log`);
    writeFileSync(workerLog, '');
    let workerCount = 0;
    const startWorker = (): Child => {
      const n = ++workerCount;
      const w = launch(process.execPath, [CLI, 'worker', '--agents', 'real', '--concurrency', String(CONCURRENCY), '--lease', '1s', '--reconcile-every', '1s'], {
        cwd: ws,
        env,
        log: (text) => appendFileSync(workerLog, text.replace(/^(?=.)/gm, `w${n} `)),
      });
      children.push(w);
      return w;
    };
    const workers = Array.from({ length: WORKERS }, startWorker);
    await Promise.all(workers.map((w) => w.line((l) => l.startsWith('baton worker'))));
    db = new pg.Pool({ connectionString: storeUrl, max: 2 });
    decider = await PgRunStore.open(storeUrl);
    say('front door, workers and Redis up');

    // start the runs through the webhooks, a few at a time
    const tagOf = new Map<string, string>(); // tag → run id
    const gates: { runId: string; at: number; viaApi: boolean }[] = [];
    const plan = Array.from({ length: RUNS }, (_, i) => {
      let pick = random() * 100;
      const flow = MIX.find(([, weight]) => (pick -= weight) < 0)?.[0] ?? 'chain';
      const items = Array.from({ length: 2 + Math.floor(random() * 4) }, (_, k) => k);
      return { tag: `s${i}`, flow, items, decideAfter: random() * 4000, viaApi: random() < 0.5 };
    });
    const refusedStarts: string[] = [];
    let next = 0;
    const starting = (async () => {
      await Promise.all(
        Array.from({ length: STARTS_IN_FLIGHT }, async () => {
          while (next < plan.length) {
            const run = plan[next++];
            const body = run.flow === 'fan' ? { tag: run.tag, items: run.items } : { tag: run.tag };
            const answer = await fetch(`${frontDoor}/${run.flow}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch((e: Error) => e);
            if (answer instanceof Error || answer.status !== 202) {
              refusedStarts.push(`${run.tag}: ${answer instanceof Error ? answer.message : `${answer.status} ${await answer.text()}`}`);
              continue;
            }
            const { runId } = (await answer.json()) as { runId: string };
            tagOf.set(run.tag, runId);
            if (run.flow === 'gate') gates.push({ runId, at: performance.now() + run.decideAfter, viaApi: run.viaApi });
          }
        }),
      );
    })();

    // the approvals: each decided at its random moment, or as soon as after it as the run waits for it — through the
    // front door's runs API (which enqueues the run) or straight into the store (the reconciler finds it)
    const decisionErrors: string[] = [];
    let decided = 0;
    let done = false;
    const deciding = (async () => {
      const pending = new Set<(typeof gates)[number]>();
      let seen = 0;
      while (!done) {
        for (; seen < gates.length; seen++) pending.add(gates[seen]);
        const now = performance.now();
        await Promise.all(
          [...pending]
            .filter((g) => g.at <= now)
            .map(async (g) => {
              try {
                if (g.viaApi) {
                  const answer = await fetch(`${frontDoor}/runs/${g.runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-user': 'soak' }, body: '{"task":"ok"}' });
                  const text = await answer.text();
                  if (answer.status === 202) pending.delete(g);
                  else if (text.includes('RUN_FINISHED')) return void pending.delete(g); // a dead letter before its approval
                  else if (!text.includes('TASK_NOT_WAITING')) throw new Error(`${answer.status} ${text}`);
                } else {
                  await decider!.recordDecision(g.runId, 'ok', { decision: 'approved', by: 'soak' });
                  pending.delete(g);
                }
                if (!pending.has(g)) decided++;
              } catch (error) {
                const code = (error as { code?: string }).code;
                if (code === 'TASK_NOT_WAITING') return;
                pending.delete(g);
                if (code === 'RUN_FINISHED') return; // a dead letter before its approval
                decisionErrors.push(`${g.runId}: ${(error as Error).message}`);
              }
              g.at = performance.now() + 250; // not waiting yet: look again
            }),
        );
        await sleep(100);
      }
    })();

    // the chaos: SIGKILL a random worker every 2–5 s and start another; SIGKILL Redis once and start it empty
    const kills: { at: number; pid: number; runs: string[] }[] = [];
    let redisRestart: { at: number; downMs: number } | undefined;
    const host = hostname();
    const chaos = (async () => {
      while (!done) {
        await sleep(2000 + random() * 3000);
        if (done) break;
        const i = Math.floor(random() * workers.length);
        const victim = workers[i];
        const at = Date.now();
        await kill(victim);
        const { rows } = await db!.query<{ id: string }>("SELECT id FROM runs WHERE status = 'running' AND lease_owner LIKE $1", [`${host}/${victim.process.pid}/%`]);
        kills.push({ at, pid: victim.process.pid!, runs: rows.map((r) => r.id) });
        workers[i] = startWorker();
        const finishedShare = Number((await db!.query<{ n: string }>("SELECT count(*) AS n FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled')")).rows[0].n) / RUNS;
        if (!redisRestart && finishedShare >= 0.3) {
          const down = Date.now();
          await kill(redis);
          await sleep(500);
          redis = await startRedis();
          redisRestart = { at: down, downMs: Date.now() - down };
          say(`Redis SIGKILLed and started again empty (down ${redisRestart.downMs} ms) at ${(finishedShare * 100).toFixed(0)}% of the runs finished`);
        }
      }
    })();

    // wait until every run has ended, or the budget is spent
    const deadline = performance.now() + BUDGET_MS;
    let statuses: Record<string, number> = {};
    let lastSaid = 0;
    for (;;) {
      const { rows } = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM runs GROUP BY status');
      statuses = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const ended = (statuses.succeeded ?? 0) + (statuses.failed ?? 0) + (statuses.cancelled ?? 0);
      const started = next >= plan.length && tagOf.size + refusedStarts.length === plan.length;
      if (started && ended >= tagOf.size) break;
      if (performance.now() > deadline) break;
      if (performance.now() - lastSaid > 15_000) {
        lastSaid = performance.now();
        say(`${JSON.stringify(statuses)}, ${kills.length} kills`);
      }
      await sleep(500);
    }
    done = true;
    await Promise.all([starting, deciding, chaos]);
    const soakMs = performance.now() - soakStarted;
    for (const w of workers) await kill(w);
    await kill(serve);
    say(`ended: ${JSON.stringify(statuses)}; the workers' lines are in ${workerLog}`);

    // ---- what the store holds
    const runs = (await db.query<{ id: string; flow: string; status: string; error: { code?: string } | null; inputs: { tag: string } }>('SELECT id, flow, status, error, inputs FROM runs')).rows;
    const events = new Map<string, StoredEvent[]>();
    for (const e of (await db.query<StoredEvent & { run_id: string }>('SELECT run_id, seq, type, time, data FROM events ORDER BY run_id, seq')).rows) {
      let list = events.get(e.run_id);
      if (!list) events.set(e.run_id, (list = []));
      list.push(e);
    }
    const byId = new Map(runs.map((r) => [r.id, r]));

    // 0 lost, 0 stuck, every failure a dead letter with its cause
    assert.deepEqual(refusedStarts, [], 'every webhook start is accepted');
    assert.deepEqual(decisionErrors, [], 'every decision is taken');
    const lost = [...tagOf.values()].filter((id) => !byId.has(id));
    assert.deepEqual(lost, [], 'lost runs');
    const stuck = runs.filter((r) => r.status !== 'succeeded' && r.status !== 'failed');
    const describeRun = (id: string): string =>
      `${id} ${byId.get(id)?.flow} ${byId.get(id)?.status}: ${(events.get(id) ?? [])
        .map((e) => `${e.seq}:${e.type}${e.data.step ? `(${e.data.step})` : ''}${e.data.takeover ? '(takeover)' : ''}@${e.time.getTime() - startedAt}`)
        .join(' ')}; killed at ${kills.filter((k) => k.runs.includes(id)).map((k) => k.at - startedAt).join(', ') || '-'}`;
    assert.deepEqual(stuck.map((r) => describeRun(r.id)), [], 'stuck runs (not ended within the budget)');
    const deadLetters = runs.filter((r) => r.status === 'failed');
    const badCauses = deadLetters.filter((r) => !DEAD_LETTER_CAUSES.has(r.error?.code ?? '')).map((r) => `${describeRun(r.id)} → ${JSON.stringify(r.error)}`);
    assert.deepEqual(badCauses, [], 'failed runs whose cause is not a dead letter’s');
    assert.equal(runs.length, tagOf.size, 'no run the soak did not start');

    // gapless logs, one step.finished per step instance
    const logProblems: string[] = [];
    for (const run of runs) {
      const log = events.get(run.id) ?? [];
      if (log.some((e, i) => e.seq !== i + 1)) logProblems.push(`${run.id}: seqs ${log.map((e) => e.seq).join(',')}`);
      const finishedSteps = log.filter((e) => e.type === 'step.finished').map((e) => e.data.step!);
      const twice = finishedSteps.filter((s, i) => finishedSteps.indexOf(s) !== i);
      if (twice.length) logProblems.push(`${run.id}: step.finished twice for ${twice.join(', ')}`);
      if (run.status === 'succeeded') {
        const startedSteps = new Set(log.filter((e) => e.type === 'step.started').map((e) => e.data.step!));
        const unfinished = [...startedSteps].filter((s) => !finishedSteps.includes(s));
        if (unfinished.length) logProblems.push(`${run.id}: succeeded with ${unfinished.join(', ')} never finished`);
      }
    }
    assert.deepEqual(logProblems, [], 'log problems');

    // 0 finished steps called again (see the comment at the top)
    const calls = new Map<string, LedgerEntry[]>(); // `${runId} ${step}` → calls
    const runOfTag = (tag: string): string | undefined => tagOf.get(tag);
    for (const c of agent.ledger) {
      const key = `${runOfTag(c.tag)} ${c.step}`;
      let list = calls.get(key);
      if (!list) calls.set(key, (list = []));
      list.push(c);
    }
    const calledAgain: string[] = [];
    const unanswered: string[] = [];
    let checkedSteps = 0;
    for (const run of runs) {
      for (const e of events.get(run.id) ?? []) {
        if (e.type !== 'step.finished' || e.data.status !== 'succeeded' || e.data.step === 'sub') continue;
        checkedSteps++;
        const seq = /^c(\d+)$/.exec(String(e.data.output))?.[1];
        const answer = seq ? agent.ledger[Number(seq) - 1] : undefined;
        if (!answer || runOfTag(answer.tag) !== run.id || answer.step !== e.data.step) {
          unanswered.push(`${run.id} ${e.data.step}: output ${JSON.stringify(e.data.output)} is no answer of this step`);
          continue;
        }
        const after = (calls.get(`${run.id} ${e.data.step}`) ?? []).filter((c) => c.receivedAt > answer.answeredAt!);
        if (after.length) calledAgain.push(`${run.id} ${e.data.step}: answered as call ${answer.seq}, called again as ${after.map((c) => c.seq).join(', ')}`);
      }
    }
    assert.deepEqual(unanswered, [], 'every finished step recorded an answer the agent gave it');
    // every call carries its stable idempotency key, runId/stepKey/callIndex (the Idempotency-Key header)
    const badKeys = agent.ledger.filter((c) => c.idempotencyKey !== `${runOfTag(c.tag)}/${c.step}/${c.callIndex}`).map((c) => `call ${c.seq}: ${c.idempotencyKey ?? 'no key'} for ${runOfTag(c.tag)}/${c.step}/${c.callIndex}`);
    assert.deepEqual(badKeys.slice(0, 20), [], 'Idempotency-Key headers');
    assert.deepEqual(calledAgain, [], 'finished steps called again');

    // takeover latency: SIGKILL → run.resumed takeover of each run the killed worker held
    const latencies: number[] = [];
    const notTakenOver: string[] = [];
    for (const k of kills) {
      for (const id of k.runs) {
        const takeover = (events.get(id) ?? []).find((e) => e.type === 'run.resumed' && e.data.takeover === true && e.time.getTime() >= k.at);
        if (takeover) latencies.push(takeover.time.getTime() - k.at);
        else if (byId.get(id)?.status !== 'failed') notTakenOver.push(describeRun(id));
      }
    }
    assert.deepEqual(notTakenOver, [], 'runs a killed worker held that no other took over');
    assert.ok(redisRestart, 'Redis was killed and restarted once');
    const takeovers = [...events.values()].reduce((n, log) => n + log.filter((e) => e.type === 'run.resumed' && e.data.takeover === true).length, 0);
    const failedCalls = agent.ledger.filter((c) => c.outcome === 'failed').length;
    say(
      `${runs.length} runs in ${(soakMs / 1000).toFixed(0)} s: ${runs.length - deadLetters.length} succeeded, ${deadLetters.length} dead letters ` +
        `(${[...DEAD_LETTER_CAUSES].map((c) => `${c} ${deadLetters.filter((r) => r.error?.code === c).length}`).join(', ')}); 0 lost, 0 stuck; ` +
        `${kills.length} worker SIGKILLs, Redis restarted empty once (down ${redisRestart.downMs} ms); ${takeovers} takeovers; ` +
        `${agent.ledger.length} agent calls (${failedCalls} answered 503), ${checkedSteps} finished steps checked against the ledger, ${decided} approvals decided`,
    );
    say(`takeover latency (SIGKILL → run.resumed takeover, ${latencies.length} runs): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms`);
    assert.ok(kills.length > 0 && latencies.length > 0, 'workers were killed while they held runs');
  });
});
