/** The mix as a run's meta describes it: the shares, the key distribution, and what the plan draws and sends. */
import type { OperationsMeta } from '../events/schema.js';
import { formatKeyDistribution, type KeyDistribution } from '../workload/key-distribution.js';
import { formatOperationMix, type OperationMix } from '../workload/operation-mix.js';
import { OperationPlan } from '../workload/operation-plan.js';

export function describeOperations(
  shape: { seed: number; frames: number; recordsPerFrame: number },
  mix: OperationMix,
  keys: KeyDistribution | undefined,
  more: { leadingInserts?: number; dependencyWait?: boolean } = {},
): OperationsMeta {
  const distribution = keys ?? { kind: 'uniform' };
  // A plan of its own, run to the end: the counts are known before the run (deterministic from the seed).
  const counts = new OperationPlan({
    seed: shape.seed,
    frames: shape.frames,
    recordsPerFrame: shape.recordsPerFrame,
    mix,
    keys: distribution,
    ...(more.leadingInserts ? { leadingInserts: more.leadingInserts } : {}),
  }).counts();
  return {
    mix: formatOperationMix(mix),
    keys: formatKeyDistribution(distribution),
    planned: counts.planned,
    sent: counts.sent,
    ...(more.dependencyWait === false ? { dependencyWait: 'off' as const } : {}),
    ...(more.leadingInserts ? { leadingInserts: more.leadingInserts } : {}),
  };
}
