import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_TENANT_CONCURRENCY, emptyConfig, loadConfig, tenantOfFile, tenantsOf, type BatonError } from '../../packages/runtime/src/index.js';

describe('runtime: tenants of baton.config.json', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-tenants-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (content: unknown): string => {
    const file = path.join(dir, 'baton.config.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('without tenants, there is one: default, whose token and secret are BATON_API_TOKEN and BATON_WEBHOOK_SECRET', () => {
    assert.deepEqual(tenantsOf(emptyConfig(), { BATON_API_TOKEN: 'tok', BATON_WEBHOOK_SECRET: 'sec' }), [
      { id: 'default', concurrency: DEFAULT_TENANT_CONCURRENCY, apiTokenEnv: 'BATON_API_TOKEN', webhookSecretEnv: 'BATON_WEBHOOK_SECRET', apiToken: 'tok', webhookSecret: 'sec' },
    ]);
    assert.deepEqual(tenantsOf(emptyConfig(), { BATON_API_TOKEN: '' }), [{ id: 'default', concurrency: 8, apiTokenEnv: 'BATON_API_TOKEN', webhookSecretEnv: 'BATON_WEBHOOK_SECRET' }], 'an empty variable is unset');
  });

  it('reads each tenant: secrets from the variables it names (never from the file), its concurrency and rate limit; default first', () => {
    const config = loadConfig(
      write({
        tenants: {
          acme: { apiTokenEnv: 'ACME_API_TOKEN', webhookSecretEnv: 'ACME_WEBHOOK_SECRET', concurrency: 4, rateLimit: { max: 10, perMs: 1000 } },
          globex: { webhookSecretEnv: 'GLOBEX_SECRET' },
          default: { concurrency: 2 },
        },
      }),
    );
    const env = { ACME_API_TOKEN: 'acme-token', ACME_WEBHOOK_SECRET: 'acme-secret', BATON_API_TOKEN: 'default-token' };
    assert.deepEqual(tenantsOf(config, env), [
      { id: 'default', concurrency: 2, apiTokenEnv: 'BATON_API_TOKEN', webhookSecretEnv: 'BATON_WEBHOOK_SECRET', apiToken: 'default-token' },
      { id: 'acme', concurrency: 4, rateLimit: { max: 10, perMs: 1000 }, apiTokenEnv: 'ACME_API_TOKEN', webhookSecretEnv: 'ACME_WEBHOOK_SECRET', apiToken: 'acme-token', webhookSecret: 'acme-secret' },
      { id: 'globex', concurrency: 8, webhookSecretEnv: 'GLOBEX_SECRET' },
    ]);
  });

  it('flows: a tenant\'s files and folders, relative to the config\'s folder; a file belongs to the tenant naming it or a folder holding it, else to default', () => {
    const config = loadConfig(write({ tenants: { acme: { flows: ['billing', 'ops/nightly.flow'] }, globex: { flows: ['globex/'] } } }));
    const tenants = tenantsOf(config, {});
    assert.deepEqual(tenants.find((t) => t.id === 'acme')!.flows, [path.join(dir, 'billing'), path.join(dir, 'ops', 'nightly.flow')]);
    const of = (file: string) => tenantOfFile(tenants, path.join(dir, file));
    assert.equal(of('billing/invoices.flow'), 'acme');
    assert.equal(of('billing/eu/vat.flow'), 'acme', 'any depth under the folder');
    assert.equal(of('ops/nightly.flow'), 'acme');
    assert.equal(of('ops/weekly.flow'), 'default', 'a file named is not its folder');
    assert.equal(of('billing2/x.flow'), 'default', 'a folder is not a name prefix');
    assert.equal(of('globex/a.flow'), 'globex');
    assert.equal(of('root.flow'), 'default');
    assert.equal(tenantsOf(emptyConfig(), {})[0].flows, undefined);
  });

  const bad: [string, unknown, RegExp][] = [
    ['an absolute flows path', { tenants: { acme: { flows: ['/srv/flows'] } } }, /baton\.config\.json: tenants\.acme\.flows\.0 must be a \.flow file or a folder relative to the folder of baton\.config\.json \(not absolute, no "\.\.", no glob characters\)$/],
    ['a flows path going up', { tenants: { acme: { flows: ['billing', '../elsewhere'] } } }, /tenants\.acme\.flows\.1 must be a \.flow file or a folder relative to the folder of baton\.config\.json/],
    ['a flows glob', { tenants: { acme: { flows: ['billing/*.flow'] } } }, /tenants\.acme\.flows\.0 must be a \.flow file or a folder relative/],
    ['an empty flows list', { tenants: { acme: { flows: [] } } }, /tenants\.acme\.flows must NOT have fewer than 1 items/],
    ['two tenants naming one folder', { tenants: { acme: { flows: ['billing'] }, globex: { flows: ['./billing/'] } } }, /baton\.config\.json: tenants\.globex\.flows "\.\/billing\/" is also tenants\.acme\.flows "billing": a flow file belongs to one tenant$/],
    ['a tenant\'s file inside another\'s folder', { tenants: { acme: { flows: ['billing'] }, globex: { flows: ['billing/eu/vat.flow'] } } }, /tenants\.globex\.flows "billing\/eu\/vat\.flow" is inside tenants\.acme\.flows "billing": a flow file belongs to one tenant$/],
    ['a secret written in the file', { tenants: { acme: { webhookSecret: 'whsec' } } }, /tenants\.acme has an unknown field "webhookSecret"/],
    ['a tenant id with upper case or a colon', { tenants: { 'Acme:1': {} } }, /baton\.config\.json: tenants: "Acme:1" is not a tenant id \(lower-case letters, digits, - and _, at most 63\)$/],
    ['a variable name that is not one', { tenants: { acme: { apiTokenEnv: 'ACME-TOKEN' } } }, /tenants\.acme\.apiTokenEnv must name an environment variable/],
    ['a concurrency of 0', { tenants: { acme: { concurrency: 0 } } }, /tenants\.acme\.concurrency must be >= 1/],
    ['a rate limit without its window', { tenants: { acme: { rateLimit: { max: 5 } } } }, /tenants\.acme\.rateLimit needs "perMs"/],
  ];
  for (const [what, content, message] of bad) {
    it(`refuses ${what} (CONFIG_INVALID, naming the field)`, () => {
      assert.throws(() => loadConfig(write(content)), (e: BatonError) => e.code === 'CONFIG_INVALID' && message.test(e.message), String(message));
    });
  }
});
