#!/usr/bin/env node
// Every Debian package any test suite needs, installed in one step before the first suite runs.
// `npm test` calls it first (as `npm run deps:system`), so `.ci/run` and the README's test command meet a fresh
// machine the same way: a missing package is installed (as root, or with passwordless sudo) or named with the
// command that installs it — never found missing half-way through the suites.
//
//   node scripts/system-deps.mjs           install what is missing (exit 0), or say what to run (exit 2)
//   node scripts/system-deps.mjs --check   only report: each missing package on a line, exit 1 if any is missing
//   node scripts/system-deps.mjs --list    print the packages, one a line
//
// Environment: BATON_DPKG (the dpkg program to ask; tests point it at a fake), BATON_SKIP_SYSTEM_DEPS=1 skips the
// step (for machines that provide the programs another way; the suites then fail with their own message).
import { execFileSync } from 'node:child_process';

/**
 * The Debian packages the suites need, with who needs them:
 * - chromium: the graph-panel webview suite (mocha, test/webview) and the real-editor suite drive it with playwright-core;
 * - libkrb5-dev: code-server's Kerberos addon builds against its header (real-editor suite);
 * - ripgrep: code-server's search uses it; its npm package would download it otherwise (real-editor suite);
 * - postgresql, redis-server: scripts/services.mjs starts a private PostgreSQL and a private Redis around the mocha
 *   suites (`npm run test:unit`) for the cluster's PostgreSQL run store and BullMQ workers (test/cluster).
 */
export const debianPackages = ['chromium', 'libkrb5-dev', 'ripgrep', 'postgresql', 'redis-server'];

const dpkg = process.env.BATON_DPKG ?? 'dpkg';

/** True when dpkg answers at all (a Debian-like machine). */
function hasDpkg() {
  try {
    execFileSync(dpkg, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when dpkg reports `pkg` installed (`Status: install ok installed`). */
function isInstalled(pkg) {
  try {
    const status = execFileSync(dpkg, ['-s', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^Status: install ok installed$/m.test(status);
  } catch {
    return false;
  }
}

/**
 * The packages of `packages` (default: all of `debianPackages`) that are not installed ([] on a machine without dpkg).
 * @param {readonly string[]} [packages]
 * @returns {string[]}
 */
export function missingPackages(packages = debianPackages) {
  if (!hasDpkg()) return [];
  return packages.filter((p) => !isInstalled(p));
}

/**
 * Installs `missing` with apt-get (`update` first, as a fresh machine's lists may be empty or old).
 * Throws an Error whose message names the command to run when this process may not install (not root, no sudo).
 */
export function installPackages(missing, log = (t) => process.stdout.write(`[system-deps] ${t}\n`)) {
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : ['sudo', '-n'];
  const command = `sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
  log(`installing ${missing.join(', ')} with apt-get (once; needed by the test suites)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [file, ...rest] = [...prefix, ...args];
    execFileSync(file, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', ...missing]);
  } catch {
    throw new Error(`could not install ${missing.join(', ')}; run: ${command}`);
  }
  const still = missing.filter((p) => !isInstalled(p));
  if (still.length) throw new Error(`apt-get finished but ${still.join(', ')} is still not installed; run: ${command}`);
  log(`installed ${missing.join(', ')}`);
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const arg = process.argv[2];
  if (arg === '--list') {
    process.stdout.write(`${debianPackages.join('\n')}\n`);
  } else if (arg === '--check') {
    const missing = missingPackages();
    for (const p of missing) process.stdout.write(`${p}\n`);
    process.exitCode = missing.length ? 1 : 0;
  } else if (arg !== undefined) {
    process.stderr.write(`system-deps: unknown argument ${arg} (use --check or --list, or nothing to install)\n`);
    process.exitCode = 2;
  } else if (process.env.BATON_SKIP_SYSTEM_DEPS === '1') {
    process.stdout.write('[system-deps] skipped (BATON_SKIP_SYSTEM_DEPS=1)\n');
  } else {
    try {
      const missing = missingPackages();
      if (missing.length === 0) process.stdout.write(`[system-deps] ${debianPackages.join(', ')}: installed\n`);
      else installPackages(missing);
    } catch (error) {
      process.stderr.write(`system-deps: ${error.message}\n`);
      process.exitCode = 2;
    }
  }
}
