/**
 * Replay from disk benchmark (fresh process): generate a capture of `BENCH_CAPTURE_MB` (default 1024) of
 * synthetic frames, then replay it flat out through the replay source (index, read, rewrite with new versions and
 * tails) and the flow-controlled sender to a discarding WebSocket peer in another process. Prints one JSON line.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Direction } from '../src/capture/format.js';
import { CaptureWriter } from '../src/capture/writer.js';
import { FlowControlledSender } from '../src/session/flow-control.js';
import { ReplaySource } from '../src/workload/replay-source.js';
import { SyntheticWorkload } from '../src/workload/synthetic.js';

const targetBytes = Number(process.env.BENCH_CAPTURE_MB ?? 1024) * 1e6;
const dir = mkdtempSync(join(tmpdir(), 'harper-replay-bench-'));
const path = join(dir, 'bench.hrcap');

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 10);

try {
  // 1. The capture: frames of 10,000 × 256 B records (~2.8 MB each), written like a subscriber would.
  const workload = new SyntheticWorkload({
    frames: 1_000_000,
    recordsPerFrame: 10_000,
    recordSize: 256,
    blobSize: 0,
    seed: 2,
    tableName: 'bench',
    originName: 'bench-source',
    baseVersion: Date.now(),
    baseSequence: Date.now(),
  });
  const now = Date.now();
  const writer = await CaptureWriter.create(path, {
    tool: 'harper-replay',
    toolVersion: 'bench',
    formatVersion: 1,
    mode: 'subscribe',
    startedAtMs: now,
    startedAt: new Date(now).toISOString(),
    source: { url: 'ws://bench/' },
    database: 'data',
  });
  for (const control of workload.preamble(['bench-source']))
    writer.message(Direction.FROM_SOURCE, 1, control);
  let frames = 0;
  while (writer.bytesWritten + 8e6 < targetBytes) {
    writer.message(Direction.FROM_SOURCE, 1, workload.build(frames).data, 2, frames * 1000);
    frames++;
    await writer.drained();
  }
  await writer.close({ endedAtMs: Date.now(), structures: [], reason: 'bench' });
  const captureBytes = statSync(path).size;

  // 2. Replay it to a discarding server in another process.
  const sink: ChildProcess = fork(
    fileURLToPath(new URL('./discard-sink.js', import.meta.url)),
    ['server', String(frames)],
    { stdio: 'inherit' },
  );
  const message = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type === type) {
          sink.off('message', on);
          resolve(m as T);
        }
      };
      sink.on('message', on);
    });
  const { url } = await message<{ url: string }>('listening');
  const rssBeforeReplay = process.memoryUsage.rss();
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const source = (
    await ReplaySource.open(path, {
      speed: Number.POSITIVE_INFINITY,
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'capture',
    })
  ).start('bench-tool');
  const indexedMs = Date.now() - started;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve) => ws.once('open', resolve));
  const sender = new FlowControlledSender(ws, 4 * 1024 * 1024);
  const done = message<{ at: number }>('done');
  for (const control of await source.preamble(['bench-target'])) await sender.send(control);
  let sent = 0;
  // The same one-frame read-ahead as the real streamer.
  let next = source.build(0);
  for (let i = 0; i < source.frameCount; i++) {
    const frame = await next;
    if (i + 1 < source.frameCount) next = source.build(i + 1);
    for (const control of frame.before ?? []) await sender.send(control);
    await sender.send(frame.data);
    sent += frame.data.length;
  }
  const { at } = await done;
  const wallMs = at - started;
  const cpu = process.cpuUsage(cpuStart);
  ws.close();
  sink.send({ type: 'exit' });
  await source.close();
  clearInterval(sampler);
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
  process.stdout.write(
    `${JSON.stringify({
      captureMB: Math.round(captureBytes / 1e6),
      frames,
      indexMs: indexedMs,
      wallMs,
      mbPerSec: Math.round(sent / 1e3 / wallMs),
      cpuSec: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      peakRssMiB: Math.round(Math.max(peakRss, hwm) / 2 ** 20),
      rssBeforeReplayMiB: Math.round(rssBeforeReplay / 2 ** 20),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
