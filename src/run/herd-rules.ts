/**
 * Two rules about the re-subscription herd that decide when a load run ends or reads the target's log: end once
 * every stream a given worker death dropped has re-subscribed (the herd is measured; what follows only repeats it),
 * and read the log only once the target has had time to log a recent death's "Setting up subscription" lines.
 */
import { type HerdDeath, SETUP_SETTLE_MS } from '../report/herd-analysis.js';

/**
 * Why to end the run now: death `afterDeath` (1-based) dropped streams, every one of them came back, and every
 * stream of the run is subscribed (on a busy machine a stream can subscribe late, after a first death; stopping
 * before it has would leave it out of the herd).
 */
export function herdStopReason(
  deaths: readonly HerdDeath[],
  afterDeath: number,
  allSubscribed: boolean,
): string | undefined {
  const death = deaths[afterDeath - 1];
  if (!allSubscribed || !death || death.dropped === 0 || death.resubscribed < death.dropped) return undefined;
  return `every stream worker death ${afterDeath} dropped re-subscribed (${death.resubscribed} of ${death.dropped})`;
}

/**
 * How long to wait before reading the target's log: until SETUP_SETTLE_MS after the last death when it was more
 * recent than that (4.7.29 logs its lines 0.5–1 s after the drop), else not at all. At most SETUP_SETTLE_MS.
 */
export function logSettleWaitMs(lastDeathAt: number | undefined, now: number): number {
  if (lastDeathAt === undefined) return 0;
  return Math.min(SETUP_SETTLE_MS, Math.max(0, lastDeathAt + SETUP_SETTLE_MS - now));
}
