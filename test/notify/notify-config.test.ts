import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveNotifications } from '../../packages/cli/src/commands/serve-notify.js';
import { DEFAULT_RETRY, secretKey } from '../../packages/runtime/src/index.js';
import { retryDelayMs } from '../../packages/runtime/src/notify/dispatcher.js';

describe('notifications: baton.config.json (serveNotifications)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-notify-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const config = (value: unknown) => writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify(value));
  const usage = (env: NodeJS.ProcessEnv, message: RegExp) =>
    assert.throws(() => serveNotifications(dir, env), (e: Error) => e.constructor.name === 'UsageError' && message.test(e.message), String(message));

  it('reads the channels with their secrets from the environment, the console URL without its trailing slash, and the retry policy', () => {
    config({
      users: { ann: { tokenEnv: 'ANN_TOKEN', roles: ['approver'], groups: ['finance'], email: 'ann@example.com' } },
      notifications: {
        consoleUrl: 'https://baton.example.com/',
        channels: {
          'ops-slack': { webhook: { urlEnv: 'SLACK_URL', format: 'slack' }, on: ['run.failed', 'sla.breached'], tenants: ['default'] },
          audit: { webhook: { url: 'https://hooks.example.com/baton', secretEnv: 'HOOK_SECRET' }, on: ['approval.waiting'] },
          approvers: { email: { smtp: { host: 'smtp.example.com', port: 587, userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASSWORD' }, from: 'baton@example.com', toAssignee: true }, on: ['approval.waiting'], flows: ['Purchase'] },
        },
        retry: { maxAttempts: 5, firstDelaySeconds: 10, maxDelaySeconds: 600 },
      },
    });
    const settings = serveNotifications(dir, { SLACK_URL: 'https://hooks.slack.com/services/T/B/X', HOOK_SECRET: 'whsec_c2VjcmV0', SMTP_USER: 'u', SMTP_PASSWORD: 'p' });
    assert.deepEqual(settings, {
      consoleUrl: 'https://baton.example.com',
      channels: [
        { name: 'ops-slack', on: ['run.failed', 'sla.breached'], tenants: ['default'], webhook: { url: 'https://hooks.slack.com/services/T/B/X', format: 'slack' } },
        { name: 'audit', on: ['approval.waiting'], webhook: { url: 'https://hooks.example.com/baton', format: 'baton', secret: Buffer.from('secret') } },
        { name: 'approvers', on: ['approval.waiting'], flows: ['Purchase'], email: { smtp: { host: 'smtp.example.com', port: 587, secure: false, user: 'u', password: 'p' }, from: 'baton@example.com', to: [], toAssignee: true } },
      ],
      retry: { maxAttempts: 5, firstDelayMs: 10_000, maxDelayMs: 600_000 },
    });
    assert.deepEqual(secretKey('plain text'), Buffer.from('plain text'), 'a secret without whsec_ is its UTF-8 bytes');
    config({ notifications: { channels: { a: { webhook: { url: 'http://127.0.0.1:9/x' }, on: ['run.failed'] } } } });
    assert.deepEqual(serveNotifications(dir, {})?.retry, DEFAULT_RETRY);
    config({});
    assert.equal(serveNotifications(dir, {}), undefined, 'no notifications: none');
  });

  it('refuses (usage error, naming the file and the field) an unset variable, a channel with neither or both kinds, a bad URL, a half-given login, an unknown event', () => {
    config({ notifications: { channels: { ops: { webhook: { urlEnv: 'SLACK_URL' }, on: ['run.failed'] } } } });
    usage({}, /baton\.config\.json: notifications\.channels\.ops\.webhook\.urlEnv names SLACK_URL, which is not set$/);
    usage({ SLACK_URL: 'hooks.slack.com/x' }, /notifications\.channels\.ops\.webhook\.urlEnv: SLACK_URL must hold an http:\/\/ or https:\/\/ URL$/);
    config({ notifications: { channels: { ops: { webhook: { url: 'https://x.example.com', secretEnv: 'HOOK_SECRET' }, on: ['run.failed'] } } } });
    usage({}, /notifications\.channels\.ops\.webhook\.secretEnv names HOOK_SECRET, which is not set$/);
    config({ notifications: { channels: { ops: { on: ['run.failed'] } } } });
    usage({}, /notifications\.channels\.ops needs one of "webhook" and "email"$/);
    config({ notifications: { channels: { ops: { webhook: { url: 'https://x.example.com', urlEnv: 'U' }, on: ['run.failed'] } } } });
    usage({ U: 'https://y.example.com' }, /notifications\.channels\.ops\.webhook needs one of "url" and "urlEnv"$/);
    config({ notifications: { channels: { mail: { email: { smtp: { host: 'h', port: 25, userEnv: 'SMTP_USER' }, from: 'b@example.com', to: ['a@example.com'] }, on: ['run.failed'] } } } });
    usage({ SMTP_USER: 'u' }, /notifications\.channels\.mail\.email\.smtp needs both "userEnv" and "passwordEnv", or neither$/);
    config({ notifications: { channels: { mail: { email: { smtp: { host: 'h', port: 25, userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASSWORD' }, from: 'b@example.com', to: ['a@example.com'] }, on: ['run.failed'] } } } });
    usage({ SMTP_USER: 'u' }, /notifications\.channels\.mail\.email\.smtp\.passwordEnv names SMTP_PASSWORD, which is not set$/);
    config({ notifications: { channels: { mail: { email: { smtp: { host: 'h', port: 25 }, from: 'b@example.com' }, on: ['run.failed'] } } } });
    usage({}, /notifications\.channels\.mail\.email sends to nobody/);
    config({ notifications: { channels: { ops: { webhook: { url: 'https://x.example.com' }, on: ['run.finished'] } } } });
    usage({}, /notifications\.channels\.ops\.on\.0 must be one of "approval\.waiting", "run\.failed", "sla\.breached"$/);
    config({ notifications: { channels: { ops: { webhook: { url: 'https://x.example.com', secret: 'inline' }, on: ['run.failed'] } } } });
    usage({}, /notifications\.channels\.ops\.webhook has an unknown field "secret"$/);
    config({ notifications: { channels: { a: { webhook: { url: 'http://x.example.com' }, on: ['run.failed'] } }, retry: { firstDelaySeconds: 60, maxDelaySeconds: 30 } } });
    usage({}, /notifications\.retry\.maxDelaySeconds must not be below firstDelaySeconds$/);
  });

  it('the retry delay doubles from the first up to the most, with ±20 % jitter', () => {
    const policy = { maxAttempts: 8, firstDelayMs: 30_000, maxDelayMs: 3_600_000 };
    assert.deepEqual([1, 2, 3, 4, 8, 20].map((n) => retryDelayMs(policy, n, () => 0.5)), [30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
    assert.equal(retryDelayMs(policy, 1, () => 0), 24_000);
    assert.equal(retryDelayMs(policy, 1, () => 0.999999), 36_000);
  });
});
