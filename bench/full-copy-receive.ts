/**
 * One receiver of Harper's full copy in a fresh process (so its CPU time and peak RSS are this variant's): the tool
 * subscribes to an embedded harperdb node's `data` database from version 0 and receives every record.
 *   discard: the tool's subscriber alone, every message dropped (Harper's own sender, the anchor);
 *   file:    the capture run (`capture --since 0`), every message written to a capture file.
 * The node's URL and credentials arrive over IPC (never on the command line). Prints one JSON line.
 */
import { readFileSync, statSync } from 'node:fs';
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
  const seen = { records: 0, bytes: 0, frames: 0 };
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
  return { records: result.records, bytes: result.bytes, frames: result.frames };
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
  const wallMs = clock.endedAt - clock.startedAt;
  peakRss.stop();
  const cpuSec = (clock.cpu.user + clock.cpu.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({
      variant: job.mode,
      records: received.records,
      frames: received.frames,
      bytes: received.bytes,
      wallMs,
      recordsPerSec: Math.round((received.records * 1000) / wallMs),
      mbPerSec: Math.round((received.bytes / 1e3 / wallMs) * 10) / 10,
      cpuSec: Math.round(cpuSec * 100) / 100,
      // CPU time over wall time: 0.5 is half a core.
      cores: Math.round((cpuSec / (wallMs / 1000)) * 100) / 100,
      peakRssMiB: Math.round(Math.max(peakRss.bytes, vmHwm()) / 2 ** 20),
      fileMB: job.mode === 'file' ? Math.round(statSync(job.out).size / 1e6) : null,
    })}\n`,
  );
  process.exit(0);
});
