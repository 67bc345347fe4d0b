/**
 * One workload over N tool processes (synth and replay): --shard i/n, the --run-id all shards share and the
 * --start-at they all wait for. Each has an environment fallback so a Kubernetes pod spec can pass them
 * (HARPER_REPLAY_SHARD=$(JOB_COMPLETION_INDEX)/N).
 */
import { Flags } from '@oclif/core';
import { parseRunId, parseShard, parseStartAt, type ShardRun } from '../workload/shard.js';
import { flagValue } from './shared-flags.js';

export const SHARD_ENV = 'HARPER_REPLAY_SHARD';
export const RUN_ID_ENV = 'HARPER_REPLAY_RUN_ID';
export const START_AT_ENV = 'HARPER_REPLAY_START_AT';

export const shardFlags = {
  shard: Flags.string({
    summary:
      'Send only shard i of n (0-based: $(JOB_COMPLETION_INDEX)/N) of the workload; n processes with the same flags send exactly what one would. Needs --run-id and --target.',
    env: SHARD_ENV,
    helpValue: 'i/n',
  }),
  'run-id': Flags.string({
    summary:
      "The run every shard belongs to (1-40 letters, digits, dashes): in each shard's peer name and samples, and the versions' base.",
    env: RUN_ID_ENV,
    helpValue: 'ID',
  }),
  'start-at': Flags.string({
    summary:
      'With --shard: subscribe, then wait for this instant before sending (ISO 8601 with zone, epoch ms, or +10s); a shard ready later exits 8 and sends nothing.',
    env: START_AT_ENV,
    helpValue: 'TIME',
  }),
};

export interface ShardFlagValues {
  shard?: string;
  'run-id'?: string;
  'start-at'?: string;
  target?: string;
}

/** The shard this process runs, or undefined for an unsharded run. Throws an Error naming the flag. */
export function shardOptions(flags: ShardFlagValues, now = Date.now()): ShardRun | undefined {
  if (flags.shard === undefined) {
    for (const flag of ['run-id', 'start-at'] as const) {
      if (flags[flag] !== undefined)
        throw new Error(`--${flag} belongs to a sharded run: give --shard i/n too (0/1 for one process)`);
    }
    return undefined;
  }
  const spec = flagValue('shard', flags.shard, parseShard);
  if (flags['run-id'] === undefined)
    throw new Error(`--shard ${flags.shard} needs --run-id (or ${RUN_ID_ENV}): the same one for every shard`);
  const runId = flagValue('run-id', flags['run-id'], parseRunId);
  if (spec.count > 1 && flags.target === undefined)
    throw new Error(
      `--shard ${flags.shard}: the shards load one node together: give --target (each would start its own embedded node)`,
    );
  const startAt = flags['start-at'];
  return {
    spec,
    runId,
    ...(startAt === undefined
      ? {}
      : { startAt: flagValue('start-at', startAt, (t) => parseStartAt(t, now)) }),
  };
}
