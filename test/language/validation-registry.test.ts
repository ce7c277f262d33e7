import assert from 'node:assert/strict';
import { EmptyFileSystem, URI, type ValidationAcceptor, type ValidationChecks } from 'langium';
import type { BatonAstType } from '../../language/src/generated/ast.js';
import { createBatonServices } from '@baton/language';

/** A file checked with one extra check on agents, as Langium registers checks. */
async function checkWith(check: (node: unknown, accept: ValidationAcceptor) => void | Promise<void>): Promise<string[]> {
  const own = createBatonServices(EmptyFileSystem);
  own.Baton.validation.ValidationRegistry.register<BatonAstType>({ AgentDecl: check } as ValidationChecks<BatonAstType>);
  const document = own.shared.workspace.LangiumDocumentFactory.fromString('agent A { stub: "a" }\nflow F {\n  step a: A\n}\n', URI.parse('file:///registry/main.flow'));
  own.shared.workspace.LangiumDocuments.addDocument(document);
  const errors = console.error;
  console.error = () => {}; // Langium logs a failing check's error and stack
  try {
    await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
  } finally {
    console.error = errors;
  }
  return (document.diagnostics ?? []).map((d) => `${d.severity}:${d.range.start.line}:${d.message}`);
}

describe('validation registry (checks without promises)', () => {
  it('reports a check that throws as Langium does, on the node it was checking', async () => {
    assert.deepEqual(await checkWith(() => {
      throw new Error('boom');
    }), ['1:0:An error occurred during validation: boom']);
  });

  it('awaits a check that returns a promise, and reports its rejection the same way', async () => {
    assert.deepEqual(await checkWith(async (_node, accept) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      accept('warning', 'late', { node: _node as never });
      throw new Error('late boom');
    }), ['2:0:late', '1:0:An error occurred during validation: late boom']);
  });

  it('runs the checks a check registers after the first lookup', async () => {
    const own = createBatonServices(EmptyFileSystem);
    const registry = own.Baton.validation.ValidationRegistry;
    const before = registry.getChecks('AgentDecl').count();
    registry.register<BatonAstType>({ AgentDecl: () => undefined });
    assert.equal(registry.getChecks('AgentDecl').count(), before + 1);
  });
});
