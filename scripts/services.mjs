#!/usr/bin/env node
// The real components the cluster suites talk to: a private PostgreSQL and a private Redis, started around one
// command and stopped when it ends. `npm run test:unit` (the mocha part of `npm test`, hence `.ci/run`) runs under it.
//
//   node scripts/services.mjs [--durable] -- <command> [args…]
//
// It installs the Debian packages `postgresql` and `redis-server` when missing (scripts/system-deps.mjs; `npm test`
// has already done so in its first step), then, in a new temp folder:
// - PostgreSQL: `initdb` (role `baton`, the bootstrap superuser, with a generated password; scram-sha-256 for every
//   connection), `postgres` listening on 127.0.0.1 only, on a free port, no Unix socket, and a database `baton_test`.
//   PostgreSQL refuses to run as root: when this script runs as root (CI here does) both run as the `postgres` OS user
//   the Debian package creates, and the temp folder is given to it. Durability is off (`fsync=off`,
//   `full_page_writes=off`: the data is thrown away at the end) unless `--durable` keeps PostgreSQL's defaults
//   (for benchmarks that measure commits).
// - Redis: `redis-server` on 127.0.0.1, on a free port, no persistence (`--save ''`, no AOF).
// It waits until both accept connections, then runs the command (as the calling user) with, in its environment:
//   BATON_TEST_PG_URL=postgres://baton@127.0.0.1:<port>/baton_test   (no password in the URL)
//   PGPASSWORD=<the generated password>                                (read by `pg` and by psql)
//   BATON_TEST_REDIS_URL=redis://127.0.0.1:<port>
// When the command ends — or fails to start, or this script gets SIGINT (Ctrl-C), SIGTERM or SIGHUP, which it passes
// on to the command first — it stops both servers (PostgreSQL's fast shutdown, then Redis) and removes the temp folder.
// Each server is started through `setpriv --pdeathsig`, so it is stopped by the kernel even if this script is killed
// with SIGKILL (the temp folder then stays in the OS temp dir, named baton-services-*).
//
// Exit code: the command's (128 + the signal's number when a signal ended it; 127 when it could not be started);
// 2 with one line on stderr for a usage error, packages that cannot be installed, or servers that do not start.
// Environment: BATON_PG_BINDIR (the folder of PostgreSQL's initdb and postgres; default: the newest
// /usr/lib/postgresql/<version>/bin, else the folder of `initdb` on PATH), BATON_REDIS_SERVER (default: `redis-server`
// on PATH), BATON_SERVICES_TIMEOUT_MS (how long each server may take to accept connections, default 60000).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { installPackages, missingPackages } from './system-deps.mjs';

const USAGE = 'usage: node scripts/services.mjs [--durable] -- <command> [args…]';
/** The role and database the tests use. */
const PG_USER = 'baton';
const PG_DATABASE = 'baton_test';
const HOST = '127.0.0.1';
const readyTimeoutMs = Number(process.env.BATON_SERVICES_TIMEOUT_MS ?? 60_000);
/** How long a server may take to stop after its shutdown signal before it is killed (ms). */
const STOP_TIMEOUT_MS = 15_000;
/** Attempts at a free port (another process may take the one found before the server binds it). */
const PORT_ATTEMPTS = 5;

/** A failure this script reports in one line, exit 2. */
class ServicesError extends Error {}

const say = (text) => process.stderr.write(`[services] ${text}\n`);

/**
 * Reads the arguments: `[--durable] -- <command> [args…]` (the `--` may be left out when the command does not start
 * with `-`). Throws ServicesError with the usage line when no command is given or an option is unknown.
 * @param {string[]} argv
 * @returns {{ durable: boolean, command: string[] }}
 */
function parseArguments(argv) {
  let durable = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (a === '--durable') durable = true;
    else if (a.startsWith('-')) throw new ServicesError(`unknown option ${a} (${USAGE})`);
    else break;
  }
  const command = argv.slice(i);
  if (command.length === 0) throw new ServicesError(`no command to run (${USAGE})`);
  return { durable, command };
}

/** The first folder of PATH holding an executable `name`, as a full path, or undefined. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * The folder of PostgreSQL's server programs (`initdb`, `postgres`, `createdb`): BATON_PG_BINDIR, else Debian's newest
 * /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH), else the folder `initdb` on PATH is in.
 * @returns {string | undefined}
 */
function postgresBinDir() {
  if (process.env.BATON_PG_BINDIR) return process.env.BATON_PG_BINDIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions.length) return path.join(base, versions[0], 'bin');
  const initdb = onPath('initdb');
  return initdb && path.dirname(initdb);
}

/** Finds the programs, installing the Debian packages first when they are missing. Throws ServicesError. */
function findPrograms() {
  const find = () => ({ pgBin: postgresBinDir(), redis: process.env.BATON_REDIS_SERVER ?? onPath('redis-server') });
  let found = find();
  if (!found.pgBin || !found.redis) {
    try {
      installPackages(missingPackages(['postgresql', 'redis-server']), say);
    } catch (error) {
      throw new ServicesError(error.message);
    }
    found = find();
  }
  if (!found.pgBin) throw new ServicesError('PostgreSQL not found (no /usr/lib/postgresql/<version>/bin, no initdb on PATH); run: sudo apt-get install -y postgresql');
  if (!found.redis) throw new ServicesError('redis-server not found on PATH; run: sudo apt-get install -y redis-server');
  return found;
}

/**
 * The OS user PostgreSQL runs as: undefined (this process's user) unless this process is root, which PostgreSQL
 * refuses; then the `postgres` user's uid and gid. Throws ServicesError when root and there is no such user.
 * @returns {{ uid: number, gid: number } | undefined}
 */
function postgresOsUser() {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new ServicesError('PostgreSQL refuses to run as root and there is no `postgres` OS user to run it as (the Debian package postgresql creates it)');
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the server binds it soon after, see PORT_ATTEMPTS). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const hasSetpriv = Boolean(onPath('setpriv'));

/**
 * One child process of this script: its output kept (the last 40 lines, for error messages), its exit awaited.
 * @typedef {{ name: string, child: import('node:child_process').ChildProcess, tail: string[], exited: Promise<void>, stopSignal: NodeJS.Signals }} Proc
 */

/** Every process started here and not yet seen to exit: stopped by cleanup(). @type {Set<Proc>} */
const running = new Set();

/**
 * Starts `file args` in its own process group (so Ctrl-C reaches it only through this script), as `user` when given,
 * with `stopSignal` sent by the kernel should this script die (setpriv --pdeathsig, util-linux).
 * @param {string} name  how messages name it
 * @param {string} file
 * @param {string[]} args
 * @param {{ user?: { uid: number, gid: number }, cwd: string, env?: Record<string, string>, stopSignal: NodeJS.Signals }} options
 * @returns {Proc}
 */
function start(name, file, args, { user, cwd, env: extraEnv, stopSignal }) {
  const argv = hasSetpriv
    ? ['setpriv', ...(user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : []), `--pdeathsig=${stopSignal.replace(/^SIG/, '')}`, '--', file, ...args]
    : [file, ...args];
  const env = { ...process.env, LC_ALL: 'C.UTF-8' };
  delete env.PGPASSWORD;
  Object.assign(env, extraEnv);
  const child = spawn(argv[0], argv.slice(1), {
    cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    ...(user && !hasSetpriv ? { uid: user.uid, gid: user.gid } : {}),
  });
  /** @type {Proc} */
  const proc = { name, child, tail: [], stopSignal, exited: undefined };
  const keep = (chunk) => {
    proc.tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()));
    if (proc.tail.length > 40) proc.tail.splice(0, proc.tail.length - 40);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  running.add(proc);
  proc.exited = new Promise((resolve) => {
    child.once('error', (error) => { proc.tail.push(error.message); running.delete(proc); resolve(); });
    child.once('exit', () => { running.delete(proc); resolve(); });
  });
  return proc;
}

/** Runs a short program to its end; throws ServicesError with its last output lines when it fails. */
async function runToEnd(name, file, args, options) {
  const proc = start(name, file, args, { ...options, stopSignal: 'SIGTERM' });
  await proc.exited;
  if (proc.child.exitCode !== 0) throw new ServicesError(`${name} failed (${describeExit(proc.child)}): ${proc.tail.slice(-3).join(' | ')}`);
}

const describeExit = (child) => (child.signalCode ? `signal ${child.signalCode}` : `exit ${child.exitCode}`);

/**
 * Waits until `proc` prints a line matching `ready` (its "accepting connections" line). Rejects with ServicesError
 * when it exits first or after BATON_SERVICES_TIMEOUT_MS; `portTaken` is set on the error when the port was taken.
 */
function waitForReady(proc, ready) {
  return new Promise((resolve, reject) => {
    const onData = () => { if (proc.tail.some((l) => ready.test(l))) done(); };
    const timer = setTimeout(() => done(new ServicesError(`${proc.name} did not accept connections within ${readyTimeoutMs} ms: ${proc.tail.slice(-3).join(' | ')}`)), readyTimeoutMs);
    const onExit = () => {
      const error = new ServicesError(`${proc.name} stopped while starting (${describeExit(proc.child)}): ${proc.tail.slice(-3).join(' | ')}`);
      error.portTaken = proc.tail.some((l) => /Address already in use|could not bind/i.test(l));
      done(error);
    };
    function done(error) {
      clearTimeout(timer);
      proc.child.stdout.off('data', onData);
      proc.child.stderr.off('data', onData);
      proc.child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    proc.child.stdout.on('data', onData);
    proc.child.stderr.on('data', onData);
    proc.child.once('exit', onExit);
    onData();
  });
}

/** Starts a server on a free port (another on PORT_ATTEMPTS' next port if the one found was taken meanwhile). */
async function startOnFreePort(launch, ready) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = launch(port);
    try {
      await waitForReady(proc, ready);
      return { proc, port };
    } catch (error) {
      await stop(proc);
      if (!error.portTaken || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

/** Sends PING to Redis on `port` and resolves when it answers +PONG (rejects with ServicesError otherwise). */
function pingRedis(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    let answer = '';
    socket.setTimeout(readyTimeoutMs, () => socket.destroy(new Error('no answer')));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.end();
        if (answer.startsWith('+PONG')) resolve();
        else reject(new ServicesError(`redis-server answered PING with ${JSON.stringify(answer.trim())}`));
      }
    });
    socket.on('error', (error) => reject(new ServicesError(`redis-server on ${HOST}:${port}: ${error.message}`)));
  });
}

/**
 * Starts PostgreSQL in `dir/pg` and returns its port and password; `baton_test` exists and takes a password login
 * over TCP when it returns.
 */
async function startPostgres(pgBin, dir, durable) {
  const user = postgresOsUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const data = path.join(dir, 'pg');
  await runToEnd('initdb', path.join(pgBin, 'initdb'), [
    '-D', data, `--username=${PG_USER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256',
    '--encoding=UTF8', '--locale=C', '--no-sync',
  ], { user, cwd: dir });
  rmSync(pwfile);
  const settings = ['listen_addresses=127.0.0.1', 'unix_socket_directories=', 'password_encryption=scram-sha-256',
    ...(durable ? [] : ['fsync=off', 'full_page_writes=off'])];
  const { proc, port } = await startOnFreePort(
    (port) => start('postgres', path.join(pgBin, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])],
      { user, cwd: dir, stopSignal: 'SIGINT' }),
    /database system is ready to accept connections/,
  );
  // createdb logs in over TCP with the password: the database exists and password logins work.
  await runToEnd('createdb', path.join(pgBin, 'createdb'), ['-h', HOST, '-p', String(port), '-U', PG_USER, PG_DATABASE],
    { user, cwd: dir, env: { PGPASSWORD: password } });
  return { proc, port, password };
}

/** Starts redis-server in `dir/redis` and returns its port once it answers PING. */
async function startRedis(redisServer, dir) {
  const data = path.join(dir, 'redis');
  mkdirSync(data);
  const { proc, port } = await startOnFreePort(
    (port) => start('redis-server', redisServer, ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no',
      '--dir', data, '--daemonize', 'no', '--logfile', ''], { cwd: data, stopSignal: 'SIGTERM' }),
    /Ready to accept connections/,
  );
  await pingRedis(port);
  return { proc, port };
}

/** Stops `proc` with its stop signal (PostgreSQL: SIGINT, its fast shutdown), SIGKILL after STOP_TIMEOUT_MS. */
async function stop(proc) {
  if (!running.has(proc)) return;
  proc.child.kill(proc.stopSignal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await proc.exited;
  clearTimeout(timer);
}

let tempDir;
let cleaning;
/** Stops every process started here and removes the temp folder; once, however often it is called. */
function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...running].map(stop));
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

/** Cleans up, then exits with `code`. */
async function finish(code) {
  await cleanup();
  process.exit(code);
}

const signalNumber = (signal) => os.constants.signals[signal] ?? 1;

async function main() {
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let command;
  let signalsSeen = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      signalsSeen++;
      if (command && command.exitCode === null && command.signalCode === null) {
        command.kill(signalsSeen > 1 ? 'SIGKILL' : signal);
      } else {
        void finish(128 + signalNumber(signal));
      }
    });
  }
  try {
    const { durable, command: argv } = parseArguments(process.argv.slice(2));
    if (argv[0].includes('/') ? !existsSync(argv[0]) : !onPath(argv[0])) {
      say(`cannot run ${argv[0]}: ${argv[0].includes('/') ? 'no such file' : 'not found on PATH'}`);
      process.exit(127);
    }
    const started = performance.now();
    const { pgBin, redis } = findPrograms();
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'baton-services-'));
    chmodSync(tempDir, 0o700);
    const [pg, rd] = await Promise.all([startPostgres(pgBin, tempDir, durable), startRedis(redis, tempDir)]);
    if (cleaning) return;
    say(`PostgreSQL (${path.basename(path.dirname(pgBin))}) on ${HOST}:${pg.port}, Redis on ${HOST}:${rd.port}, ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const proc of [pg.proc, rd.proc]) {
      void proc.exited.then(() => { if (!cleaning) say(`${proc.name} stopped while the command ran (${describeExit(proc.child)}): ${proc.tail.slice(-2).join(' | ')}`); });
    }
    const env = {
      ...process.env,
      BATON_TEST_PG_URL: `postgres://${PG_USER}@${HOST}:${pg.port}/${PG_DATABASE}`,
      PGPASSWORD: pg.password,
      BATON_TEST_REDIS_URL: `redis://${HOST}:${rd.port}`,
    };
    command = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
    const code = await new Promise((resolve) => {
      command.once('error', (error) => { say(`cannot run ${argv[0]}: ${error.message}`); resolve(127); });
      command.once('exit', (exitCode, signal) => resolve(signal ? 128 + signalNumber(signal) : exitCode ?? 1));
    });
    await finish(code);
  } catch (error) {
    if (cleaning) return; // a signal is already stopping everything
    process.stderr.write(`services: ${error instanceof ServicesError ? error.message : error?.stack ?? error}\n`);
    await finish(2);
  }
}

await main();
