import assert from 'node:assert/strict';
import { PanelHarness } from './webview-harness.js';

describe('the graph-panel page harness', () => {
  it('without Chromium, fails with one line naming npm run deps:system (no browser launched)', async () => {
    const saved = process.env.BATON_CHROMIUM;
    process.env.BATON_CHROMIUM = '/nonexistent/chromium';
    const harness = new PanelHarness();
    try {
      await assert.rejects(harness.start(), (error: Error) => {
        assert.equal(error.message, 'Chromium is not installed (/nonexistent/chromium, from BATON_CHROMIUM): run npm run deps:system, which installs the system packages the suites need');
        assert.equal(error.stack, `Error: ${error.message}`, 'no stack');
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.BATON_CHROMIUM;
      else process.env.BATON_CHROMIUM = saved;
      await harness.stop();
    }
  });
});
