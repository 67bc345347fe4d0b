/**
 * Replay from disk benchmark (fresh process): `node replay-send.js CAPTURE` replays a capture made by
 * generate-capture.ts (data frames of 10,000 records) flat out through the replay source (index, read,
 * rewrite with new versions and tails) and the flow-controlled sender to a discarding WebSocket peer in another
 * process; the clock starts before the index pass. Prints one JSON line.
 */
import { readFileSync, statSync } from 'node:fs';
import WebSocket from 'ws';
import { maskFor } from '../src/session/dial.js';
import { FlowControlledSender } from '../src/session/flow-control.js';
import { ReplaySource } from '../src/workload/replay-source.js';
import { PeakRss } from './peak-rss.js';
import { assertCounted, forkSink, nextMessage, type SinkDone } from './sink-client.js';

const path = process.argv[2]!;
const RECORDS_PER_FRAME = 10_000;
const peakRss = new PeakRss();

{
  const captureBytes = statSync(path).size;
  const sink = forkSink(['server', 'Infinity']);
  const { url } = await nextMessage<{ url: string }>(sink, 'listening');
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
  const ws = new WebSocket(url, { perMessageDeflate: false, generateMask: maskFor(url) });
  await new Promise((resolve) => ws.once('open', resolve));
  const sender = new FlowControlledSender(ws, 4 * 1024 * 1024);
  const done = nextMessage<SinkDone>(sink, 'done');
  let messages = 0;
  let sentAll = 0;
  const send = (message: Buffer, onWritten?: () => void) => {
    messages++;
    sentAll += message.length;
    return sender.send(message, onWritten);
  };
  for (const control of await source.preamble(['bench-target'])) await send(control);
  let sent = 0;
  // The same one-frame read-ahead as the real streamer: frame i + 1 is read once frame i is queued.
  let next = source.build(0);
  for (let i = 0; i < source.frameCount; i++) {
    const frame = await next;
    for (const control of frame.before ?? []) await send(control);
    // Handed back once written, as the tool's stream sender does.
    const queued = send(frame.data, () => source.release(frame));
    if (i + 1 < source.frameCount) next = source.build(i + 1);
    await queued;
    sent += frame.data.length;
  }
  sink.send({ type: 'expect', messages });
  const frames = source.frameCount;
  const counted = await done;
  assertCounted(counted, { messages, bytes: sentAll });
  const { at } = counted;
  const wallMs = at - started;
  const cpu = process.cpuUsage(cpuStart);
  ws.close();
  sink.send({ type: 'exit' });
  await source.close();
  peakRss.stop();
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
  process.stdout.write(
    `${JSON.stringify({
      variant: 'replay',
      captureMB: Math.round(captureBytes / 1e6),
      frames,
      records: frames * RECORDS_PER_FRAME,
      bytes: sent,
      recordsPerSec: Math.round((frames * RECORDS_PER_FRAME * 1000) / wallMs),
      indexMs: indexedMs,
      wallMs,
      mbPerSec: Math.round((sent / 1e3 / wallMs) * 10) / 10,
      cpuSec: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      peakRssMiB: Math.round(Math.max(peakRss.bytes, hwm) / 2 ** 20),
      rssBeforeReplayMiB: Math.round(rssBeforeReplay / 2 ** 20),
    })}\n`,
  );
}
process.exit(0);
