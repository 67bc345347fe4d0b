/**
 * Peer mode end to end: listen, `add_node` ourselves on the target with a one-time credential, and hand out the
 * subscriptions to our databases, one queue per member and database. By default only sockets whose NODE_NAME is
 * the target's own name get data: other cluster members learn about us through the replicated hdb_nodes table and
 * dial in too; they are answered and reported, never loaded — unless `fanOut`, when every member's subscriptions
 * are handed out. `close()` removes us from the target (remove_node reaches every member).
 */
import { randomBytes } from 'node:crypto';
import type { MetricsBus } from '../report/metrics-bus.js';
import { streamKey } from '../report/metrics-bus.js';
import type { OperationsClient } from '../target/operations-client.js';
import {
  AbortedError,
  type ChannelProvider,
  ChannelTimeoutError,
  type DataChannel,
  type StreamRoute,
} from './channel.js';
import { PeerListener, type Subscription } from './peer-listener.js';

export interface PeerSessionOptions {
  client: OperationsClient;
  targetNodeName: string;
  /** The databases whose subscriptions are loaded. */
  databases: string[];
  /** Hand out every member's subscriptions, not just the target's. */
  fanOut?: boolean;
  toolNodeName: string;
  listenHost: string;
  listenPort: number;
  highWaterMark: number;
  bus: MetricsBus;
}

export class PeerSession implements ChannelProvider {
  private readonly listener: PeerListener;
  private readonly pending = new Map<string, Subscription[]>();
  private readonly waiters = new Set<() => void>();
  private added = false;
  readonly otherMembers = new Set<string>();
  url?: string;

  constructor(private readonly options: PeerSessionOptions) {
    const secret = randomBytes(24).toString('base64url');
    this.authorization = `Basic ${Buffer.from(`harper-replay:${secret}`).toString('base64')}`;
    const { bus } = options;
    this.listener = new PeerListener({
      nodeName: options.toolNodeName,
      host: options.listenHost,
      port: options.listenPort,
      authorization: this.authorization,
      highWaterMark: options.highWaterMark,
      onNodeName: (socket, remoteNodeName, database) => {
        const loaded = this.loads(remoteNodeName);
        if (!loaded) this.otherMembers.add(remoteNodeName);
        bus.emit({
          type: 'connection',
          socketId: socket.id,
          event: loaded ? 'named' : 'ignored',
          remoteNodeName,
          database,
        });
      },
      onSubscription: (subscription) => {
        const { socket, remoteNodeName, database, startTime } = subscription;
        bus.emit({
          type: 'connection',
          socketId: socket.id,
          event: 'subscribed',
          remoteNodeName,
          database,
          startTime,
        });
        if (!this.loads(remoteNodeName) || !options.databases.includes(database)) return;
        const key = streamKey(remoteNodeName, database);
        this.pending.set(key, [...(this.pending.get(key) ?? []), subscription]);
        for (const wake of this.waiters) wake();
      },
      onClose: (socket, code, reason, remoteNodeName, database) =>
        bus.emit({
          type: 'connection',
          socketId: socket.id,
          event: 'closed',
          code,
          reason,
          remoteNodeName,
          database,
        }),
      onDrainWait: (socket, wait) => bus.emit({ type: 'drain-wait', socketId: socket.id, ...wait }),
      onRejected: (reason) => bus.emit({ type: 'warning', message: reason }),
    });
  }

  private readonly authorization: string;

  private loads(remoteNodeName: string): boolean {
    return this.options.fanOut === true || remoteNodeName === this.options.targetNodeName;
  }

  /** Listens and registers the tool on the target with add_node. */
  async start(): Promise<void> {
    this.url = await this.listener.listen();
    await this.options.client.addNode(
      { url: this.url, authorization: this.authorization, retain_authorization: true },
      60_000,
    );
    this.added = true;
  }

  async next(
    timeoutMs: number,
    signal: AbortSignal,
    _resumeAfter?: number,
    route: StreamRoute = { member: this.options.targetNodeName, database: this.options.databases[0]! },
  ): Promise<DataChannel> {
    const deadline = Date.now() + timeoutMs;
    const queue = () => this.pending.get(streamKey(route.member, route.database)) ?? [];
    for (;;) {
      if (signal.aborted) throw new AbortedError();
      const subscription = queue().shift();
      if (subscription) {
        if (!subscription.socket.isOpen) continue;
        const names = subscription.entries.map((entry) => entry.name);
        return { socket: subscription.socket, startTime: subscription.startTime, subscribedNames: names };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ChannelTimeoutError(
          `${route.member} did not subscribe to ${route.database} on ${this.url} within ${timeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /**
   * remove_node on the target, then stop listening. A crash-looping target may not answer for a while (its only
   * worker restarting), so this retries for a bounded time before it reports failure.
   */
  async close(retryForMs = 20_000): Promise<void> {
    const deadline = Date.now() + retryForMs;
    try {
      while (this.added) {
        try {
          await this.options.client.removeNode(this.options.toolNodeName, 5_000);
          this.added = false;
        } catch (error) {
          if (Date.now() >= deadline) {
            this.options.bus.emit({
              type: 'warning',
              message: `remove_node ${this.options.toolNodeName} failed: ${(error as Error).message}; remove it by hand: {"operation":"remove_node","hostname":"${this.options.toolNodeName}"}`,
            });
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    } finally {
      await this.listener.close();
    }
  }

  get registered(): boolean {
    return this.added;
  }
}
