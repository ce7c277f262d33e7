import assert from 'node:assert/strict';
import type { CancelNode, CompleteNode, RegionNode } from '@baton/protocol';
import { AGENTS, build, check, checkText, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * `region r { … } [on cancel { … }]`, `cancel r`, `cancel step`, `complete r`, `complete` (issue 12, WCP-19/25/26/27/43):
 * parsing, IR, checker (codes and exact ranges), formatting, outline, hover and completion.
 */

const BODY = AGENTS.split('\n').length;
const flow = (body: string): string => `${AGENTS}flow F {\n  input region: string\n  output state: string\n${body}\n}\n`;
const REGION = `  region fulfil {
    step reserve: Notifier { prompt: "reserve", compensate: Notifier { prompt: "release" } }
    if input.region == "none" {
      cancel fulfil
    }
    step ship: Notifier { prompt: "ship" }
  } on cancel {
    step tell: Notifier { prompt: "stopped" }
  }
  set output.state = fulfil.status`;

describe('language: regions, cancel and complete', () => {
  it('a region builds a region node with its body and on cancel; cancel and complete name their targets', async () => {
    const def = await build(flow(`${REGION}\n  parallel {\n    step a: Notifier\n    cancel a\n  }\n  complete`));
    const body = def.flows.F.body;
    const region = body[0] as RegionNode;
    assert.equal(region.kind, 'region');
    assert.equal(region.id, 'F/fulfil');
    assert.deepEqual(region.body.map((s) => s.id), ['F/reserve', 'F/if@0.0.1', 'F/ship']);
    assert.deepEqual(region.onCancel?.map((s) => s.id), ['F/tell']);
    const cancel = (region.body[1] as { branches: { body: CancelNode[] }[] }).branches[0].body[0];
    assert.deepEqual([cancel.kind, cancel.target, cancel.targetKind], ['cancel', 'fulfil', 'region']);
    const stepCancel = (body[2] as { branches: CancelNode[] }).branches[1];
    assert.deepEqual([stepCancel.target, stepCancel.targetKind], ['a', 'step']);
    const complete = body[3] as CompleteNode;
    assert.deepEqual([complete.kind, complete.id, complete.target], ['complete', 'F/complete@3', undefined]);
  });

  it('cancel of a region that neither encloses it nor runs beside it is cancel-target-not-active, on the target', async () => {
    const { errors } = await check(flow('  region r {\n    step a: Notifier\n  }\n  cancel r\n  step b: Notifier'));
    assert.deepEqual(errors, [
      p('cancel-target-not-active', [BODY + 5, 9, BODY + 5, 10], 'r', '`cancel r` can never find region `r` running: a region can only be cancelled or completed from inside it or from a branch running beside it (another branch of a `parallel`)'),
    ]);
  });

  it('cancel of a step that does not run beside it is cancel-target-not-active; from a sibling branch it is fine', async () => {
    const { errors } = await check(flow('  step a: Notifier\n  cancel a\n  parallel {\n    step b: Notifier\n    branch {\n      wait 1s\n      cancel b\n    }\n  }'));
    assert.deepEqual(errors, [
      p('cancel-target-not-active', [BODY + 3, 9, BODY + 3, 10], 'a', '`cancel a` can never find step `a` running: a step can only be cancelled from a branch running beside it (another branch of a `parallel`)'),
    ]);
  });

  it('a region in a sibling branch, or kept running by a partial join, can be cancelled', async () => {
    const beside = await check(flow('  parallel {\n    region r {\n      step a: Notifier\n    }\n    cancel r\n  }'));
    assert.deepEqual(beside.errors, []);
    const kept = await check(flow('  parallel first 1 keep {\n    region r {\n      step a: Notifier\n    }\n    step b: Notifier\n  }\n  complete r'));
    assert.deepEqual(kept.errors, []);
  });

  it('a statement after complete, or after cancel of the region around it, is unreachable-statement', async () => {
    const { errors } = await check(flow('  region r {\n    cancel r\n    step a: Notifier\n  }\n  complete\n  step b: Notifier'));
    assert.deepEqual(errors, [
      p('unreachable-statement', [BODY + 4, 4, BODY + 4, 20], 'step a: Notifier', 'this statement can never run: the `cancel r` above always ends region `r`'),
      p('unreachable-statement', [BODY + 7, 2, BODY + 7, 18], 'step b: Notifier', 'this statement can never run: the `complete` above always ends the flow'),
    ]);
  });

  it('cancel of a name that is no region or step is unknown-name with did-you-mean; complete of a step too', async () => {
    const { errors } = await check(flow('  region fulfil {\n    step a: Notifier\n    cancel fulfill\n    complete a\n  }'));
    assert.deepEqual(errors.map((e) => [e.code, e.range, e.message]), [
      ['unknown-name', [BODY + 4, 11, BODY + 4, 18], 'unknown name `fulfill`: no region or step of this flow is called that; did you mean `fulfil`?'],
      ['unknown-name', [BODY + 5, 13, BODY + 5, 14], 'unknown name `a`: no region of this flow is called that'],
    ]);
  });

  it('a step of a cancellable region read after it unguarded is step-maybe-skipped; its status reads fine', async () => {
    const { errors } = await check(flow(`${REGION}\n  step after: Notifier { prompt: "\${ship.output}" }\n  step fine: Notifier { prompt: "\${ship.status}" }`));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['step-maybe-skipped', 'ship']]);
    const plain = await check(flow('  region r {\n    step a: Notifier\n  }\n  step after: Notifier { prompt: "${a.output}" }'));
    assert.deepEqual(plain.errors, []);
  });

  it('a cancelled step read after its parallel unguarded is step-maybe-skipped', async () => {
    const { errors } = await check(flow('  parallel {\n    step a: Notifier\n    cancel a\n  }\n  step after: Notifier { prompt: "${a.output}" }'));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['step-maybe-skipped', 'a']]);
  });

  it('a region inside a foreach reads, after the loop, as the list of its iterations (as a step does)', async () => {
    const ok = await check(flow('  foreach x in [1, 2] {\n    region r {\n      step a: Notifier\n    }\n  }\n  set output.state = r[0].status'));
    assert.deepEqual(ok.errors, []);
    const { errors } = await check(flow('  foreach x in [1, 2] {\n    region r {\n      step a: Notifier\n    }\n  }\n  set output.state = r.status'));
    assert.deepEqual(errors.map((e) => e.code), ['unknown-field']);
  });

  it('a region name is a name of the flow: a duplicate is duplicate-name, on the second', async () => {
    const { errors } = await check(flow('  step r: Notifier\n  region r {\n    step a: Notifier\n  }'));
    assert.deepEqual(errors, [p('duplicate-name', [BODY + 3, 9, BODY + 3, 10], 'r', 'duplicate name `r`: a step, approval, event wait, region, let value, var or loop variable of this flow already has it')]);
  });

  it('`region`, `cancel` and `complete` are reserved for statements but stay field and input names', async () => {
    for (const word of ['region', 'cancel', 'complete']) {
      const { document } = await checkText(flow(`  step ${word}: Notifier`));
      assert.ok(document.parseResult.parserErrors.length > 0, `a step cannot be named ${word}`);
    }
    await build(`${AGENTS}flow G {\n  input region: string\n  input cancel: string\n  step a: Notifier { prompt: "\${input.region} \${input.cancel}", input: { complete: 1 } }\n}\n`);
  });

  it('a bare complete before a `branch { … }` of a parallel ends its branch: the next branch is not taken for its target', async () => {
    const def = await build(flow('  parallel {\n    complete\n    branch {\n      step a: Notifier\n    }\n  }'));
    const parallel = def.flows.F.body[0] as { branches: { kind: string; target?: string }[] };
    assert.deepEqual(parallel.branches.map((b) => [b.kind, b.target]), [['complete', undefined], ['block', undefined]]);
  });

  it('formats regions: on cancel on the closing brace line, one space after cancel/complete; idempotent', async () => {
    const messy = flow('region   fulfil{\nstep a: Notifier\ncancel    fulfil\n}\n   on    cancel {\nstep b: Notifier\n}\ncomplete');
    const formatted = await format(messy);
    assert.equal(formatted, flow('  region fulfil {\n    step a: Notifier\n    cancel fulfil\n  } on cancel {\n    step b: Notifier\n  }\n  complete'));
    assert.equal(await format(formatted), formatted);
  });

  it('the outline shows the region with its body and its on cancel arm', async () => {
    const lines = await outline(flow(REGION));
    assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('F '))), [
      'F ()', '  region (input: string)', '  state (output: string)', '  fulfil (region)', '    reserve (→ Notifier)', '    if input.region == "none"', '    ship (→ Notifier)', '    on cancel', '      tell (→ Notifier)',
    ]);
  });

  it('hover on `region`, `cancel` and `complete` says what they do; on a region name, what it reads', async () => {
    assert.match((await hoverAt(flow(REGION.replace('region fulfil', 'reg<|>ion fulfil')))) ?? '', /^\*\*region\*\* `fulfil` `\{ … \}`: a cancellation region.*then `on cancel`/);
    assert.match((await hoverAt(flow(REGION.replace('cancel fulfil', 'can<|>cel fulfil')))) ?? '', /^\*\*cancel\*\* `fulfil`: ends the region now/);
    assert.match((await hoverAt(flow('  parallel {\n    step a: Notifier\n    ca<|>ncel a\n  }'))) ?? '', /^\*\*cancel\*\* `a`: withdraws step `a` only/);
    assert.match((await hoverAt(flow('  comp<|>lete'))) ?? '', /^\*\*complete\*\*: ends the current flow successfully now/);
    assert.match((await hoverAt(flow(REGION.replace('= fulfil.status', '= ful<|>fil.status')))) ?? '', /^\*\*region\*\* `fulfil`/);
  });

  it('completion after `cancel ` offers the regions and steps active there; after `complete `, only regions', async () => {
    const text = '  step before: Notifier\n  region outer {\n    parallel {\n      step a: Notifier\n      region inner {\n        step b: Notifier\n      }\n      branch {\n        KW <|>\n      }\n    }\n  }';
    const cancels = await completeAt(flow(text.replace('KW', 'cancel')));
    // `b` runs beside the cancel (inside region inner, in a sibling branch); `before` has ended
    assert.deepEqual(cancels.filter((l) => ['before', 'outer', 'a', 'inner', 'b'].includes(l)).sort(), ['a', 'b', 'inner', 'outer']);
    const completes = await completeAt(flow(text.replace('KW', 'complete')));
    assert.deepEqual(completes.filter((l) => ['before', 'outer', 'a', 'inner', 'b'].includes(l)).sort(), ['inner', 'outer']);
  });

  it('completion offers the region snippet where a statement starts', async () => {
    assert.ok((await completeAt(flow('  <|>'))).includes('region …'));
  });
});
