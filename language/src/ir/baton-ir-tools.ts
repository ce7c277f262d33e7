// An agent's `tools: [...]` as the IR's ToolDefs (protocol/tools.ts): the name the model calls each by, what it calls,
// the description and argument schema the model is given, and its approval and idempotency.
import type { ToolApproval, ToolDef, ToolTarget } from '@baton/protocol';
import { agentToolInputSchema, flowToolInputSchema, mcpToolName } from '@baton/protocol';
import * as ast from '../generated/ast.js';
import { docComment } from '../baton-doc-comments.js';
import { parseDuration } from '../baton-value-converter.js';
import { toTypeRef } from '../baton-types.js';
import { constantValue, rangeOf } from './baton-ir-expressions.js';

/** What a tool entry calls (`undefined`: an agent or flow name that does not resolve — the linker reports it). */
export function toolTarget(entry: ast.ToolEntry): ToolTarget | undefined {
  if (entry.isMcp) return entry.server && entry.tool ? { kind: 'mcp', server: entry.server, tool: entry.tool } : undefined;
  const target = entry.target?.ref;
  if (ast.isAgentDecl(target)) return { kind: 'agent', name: target.name };
  if (ast.isFlowDecl(target)) return { kind: 'flow', name: target.name };
  return undefined;
}

/** The model-facing name of a tool entry (see ToolDef.name); `undefined` when it does not resolve. */
export function toolName(entry: ast.ToolEntry): string | undefined {
  const target = toolTarget(entry);
  if (!target) return undefined;
  return target.kind === 'mcp' ? mcpToolName(target.server, target.tool) : target.name;
}

/**
 * The `{ … }` settings of a tool entry: `approval` (`approval: "finance"` / `approval: true`, with
 * `approval_timeout:`) and `idempotent`. An `approval_timeout` without `approval` is the checker's error and ignored here.
 */
export function toolSettings(entry: ast.ToolEntry): { approval?: ToolApproval; idempotent?: boolean } {
  const settings: { approval?: ToolApproval; idempotent?: boolean } = {};
  const approval = entry.properties.find(ast.isToolApprovalProperty);
  const timeout = entry.properties.find(ast.isToolApprovalTimeoutProperty);
  if (approval && (approval.value || approval.assignee !== undefined)) {
    settings.approval = {};
    if (approval.assignee !== undefined) settings.approval.assignee = approval.assignee;
    const ms = timeout && typeof timeout.value?.value === 'string' ? parseDuration(timeout.value.value) : undefined;
    if (ms !== undefined) settings.approval.timeoutMs = ms;
  }
  const idempotent = entry.properties.find(ast.isIdempotentProperty);
  if (idempotent) settings.idempotent = idempotent.value;
  return settings;
}

/**
 * The tools of `tools: [...]` in source order; entries that do not resolve are left out (the checker reports them).
 */
export function toolDefs(property: ast.ToolsProperty): ToolDef[] {
  return property.tools.flatMap((entry) => toolDef(entry) ?? []);
}

/**
 * One tool entry as the model is given it (`undefined` when it does not resolve). An agent tool takes
 * `{ prompt, input? }`, a flow tool its inputs; an MCP tool's schema and description come from its server at run
 * time. `idempotent` is the entry's own, else `false` when the called agent says `idempotent: false`.
 */
export function toolDef(entry: ast.ToolEntry): ToolDef | undefined {
  const target = toolTarget(entry);
  const name = toolName(entry);
  if (!target || !name) return undefined;
  const tool: ToolDef = { name, target, range: rangeOf(entry) };
  const decl = entry.target?.ref;
  if (ast.isAgentDecl(decl)) {
    const description = docComment(decl);
    if (description) tool.description = description;
    tool.inputSchema = agentToolInputSchema();
  } else if (ast.isFlowDecl(decl)) {
    const description = docComment(decl);
    if (description) tool.description = description;
    const inputs = decl.members.filter(ast.isInputDecl).map((i) => (i.default ? { name: i.name, type: toTypeRef(i.type), default: constantValue(i.default) } : { name: i.name, type: toTypeRef(i.type) }));
    tool.inputSchema = flowToolInputSchema(inputs);
  }
  const { approval, idempotent } = toolSettings(entry);
  if (approval) tool.approval = approval;
  if (idempotent !== undefined) tool.idempotent = idempotent;
  else if (ast.isAgentDecl(decl) && decl.properties.some((p) => ast.isIdempotentProperty(p) && !p.value)) tool.idempotent = false;
  return tool;
}
