import { AstUtils } from 'langium';
import { formatDurationLiteral } from '@baton/protocol';
import { mcpServersFor } from '../baton-mcp-config.js';
import { toolDef } from '../ir/baton-ir-tools.js';
import type * as ast from '../generated/ast.js';

/**
 * The hover of an entry of an agent's `tools: [...]`: what the model is given for it — the name it calls the tool by,
 * what the tool is, its description and its arguments' JSON Schema — and its approval and idempotency. For an MCP
 * tool: its server (and whether the nearest baton.config.json configures it); its description and schema come from
 * the server when the step starts. Undefined for an entry that does not resolve.
 */
export function toolEntryHover(entry: ast.ToolEntry): string | undefined {
  const tool = toolDef(entry);
  if (!tool) return undefined;
  const target = tool.target;
  const what = target.kind === 'mcp' ? `tool \`${target.tool}\` of MCP server \`${target.server}\`` : target.kind === 'agent' ? `agent \`${target.name}\`` : `flow \`${target.name}\` (run as a sub-flow)`;
  const lines = [`**tool** \`${tool.name}\` — ${what}`];
  lines.push(`the model calls it \`${tool.name}\``);
  if (tool.approval) {
    const who = tool.approval.assignee ? ` by \`${tool.approval.assignee}\`` : '';
    const timeout = tool.approval.timeoutMs !== undefined ? `; refused when undecided after ${formatDurationLiteral(tool.approval.timeoutMs)}` : '';
    lines.push(`approval: each call waits for a decision${who}${timeout}`);
  }
  if (tool.idempotent === false) lines.push('idempotent: no — a repeated call may repeat its effect; one in flight when the run stopped is not made again (`TOOL_OUTCOME_UNKNOWN`)');
  if (tool.idempotent === true) lines.push('idempotent: yes — one in flight when the run stopped is made again on resume');
  if (target.kind === 'mcp') {
    const document = AstUtils.getDocument(entry);
    const config = document.uri.scheme === 'file' ? mcpServersFor(document.uri.fsPath) : undefined;
    if (config?.file) lines.push(config.servers.includes(target.server) ? `configured in \`${config.file}\`` : `**not configured** in \`${config.file}\``);
    lines.push('its description and arguments come from the server when the step starts');
    return lines.join('  \n');
  }
  const parts = [lines.join('  \n')];
  if (tool.description) parts.push(tool.description);
  if (tool.inputSchema) parts.push(`arguments (JSON Schema):\n\n\`\`\`json\n${JSON.stringify(tool.inputSchema, null, 2)}\n\`\`\``);
  return parts.join('\n\n---\n\n');
}
