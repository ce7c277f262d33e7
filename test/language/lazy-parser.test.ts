import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IMultiModeLexerDefinition, TokenType } from 'chevrotain';
import { DefaultTokenBuilder, EmptyFileSystem, LangiumCompletionParser, createCompletionParser } from 'langium';
import { BatonTokenBuilder } from '../../language/src/baton-token-builder.js';
import { createBatonServices } from '../../language/src/index.js';
import { createBatonParser } from '../../language/src/baton-parser.js';
import { lookaheadCounts } from '../../language/src/baton-lazy-lookahead.js';
import { services } from './helpers.js';

const outreach = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples/outreach.flow'), 'utf8');

/** Chevrotain's parser under a Langium parser. */
const recognizer = (parser: object): object => (parser as { wrapper: object }).wrapper;

describe('parser: built for what a parse reaches (issue 15, the language server start and the cold check)', () => {
  it('builds no lookahead function with the parser; a parse builds those of the decisions it reaches, once', () => {
    const parser = createBatonParser(services.Baton);
    const start = lookaheadCounts(recognizer(parser));
    assert.ok(start, 'the parser defers its lookahead functions');
    assert.equal(start.built, 0);
    assert.ok(start.decisions > 100, `${start.decisions} decisions`);

    const small = parser.parse('agent A { stub: "x" }\nflow F {\n  step s: A { prompt: "hi" }\n}\n');
    assert.equal(small.parserErrors.length, 0);
    const afterSmall = lookaheadCounts(recognizer(parser))!;
    assert.ok(afterSmall.built > 0 && afterSmall.built < start.decisions / 2, `${afterSmall.built} of ${start.decisions} built`);

    parser.parse(outreach);
    const afterOutreach = lookaheadCounts(recognizer(parser))!;
    assert.ok(afterOutreach.built > afterSmall.built && afterOutreach.built < start.decisions, `${afterOutreach.built} of ${start.decisions} built`);
    parser.parse(outreach);
    assert.deepEqual(lookaheadCounts(recognizer(parser)), afterOutreach, 'a decision is built once');
  });

  it('puts each built function in the lookahead cache in its stand-in\'s place (no indirection while parsing)', () => {
    const parser = createBatonParser(services.Baton);
    const cache = (recognizer(parser) as { lookAheadFuncsCache: Map<number, unknown> }).lookAheadFuncsCache;
    const before = new Map(cache);
    assert.equal(before.size, lookaheadCounts(recognizer(parser))!.decisions);
    parser.parse(outreach);
    const replaced = [...cache].filter(([key, f]) => before.get(key) !== f).length;
    assert.equal(replaced, lookaheadCounts(recognizer(parser))!.built);
  });

  it('builds the completion parser on its first parse, the same as Langium builds it at start', () => {
    const fresh = createBatonServices(EmptyFileSystem).Baton;
    const lazy = fresh.parser.CompletionParser;
    assert.ok(!((lazy as object) instanceof LangiumCompletionParser), 'not built with the services');
    const langium = createCompletionParser(fresh);
    for (const text of [outreach.slice(0, outreach.indexOf('flow ') + 40), 'agent A { stub: "x" }\nflow F {\n  step s: A { prompt: "hi" }\n  step t: A { prompt: s.', '']) {
      const ours = lazy.parse(text);
      const theirs = langium.parse(text);
      assert.equal(ours.tokenIndex, theirs.tokenIndex);
      assert.deepEqual(
        ours.tokens.map((t) => [t.image, t.startOffset]),
        theirs.tokens.map((t) => [t.image, t.startOffset]),
      );
      assert.equal(ours.elementStack.length, theirs.elementStack.length);
      ours.elementStack.forEach((element, i) => assert.equal(element, theirs.elementStack[i], 'the same grammar elements'));
    }
  });

  it('builds the same tokens as with Langium\'s findLongerAlt (each terminal\'s partial pattern made once)', () => {
    const tokens = (builder: BatonTokenBuilder): unknown =>
      Object.entries((builder.buildTokens(services.Baton.Grammar) as IMultiModeLexerDefinition).modes).map(([mode, list]) => [
        mode,
        (list as TokenType[]).map((t) => [t.name, String(t.PATTERN), (t.LONGER_ALT as TokenType[] | undefined)?.map((alt) => alt.name)]),
      ]);
    const langiums = new BatonTokenBuilder();
    const findLongerAlt = (DefaultTokenBuilder.prototype as unknown as { findLongerAlt: unknown }).findLongerAlt;
    (langiums as unknown as { findLongerAlt: unknown }).findLongerAlt = findLongerAlt;
    const theirs = tokens(langiums);
    assert.ok(JSON.stringify(theirs).includes('["ID"]'), 'keywords give way to identifiers');
    assert.deepEqual(tokens(new BatonTokenBuilder()), theirs);
  });
});
