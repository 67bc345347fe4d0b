/**
 * A real run's samples (a synth of 24 frames against harperdb 4.7.29, committed as test/fixtures/synth-24-frames.ndjson)
 * split by the shard rule into the files `count` shard processes would write, for `report --merge` tests.
 */
import { readFileSync } from 'node:fs';
import type { RunEvent } from '../../src/events/schema.js';
import { shardBlock } from '../../src/workload/shard.js';

export const RUN_FIXTURE = new URL('../../../test/fixtures/synth-24-frames.ndjson', import.meta.url);

export function readRun(): RunEvent[] {
  return readFileSync(RUN_FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as RunEvent);
}

/** Events as NDJSON lines (what --samples writes). */
export const toNdjson = (events: RunEvent[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

/** The shard that owns frame `index` of `frames` (synth's contiguous blocks). */
function ownerOf(index: number, frames: number, count: number): number {
  for (let shard = 0; shard < count; shard++) {
    const { start, end } = shardBlock({ index: shard, count }, frames);
    if (index >= start && index < end) return shard;
  }
  throw new Error(`frame ${index} has no shard`);
}

/**
 * One run's events as the files of `count` shards would hold them: frame events by block (numbered from 0 in each
 * shard, as a shard numbers them), the run's frame and
 * record totals and verify counts per block; run-meta (with sharding), run-start, phases, connections and run-end in
 * every shard; the target's samples and everything else in shard 0, the one that samples the target.
 */
export function split(events: RunEvent[], count: number, runId = 'run-42'): RunEvent[][] {
  const start = events.find((e) => e.type === 'run-start') as Extract<RunEvent, { type: 'run-start' }>;
  const frameRecords = new Map<number, number>();
  for (const e of events) if (e.type === 'frame-sent') frameRecords.set(e.index, e.records);
  const shardOf = (index: number) => ownerOf(index, start.frames, count);
  const records = Array.from({ length: count }, (_, shard) =>
    [...frameRecords].reduce((sum, [index, n]) => sum + (shardOf(index) === shard ? n : 0), 0),
  );
  const shards: RunEvent[][] = Array.from({ length: count }, () => []);
  for (const event of events) {
    shards.forEach((out, shard) => {
      const mine = shardEvent(event, shard, { count, runId, records, shardOf, frames: start.frames });
      if (mine) out.push(mine);
    });
  }
  return shards;
}

function shardEvent(
  event: RunEvent,
  shard: number,
  plan: {
    count: number;
    runId: string;
    records: number[];
    shardOf: (index: number) => number;
    frames: number;
  },
): RunEvent | undefined {
  const { count, runId, records, shardOf } = plan;
  const blockStart = (index: number) => shardBlock({ index, count }, plan.frames).start;
  switch (event.type) {
    case 'run-meta':
      return {
        ...event,
        meta: { ...event.meta, sharding: { runId, index: shard, count, samplesTarget: shard === 0 } },
      };
    case 'run-start': {
      const { start, end } = shardBlock({ index: shard, count }, event.frames);
      return { ...event, frames: end - start, records: records[shard]! };
    }
    case 'frame-sent':
    case 'frame-committed':
      // A shard numbers its own frames 0…k−1 (workload/sharded-source.ts).
      return shardOf(event.index) === shard
        ? { ...event, index: event.index - blockStart(shard) }
        : undefined;
    case 'verify': {
      // Each shard counts its own ids; whatever the target lacked shows in shard 0's count.
      const short = event.expectedRecords - (event.targetRecords ?? 0);
      const expected = records[shard]!;
      return { ...event, expectedRecords: expected, targetRecords: expected - (shard === 0 ? short : 0) };
    }
    case 'run-end':
    case 'phase':
    case 'connection':
      return event;
    default:
      return shard === 0 ? event : undefined;
  }
}
