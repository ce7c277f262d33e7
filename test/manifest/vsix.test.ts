import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VSCE = path.join(ROOT, 'node_modules', '.bin', 'vsce');

describe('the .vsix (npm run package)', () => {
  it('holds only the bundles, the grammar and snippets, the config schema, the manifest, the walkthrough pages and the docs — no sources, tests or dependencies', () => {
    const r = spawnSync(VSCE, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const listed = r.stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean).sort();
    // the cluster bundle's shared chunks have content-hashed names: the PostgreSQL store for a postgres:// store setting
    const chunks = listed.filter((f) => /^out\/chunks\/[\w-]+\.mjs$/.test(f));
    assert.ok(chunks.length > 0, 'the cluster bundle\'s chunks are in');
    // the CLI's chunks (what its dynamic imports load) beside out/cli.mjs, content-hashed too
    const cliChunks = listed.filter((f) => /^out\/cli-chunk-[\w-]+\.mjs$/.test(f));
    assert.ok(cliChunks.length > 0, 'the CLI\'s chunks are in');
    const files = listed.filter((f) => !chunks.includes(f) && !cliChunks.includes(f));
    assert.deepEqual(files, [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'docs/images/baton-activity.svg',
      'docs/images/vscode-runs-view.png',
      'docs/images/vscode-test-explorer.png',
      'out/cli.mjs',
      'out/cluster.mjs',
      'out/extension.cjs',
      'out/graph-layout.cjs',
      'out/language-server.cjs',
      'out/mcp-client.mjs',
      'out/node-sqlite3-wasm.wasm',
      'out/serve-executor.mjs',
      'out/webview/elk.js',
      'out/webview/graph-panel.css',
      'out/webview/graph-panel.js',
      'package.json',
      'packages/extension/media/walkthrough/api-key.md',
      'packages/extension/media/walkthrough/create-flow.md',
      'packages/extension/media/walkthrough/run-flow.md',
      'packages/extension/media/walkthrough/run-tests.md',
      'schemas/baton.config.schema.json',
      'syntaxes/baton.code-snippets',
      'syntaxes/baton.language-configuration.json',
      'syntaxes/baton.tmLanguage.json',
    ]);
  });

  // 4 MB: the bundles (2.4 MB); since the editor takes a postgres:// store, the cluster bundle (node-postgres,
  // BullMQ and ioredis, ~1 MB zipped) the CLI loads only for such a store; since agents call MCP tools (issue 14),
  // the MCP client (the SDK's Client, ~0.1 MB zipped) the CLI loads only at a step's first MCP tool — 3.78 MB then
  it('packages to at most 4 MB', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-vsix-'));
    try {
      const out = path.join(dir, 'baton.vsix');
      const r = spawnSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.ok(statSync(out).size <= 4 * 1024 * 1024, `${statSync(out).size} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
