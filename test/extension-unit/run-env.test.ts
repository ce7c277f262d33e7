import assert from 'node:assert/strict';
import { approveArgs, childEnv, needsApiKey, resolveStorePath, runArgs, storePasswordInSetting, storePasswordKey, storeSettingWarning, type RunSettings } from '../../packages/extension/src/run-env.js';

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

  it('a postgres:// store setting is passed on as a URL, without the password written in it', () => {
    assert.equal(resolveStorePath('postgres://team@db.internal:5432/baton', '/w'), 'postgres://team@db.internal:5432/baton');
    assert.equal(resolveStorePath(' postgresql://team:s3cret@db.internal/baton?sslmode=require ', '/w'), 'postgresql://team@db.internal/baton?sslmode=require');
    assert.equal(resolveStorePath('postgres://team@db/baton?password=s3cret&sslmode=require', '/w'), 'postgres://team@db/baton?sslmode=require');
    assert.equal(storePasswordInSetting('postgres://team:s%2Fcret@db/baton'), 's/cret');
    assert.equal(storePasswordInSetting('postgres://team@db/baton'), undefined);
    assert.equal(storePasswordInSetting('/var/runs.db'), undefined);
  });

  it('warns about a password in the store setting, naming the command that keeps it secret and not the password', () => {
    const warning = storeSettingWarning('postgres://team:s3cret@db.internal:5432/baton');
    assert.ok(warning);
    assert.match(warning, /contains a password/);
    assert.match(warning, /"Baton: Set Store Password"/);
    assert.ok(!warning.includes('s3cret'), warning);
    assert.equal(storeSettingWarning('postgres://team@db.internal:5432/baton'), undefined);
    assert.equal(storeSettingWarning('.baton/runs.db'), undefined);
    assert.equal(storeSettingWarning(undefined), undefined);
  });

  it("the store's password reaches the child only as PGPASSWORD: SecretStorage's, or the one written in the setting; a password is kept per user, host, port and database", () => {
    const url: RunSettings = { ...stub, storePath: 'postgres://team@db.internal:5432/baton' };
    assert.equal(childEnv({ PATH: '/bin' }, url, {}, 'from-secrets').PGPASSWORD, 'from-secrets');
    assert.equal(childEnv({ PATH: '/bin' }, { ...url, storePath: 'postgres://team:in-setting@db.internal:5432/baton' }, {}, 'from-secrets').PGPASSWORD, 'in-setting');
    assert.equal(childEnv({ PATH: '/bin' }, stub, {}).PGPASSWORD, undefined);
    assert.equal(childEnv({ PATH: '/bin', PGPASSWORD: 'shell' }, url, {}).PGPASSWORD, 'shell', "the host's own PGPASSWORD stays when none is stored");
    assert.equal(storePasswordKey('postgres://team@db.internal:5432/baton'), 'baton.storePassword.team@db.internal:5432/baton');
    assert.equal(storePasswordKey('postgres://team@db.internal/baton'), storePasswordKey('postgres://team@db.internal:5432/baton'));
    assert.notEqual(storePasswordKey('postgres://team@other.internal:5432/baton'), storePasswordKey('postgres://team@db.internal:5432/baton'));
    assert.notEqual(storePasswordKey('postgres://team@db.internal:5432/other'), storePasswordKey('postgres://team@db.internal:5432/baton'));
    assert.equal(storePasswordKey('/w/.baton/runs.db'), undefined);
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
