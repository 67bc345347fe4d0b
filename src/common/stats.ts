/** Order statistics shared by the analyses (one definition of a median for the whole tool). */

/** The median: the middle value, or the mean of the two middle values of an even count; undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2) return sorted[mid];
  // Halves first: (low + high) / 2 overflows for two huge values; halving is exact, so the result is the same.
  return (sorted[mid - 1] as number) / 2 + (sorted[mid] as number) / 2;
}
