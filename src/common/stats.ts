/** Order statistics shared by the analyses (one definition of a median for the whole tool). */

/** The median: the middle value, or the mean of the two middle values of an even count; undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2) return sorted[mid];
  const low = sorted[mid - 1] as number;
  const high = sorted[mid] as number;
  // (low + high) / 2 overflows for two huge values; then halves first (exact there, unlike for subnormals).
  const mean = (low + high) / 2;
  return Number.isFinite(mean) ? mean : low / 2 + high / 2;
}
