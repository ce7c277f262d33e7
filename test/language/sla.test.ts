import assert from 'node:assert/strict';
import type { ApprovalNode, ChoiceNode } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '../../packages/graph/src/index.js';
import { AGENTS, build, check, checkText, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * Service-level agreements (issue 13): a flow's `sla 4h` member and an approval's `sla: 4h` property — parsing, IR,
 * checker (codes, messages and exact ranges), hover, completion, formatter, outline and the graph.
 */

const BODY = AGENTS.split('\n').length;
const flow = (members: string, body = '  step a: Notifier'): string => `${AGENTS}flow F {\n${members}\n${body}\n}\n`;
const isSla = (w: { code: string }): boolean => w.code.startsWith('sla-');
const approval = (props: string): string => flow('  input amount: number', `  approval manager {\n${props}\n  }`);

describe('language: SLAs', () => {
  it('`sla 4h` on a flow and `sla: 2h` on an approval (and an arm of wait first) build slaMs', async () => {
    const def = await build(flow('  input amount: number\n  sla 4h', '  approval manager { prompt: "ok?", timeout: 2d, sla: 2h }\n  wait first {\n    on approval boss { sla: 30m }\n    on timeout 1d {\n    }\n  }'));
    assert.equal(def.flows.F.slaMs, 4 * 3_600_000);
    assert.equal((def.flows.F.body[0] as ApprovalNode).slaMs, 2 * 3_600_000);
    assert.equal((def.flows.F.body[0] as ApprovalNode).timeoutMs, 2 * 86_400_000);
    const arm = (def.flows.F.body[1] as ChoiceNode).arms[0];
    assert.equal(arm.kind === 'approval' ? arm.slaMs : undefined, 1_800_000);
    const plain = await build(flow('  input amount: number'));
    assert.equal('slaMs' in plain.flows.F, false, 'no sla: no field (definition hashes of existing flows unchanged)');
  });

  it('`sla` stays a name: a step, an input and a record key named sla still parse', async () => {
    await build(`${AGENTS}flow G {\n  input sla: number\n  step sla: Notifier { prompt: "\${input.sla}" }\n  let x = { sla: sla.output }\n}\n`);
  });

  it('sla 0s is sla-not-positive on the duration; a bare number is invalid-duration', async () => {
    const zero = await check(flow('  sla 0s'));
    assert.deepEqual(zero.errors, [p('sla-not-positive', [BODY, 6, BODY, 8], '0s', 'an SLA of `0s` is breached the moment it starts: it must be more than 0 (e.g. 4h)')]);
    const bare = await check(approval('    timeout: 2d\n    sla: 4'));
    assert.deepEqual(bare.errors, [p('invalid-duration', [BODY + 3, 9, BODY + 3, 10], '4', 'a duration needs a unit: 4s, 4m, 4h (units: ms, s, m, h, d)')]);
    const unit = await check(flow('  sla 4y'));
    assert.deepEqual(unit.errors.map((e) => [e.code, e.text]), [['invalid-duration', '4y']]);
  });

  it('an approval sla: 0m is sla-not-positive too', async () => {
    const { errors } = await check(approval('    sla: 0m'));
    assert.deepEqual(errors, [p('sla-not-positive', [BODY + 2, 9, BODY + 2, 11], '0m', 'an SLA of `0m` is breached the moment it starts: it must be more than 0 (e.g. 4h)')]);
  });

  it('two sla lines in a flow, or two sla: in an approval, are duplicate-property on the second', async () => {
    const twice = await check(flow('  sla 4h\n  sla 2h'));
    assert.deepEqual(twice.errors, [p('duplicate-property', [BODY + 1, 2, BODY + 1, 8], 'sla 2h', 'a flow has at most one `sla`')]);
    const props = await check(approval('    sla: 4h\n    sla: 2h'));
    assert.deepEqual(props.errors, [p('duplicate-property', [BODY + 3, 4, BODY + 3, 7], 'sla', '`sla` is given twice in this block')]);
  });

  it('an approval sla not shorter than its timeout is sla-after-timeout (a warning on the sla property); shorter is fine', async () => {
    const late = await check(approval('    timeout: 1d\n    sla: 24h'));
    assert.deepEqual(late.errors, []);
    assert.deepEqual(late.warnings.filter(isSla), [p('sla-after-timeout', [BODY + 3, 4, BODY + 3, 12], 'sla: 24h', "this SLA (1d) is never breached: the approval's timeout (1d) ends the wait first — make the SLA shorter than the timeout")]);
    const fine = await check(approval('    timeout: 1d\n    sla: 4h'));
    assert.deepEqual(fine.warnings.filter(isSla), []);
    const arm = await check(flow('  input amount: number', '  wait first {\n    on approval boss { sla: 2d }\n    on timeout 1d {\n    }\n  }'));
    assert.deepEqual(arm.warnings.filter(isSla).map((w) => [w.code, w.text, w.message]), [
      ['sla-after-timeout', 'sla: 2d', "this SLA (2d) is never breached: the approval's `wait first` timeout arm (1d) ends the wait first — make the SLA shorter than the timeout"],
    ]);
  });

  it('a flow sla on a flow only called as a sub-flow is sla-in-subflow-only (a warning on the sla line); a trigger or a test that runs it clears it', async () => {
    const child = (extra: string): string => `${AGENTS}flow Parent {\n  step call: Child\n}\nflow Child {\n${extra}  sla 1h\n  step a: Notifier\n}\n`;
    const { warnings } = await check(child(''));
    assert.deepEqual(warnings.filter((w) => w.code !== 'unused-agent'), [
      p('sla-in-subflow-only', [BODY + 3, 2, BODY + 3, 8], 'sla 1h', "flow `Child` is only called as a sub-flow (by `Parent`): a sub-flow call is part of its caller's run, so this SLA is measured only when `Child` runs on its own — put the SLA on the caller, or an `sla:` on its approvals"),
    ]);
    const slaWarnings = async (text: string): Promise<string[]> => (await check(text)).warnings.map((w) => w.code).filter((c) => c.startsWith('sla'));
    assert.deepEqual(await slaWarnings(child('  trigger webhook "/child"\n')), []);
    assert.deepEqual(await slaWarnings(`${child('')}test "child" {\n  flow: Child\n  input: {}\n  expect: status == "succeeded"\n}\n`), []);
    assert.deepEqual(await slaWarnings(flow('  sla 1h')), [], 'a flow nobody calls is run on its own');
  });

  it('hover on `sla` and on its duration says what is measured and that nothing is cancelled', async () => {
    const onFlow = await hoverAt(flow('  s<|>la 4h'));
    assert.equal(onFlow, '**SLA 4h**: a run still open 4h after it started (accepted, queued time included) is marked breached — event `sla.breached`, counted (`baton_sla_breaches_total`), shown red, notified. Nothing is cancelled.');
    const onApproval = await hoverAt(approval('    timeout: 2d\n    sla: 4<|>h'));
    assert.match(onApproval ?? '', /^\*\*4h\*\* = 4 hours\n\n\*\*SLA 4h\*\*: this approval still undecided 4h after it was requested is marked breached/);
    assert.match(onApproval ?? '', /Nothing is cancelled: its `timeout` \(if any\) still decides when the wait ends\.$/);
    const onName = await hoverAt(flow('  sla 4h', '  step a: Notifier').replace('flow F', 'flow <|>F'));
    assert.match(onName ?? '', /sla: `4h`/);
  });

  it('completion offers sla among flow members and approval properties', async () => {
    assert.ok((await completeAt(flow('  input amount: number\n  <|>'))).includes('sla'));
    assert.ok((await completeAt(approval('    timeout: 2d\n    <|>'))).includes('sla'));
  });

  it('formats `sla   4h` to `sla 4h` and `sla :4h` to `sla: 4h`; idempotent', async () => {
    const messy = flow('  input amount: number\n    sla    4h', '  approval manager {\n  timeout:2d\n      sla :4h\n  }');
    const formatted = await format(messy);
    assert.equal(formatted, flow('  input amount: number\n  sla 4h', '  approval manager {\n    timeout: 2d\n    sla: 4h\n  }'));
    assert.equal(await format(formatted), formatted);
  });

  it('the outline lists the sla under the flow, beside its inputs', async () => {
    const lines = await outline(flow('  input amount: number\n  sla 4h'));
    assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('F '))), ['F ()', '  amount (input: number)', '  sla (4h)', '  a (→ Notifier)']);
  });

  it('the graph: the approval detail `approval · 2d · sla 4h`, the flow title `sla 4h` in JSON, Mermaid and DOT', async () => {
    const def = await build(flow('  input amount: number\n  sla 8h', '  approval manager { timeout: 2d, sla: 4h }\n  approval boss { sla: 1h }\n  approval clerk { timeout: 1d }'));
    const graph = buildFlowGraph(def, 'F');
    assert.equal(graph.title, 'sla 8h');
    assert.deepEqual(graph.nodes.filter((n) => n.kind === 'approval').map((n) => [n.label, n.detail]), [
      ['manager', 'approval · 2d · sla 4h'],
      ['boss', 'approval · sla 1h'],
      ['clerk', 'approval · 1d'],
    ]);
    assert.match(toMermaid(graph), /title: "F · sla 8h"/);
    assert.match(toMermaid(graph), /approval · 2d · sla 4h/);
    assert.match(toDot(graph), /label="F · sla 8h"/);
    assert.match(renderSvg(await layoutFlowGraph(graph)), /<title>Flow F · sla 8h<\/title>/);
    const none = buildFlowGraph(await build(flow('  input amount: number')), 'F');
    assert.equal(none.title, undefined);
  });

  it('a parse of `sla` with no duration is a parse error, not a crash', async () => {
    const { document } = await checkText(flow('  sla'));
    assert.ok(document.parseResult.parserErrors.length > 0);
  });
});
