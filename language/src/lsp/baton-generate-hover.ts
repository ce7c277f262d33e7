import { AstUtils, GrammarAST, type CstNode } from 'langium';
import { DEFAULT_GENERATE_REPAIRS, DEFAULT_GENERATED_STEPS, MAX_GENERATE_REPAIRS, MAX_GENERATED_STEPS, type GENERATE_KEYS } from '@baton/protocol';
import * as ast from '../generated/ast.js';

/** What one key of a `generate { … }` policy does, the value it takes and what holds without it. */
export interface GenerateKeyDoc {
  /** What the key does, one sentence. */
  what: string;
  /** The value it takes, as written (`[Agent, …]`, `a whole number from 1 to 1000`, `a record type`). */
  takes: string;
  /** What holds when the policy does not give the key. */
  default: string;
}

/**
 * The keys of a `generate { … }` policy (docs/agents.md, Flows written by agents), for hover and completion: the same
 * keys as `GENERATE_KEYS` (a key added there without a text here fails to compile).
 */
export const GENERATE_KEY_DOCS: Record<keyof typeof GENERATE_KEYS, GenerateKeyDoc> = {
  agents: {
    what: "the agents the written flow's steps (and their compensations) may call; a step calling another is refused (`generate-undeclared-agent`)",
    takes: '`[Agent, …]` — agents of this file or its imports',
    default: '`[]`: no agent',
  },
  flows: {
    what: 'the flows of the workspace (templates) the written flow may call as sub-flows (`generate-undeclared-flow`)',
    takes: '`[Flow, …]` — flows of this file or its imports',
    default: '`[]`: no flow',
  },
  tools: {
    what: 'the tools the allowed agents may have: an allowed agent with another tool is refused (`generate-undeclared-tool`)',
    takes: '`["name", …]` — tool names as the model calls them',
    default: '`[]`: the allowed agents may have no tools',
  },
  max_steps: {
    what: 'the most `step`s the written flow may have, counted on its text before it is parsed (`generate-too-many-steps`)',
    takes: `a whole number from 1 to ${MAX_GENERATED_STEPS}`,
    default: String(DEFAULT_GENERATED_STEPS),
  },
  budget_tokens: {
    what: "the written flow's own token budget when `run` runs it (the lower of this and the flow's own `budget tokens`; past it, `BUDGET_EXCEEDED`)",
    takes: 'a whole number of at least 1 (tokens)',
    default: "none: only the run's budget bounds it",
  },
  repairs: {
    what: 'how many times a refused answer\'s diagnostics go back to the agent for a new attempt; when none checks, the step fails `FLOW_REJECTED`',
    takes: `a whole number from 0 to ${MAX_GENERATE_REPAIRS}`,
    default: String(DEFAULT_GENERATE_REPAIRS),
  },
  input: {
    what: "the inputs the `run` step gives: the written flow's inputs (those without a default) must be among these fields, types fitting (`generate-signature`)",
    takes: 'a record type, `{ request: string, … }`',
    default: "none: the `run` step gives no inputs, and the written flow's are not checked",
  },
  output: {
    what: 'the outputs the `run` step reads: the written flow must declare these fields, types fitting (`generate-signature`); the `run` step\'s output has this type',
    takes: 'a record type, `{ summary: string, … }`',
    default: "none: the `run` step's output is not typed (`any`) and the written flow's outputs are not checked",
  },
};

/** The Markdown of `key`'s {@link GenerateKeyDoc} (undefined for a key a policy does not have). */
export function generateKeyMarkdown(key: string): string | undefined {
  const doc = Object.hasOwn(GENERATE_KEY_DOCS, key) ? GENERATE_KEY_DOCS[key as keyof typeof GENERATE_KEYS] : undefined;
  return doc && `**generate** \`${key}\`: ${doc.what}.  \ntakes: ${doc.takes}  \ndefault: ${doc.default}`;
}

/**
 * Hovers of flows written by agents: a key of `generate { … }` ({@link generateKeyMarkdown}), the keyword `generate`
 * (the policy and its keys), and the keyword `run` of `step s: run plan` (what it runs). Undefined elsewhere.
 * @param leaf the token hovered (its AST node and text).
 */
export function generateHover(leaf: CstNode): string | undefined {
  const { astNode: node, text } = leaf;
  // a keyword of the rule itself: not the same word as a name (`step run: run plan`; RefName takes `run`)
  const source = leaf.grammarSource;
  const ownKeyword = (rule: string): boolean => GrammarAST.isKeyword(source) && AstUtils.getContainerOfType(source, GrammarAST.isParserRule)?.name === rule;
  if (ast.isGenerateEntry(node) && text === node.key) return generateKeyMarkdown(node.key) ?? `**generate** \`${text}\`: not a key of a policy (${Object.keys(GENERATE_KEY_DOCS).map((k) => `\`${k}\``).join(', ')})`;
  if (ast.isGenerateProperty(node) && ownKeyword('GenerateProperty') && text === 'generate') {
    return `**generate** \`{ … }\`: the policy the flow this step's agent writes (\`output: flow\`) is checked against before it may run — only the listed agents, flows and tools, at most \`max_steps\` steps, no imports or triggers; refused answers go back to the agent at most \`repairs\` times. Keys: ${Object.keys(GENERATE_KEY_DOCS).map((k) => `\`${k}\``).join(', ')}. The step's output is \`{ source, flow, definition, attempts }\`; \`step s: run ${ast.isStep(node.$container) ? node.$container.name : 'plan'}\` runs the flow.`;
  }
  if (ast.isStep(node) && node.generated && ownKeyword('Step') && text === 'run') {
    const from = node.generated.ref?.name ?? node.generated.$refText;
    return `**run** \`${from}\`: runs the flow step \`${from}\` wrote and its policy accepted, as a sub-flow — loaded by its hash from the run's store (a resumed run runs the same flow), its steps keyed \`${node.name}/<step>\`; \`input:\` gives the policy's \`input\` fields, the output has the policy's \`output\` type. Fails \`FLOW_NOT_GENERATED\` when \`${from}\` did not succeed.`;
  }
  return undefined;
}
