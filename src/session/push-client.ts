/**
 * Push mode: the tool dials the target's replication port with credentials and sends unsolicited (works where
 * the target cannot dial back). The target keeps no cursor for us; a resumed push starts after our last ack.
 */
import WebSocket from 'ws';
import { PUSH_MODE_MAX_FRAME, SUBPROTOCOL } from '../protocol/codes.js';
import { encodeNodeName } from '../protocol/control-frame.js';
import type { DrainWait } from './flow-control.js';
import { ReplicationSocket } from './replication-socket.js';

export interface PushConnectOptions {
  url: string;
  /** "Basic …" header value. */
  authorization?: string;
  nodeName: string;
  database: string;
  highWaterMark: number;
  handshakeTimeoutMs?: number;
  onDrainWait?: (wait: DrainWait) => void;
}

export class PushHandshakeError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'unauthorized' | 'rejected' | 'timeout',
  ) {
    super(message);
    this.name = 'PushHandshakeError';
  }
}

export interface PushConnection {
  socket: ReplicationSocket;
  remoteNodeName: string;
}

/** Connects, exchanges NODE_NAME for `database`, and returns the open socket. */
export async function connectPush(options: PushConnectOptions): Promise<PushConnection> {
  const timeout = options.handshakeTimeoutMs ?? 15_000;
  const ws = new WebSocket(options.url, SUBPROTOCOL, {
    headers: options.authorization ? { authorization: options.authorization } : {},
    maxPayload: PUSH_MODE_MAX_FRAME,
    perMessageDeflate: false,
    handshakeTimeout: timeout,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (error: Error & { code?: string }) => {
      const kind = error.code === 'ECONNREFUSED' ? 'refused' : 'rejected';
      reject(new PushHandshakeError(`cannot open replication socket ${options.url}: ${error.message}`, kind));
    });
    ws.once('unexpected-response', (_request, response) => {
      reject(
        new PushHandshakeError(
          `${options.url} refused the WebSocket upgrade (HTTP ${response.statusCode})`,
          'rejected',
        ),
      );
    });
  });
  const socket: ReplicationSocket = new ReplicationSocket(ws, {
    highWaterMark: options.highWaterMark,
    onDrainWait: options.onDrainWait,
  });
  const answer = socket.next('NODE_NAME', timeout);
  await socket.send(encodeNodeName(options.nodeName, options.database, []));
  try {
    const frame = await answer;
    return { socket, remoteNodeName: frame.nodeName };
  } catch (error) {
    socket.terminate();
    const closed = error as { code?: number; reason?: string };
    // Harper completes the upgrade whatever the credentials and closes 1008 on the first frame.
    if (closed.code === 1008 && /unauthori[sz]ed/i.test(closed.reason ?? '')) {
      throw new PushHandshakeError(
        `authentication refused by ${options.url}: check --user/--password`,
        'unauthorized',
      );
    }
    if (closed.code !== undefined) {
      throw new PushHandshakeError(
        `${options.url} closed the replication socket during the handshake (${closed.code} ${closed.reason ?? ''})`.trim(),
        'rejected',
      );
    }
    throw new PushHandshakeError(`${options.url}: ${(error as Error).message}`, 'timeout');
  }
}
