import assert from 'node:assert/strict';
import { wasmTieringFlag } from '../../packages/cli/src/wasm-tiering.js';

describe('the CLI\'s WebAssembly tiering (issue 15)', () => {
  it('short commands compile the SQLite module with Liftoff only; serve, worker and mcp keep the optimising tier', () => {
    for (const argv of [['run', 'a.flow'], ['check', 'a.flow'], ['runs', 'list'], ['approve', 'x'], ['test', 'a.flow', '--json'], ['--version'], []]) {
      assert.equal(wasmTieringFlag(argv), '--liftoff-only', argv.join(' '));
    }
    for (const argv of [['serve', '.'], ['worker', '--queue', 'redis://x'], ['mcp'], ['--insecure', 'serve']]) {
      assert.equal(wasmTieringFlag(argv), undefined, argv.join(' '));
    }
  });
});
