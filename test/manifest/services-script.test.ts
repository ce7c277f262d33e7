/**
 * scripts/services.mjs, which runs a command (the mocha suites, in `npm test`) beside a private PostgreSQL and Redis:
 * what the command is given, its exit code passed through, and both servers stopped and the temp folder removed
 * however the command ends — by itself, on SIGTERM, on Ctrl-C (SIGINT to the whole process group), and by the kernel
 * when the script itself is SIGKILLed. Real servers; each case starts its own pair (~2 s).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'services.mjs');

/**
 * The command run under the script: connects to both servers, prints one JSON line (the URLs, whether PGPASSWORD is
 * set, PostgreSQL's data folder, the postmaster's and redis-server's pids, its own pid), then exits with argv[1] or,
 * given "wait", waits to be stopped.
 */
const PROBE = `
import pg from 'pg';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
const client = new pg.Client({ connectionString: process.env.BATON_TEST_PG_URL });
await client.connect();
const { rows } = await client.query('SHOW data_directory');
await client.end();
const redis = new Redis(process.env.BATON_TEST_REDIS_URL);
const info = await redis.info('server');
redis.disconnect();
console.log(JSON.stringify({
  pgUrl: process.env.BATON_TEST_PG_URL, redisUrl: process.env.BATON_TEST_REDIS_URL, password: Boolean(process.env.PGPASSWORD),
  dataDir: rows[0].data_directory, pgPid: Number(readFileSync(rows[0].data_directory + '/postmaster.pid', 'utf8').split('\\n')[0]),
  redisPid: Number(/process_id:(\\d+)/.exec(info)[1]), pid: process.pid,
}));
if (process.argv[1] === 'wait') setInterval(() => {}, 1000); else process.exit(Number(process.argv[1]));
`;

interface Probe { pgUrl: string; redisUrl: string; password: boolean; dataDir: string; pgPid: number; redisPid: number; pid: number }

/** True while `pid` is a live process (a zombie, dead but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves once none of `pids` is alive; rejects after `ms`. */
async function gone(pids: number[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`still running: ${pids.filter(alive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the script around the probe (in a process group of its own, as a shell would) and waits for its JSON line. */
async function startProbe(arg: string): Promise<{ child: ChildProcess; probe: Probe; exit: Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [SCRIPT, '--', process.execPath, '--input-type=module', '-e', PROBE, arg], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  const probe = await new Promise<Probe>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]) as Probe);
    });
    void exit.then(({ code }) => reject(new Error(`services.mjs exited ${code} before the probe answered: ${stderr}`)));
  });
  return { child, probe, exit };
}

describe('scripts/services.mjs (a private PostgreSQL and Redis around a command)', function () {
  this.timeout(90_000);

  it('gives the command both URLs (no password in the PostgreSQL one) and PGPASSWORD, passes on its exit code, then stops both and removes the folder', async () => {
    const { probe, exit } = await startProbe('3');
    assert.match(probe.pgUrl, /^postgres:\/\/baton@127\.0\.0\.1:\d+\/baton_test$/);
    assert.match(probe.redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(probe.password, true);
    assert.equal((await exit).code, 3);
    assert.deepEqual([alive(probe.pgPid), alive(probe.redisPid), existsSync(path.dirname(probe.dataDir))], [false, false, false]);
  });

  for (const [how, signal, toGroup] of [['SIGTERM to the script', 'SIGTERM', false], ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true]] as const) {
    it(`${how}: the command gets the signal, both servers stop, the folder is removed, exit 128 + the signal`, async () => {
      const { child, probe, exit } = await startProbe('wait');
      process.kill(toGroup ? -child.pid! : child.pid!, signal);
      const { code } = await exit;
      assert.equal(code, signal === 'SIGTERM' ? 143 : 130);
      assert.deepEqual([alive(probe.pid), alive(probe.pgPid), alive(probe.redisPid), existsSync(path.dirname(probe.dataDir))], [false, false, false, false]);
    });
  }

  it('the script SIGKILLed: the kernel stops both servers (setpriv --pdeathsig)', async () => {
    const { child, probe, exit } = await startProbe('wait');
    try {
      child.kill('SIGKILL');
      await exit;
      await gone([probe.pgPid, probe.redisPid]);
    } finally {
      if (alive(probe.pid)) process.kill(probe.pid, 'SIGKILL');
      rmSync(path.dirname(probe.dataDir), { recursive: true, force: true });
    }
  });

  it('a command not on PATH: one line, exit 127, before any server is started', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--', 'baton-no-such-command'], { encoding: 'utf8' });
    assert.deepEqual([r.status, r.stderr], [127, '[services] cannot run baton-no-such-command: not found on PATH\n']);
  });

  it('a command path that does not exist: one line, exit 127, before any server is started', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--', './baton-no-such-command'], { encoding: 'utf8' });
    assert.deepEqual([r.status, r.stderr], [127, '[services] cannot run ./baton-no-such-command: no such file\n']);
  });

  it('no command is a usage error: one line, exit 2, no server started', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--durable'], { encoding: 'utf8' });
    assert.deepEqual([r.status, r.stderr], [2, 'services: no command to run (usage: node scripts/services.mjs [--durable] -- <command> [args…])\n']);
  });
});
