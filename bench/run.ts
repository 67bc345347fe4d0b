/**
 * `npm run bench`: prints numbers, asserts nothing. Each variant runs in a fresh process, 3 times; the table shows
 * the median and the range. Goals (DESIGN.md): ≥ 1,000,000 records/s of 256 B records and < 200 MB tool RSS for
 * 2,000,000 records, encode + send to a discarding peer. `-- --presets LIST` times synth presets instead.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { selectPresets, timePresets } from './preset-times.js';

// `npm run bench -- --presets a,b|all`: only the presets' run times against embedded nodes (see preset-times.ts).
const presetsFlag = process.argv.indexOf('--presets');
if (presetsFlag >= 0) {
  try {
    timePresets(selectPresets(process.argv[presetsFlag + 1] ?? ''));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(2);
  }
  process.exit(0);
}

const records = Number(process.env.BENCH_RECORDS ?? 2_000_000);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const script = fileURLToPath(new URL('./synth-send.js', import.meta.url));

interface Result {
  variant: string;
  records: number;
  bytes: number;
  wallMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  cpuSec: number;
  peakRssMiB: number;
}

const variants: Array<[string, string]> = [
  ['encode', 'synth encode only (frame writer)'],
  [
    'encode-mix',
    'synth encode only, --mix insert=70,update=25,delete=5 --keys zipf:1.1 (operation plan + frame writer)',
  ],
  ['client', 'synth encode + ws.send, tool as client (push mode), discarding server'],
  ['server', 'synth encode + ws.send, tool as server (peer mode), discarding client'],
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const range = (values: number[]) =>
  `${Math.min(...values).toLocaleString('en-US')}–${Math.max(...values).toLocaleString('en-US')}`;

console.log(
  `harper-replay bench: ${records.toLocaleString('en-US')} records × 256 B, 10,000 per frame, ${repeats} runs each (median, range)\n`,
);
const runsOf = new Map<string, Result[]>();
for (const [variant, label] of variants) {
  const runs: Result[] = [];
  runsOf.set(variant, runs);
  for (let i = 0; i < repeats; i++) {
    runs.push(
      JSON.parse(execFileSync(process.execPath, [script, variant, String(records)], { encoding: 'utf8' })),
    );
  }
  const rps = runs.map((r) => r.recordsPerSec);
  const mbs = runs.map((r) => r.mbPerSec);
  const rss = runs.map((r) => r.peakRssMiB);
  console.log(label);
  console.log(`  records/s  ${median(rps).toLocaleString('en-US')}  (${range(rps)})`);
  console.log(`  MB/s       ${median(mbs)}  (${range(mbs)})`);
  console.log(`  peak RSS   ${median(rss)} MiB  (${range(rss)})`);
  console.log(
    `  wall       ${median(runs.map((r) => r.wallMs))} ms, CPU ${median(runs.map((r) => r.cpuSec))} s\n`,
  );
  if (variant === 'encode-mix') mixRatio(runsOf.get('encode') ?? [], runs);
}

/** The mix's records/s against pure inserts of the same run, run by run (the machine's load moves both). */
function mixRatio(inserts: Result[], mixed: Result[]): void {
  const ratios = mixed.map((r, i) => r.recordsPerSec / (inserts[i]?.recordsPerSec ?? Number.NaN));
  console.log(
    `  mix ÷ inserts records/s  ${median(ratios).toFixed(2)}  (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})\n`,
  );
}

// Shaped records (--like, ~20 attributes) beside the fixed ones: encode only, interleaved rounds, their MB/s ratio.
const shapeRuns = JSON.parse(
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('./shape-encode.js', import.meta.url)), '500000', String(repeats)],
    {
      encoding: 'utf8',
    },
  ),
) as {
  records: number;
  attributes: number;
  rounds: Array<
    Record<'fixed' | 'shaped', { recordsPerSec: number; mbPerSec: number; meanRecordBytes: number }> & {
      ratio: number;
    }
  >;
};
console.log(
  `shaped vs fixed records, encode only: ${shapeRuns.records.toLocaleString('en-US')} records each, ${shapeRuns.attributes} attributes (--like) vs {id, frame, payload} 256 B, ${shapeRuns.rounds.length} interleaved rounds`,
);
for (const kind of ['fixed', 'shaped'] as const) {
  const rounds = shapeRuns.rounds.map((r) => r[kind]);
  console.log(
    `  ${kind.padEnd(7)} records/s ${median(rounds.map((r) => r.recordsPerSec)).toLocaleString('en-US')} (${range(rounds.map((r) => r.recordsPerSec))}), MB/s ${median(rounds.map((r) => r.mbPerSec))} (${range(rounds.map((r) => r.mbPerSec))}), ${rounds[0]!.meanRecordBytes} B/record`,
  );
}
const ratios = shapeRuns.rounds.map((r) => r.ratio);
console.log(`  shaped/fixed MB/s ${median(ratios)} (${range(ratios)}; goal ≥ 0.5)\n`);

// Replay from disk: a generated capture (1 GB by default), read, rewritten and sent flat out to a discarding peer.
const replayScript = fileURLToPath(new URL('./replay-send.js', import.meta.url));
const replays: Array<{
  captureMB: number;
  indexMs: number;
  wallMs: number;
  mbPerSec: number;
  peakRssMiB: number;
  cpuSec: number;
}> = [];
for (let i = 0; i < Math.min(repeats, 2); i++) {
  replays.push(JSON.parse(execFileSync(process.execPath, [replayScript], { encoding: 'utf8' })));
}
const rates = replays.map((r) => r.mbPerSec);
const peaks = replays.map((r) => r.peakRssMiB);
console.log(
  `replay from disk: ${replays[0]!.captureMB} MB capture, index + read + rewrite + ws.send to a discarding server (${replays.length} runs)`,
);
console.log(`  MB/s       ${median(rates)}  (${range(rates)})`);
console.log(`  peak RSS   ${median(peaks)} MiB  (${range(peaks)})`);
console.log(
  `  wall       ${median(replays.map((r) => r.wallMs))} ms (index pass ${median(replays.map((r) => r.indexMs))} ms), CPU ${median(replays.map((r) => r.cpuSec))} s`,
);

// Export: a generated capture (256 MB by default) to pcapng and to JSON lines.
const exportScript = fileURLToPath(new URL('./export-capture.js', import.meta.url));
const exported = JSON.parse(execFileSync(process.execPath, [exportScript], { encoding: 'utf8' })) as {
  captureMB: number;
} & Record<'pcapng' | 'jsonl', { wallMs: number; mbPerSec: number; outputMB: number; peakRssMiB: number }>;
console.log(`\nexport: ${exported.captureMB} MB capture (capture MB read per second)`);
for (const format of ['pcapng', 'jsonl'] as const) {
  const r = exported[format];
  console.log(
    `  ${format.padEnd(7)} ${r.mbPerSec} MB/s, ${r.wallMs} ms, ${r.outputMB} MB written, peak RSS ${r.peakRssMiB} MiB`,
  );
}
