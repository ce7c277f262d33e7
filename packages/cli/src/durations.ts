// Durations as the CLI's options write them (`--request-timeout 30s`, `baton worker --lease 30s`).

/** `30s`, `500ms`, `2m`, `30000` (ms) → milliseconds, from 100 ms to an hour; undefined otherwise. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(ms|s|m)?$/i.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[(m[2] ?? 'ms').toLowerCase()];
  return ms >= 100 && ms <= 3_600_000 ? ms : undefined;
}
