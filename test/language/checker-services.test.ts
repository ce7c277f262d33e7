import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import { createBatonServices } from '../../language/src/baton-module.js';
import { createBatonCheckerServices, loadWorkspace } from '../../language/src/checker.js';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/**
 * Each example as it is, and broken three ways: a line dropped from its middle (references to what it declared, a
 * statement cut short), cut off at two thirds (a syntax error, an unclosed block), and every `.output` read renamed
 * (`.outptu`: unknown members).
 */
function texts(): [string, string][] {
  const out: [string, string][] = [];
  for (const file of readdirSync(examples).filter((f) => f.endsWith('.flow'))) {
    const text = readFileSync(path.join(examples, file), 'utf8');
    const lines = text.split('\n');
    out.push([file, text]);
    out.push([`${file}, a line dropped`, [...lines.slice(0, lines.length >> 1), ...lines.slice((lines.length >> 1) + 1)].join('\n')]);
    out.push([`${file}, cut off`, text.slice(0, Math.floor((text.length * 2) / 3))]);
    out.push([`${file}, members renamed`, text.replaceAll('.output', '.outptu')]);
  }
  return out;
}

describe("the checker's services without the language server's (issue 15: `baton check` loads no LSP code)", () => {
  it("give the same diagnostics as the language server's services, on every example and broken forms of them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-checker-services-'));
    try {
      let problems = 0;
      for (const [name, text] of texts()) {
        const file = path.join(dir, 'flow.flow');
        writeFileSync(file, text);
        const checker = await loadWorkspace(createBatonCheckerServices(NodeFileSystem), [file]);
        const full = await loadWorkspace(createBatonServices(NodeFileSystem, { batch: true }), [file]);
        assert.deepEqual(checker.diagnostics, full.diagnostics, name);
        problems += checker.diagnostics.length;
      }
      // the broken forms are broken: the comparison saw errors of each kind
      assert.ok(problems > 50, `${problems} diagnostics`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("have none of the language server's services, and the same parser and checks", () => {
    const checker = createBatonCheckerServices(NodeFileSystem);
    const full = createBatonServices(NodeFileSystem, { batch: true });
    assert.equal((checker.Baton as unknown as { lsp?: unknown }).lsp, undefined);
    assert.equal((checker.shared as unknown as { lsp?: unknown }).lsp, undefined);
    assert.ok(full.Baton.lsp.HoverProvider);
    assert.equal(checker.Baton.parser.LangiumParser.constructor, full.Baton.parser.LangiumParser.constructor);
    assert.equal(checker.shared.workspace.DocumentBuilder.constructor, full.shared.workspace.DocumentBuilder.constructor);
    assert.equal(checker.Baton.validation.DocumentValidator.constructor, full.Baton.validation.DocumentValidator.constructor);
  });
});
