// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** @baton/cluster (pg, later bullmq) is loaded with import() only for a postgres:// store, never bundled into the editor or `baton run`. */
const noStaticCluster = { name: '@baton/cluster', message: 'Load @baton/cluster with a dynamic import() only where a postgres:// store is asked for.' };

/** Keeps each package inside its boundary (conventions.md, rule 5). */
const noEditorImports = {
  'no-restricted-imports': ['error', {
    paths: [{ name: 'vscode', message: 'Only packages/extension may import vscode.' }, noStaticCluster],
    patterns: [{ group: ['langium', 'langium/*'], message: 'The runtime, protocol and graph must not depend on langium.' }],
  }],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/out/**', 'language/src/generated/**', 'bench/**', '.tools/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  { files: ['packages/runtime/**/*.ts', 'packages/cluster/**/*.ts', 'packages/protocol/**/*.ts', 'packages/graph/**/*.ts', 'packages/webview/**/*.ts'], rules: noEditorImports },
  {
    // the console is browser code served to anyone who can reach baton serve: the protocol's types and rules, the graph
    // and its renderer, lit and @vscode-elements only — never the editor, the language, the engine or Node
    files: ['packages/console/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The console runs in a browser: no vscode.' }, { name: '@baton/runtime', message: 'The console runs in a browser: read the server\'s JSON API, never the engine or the store.' }, noStaticCluster],
        patterns: [
          { group: ['langium', 'langium/*'], message: 'The console must not depend on langium.' },
          { group: ['node:*'], message: 'The console runs in a browser: no Node modules.' },
          { group: ['@baton/runtime/*', '@baton/cli', '@baton/cli/*', '@baton/extension', '@baton/language-server', '@baton/language'], message: 'The console runs in a browser: protocol, graph, webview/view, lit and @vscode-elements only.' },
        ],
      }],
    },
  },
  {
    files: ['language/**/*.ts', 'packages/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only packages/extension may import vscode.' }, noStaticCluster] }] },
  },
  { files: ['packages/extension/**/*.ts', 'packages/language-server/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noStaticCluster] }] } },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Event: 'readonly' } },
  },
);
