import assert from 'node:assert/strict';
import type { LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { EmptyFileSystem } from 'langium';
import { createBatonServices } from '../../language/src/index.js';
import { flowGraphOf } from '../../packages/language-server/src/baton-graph-request.js';

const services = createBatonServices(EmptyFileSystem);
const parse = parseHelper(services.Baton);
let counter = 0;

async function graphOf(text: string, flow?: string, position?: { line: number; character: number }) {
  const document: LangiumDocument = await parse(text, { documentUri: `file:///graph/doc${counter++}.flow` });
  return flowGraphOf(document, [document], services.Baton, flow, [], position);
}

const TWO_FLOWS = `agent Writer {
  output: { text: string }
  stub: { text: "hi" }
}
flow First {
  step write: Writer { prompt: "Write about \${input.topic}" }
}
flow Second {
  step again: Writer { prompt: "again" }
  approval sign { prompt: "Sign?" assignee: "ops" }
}
`;

describe('the baton/graph request (flowGraphOf)', () => {
  it('answers with the document’s flows and the first flow’s graph when no flow is asked for', async () => {
    const result = await graphOf(TWO_FLOWS);
    assert.deepEqual(result.flows, ['First', 'Second']);
    assert.equal(result.flow, 'First');
    assert.equal(result.error, undefined);
    assert.deepEqual(result.graph?.nodes.map((n) => [n.id, n.kind]), [['First/start', 'start'], ['First/write', 'step'], ['First/end', 'end']]);
    assert.deepEqual(result.graph?.nodes[1].tooltip, { target: 'agent Writer', prompt: '"Write about ${input.topic}"', output: '{ text: string }' });
    assert.deepEqual(result.graph?.nodes[1].range, { file: `/graph/doc${counter - 1}.flow`, start: { line: 6, column: 3 }, end: { line: 6, column: 62 } });
  });

  it('draws the flow asked for, with an approval’s prompt and assignee in its tooltip', async () => {
    const result = await graphOf(TWO_FLOWS, 'Second');
    assert.equal(result.flow, 'Second');
    assert.deepEqual(result.graph?.nodes.map((n) => n.id), ['Second/start', 'Second/again', 'Second/sign', 'Second/end']);
    assert.deepEqual(result.graph?.nodes[2].tooltip, { prompt: '"Sign?"', target: 'assignee "ops"' });
  });

  it('draws the flow at the cursor (position), over the flow asked for; says where each flow is', async () => {
    // line 8 (zero-based) is `  step again: …`, inside Second
    const inSecond = await graphOf(TWO_FLOWS, 'First', { line: 8, character: 4 });
    assert.equal(inSecond.flow, 'Second');
    assert.deepEqual(inSecond.graph?.nodes.map((n) => n.id), ['Second/start', 'Second/again', 'Second/sign', 'Second/end']);
    assert.deepEqual(inSecond.flowRanges, [
      { flow: 'First', range: { start: { line: 4, character: 0 }, end: { line: 6, character: 1 } } },
      { flow: 'Second', range: { start: { line: 7, character: 0 }, end: { line: 10, character: 1 } } },
    ]);
    // the flow keyword's line and just after the closing brace count as inside
    assert.equal((await graphOf(TWO_FLOWS, undefined, { line: 7, character: 0 })).flow, 'Second');
    assert.equal((await graphOf(TWO_FLOWS, undefined, { line: 10, character: 1 })).flow, 'Second');
    // a cursor outside every flow (in the agent): the flow asked for, else the first
    assert.equal((await graphOf(TWO_FLOWS, 'Second', { line: 1, character: 2 })).flow, 'Second');
    assert.equal((await graphOf(TWO_FLOWS, undefined, { line: 1, character: 2 })).flow, 'First');
  });

  it('falls back to the first flow when the flow asked for is not in the document', async () => {
    const result = await graphOf(TWO_FLOWS, 'Gone');
    assert.equal(result.flow, 'First');
    assert.equal(result.graph?.flow, 'First');
  });

  it('reports the first syntax error with its line and no graph, listing the flows parsed', async () => {
    const broken = TWO_FLOWS.replace('step again: Writer { prompt: "again" }', 'step again: Writer { prompt: "again" ');
    const result = await graphOf(broken, 'Second');
    assert.equal(result.graph, undefined);
    assert.match(result.error ?? '', /^line 10: /);
    assert.ok(result.flows.includes('First'), JSON.stringify(result.flows));
  });

  it('says the file declares no flow for an empty file and for a file of agents only', async () => {
    assert.deepEqual(await graphOf(''), { flows: [], flowRanges: [], error: 'the file declares no flow' });
    assert.deepEqual(await graphOf('agent Writer { stub: "x" }\n'), { flows: [], flowRanges: [], error: 'the file declares no flow' });
  });

  it('still draws a flow whose step names an unknown agent (a checker error, not a syntax error)', async () => {
    const result = await graphOf('flow Lost {\n  step a: Nobody { prompt: "x" }\n}\n');
    assert.equal(result.error, undefined);
    assert.deepEqual(result.graph?.nodes.map((n) => [n.id, n.detail ?? '']), [['Lost/start', ''], ['Lost/a', 'Nobody'], ['Lost/end', '']]);
    assert.deepEqual(result.graph?.nodes[1].tooltip, { target: 'agent Nobody', prompt: '"x"' });
  });

  it('numbers branch edges as branch.taken events do, the implicit else included', async () => {
    const result = await graphOf(`agent A { output: { n: number } stub: { n: 1 } }
flow Branches {
  step a: A { prompt: "x" }
  if a.output.n > 1 {
    step b: A { prompt: "b" }
  } else if a.output.n > 0 {
    step c: A { prompt: "c" }
  }
}
`);
    const branches = result.graph?.edges.filter((e) => e.kind === 'branch').map((e) => [e.label, e.branch, e.target]);
    assert.deepEqual(branches, [
      ['then', 0, 'Branches/b'],
      ['else if a.output.n > 0', 1, 'Branches/c'],
      ['else', 2, 'Branches/if@1/merge'],
    ]);
  });
});
