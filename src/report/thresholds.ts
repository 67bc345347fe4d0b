/**
 * Pass/fail thresholds on a run's result, as k6 does: `metric op value`, e.g. `peakRss<1.5GiB`, `oomEvents==0`,
 * `pausedMs<=2s`, `ackP99<500ms`. A breach makes the run exit 99 after every output is written. A threshold whose
 * metric has no value (e.g. peakRss without any memory sample) is a breach too: the guarantee could not be checked.
 */
import { median } from '../common/stats.js';
import { parseDuration, parseSize } from '../common/units.js';
import { ACK_STALL_MIN_MS } from './ack-analysis.js';

/** 'slope': bytes per minute (a memory trend: 1MiB/min). */
export type MetricUnit = 'bytes' | 'ms' | 'count' | 'percent' | 'rate' | 'slope';

export interface MetricSource {
  memory: {
    peakRss: number | null;
    growthRss: number | null;
    endRss: number | null;
    external: { peakThread: number | null; growthThread: number | null };
  };
  workers: {
    deaths: number;
    oomEvents: number;
    reconnects: number;
    logErrors: Record<string, unknown>;
    blobLines: { blobError: number; blobTimeout: number; blobSaveFailed: number };
  };
  acks: { longestStallMs: number | null; totalStallMs: number; unackedFrames: number };
  /** synth --mix frames held for their dependency's ack (absent from results of older tools). */
  dependencyWaits?: { totalMs: number };
  herd: { maxSpreadMs: number | null; smallestGapMs: number | null };
  liveness: { maxMs: number | null } | null;
  pauses: {
    count: number;
    totalMs: number;
    wallMs: number;
    longestMs: number;
    blockedMs: number;
    flowControlMs: number;
  };
  committed: {
    frames: number;
    records: number;
    ackLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  };
  sent: { frames: number; records: number };
  timing: { durationMs: number; commitRecordsPerSec: number | null; sendRecordsPerSec: number | null };
  /** Soak trends (absent in results that predate them). */
  trends?: {
    rss: { slopeBytesPerMin: number } | null;
    heap: { slopeBytesPerMin: number } | null;
  };
  /** cluster_status as the target reported it (absent from results of older tools). */
  remote?: {
    clusterStatus: {
      backPressurePercentMax: number | null;
      links: Array<{ blobReplicationFailures: number | null }>;
    } | null;
  };
}

/** Sum over the links; null when no link reported the count (not sampled, or a version without it). */
function blobReplicationFailures(r: MetricSource): number | null {
  const counts = (r.remote?.clusterStatus?.links ?? [])
    .map((link) => link.blobReplicationFailures)
    .filter((count): count is number => count !== null);
  return counts.length ? counts.reduce((sum, count) => sum + count, 0) : null;
}

interface MetricDefinition {
  unit: MetricUnit;
  description: string;
  read: (r: MetricSource) => number | null;
}

const logErrorTotal = (r: MetricSource) =>
  ['oom', 'uncaught', 'blobSaveFailed', 'replicationError'].reduce(
    (sum, key) =>
      sum + (typeof r.workers.logErrors[key] === 'number' ? (r.workers.logErrors[key] as number) : 0),
    0,
  );

export const METRICS: Record<string, MetricDefinition> = {
  peakRss: { unit: 'bytes', description: "target's peak RSS", read: (r) => r.memory.peakRss },
  rssGrowth: { unit: 'bytes', description: 'peak RSS minus baseline', read: (r) => r.memory.growthRss },
  endRss: { unit: 'bytes', description: "target's RSS at the end", read: (r) => r.memory.endRss },
  peakExternal: {
    unit: 'bytes',
    description: "largest worker's external memory (system_information)",
    read: (r) => r.memory.external.peakThread,
  },
  externalGrowth: {
    unit: 'bytes',
    description: 'peakExternal minus its baseline',
    read: (r) => r.memory.external.growthThread,
  },
  oomEvents: {
    unit: 'count',
    description: 'ERR_WORKER_OUT_OF_MEMORY in the log',
    read: (r) => r.workers.oomEvents,
  },
  workerDeaths: { unit: 'count', description: 'worker threads that died', read: (r) => r.workers.deaths },
  reconnects: {
    unit: 'count',
    description: 'streams the target dropped and resumed',
    read: (r) => r.workers.reconnects,
  },
  resubscribeSpreadMs: {
    unit: 'ms',
    description: 'after a worker death, first to last re-subscription (the largest over the deaths)',
    read: (r) => r.herd.maxSpreadMs,
  },
  resubscribeGapMs: {
    unit: 'ms',
    description: 'smallest gap between two re-subscriptions after a death',
    read: (r) => r.herd.smallestGapMs,
  },
  livenessMs: {
    unit: 'ms',
    description: 'the liveness probe committed after (no value: none sent, or one never committed)',
    read: (r) => r.liveness?.maxMs ?? null,
  },
  uncaughtExceptions: {
    unit: 'count',
    description: 'uncaughtException lines in the log',
    read: (r) => (typeof r.workers.logErrors.uncaught === 'number' ? r.workers.logErrors.uncaught : null),
  },
  blobErrors: {
    unit: 'count',
    description: 'blob failures in the log (Blob error, blob stream timeout, Blob save failed)',
    read: (r) =>
      r.workers.blobLines.blobError + r.workers.blobLines.blobTimeout + r.workers.blobLines.blobSaveFailed,
  },
  logErrors: {
    unit: 'count',
    description: 'OOM, uncaught, blob and replication errors in the log',
    read: logErrorTotal,
  },
  pauses: { unit: 'count', description: 'stall episodes', read: (r) => r.pauses.count },
  pausedMs: {
    unit: 'ms',
    description: 'total stalled time, summed over connections',
    read: (r) => r.pauses.totalMs,
  },
  pausedWallMs: {
    unit: 'ms',
    description: 'wall time with any connection stalled',
    read: (r) => r.pauses.wallMs,
  },
  longestPauseMs: { unit: 'ms', description: 'longest stall', read: (r) => r.pauses.longestMs },
  blockedMs: {
    unit: 'ms',
    description: 'stalled time with the target unresponsive',
    read: (r) => r.pauses.blockedMs,
  },
  flowControlMs: {
    unit: 'ms',
    description: 'stalled time with the target responsive',
    read: (r) => r.pauses.flowControlMs,
  },
  ackP50: { unit: 'ms', description: 'ack latency p50', read: (r) => r.committed.ackLatencyMs.p50 },
  ackP99: { unit: 'ms', description: 'ack latency p99', read: (r) => r.committed.ackLatencyMs.p99 },
  ackMax: { unit: 'ms', description: 'ack latency max', read: (r) => r.committed.ackLatencyMs.max },
  ackStallMs: {
    unit: 'ms',
    description: 'longest time frames waited with the committed cursor not moving',
    read: (r) => r.acks.longestStallMs,
  },
  ackStalledMs: {
    unit: 'ms',
    description: `total of the ack stalls (each at least ${ACK_STALL_MIN_MS} ms), summed over streams`,
    read: (r) => r.acks.totalStallMs,
  },
  unackedFrames: {
    unit: 'count',
    description: 'frames sent and never acknowledged',
    read: (r) => r.acks.unackedFrames,
  },
  dependencyWaitTotal: {
    unit: 'ms',
    description: "time --mix frames were held for their dependency's ack, summed over frames and streams",
    read: (r) => r.dependencyWaits?.totalMs ?? null,
  },
  clusterBackPressureMax: {
    unit: 'percent',
    description:
      "largest backPressurePercent of any replication link in cluster_status (the node's own view)",
    read: (r) => r.remote?.clusterStatus?.backPressurePercentMax ?? null,
  },
  blobReplicationFailures: {
    unit: 'count',
    description:
      'cluster_status blobReplicationFailures over the links (Harper 5.x; not available on 4.7.29)',
    read: blobReplicationFailures,
  },
  committedPct: {
    unit: 'percent',
    description: 'frames committed, % of frames sent',
    read: (r) => (r.sent.frames ? (100 * r.committed.frames) / r.sent.frames : null),
  },
  committedRecords: { unit: 'count', description: 'records committed', read: (r) => r.committed.records },
  recordsPerSec: {
    unit: 'rate',
    description: 'committed records per second',
    read: (r) => r.timing.commitRecordsPerSec,
  },
  durationMs: { unit: 'ms', description: 'run duration', read: (r) => r.timing.durationMs },
  rssSlope: {
    unit: 'slope',
    description: "least-squares slope of the target's RSS over the load",
    read: (r) => r.trends?.rss?.slopeBytesPerMin ?? null,
  },
  heapSlope: {
    unit: 'slope',
    description: "least-squares slope of the workers' heap over the load",
    read: (r) => r.trends?.heap?.slopeBytesPerMin ?? null,
  },
};

const PER_MINUTE: Record<string, number> = { s: 60, sec: 60, min: 1, m: 1, h: 1 / 60 };

/** Bytes per minute from "1MiB/min", "-512KB/min", "10KB/s", "50MB/h". */
export function parseSlope(text: string): number {
  const match = /^\s*(-?)\s*([^/]+?)\s*\/\s*(s|sec|min|m|h)\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a size per time (examples: 1MiB/min, 10KB/s, -512KB/min)`);
  const bytes = parseSize(match[2]!) * (match[1] ? -1 : 1);
  return bytes * PER_MINUTE[match[3]!.toLowerCase()]!;
}

const OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];

export interface Threshold {
  expression: string;
  metric: string;
  operator: Operator;
  limit: number;
  /**
   * A delta threshold (`peakRss<+10%`, `ackP99<+200ms`: a signed limit) judges the change against a baseline run:
   * 'absolute' in the metric's unit, 'percent' of the baseline's value. Absent: the value itself.
   */
  delta?: 'absolute' | 'percent';
}

export interface ThresholdVerdict extends Threshold {
  /** The measured value (a delta threshold: the change against the baseline, absolute or %). */
  value: number | null;
  /** null: not evaluated (the run never reached its target, so nothing it measured can pass or breach). */
  ok: boolean | null;
}

/** The thresholds of a run that never reached its target: neither passed nor breached. */
export function notEvaluated(thresholds: Threshold[]): ThresholdVerdict[] {
  return thresholds.map((threshold) => ({ ...threshold, value: null, ok: null }));
}

/**
 * Parses `metric op value`, or a delta `metric op +value` / `metric op -10%` (judged against a baseline run);
 * throws an Error naming what is wrong (bad usage).
 */
export function parseThreshold(expression: string): Threshold {
  const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(<=|>=|==|!=|<|>)\s*(\S.*?)\s*$/.exec(expression);
  if (!match)
    throw new Error(`threshold "${expression}" is not "metric op value" (e.g. peakRss<1.5GiB, oomEvents==0)`);
  const [, metric, operator, written] = match as unknown as [string, string, Operator, string];
  const definition = METRICS[metric];
  if (!definition) {
    throw new Error(
      `threshold "${expression}": unknown metric "${metric}"; known: ${Object.keys(METRICS).join(', ')}`,
    );
  }
  const sign = /^[+-]/.exec(written)?.[0];
  const raw = sign ? written.slice(1).trim() : written;
  const percentDelta = sign !== undefined && /^\d+(\.\d+)?\s*%$/.test(raw);
  let limit: number;
  try {
    if (percentDelta) limit = Number(raw.replace(/\s*%$/, ''));
    else if (definition.unit === 'bytes') limit = parseSize(raw);
    else if (definition.unit === 'slope') limit = parseSlope(raw);
    else if (definition.unit === 'ms') limit = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : parseDuration(raw);
    else limit = /^\d+(\.\d+)?%?$/.test(raw) ? Number(raw.replace(/%$/, '')) : Number.NaN;
  } catch (error) {
    throw new Error(`threshold "${expression}": ${(error as Error).message}`);
  }
  if (!Number.isFinite(limit)) throw new Error(`threshold "${expression}": "${raw}" is not a number`);
  if (sign === '-') limit = -limit;
  const threshold: Threshold = { expression: expression.trim(), metric, operator, limit };
  if (sign) threshold.delta = percentDelta ? 'percent' : 'absolute';
  return threshold;
}

/** A threshold for a run itself (load commands): a delta needs a baseline, which only `report --baseline` has. */
export function parseRunThreshold(expression: string): Threshold {
  const threshold = parseThreshold(expression);
  if (threshold.delta) {
    throw new Error(
      `threshold "${threshold.expression}" is a change against a baseline (signed limit): judge it with \`report RUN.ndjson --baseline BASE.ndjson --threshold …\` (a run's own threshold is unsigned: ${threshold.metric}${threshold.operator}…)`,
    );
  }
  return threshold;
}

/** The change of a metric against the baseline: absolute, or % of the baseline (null without both values). */
export function deltaOf(
  value: number | null,
  baseline: number | null,
  kind: 'absolute' | 'percent',
): number | null {
  if (value === null || baseline === null) return null;
  if (kind === 'absolute') return value - baseline;
  return baseline === 0 ? null : (100 * (value - baseline)) / Math.abs(baseline);
}

function compare(value: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    case '!=':
      return value !== limit;
  }
}

/** The baseline's value of a metric: the median over several baseline runs (null when none has it). */
export function baselineValue(
  baselines: MetricSource[],
  read: (r: MetricSource) => number | null,
): number | null {
  const values = baselines.map(read).filter((v): v is number => v !== null);
  return median(values) ?? null;
}

/**
 * Each threshold's verdict on `result`; a delta threshold judges the median of `result` and its `repetitions`
 * against the baselines' median (without one, or without
 * the metric's value on either side, it has no value and is a breach: the guarantee could not be checked).
 */
export function evaluateThresholds(
  thresholds: Threshold[],
  result: MetricSource,
  baselines: MetricSource[] = [],
  repetitions: MetricSource[] = [],
): ThresholdVerdict[] {
  return thresholds.map((threshold) => {
    const read = METRICS[threshold.metric]!.read;
    const value = threshold.delta
      ? deltaOf(
          baselineValue([result, ...repetitions], read),
          baselineValue(baselines, read),
          threshold.delta,
        )
      : read(result);
    return { ...threshold, value, ok: value !== null && compare(value, threshold.operator, threshold.limit) };
  });
}

export function thresholdHelp(): string {
  return Object.entries(METRICS)
    .map(
      ([name, m]) =>
        `  ${name.padEnd(16)} ${m.description} (${m.unit === 'bytes' ? 'size: 1.5GiB, 300MB' : m.unit === 'ms' ? 'duration: 500ms, 2s' : m.unit === 'slope' ? 'size per time: 1MiB/min' : m.unit})`,
    )
    .join('\n');
}
