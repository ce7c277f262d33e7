import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import {
  forEachStatement,
  typeFits,
  type FlowDef,
  type GeneratedFlowDiagnostic,
  type GeneratePolicy,
  type SourceRange,
  type TypeRef,
  type WorkflowDefinition,
} from '@baton/protocol';
import { createBatonCheckerServices, type BatonCheckerServices } from './baton-core-module.js';
import { visibleDocuments } from './baton-imports.js';
import * as ast from './generated/ast.js';

/**
 * The checker of flows written by agents (docs/agents.md, "Flows written by agents"): the runtime's `FlowAuthoring`
 * (packages/runtime/src/engine/flow-authoring.ts), made with the same parser, linker and checks as `baton check`.
 * The CLI injects it wherever runs execute (run, test, serve, worker; the editor's runs go through the CLI).
 */

/** A `.flow` file's text (the runtime's `SourceFile`). */
export interface AuthoringSource {
  file: string;
  text: string;
}

/** What {@link checkGeneratedFlow} is asked (the runtime's `FlowCheckRequest`). */
export interface GeneratedFlowRequest {
  source: string;
  policy: GeneratePolicy;
  /** The absolute path of the file holding the generating step: its declarations (and its imports') are visible. */
  file: string;
  /** The running definition's texts, by absolute path. */
  sources: readonly AuthoringSource[];
}

/** {@link checkGeneratedFlow}'s verdict (the runtime's `FlowCheckResult`). */
export type GeneratedFlowVerdict =
  | { ok: true; definition: WorkflowDefinition; flow: string; sources: AuthoringSource[] }
  | { ok: false; diagnostics: GeneratedFlowDiagnostic[] };

/**
 * The runtime's `FlowAuthoring`, implemented by {@link checkGeneratedFlow}: one set of language services, made at the
 * first check (building a parser takes most of a second), and one check at a time on it.
 */
export function createFlowAuthoring(): { check(request: GeneratedFlowRequest, signal: AbortSignal): Promise<GeneratedFlowVerdict> } {
  let services: BatonServicesPair | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    check: (request) => {
      const next = queue.then(() => checkGeneratedFlow(request, (services ??= createBatonCheckerServices(EmptyFileSystem))));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

// the checker's services (baton-core-module.ts): the language server's are not needed to check a flow, nor loaded
type BatonServicesPair = BatonCheckerServices;

/** The one line put before the agent's text so its flow sees the generating file's declarations, as an import would. */
function importLine(from: string, to: string): string {
  return `import ${JSON.stringify(`./${path.relative(path.dirname(from), to).split(path.sep).join('/')}`)}\n`;
}

/**
 * Checks flow source an agent wrote against `request.policy`, the way `baton check` checks a file (on `services`,
 * whose documents it removes again):
 * 1. at most `maxSteps` `step`s, counted on the raw text before anything is parsed (a 10,000-step flow is refused
 *    at once: `generate-too-many-steps`);
 * 2. the text alone parsed: one `flow` and nothing else — no `import` (`generate-import`), agents, tests, events or
 *    types (`generate-declaration`), no triggers (`generate-trigger`), exactly one flow (`generate-one-flow`);
 * 3. the flow built (parsed, linked, validated) in a document beside the generating file that imports it: every
 *    error of the checker, at its line and column in the agent's text;
 * 4. the compiled flow: its steps and compensations call only the policy's agents (`generate-undeclared-agent`)
 *    and flows (`generate-undeclared-flow`), those agents have only the policy's tools (`generate-undeclared-tool`),
 *    no step generates again (`generate-nested`), its name is new (`generate-name-taken`), its inputs are among
 *    the policy's `input` and it declares the policy's `output` with fitting types (`generate-signature`).
 */
export async function checkGeneratedFlow(request: GeneratedFlowRequest, services: BatonServicesPair = createBatonCheckerServices(EmptyFileSystem)): Promise<GeneratedFlowVerdict> {
  const counted = countSteps(request.source, request.policy.maxSteps);
  if (counted) return refuse([counted]);
  const documents = services.shared.workspace.LangiumDocuments;
  try {
    return await checkBuilt(request, services);
  } finally {
    // the services serve the next check: nothing of this one stays
    for (const d of [...documents.all]) documents.deleteDocument(d.uri);
  }
}

async function checkBuilt(request: GeneratedFlowRequest, services: BatonServicesPair): Promise<GeneratedFlowVerdict> {
  const { source, policy } = request;
  const { LangiumDocumentFactory: factory, LangiumDocuments: documents, DocumentBuilder: builder } = services.shared.workspace;
  // 2. the text on its own: what it declares
  const alone = factory.fromString(source, URI.file(path.join(path.dirname(request.file), '.generated-alone.flow')));
  const structure = structureProblems(alone);
  if (structure.length > 0) return refuse(structure);
  const flowDecl = (alone.parseResult.value as ast.Document).elements.find(ast.isFlowDecl)!;
  // 3. the flow beside the generating file, importing it
  for (const s of withGeneratingFile(request)) documents.addDocument(factory.fromString(s.text, URI.file(s.file)));
  const file = path.join(path.dirname(request.file), `${flowDecl.name}.generated.flow`);
  const prefix = importLine(file, request.file);
  const text = prefix + source;
  const generated = factory.fromString(text, URI.file(file));
  documents.addDocument(generated);
  await builder.build([...documents.all], { validation: true });
  const errors = (generated.diagnostics ?? [])
    .filter((d) => d.severity === 1)
    .map((d) => ({ line: Math.max(1, d.range.start.line), column: d.range.start.character + 1, code: String(d.code ?? (d.data as { code?: string } | undefined)?.code ?? 'error'), message: d.message }));
  if (errors.length > 0) return refuse(errors);
  const visible = visibleDocuments(generated, documents);
  const definition = services.Baton.ir.WorkflowBuilder.build([generated, ...visible.filter((d) => d !== generated)]);
  // 4. the policy on the compiled flow
  const flow = definition.flows[flowDecl.name];
  const taken = visible.some((d) => d !== generated && (d.parseResult.value as ast.Document).elements.some((e) => ast.isFlowDecl(e) && e.name === flowDecl.name));
  const problems = taken ? [at(flow.range, 'generate-name-taken', `a flow named ${flow.name} already exists in the workspace; give the generated flow another name`)] : policyProblems(flow, definition, policy);
  if (problems.length > 0) return refuse(problems);
  const texts = [{ file, text }, ...withGeneratingFile(request).filter((s) => definition.files.includes(s.file))];
  return { ok: true, definition, flow: flow.name, sources: texts };
}

/** The request's texts, and the generating file's from disk when they lack it (a definition compiled without its texts). */
function withGeneratingFile(request: GeneratedFlowRequest): readonly AuthoringSource[] {
  if (request.sources.some((s) => s.file === request.file)) return request.sources;
  try {
    return [...request.sources, { file: request.file, text: readFileSync(request.file, 'utf8') }];
  } catch {
    return request.sources; // then its names are unknown to the flow: the checker says which
  }
}

function refuse(diagnostics: GeneratedFlowDiagnostic[]): GeneratedFlowVerdict {
  return { ok: false, diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.column - b.column) };
}

/** A diagnostic at an IR range of the generated document (whose first line is the added import). */
function at(range: SourceRange, code: string, message: string): GeneratedFlowDiagnostic {
  return { line: Math.max(1, range.start.line - 1), column: range.start.column, code, message };
}

/** `generate-too-many-steps` at the first step past `max`, found by a scan of the text (nothing parsed yet). */
function countSteps(source: string, max: number): GeneratedFlowDiagnostic | undefined {
  const pattern = /(^|[\s{};])step\s+[A-Za-z_]\w*\s*:/g;
  let count = 0;
  for (let m = pattern.exec(source); m; m = pattern.exec(source)) {
    if (++count <= max) continue;
    const offset = m.index + m[1].length;
    const before = source.slice(0, offset);
    const line = before.split('\n').length;
    let total = count;
    while (pattern.exec(source)) total++;
    return { line, column: offset - before.lastIndexOf('\n'), code: 'generate-too-many-steps', message: `the flow has ${total} steps; the policy allows at most ${max} (max_steps)` };
  }
  return undefined;
}

/** What the text declares besides one flow, and its triggers. */
function structureProblems(alone: LangiumDocument): GeneratedFlowDiagnostic[] {
  const doc = alone.parseResult.value as ast.Document;
  const pos = (node: { $cstNode?: { range: { start: { line: number; character: number } } } }): { line: number; column: number } => ({
    line: (node.$cstNode?.range.start.line ?? 0) + 1,
    column: (node.$cstNode?.range.start.character ?? 0) + 1,
  });
  const problems: GeneratedFlowDiagnostic[] = [];
  for (const imp of doc.imports) problems.push({ ...pos(imp), code: 'generate-import', message: `a generated flow may not import files (import "${imp.path}"); it sees the agents and flows its policy allows` });
  const flows = doc.elements.filter(ast.isFlowDecl);
  for (const e of doc.elements) {
    if (ast.isFlowDecl(e)) {
      for (const t of e.members.filter(ast.isTrigger)) problems.push({ ...pos(t), code: 'generate-trigger', message: `a generated flow may not have triggers (trigger ${t.kind}): it runs only as the step that runs it` });
    } else {
      const what = ast.isAgentDecl(e) ? `agent ${e.name}` : ast.isTestDecl(e) ? `test ${JSON.stringify(e.name)}` : ast.isEventDecl(e) ? `event ${JSON.stringify(e.name)}` : `type ${(e as ast.TypeDecl).name}`;
      problems.push({ ...pos(e), code: 'generate-declaration', message: `a generated flow may declare only the flow itself, not ${what}; use the agents and flows its policy allows` });
    }
  }
  if (flows.length !== 1) problems.push({ line: 1, column: 1, code: 'generate-one-flow', message: `write exactly one flow (\`flow Name { … }\`); found ${flows.length}` });
  const syntax = [...alone.parseResult.lexerErrors.map((e) => ({ line: e.line ?? 1, column: e.column ?? 1, message: e.message })), ...alone.parseResult.parserErrors.map((e) => ({ line: e.token.startLine ?? 1, column: e.token.startColumn ?? 1, message: e.message }))];
  for (const e of syntax) problems.push({ line: e.line, column: e.column, code: 'parse-error', message: e.message });
  return problems;
}

/** The policy's rules on the compiled flow (see {@link checkGeneratedFlow}, step 4). */
function policyProblems(flow: FlowDef, definition: WorkflowDefinition, policy: GeneratePolicy): GeneratedFlowDiagnostic[] {
  const problems: GeneratedFlowDiagnostic[] = [];
  const agents = new Set(policy.agents);
  const flows = new Set(policy.flows);
  const tools = new Set(policy.tools);
  const list = (names: Set<string>): string => (names.size > 0 ? [...names].join(', ') : 'none');
  const checkAgent = (name: string, range: SourceRange): void => {
    if (!agents.has(name)) {
      problems.push(at(range, 'generate-undeclared-agent', `agent ${name} is not one the policy allows (agents: ${list(agents)})`));
      return;
    }
    for (const tool of definition.agents[name]?.tools ?? []) {
      if (!tools.has(tool.name)) problems.push(at(range, 'generate-undeclared-tool', `agent ${name} has tool ${tool.name}, which the policy does not allow (tools: ${list(tools)})`));
    }
  };
  forEachStatement(flow.body, (s) => {
    if (s.kind !== 'step') return;
    if (s.generate || s.target.kind === 'generated') problems.push(at(s.range, 'generate-nested', `step ${s.name}: a generated flow may not generate or run generated flows`));
    else if (s.target.kind === 'agent') checkAgent(s.target.name, s.range);
    else if (!flows.has(s.target.name)) problems.push(at(s.range, 'generate-undeclared-flow', `flow ${s.target.name} is not one the policy allows (flows: ${list(flows)})`));
    if (s.compensate) checkAgent(s.compensate.agent, s.compensate.range);
  });
  problems.push(...signatureProblems(flow, policy));
  return problems;
}

/** The flow's inputs among the policy's `input` fields (types fitting); the policy's `output` fields among its outputs. */
function signatureProblems(flow: FlowDef, policy: GeneratePolicy): GeneratedFlowDiagnostic[] {
  const problems: GeneratedFlowDiagnostic[] = [];
  const fields = (t: TypeRef | undefined): Map<string, TypeRef> => new Map(t?.kind === 'record' ? t.fields.map((f) => [f.name, f.type]) : []);
  if (policy.input) {
    const given = fields(policy.input);
    for (const input of flow.inputs) {
      const type = given.get(input.name);
      if (!type && input.default === undefined) problems.push(at(flow.range, 'generate-signature', `input ${input.name} is not one the run step gives (input: ${[...given.keys()].join(', ') || 'none'})`));
      else if (type && !typeFits(type, input.type)) problems.push(at(flow.range, 'generate-signature', `input ${input.name} does not take what the run step gives`));
    }
  }
  if (policy.output) {
    const declared = new Map(flow.outputs.map((o) => [o.name, o.type]));
    for (const [name, type] of fields(policy.output)) {
      const own = declared.get(name);
      if (!own) problems.push(at(flow.range, 'generate-signature', `the flow must declare \`output ${name}\` (the policy's output)`));
      else if (!typeFits(own, type)) problems.push(at(flow.range, 'generate-signature', `output ${name}'s type does not fit the policy's output`));
    }
  }
  return problems;
}
