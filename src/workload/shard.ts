/**
 * One workload split over N tool processes (`--shard i/n`, 0-based so Kubernetes' `$(JOB_COMPLETION_INDEX)/N`
 * works). Pure: which frames a shard sends. Synth takes contiguous frame blocks (k6's execution segments
 * `i/n:(i+1)/n`, so each shard's ids stay one range and verification one query); replay stripes the capture's
 * frames (frame k goes to shard k mod n) so every shard sees the whole time span at 1/n of the rate.
 */

/** Shard `index` of `count` (0 ≤ index < count). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The unsharded run: one shard that owns everything. */
export const WHOLE: ShardSpec = { index: 0, count: 1 };

/** `i/n` → {index, count}; throws an Error naming the mistake (the caller turns it into a usage error). */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not i/n (0-based shard index / shard count, e.g. 0/3)`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new Error(`"${text}": the shard count must be at least 1`);
  if (index >= count) throw new Error(`"${text}": the shard index is 0-based, so it must be below ${count}`);
  return { index, count };
}

/** The half-open block [start, end) of `total` items shard `spec` owns; blocks differ in size by at most one. */
export function shardBlock(spec: ShardSpec, total: number): { start: number; end: number } {
  return {
    start: Math.floor((spec.index * total) / spec.count),
    end: Math.floor(((spec.index + 1) * total) / spec.count),
  };
}

/** Striping: does shard `spec` own the item at `position` (0-based, e.g. a capture frame's index)? */
export function shardOwnsStripe(spec: ShardSpec, position: number): boolean {
  return position % spec.count === spec.index;
}

/** `i/n` as the user writes it. */
export function shardLabel(spec: ShardSpec): string {
  return `${spec.index}/${spec.count}`;
}
