// Loaded into `baton serve` by bench/cases/serve-busy.mjs (node --import): measures, inside the server, how long
// each 202 took from its request's headers to its answer handed to the socket, and the event loop's delay
// (perf_hooks, 10 ms resolution) — the server's own share of the latency the client sees, apart from the
// machine's scheduling of the client. Writes JSON to $BATON_BENCH_PROBE when the server exits.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const accepted = [];
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request') {
    const t0 = performance.now();
    res.on('finish', () => {
      if (res.statusCode === 202) accepted.push(performance.now() - t0);
    });
  }
  return emit.apply(this, arguments);
};
process.on('exit', () => {
  accepted.sort((a, b) => a - b);
  const pct = (p) => Math.round((accepted[Math.min(accepted.length - 1, Math.ceil((p / 100) * accepted.length) - 1)] ?? 0) * 10) / 10;
  writeFileSync(
    process.env.BATON_BENCH_PROBE,
    JSON.stringify({ serverAcceptP50Ms: pct(50), serverAcceptP99Ms: pct(99), serverAcceptMaxMs: pct(100), loopDelayP99Ms: Math.round(delay.percentile(99) / 1e5) / 10, loopDelayMaxMs: Math.round(delay.max / 1e5) / 10 }),
  );
});
