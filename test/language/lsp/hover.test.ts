import assert from 'node:assert/strict';
import type { Hover } from 'vscode-languageserver-types';
import { checkText, services } from '../helpers.js';
import { cronHover, durationInWords } from '../../../language/src/index.js';

/** The hover at `<|>` (the marker is removed from the text). */
async function hoverAt(textWithCursor: string): Promise<string | undefined> {
  const offset = textWithCursor.indexOf('<|>');
  assert.ok(offset >= 0, 'the text marks the cursor with <|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text);
  const hover = (await services.Baton.lsp.HoverProvider!.getHoverContent(document, {
    textDocument: { uri: document.uri.toString() },
    position: document.textDocument.positionAt(offset),
  })) as Hover | undefined;
  if (!hover) return undefined;
  const contents = hover.contents as { value: string };
  return contents.value;
}

const AGENT = `/** Reads a request and classifies it. */
agent Intake {
  model: "openai/gpt-4o-mini"
  output: { severity: "LOW" | "HIGH", systems: string[] }
  stub: { severity: "LOW", systems: ["crm"] }
}
`;

describe('language server: hover', () => {
  it('an agent at its use shows its doc comment, model and output type', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  step a: Int<|>ake { prompt: "x" }\n}`);
    assert.equal(value, '**agent** `Intake`  \nmodel: `openai/gpt-4o-mini`  \noutput: `{ severity: "LOW" | "HIGH", systems: string[] }`\n\n---\n\nReads a request and classifies it.');
  });

  it("a file's header comment (a blank line before the agent) is not the agent's doc", async () => {
    const value = await hoverAt(`/** Intake and triage of requests. */\n\nagent Int<|>ake {\n  model: "openai/gpt-4o-mini"\n  stub: "x"\n}\n`);
    assert.equal(value, '**agent** `Intake`  \nmodel: `openai/gpt-4o-mini`');
  });

  it('a step read in an expression shows its target and output type', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  output s: string\n  step classify: Intake { prompt: "x" }\n  set output.s = clas<|>sify.output.severity\n}`);
    assert.equal(value, '**step** `classify` → agent `Intake`  \noutput: `{ severity: "LOW" | "HIGH", systems: string[] }`');
  });

  it('a function call shows its signature and what it does', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  let n = le<|>n("abc")\n}`);
    assert.equal(value, '`len(value: any) → number`\n\nLength of a string or list, or number of keys of a record; 0 for null.');
  });

  it('a duration shows in words', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  step a: Intake { prompt: "x" timeout: 9<|>0s }\n}`);
    assert.equal(value, '**90s** = 1 minute 30 seconds');
    assert.equal(durationInWords(2 * 86_400_000 + 3_600_000 + 500), '2 days 1 hour 500 ms');
  });

  it('a schedule shows its next three fire times', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  trigger schedule "0 9 * * 1<|>-5"\n  step a: Intake { prompt: "x" }\n}`);
    assert.match(value ?? '', /^\*\*schedule\*\* `0 9 \* \* 1-5` — next runs:\n- \d{4}-\d\d-\d\d 09:00 UTC\n- .* 09:00 UTC\n- .* 09:00 UTC$/);
    assert.equal(cronHover('0 9 * * 1-5', new Date('2026-11-20T10:00:00Z')), '**schedule** `0 9 * * 1-5` — next runs:\n- 2026-11-23 09:00 UTC\n- 2026-11-24 09:00 UTC\n- 2026-11-25 09:00 UTC');
  });

  it('an input read in a template shows its type', async () => {
    const value = await hoverAt(`${AGENT}flow F {\n  input request: string\n  step a: Intake { prompt: "\${input.requ<|>est}" }\n}`);
    assert.equal(value, '**input** `request: string`');
  });
});

describe('language server: hover on a flow shows its static worst case', () => {
  it('calls, output tokens and duration of a run at worst: 2 attempts × 1000 tokens, 2 × 30 s + the 2 s retry delay', async () => {
    const value = await hoverAt(`agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
}
flow Dr<|>aft {
  step write: Writer { prompt: "x" }
}`);
    assert.equal(value, '**flow** `Draft`  \ninputs: none  \noutputs: none  \nworst case: 2 calls, output 2,000 tokens, 1 min 2 s (`baton estimate` adds the cost and why)');
  });

  it('says unbounded when an approval has no timeout', async () => {
    const value = await hoverAt(`flow Ap<|>prove {
  approval ok { prompt: "?" }
}`);
    assert.match(value ?? '', /\nworst case: 0 calls, output 0 tokens, unbounded \(/);
  });
  it('counts a tool loop: 3 turns × 2 attempts × 1000 tokens, the step\'s 30 s timeout + the largest retry delay', async () => {
    const value = await hoverAt(`flow Pause {
  input order: number
  wait 5s
}
agent Planner {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
  tools: [Pause]
  max_turns: 3
}
flow Pl<|>an {
  step plan: Planner { prompt: "x" }
}`);
    assert.match(value ?? '', /\nworst case: 6 calls, output 6,000 tokens, 32 s \(/);
  });
});
