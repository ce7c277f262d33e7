import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../language/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    snippets: { language: string; path: string }[];
    walkthroughs: { id: string; title: string; steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
  };
};

/**
 * Expands a VS Code snippet body as accepting every default does: `${n:default}` (nested too) becomes its
 * default, `$n`, `${n}` and `$0` become nothing, `\$` and `\}` are a literal `$` and `}`.
 */
export function expandWithDefaults(body: string): string {
  let text = body.replace(/\\\$/g, '\u0001').replace(/\\\}/g, '\u0002');
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\$\{\d+:([^$}]*)\}/g, '$1');
  }
  text = text.replace(/\$\{\d+\}|\$\d+/g, '');
  assert.doesNotMatch(text, /\$\{/, `every placeholder is expanded: ${text}`);
  return text.split('\u0001').join('$').split('\u0002').join('}');
}

const snippetsFile = manifest.contributes.snippets.find((s) => s.language === 'baton')!;
const snippets = JSON.parse(readFileSync(path.join(ROOT, snippetsFile.path), 'utf8')) as Record<string, { prefix: string; body: string[]; description: string }>;
const body = (name: string): string => expandWithDefaults(snippets[name].body.join('\n'));

describe('snippets (contributes.snippets)', () => {
  it('offers agent, flow, step, test, approval, parallel, foreach and if, each with a description', () => {
    assert.deepEqual(Object.values(snippets).map((s) => s.prefix).sort(), ['agent', 'approval', 'flow', 'foreach', 'if', 'parallel', 'step', 'test']);
    for (const s of Object.values(snippets)) assert.ok(s.description.length > 10, s.prefix);
  });

  it('expands a nested placeholder and an escaped ${…} as VS Code does', () => {
    assert.equal(expandWithDefaults('a ${1:b ${2:c}} $0 \\${x\\} ${3}'), 'a b c  ${x} ');
  });

  // Each snippet expanded with its defaults, where it belongs in a small file, passes the checker.
  const agent = () => body('agent');
  const inFlow = (statement: string) => `${agent()}\nflow Main {\n  input request: string\n  ${statement}\n}\n`;
  const cases: [string, () => string][] = [
    ['agent', () => `${agent()}\nflow Main { step a: Assistant { prompt: "hi" } }\n`],
    ['flow', () => body('flow')],
    ['step', () => inFlow(body('step'))],
    ['test', () => `${agent()}\n${body('flow')}\n${body('test')}`],
    ['approval', () => inFlow(body('approval'))],
    ['parallel', () => inFlow(body('parallel'))],
    ['foreach', () => inFlow(body('foreach'))],
    ['if', () => inFlow(body('if'))],
  ];
  for (const [name, file] of cases) {
    it(`the ${name} snippet parses and passes the checker when expanded with its defaults`, async () => {
      const { errors } = await check(file());
      assert.deepEqual(errors, [], file());
    });
  }

  it('the step snippet’s prompt is a template reading the flow’s input', () => {
    assert.match(body('step'), /prompt: "Answer: \$\{input\.request\}"/);
  });
});

describe('the "Get started with Baton" walkthrough (contributes.walkthroughs)', () => {
  const [walkthrough] = manifest.contributes.walkthroughs;

  it('has four steps: create a flow, run it, run its tests, set an API key — each with a command link and its markdown', () => {
    assert.equal(walkthrough.title, 'Get started with Baton');
    assert.deepEqual(
      walkthrough.steps.map((s) => [s.id, s.description.match(/\(command:([\w.]+)\)/)?.[1]]),
      [
        ['createFlow', 'baton.walkthrough.createFlow'],
        ['runFlow', 'baton.flow.run'],
        ['runTests', 'testing.runAll'],
        ['setApiKey', 'baton.setApiKey'],
      ],
    );
    for (const step of walkthrough.steps) {
      assert.ok(step.media.markdown && existsSync(path.join(ROOT, step.media.markdown)), `${step.id}: ${step.media.markdown}`);
      assert.ok(step.completionEvents?.some((e) => step.description.includes(`command:${e.replace('onCommand:', '')}`)), `${step.id} completes when its link is used`);
    }
  });

  it('links only commands the extension contributes (or VS Code’s own testing.* commands)', () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const links = walkthrough.steps.flatMap((s) => [...s.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]));
    assert.deepEqual(links.filter((c) => !c.startsWith('testing.') && !contributed.has(c)), []);
  });
});
