// the supervisor's defaults, apart from its modules: the CLI names them in its help without loading the runtime (issue 15)

/** The default of `RunSupervisorOptions.concurrency` (`baton serve --concurrency`). */
export const DEFAULT_RUN_CONCURRENCY = 8;

/** How many runs `baton serve` warms its executor up with by default (`--warm-up`): six bursts of 16 starts. */
export const DEFAULT_WARM_UP_RUNS = 96;
