import { randomUUID } from 'node:crypto';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import { FlowsRequest, type FlowInfo, type FlowNodeInfo, type JsonValue } from '@baton/protocol';
import { storedApiKeys } from './api-keys.js';
import { approveArgs, childEnv, needsApiKey, resolveStorePath, runArgs, storePasswordKey, type RunSettings } from './run-env.js';
import { promptForInputs } from './run-input-prompts.js';
import { inputsWithoutPrompt } from './run-inputs.js';
import { RunProcess, type CliLaunch } from './run-process.js';
import type { RunOutcome } from './api.js';
import type { RunState } from './run-state.js';
import { describe } from './run-output-lines.js';
import { RunsModel, RunStoreClient } from './runs-model.js';

/** How a run asks for inputs: every input, only required ones without a value, or none (given). */
export type InputMode = { ask: 'all' } | { ask: 'missing' } | { ask: 'none'; inputs: Record<string, JsonValue> };

/**
 * Starts and drives runs from the editor: one {@link RunProcess} per `baton run`/`approve`, all feeding one
 * {@link RunsModel}. Reads settings, SecretStorage and the language server's `baton/flows`.
 */
export class RunController {
  readonly model = new RunsModel();
  readonly store: RunStoreClient;
  /** The password SecretStorage holds for the current PostgreSQL store (see {@link loadStorePassword}). */
  private storePassword: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
    private readonly client: Promise<LanguageClient | undefined>,
  ) {
    this.store = new RunStoreClient(() => this.baseLaunch(process.env), () => this.storePath());
  }

  /** The workspace folder runs happen in (the store path is relative to it). */
  folder(file?: string): string {
    const uri = file ? vscode.Uri.file(file) : undefined;
    return (uri && vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath) ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? (file ? path.dirname(file) : tmpdir());
  }

  settings(): RunSettings {
    const c = vscode.workspace.getConfiguration('baton');
    return {
      agentsMode: c.get<string>('agents.mode') === 'real' ? 'real' : 'stub',
      storePath: c.get<string>('store.path') ?? '.baton/runs.db',
      baseUrls: {
        openai: c.get<string>('providers.openai.baseUrl'),
        anthropic: c.get<string>('providers.anthropic.baseUrl'),
        openaiCompatible: c.get<string>('providers.openaiCompatible.baseUrl'),
      },
    };
  }

  storePath(file?: string): string {
    return resolveStorePath(this.settings().storePath, this.folder(file));
  }

  /**
   * Reads the password SecretStorage holds for the store the settings name (a `postgres://` one; none for a file)
   * into the launches; call it at start and when the setting or the secret changes.
   */
  async loadStorePassword(): Promise<void> {
    const key = storePasswordKey(this.storePath());
    this.storePassword = key ? await this.context.secrets.get(key) : undefined;
  }

  /** How to start the CLI for store reads and `baton runs watch` (no API keys; the store's password, if any). */
  baseLaunch(env: NodeJS.ProcessEnv, file?: string): CliLaunch {
    return { node: process.execPath, cli: this.cliPath(), cwd: this.folder(file), env: childEnv(env, this.settings(), {}, this.storePassword) };
  }

  private cliPath(): string {
    return vscode.Uri.joinPath(this.context.extensionUri, 'out', 'cli.mjs').fsPath;
  }

  /** The flows of a document from the language server; undefined when it cannot answer (within 15 s). */
  async flowsOf(uri: vscode.Uri): Promise<FlowInfo[] | undefined> {
    try {
      const client = await this.client;
      if (!client) return undefined;
      const request = client.sendRequest(FlowsRequest, { uri: client.code2ProtocolConverter.asUri(uri) });
      return await Promise.race([request, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000))]);
    } catch {
      return undefined;
    }
  }

  /** The source of a run's entry (its IR node), from the flows of the run's file. */
  async nodeOf(run: RunState, node: string): Promise<FlowNodeInfo | undefined> {
    if (!run.file) return undefined;
    const flows = await this.flowsOf(vscode.Uri.file(run.file));
    for (const f of flows ?? []) for (const n of f.nodes) if (n.id === node) return n;
    return undefined;
  }

  /**
   * Runs a flow of `target` (a `.flow` file): picks the flow (`flowName`, the file's only flow, or a quick
   * pick), gets its inputs (`mode`), remembers them for the flow, and starts `baton run --json`.
   * @returns the outcome when its process exits; undefined when none started (the reason is shown).
   */
  async run(target: vscode.Uri | undefined, flowName: string | undefined, mode: InputMode): Promise<RunOutcome | undefined> {
    target ??= vscode.window.activeTextEditor?.document.uri;
    if (!target || !target.fsPath.endsWith('.flow')) {
      void vscode.window.showWarningMessage('Baton: open a .flow file to run it.');
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (document?.isDirty) await document.save();
    const file = target.fsPath;
    const settings = this.settings();
    const env = childEnv(process.env, settings, await storedApiKeys(this.context.secrets), this.storePassword);
    if (!existsSync(this.cliPath())) {
      void vscode.window.showErrorMessage('Baton: the run could not start: the Baton CLI (out/cli.mjs) is missing from the extension; reinstall it.');
      return undefined;
    }

    const flows = await this.flowsOf(target);
    let flow: FlowInfo | undefined;
    if (flowName) {
      flow = flows?.find((f) => f.name === flowName);
    } else if (flows) {
      const local = flows.filter((f) => f.local);
      if (local.length === 1) flow = local[0];
      else if (local.length > 1) {
        const picked = await vscode.window.showQuickPick(local.map((f) => ({ label: f.name, description: f.inputs.map((i) => i.name).join(', '), flow: f })), { title: 'Baton: which flow?' });
        if (!picked) return undefined;
        flow = picked.flow;
      }
    }
    const name = flowName ?? flow?.name;

    let inputs: Record<string, JsonValue> | undefined;
    const memoryKey = `baton.inputs.${file}#${name ?? ''}`;
    const remembered = this.context.workspaceState.get<Record<string, JsonValue>>(memoryKey);
    // A file with checker errors does not run (the CLI says so, exit 2): asking for inputs first would waste the user's time.
    const hasErrors = vscode.languages.getDiagnostics(target).some((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source !== 'baton run');
    if (mode.ask === 'none') inputs = mode.inputs;
    else if (flow && !hasErrors) {
      if (mode.ask === 'all') {
        inputs = await promptForInputs(flow.name, flow.inputs, remembered);
      } else {
        const { values, missing } = inputsWithoutPrompt(flow.inputs, remembered);
        const asked = missing.length > 0 ? await promptForInputs(flow.name, missing, remembered) : {};
        inputs = asked && { ...values, ...asked };
      }
      if (!inputs) return undefined;
    }
    if (inputs && name) await this.context.workspaceState.update(memoryKey, { ...remembered, ...inputs });

    let inputsFile: string | undefined;
    if (inputs && Object.keys(inputs).length > 0) {
      inputsFile = path.join(tmpdir(), `baton-inputs-${randomUUID()}.json`);
      writeFileSync(inputsFile, JSON.stringify(inputs), { mode: 0o600 });
    }
    const storePath = this.storePath(file);
    const launch: CliLaunch = { node: process.execPath, cli: this.cliPath(), cwd: this.folder(file), env };
    this.output.show(true);
    this.output.appendLine(`▶ ${vscode.workspace.asRelativePath(target)}${name ? ` · ${name}` : ''}${settings.agentsMode === 'real' ? ' · real agents' : ''}`);
    const started = this.start(launch, runArgs({ file, flow: name, inputsFile }, settings, storePath));
    const state = await started;
    if (inputsFile) {
      try {
        unlinkSync(inputsFile);
      } catch {
        // already gone
      }
    }
    return state;
  }

  /**
   * Decides a waiting approval: records it in the view, runs `baton approve <id> <task> [--reject] --by
   * <user> --json` and streams the continued run into the same run.
   */
  async decide(runId: string, task: string, approve: boolean): Promise<RunOutcome | undefined> {
    const run = this.model.get(runId);
    const by = currentUser();
    const env = childEnv(process.env, this.settings(), await storedApiKeys(this.context.secrets), this.storePassword);
    const launch: CliLaunch = { node: process.execPath, cli: this.cliPath(), cwd: this.folder(run?.file), env };
    this.model.recordDecision(runId, task, approve ? 'approved' : 'rejected', by);
    this.output.appendLine(`${approve ? '✓ approved' : '✗ rejected'} "${task}" by ${by} · ${run?.flow ?? runId}`);
    return this.start(launch, approveArgs(runId, task, approve, by, this.storePath(run?.file)), runId);
  }

  /**
   * Redrives a failed run (`baton runs redrive <id> --json`): it continues from the step that failed it, with the
   * agents it was started with (not the current `baton.agents.mode` setting: a run keeps its agents), streamed
   * into the model like any run; a run that cannot be redriven (not failed, or compensated) says why.
   * @returns the outcome when its process exits.
   */
  async redrive(runId: string): Promise<RunOutcome | undefined> {
    const run = this.model.get(runId);
    const settings = this.settings();
    const env = childEnv(process.env, settings, await storedApiKeys(this.context.secrets), this.storePassword);
    const launch: CliLaunch = { node: process.execPath, cli: this.cliPath(), cwd: this.folder(run?.file), env };
    this.output.appendLine(`↻ redriving ${run?.flow ?? runId} (${runId}) from the step that failed it`);
    return this.start(launch, ['runs', 'redrive', runId, '--json', '--store', this.storePath(run?.file)], runId);
  }

  /** Cancels a run: SIGINT to its running process (stored `interrupted`), else `baton cancel <id>`. */
  async cancel(runId: string): Promise<void> {
    const live = this.model.processOf(runId);
    if (live) {
      live.interrupt();
      await live.exited;
      return;
    }
    try {
      const message = await this.store.cancel(runId);
      this.output.appendLine(message);
      await this.refresh();
    } catch (error) {
      void vscode.window.showErrorMessage(`Baton: could not cancel the run: ${(error as Error).message}`);
    }
  }

  /**
   * The run with its entries: a stored run listed without them (`baton runs list`) is read in full
   * (`baton runs show --json`) and put in the model first.
   * @returns undefined for a run the model does not have; rejects with the CLI's message when the store cannot be read.
   */
  async withEntries(runId: string): Promise<RunState | undefined> {
    // a read the model overtook meanwhile (a `baton runs watch` line: the run went on) is read again, a few times
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = this.model.get(runId);
      if (!run || run.entries) return run;
      const since = this.model.mark();
      const detail = await this.store.show(run.runId);
      const placed = this.model.setStoredDetail(detail.run, detail.events, since, detail.statements);
      if (placed) return placed;
    }
    return this.model.get(runId);
  }

  /**
   * The run as the store has it now (`baton runs show --json`), put in the model: a decision made outside the editor
   * (`baton approve`) shows before `baton runs watch` brings it. A run with a live process here, or a store that cannot
   * be read, gives the model's state.
   */
  async latest(runId: string): Promise<RunState | undefined> {
    if (this.model.processOf(runId)) return this.model.get(runId);
    try {
      const since = this.model.mark();
      const detail = await this.store.show(runId);
      return this.model.setStoredDetail(detail.run, detail.events, since, detail.statements) ?? this.model.get(runId);
    } catch {
      return this.model.get(runId);
    }
  }

  /** Reloads the stored runs into the model. Errors are shown once, as a message. */
  async refresh(): Promise<void> {
    try {
      const since = this.model.mark();
      this.model.setStored(await this.store.list(), since);
    } catch (error) {
      void vscode.window.showErrorMessage(`Baton: could not read the run store: ${(error as Error).message}`);
    }
  }

  private start(launch: CliLaunch, args: string[], runId?: string): Promise<RunOutcome | undefined> {
    const proc = new RunProcess(launch, args, runId);
    this.model.attach(proc);
    proc.onEvent((event) => {
      const text = describe(event);
      if (text !== undefined) this.output.appendLine(text);
    });
    proc.onOutput((line) => this.output.appendLine(line));
    proc.start();
    return proc.exited.then((exit) => {
      if (exit.problem) {
        const verb = args[0] === 'approve' ? 'the decision could not be recorded' : args[1] === 'redrive' ? 'the run could not be redriven' : 'the run could not start';
        const problem = exit.problem;
        if (needsApiKey(problem)) {
          void vscode.window.showErrorMessage(`Baton: ${verb}: ${problem}`, 'Set API Key').then((choice) => (choice ? vscode.commands.executeCommand('baton.setApiKey') : undefined));
        } else {
          void vscode.window.showErrorMessage(`Baton: ${verb}: ${problem}`);
        }
        this.output.appendLine(`✗ ${exit.problem}`);
      }
      const run = proc.runId ? this.model.get(proc.runId) : undefined;
      const outcome: RunOutcome = { runId: proc.runId, last: exit.lastEvent, exitCode: exit.code ?? -1, run, ...(exit.problem ? { problem: exit.problem } : {}) };
      if (exit.problem) return outcome;
      if (run?.status === 'succeeded') void vscode.window.showInformationMessage(`Baton: ${run.flow} succeeded.`);
      else if (run?.status === 'failed') {
        const failedStep = run.entries?.find((e) => e.status === 'failed' && e.kind === 'step');
        void vscode.window.showErrorMessage(`Baton: ${run.flow} failed${failedStep ? ` at step ${failedStep.key}` : ''}: ${run.error?.message ?? 'see the Runs view'}.`);
      } else if (run?.status === 'interrupted') this.output.appendLine(`■ interrupted — continue it with: baton resume ${run.runId}`);
      else if (run?.status === 'waiting' && !run.waitingOn.some((w) => w.kind === 'approval')) void vscode.window.showInformationMessage(`Baton: ${run.flow} is waiting (${run.waitingOn.map((w) => w.kind).join(', ')}); see the Runs view.`);
      return outcome;
    });
  }
}

function currentUser(): string {
  try {
    return process.env.USER || userInfo().username;
  } catch {
    return 'vscode';
  }
}
