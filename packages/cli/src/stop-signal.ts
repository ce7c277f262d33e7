// The long-running commands (`baton serve`, `baton worker`) run until they are told to stop.

/**
 * Resolves at the first SIGTERM or SIGINT (Ctrl-C) this process receives, then listens for neither: a second
 * signal gets Node's default handling (the process ends at once).
 */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
