/** Named workloads: the scenarios of the seed pull requests, runnable in one command. */

import type { RecordShape } from '../events/schema.js';

/** A preset's shape and what it needs of the node and the run. */
export interface WorkloadShape extends RecordShape {
  /** Settings of the embedded node this scenario needs (Harper env overrides). */
  nodeConfig?: Record<string, string>;
  /** A sensible --max-reconnects for the scenario (a crash loop would otherwise go on). */
  maxReconnects?: number;
  /** A sensible --until-resubscribed: end once the Nth death's herd is measured. */
  untilResubscribed?: number;
}

export interface Preset extends WorkloadShape {
  name: string;
  description: string;
  /** Faults installed in the embedded node (--target-fault syntax): the preset needs the embedded target. */
  targetFaults?: string[];
  /** Thresholds the scenario is judged by (added to --threshold; --no-preset-thresholds drops them). */
  thresholds?: string[];
  /** Send the liveness record after the last frame. */
  liveness?: boolean;
  /** Load this many databases at once (<database>_1 … _N) unless --databases or a list says otherwise. */
  databases?: number;
  /** The single-peer incident the preset reproduces: N shards are N peers, so it refuses --shard. */
  singlePeer?: string;
}

export const PRESETS: Record<string, Preset> = {
  'catchup-40x500': {
    name: 'catchup-40x500',
    description: 'PR #150 receiveBacklogMemory: a catch-up backlog of 40 frames × 500 records × 256 B',
    frames: 40,
    recordsPerFrame: 500,
    recordSize: 256,
    blobSize: 0,
  },
  'oversized-10k': {
    name: 'oversized-10k',
    description: 'PR #147 oversized batches: 20 frames × 10,000 records × 256 B (2.8 MB WebSocket messages)',
    frames: 20,
    recordsPerFrame: 10_000,
    recordSize: 256,
    blobSize: 0,
  },
  'blobs-50k': {
    name: 'blobs-50k',
    description: '200 records with a 50 KB file-backed blob each, 20 per frame, sent as BLOB_CHUNK frames',
    frames: 10,
    recordsPerFrame: 20,
    recordSize: 256,
    blobSize: 50 * 1024,
  },
  'oom-crashloop': {
    name: 'oom-crashloop',
    description:
      'the PR #147 incident, scaled down: 2 frames × 60,000 records into a node whose workers have a 200 MB heap (THREADS_MAXHEAPMEMORY=200); the worker dies with ERR_WORKER_OUT_OF_MEMORY, comes back, the stream re-subscribes and the new worker dies the same way — the crash loop twice (the seed: every ~25 s at 2 GB), then the tool gives up (exit 1)',
    frames: 2,
    // 200 MB and 60,000 records die as surely as 300 MB and 100,000 (one frame is enough), with less to build
    // and send; two deaths show the loop, a third only repeated it (78 s at load 5-7 with three).
    recordsPerFrame: 60_000,
    recordSize: 256,
    blobSize: 0,
    nodeConfig: { THREADS_MAXHEAPMEMORY: '200' },
    maxReconnects: 1,
    singlePeer: "PR #147's crash loop of one peer's catch-up",
  },
  'blob-save-failures': {
    name: 'blob-save-failures',
    description:
      'PR #150 blobSaveRejectionContainment: 400 records × 50 KB blobs into the embedded node, every 7th blob file write failing (ENOENT); judged by uncaughtExceptions==0 and the liveness record (4.7.29 breaches the first)',
    frames: 20,
    recordsPerFrame: 20,
    recordSize: 256,
    blobSize: 50 * 1024,
    targetFaults: ['blob-write-fail:7'],
    thresholds: ['uncaughtExceptions==0', 'livenessMs<30s'],
    liveness: true,
    singlePeer: "PR #150's blob save failures on one peer's stream into a faulted embedded node",
  },
  'resubscribe-herd': {
    name: 'resubscribe-herd',
    description:
      'PR #147 worker-exit reassignment herd: 8 databases catch up at once (2 frames × 40,000 records each) into a worker with a 200 MB heap; it dies and every stream re-subscribes — the herd is measured per death, and the run ends once all 8 are back (--until-resubscribed 1: exit 3, not every frame was sent)',
    frames: 2,
    // 200 MB and 40,000 records: the first death comes after ~7 s of load instead of ~25 s with 300 MB and 60,000.
    recordsPerFrame: 40_000,
    recordSize: 256,
    blobSize: 0,
    nodeConfig: { THREADS_MAXHEAPMEMORY: '200' },
    // The run ends once the first death's herd is measured (every stream back); the crash loop would go on.
    maxReconnects: 1,
    untilResubscribed: 1,
    databases: 8,
    singlePeer: "PR #147's re-subscription herd of one peer's 8 databases",
  },
  'blob-backlog': {
    name: 'blob-backlog',
    description:
      'PR #147 BLOB_CHUNK without write backpressure: 2,000 records × 50 KB blobs (100 frames × 20) into the embedded node, its blob file writes through one slow disk (blob-write-slow:3ms, ≈8 MB/s); 4.7.29 keeps reading chunks while the writes fall behind and they wait in memory — see external memory, against the same shape without the fault (--frames 100 --records-per-frame 20 --blob-size 50KB)',
    frames: 100,
    recordsPerFrame: 20,
    recordSize: 256,
    blobSize: 50 * 1024,
    targetFaults: ['blob-write-slow:3ms'],
    singlePeer: "PR #147's blob backlog of one peer's chunks into a slow embedded disk",
  },
};

export const DEFAULT_PRESET = 'oversized-10k';

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
