/**
 * Export benchmark (fresh process): generate a capture of `BENCH_EXPORT_MB` (default 256) of synthetic frames
 * (10,000 × 256 B records, ~2.8 MB each), then export it to pcapng and to JSON lines. Prints one JSON line:
 * MB/s of capture read and peak RSS per format.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportFormat, exportCapture } from '../src/run/export-run.js';
import { generateCapture } from './generate-capture.js';
import { PeakRss } from './peak-rss.js';

const targetBytes = Number(process.env.BENCH_EXPORT_MB ?? 256) * 1e6;
const dir = mkdtempSync(join(tmpdir(), 'harper-replay-bench-export-'));
const path = join(dir, 'bench.hrcap');

const peakRss = new PeakRss();

try {
  await generateCapture(path, targetBytes, 3);
  const captureBytes = statSync(path).size;
  const results: Record<string, unknown> = { captureMB: Math.round(captureBytes / 1e6) };
  for (const format of ['pcapng', 'jsonl'] as ExportFormat[]) {
    peakRss.reset();
    const started = Date.now();
    const out = join(dir, `bench.${format}`);
    const result = await exportCapture({ capture: path, out, format, payload: true, force: true });
    const wallMs = Date.now() - started;
    results[format] = {
      wallMs,
      mbPerSec: Math.round(captureBytes / 1e6 / (wallMs / 1000)),
      outputMB: Math.round(result.bytesWritten / 1e6),
      peakRssMiB: Math.round(peakRss.bytes / 2 ** 20),
    };
    rmSync(out, { force: true });
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  peakRss.stop();
  rmSync(dir, { recursive: true, force: true });
}
