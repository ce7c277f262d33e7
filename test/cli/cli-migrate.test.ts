import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, CLI, tempWorkspace } from './cli-helper.js';
import { databasePerTest, testServices } from '../cluster/test-services.js';

/**
 * `baton runs migrate`: a waiting run moved to a new version of its flow once that is proved compatible, each
 * refusal named (`file:line:col - MIGRATION <code>: …`), the move atomic under kill -9.
 */

const V1 = `agent Worker {
  instructions: "Do the work."
  output: { total: number }
  stub: { total: 5 }
}

flow Order {
  input id: string
  step intake: Worker { prompt: "intake \${input.id}" }
  if input.id == "A" {
    step fast: Worker { prompt: "fast" }
  }
  approval signoff { prompt: "Sign off?" }
  step ship: Worker { prompt: "ship" }
}
`;

/** v2: a step after the wait. */
const V2 = V1.replace('  step ship: Worker { prompt: "ship" }\n', '  step ship: Worker { prompt: "ship" }\n  step invoice: Worker { prompt: "invoice" }\n');

interface Shown {
  run: { status: string; flow: string; file: string | null; waitingOn: { task?: string; key?: string }[] };
  events: { type: string; step?: string; node?: string; renamed?: Record<string, string>; from?: string; to?: string }[];
}

describe('cli: baton runs migrate', function () {
  this.timeout(180_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let n = 0;
  const write = (text: string): string => {
    const file = `v${++n}.flow`;
    writeFileSync(path.join(ws.dir, file), text);
    return file;
  };
  /** A fresh store with one run of `text` (input id=A) waiting for approval signoff. */
  const waitingRun = (text = V1): { store: string; id: string } => {
    const store = `runs-${++n}.db`;
    const r = baton(['run', write(text), '--input', 'id=A', '--store', store, '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const started = JSON.parse(r.stdout.split('\n')[0]) as { runId: string };
    return { store, id: started.runId };
  };
  const show = (id: string, store: string): Shown => JSON.parse(baton(['runs', 'show', id, '--json', '--store', store], { cwd: ws.dir }).stdout) as Shown;
  const migrate = (id: string, store: string, text: string, ...more: string[]) => {
    const file = write(text);
    return { file, ...baton(['runs', 'migrate', id, '--to', file, '--store', store, ...more], { cwd: ws.dir }) };
  };

  before(() => (ws = tempWorkspace()));
  after(() => ws.cleanup());

  it('moves a waiting run to v2 (a step added after the wait): approved afterwards, the new step runs', () => {
    const { store, id } = waitingRun();
    const dry = migrate(id, store, V2, '--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /can migrate to definition [0-9a-f]{8} \(from [0-9a-f]{8}\), flow Order \(dry run: nothing changed\)/);
    assert.equal(show(id, store).events.filter((e) => e.type === 'run.migrated').length, 0, 'a dry run changes nothing');

    const r = migrate(id, store, V2);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(path.basename(show(id, store).run.file ?? ''), r.file, 'the run comes from the new file now');
    assert.match(r.stdout, new RegExp(`✓ run ${id} migrated to definition [0-9a-f]{8} \\(from [0-9a-f]{8}\\), flow Order`));
    const approved = baton(['approve', id, 'signoff', '--store', store], { cwd: ws.dir });
    assert.equal(approved.code, 0, approved.stdout + approved.stderr);
    assert.match(approved.stdout, /✓ ship[\s\S]*✓ invoice/);
    const { run, events } = show(id, store);
    assert.equal(run.status, 'succeeded');
    const finished = events.filter((e) => e.type === 'step.finished').map((e) => e.step);
    assert.deepEqual(finished, ['intake', 'fast', 'ship', 'invoice'], 'each step once, the new one after the wait');
    const human = baton(['runs', 'show', id, '--store', store], { cwd: ws.dir }).stdout;
    assert.match(human, /⇢ migrated to definition [0-9a-f]{8} from [0-9a-f]{8}/);
  });

  it('baton graph --run draws the definition the run executes now, titled with it and the one it was migrated from', () => {
    const { store, id } = waitingRun();
    const before = baton(['graph', '--run', id, '--store', store], { cwd: ws.dir });
    assert.equal(before.code, 0, before.stderr);
    const v1Hash = (JSON.parse(baton(['runs', 'show', id, '--json', '--store', store], { cwd: ws.dir }).stdout) as { definition: string }).definition;
    assert.match(before.stdout, new RegExp(`^---\ntitle: "Order · run ${id} · definition ${v1Hash.slice(0, 8)}"\n---`));
    assert.doesNotMatch(before.stdout, /invoice/);
    const r = migrate(id, store, V2, '--json');
    const outcome = JSON.parse(r.stdout) as { from: string; to: string };
    assert.equal(outcome.from, v1Hash);
    const after = baton(['graph', '--run', id, '--store', store], { cwd: ws.dir });
    assert.match(after.stdout, new RegExp(`^---\ntitle: "Order · run ${id} · definition ${outcome.to.slice(0, 8)} · migrated from ${v1Hash.slice(0, 8)}"\n---`));
    assert.match(after.stdout, /invoice/);
    assert.equal((JSON.parse(baton(['runs', 'show', id, '--json', '--store', store], { cwd: ws.dir }).stdout) as { definition: string }).definition, outcome.to);
    const both = baton(['graph', 'v1.flow', '--run', id, '--store', store], { cwd: ws.dir });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--run draws the definition stored with the run: give no file/);
  });

  it('an unnamed statement whose path moved is renamed (twice): the replay reads its stored branch under its new id', () => {
    const { store, id } = waitingRun();
    // a let before the if: Order/if@1 becomes Order/if@2
    const r = migrate(id, store, V2.replace('  step intake:', '  let region_code = "EU"\n  step intake:'), '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const outcome = JSON.parse(r.stdout) as { renamed: Record<string, string>; migrated: boolean };
    assert.equal(outcome.migrated, true);
    assert.equal(outcome.renamed['Order/if@1'], 'Order/if@2');
    // a second migration: the log is read through both
    const again = migrate(id, store, V2.replace('  step intake:', '  let region_code = "EU"\n  let tier = 2\n  step intake:'), '--json');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { renamed: Record<string, string> }).renamed, { 'Order/if@2': 'Order/if@3' });
    assert.equal(baton(['approve', id, 'signoff', '--store', store], { cwd: ws.dir }).code, 0);
    const { run, events } = show(id, store);
    assert.equal(run.status, 'succeeded');
    // without the renames, replay would not know the if was decided and record its branch a second time
    assert.deepEqual(events.filter((e) => e.type === 'branch.taken').map((e) => e.node), ['Order/if@1']);
  });

  const refusals: [string, (v: string) => string, RegExp][] = [
    ['checker-errors', (v) => v.replace('approval signoff {', 'approval signoff {{'), /^v\d+\.flow:13:21 - MIGRATION checker-errors: expected `\}` but found `\{` \(parse-error\); the new definition must check clean$/m],
    ['step-missing', (v) => v.replace(/ {2}step intake.*\n/, ''), /^v\d+\.flow:7:1 - MIGRATION step-missing: the run finished step intake, but flow Order has no step named intake$/m],
    [
      'output-type-changed',
      (v) => v.replace('output: { total: number }', 'output: { total: string }').replace('stub: { total: 5 }', 'stub: { total: "5" }'),
      /^v\d+\.flow:9:3 - MIGRATION output-type-changed: the stored output of step intake no longer fits agent Worker's output: .*total.*string/m,
    ],
    ['input-missing', (v) => v.replace('  input id: string\n', '  input id: string\n  input priority: number\n'), /^v\d+\.flow:9:3 - MIGRATION input-missing: flow Order needs input "priority" \(number\), which the run was not started with$/m],
    ['path-diverged (branch)', (v) => v.replace('input.id == "A"', 'input.id == "B"'), /^v\d+\.flow:10:3 - MIGRATION path-diverged: this if now takes no branch; the run took then, so step fast \(finished\) is no longer reached$/m],
    ['path-diverged (new step before the wait)', (v) => v.replace('  approval signoff', '  step extra: Worker { prompt: "x" }\n  approval signoff'), /^v\d+\.flow:13:3 - MIGRATION path-diverged: step extra would run before the run's current wait, and it has not run$/m],
    ['wait-missing', (v) => v.replace('approval signoff', 'approval review'), /^v\d+\.flow:7:1 - MIGRATION wait-missing: the run waits at approval signoff, which the new flow does not reach$/m],
  ];
  for (const [code, edit, line] of refusals) {
    it(`refuses with ${code}, naming where and what; the run stays as it was`, () => {
      const { store, id } = waitingRun();
      const r = migrate(id, store, edit(V1));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, line);
      assert.match(r.stdout, new RegExp(`✗ run ${id} cannot move to v\\d+\\.flow`));
      assert.equal(show(id, store).events.filter((e) => e.type === 'run.migrated').length, 0);
      // still on v1: approving runs v1's rest
      assert.equal(baton(['approve', id, 'signoff', '--store', store], { cwd: ws.dir }).code, 0);
      assert.deepEqual(show(id, store).events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['intake', 'fast', 'ship']);
    });
  }

  it('a run that is not waiting or interrupted is refused (exit 2), and so is a missing --to', () => {
    const { store, id } = waitingRun();
    assert.equal(baton(['approve', id, 'signoff', '--store', store], { cwd: ws.dir }).code, 0);
    const done = migrate(id, store, V2);
    assert.equal(done.code, 2);
    assert.match(done.stderr, new RegExp(`run ${id} is succeeded; only a waiting or interrupted run can be migrated`));
    const usage = baton(['runs', 'migrate', id, '--store', store], { cwd: ws.dir });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /runs migrate needs --to <file\.flow>/);
  });

  it('kill -9 inside the store transaction leaves the run on its old definition; migrating again then works', () => {
    const { store, id } = waitingRun();
    const file = write(V2);
    const killed = spawnSync(process.execPath, [CLI, 'runs', 'migrate', id, '--to', file, '--store', store], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', BATON_CRASH_AT: 'migrate' }, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr);
    const after = show(id, store);
    assert.equal(after.run.status, 'waiting');
    assert.equal(after.events.filter((e) => e.type === 'run.migrated').length, 0, 'no run.migrated without the switch');
    assert.deepEqual(after.run.waitingOn.map((w) => w.task), ['signoff']);
    const again = baton(['runs', 'migrate', id, '--to', file, '--store', store], { cwd: ws.dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(baton(['approve', id, 'signoff', '--store', store], { cwd: ws.dir }).code, 0);
    assert.deepEqual(show(id, store).events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['intake', 'fast', 'ship', 'invoice']);
  });
});

describe('cli: baton runs migrate on a PostgreSQL store', function () {
  this.timeout(180_000);
  const db = databasePerTest('baton_migrate');
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    testServices();
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'v1.flow'), V1);
    writeFileSync(path.join(ws.dir, 'v2.flow'), V2);
  });
  after(() => ws.cleanup());

  it('kill -9 inside the transaction leaves the run on v1; migrated then, an approval runs v2\'s new step', () => {
    const started = baton(['run', 'v1.flow', '--input', 'id=A', '--store', db.storeUrl, '--json'], { cwd: ws.dir });
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout.split('\n')[0]) as { runId: string }).runId;
    const killed = spawnSync(process.execPath, [CLI, 'runs', 'migrate', id, '--to', 'v2.flow', '--store', db.storeUrl], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', BATON_CRASH_AT: 'migrate' }, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr);
    const shown = (): Shown => JSON.parse(baton(['runs', 'show', id, '--json', '--store', db.storeUrl], { cwd: ws.dir }).stdout) as Shown;
    assert.equal(shown().events.filter((e) => e.type === 'run.migrated').length, 0);
    assert.equal(shown().run.status, 'waiting');
    const r = baton(['runs', 'migrate', id, '--to', 'v2.flow', '--store', db.storeUrl], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(baton(['approve', id, 'signoff', '--store', db.storeUrl], { cwd: ws.dir }).code, 0);
    assert.deepEqual(shown().events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['intake', 'fast', 'ship', 'invoice']);
  });
});
