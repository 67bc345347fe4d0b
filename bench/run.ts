/**
 * `npm run bench`: prints numbers, asserts nothing, exits 0. Every figure stands beside an anchor measured in the
 * same rounds on the same machine (issue 19): the ceiling (pre-built frames over `ws` on loopback to the same
 * discarding peer), a naive msgpackr sender, Harper's own sender (an embedded harperdb 4.7.29 streaming a full
 * copy to the tool's subscriber) and the raw disk. Each variant runs in a fresh process; the rounds interleave all
 * variants so the machine's drift hits them alike; tables show the median and the range, ratios are taken round
 * by round. `-- --json` prints one JSON document on stdout (use `npm run -s bench -- --json`: npm's own banner
 * goes to stdout too); `-- --large` (or BENCH_LARGE=1) adds 10 M synthetic records and a 1 GB capture replay;
 * `-- --no-harper` skips the embedded node; `-- --presets LIST` times synth presets instead.
 */
import { cpus, loadavg } from 'node:os';
import { selectPresets, timePresets } from './preset-times.js';
import { type BenchDocument, printText } from './report.js';
import { runBench } from './rounds.js';

const argv = process.argv.slice(2);
const presetsFlag = argv.indexOf('--presets');
if (presetsFlag >= 0) {
  try {
    timePresets(selectPresets(argv[presetsFlag + 1] ?? ''));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(2);
  }
  process.exit(0);
}
const known = new Set(['--json', '--large', '--no-harper']);
const unknown = argv.find((arg) => !known.has(arg));
if (unknown) {
  console.error(`bench: unknown argument ${unknown}; use --json, --large, --no-harper or --presets LIST`);
  process.exit(2);
}

const json = argv.includes('--json');
const loadAtStart = loadavg();
/** A size from the environment: a positive integer, or a one-line error (exit 2). */
function sizeFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`bench: ${name}=${text} is not a positive integer`);
    process.exit(2);
  }
  return value;
}
const settings = {
  records: sizeFromEnv('BENCH_RECORDS', 2_000_000),
  repeats: sizeFromEnv('BENCH_REPEATS', 3),
  captureMB: sizeFromEnv('BENCH_CAPTURE_MB', 256),
  harperRecords: argv.includes('--no-harper') ? 0 : sizeFromEnv('BENCH_HARPER_RECORDS', 100_000),
  large: argv.includes('--large') || process.env.BENCH_LARGE === '1',
};
// Under --json, stdout holds the document alone: the progress goes to stderr.
const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const started = Date.now();
let measured: Awaited<ReturnType<typeof runBench>>;
try {
  measured = await runBench(settings, log);
} catch (error) {
  // A variant that failed is the bench's failure (exit 1), in the --json contract's shape under --json.
  const message = (error as Error).message.split('\n')[0]!;
  if (json)
    process.stdout.write(
      `${JSON.stringify({ exitCode: 1, error: { message, exitCode: 1, kind: 'error' } })}\n`,
    );
  console.error(`bench: ${message}`);
  process.exit(1);
}
const document: BenchDocument = {
  exitCode: 0,
  error: null,
  machine: {
    cpus: cpus().length,
    node: process.version,
    loadAverage: { start: loadAtStart, end: loadavg() },
    benchSeconds: Math.round((Date.now() - started) / 1000),
  },
  settings,
  ...measured,
};
if (json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
else printText(document);
process.exit(0);
