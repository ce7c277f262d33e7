import type { AstNode, CstNode, LangiumDocument, MaybePromise } from 'langium';
import { AstUtils, CstUtils, isCompositeCstNode } from 'langium';
import type { SignatureHelpProvider } from 'langium/lsp';
import type { SignatureHelp, SignatureHelpOptions, SignatureHelpParams } from 'vscode-languageserver';
import { BUILTIN_FUNCTIONS_BY_NAME, describeType } from '@baton/protocol';
import * as ast from '../generated/ast.js';

/**
 * Signature help inside a built-in function call's parentheses: the signature, its one-line description
 * and the parameter under the cursor (the number of commas before it). Triggered by `(` and `,`.
 */
export class BatonSignatureHelpProvider implements SignatureHelpProvider {
  readonly signatureHelpOptions: SignatureHelpOptions = { triggerCharacters: ['('], retriggerCharacters: [','] };

  provideSignatureHelp(document: LangiumDocument, params: SignatureHelpParams): MaybePromise<SignatureHelp | undefined> {
    const root = document.parseResult.value.$cstNode;
    if (!root) return undefined;
    const offset = document.textDocument.offsetAt(params.position);
    const leaf = CstUtils.findLeafNodeBeforeOffset(root, offset) ?? CstUtils.findLeafNodeAtOffset(root, offset);
    let call: AstNode | undefined = leaf && AstUtils.getContainerOfType(leaf.astNode, ast.isFunctionCall);
    while (ast.isFunctionCall(call)) {
      const tokens = childTokens(call);
      const open = tokens.find((t) => t.text === '(');
      const close = tokens.find((t) => t.text === ')');
      if (open && offset >= open.end && (!close || offset <= close.offset)) break;
      call = AstUtils.getContainerOfType(call.$container, ast.isFunctionCall);
    }
    let name: string | undefined;
    let commas = 0;
    if (ast.isFunctionCall(call)) {
      name = call.function;
      commas = childTokens(call).filter((t) => t.text === ',' && t.end <= offset).length;
    } else {
      // a call being typed (`join(`) does not parse yet: read it from the text
      const typed = openCallBefore(document.textDocument.getText(), offset);
      if (!typed) return undefined;
      ({ name, commas } = typed);
    }
    const fn = BUILTIN_FUNCTIONS_BY_NAME.get(name);
    if (!fn) return undefined;
    const parameters = fn.params.map((p) => ({ label: `${p.name}${p.optional ? '?' : ''}: ${describeType(p.type)}` }));
    const label = `${fn.name}(${parameters.map((p) => p.label).join(', ')}) → ${describeType(fn.returns)}`;
    return {
      signatures: [{ label, documentation: fn.doc, parameters }],
      activeSignature: 0,
      activeParameter: fn.variadic ? Math.min(commas, fn.params.length - 1) : commas,
    };
  }
}

/** The call's own tokens (its parentheses and commas), not those of its arguments. */
function childTokens(call: ast.FunctionCall): CstNode[] {
  const cst = call.$cstNode;
  return cst ? CstUtils.streamCst(cst).filter((n) => !isCompositeCstNode(n) && n.astNode === call).toArray() : [];
}

/**
 * The function whose `(` is open at `offset` and the number of commas since, scanning back over the
 * text (balanced parentheses and brackets; strings are skipped roughly); undefined outside a call.
 */
function openCallBefore(text: string, offset: number): { name: string; commas: number } | undefined {
  let depth = 0;
  let commas = 0;
  let inString = false;
  for (let i = offset - 1; i >= 0 && i >= offset - 2000; i--) {
    const ch = text[i];
    if (ch === '"' && text[i - 1] !== '\\') inString = !inString;
    if (inString) continue;
    if (ch === ')' || ch === ']' || ch === '}') depth++;
    else if (ch === '[') depth--;
    else if (ch === '{') {
      if (depth === 0) return undefined; // the start of the block: no open call
      depth--;
    }
    else if (ch === '(') {
      if (depth === 0) {
        const name = /([A-Za-z_]\w*)\s*$/.exec(text.slice(Math.max(0, i - 100), i))?.[1];
        return name ? { name, commas } : undefined;
      }
      depth--;
    } else if (ch === ',' && depth === 0) commas++;
  }
  return undefined;
}
