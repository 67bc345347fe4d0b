/** The bench's output: the JSON document (--json) and the text tables. */
import type { Measured, Spread } from './measure.js';
import type { BenchSettings, Measurements } from './rounds.js';

export interface BenchDocument extends Measurements {
  exitCode: 0;
  error: null;
  machine: {
    cpus: number;
    node: string;
    loadAverage: { start: number[]; end: number[] };
    benchSeconds: number;
  };
  settings: BenchSettings;
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const fixed = (digits: number) => (value: number) => value.toFixed(digits);

/** "median (min–max)", or "–" when not measured. */
function show(spread: Spread | null, format: (value: number) => string): string {
  if (!spread) return '–';
  return spread.min === spread.max
    ? format(spread.median)
    : `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})`;
}

function printVariants(document: BenchDocument): void {
  console.log(
    'variant            records/s                       MB/s               peak RSS MiB   of ceiling          × Harper',
  );
  for (const row of document.variants) {
    console.log(
      [
        row.variant.padEnd(18),
        show(row.recordsPerSec, count).padEnd(31),
        show(row.mbPerSec, fixed(0)).padEnd(18),
        show(row.peakRssMiB, fixed(0)).padEnd(14),
        show(row.ofCeiling, fixed(2)).padEnd(19),
        show(row.timesHarper, fixed(1)),
      ].join(' '),
    );
  }
  console.log('');
  for (const row of document.variants) {
    const ceiling = row.ceiling ? `; its ceiling: ${row.ceiling}` : '';
    console.log(`  ${row.variant.padEnd(17)} ${row.label}${ceiling}`);
  }
  console.log(
    "  × Harper: records/s over Harper's own sender's in the same round (MB/s for the raw disk anchors); ranges are over the rounds",
  );
}

function printRatios(document: BenchDocument): void {
  console.log("\nratios, round by round (median, range), against issue 19's done-when");
  const width = Math.max(...document.ratios.map((row) => row.name.length));
  for (const row of document.ratios) {
    const verdict = row.met === null ? (row.goal ? 'not measured' : '') : row.met ? 'met' : 'NOT met';
    console.log(
      `  ${row.name.padEnd(width)} ${show(row.value, fixed(row.name.includes('MiB') ? 0 : 2)).padEnd(22)} ${(row.goal ?? '').padEnd(12)} ${verdict}`,
    );
  }
}

function printLarge(large: Measured[]): void {
  if (!large.length) return;
  console.log('\nlarge runs (once each; the memory bound at size)');
  for (const m of large) {
    console.log(
      `  ${m.variant.padEnd(20)} ${count(m.records ?? 0)} records, ${(m.bytes / 1e6).toFixed(0)} MB in ${(m.wallMs / 1000).toFixed(1)} s: ${count(m.recordsPerSec ?? 0)} records/s, ${m.mbPerSec} MB/s, peak RSS ${m.peakRssMiB} MiB`,
    );
  }
}

interface ShapeRuns {
  rounds: Array<{ ratio: number }>;
}
interface ExportRuns {
  captureMB: number;
  pcapng: { mbPerSec: number; peakRssMiB: number };
  jsonl: { mbPerSec: number; peakRssMiB: number };
}

export function printText(document: BenchDocument): void {
  const { settings, machine, harper } = document;
  console.log(
    `\nharper-replay bench: ${count(settings.records)} records × 256 B (10,000 per frame), a ${document.captureMB} MB capture, ${harper ? `Harper's full copy of ${count(harper.records)} records` : 'no Harper (--no-harper)'}; ${settings.repeats} interleaved rounds, each variant a fresh process`,
  );
  console.log(
    `machine: ${machine.cpus} CPUs, load average ${machine.loadAverage.start.map(fixed(1)).join(' ')} at start, ${machine.loadAverage.end.map(fixed(1)).join(' ')} at end; ${machine.benchSeconds} s\n`,
  );
  printVariants(document);
  printRatios(document);
  printLarge(document.large);
  const shapes = document.shapes as ShapeRuns;
  const ratios = shapes.rounds.map((r) => r.ratio).sort((a, b) => a - b);
  console.log(
    `\nshaped (--like, 20 attributes) ÷ fixed records, encode only, MB/s: ${ratios.join(', ')} (goal ≥ 0.5)`,
  );
  const exported = document.export as ExportRuns;
  console.log(
    `export of a ${exported.captureMB} MB capture: pcapng ${exported.pcapng.mbPerSec} MB/s (peak RSS ${exported.pcapng.peakRssMiB} MiB), jsonl ${exported.jsonl.mbPerSec} MB/s (${exported.jsonl.peakRssMiB} MiB)`,
  );
  console.log('\nAbsolute figures depend on the machine and its load; compare the ratios.');
}
