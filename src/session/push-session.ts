/** Push mode as a channel provider: dial, name ourselves, and resume after our own last ack on reconnects. */

import type { MetricsBus } from '../events/metrics-bus.js';
import { streamKey } from '../events/schema.js';
import type { TlsSettings } from '../net/tls.js';
import { AbortedError, type ChannelProvider, type DataChannel, type StreamRoute } from './channel.js';
import { connectPush } from './push-client.js';
import type { ReplicationSocket } from './replication-socket.js';

export interface PushSessionOptions {
  url: string;
  /** "Basic …" or "Bearer …" header value. */
  authorization?: string;
  tls?: TlsSettings;
  toolNodeName: string;
  database: string;
  highWaterMark: number;
  bus: MetricsBus;
}

export class PushSession implements ChannelProvider {
  private socket?: ReplicationSocket;

  constructor(private readonly options: PushSessionOptions) {}

  async next(timeoutMs: number, signal: AbortSignal, resumeAfter = 0): Promise<DataChannel> {
    if (signal.aborted) throw new AbortedError();
    const { bus } = this.options;
    let socketId = -1;
    const { socket, remoteNodeName } = await connectPush({
      url: this.options.url,
      authorization: this.options.authorization,
      tls: this.options.tls,
      nodeName: this.options.toolNodeName,
      database: this.options.database,
      highWaterMark: this.options.highWaterMark,
      handshakeTimeoutMs: timeoutMs,
      onDrainWait: (wait) => bus.emit({ type: 'drain-wait', socketId, ...wait }),
    });
    socketId = socket.id;
    this.socket = socket;
    bus.emit({
      type: 'connection',
      socketId,
      event: 'named',
      remoteNodeName,
      database: this.options.database,
    });
    socket.closed.then(({ code, reason }) =>
      bus.emit({ type: 'connection', socketId, event: 'closed', code, reason, remoteNodeName }),
    );
    return { socket, startTime: resumeAfter, subscribedNames: [this.options.toolNodeName] };
  }

  async close(): Promise<void> {
    this.socket?.close();
  }
}

/**
 * Push mode for several members and databases: one PushSession per route, each dialed (and redialed) on its own,
 * with the same credentials and TLS settings (a cluster shares its users and its CA).
 */
export class PushSessions implements ChannelProvider {
  private readonly sessions = new Map<string, PushSession>();

  constructor(
    /** Replication URL per member node name. */
    urls: ReadonlyMap<string, string>,
    databases: readonly string[],
    private readonly defaultRoute: StreamRoute,
    options: Omit<PushSessionOptions, 'url' | 'database'>,
  ) {
    for (const [member, url] of urls) {
      for (const database of databases) {
        this.sessions.set(routeKey({ member, database }), new PushSession({ ...options, url, database }));
      }
    }
  }

  next(
    timeoutMs: number,
    signal: AbortSignal,
    resumeAfter?: number,
    route?: StreamRoute,
  ): Promise<DataChannel> {
    const key = routeKey(route ?? this.defaultRoute);
    const session = this.sessions.get(key);
    if (!session) throw new Error(`push: no session for ${key}`);
    return session.next(timeoutMs, signal, resumeAfter);
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) await session.close();
  }
}

const routeKey = (route: StreamRoute) => streamKey(route.member, route.database);
