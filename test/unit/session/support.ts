/**
 * Helpers of the session unit tests: a scripted WebSocket peer on 127.0.0.1 (port 0) that plays the other end with
 * frames built by the project's codec, inboxes that turn events into awaitable values, and a port nobody listens on.
 * Every wait is bounded (a hang guard, never the synchronisation itself).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import WebSocket, { type ServerOptions, WebSocketServer } from 'ws';
import { SUBPROTOCOL } from '../../../src/protocol/codes.js';
import {
  type ControlFrame,
  decodeControlFrame,
  isControlFrame,
} from '../../../src/protocol/control-frame.js';

export const GUARD_MS = 3000;

/** Rejects when `promise` does not settle within `ms` (a hang guard). */
export async function guard<T>(promise: Promise<T>, what: string, ms = GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A FIFO of values pushed by event handlers; `next()` resolves with the oldest one, waiting (bounded) if empty. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  };

  get size(): number {
    return this.items.length;
  }

  /** Everything received and not taken yet. */
  drain(): T[] {
    return this.items.splice(0);
  }

  async next(what: string, ms = GUARD_MS): Promise<T> {
    if (this.items.length) return this.items.shift()!;
    let waiter!: (item: T) => void;
    const item = new Promise<T>((resolve) => {
      waiter = resolve;
      this.waiters.push(waiter);
    });
    try {
      return await guard(item, what, ms);
    } finally {
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
    }
  }
}

export interface Message {
  data: Buffer;
  isBinary: boolean;
}

/** Every message a socket receives, in order. */
export function messagesOf(ws: WebSocket): Inbox<Message> {
  const inbox = new Inbox<Message>();
  ws.on('message', (data: Buffer, isBinary: boolean) => inbox.push({ data, isBinary }));
  return inbox;
}

/** The next message, which must be a binary control frame; decoded. */
export async function nextControl(inbox: Inbox<Message>, what = 'a control frame'): Promise<ControlFrame> {
  const { data, isBinary } = await inbox.next(what);
  if (!isBinary || !isControlFrame(data))
    throw new Error(`${what}: got a non-control message ${data.toString('hex')}`);
  return decodeControlFrame(data);
}

/** Resolves with the code and reason of the socket's close. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error('already closed: listen earlier'));
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
}

export interface Accepted {
  ws: WebSocket;
  request: IncomingMessage;
  messages: Inbox<Message>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface ScriptedServer {
  server: WebSocketServer;
  port: number;
  url: string;
  /** Each upgraded connection, in order of arrival. */
  connections: Inbox<Accepted>;
  close(): Promise<void>;
}

/**
 * A WebSocket server on 127.0.0.1:0 that accepts the replication subprotocol (unless `ws` overrides it).
 * `onConnection` runs synchronously in the server's 'connection' event, before the peer can send anything.
 */
export async function scriptedServer(
  options: { ws?: ServerOptions; onConnection?: (accepted: Accepted) => void } = {},
): Promise<ScriptedServer> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    ...options.ws,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const connections = new Inbox<Accepted>();
  server.on('connection', (ws, request) => {
    ws.on('error', () => {});
    const accepted: Accepted = { ws, request, messages: messagesOf(ws), closed: closeOf(ws) };
    options.onConnection?.(accepted);
    connections.push(accepted);
  });
  const { port } = server.address() as { port: number };
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}`,
    connections,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A replication client of the test (the scripted node): opens with the subprotocol and optional Authorization. */
export async function openClient(
  url: string,
  options: { authorization?: string; protocol?: string; ca?: string[] } = {},
): Promise<{ ws: WebSocket; messages: Inbox<Message>; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, options.protocol ?? SUBPROTOCOL, {
    headers: options.authorization ? { authorization: options.authorization } : {},
    perMessageDeflate: false,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  ws.on('error', () => {});
  const messages = messagesOf(ws);
  const closed = closeOf(ws);
  await guard(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode} instead of an upgrade`)),
      );
    }),
    `open ${url}`,
  );
  return { ws, messages, closed };
}

/** A TCP server of the test: each accepted socket goes to `onSocket`. */
export async function tcpServer(
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that was just free (listened on, then closed): dialing it is refused. */
export async function closedPort(): Promise<number> {
  const { port, close } = await tcpServer(() => {});
  await close();
  return port;
}

/** Byte equality (msgpackr's buffers carry extra properties that deepEqual would compare). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.equal(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'), message);
}
