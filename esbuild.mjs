// Builds the bundles: Node/ESM for the CLI, Node/CommonJS for the language server and the VS Code
// extension, browser/IIFE for the graph panel's webview. `tsc -b` type-checks; this emits.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const outdir = 'out';
mkdirSync(outdir, { recursive: true });

/** Node bundles. ESM output needs a real `require` for the CommonJS dependencies it inlines. */
const nodeEntries = [
  // `baton serve` executes runs on a worker thread whose entry is this bundle (beside cli.mjs)
  { in: 'packages/cli/src/serve/executor-main.ts', out: 'serve-executor' },
  // `baton serve` lays out the console's run graphs on a thread whose entry is this bundle (graph + elkjs only)
  { in: 'packages/cli/src/serve/layout-worker.ts', out: 'serve-layout' },
  // `baton serve` itself (its HTTP server, routes, live updates, prom-client): loaded by cli.mjs only for that command
  // (packages/cli/src/serve-loader.ts), so neither `baton run` nor the .vsix carries it
  { in: 'packages/cli/src/commands/serve.ts', out: 'serve' },
  // `baton mcp` and serve's POST /mcp (the MCP SDK): loaded only by them (serve-loader.ts, serve/mcp-route.ts)
  { in: 'packages/cli/src/mcp/mcp-bundle.ts', out: 'mcp' },
].filter((e) => existsSync(e.in));

const options = {
  entryPoints: nodeEntries,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Minified, source maps beside the bundles (stacks map back to packages/*/src; internal-error.ts does it for the
  // one-line `internal error: … (at file:line)`): the .vsix and start-up stay small. Names are NOT kept (no
  // `keepNames`): it wraps every function, arrow and class expression in `__name(fn, "…")`, a defineProperty each
  // time one is created — closures in hot paths (Chevrotain/Langium's parser, the checker, the engine) paid it on
  // every call: ~15 % of a cold `baton check` of 5,000 steps (4.6 s → 3.2 s without it on a quiet machine; bench/README.md,
  // issue 15).
  // Nothing here reads a bundled class's `.name` for behaviour: our errors set `name` explicitly (CliError,
  // BatonError, …), bundled libraries use `instanceof` beside their name checks (BullMQ, ioredis), and the OpenAI
  // SDK's User-Agent, made from its class name, is given explicitly (openAiClient, runtime/src/agents/model-agent.ts).
  minify: true,
  logLevel: 'warning',
  // loaded at run time from out/cluster.mjs (packages/cli/src/cluster.ts), never inlined
  external: ['@baton/cluster'],
  banner: {
    js: "import { createRequire as __batonCreateRequire } from 'node:module'; import { fileURLToPath as __batonFileURLToPath } from 'node:url'; import { dirname as __batonDirname } from 'node:path'; const require = __batonCreateRequire(import.meta.url); const __filename = __batonFileURLToPath(import.meta.url); const __dirname = __batonDirname(__filename);",
  },
};

/**
 * The CLI, out/cli.mjs, split (issue 15): what a command reaches only through a dynamic `import()` is a chunk of its
 * own beside it, `out/cli-chunk-<hash>.mjs`, read only when that import runs — each command's module
 * (packages/cli/src/program.ts imports it when the command runs), elkjs for `baton graph`'s layout (1.5 MB), the
 * Anthropic SDK's streaming and tool parts. out/cli.mjs itself is commander and the command tree (~60 KB): `baton
 * --version` loads nothing else, `baton check` the checker (language, Langium, Chevrotain) but not the runtime, the
 * SQLite binding or ajv (test/cli/cli-lazy-load.test.ts). The chunks stay beside cli.mjs (not in a folder): code in
 * them finds its siblings (serve.mjs, cluster.mjs, telemetry.mjs, the SQLite .wasm) from its own
 * `import.meta.url`/`__dirname`.
 */
const cliOptions = {
  ...options,
  entryPoints: [{ in: 'packages/cli/src/main.ts', out: 'cli' }].filter((e) => existsSync(e.in)),
  splitting: true,
  chunkNames: 'cli-chunk-[hash]',
};

/**
 * The cluster package (PostgreSQL store, node-postgres inlined): its own bundle, out/cluster.mjs, that the CLI and
 * serve's executor thread `import()` from beside themselves only for a `postgres://` store — so cli.mjs does not
 * grow, `baton run` on SQLite loads none of it, and the .vsix (an allow-list, .vscodeignore) does not carry it.
 * `pg-native` is node-postgres' optional native binding, never used.
 */
const clusterOptions = {
  ...options,
  entryPoints: [
    { in: 'packages/cluster/src/index.ts', out: 'cluster' },
    // `baton serve --board`'s queue UI (Bull Board on Hono): its own bundle, loaded only for --board
    { in: 'packages/cluster/src/board.ts', out: 'board' },
  ],
  // what both use (BullMQ, ioredis, the run queue) is one shared chunk: the board shows the front door's own queues
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // `pg-native`: node-postgres' optional native binding, never used. The model SDKs: the runtime imports them on a
  // first model call (runtime/src/agents/model-agent.ts), which the cluster's code never makes — left external, they
  // are not written as unreachable chunks into out/chunks/ (and the .vsix: ~0.55 MB)
  external: ['pg-native', 'openai', 'openai/version', '@anthropic-ai/sdk'],
  // the SQLite binding is not the cluster's: a runtime module kept for a constant imports it, and its code would look
  // for its .wasm beside the chunk it lands in (scripts/build/no-sqlite.mjs stands for it here)
  alias: { 'node-sqlite3-wasm': './scripts/build/no-sqlite.mjs' },
  plugins: [pureIndexes(['@baton/runtime', '@baton/protocol'])],
};

/**
 * Marks these packages' entry modules free of side effects in one bundle, so that only what it imports from them is
 * kept: the cluster package takes `BatonError`, `newRunId` and `SIGNAL_EVENT_TYPES` from the runtime, not the
 * runtime's agents (openai, ajv, …) and SQLite store (~380 KB) that its index re-exports.
 */
function pureIndexes(names) {
  return {
    name: 'pure-indexes',
    setup(build) {
      const filter = new RegExp(`^(${names.map((n) => n.replace(/[/.@]/g, '\\$&')).join('|')})$`);
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === 'pure-indexes') return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'pure-indexes' });
        return resolved.errors.length ? { errors: resolved.errors } : { path: resolved.path, sideEffects: false };
      });
    },
  };
}

/**
 * Run tracing with the OpenTelemetry SDK (packages/runtime/src/telemetry/otel-telemetry.ts): its own bundle,
 * out/telemetry.mjs, that the CLI, serve's executor thread and a worker `import()` from beside themselves only when an
 * OTLP endpoint is configured (runtime/src/telemetry/load-telemetry.ts) — a process without one loads none of it.
 * Not in the .vsix (.vscodeignore): the editor's runs are not traced.
 */
const telemetryOptions = {
  ...options,
  entryPoints: [
    { in: 'packages/runtime/src/telemetry/otel-telemetry.ts', out: 'telemetry' },
    // notifications: the dispatcher, and nodemailer for e-mail channels — loaded by `baton serve` only when they are
    // configured (runtime/src/notify/load-notify.ts); not in the .vsix either
    { in: 'packages/runtime/src/notify/notify-module.ts', out: 'notify' },
    { in: 'packages/runtime/src/notify/smtp-sender.ts', out: 'notify-smtp' },
    // the MCP client for agents' MCP tools (the SDK's Client): loaded on a step's first MCP tool (runtime/src/mcp/load-mcp.ts)
    { in: 'packages/runtime/src/mcp/mcp-client.ts', out: 'mcp-client' },
  ],
  external: [],
};

// The SQLite WebAssembly binary is loaded from beside the bundle (node-sqlite3-wasm looks in __dirname).
const wasm = path.join(path.dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm');
copyFileSync(wasm, path.join(outdir, 'node-sqlite3-wasm.wasm'));

// The queue board's page (Bull Board's UI: index.ejs and static/) is read from beside out/board.mjs
// (packages/cluster/src/board.ts); the shared chunks of earlier builds are removed (their names carry a hash).
const boardUi = path.join(path.dirname(require.resolve('@bull-board/ui/package.json', { paths: ['packages/cluster'] })), 'dist');
rmSync(path.join(outdir, 'bull-board-ui'), { recursive: true, force: true });
cpSync(boardUi, path.join(outdir, 'bull-board-ui', 'dist'), { recursive: true });
rmSync(path.join(outdir, 'chunks'), { recursive: true, force: true });
for (const old of readdirSync(outdir).filter((f) => /^cli-chunk-.*\.mjs(\.map)?$/.test(f))) rmSync(path.join(outdir, old));

/**
 * The language server: CommonJS, as VS Code's language client forks it with Electron's Node (and any LSP
 * client can start it with `node out/language-server.cjs --stdio`).
 */
const serverOptions = {
  entryPoints: [{ in: 'packages/language-server/src/main.ts', out: 'language-server' }],
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // not `keepNames` either: see the CLI's options above
  minify: true,
  logLevel: 'warning',
};

/**
 * The language server's layout thread (packages/language-server/src/graph-layout-worker.ts): @baton/graph's
 * `layoutFlowGraph` with elkjs read at run time from out/webview/elk.js — the one copy of elkjs in the .vsix, which
 * the graph panel's page loads too — so the panel's first drawing comes laid out with the graph.
 */
const layoutWorkerOptions = {
  ...serverOptions,
  entryPoints: [{ in: 'packages/language-server/src/graph-layout-worker.ts', out: 'graph-layout' }],
  plugins: [sharedElk('webview/elk.js')],
};

/**
 * Stands for `elkjs/lib/elk.bundled.js` with a module that evaluates `file` (relative to the bundle's folder) at run
 * time: the package is `"type": "module"`, so Node would load that UMD script as ESM (no exports); evaluated as
 * CommonJS it exports elkjs' constructor.
 */
function sharedElk(file) {
  return {
    name: 'shared-elk',
    setup(build) {
      build.onResolve({ filter: /^elkjs\/lib\/elk\.bundled\.js$/ }, () => ({ path: 'elk', namespace: 'shared-elk' }));
      build.onLoad({ filter: /.*/, namespace: 'shared-elk' }, () => ({
        loader: 'js',
        contents: `const { readFileSync } = require('node:fs'); const { join } = require('node:path'); const { runInThisContext } = require('node:vm');
const file = join(__dirname, ${JSON.stringify(file)});
const elk = { exports: {} };
runInThisContext('(function (module, exports) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file })(elk, elk.exports);
module.exports = elk.exports;`,
      }));
    },
  };
}

/** The VS Code extension: CommonJS, `vscode` provided by the extension host. */
const extensionOptions = {
  ...serverOptions,
  entryPoints: [{ in: 'packages/extension/src/extension.ts', out: 'extension' }],
  external: ['vscode'],
};

/**
 * The graph panel's webview (packages/webview): a browser IIFE and its stylesheet in out/webview/, the
 * panel's only local resource root. elkjs is not inlined: the page loads out/webview/elk.js (elkjs' bundled build,
 * copied below) only when it lays a graph out itself (packages/webview/src/elk-script.ts stands for it).
 */
const webviewOptions = {
  entryPoints: [
    { in: 'packages/webview/src/main.ts', out: 'graph-panel' },
    { in: 'packages/webview/src/graph-panel.css', out: 'graph-panel' },
  ],
  outdir: path.join(outdir, 'webview'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome120'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  alias: { 'elkjs/lib/elk.bundled.js': './packages/webview/src/elk-script.ts' },
};
mkdirSync(path.join(outdir, 'webview'), { recursive: true });
copyFileSync(require.resolve('elkjs/lib/elk.bundled.js'), path.join(outdir, 'webview', 'elk.js'));

/**
 * The operations console (packages/console), served by `baton serve` at / (packages/cli/src/serve/console-route.ts):
 * browser ESM in out/console/, split into chunks loaded on demand, every file named by its content hash (served
 * immutable), and out/console/manifest.json listing them — the only files the server answers. Not in the .vsix
 * (.vscodeignore is an allow-list).
 */
const consoleDir = path.join(outdir, 'console');
const consoleOptions = {
  entryPoints: [{ in: 'packages/console/src/main.ts', out: 'app' }],
  outdir: consoleDir,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [consoleManifest()],
};

/** Writes out/console/manifest.json after each console build: `{entry, css?, preload, files}` (names relative to out/console; `preload`: the entry's and the landing page's static imports, transitively). */
function consoleManifest() {
  return {
    name: 'console-manifest',
    setup(build) {
      // each build starts clean: older hashed files must not stay servable
      build.onStart(() => rmSync(consoleDir, { recursive: true, force: true }));
      build.onEnd((result) => {
        if (!result.metafile) return;
        const outputs = Object.entries(result.metafile.outputs).map(([file, meta]) => ({ name: path.relative(consoleDir, file).split(path.sep).join('/'), meta }));
        const entry = outputs.find((o) => o.meta.entryPoint === 'packages/console/src/main.ts');
        // the entry's static imports and the landing page's module (`#/` shows the runs list) with its imports,
        // transitively: the shell preloads them (fetched beside the entry, not one round trip per import level)
        const preload = new Set();
        const visit = (file) => {
          for (const imported of result.metafile.outputs[file]?.imports ?? []) {
            if (imported.kind !== 'import-statement' || preload.has(imported.path)) continue;
            preload.add(imported.path);
            visit(imported.path);
          }
        };
        if (entry) visit(path.join(consoleDir, entry.name).split(path.sep).join('/'));
        const landing = Object.entries(result.metafile.outputs).find(([, meta]) => meta.entryPoint === 'packages/console/src/pages/runs.ts')?.[0];
        if (landing) {
          preload.add(landing);
          visit(landing);
        }
        const named = (file) => path.relative(consoleDir, file).split(path.sep).join('/');
        const manifest = { entry: entry?.name, css: entry?.meta.cssBundle ? named(entry.meta.cssBundle) : undefined, preload: [...preload].map(named).sort(), files: outputs.map((o) => o.name).sort() };
        mkdirSync(consoleDir, { recursive: true });
        writeFileSync(path.join(consoleDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      });
    },
  };
}

const builds = [cliOptions, options, telemetryOptions, clusterOptions, serverOptions, layoutWorkerOptions, extensionOptions, webviewOptions, consoleOptions].filter((b) => b.entryPoints.every((e) => existsSync(e.in)));
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
