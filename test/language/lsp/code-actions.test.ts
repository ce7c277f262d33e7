import assert from 'node:assert/strict';
import type { CodeAction } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkText, services } from '../helpers.js';

/** The quick fixes for the diagnostics with `code`, and the text after applying the first one titled `title`. */
async function fixes(text: string, code: string): Promise<{ titles: string[]; apply: (title: string) => string }> {
  const { document, diagnostics } = await checkText(text);
  const relevant = diagnostics.filter((d) => d.code === code);
  assert.ok(relevant.length > 0, `a ${code} diagnostic: ${diagnostics.map((d) => d.code).join(', ')}`);
  const actions = (await services.Baton.lsp.CodeActionProvider!.getCodeActions(document, {
    textDocument: { uri: document.uri.toString() },
    range: relevant[0].range,
    context: { diagnostics: relevant },
  })) as CodeAction[];
  return {
    titles: actions.map((a) => a.title),
    apply: (title) => {
      const action = actions.find((a) => a.title === title);
      assert.ok(action, `an action "${title}" among ${actions.map((a) => a.title).join(' | ')}`);
      const edits = action.edit!.changes![document.uri.toString()];
      return TextDocument.applyEdits(TextDocument.create('x', 'baton', 1, text), edits);
    },
  };
}

const AGENT = 'agent Intake {\n  model: "openai/gpt-4o-mini"\n  output: { severity: "LOW" | "HIGH", count: number }\n  stub: { severity: "LOW", count: 1 }\n}\n';

describe('language server: code actions', () => {
  it('"did you mean" replaces an unknown agent with the closest one, and the result checks clean', async () => {
    const text = `${AGENT}flow F {\n  step a: Intak { prompt: "x" }\n}\n`;
    const f = await fixes(text, 'unknown-agent');
    assert.deepEqual(f.titles, ['Change to `Intake`', 'Create agent `Intak` with a stub']);
    const fixed = f.apply('Change to `Intake`');
    assert.equal(fixed, `${AGENT}flow F {\n  step a: Intake { prompt: "x" }\n}\n`);
    const { diagnostics } = await checkText(fixed);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 1), []);
  });

  it('creates a missing agent with a stub built from the fields the flow reads', async () => {
    const text = `flow F {\n  output s: string\n  step triage: Triage { prompt: "x" }\n  set output.s = triage.output.team + triage.output.reason\n}\n`;
    const fixed = (await fixes(text, 'unknown-agent')).apply('Create agent `Triage` with a stub');
    assert.equal(fixed, `agent Triage {\n  instructions: "Describe what Triage does."\n  stub: { team: "team", reason: "reason" }\n}\n\n${text}`);
    const { diagnostics } = await checkText(fixed);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  });

  it('"did you mean" also fixes an unknown function', async () => {
    const fixed = (await fixes(`${AGENT}flow F {\n  let a = lowr("X")\n}\n`, 'unknown-function')).apply('Change to `lower`');
    assert.match(fixed, /let a = lower\("X"\)/);
  });

  it('adds `?? default` of the right type after a read of a possibly skipped step', async () => {
    const text = `${AGENT}flow F {\n  output n: number\n  if true {\n    step a: Intake\n  }\n  set output.n = a.output.count\n}\n`;
    const fixed = (await fixes(text, 'step-maybe-skipped')).apply('Add `?? 0` for when the step did not run');
    assert.match(fixed, /set output\.n = a\.output\.count \?\? 0\n/);
    const { diagnostics } = await checkText(fixed);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  });
});
