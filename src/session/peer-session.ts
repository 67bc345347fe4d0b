/**
 * Peer mode end to end: listen, `add_node` ourselves on the target with a one-time credential, and hand out the
 * subscriptions to our databases, one queue per member and database. By default only sockets whose NODE_NAME is
 * the target's own name get data: other cluster members learn about us through the replicated hdb_nodes table and
 * dial in too; they are answered and reported, never loaded — unless `fanOut`, when every member's subscriptions
 * are handed out. `close()` removes us from the target (remove_node reaches every member).
 */
import { randomBytes } from 'node:crypto';
import type { MetricsBus } from '../events/metrics-bus.js';
import { streamKey } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import {
  AbortedError,
  type ChannelProvider,
  ChannelTimeoutError,
  type DataChannel,
  type StreamRoute,
} from './channel.js';
import { PeerListener, type Subscription } from './peer-listener.js';
import type { ListenerIdentity } from './peer-pki.js';

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
  /** Listen on wss with this identity; its CA (if any) is trusted on the target for the run and removed after. */
  tls?: ListenerIdentity;
}

/** add_node errors that mean the target does not trust the tool's certificate (yet). */
const UNTRUSTED = /certificate|self[- ]signed|verify|UNABLE_TO|CERT_/i;

export class PeerSession implements ChannelProvider {
  private readonly listener: PeerListener;
  private readonly pending = new Map<string, Subscription[]>();
  private readonly waiters = new Set<() => void>();
  private added = false;
  /** Certificates this run put into the target's hdb_certificate (our CA; the target's cert we signed). */
  private certificatesTouched = false;
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
      onCertificateSigned: (remote) => {
        this.certificatesTouched = true;
        bus.emit({
          type: 'warning',
          message: `signed ${remote ?? 'the target'}'s certificate request with this run's CA: until the run ends (the certificates are removed then) the target serves that certificate on its TLS ports`,
        });
      },
      tls: options.tls,
    });
  }

  private readonly authorization: string;

  private loads(remoteNodeName: string): boolean {
    return this.options.fanOut === true || remoteNodeName === this.options.targetNodeName;
  }

  /** Listens and registers the tool on the target with add_node. */
  async start(): Promise<void> {
    this.url = await this.listener.listen();
    const { tls, client } = this.options;
    if (tls?.ca && tls.caName) {
      // The target must trust the run's CA to dial the wss listener (verify_tls stays on).
      this.certificatesTouched = true;
      await client.addCertificate({ name: tls.caName, certificate: tls.ca.cert, is_authority: true });
    }
    // 4.7.29 reloads its TLS trust ~1.5 s after add_certificate: until then add_node fails verification.
    const deadline = Date.now() + (tls?.ca ? 20_000 : 0);
    for (;;) {
      try {
        await client.addNode(
          { url: this.url, authorization: this.authorization, retain_authorization: true },
          60_000,
        );
        break;
      } catch (error) {
        if (!tls || Date.now() > deadline || !UNTRUSTED.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
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
      if (this.certificatesTouched) await this.removeCertificates();
    } finally {
      await this.listener.close();
    }
  }

  /** Removes the run's CA and what it signed from the target's hdb_certificate (4.7.29 then serves its own again). */
  private async removeCertificates(): Promise<void> {
    const caName = this.options.tls?.caName;
    if (!caName) return;
    const { client, bus } = this.options;
    try {
      const ours = (await client.listCertificates()).filter(
        (entry) => entry.name === caName || entry.details?.issuer?.split(/[ ,]/)[0] === `CN=${caName}`,
      );
      for (const entry of ours) await client.removeCertificate(entry.name);
      this.certificatesTouched = false;
    } catch (error) {
      bus.emit({
        type: 'warning',
        message: `could not remove this run's certificates from the target (${(error as Error).message}): remove_certificate the entries named ${caName} or issued by it`,
      });
    }
  }

  get registered(): boolean {
    return this.added;
  }
}
