/**
 * A plain WebSocket server on 127.0.0.1 (port 0) for the session unit tests, one per test file: `pair()` dials it
 * as the tool dials (frames masked with a zero key) and gives the tool's ReplicationSocket with the far end the test plays. Registers its own before/after hooks.
 */
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { zeroMask } from '../../src/session/dial.js';
import { ReplicationSocket } from '../../src/session/replication-socket.js';

export interface LoopbackPair {
  /** The tool's side, with a 1 MiB high-water mark. */
  socket: ReplicationSocket;
  /** The raw client WebSocket under `socket`. */
  ws: WebSocket;
  /** The server's side of the same connection. */
  far: WebSocket;
}

export interface LoopbackServer {
  /** A new connection; the far end is accepted before this resolves, so no message is missed after it. */
  pair(): Promise<LoopbackPair>;
}

export function loopbackServer(): LoopbackServer {
  let server: WebSocketServer | undefined;
  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server!.once('listening', resolve));
  });
  after(async () => {
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server!.close(resolve));
  });
  return {
    async pair() {
      if (!server) throw new Error('loopbackServer: pair() before the file’s before() hook ran');
      const accepted = new Promise<WebSocket>((resolve) => server!.once('connection', resolve));
      // Masked as the tool's dialed sockets are (zero key): ws then holds the sent buffers themselves, not copies.
      const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        generateMask: zeroMask,
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const far = await accepted;
      return { socket: new ReplicationSocket(ws, { highWaterMark: 1 << 20 }), ws, far };
    },
  };
}
