/** Levenshtein distance (https://en.wikipedia.org/wiki/Levenshtein_distance), capped for speed. */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    let rowMin = prev[0];
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = tmp;
      rowMin = Math.min(rowMin, prev[j]);
    }
    if (rowMin > cap) return cap + 1;
  }
  return prev[b.length];
}

/** The candidate closest to `name` (distance ≤ 2, or ≤ 1 for short names), if any. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = name.length <= 2 ? 0 : name.length <= 4 ? 1 : 2;
  if (bestDistance === 0) return undefined;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c, bestDistance);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** ` Did you mean `X`?` or an empty string. */
export function suggestion(name: string, candidates: Iterable<string>): string {
  return suggestionText(didYouMean(name, candidates));
}

/** The message tail for a name found by {@link didYouMean} (empty without one). */
export function suggestionText(best: string | undefined): string {
  return best ? `; did you mean \`${best}\`?` : '';
}
