// `baton serve`'s executor thread: its own bundle (out/serve-executor.mjs, beside out/cli.mjs), holding the runtime
// and the agents only — not the language, the graph or the commands (the thread starts faster and takes ~45 MB
// less than a second copy of the CLI would).
import { isExecutorThread, runExecutorThread } from './executor.js';

if (!isExecutorThread()) {
  process.stderr.write('baton: out/serve-executor.mjs is the executor thread of baton serve; run baton serve instead\n');
  process.exitCode = 2;
} else {
  void runExecutorThread();
}
