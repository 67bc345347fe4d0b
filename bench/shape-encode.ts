/**
 * Shaped records (--like / --template) beside the fixed {id, frame, payload} ones, encode only (the frame writer):
 * a 20-attribute shape (strings, ints, floats, a boolean, a date, a nested object, an array) against 256 B fixed
 * records, interleaved A/B rounds in one process so both see the same machine. Prints one JSON line: records/s and
 * MB/s of each per round, the ratio of the shaped MB/s to the fixed MB/s (the anchor), and that ratio's median and
 * spread over the rounds (the goal: median ≥ 0.5); cpuRatio is the same from process CPU time, which other loads on
 * the machine disturb far less.
 */
import { parseRecordShape } from '../src/workload/record-shape.js';
import { ShapedRecordEncoder } from '../src/workload/shaped-encoder.js';
import { SyntheticWorkload } from '../src/workload/synthetic.js';

const records = Number(process.argv[2] ?? 500_000);
const rounds = Number(process.argv[3] ?? 3);
const recordsPerFrame = 10_000;
/** BENCH_FRESH_FRAMES=1: every frame in a fresh buffer (no release), as before frames were recycled. */
const freshFrames = process.env.BENCH_FRESH_FRAMES === '1';
const frames = Math.ceil(records / recordsPerFrame);

/** What a --like of a product catalogue table gives: ~20 attributes of every kind. */
export const LIKE_20 = parseRecordShape({
  attributes: [
    { name: 'sku', type: 'string', size: 12, indexed: true },
    { name: 'title', type: 'string', size: '20-60' },
    { name: 'category', type: 'string', distinct: 40, size: '6-14', indexed: true },
    { name: 'brand', type: 'string', values: ['acme', 'globex', 'initech', 'umbrella', 'hooli'] },
    { name: 'description', type: 'string', size: '40-120', nullRate: 0.1 },
    { name: 'price', type: 'float', range: [0.5, 2500] },
    { name: 'cost', type: 'float', range: [0.1, 2000] },
    { name: 'stock', type: 'int', range: [0, 10000] },
    { name: 'reorderAt', type: 'int', range: [0, 500] },
    { name: 'rating', type: 'float', range: [0, 5] },
    { name: 'reviews', type: 'int', range: [0, 100000] },
    { name: 'active', type: 'boolean' },
    { name: 'createdAt', type: 'date' },
    { name: 'updatedAt', type: 'date' },
    { name: 'color', type: 'string', values: ['red', 'green', 'blue', 'black', 'white'] },
    { name: 'weightGrams', type: 'int', range: [1, 50000] },
    {
      name: 'dimensions',
      type: 'object',
      attributes: [
        { name: 'width', type: 'float', range: [1, 100] },
        { name: 'height', type: 'float', range: [1, 100] },
        { name: 'depth', type: 'float', range: [1, 100] },
        { name: 'unit', type: 'string', values: ['cm', 'in'] },
      ],
    },
    { name: 'tags', type: 'array', size: '0-5', items: { type: 'string', size: '3-10' } },
    { name: 'supplier', type: 'string', distinct: 500, size: '8-20' },
    { name: 'warehouse', type: 'string', values: ['east', 'west', 'north'] },
  ],
});

function workload(shaped: boolean): SyntheticWorkload {
  return new SyntheticWorkload({
    frames,
    recordsPerFrame,
    recordSize: 256,
    blobSize: 0,
    seed: 1,
    tableName: 'bench',
    originName: 'bench',
    baseVersion: Date.now(),
    baseSequence: Date.now(),
    ...(shaped ? { encoders: [new ShapedRecordEncoder(LIKE_20, { tableName: 'bench', seed: 1 })] } : {}),
  });
}

function time(source: SyntheticWorkload): {
  recordsPerSec: number;
  mbPerSec: number;
  /** MB per second of this process's CPU time: steadier than wall time when other loads share the cores. */
  mbPerCpuSec: number;
  /** Minor page faults per MB built: fresh frame memory from the allocator (see README, shaped records). */
  faultsPerMB: number;
  meanRecordBytes: number;
} {
  let bytes = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  for (let i = 0; i < frames; i++) {
    const frame = source.build(i);
    bytes += frame.data.length;
    // As the sender does once the socket has written a frame: its buffer serves a later frame (no fresh pages).
    if (!freshFrames) source.release(frame);
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const faults = process.resourceUsage().minorPageFault - faultsBefore;
  const total = frames * recordsPerFrame;
  return {
    recordsPerSec: Math.round(total / seconds),
    mbPerSec: Math.round((bytes / 1e6 / seconds) * 10) / 10,
    mbPerCpuSec: Math.round((bytes / (cpu.user + cpu.system)) * 10) / 10,
    faultsPerMB: Math.round(faults / (bytes / 1e6)),
    meanRecordBytes: Math.round(bytes / total),
  };
}

/** Median and spread of the rounds' ratios. */
function spread(values: number[]): { median: number | null; min: number | null; max: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? null,
    min: sorted[0] ?? null,
    max: sorted[sorted.length - 1] ?? null,
  };
}

const twoDigits = (x: number) => Math.round(x * 100) / 100;

const fixed = workload(false);
const shaped = workload(true);
time(fixed); // warm both paths up before measuring
time(shaped);
const out: Array<{
  fixed: ReturnType<typeof time>;
  shaped: ReturnType<typeof time>;
  ratio: number;
  cpuRatio: number;
}> = [];
for (let round = 0; round < rounds; round++) {
  // Alternate which goes first so neither always gets the warmer machine.
  const a = round % 2 ? time(shaped) : time(fixed);
  const b = round % 2 ? time(fixed) : time(shaped);
  const [f, s] = round % 2 ? [b, a] : [a, b];
  out.push({
    fixed: f,
    shaped: s,
    ratio: twoDigits(s.mbPerSec / f.mbPerSec),
    cpuRatio: twoDigits(s.mbPerCpuSec / f.mbPerCpuSec),
  });
}
console.log(
  JSON.stringify({
    records: frames * recordsPerFrame,
    attributes: LIKE_20.attributes.length,
    rounds: out,
    ratio: spread(out.map((r) => r.ratio)),
    cpuRatio: spread(out.map((r) => r.cpuRatio)),
  }),
);
