import assert from 'node:assert/strict';
import { approveArgs, childEnv, needsApiKey, resolveStorePath, runArgs, type RunSettings } from '../../packages/extension/src/run-env.js';

const stub: RunSettings = { agentsMode: 'stub', storePath: '.baton/runs.db', baseUrls: {} };

describe('run environment (settings and secrets → the CLI child)', () => {
  it('puts the store under the workspace folder unless the setting is absolute', () => {
    assert.equal(resolveStorePath(undefined, '/w'), '/w/.baton/runs.db');
    assert.equal(resolveStorePath('', '/w'), '/w/.baton/runs.db');
    assert.equal(resolveStorePath('data/runs.db', '/w'), '/w/data/runs.db');
    assert.equal(resolveStorePath('/var/baton.db', '/w'), '/var/baton.db');
  });

  it('passes keys and base URLs only through the environment, runs Electron as Node and drops colour', () => {
    const env = childEnv({ PATH: '/bin', FORCE_COLOR: '1', BATON_STORE: '/elsewhere.db', ANTHROPIC_API_KEY: 'from-shell' }, { ...stub, agentsMode: 'real', baseUrls: { openaiCompatible: ' http://localhost:11434/v1 ', openai: '' } }, { openai: 'sk-secret' });
    assert.deepEqual(env, {
      PATH: '/bin',
      ELECTRON_RUN_AS_NODE: '1',
      NO_COLOR: '1',
      OPENAI_API_KEY: 'sk-secret',
      ANTHROPIC_API_KEY: 'from-shell',
      OPENAI_COMPATIBLE_BASE_URL: 'http://localhost:11434/v1',
    });
  });

  it('recognises the CLI saying a run needs an API key (the editor then offers "Set API Key")', () => {
    assert.equal(needsApiKey('agent Writer (openai/gpt-4o-mini) needs an API key: set the environment variable OPENAI_API_KEY (in VS Code: "Baton: Set API Key")'), true);
    assert.equal(needsApiKey('baton.config.json: providers.openai has an unknown field "baseURL"'), false);
  });

  it('builds the CLI arguments: --json, the store, the agents mode, no secrets', () => {
    assert.deepEqual(runArgs({ file: '/w/a.flow', flow: 'Onboard', inputsFile: '/tmp/i.json' }, stub, '/w/.baton/runs.db'), ['run', '/w/a.flow', '--flow', 'Onboard', '--inputs', '/tmp/i.json', '--agents', 'stub', '--json', '--store', '/w/.baton/runs.db']);
    assert.deepEqual(approveArgs('01ABC', 'sign_off', false, 'ann', '/s.db'), ['approve', '01ABC', 'sign_off', '--reject', '--by', 'ann', '--json', '--store', '/s.db']);
    assert.deepEqual(approveArgs('01ABC', 'sign_off', true, 'ann', '/s.db'), ['approve', '01ABC', 'sign_off', '--by', 'ann', '--json', '--store', '/s.db']);
  });
});
