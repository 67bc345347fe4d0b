/**
 * runSynth and runReplay options as the integration tests give them: the tool listens on 127.0.0.1 (an ephemeral
 * port) for the target to dial, into database `data`, verified, with bounded waits. A test passes its target, its
 * workload (table and workload, or capture and replay) and whatever it tests on top.
 */
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import type { LoadRunOptions } from '../../src/run/load-options.js';
import type { ReplayRunOptions } from '../../src/run/replay-run.js';
import type { SynthRunOptions } from '../../src/run/synth-run.js';

export function synthRunOptions(
  options: Pick<SynthRunOptions, 'target' | 'table' | 'workload'> & Partial<SynthRunOptions>,
): SynthRunOptions {
  return { ...loadRunDefaults(), ...options };
}

export function replayRunOptions(
  options: Pick<ReplayRunOptions, 'target' | 'capture' | 'replay'> & Partial<ReplayRunOptions>,
): ReplayRunOptions {
  return { ...loadRunDefaults(), ...options };
}

function loadRunDefaults(): Omit<LoadRunOptions, 'target'> {
  return {
    via: 'peer',
    listenHost: '127.0.0.1',
    listenPort: 0,
    database: 'data',
    maxReconnects: 3,
    ackTimeoutMs: 60_000,
    subscribeTimeoutMs: 30_000,
    verify: true,
    highWaterMark: 4 * 1024 * 1024,
    signal: new AbortController().signal,
  };
}

/** A started node as runSynth's --target. */
export const targetOf = (node: EmbeddedNode): SynthRunOptions['target'] => ({
  url: node.operationsUrl,
  credentials: node.credentials,
});
