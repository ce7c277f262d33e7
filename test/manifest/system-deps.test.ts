/**
 * scripts/system-deps.mjs, the one step that installs the Debian packages the suites need (first in `npm test`),
 * run against a fake `dpkg` (BATON_DPKG) and fake `apt-get`/`sudo` first on PATH: what it reports, what it runs,
 * and its one-line message and exit code when it cannot install.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'system-deps.mjs');
const ALL = ['chromium', 'libkrb5-dev', 'ripgrep', 'postgresql', 'redis-server'];

/** `dpkg --version` and `dpkg -s <pkg>` answered from a state file (one installed package a line). */
const FAKE_DPKG = `#!/bin/sh
case "$1" in
  --version) echo "fake dpkg 1.0" ;;
  -s) if grep -qx "$2" "$FAKE_STATE" 2>/dev/null; then printf 'Package: %s\\nStatus: install ok installed\\n' "$2"; else echo "dpkg-query: package '$2' is not installed" >&2; exit 1; fi ;;
  *) exit 2 ;;
esac
`;

/** apt-get that logs its arguments, then fails (exit 100, as apt does), installs, or does nothing. */
const fakeAptGet = (mode: 'fail' | 'install' | 'noop'): string => `#!/bin/sh
echo "$*" >> "$FAKE_APT_LOG"
${mode === 'fail' ? 'echo "E: Unable to locate package" >&2; exit 100' : ''}
${mode === 'install' ? 'if [ "$1" = install ]; then for p in "$@"; do case "$p" in -*|install) ;; *) echo "$p" >> "$FAKE_STATE" ;; esac; done; fi' : ''}
exit 0
`;

/** sudo -n that runs the command (the script uses it when not root). */
const FAKE_SUDO = `#!/bin/sh
[ "$1" = "-n" ] && shift
exec "$@"
`;

describe('scripts/system-deps.mjs (the system packages, installed in one step before the suites)', () => {
  let dir: string;
  let state: string;
  let aptLog: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-system-deps-'));
    state = path.join(dir, 'installed');
    aptLog = path.join(dir, 'apt.log');
    writeFileSync(path.join(dir, 'dpkg'), FAKE_DPKG);
    writeFileSync(path.join(dir, 'sudo'), FAKE_SUDO);
    chmodSync(path.join(dir, 'dpkg'), 0o755);
    chmodSync(path.join(dir, 'sudo'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[], installed: string[], apt: 'fail' | 'install' | 'noop' = 'fail'): { code: number | null; stdout: string; stderr: string } {
    writeFileSync(state, installed.map((p) => `${p}\n`).join(''));
    writeFileSync(path.join(dir, 'apt-get'), fakeAptGet(apt));
    chmodSync(path.join(dir, 'apt-get'), 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, BATON_DPKG: path.join(dir, 'dpkg'), FAKE_STATE: state, FAKE_APT_LOG: aptLog, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` };
    delete env.BATON_SKIP_SYSTEM_DEPS;
    const r = spawnSync(process.execPath, [SCRIPT, ...args], { env, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const aptCalls = (): string[] => (existsSync(aptLog) ? readFileSync(aptLog, 'utf8').trim().split('\n') : []);

  it('--list prints the packages the suites need, one a line', () => {
    const r = run(['--list'], []);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${ALL.join('\n')}\n`);
  });

  it('--check prints nothing and exits 0 when every package is installed', () => {
    const r = run(['--check'], ALL);
    assert.deepEqual([r.code, r.stdout], [0, '']);
  });

  it('--check prints each missing package on a line and exits 1, installing nothing', () => {
    const r = run(['--check'], ['libkrb5-dev']);
    assert.deepEqual([r.code, r.stdout], [1, 'chromium\nripgrep\npostgresql\nredis-server\n']);
    assert.deepEqual(aptCalls(), [], 'apt-get is not run');
  });

  it('an unknown argument is a usage error (exit 2) naming the arguments it takes', () => {
    const r = run(['--install-everything'], ALL);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'system-deps: unknown argument --install-everything (use --check or --list, or nothing to install)\n');
  });

  it('installs nothing and says so when every package is there', () => {
    const r = run([], ALL);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '[system-deps] chromium, libkrb5-dev, ripgrep, postgresql, redis-server: installed\n');
    assert.deepEqual(aptCalls(), []);
  });

  it('installs the missing packages with apt-get (update first), and only those', () => {
    const r = run([], ['libkrb5-dev', 'postgresql'], 'install');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(aptCalls(), ['update -qq', 'install -y -qq chromium ripgrep redis-server']);
    assert.match(r.stdout, /\[system-deps\] installed chromium, ripgrep, redis-server\n$/);
    assert.deepEqual(run(['--check'], readFileSync(state, 'utf8').trim().split('\n')).stdout, '', 'all there afterwards');
  });

  it('when apt-get fails: one line naming the command to run, exit 2', () => {
    const r = run([], ['libkrb5-dev', 'postgresql', 'redis-server'], 'fail');
    assert.equal(r.code, 2);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('system-deps'));
    assert.deepEqual(ours, ['system-deps: could not install chromium, ripgrep; run: sudo apt-get update && sudo apt-get install -y chromium ripgrep']);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('when apt-get "succeeds" but a package is still missing: one line naming the command, exit 2', () => {
    const r = run([], ['libkrb5-dev', 'ripgrep', 'postgresql', 'redis-server'], 'noop');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'system-deps: apt-get finished but chromium is still not installed; run: sudo apt-get update && sudo apt-get install -y chromium\n');
  });

  it('BATON_SKIP_SYSTEM_DEPS=1 skips the step', () => {
    writeFileSync(path.join(dir, 'apt-get'), fakeAptGet('fail'));
    const r = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, BATON_SKIP_SYSTEM_DEPS: '1', BATON_DPKG: path.join(dir, 'dpkg'), FAKE_STATE: state }, encoding: 'utf8' });
    assert.deepEqual([r.status, r.stdout], [0, '[system-deps] skipped (BATON_SKIP_SYSTEM_DEPS=1)\n']);
  });
});
