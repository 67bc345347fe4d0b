/**
 * Benchmark sink (its own process, so its memory and CPU are not the tool's): a WebSocket peer that discards every
 * message and reports over IPC once it has received the expected number of messages.
 *   server mode: listens, the tool dials it (push-mode shape)
 *   client mode: dials the tool's server (peer-mode shape)
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

const [mode, expectedText, url] = process.argv.slice(2);
let expected = Number(expectedText);
let received = 0;
let messages = 0;

/** CPU when the first message arrived: the peer's start-up is not part of the transfer. */
let cpuAtFirst: NodeJS.CpuUsage | undefined;

function onMessage(data: Buffer): void {
  cpuAtFirst ??= process.cpuUsage();
  received += data.length;
  messages++;
  if (messages === expected) done();
}

/** The peer's CPU beside its counts: a peer busier than the sender is the bottleneck, not the sender. */
function done(): void {
  const cpu = process.cpuUsage(cpuAtFirst);
  process.send?.({ type: 'done', received, messages, at: Date.now(), cpuSec: (cpu.user + cpu.system) / 1e6 });
}

if (mode === 'server') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 2 ** 31 });
  server.on('connection', (ws) => ws.on('message', onMessage));
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'listening', url: `ws://127.0.0.1:${port}` });
  });
} else {
  const ws = new WebSocket(url!, { maxPayload: 2 ** 31, perMessageDeflate: false });
  ws.on('message', onMessage);
  ws.on('open', () => process.send?.({ type: 'connected' }));
}
// A sender that knows its message count only at the end (replay: the preamble and per-frame controls) says so
// then; the expected count given at start is then Infinity.
process.on('message', (message: { type: string; messages?: number }) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'expect') {
    expected = message.messages!;
    if (messages >= expected) done();
  }
});
