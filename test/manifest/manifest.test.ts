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
    const folder = path.join(ROOT, 'packages', 'extension', 'src');
    const sources = readdirSync(folder).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(folder, f), 'utf8')).join('\n');
    for (const { command } of manifest.contributes.commands) assert.match(sources, new RegExp(`registerCommand\\('${command.replace('.', '\\.')}'`), command);
  });
});
