import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundled server (`node esbuild.mjs` builds it). */
export const SERVER = path.join(ROOT, 'out', 'language-server.cjs');

/** A diagnostic as the server publishes it. */
export interface PublishedDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  code: string;
  message: string;
}

/** A started server and what it said. */
export interface StdioServer {
  connection: MessageConnection;
  child: ChildProcess;
  /** The `initialize` result. */
  capabilities: { executeCommandProvider?: { commands: string[] } } & Record<string, unknown>;
  /** The last diagnostics published per URI. */
  diagnostics: Map<string, PublishedDiagnostic[]>;
  /** What the server wrote to stderr. */
  stderr: () => string;
  /** Resolves with `uri`'s diagnostics once `ok` holds for them (waits for publishDiagnostics, up to 30 s). */
  waitFor(uri: string, ok: (d: PublishedDiagnostic[]) => boolean): Promise<PublishedDiagnostic[]>;
  /** Opens `text` as `uri` (version 1). */
  open(uri: string, text: string): Promise<void>;
  /** Shuts the server down and kills it. */
  stop(): Promise<void>;
}

/**
 * Starts `out/language-server.cjs --stdio` as any LSP client does.
 * @param options.folder the workspace folder (sent as `rootUri` and `workspaceFolders`); undefined: a client
 *   that sends neither.
 * @param options.env extra environment variables (e.g. `BATON_LS_TRACE`).
 */
export async function startStdioServer(options: { folder?: string; initializationOptions?: object; env?: Record<string, string> } = {}): Promise<StdioServer> {
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run node esbuild.mjs first`);
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const diagnostics = new Map<string, PublishedDiagnostic[]>();
  const waiters = new Set<() => void>();
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: PublishedDiagnostic[] }) => {
    diagnostics.set(p.uri, p.diagnostics);
    for (const w of [...waiters]) w();
  });
  connection.onRequest('workspace/configuration', () => []);
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  const folder = options.folder ? pathToFileURL(options.folder).toString() : undefined;
  const result = (await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: folder ?? null,
    ...(folder ? { workspaceFolders: [{ uri: folder, name: 'ws' }] } : {}),
    initializationOptions: options.initializationOptions,
    capabilities: { textDocument: { completion: { completionItem: { snippetSupport: true } }, publishDiagnostics: {} }, workspace: { configuration: true } },
  })) as { capabilities: StdioServer['capabilities'] };
  await connection.sendNotification('initialized', {});
  const waitFor = async (uri: string, ok: (d: PublishedDiagnostic[]) => boolean): Promise<PublishedDiagnostic[]> => {
    const current = diagnostics.get(uri);
    if (current && ok(current)) return current;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching diagnostics for ${uri}; last: ${JSON.stringify(diagnostics.get(uri))}; stderr: ${stderr.slice(0, 2000)}`));
      }, 30_000);
      const check = (): void => {
        const now = diagnostics.get(uri);
        if (now && ok(now)) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(now);
        }
      };
      waiters.add(check);
    });
  };
  return {
    connection,
    child,
    capabilities: result.capabilities,
    diagnostics,
    stderr: () => stderr,
    waitFor,
    open: (uri, text) => connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } }),
    async stop() {
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((resolve) => setTimeout(resolve, 2000))]);
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      connection.dispose();
      child.kill();
    },
  };
}

/** The `file:` URI of `file`. */
export function fileUri(file: string): string {
  return pathToFileURL(file).toString();
}
