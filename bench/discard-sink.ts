/**
 * Benchmark sink (its own process, so its memory and CPU are not the tool's): a WebSocket peer that discards every
 * message and reports over IPC once it has received the expected number of messages.
 *   server mode: listens, the tool dials it (push-mode shape)
 *   client mode: dials the tool's server (peer-mode shape)
 * Two kinds (BENCH_PEER):
 *   raw (default): does the WebSocket handshake itself and then only counts frames (FrameCounter) as they are read
 *        into one reused buffer: no message is assembled, copied or unmasked. On 2 cores the peer shares the
 *        machine with the sender it measures, so the cheaper the peer, the more the figure is the sender's;
 *   ws:  a `ws` endpoint that drops each message (what issue 19's figures were first measured with): it spends as
 *        much CPU as the sender, most of it gathering each 2.8 MB message into a fresh buffer.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { upgradeRequest, upgradeResponse } from '../src/export/websocket-frames.js';
import { FrameCounter } from './frame-counter.js';

const [mode, expectedText, url] = process.argv.slice(2);
let expected = Number(expectedText);
const peer = process.env.BENCH_PEER === 'ws' ? 'ws' : 'raw';

/** CPU when the first frame bytes arrived: the peer's start-up is not part of the transfer. */
let cpuAtFirst: NodeJS.CpuUsage | undefined;
const counter = new FrameCounter(() => {
  if (counter.messages === expected) done();
});

/** The peer's CPU beside its counts: a peer busier than the sender is the bottleneck, not the sender. */
function done(): void {
  const cpu = process.cpuUsage(cpuAtFirst);
  process.send?.({
    type: 'done',
    received: counter.payloadBytes,
    messages: counter.messages,
    at: Date.now(),
    cpuSec: (cpu.user + cpu.system) / 1e6,
  });
}

/** Reads land in one reused 1 MiB buffer (no allocation per read). */
const READ_BUFFER = Buffer.allocUnsafe(2 ** 20);

/**
 * The socket's read callback: the HTTP head first (answered by `onHead`), then frames, counted. Whatever follows
 * the head's blank line in the same read is frames.
 */
function reader(onHead: (head: string) => void): (bytes: number, buffer: Uint8Array) => boolean {
  let head: Buffer | undefined = Buffer.alloc(0);
  return (bytes, buffer) => {
    if (!head) {
      counter.push(buffer, 0, bytes);
      return true;
    }
    head = Buffer.concat([head, buffer.subarray(0, bytes)]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return true;
    const rest = head.subarray(end + 4);
    onHead(head.subarray(0, end).toString('latin1'));
    head = undefined;
    cpuAtFirst = process.cpuUsage();
    counter.push(rest);
    return true;
  };
}

function header(head: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

/** The ws peer's count: each message's length, nothing kept. */
function onWsMessage(data: Buffer): void {
  cpuAtFirst ??= process.cpuUsage();
  counter.messages++;
  counter.payloadBytes += data.length;
  if (counter.messages === expected) done();
}

if (peer === 'ws' && mode === 'server') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 2 ** 31 });
  server.on('connection', (ws) => ws.on('message', onWsMessage));
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'listening', url: `ws://127.0.0.1:${port}` });
  });
} else if (peer === 'ws') {
  const ws = new WebSocket(url!, { maxPayload: 2 ** 31, perMessageDeflate: false });
  ws.on('message', onWsMessage);
  ws.on('open', () => process.send?.({ type: 'connected' }));
} else if (mode === 'server') {
  // An accepted socket cannot be given `onread`: a new Socket with one takes its handle over before the first
  // read (the server pauses each connection until then). This leans on Node internals (`_handle`, the Socket
  // constructor's `handle` option), acceptable in a bench: synth-send and replay-send check the peer's counts.
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    const handle = (accepted as unknown as { _handle: unknown })._handle;
    const socket: Socket = new Socket({
      handle,
      onread: {
        buffer: READ_BUFFER,
        callback: reader((head) => {
          const key = header(head, 'sec-websocket-key') ?? '';
          socket.write(upgradeResponse(key, header(head, 'sec-websocket-protocol')));
        }),
      },
    } as ConstructorParameters<typeof Socket>[0]);
    socket.setNoDelay(true);
    socket.resume();
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'listening', url: `ws://127.0.0.1:${port}` });
  });
} else {
  const target = new URL(url!);
  const socket = connect({
    port: Number(target.port),
    host: target.hostname,
    onread: {
      buffer: READ_BUFFER,
      callback: reader((head) => {
        if (!/^HTTP\/1\.1 101/.test(head)) {
          console.error(`discard-sink: upgrade refused: ${head.split('\r\n')[0]}`);
          process.exit(1);
        }
        process.send?.({ type: 'connected' });
      }),
    },
  });
  socket.setNoDelay(true);
  socket.on('connect', () =>
    socket.write(upgradeRequest(target.host, target.pathname, randomBytes(16).toString('base64'))),
  );
}
// A sender that knows its message count only at the end (replay: the preamble and per-frame controls) says so
// then; the expected count given at start is then Infinity.
process.on('message', (message: { type: string; messages?: number }) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'expect') {
    expected = message.messages!;
    if (counter.messages >= expected) done();
  }
});
