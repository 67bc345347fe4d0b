import type { ReplicationSocket } from './replication-socket.js';

/** A socket ready for data: the target is listening for our frames on it. */
export interface DataChannel {
  socket: ReplicationSocket;
  /** Exclusive resume point the target asked for (peer mode) or our own last ack (push mode); 0 = everything. */
  startTime: number;
  /** Names for NODE_NAME_TO_ID_MAP's second element. */
  subscribedNames: string[];
}

/** Which subscription a channel is for: a member's subscription to one database. */
export interface StreamRoute {
  member: string;
  database: string;
}

/** Supplies data channels: the first one, and a new one after the previous closed (a reconnect). */
export interface ChannelProvider {
  next(
    timeoutMs: number,
    signal: AbortSignal,
    resumeAfter?: number,
    route?: StreamRoute,
  ): Promise<DataChannel>;
  /** Ends the session; `retryForMs` bounds how long cleanup on the target may retry (0: one try). */
  close(retryForMs?: number): Promise<void>;
}

export class ChannelTimeoutError extends Error {
  override name = 'ChannelTimeoutError';
}

export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor() {
    super('interrupted');
  }
}
