import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  activationEvents: string[];
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    commands: { command: string }[];
  };
};

describe('the extension manifest (root package.json)', () => {
  it('targets VS Code 1.100 (code-server 4.100 on Node 20) with matching API types', () => {
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.match(manifest.devDependencies['@types/vscode'], /^~1\.100\./);
  });

  it('points main at the built extension bundle, and the server it starts is built beside it', () => {
    assert.equal(manifest.main, './out/extension.cjs');
    assert.ok(existsSync(path.join(ROOT, 'out', 'extension.cjs')), 'npm run build writes out/extension.cjs');
    assert.ok(existsSync(path.join(ROOT, 'out', 'language-server.cjs')));
    assert.ok(existsSync(path.join(ROOT, 'out', 'cli.mjs')), 'Run Flow runs the CLI bundle');
  });

  it('contributes the baton language for .flow files with its grammar and language configuration', () => {
    const [language] = manifest.contributes.languages;
    assert.deepEqual([language.id, language.extensions], ['baton', ['.flow']]);
    const configuration = JSON.parse(readFileSync(path.join(ROOT, language.configuration), 'utf8')) as { comments: { lineComment: string } };
    assert.equal(configuration.comments.lineComment, '//');
    const [grammar] = manifest.contributes.grammars;
    const tm = JSON.parse(readFileSync(path.join(ROOT, grammar.path), 'utf8')) as { scopeName: string };
    assert.equal(grammar.language, 'baton');
    assert.equal(tm.scopeName, grammar.scopeName);
    assert.ok(manifest.activationEvents.includes('workspaceContains:**/*.flow'));
  });

  it('every contributed command is registered by the extension', () => {
    const sources = readdirSync(path.join(ROOT, 'packages', 'extension', 'src')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(ROOT, 'packages', 'extension', 'src', f), 'utf8')).join('\n');
    for (const { command } of manifest.contributes.commands) assert.match(sources, new RegExp(`registerCommand\\('${command.replace('.', '\\.')}'`), command);
  });
});

describe('the manifest\'s run contributions', () => {
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes: {
      viewsContainers: { activitybar: { id: string; icon: string }[] };
      views: Record<string, { id: string; name: string }[]>;
      configuration: { properties: Record<string, { default: unknown; enum?: string[] }> };
      menus: Record<string, { command: string; when?: string; group?: string }[]>;
    };
  };

  it('puts the Runs view in a Baton container of the activity bar, with an icon that is packaged', () => {
    const [container] = raw.contributes.viewsContainers.activitybar;
    assert.equal(container.id, 'baton');
    assert.ok(existsSync(path.join(ROOT, container.icon)), container.icon);
    assert.match(readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), new RegExp(`^!${container.icon.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.deepEqual(raw.contributes.views.baton.map((v) => [v.id, v.name]), [['baton.runs', 'Runs']]);
  });

  it('has settings for the agents mode, the store and provider base URLs — and none for API keys', () => {
    const props = raw.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), ['baton.agents.mode', 'baton.providers.anthropic.baseUrl', 'baton.providers.openai.baseUrl', 'baton.providers.openaiCompatible.baseUrl', 'baton.store.path']);
    assert.deepEqual([props['baton.agents.mode'].default, props['baton.agents.mode'].enum], ['stub', ['stub', 'real']]);
    assert.equal(props['baton.store.path'].default, '.baton/runs.db');
  });

  it('offers cancel on running, waiting and interrupted runs, redrive on failed ones, approve / reject inline on a waiting approval, and the graph of an accepted written flow', () => {
    const inline = raw.contributes.menus['view/item/context'].filter((m) => m.group?.startsWith('inline'));
    assert.deepEqual(inline.map((m) => m.command), ['baton.runs.cancel', 'baton.runs.redrive', 'baton.runs.approve', 'baton.runs.reject', 'baton.runs.showWrittenFlow']);
    assert.match(inline[0].when!, /running\|waiting\|interrupted/);
    assert.match(inline[1].when!, /baton\\\.run\\\.failed/);
    assert.match(inline[2].when!, /viewItem == baton\.entry\.approval\.waiting/);
    assert.match(inline[4].when!, /viewItem == baton\.entry\.flow\.accepted/);
  });
});
