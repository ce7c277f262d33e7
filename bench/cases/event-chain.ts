// What the audit chain (packages/runtime/src/store/event-chain.ts) costs per stored event, without a store: the
// canonical JSON (RFC 8785) of a typical `step.finished` event, its SHA-256, and the whole `eventHash`, beside the
// `JSON.stringify` every store did before the chain. `node --import tsx bench/cases/event-chain.ts [n]`; prints one
// JSON line per round (µs per event).
import { createHash } from 'node:crypto';
import { canonicalJson, eventHash } from '../../packages/runtime/src/store/event-chain.js';

const n = Number(process.argv[2] ?? 20_000);
const events = Array.from({ length: n }, (_, i) => ({
  runId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  seq: i + 1,
  type: 'step.finished',
  time: new Date().toISOString(),
  prev: 'a'.repeat(64),
  data: { type: 'step.finished', node: `s${i}`, step: `s${i}`, status: 'succeeded', output: { i, text: 'ok ok ok ok ok ok ok ok', total: 1200 }, attempts: 1, tokens: { input: 10, output: 20 } },
}));
const perEvent = (body: () => void): number => {
  const started = performance.now();
  body();
  return Number((((performance.now() - started) * 1000) / n).toFixed(2));
};
for (let round = 0; round < 5; round++) {
  const texts: string[] = [];
  const canonical = perEvent(() => events.forEach((e) => texts.push(canonicalJson(e))));
  const sha256 = perEvent(() => texts.forEach((t) => createHash('sha256').update(t, 'utf8').digest('hex')));
  const stringify = perEvent(() => events.forEach((e) => JSON.stringify(e.data)));
  const hash = perEvent(() => events.forEach((e) => eventHash(e)));
  console.log(JSON.stringify({ system: 'event-chain', n, canonicalUs: canonical, sha256Us: sha256, eventHashUs: hash, jsonStringifyUs: stringify }));
}
