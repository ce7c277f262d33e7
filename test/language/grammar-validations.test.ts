import assert from 'node:assert/strict';
import { EmptyFileSystem } from 'langium';
import { createDefaultModule, createDefaultSharedModule } from 'langium/lsp';
import { BatonModule, BatonSharedModule } from '../../language/src/baton-module.js';
import { injectBatonServices } from '../../language/src/baton-core-module.js';
import { BatonLanguageMetaData } from '../../language/src/generated/module.js';

/**
 * The services with Langium's `development` mode: Chevrotain's grammar and lookahead validations (the parser's) and
 * its token pattern validations (the lexer's) run when the parser is built. Baton's generated metadata says
 * `production` (langium-config.json), so `baton check` and the language server skip them at every start (issue 15);
 * this is where a grammar or token change that Chevrotain would refuse (an unresolved rule, a left recursion, a
 * duplicate alternative, a token that can never match) is caught.
 */
function developmentServices() {
  const development = { ...BatonLanguageMetaData, mode: 'development' as const };
  return injectBatonServices(createDefaultSharedModule(EmptyFileSystem), (shared) => createDefaultModule({ shared }), BatonSharedModule, { ...BatonModule, LanguageMetaData: () => development }, {});
}

describe("Chevrotain's validations of Baton's grammar and tokens (skipped at start in production mode)", () => {
  it('the parser and the lexer build with every validation on, without a definition error', () => {
    const { Baton } = developmentServices();
    assert.equal(Baton.LanguageMetaData.mode, 'development');
    const lexer = Baton.parser.Lexer as unknown as { chevrotainLexer: { config: { skipValidations: boolean }; lexerDefinitionErrors: unknown[] } };
    assert.equal(lexer.chevrotainLexer.config.skipValidations, false);
    assert.deepEqual(lexer.chevrotainLexer.lexerDefinitionErrors, []);
    const parser = Baton.parser.LangiumParser as unknown as { wrapper: { skipValidations: boolean; definitionErrors: unknown[] } };
    assert.equal(parser.wrapper.skipValidations, false);
    assert.deepEqual(parser.wrapper.definitionErrors, []);
    const result = Baton.parser.LangiumParser.parse('agent A { stub: "a" }\nflow F {\n  step s: A { prompt: "p" }\n}\n');
    assert.equal(result.parserErrors.length, 0);
  });
});
