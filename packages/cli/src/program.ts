import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import { parseAgentsMode } from './agents-mode-value.js';
import type { Output } from './output/terminal.js';
import { mcpCommandLazily, serveCommandLazily } from './serve-loader.js';
import { DEFAULT_RUN_CONCURRENCY, DEFAULT_WARM_UP_RUNS } from '@baton/runtime/start-up';

// Every command's module is imported when that command runs (issue 15): a cold `baton check` loads the checker and
// its command only — not the runtime, the SQLite binding, the run store or the other commands (esbuild writes each
// as a chunk beside out/cli.mjs; esbuild.mjs). Each command but `check` first installs the runtime's flow checker
// (`./runtime-setup.js`).
const commands = {
  check: () => import('./commands/check.js'),
  run: () => withRuntime(import('./commands/run.js')),
  test: () => withRuntime(import('./commands/test.js')),
  runs: () => withRuntime(import('./commands/runs.js')),
  runsWatch: () => withRuntime(import('./commands/runs-watch.js')),
  migrate: () => withRuntime(import('./commands/migrate.js')),
  control: () => withRuntime(import('./commands/control.js')),
  crashTest: () => withRuntime(import('./commands/crash-test.js')),
  worker: () => withRuntime(import('./commands/worker.js')),
  graph: () => withRuntime(import('./commands/graph.js')),
  estimate: () => withRuntime(import('./commands/estimate.js')),
  locks: () => withRuntime(import('./commands/locks.js')),
  audit: () => withRuntime(import('./commands/audit.js')),
};

/** `module` once the runtime's flow checker is installed in this process (see runtime-setup.ts). */
async function withRuntime<M>(module: Promise<M>): Promise<M> {
  await (await import('./runtime-setup.js')).setUpRuntime();
  return module;
}

/** The CLI's version, printed by `baton --version`. */
export const VERSION = '0.1.0';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Builds the `baton` command tree (spec section 7). Each action resolves to the process exit code;
 * commander's own usage errors are turned into {@link UsageError} (exit 2) by `exitOverride`.
 * @param output where commands print.
 * @param setExit receives the exit code of the action that ran.
 */
export function buildProgram(output: Output, setExit: (code: number) => void): Command {
  const program = new Command('baton');
  const wrap =
    <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      // runs executed by the command are traced when an OTLP endpoint is configured (docs/observability.md)
      setExit(await (await import('./telemetry.js')).withCommandTelemetry(args, () => action(...args)));
    };

  program
    .description('Check, run, test and inspect Baton .flow workflows.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => output.out(s.replace(/\n$/, '')),
      writeErr: (s) => output.err(s.replace(/\n$/, '')),
    })
    .exitOverride();

  program
    .command('check')
    .description('Check .flow files with the same checker as the editor.')
    .argument('<paths...>', '.flow files or folders (searched recursively)')
    .option('--json', 'print one JSON array of problems')
    .addHelpText('after', '\nExit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad usage or unreadable file.')
    .action(wrap(async (paths: string[], opts: { json?: boolean }) => (await commands.check()).checkCommand(paths, opts, output)));

  program
    .command('run')
    .description('Run a flow: the only one in the file, the entry flow (the one no other flow of the file calls), or --flow.')
    .argument('<file>', 'the .flow file')
    .option('--flow <name>', 'the flow to run')
    .option('--input <name=value>', 'an input value (repeatable); lists and records as JSON', collect, [])
    .option('--inputs <file.json>', 'a JSON object of inputs')
    .addOption(new Option('--agents <mode>', 'stub (offline, default), real, or replay:<cassette.json>').argParser(parseAgentsMode).default('stub'))
    .option('--json', 'print one JSON object per event')
    .option('--store <path|url>', 'the run store: a file (default .baton/runs.db) or a postgres:// URL (password from PGPASSWORD); or BATON_STORE')
    .option('--record <cassette.json>', 'with --agents real: write every real agent request and answer to this cassette')
    .addHelpText('after', '\nExit codes: 0 succeeded (or waiting for a person or event), 1 the run failed, 2 bad usage or checker errors (the run does not start).')
    .action(wrap(async (file: string, opts) => (await commands.run()).runCommand(file, opts, output)));

  program
    .command('test')
    .description('Run the `test` blocks of .flow files, offline with stub agents.')
    .argument('<paths...>', '.flow files or folders')
    .option('--test <name>', 'run only the test with exactly this name (repeatable)', collect, [])
    .option('--json', 'print one JSON array of results')
    .option('--store <path|url>', 'keep the test runs in this store, a file or a postgres:// URL (default: a private temporary store — in memory, with --crash-at a temporary file; BATON_STORE is not used)')
    .option('--crash-at <step>', 'instead: crash a run of the flow (SIGKILL) at this step, resume it, and check each step finished exactly once')
    .option('--flow <name>', 'with --crash-at: the flow to run')
    .option('--input <name=value>', 'with --crash-at: an input value (repeatable)', collect, [])
    .option('--inputs <file.json>', 'with --crash-at: a JSON object of inputs')
    .addHelpText('after', '\nExit codes: 0 all passed (--crash-at: the run survived), 1 any failed, 2 bad usage or checker errors.')
    .action(
      wrap(async (paths: string[], opts) => {
        if (opts.crashAt === undefined) return (await commands.test()).testCommand(paths, opts, output);
        if (paths.length !== 1) throw new UsageError('--crash-at runs one flow: give one .flow file');
        return (await commands.crashTest()).crashTestCommand(paths[0], { crashAt: opts.crashAt, flow: opts.flow, input: opts.input, inputs: opts.inputs, json: opts.json, store: opts.store }, output);
      }),
    );

  const locks = program.command('locks').description('Inspect the named locks of `lock "name" { … }` blocks.');
  locks
    .command('list')
    .description('List the locks held now, each with its holder and its queue (oldest waiter first).')
    .option('--tenant <id>', "only this tenant's locks")
    .option('--json', 'print JSON')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .action(wrap(async (opts) => (await commands.locks()).locksListCommand(opts, output)));

  const audit = program.command('audit').description("Check and export the runs' tamper-evident event logs (hash-chained).");
  audit
    .command('verify')
    .description('Check the hash chain of every run (or the named ones) and name each changed, removed, inserted or reordered event.')
    .argument('[runIds...]', 'run ids or unique prefixes (default: every run)')
    .option('--anchor <file>', "an earlier `baton audit export`: each run's last exported event (its head) must still be there, unchanged")
    .option('--json', 'print JSON: { ok, runs, events, problems }')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addHelpText('after', '\nExit codes: 0 every chain is whole, 1 tampered events found, 2 bad usage, an unknown run or a store that cannot be opened.')
    .action(wrap(async (ids: string[], opts) => (await commands.audit()).auditVerifyCommand(ids, opts, output)));
  audit
    .command('export')
    .description('Write every stored event of every run (or the named ones) as JSON lines with its hashes: { runId, seq, type, time, data, prev, hash }.')
    .argument('[runIds...]', 'run ids or unique prefixes (default: every run)')
    .option('--out <file>', 'write to this file (default: stdout)')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addHelpText('after', '\nExit codes: 0 written, 2 bad usage, an unknown run, an output that cannot be written or a store that cannot be opened.')
    .action(wrap(async (ids: string[], opts) => (await commands.audit()).auditExportCommand(ids, opts, output)));

  const runs = program.command('runs').description('List and inspect stored runs.');
  runs
    .command('list')
    .description('List stored runs, newest first.')
    .option('--status <status>', 'only runs in this state (running, waiting, succeeded, failed, cancelled)')
    .option('--failed', 'the dead letters: failed runs with their cause and how to redrive them')
    .option('--flow <name>', 'only runs of this flow')
    .option('--limit <n>', 'at most this many runs', '20')
    .option('--json', 'print JSON')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .action(wrap(async (opts) => (await commands.runs()).runsListCommand(opts, output)));
  runs
    .command('watch')
    .description('Follow the store\'s runs live: the runs there now, then one line per change, whoever makes it (another process or machine), until Ctrl+C.')
    .option('--status <status>', 'only runs in this state (running, waiting, succeeded, failed, cancelled, interrupted, queued)')
    .option('--flow <name>', 'only runs of this flow')
    .option('--limit <n>', 'at most this many of the runs already stored are listed first', '20')
    .option('--json', 'print JSON Lines: {"type":"run","run":{…}} per run and change, {"type":"listed","count":n} after the first listing')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addHelpText('after', '\nPostgreSQL: LISTEN/NOTIFY (a lost connection is said on stderr once, then it reconnects); SQLite: the file is looked at every 250 ms.\nExit codes: 0 stopped by Ctrl-C or SIGTERM, 2 bad usage or a store that cannot be opened.')
    .action(wrap(async (opts) => (await commands.runsWatch()).runsWatchCommand(opts, output)));
  runs
    .command('redrive')
    .description('Re-run a failed run from the step that failed it, keeping everything that finished before.')
    .argument('<id>', 'run id (a unique prefix is enough)')
    .addOption(new Option('--agents <mode>', 'the agents for the steps still to run: the run\'s own by default (stub, real or replay:<cassette.json>); another mode needs --switch-agents').argParser(parseAgentsMode))
    .option('--switch-agents', 'continue with the --agents given although the run was started with others (recorded in the run)')
    .option('--by <who>', 'who redrives it, recorded on the run (default: $USER)')
    .option('--json', 'print one JSON object per event')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addHelpText('after', '\nExit codes: 0 the run succeeded (or waits), 1 it failed again, 2 not a failed run (or it was compensated), or bad usage.')
    .option('--queue <url>', 'a cluster\'s queue (redis://…; or BATON_QUEUE): hand the run to its workers instead of continuing it here')
    .action(wrap(async (id: string, opts) => (await commands.control()).redriveCommand(id, opts, output)));
  runs
    .command('migrate')
    .description('Move a waiting or interrupted run to a new version of its flow, when the new definition is proved compatible.')
    .argument('<id>', 'run id (a unique prefix is enough)')
    .option('--to <file>', 'the .flow file of the new definition')
    .option('--flow <name>', 'the flow of that file the run continues as (default: the run\'s flow\'s name)')
    .option('--dry-run', 'only prove it: say whether the run can move, change nothing')
    .option('--json', 'print the outcome as JSON (problems, renamed node ids, definition hashes)')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addHelpText('after', '\nEach refusal is printed as file:line:col - MIGRATION <code>: … (checker-errors, step-missing, output-type-changed, input-missing, input-type-changed, path-diverged, wait-missing).\nExit codes: 0 migrated (with --dry-run: compatible), 1 refused (or the run changed meanwhile), 2 bad usage or a run that is not waiting or interrupted.')
    .action(wrap(async (id: string, opts) => (await commands.migrate()).migrateCommand(id, opts, output)));
  runs
    .command('show')
    .description('Show one run: its steps, outputs and events.')
    .argument('<id>', 'run id (a unique prefix is enough)')
    .option('--json', 'print the run and its events as JSON')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .action(wrap(async (id: string, opts) => (await commands.runs()).runsShowCommand(id, opts, output)));

  program
    .command('resume')
    .description('Continue a run that was interrupted or is waiting (timers that are due fire).')
    .argument('<id>', 'run id')
    .addOption(new Option('--agents <mode>', 'the agents for the steps still to run: the run\'s own by default (stub, real or replay:<cassette.json>); another mode needs --switch-agents').argParser(parseAgentsMode))
    .option('--switch-agents', 'continue with the --agents given although the run was started with others (recorded in the run)')
    .option('--json', 'print one JSON object per event')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .option('--queue <url>', 'a cluster\'s queue (redis://…; or BATON_QUEUE): hand the run to its workers instead of continuing it here')
    .action(wrap(async (id: string, opts) => (await commands.control()).resumeCommand(id, opts, output)));

  program
    .command('cancel')
    .description('Cancel a run.')
    .argument('<id>', 'run id')
    .option('--by <who>', 'who cancels it, recorded on the run (default: $USER)')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .option('--queue <url>', 'a cluster\'s queue (redis://…; or BATON_QUEUE): hand the run to its workers instead of continuing it here')
    .action(wrap(async (id: string, opts) => (await commands.control()).cancelCommand(id, opts, output)));

  program
    .command('approve')
    .description('Decide a waiting approval (approve by default), then continue the run.')
    .argument('<id>', 'run id')
    .argument('<task>', 'the approval name, e.g. signoff')
    .option('--reject', 'reject instead of approving')
    .option('--decision <value>', 'another decision offered by the approval\'s options')
    .option('--comment <text>', 'a comment stored with the decision')
    .option('--by <who>', 'who decides (default: $USER)')
    .addOption(new Option('--agents <mode>', 'the agents for the steps still to run: the run\'s own by default (stub, real or replay:<cassette.json>); another mode needs --switch-agents').argParser(parseAgentsMode))
    .option('--switch-agents', 'continue with the --agents given although the run was started with others (recorded in the run)')
    .option('--json', 'print one JSON object per event')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .option('--queue <url>', 'a cluster\'s queue (redis://…; or BATON_QUEUE): hand the run to its workers instead of continuing it here')
    .action(wrap(async (id: string, task: string, opts) => (await commands.control()).approveCommand(id, task, opts, output)));

  program
    .command('send')
    .description('Send an event to a run waiting for it, then continue the run.')
    .argument('<id>', 'run id')
    .argument('<event>', 'the event name')
    .option('--data <json>', 'the event data as JSON')
    .addOption(new Option('--agents <mode>', 'the agents for the steps still to run: the run\'s own by default (stub, real or replay:<cassette.json>); another mode needs --switch-agents').argParser(parseAgentsMode))
    .option('--switch-agents', 'continue with the --agents given although the run was started with others (recorded in the run)')
    .option('--json', 'print one JSON object per event')
    .option('--store <path|url>', 'the run store: a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .option('--queue <url>', 'a cluster\'s queue (redis://…; or BATON_QUEUE): hand the run to its workers instead of continuing it here')
    .action(wrap(async (id: string, event: string, opts) => (await commands.control()).sendCommand(id, event, opts, output)));

  program
    .command('serve')
    .description('Serve the triggers of a folder of flows over HTTP: webhooks, schedules, events, and the runs API.')
    .argument('[folder]', 'the folder of .flow files', '.')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port to listen on', '8787')
    .option('--store <path|url>', 'the run store: a file (default .baton/runs.db) or a postgres:// URL (password from PGPASSWORD); or BATON_STORE')
    .option('--insecure', 'accept unsigned webhooks and events and an unauthenticated runs API (local use only)')
    .option('--max-body <size>', 'the largest request body accepted', '1mb')
    .option('--request-timeout <duration>', 'the longest a request may take to arrive (slower ones get 408)', '30s')
    .option('--concurrency <n>', 'the most runs executing at once; more are stored as queued and wait their turn', String(DEFAULT_RUN_CONCURRENCY))
    .option('--warm-up <runs>', 'runs of a built-in stub flow executed on a private temporary store before the server is ready, so the first requests do not meet cold code (0: none)', String(DEFAULT_WARM_UP_RUNS))
    .option('--timezone <zone>', 'the IANA time zone schedules are read in (default: this machine\'s)')
    .addOption(new Option('--agents <mode>', 'stub (offline, default), real, or replay:<cassette.json>').argParser(parseAgentsMode).default('stub'))
    .option('--queue <url>', 'be a cluster\'s front door: store runs and enqueue them on this Redis (redis://host:6379) for baton worker, executing nothing here; or BATON_QUEUE')
    .option('--board', 'with --queue: serve the queue board (Bull Board) of the tenants\' queues at /board/, behind BATON_API_TOKEN')
    .addHelpText('after', '\nSecrets from the environment: BATON_WEBHOOK_SECRET (X-Baton-Signature: sha256=<HMAC-SHA256 of the body>), BATON_API_TOKEN (Authorization: Bearer … for /runs; for /board/ also Basic with the token as password).\nExit codes: 0 stopped by SIGTERM or Ctrl-C, 2 bad usage, checker errors or a port in use.')
    .action(wrap((folder: string, opts) => serveCommandLazily(folder, opts, output)));

  program
    .command('mcp')
    .description('Serve a folder of flows to an MCP client (Claude Desktop, an IDE) over stdio: start flows, read runs, decide approvals.')
    .argument('[folder]', 'the folder of .flow files', '.')
    .option('--store <path|url>', 'the run store: a file (default .baton/runs.db) or a postgres:// URL (password from PGPASSWORD); or BATON_STORE')
    .addOption(new Option('--agents <mode>', 'stub (offline, default), real, or replay:<cassette.json>').argParser(parseAgentsMode).default('stub'))
    .addHelpText('after', '\nSpeaks MCP on stdin/stdout (the client starts it: see docs/mcp.md); logs go to stderr. Tools: start_<Flow> per flow, get_run, list_runs, run_events, list_approvals, decide_approval, cancel_run; resources baton://runs/<id>.\nExit codes: 0 the client closed stdin (or SIGTERM, Ctrl-C), 2 bad usage, checker errors or a store that cannot be opened.')
    .action(wrap((folder: string, opts) => mcpCommandLazily(folder, opts, output)));

  program
    .command('worker')
    .description('Execute the runs of a cluster: take activations from the queue (BullMQ on Redis) and run them on the shared store.')
    .option('--store <url|path>', 'the run store, shared by the cluster: a postgres:// URL (password from PGPASSWORD); or BATON_STORE')
    .option('--queue <url>', 'the queue: redis://host:6379 (password in the URL or REDISCLI_AUTH); or BATON_QUEUE')
    .option('--concurrency <n>', 'the most runs executing at once in this worker, per tenant', '8')
    .option('--tenants <ids>', 'serve only these tenants\' queues, comma-separated (default: default)')
    .addOption(new Option('--agents <mode>', 'stub (offline, default), real, or replay:<cassette.json>').argParser(parseAgentsMode).default('stub'))
    .option('--lease <duration>', 'how long a run\'s lease lasts unless renewed: a killed worker\'s runs are taken over after it', '30s')
    .option('--reconcile-every <duration>', 'how often the store is searched for runnable runs no job stands for', '5s')
    .option('--no-notifications', 'send none of the store\'s notifications from this worker (by default it sends them, as baton serve does, when baton.config.json has notifications with a consoleUrl)')
    .addHelpText('after', '\nExit codes: 0 stopped by SIGTERM or Ctrl-C, 2 bad usage or a store or queue that cannot be reached.')
    .action(wrap(async (opts) => (await commands.worker()).workerCommand(opts, output)));

  program
    .command('graph')
    .description('Print a flow as a graph (the same graph the editor panel shows).')
    .argument('[file]', 'the .flow file (none with --run)')
    .option('--flow <name>', 'the flow to draw')
    .option('--run <id>', 'draw the definition a stored run executes (after a migration: the new one), titled with its hash and the ones it was migrated from')
    .option('--store <path|url>', 'with --run: the run store, a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'mermaid', 'dot', 'svg']).default('mermaid'))
    .option('--expand <step>', 'draw this sub-flow step open, with the called flow inside (repeatable; a step name, or a path a>b for one inside another)', collect, [])
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(wrap(async (file: string | undefined, opts) => (await commands.graph()).graphCommand(file, opts, output)));

  program
    .command('estimate')
    .description('Print the worst case of a run of a flow (agent calls, output tokens, cost from prices, duration) per step, and what stored runs of it took.')
    .argument('<file>', 'the .flow file')
    .option('--flow <name>', 'the flow to estimate')
    .option('--json', 'print the estimate as JSON')
    .option('--store <path|url>', 'the run store the observed figures come from, a file or a postgres:// URL (default .baton/runs.db, or BATON_STORE)')
    .action(wrap(async (file: string, opts) => (await commands.estimate()).estimateCommand(file, opts, output)));

  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script).
 * @returns the exit code: the action's, 0 for `--help`/`--version`, 2 for usage errors.
 * @throws CliError from actions (main.ts prints it).
 */
export async function runCli(argv: string[], output: Output): Promise<number> {
  let exit = 0;
  const program = buildProgram(output, (code) => (exit = code));
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      // commander has already printed its message through configureOutput.
      return 2;
    }
    throw error;
  }
  return exit;
}

export { UsageError };
