/**
 * runSynth options as the integration tests give them: the tool listens on 127.0.0.1 (an ephemeral port) for the
 * target to dial, into database `data`, verified, with bounded waits. A test passes its target, table, workload and
 * whatever it tests on top.
 */
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import type { SynthRunOptions } from '../../src/run/synth-run.js';

type Given = Pick<SynthRunOptions, 'target' | 'table' | 'workload'>;

export function synthRunOptions(options: Given & Partial<SynthRunOptions>): SynthRunOptions {
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
    ...options,
  };
}

/** A started node as runSynth's --target. */
export const targetOf = (node: EmbeddedNode): SynthRunOptions['target'] => ({
  url: node.operationsUrl,
  credentials: node.credentials,
});
