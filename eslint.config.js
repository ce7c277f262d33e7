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
    files: ['language/**/*.ts', 'packages/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only packages/extension may import vscode.' }, noStaticCluster] }] },
  },
  { files: ['packages/extension/**/*.ts', 'packages/language-server/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noStaticCluster] }] } },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Event: 'readonly' } },
  },
);
