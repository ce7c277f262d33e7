import type { ValidationAcceptor } from 'langium';
import { AstUtils, GrammarUtils } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import { MAX_TURNS_LIMIT, STUB_ONLY_FUNCTIONS, checkValue, describeType, type TypeRef } from '@baton/protocol';
import { IssueCodes } from './baton-issue-codes.js';
import { mcpServersFor } from './baton-mcp-config.js';
import { didYouMean, suggestionText } from './baton-names.js';
import { toTypeRef } from './baton-types.js';
import { constantValue, isConstant } from './ir/baton-ir-expressions.js';
import { toolName } from './ir/baton-ir-tools.js';
import * as ast from './generated/ast.js';
import { someSubtreeNode } from './baton-ast-walk.js';

/** Providers whose agents answer in one call, with no tool loop (`http/…`, `command/…`). */
const NO_TOOL_LOOP_PROVIDERS = ['http', 'command'];

/**
 * Checks of tools for agents (docs/language.md, "Tools"): an agent's `tools: [...]` and `max_turns:`, and the
 * `turns(…)` / `call(…)` scripts of its stubs. Every diagnostic has a code from `IssueCodes` and the range of the part
 * that is wrong: a tool entry's name (`LookupOrder`, `mcp.crm.search`), a setting, or a script's argument.
 */
export class BatonToolChecks {
  /**
   * An agent's tools: `tools-need-model-agent`, `duplicate-tool`, `tool-recursion`, `tool-input-not-schemable`,
   * `unknown-mcp-server`, `tool-timeout-without-approval` (errors) and `tool-unguarded-effect` (a warning).
   */
  checkAgentTools = (agent: ast.AgentDecl, accept: ValidationAcceptor): void => {
    const property = agent.properties.find(ast.isToolsProperty);
    if (!property) return;
    const provider = agent.properties.find(ast.isModelProperty)?.value?.split('/', 1)[0];
    if (provider && NO_TOOL_LOOP_PROVIDERS.includes(provider)) {
      accept('error', `agent \`${agent.name}\` is ${provider === 'http' ? 'an' : 'a'} ${provider} agent: it answers in one call and cannot use tools — give tools to an agent with a model (openai, anthropic, ollama)`, { node: property, property: 'key', code: IssueCodes.ToolsNeedModelAgent });
    }
    const seen = new Set<string>();
    for (const entry of property.tools) {
      const name = toolName(entry);
      if (name !== undefined) {
        if (seen.has(name)) accept('error', `the model would call two tools \`${name}\`: list each once`, { node: entry, range: entryNameRange(entry), code: IssueCodes.DuplicateTool });
        seen.add(name);
      }
      this.checkEntry(agent, entry, accept);
    }
  };

  private checkEntry(agent: ast.AgentDecl, entry: ast.ToolEntry, accept: ValidationAcceptor): void {
    const range = entryNameRange(entry);
    const target = entry.target?.ref;
    if (ast.isAgentDecl(target)) {
      const path = agentToolPath(target, agent);
      if (path) {
        const through = path.length > 1 ? ` through ${path.slice(0, -1).map((a) => `\`${a.name}\``).join(', ')}` : '';
        accept('error', `agent \`${agent.name}\` would call itself${through}: an agent cannot be among its own tools`, { node: entry, range, code: IssueCodes.ToolRecursion });
      }
    }
    if (ast.isFlowDecl(target)) {
      for (const input of target.members.filter(ast.isInputDecl)) {
        const recursive = recursiveTypeName(input.type);
        if (recursive) {
          accept('error', `flow \`${target.name}\` cannot be a tool: its input \`${input.name}\` has the recursive type \`${recursive}\`, which has no JSON Schema to give the model`, { node: entry, range, code: IssueCodes.ToolInputNotSchemable });
        }
      }
    }
    if (entry.isMcp && entry.server) this.checkMcpServer(entry, accept);
    const approval = entry.properties.find(ast.isToolApprovalProperty);
    const timeout = entry.properties.find(ast.isToolApprovalTimeoutProperty);
    if (timeout && !approval) {
      accept('error', '`approval_timeout` needs `approval: "<who decides>"` (or `approval: true`) on this tool: there is no approval to time out', { node: timeout, property: 'key', code: IssueCodes.ToolTimeoutWithoutApproval });
    }
    const own = entry.properties.find(ast.isIdempotentProperty);
    const effect = target ? sideEffect(target) : undefined;
    if (effect && !approval && !own) {
      accept('warning', `tool \`${target!.name}\` may do its work twice (${effect}): the model may call it again — add \`{ approval: "<who decides>" }\` so a person decides each call, or \`{ idempotent: false }\` to say you accept that`, { node: entry, range, code: IssueCodes.ToolUnguardedEffect });
    }
  }

  private checkMcpServer(entry: ast.ToolEntry, accept: ValidationAcceptor): void {
    const server = entry.server;
    if (!server) return;
    const document = AstUtils.getDocument(entry);
    if (document.uri.scheme !== 'file') return;
    const config = mcpServersFor(document.uri.fsPath);
    if (!config || config.servers.includes(server)) return;
    const node = GrammarUtils.findNodeForProperty(entry.$cstNode, 'server');
    const where = { node: entry, ...(node ? { range: node.range } : {}), code: IssueCodes.UnknownMcpServer };
    if (!config.file) {
      accept('warning', `no baton.config.json at or above this file configures MCP server \`${entry.server}\`: add it under \`mcp.servers\` (docs/mcp.md)`, where);
      return;
    }
    const known = config.servers.length ? `; it configures ${config.servers.map((s) => `\`${s}\``).join(', ')}` : '; it configures none';
    accept('error', `unknown MCP server \`${entry.server}\`: ${config.file} has no \`mcp.servers.${entry.server}\`${suggestionText(didYouMean(server, config.servers)) || known}`, where);
  }

  /** `max_turns:` a whole number from 1 to {@link MAX_TURNS_LIMIT} (`max-turns-out-of-range`, on the number). */
  checkMaxTurns = (node: ast.MaxTurnsProperty, accept: ValidationAcceptor): void => {
    const n = node.value?.value;
    if (n === undefined) return;
    if (!Number.isInteger(n) || n < 1 || n > MAX_TURNS_LIMIT) {
      accept('error', `max_turns must be a whole number from 1 to ${MAX_TURNS_LIMIT}, not ${n}`, { node: node.value, code: IssueCodes.MaxTurnsOutOfRange });
    }
  };

  /**
   * `turns(…)` and `call(…)`: only in an agent's stub (`stub:`, a test's `stub Agent:`), `turns` as a stub value and
   * `call` as an item of one of its turns (`invalid-stub-script`); a call names a tool of the agent
   * (`stub-call-unknown-tool`) with arguments that fit the tool (`type-mismatch`).
   */
  checkStubScript = (call: ast.FunctionCall, accept: ValidationAcceptor): void => {
    if (!STUB_ONLY_FUNCTIONS.has(call.function)) return;
    const stub = AstUtils.getContainerOfType(call, (n): n is ast.StubProperty | ast.TestStubProperty => ast.isStubProperty(n) || ast.isTestStubProperty(n));
    if (!stub) {
      accept('error', `\`${call.function}(…)\` makes a stub agent's tool-loop script: it may only be used in an agent's \`stub:\` (or a test's \`stub Agent:\`)`, { node: call, property: 'function', code: IssueCodes.InvalidStubScript });
      return;
    }
    if (call.function === 'turns') this.checkTurns(call, stub, accept);
    else this.checkCall(call, stub, accept);
  };

  private checkTurns(call: ast.FunctionCall, stub: ast.StubProperty | ast.TestStubProperty, accept: ValidationAcceptor): void {
    const parent = call.$container;
    const isStubItem = parent === stub || (ast.isListLiteral(parent) && parent.$container === stub);
    if (!isStubItem) {
      accept('error', '`turns(…)` is a whole stub value (`stub: turns(…)`, or one item of a stub\'s list per call), not part of one', { node: call, property: 'function', code: IssueCodes.InvalidStubScript });
      return;
    }
    call.args.forEach((arg, i) => {
      if (i === call.args.length - 1) {
        if (ast.isFunctionCall(arg) && STUB_ONLY_FUNCTIONS.has(arg.function)) {
          accept('error', '`turns(…)`\'s last argument is the final output, not a call: end the script with the value the agent answers', { node: arg, code: IssueCodes.InvalidStubScript });
        }
      } else if (!ast.isListLiteral(arg) || arg.items.some((item) => !ast.isFunctionCall(item) || item.function !== 'call')) {
        accept('error', `turn ${i + 1} must be a list of \`call("<tool>", { … })\` — the calls the model makes at once; only the last argument is the final output`, { node: arg, code: IssueCodes.InvalidStubScript });
      }
    });
  }

  private checkCall(call: ast.FunctionCall, stub: ast.StubProperty | ast.TestStubProperty, accept: ValidationAcceptor): void {
    const turn = call.$container;
    const script = turn?.$container;
    if (!ast.isListLiteral(turn) || !ast.isFunctionCall(script) || script.function !== 'turns') {
      accept('error', '`call(…)` is a tool call of a turn: write it in a list inside `turns(…)`, e.g. `turns([call("Lookup", { prompt: "…" })], "done")`', { node: call, property: 'function', code: IssueCodes.InvalidStubScript });
      return;
    }
    const [nameArg, argsArg] = call.args;
    if (!nameArg) return; // wrong-argument-count
    if (!ast.isStringLiteral(nameArg)) {
      accept('error', 'the tool\'s name in `call(…)` must be a string: `call("LookupOrder", { … })`', { node: nameArg, code: IssueCodes.InvalidStubScript });
      return;
    }
    const agent = ast.isStubProperty(stub) ? stub.$container : stub.agent?.ref;
    if (!agent) return;
    const entries = agent.properties.find(ast.isToolsProperty)?.tools ?? [];
    const names = new Map<string, ast.ToolEntry>();
    for (const entry of entries) {
      const name = toolName(entry);
      if (name !== undefined && !names.has(name)) names.set(name, entry);
    }
    const entry = names.get(nameArg.value);
    if (!entry) {
      const known = names.size ? `; its tools are ${[...names.keys()].map((n) => `\`${n}\``).join(', ')}` : '; it has no `tools`';
      const hint = didYouMean(nameArg.value, names.keys());
      accept('error', `agent \`${agent.name}\` has no tool \`${nameArg.value}\`${hint ? suggestionText(hint) : known}`, { node: nameArg, code: IssueCodes.StubCallUnknownTool, data: { code: IssueCodes.StubCallUnknownTool, ...(hint ? { replacement: JSON.stringify(hint) } : {}) } });
      return;
    }
    const args = argsArg && isConstant(argsArg) ? constantValue(argsArg) : argsArg ? undefined : {};
    const type = toolArgumentsType(entry);
    if (args === undefined || !type) return;
    const problem = checkValue(args, type) ?? extraField(args, type);
    if (problem) accept('error', `tool \`${nameArg.value}\` takes ${describeType(type)}: ${problem}`, { node: argsArg ?? call, ...(argsArg ? {} : { property: 'function' }), code: IssueCodes.TypeMismatch });
  }
}

/** The part of a tool entry that names it: the agent or flow name, or `mcp.<server>.<tool>` (without its `{ … }`). */
export function entryNameRange(entry: ast.ToolEntry): Range | undefined {
  const cst = entry.$cstNode;
  if (!cst) return undefined;
  if (!entry.isMcp) return GrammarUtils.findNodeForProperty(cst, 'target')?.range ?? cst.range;
  const last = GrammarUtils.findNodeForProperty(cst, 'tool') ?? GrammarUtils.findNodeForProperty(cst, 'server');
  return { start: cst.range.start, end: last?.range.end ?? cst.range.end };
}

/**
 * The agents through which `agent`'s tools lead back to `root` (`[agent, …]`; `[agent]` when `agent` is `root`), or
 * `undefined` when they never do. Follows agent tools only.
 */
function agentToolPath(agent: ast.AgentDecl, root: ast.AgentDecl, seen = new Set<ast.AgentDecl>()): ast.AgentDecl[] | undefined {
  if (agent === root) return [agent];
  if (seen.has(agent)) return undefined;
  seen.add(agent);
  for (const entry of agent.properties.find(ast.isToolsProperty)?.tools ?? []) {
    const next = entry.target?.ref;
    if (!ast.isAgentDecl(next)) continue;
    const rest = agentToolPath(next, root, seen);
    if (rest) return [agent, ...rest];
  }
  return undefined;
}

/** The name of a named type that a type refers back to itself through, if any. */
function recursiveTypeName(type: ast.TypeExpr | undefined, expanding: Set<ast.TypeDecl> = new Set()): string | undefined {
  if (!type) return undefined;
  switch (type.$type) {
    case 'ListTypeExpr':
      return recursiveTypeName(type.element, expanding);
    case 'UnionTypeExpr':
      for (const t of type.types) {
        const found = recursiveTypeName(t, expanding);
        if (found) return found;
      }
      return undefined;
    case 'RecordType':
      for (const f of type.fields) {
        const found = recursiveTypeName(f.type, expanding);
        if (found) return found;
      }
      return undefined;
    case 'TypeReference': {
      const decl = type.ref?.ref;
      if (!decl) return undefined;
      if (expanding.has(decl)) return decl.name;
      expanding.add(decl);
      try {
        return recursiveTypeName(decl.type, expanding);
      } finally {
        expanding.delete(decl);
      }
    }
    default:
      return undefined;
  }
}

/** Why calling an agent or flow may repeat an effect (it, or an agent a step of it calls, says `idempotent: false`), if it may. */
function sideEffect(target: ast.AgentDecl | ast.FlowDecl): string | undefined {
  const agent = ast.isAgentDecl(target) ? (notIdempotent(target) ? target : undefined) : effectAgent(target, new Set());
  if (!agent) return undefined;
  return agent === target ? `agent \`${agent.name}\` says \`idempotent: false\`` : `flow \`${target.name}\` calls agent \`${agent.name}\`, which says \`idempotent: false\``;
}

/** An agent that says `idempotent: false` among those the steps of `flow` (and of the flows they call) call. */
function effectAgent(flow: ast.FlowDecl, seen: Set<ast.FlowDecl>): ast.AgentDecl | undefined {
  if (seen.has(flow)) return undefined;
  seen.add(flow);
  const steps: ast.Step[] = [];
  someSubtreeNode(flow, (node) => {
    if (ast.isStep(node)) steps.push(node);
  });
  for (const step of steps) {
    const called = step.target?.ref;
    if (ast.isAgentDecl(called) && notIdempotent(called)) return called;
    if (ast.isFlowDecl(called)) {
      const found = effectAgent(called, seen);
      if (found) return found;
    }
  }
  return undefined;
}

function notIdempotent(agent: ast.AgentDecl): boolean {
  return agent.properties.some((p) => ast.isIdempotentProperty(p) && !p.value);
}

/** The type a tool's arguments must fit: an agent's `{ prompt: string, input?: any }`, a flow's inputs; none for MCP. */
function toolArgumentsType(entry: ast.ToolEntry): TypeRef | undefined {
  const target = entry.target?.ref;
  if (ast.isAgentDecl(target)) {
    return { kind: 'record', fields: [{ name: 'prompt', type: { kind: 'string' }, optional: false }, { name: 'input', type: { kind: 'any' }, optional: true }] };
  }
  if (ast.isFlowDecl(target)) {
    return { kind: 'record', fields: target.members.filter(ast.isInputDecl).map((i) => ({ name: i.name, type: toTypeRef(i.type), optional: i.default !== undefined })) };
  }
  return undefined;
}

/** A field of `value` that record type `type` does not have (the tool's schema allows no others). */
function extraField(value: unknown, type: TypeRef): string | undefined {
  if (type.kind !== 'record' || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const extra = Object.keys(value).find((k) => !type.fields.some((f) => f.name === k));
  return extra === undefined ? undefined : `it has no field ${extra}`;
}
