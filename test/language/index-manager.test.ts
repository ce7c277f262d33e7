import assert from 'node:assert/strict';
import { AstUtils, DocumentState, EmptyFileSystem, TextDocument, URI, type LangiumDocument } from 'langium';
import { createBatonServices, type BatonReferenceDescriptionProvider, type BatonServices } from '@baton/language';
import * as ast from '../../language/src/generated/ast.js';

const AGENTS = 'agent Intake { stub: "ok" }\nagent Notifier { stub: "sent" }\n';
const FLOW = 'import "./agents.flow"\nflow F {\n  step a: Intake\n  step b: Notifier { prompt: "${a.output}" }\n  step c: Intake { prompt: "${a.output} ${b.output}" }\n}\n';

async function workspace(): Promise<{ own: ReturnType<typeof createBatonServices>; agents: LangiumDocument; flow: LangiumDocument }> {
  const own = createBatonServices(EmptyFileSystem);
  const factory = own.shared.workspace.LangiumDocumentFactory;
  const agents = factory.fromString(AGENTS, URI.parse('file:///ws/agents.flow'));
  const flow = factory.fromString(FLOW, URI.parse('file:///ws/main.flow'));
  own.shared.workspace.LangiumDocuments.addDocument(agents);
  own.shared.workspace.LangiumDocuments.addDocument(flow);
  await own.shared.workspace.DocumentBuilder.build([agents, flow], { validation: true });
  return { own, agents, flow };
}

/** The references to `node`, as `<file>:<line>:<character>` of each reference. */
function referencesTo(Baton: BatonServices, node: ast.AgentDecl | ast.Step): string[] {
  const index = Baton.shared.workspace.IndexManager;
  return index
    .findAllReferences(node, Baton.workspace.AstNodeLocator.getAstNodePath(node))
    .map((r) => `${r.sourceUri.path.split('/').pop()}:${r.segment.range.start.line}:${r.segment.range.start.character}`)
    .toArray()
    .sort();
}

describe('the cross-reference index (built when first read)', () => {
  it('finds the same references as the descriptions Langium builds eagerly, across files', async () => {
    const { own, agents, flow } = await workspace();
    const intake = (agents.parseResult.value as ast.Document).elements.find(ast.isAgentDecl)!;
    const a = AstUtils.streamAst(flow.parseResult.value).filter(ast.isStep).head()!;
    assert.deepEqual(referencesTo(own.Baton, intake), ['main.flow:2:10', 'main.flow:4:10']);
    assert.deepEqual(referencesTo(own.Baton, a), ['main.flow:3:32', 'main.flow:4:30']);
    const provider = own.Baton.workspace.ReferenceDescriptionProvider as BatonReferenceDescriptionProvider;
    assert.deepEqual(provider.createDescriptionsNow(flow), await provider.createDescriptions(flow));
  });

  it('re-links a file when a file it imports changes (the index tells which files are affected)', async () => {
    const { own, agents, flow } = await workspace();
    const builder = own.shared.workspace.DocumentBuilder;
    // rename Intake: the importing file must be re-linked (isAffected reads the index) and report it
    own.shared.workspace.TextDocuments!.set(TextDocument.create(agents.uri.toString(), 'baton', 2, AGENTS.replace('Intake', 'Intake2')));
    await builder.update([agents.uri], []);
    const renamed = own.shared.workspace.LangiumDocuments.getDocument(agents.uri)!;
    assert.equal(flow.state, DocumentState.Validated);
    assert.deepEqual(
      (flow.diagnostics ?? []).filter((d) => d.severity === 1).map((d) => [d.code, d.range.start.line]),
      [['unknown-agent', 2], ['unknown-agent', 4]],
    );
    const intake2 = (renamed.parseResult.value as ast.Document).elements.find(ast.isAgentDecl)!;
    assert.deepEqual(referencesTo(own.Baton, intake2), []);
  });
});
