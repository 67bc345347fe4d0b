/**
 * One receiver of Harper's full copy in a fresh process (so its CPU time and peak RSS are this variant's): the tool
 * subscribes to an embedded harperdb node's `data` database from version 0 and receives every record.
 *   discard: the tool's subscriber alone, every message dropped (Harper's own sender, the anchor);
 *   file:    the capture run (`capture --since 0`), every message written to a capture file.
 * The node's URL and credentials arrive over IPC (never on the command line). Prints one JSON line.
 *
 * The rate is Harper's sender's own: from the first data frame's arrival to the last's, over the records after the
 * first frame (connecting, the handshake and the node's start of the copy are not part of it). The tool's synth
 * figures are timed the same way from their first frame to their last, so the ratio compares senders, not set-ups.
 * The CPU share (cores) is over the whole job.
 */
import { readFileSync, statSync } from 'node:fs';
import { Direction, RecordKind } from '../src/capture/format.js';
import { CaptureReader } from '../src/capture/reader.js';
import { summarizeTxnFrame } from '../src/protocol/txn-frame.js';
import { runCapture } from '../src/run/capture-run.js';
import { Subscriber } from '../src/session/subscriber.js';
import { PeakRss } from './peak-rss.js';

export interface FullCopyJob {
  mode: 'discard' | 'file';
  replicationUrl: string;
  credentials: { user: string; password: string };
  records: number;
  /** The capture file (file mode). */
  out: string;
}

interface Received {
  records: number;
  bytes: number;
  frames: number;
  span: DataSpan;
}

/** When the first data frame and the last one arrived (ms), and the records and bytes of the frames after the first. */
interface DataSpan {
  firstAtMs: number;
  lastAtMs: number;
  records: number;
  bytes: number;
  frames: number;
}

/** Adds one data frame's arrival to the span. */
function spanAdd(span: DataSpan, atMs: number, records: number, bytes: number): void {
  if (span.frames++ === 0) {
    span.firstAtMs = atMs;
  } else {
    span.records += records;
    span.bytes += bytes;
  }
  span.lastAtMs = atMs;
}

const emptySpan = (): DataSpan => ({ firstAtMs: 0, lastAtMs: 0, records: 0, bytes: 0, frames: 0 });

/** Records of a transaction frame (0 for anything else). */
function recordsOf(message: Uint8Array): number {
  try {
    return summarizeTxnFrame(message).entryCount;
  } catch {
    return 0;
  }
}

/** When the job arrived, when the last expected record arrived, and the CPU used until then (not the file's close after it). */
const clock = { startedAt: 0, cpuStart: process.cpuUsage(), endedAt: 0, cpu: { user: 0, system: 0 } };
function markEnd(): boolean {
  if (clock.endedAt) return false;
  clock.endedAt = Date.now();
  clock.cpu = process.cpuUsage(clock.cpuStart);
  return true;
}

async function discard(job: FullCopyJob): Promise<Received> {
  const seen = { records: 0, bytes: 0, frames: 0, span: emptySpan() };
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const subscriber = new Subscriber(
    {
      url: job.replicationUrl,
      authorization: `Basic ${Buffer.from(`${job.credentials.user}:${job.credentials.password}`).toString('base64')}`,
      toolNodeName: `bench-discard-${process.pid}`,
      database: 'data',
      since: 0,
      ack: true,
    },
    () => {},
    (txn) => {
      if (txn.records > 0) spanAdd(seen.span, performance.now(), txn.records, txn.bytes);
      seen.records += txn.records;
      seen.bytes += txn.bytes;
      seen.frames++;
      if (seen.records >= job.records && markEnd()) finished();
    },
  );
  await subscriber.start();
  await done;
  await subscriber.close();
  return seen;
}

async function capture(job: FullCopyJob): Promise<Received> {
  const stop = new AbortController();
  const result = await runCapture({
    source: job.replicationUrl,
    credentials: job.credentials,
    database: 'data',
    since: 0,
    ack: true,
    out: job.out,
    flushIntervalMs: 1000,
    force: true,
    signal: stop.signal,
    // Progress comes every 50 ms: the end is known to within that.
    onProgress: (progress) => {
      if (progress.records >= job.records && markEnd()) stop.abort();
    },
  });
  if (result.error) throw new Error(result.error);
  return { records: result.records, bytes: result.bytes, frames: result.frames, span: await spanOf(job.out) };
}

/** The capture's first and last data frames, from the arrival times it recorded. */
async function spanOf(path: string): Promise<DataSpan> {
  const reader = await CaptureReader.open(path);
  const span = emptySpan();
  try {
    for await (const record of reader.records({ borrow: true })) {
      if (record.kind !== RecordKind.MESSAGE || record.direction !== Direction.FROM_SOURCE) continue;
      const records = recordsOf(record.payload);
      if (records > 0) spanAdd(span, record.timeUs / 1000, records, record.payload.length);
    }
  } finally {
    await reader.close();
  }
  return span;
}

function vmHwm(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
}

process.once('message', async (job: FullCopyJob) => {
  // A copy that never reaches N records (a node that stopped sending) ends the bench instead of hanging it.
  const timeoutMs = Number(process.env.BENCH_COPY_TIMEOUT_MS ?? 600_000);
  setTimeout(() => {
    process.stderr.write(`full copy (${job.mode}): not all ${job.records} records within ${timeoutMs} ms\n`);
    process.exit(1);
  }, timeoutMs).unref();
  const peakRss = new PeakRss();
  clock.startedAt = Date.now();
  clock.cpuStart = process.cpuUsage();
  const received = await (job.mode === 'discard' ? discard(job) : capture(job));
  const jobMs = clock.endedAt - clock.startedAt;
  const span = received.span;
  const wallMs = span.lastAtMs - span.firstAtMs;
  peakRss.stop();
  const cpuSec = (clock.cpu.user + clock.cpu.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({
      variant: job.mode,
      records: received.records,
      frames: received.frames,
      bytes: received.bytes,
      wallMs: Math.round(wallMs),
      // The whole job: connecting, the handshake, the copy (the old clock, for comparison).
      jobMs,
      dataFrames: span.frames,
      recordsPerSec: Math.round((span.records * 1000) / wallMs),
      mbPerSec: Math.round((span.bytes / 1e3 / wallMs) * 10) / 10,
      cpuSec: Math.round(cpuSec * 100) / 100,
      // CPU time over the job's wall time: 0.5 is half a core.
      cores: Math.round((cpuSec / (jobMs / 1000)) * 100) / 100,
      peakRssMiB: Math.round(Math.max(peakRss.bytes, vmHwm()) / 2 ** 20),
      fileMB: job.mode === 'file' ? Math.round(statSync(job.out).size / 1e6) : null,
    })}\n`,
  );
  process.exit(0);
});
