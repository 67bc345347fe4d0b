/**
 * One benchmark variant in a fresh process (so peak RSS is this variant's): synthesize N records of 256 B in
 * frames of 10,000 and either only encode them or encode and send them through the tool's flow-controlled
 * sender to a discarding peer. Two anchors use the same socket and peer:
 *   ceiling-*: frames of the same size built before the clock starts, sent N/10,000 times (what `ws` on loopback
 *              can carry: the bound for anything that sends frames). A ring of distinct frames, 64 MiB in all, sent
 *              in turn: one frame sent over and over stays in the CPU's cache, so the kernel's copy of it runs ~5×
 *              faster than any real sender's (synth, replay: every frame fresh), an advantage no sender can have;
 *   hot-ceiling-*: that single frame over and over (the old anchor; run by hand to compare);
 *   naive-*:   msgpackr `pack` per record, the records concatenated into a frame of the same record count.
 * Prints one JSON line.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pack } from 'msgpackr';
import WebSocket, { WebSocketServer } from 'ws';
import { maskFor } from '../src/session/dial.js';
import { FlowControlledSender } from '../src/session/flow-control.js';
import { parseKeyDistribution } from '../src/workload/key-distribution.js';
import { parseOperationMix } from '../src/workload/operation-mix.js';
import { SyntheticWorkload } from '../src/workload/synthetic.js';
import { PeakRss } from './peak-rss.js';
import { assertCounted, forkSink, nextMessage, type SinkDone } from './sink-client.js';

type Variant =
  | 'encode'
  | 'encode-mix'
  | 'client'
  | 'server'
  | `${'ceiling' | 'hot-ceiling' | 'naive'}-${'client' | 'server'}`;
const variant = process.argv[2] as Variant;
/** The socket's direction: the tool dials a discarding server (push mode) or is dialled by one (peer mode). */
const direction = variant.endsWith('client') ? 'client' : 'server';
const records = Number(process.argv[3] ?? 2_000_000);
const recordsPerFrame = 10_000;
const frames = Math.ceil(records / recordsPerFrame);
/** The ceiling's distinct frames: well past any CPU cache, like the frames a real sender sends. */
const CEILING_RING_BYTES = 64 * 2 ** 20;

const workload = new SyntheticWorkload({
  frames,
  recordsPerFrame,
  recordSize: 256,
  blobSize: 0,
  seed: 1,
  tableName: 'bench',
  originName: 'bench',
  baseVersion: Date.now(),
  baseSequence: Date.now(),
  // The operation plan's cost: a mix of updates and deletes on zipf-chosen keys beside pure inserts.
  ...(variant === 'encode-mix'
    ? { mix: parseOperationMix('insert=70,update=25,delete=5'), keys: parseKeyDistribution('zipf:1.1') }
    : {}),
});

const peakRss = new PeakRss();

function vmHwm(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function connect(messages: number): Promise<{ ws: WebSocket; peer: ChildProcess; close: () => void }> {
  if (direction === 'client') {
    const peer = forkSink(['server', String(messages)]);
    const { url } = await nextMessage<{ url: string }>(peer, 'listening');
    const ws = new WebSocket(url, { perMessageDeflate: false, generateMask: maskFor(url) });
    await new Promise((resolve) => ws.once('open', resolve));
    return { ws, peer, close: () => ws.close() };
  }
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const peer = forkSink(['client', String(messages), `ws://127.0.0.1:${port}`]);
  const ws = await accepted;
  return { ws, peer, close: () => server.close() };
}

/** What each variant sends as frame i: the tool's frame, the same pre-built bytes, or a naive msgpackr frame. */
function frameSource(): (i: number) => Buffer {
  if (variant.startsWith('hot-ceiling')) {
    const prebuilt = workload.build(0).data;
    return () => prebuilt;
  }
  if (variant.startsWith('ceiling')) {
    const ring: Buffer[] = [];
    for (let bytes = 0; bytes < CEILING_RING_BYTES && ring.length < frames; ) {
      ring.push(workload.build(ring.length).data);
      bytes += ring.at(-1)!.length;
    }
    return (i) => ring[i % ring.length]!;
  }
  if (variant.startsWith('naive')) return naiveFrame;
  return (i) => workload.build(i).data;
}

// The naive sender's payloads: slices of one text (like an application's strings, no per-record allocation of
// the text itself), as long as the tool's payloads.
const payloadLength = workload.payloadLength;
const text = Array.from({ length: 64 * 1024 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join(
  '',
);

function naiveFrame(frame: number): Buffer {
  const packed: Buffer[] = new Array(recordsPerFrame);
  for (let r = 0; r < recordsPerFrame; r++) {
    const id = frame * recordsPerFrame + r + 1;
    const offset = (Math.imul(id, 2654435761) >>> 0) % (text.length - payloadLength);
    packed[r] = pack({ id, generation: 0, payload: text.slice(offset, offset + payloadLength) });
  }
  return Buffer.concat(packed);
}

let totalBytes = 0;
const cpuStart = process.cpuUsage();
let wallMs: number;
let peerCpuSec: number | undefined;
if (variant === 'encode' || variant === 'encode-mix') {
  // Each frame goes back at once, as the send path's do once written: a fresh buffer per frame measured the
  // page faults (1.4–1.8 M records/s against 3.1–4.4 M), not the encoder. BENCH_FRESH_FRAMES=1: the old way.
  const recycle = process.env.BENCH_FRESH_FRAMES !== '1';
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    const frame = workload.build(i);
    totalBytes += frame.data.length;
    if (recycle) workload.release(frame);
  }
  wallMs = performance.now() - start;
} else {
  const { ws, peer, close } = await connect(frames);
  const sender = new FlowControlledSender(ws, 4 * 1024 * 1024);
  const done = nextMessage<SinkDone>(peer, 'done');
  const build = frameSource();
  const start = Date.now();
  // The tool's frames go back to the workload once written, as the tool's stream sender does (no fresh pages);
  // BENCH_FRESH_FRAMES=1 measures the old way (a fresh buffer per frame) for an A/B.
  const release = (variant === 'client' || variant === 'server') && process.env.BENCH_FRESH_FRAMES !== '1';
  // As the tool's stream sender: frame i + 1 is built once frame i is queued, while it drains.
  let frame = build(0);
  for (let i = 0; i < frames; i++) {
    const queued = frame;
    totalBytes += queued.length;
    const sent = sender.send(queued, release ? () => workload.release({ data: queued }) : undefined);
    if (i + 1 < frames) frame = build(i + 1);
    await sent;
  }
  const counted = await done;
  assertCounted(counted, { messages: frames, bytes: totalBytes });
  const { at, cpuSec } = counted;
  wallMs = at - start;
  peerCpuSec = cpuSec;
  close();
  peer.send({ type: 'exit' });
}
peakRss.stop();
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(
  `${JSON.stringify({
    variant,
    records: frames * recordsPerFrame,
    bytes: totalBytes,
    wallMs: Math.round(wallMs),
    recordsPerSec: Math.round((frames * recordsPerFrame * 1000) / wallMs),
    mbPerSec: Math.round((totalBytes / 1e6 / wallMs) * 1000 * 10) / 10,
    cpuSec: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    peakRssMiB: Math.round((Math.max(peakRss.bytes, vmHwm()) / 2 ** 20) * 10) / 10,
    ...(peerCpuSec === undefined ? {} : { peerCpuSec: Math.round(peerCpuSec * 100) / 100 }),
  })}\n`,
);
process.exit(0);
