import * as vscode from 'vscode';
import type { FlowInputInfo, JsonValue } from '@baton/protocol';
import { initialText, parseInput, promptKind } from './run-inputs.js';

/**
 * Asks for `inputs` one by one with typed prompts: a quick pick for booleans and string-literal unions,
 * an input box validated by the declared type for the rest; each prefilled with the value last used for
 * the flow or the default. An empty box keeps the default (when there is one).
 * @returns the values given (inputs left to their default are omitted), or undefined when cancelled.
 */
export async function promptForInputs(flow: string, inputs: FlowInputInfo[], remembered: Record<string, JsonValue> | undefined): Promise<Record<string, JsonValue> | undefined> {
  const values: Record<string, JsonValue> = {};
  for (const [index, input] of inputs.entries()) {
    const title = `Run ${flow}: ${input.name} (${index + 1}/${inputs.length})`;
    const initial = initialText(input, remembered);
    const kind = promptKind(input.typeRef);
    if (kind.kind === 'choice') {
      const items = kind.options.map((o) => ({ label: o, description: o === input.default ? 'default' : o === initial ? 'last used' : undefined }));
      items.sort((a, b) => (a.label === initial ? -1 : b.label === initial ? 1 : 0));
      const picked = await vscode.window.showQuickPick(items, { title, placeHolder: `${input.name}: ${input.type}`, ignoreFocusOut: true });
      if (!picked) return undefined;
      const parsed = parseInput(picked.label, input.typeRef);
      if (parsed.ok) values[input.name] = parsed.value;
      continue;
    }
    const text = await vscode.window.showInputBox({
      title,
      prompt: `${input.name}: ${input.type}${input.default !== undefined ? ` (default ${input.default})` : ''}${kind.kind === 'json' ? ' — as JSON' : ''}`,
      value: initial,
      placeHolder: input.default,
      ignoreFocusOut: true,
      validateInput: (t) => {
        if (t === '' && input.default !== undefined) return undefined;
        const parsed = parseInput(t, input.typeRef);
        return parsed.ok ? undefined : parsed.message;
      },
    });
    if (text === undefined) return undefined;
    if (text === '' && input.default !== undefined) continue;
    const parsed = parseInput(text, input.typeRef);
    if (parsed.ok) values[input.name] = parsed.value;
  }
  return values;
}
