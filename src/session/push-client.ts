/**
 * Push mode: the tool dials the target's replication port with credentials and sends unsolicited (works where
 * the target cannot dial back). The target keeps no cursor for us; a resumed push starts after our last ack.
 */

import type { TlsSettings } from '../net/tls.js';
import { encodeNodeName } from '../protocol/control-frame.js';
import { DialError, dialReplication, handshakeClosed } from './dial.js';
import type { DrainWait } from './flow-control.js';
import { ReplicationSocket } from './replication-socket.js';

export interface PushConnectOptions {
  url: string;
  /** "Basic …" or "Bearer …" header value. */
  authorization?: string;
  tls?: TlsSettings;
  nodeName: string;
  database: string;
  highWaterMark: number;
  handshakeTimeoutMs?: number;
  onDrainWait?: (wait: DrainWait) => void;
}

export interface PushConnection {
  socket: ReplicationSocket;
  remoteNodeName: string;
}

/** Connects, exchanges NODE_NAME for `database`, and returns the open socket. */
export async function connectPush(options: PushConnectOptions): Promise<PushConnection> {
  const timeout = options.handshakeTimeoutMs ?? 15_000;
  const { ws } = await dialReplication(options.url, {
    authorization: options.authorization,
    tls: options.tls,
    timeoutMs: timeout,
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
    if (closed.code !== undefined)
      throw handshakeClosed(options.url, closed.code, closed.reason ?? '', options);
    throw new DialError(`${options.url}: ${(error as Error).message}`, 'timeout');
  }
}
