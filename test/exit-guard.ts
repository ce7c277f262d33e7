/**
 * A mocha root hook: the suites run without `--exit`, so a test that leaves a connection, a server or a timer open
 * keeps the process alive after the last test — `npm test` would hang until CI's limit. After the last test this
 * gives the process 30 s to end by itself; if it is still alive then, it names what keeps it alive and exits 1 (a
 * leak is a failure, reported, not a hang). The timer is unref'd: it never keeps the process alive itself.
 */
export const mochaHooks = {
  afterAll(): void {
    const timer = setTimeout(() => {
      // what the event loop still waits on (Node ≥ 17): TCPSocketWrap, Timeout, ChildProcess, … (this timer included)
      const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      process.stderr.write(`mocha: the process is still alive 30 s after the last test — something a test opened was not closed; still open: ${resources.join(', ')}\n`);
      // mocha sets the exit code to its failure count on 'exit' (without --exit): this listener, added after its, wins
      process.on('exit', () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, 30_000);
    timer.unref();
  },
};
