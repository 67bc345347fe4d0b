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

/** What every shard of a sharded run is told: which shard it is, the run they share, when they all start. */
export interface ShardRun {
  spec: ShardSpec;
  /** Shared by every shard of one run ([A-Za-z0-9-]{1,40}): in the peer names and the samples' run-meta. */
  runId: string;
  /** --start-at as epoch ms: every shard waits, subscribed, for this instant; absent = each starts when ready. */
  startAt?: number;
}

const RUN_ID = /^[A-Za-z0-9-]{1,40}$/;

/** A --run-id as given; throws an Error saying what one may hold. */
export function parseRunId(text: string): string {
  if (!RUN_ID.test(text))
    throw new Error(`"${text}" is not a run id (1 to 40 letters, digits and dashes, e.g. soak-2026-12-04)`);
  return text;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const RELATIVE = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const RELATIVE_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * --start-at: an ISO 8601 instant with its zone (2026-12-04T20:00:00Z), epoch milliseconds, or +DURATION from now
 * (+10s). An instant already past is refused (a shard that becomes ready after it is another matter: the run's).
 */
export function parseStartAt(text: string, now: number): number {
  const trimmed = text.trim();
  const relative = RELATIVE.exec(trimmed);
  if (relative) return now + Math.round(Number(relative[1]) * RELATIVE_UNITS[relative[2]!]!);
  let at: number;
  if (/^\d+$/.test(trimmed)) at = Number(trimmed);
  else if (ISO_INSTANT.test(trimmed)) at = Date.parse(trimmed);
  else
    throw new Error(
      `"${text}" is not a time (ISO 8601 with a zone such as 2026-12-04T20:00:00Z, epoch ms, or +10s from now)`,
    );
  if (!Number.isFinite(at)) throw new Error(`"${text}" is not a valid time`);
  if (at < now) {
    const hint = /^\d{9,11}$/.test(trimmed) ? ' (epoch milliseconds, not seconds)' : '';
    throw new Error(
      `"${text}" is ${new Date(at).toISOString()}, already past${hint}: give a time ahead, e.g. +30s`,
    );
  }
  return at;
}

/** 2025-01-01T00:00:00Z: where the versions of a sharded run without --start-at are counted from. */
const RUN_ID_EPOCH = Date.UTC(2025, 0, 1);

/**
 * The version and sequence base every shard of a run derives alike, so frame k carries the same version in
 * whichever process sends it: the common start time, else an instant in early 2025 made from the run id (FNV-1a),
 * the same on every machine.
 */
export function shardBaseTime(run: Pick<ShardRun, 'runId' | 'startAt'>): number {
  if (run.startAt !== undefined) return run.startAt;
  let hash = 0x811c9dc5;
  for (const char of run.runId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return RUN_ID_EPOCH + hash;
}

/**
 * Where a shard's sequence tails count from: its version base (--start-at: the same on every shard) or this
 * process's clock, whichever is later. Tails are the stream's cursor, not record data. A real source's are its
 * audit times, never below the versions they carry, and 4.7.29 relies on both: it asks a peer it holds no cursor
 * for to start at "now − 60 s" (replicationConnection: startTime 1 → Date.now() − 60000; a full copy only from a
 * leader), and after a reconnect at the last version it got if that is later. The stream skips every frame whose
 * tail is at or below the start it is asked for (a resume), so tails from the run id's instant (early 2025) or a
 * capture's end had a shard send nothing while it counted every frame committed: what looked like "acked, never
 * stored". Tails need not agree across shards (each shard is its own peer, with its own cursor on the target).
 */
export function shardSequenceBase(versionBase: number, now: number): number {
  return Math.max(versionBase, now);
}

/** How many of `total` striped items shard `spec` owns (positions index, index + count, …). */
export function stripeCount(spec: ShardSpec, total: number): number {
  return total > spec.index ? Math.ceil((total - spec.index) / spec.count) : 0;
}
