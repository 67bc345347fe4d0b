/**
 * The target's samplers, each a sequential loop emitting `sample` events on the bus (a slow read never piles up):
 *   proc     /proc/<pid>/status every 20 ms (local target): the source of truth for memory peaks
 *   tcp      /proc/net/tcp every 25 ms (local target): kernel queues of both ends of the loaded connection
 *   probe    a cheap operations-API call every 100 ms: is the target's event loop answering?
 *   sysinfo  system_information (memory, threads) every 250 ms: any target; heap per thread, worker changes
 *   cluster  cluster_status every 1 s (configurable, off at 0): each replication link as the node reports it
 * and, at the end, the target's log for OOMs, errors and its own pause lines.
 */
import type { MetricsBus, RunEventInput } from '../events/metrics-bus.js';
import type { RunEvent } from '../events/schema.js';
import { parseClusterStatus } from './cluster-status.js';
import { type LogMatch, LogTail, scanLogText } from './log-scan.js';
import { OperationsApiError, type OperationsClient } from './operations-client.js';
import { readProcMemory, resetPeakRss } from './proc-status.js';
import { queuesOf, readTcpTables } from './tcp-table.js';

export interface SamplerOptions {
  bus: MetricsBus;
  client: OperationsClient;
  /** Local target process (embedded): enables proc and tcp sampling. */
  pid?: number;
  /** Local log file (embedded); otherwise the log is read with read_log. */
  logFile?: string;
  procIntervalMs?: number;
  tcpIntervalMs?: number;
  probeIntervalMs?: number;
  sysinfoIntervalMs?: number;
  /** cluster_status every this many ms (0 or undefined: off). */
  clusterStatusIntervalMs?: number;
  /**
   * A target whose every probe is refused for this long is lost (ms, default 10 s; 60 s for a local target whose
   * process is alive: a node whose only worker died refuses until the restarted one listens, which takes longer
   * than 10 s on a loaded machine, and that is the crash loop the run is there to report, not a lost target).
   */
  lostAfterMs?: number;
  /** Bytes the tool holds for a socket in user space (ws.bufferedAmount), by socket id. */
  toolBuffered?: (socketId: number) => number;
  /** Kernel queues of the streaming connections to this node are watched (default: every streaming one). */
  watchNode?: string;
  /** Label of another cluster member's samplers (--fan-out): its events carry `member`. */
  member?: string;
  /**
   * The target's memory (proc, system_information), cluster status and log (default true). False for shards but
   * shard 0 of a sharded run: one process measures the node, the others only their own connections (tcp, probe),
   * and never reset the peak RSS shard 0 measures.
   */
  targetMemory?: boolean;
}

export class TargetSamplers {
  private running = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly log?: LogTail;
  private startedAt = 0;
  private readonly watched = new Map<number, { localPort: number; remotePort: number }>();
  private unsubscribe?: () => void;
  private lost = false;
  private lostListeners: Array<(reason: string) => void> = [];
  private failingSince?: number;

  constructor(private readonly options: SamplerOptions) {
    if (options.logFile && options.targetMemory !== false) this.log = new LogTail(options.logFile);
  }

  /**
   * Resolves (with the reason) when the target is gone: its local process disappeared, or its operations API has
   * refused every probe for `lostAfterMs`.
   */
  readonly targetLost = new Promise<string>((resolve) => this.lostListeners.push(resolve));

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    for (const listener of this.lostListeners) listener(reason);
  }

  async start(): Promise<void> {
    const { pid, bus } = this.options;
    const memory = this.options.targetMemory !== false;
    this.running = true;
    this.startedAt = Date.now();
    await this.log?.mark();
    if (pid && memory) await resetPeakRss(pid);
    this.unsubscribe = bus.subscribe((event: RunEvent) => {
      if (event.type !== 'connection') return;
      if (event.event === 'closed') this.watched.delete(event.socketId);
      const mine = this.options.watchNode === undefined || event.remoteNodeName === this.options.watchNode;
      if (event.event === 'streaming' && mine && event.localPort && event.remotePort) {
        this.watched.set(event.socketId, { localPort: event.localPort, remotePort: event.remotePort });
      }
    });
    if (pid && memory) this.loop(this.options.procIntervalMs ?? 20, () => this.sampleProc(pid));
    if (pid) this.loop(this.options.tcpIntervalMs ?? 25, () => this.sampleTcp());
    this.loop(this.options.probeIntervalMs ?? 100, () => this.probe());
    if (!memory) return;
    this.loop(this.options.sysinfoIntervalMs ?? 250, () => this.sampleSysinfo());
    const clusterStatusMs = this.options.clusterStatusIntervalMs;
    if (clusterStatusMs) this.loop(clusterStatusMs, () => this.sampleClusterStatus());
  }

  /** Stops the loops (waiting for in-flight reads up to a bound) and scans the target's log. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    await Promise.race([
      Promise.all(this.loops),
      new Promise((resolve) => setTimeout(resolve, 3000).unref()),
    ]);
    for (const match of await this.readLog()) this.emit({ type: 'log-match', ...match });
  }

  /** Every event of these samplers, labelled with the member they measure (none for the target). */
  private emit(event: Extract<RunEventInput, { type: 'sample' | 'log-match' | 'target-exited' }>): void {
    this.options.bus.emit(
      this.options.member === undefined ? event : { ...event, member: this.options.member },
    );
  }

  private loop(intervalMs: number, tick: () => Promise<void>): void {
    this.loops.push(
      (async () => {
        while (this.running) {
          const started = Date.now();
          await tick().catch(() => {});
          const wait = intervalMs - (Date.now() - started);
          if (this.running && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      })(),
    );
  }

  private async sampleProc(pid: number): Promise<void> {
    const memory = await readProcMemory(pid);
    if (!memory) {
      if (!this.lost) {
        this.emit({ type: 'target-exited', pid });
        this.markLost(`the target process (pid ${pid}) exited`);
      }
      return;
    }
    this.emit({ type: 'sample', sample: { kind: 'proc', ...memory } });
  }

  private async sampleTcp(): Promise<void> {
    if (!this.watched.size) return;
    const tables = await readTcpTables();
    for (const [socketId, ports] of this.watched) {
      const queues = queuesOf(tables, ports.localPort, ports.remotePort);
      if (!queues) continue;
      const toolBuffered = this.options.toolBuffered?.(socketId) ?? 0;
      this.emit({ type: 'sample', sample: { kind: 'tcp', socketId, ...queues, toolBuffered } });
    }
  }

  private async probe(): Promise<void> {
    const requestedAt = Date.now();
    let ok = true;
    let refused = false;
    try {
      // A blocked event loop shows as a long answer, not a failure: the bound is generous.
      await this.options.client.call({ operation: 'user_info' }, 60_000);
    } catch (error) {
      ok = false;
      refused = error instanceof OperationsApiError && (error.kind === 'refused' || error.kind === 'network');
    }
    this.emit({
      type: 'sample',
      sample: { kind: 'probe', requestedAt, latencyMs: Date.now() - requestedAt, ok },
    });
    if (!refused) {
      this.failingSince = undefined;
      if (ok) return;
    } else {
      this.failingSince ??= requestedAt;
    }
    // The proc sampler reports a local process that exited at once; one that is alive gets longer.
    const alive = this.options.pid !== undefined;
    const lostAfter = this.options.lostAfterMs ?? (alive ? 60_000 : 10_000);
    if (this.failingSince !== undefined && Date.now() - this.failingSince > lostAfter) {
      this.markLost(
        `the target's operations API has not answered for ${Math.round(lostAfter / 1000)} s${alive ? ' (its process is alive: its workers did not come back)' : ''}`,
      );
    }
    // A refused call returns at once: do not hammer a dead target.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  private async sampleSysinfo(): Promise<void> {
    const requestedAt = Date.now();
    const info = await this.options.client.systemInformation(['memory', 'threads'], 60_000);
    this.emit({
      type: 'sample',
      sample: {
        kind: 'sysinfo',
        requestedAt,
        latencyMs: Date.now() - requestedAt,
        rss: info.memory?.rss ?? null,
        heapUsed: info.memory?.heapUsed ?? null,
        threads: (info.threads ?? []).map((thread) => ({
          threadId: thread.threadId,
          ...(thread.heapUsed !== undefined ? { heapUsed: thread.heapUsed } : {}),
          ...(thread.externalMemory !== undefined ? { externalMemory: thread.externalMemory } : {}),
          ...(thread.arrayBuffers !== undefined ? { arrayBuffers: thread.arrayBuffers } : {}),
          ...(thread.utilization !== undefined ? { utilization: thread.utilization } : {}),
        })),
      },
    });
  }

  private async sampleClusterStatus(): Promise<void> {
    const requestedAt = Date.now();
    let links: ReturnType<typeof parseClusterStatus> = [];
    let ok = true;
    try {
      links = parseClusterStatus(await this.options.client.clusterStatus());
    } catch {
      ok = false;
    }
    this.emit({
      type: 'sample',
      sample: { kind: 'cluster-status', requestedAt, latencyMs: Date.now() - requestedAt, ok, links },
    });
  }

  private async readLog(): Promise<LogMatch[]> {
    if (this.log) return this.log.read().catch(() => []);
    if (this.options.targetMemory === false) return [];
    try {
      const entries = await this.options.client.readLog({
        from: new Date(this.startedAt).toISOString(),
        limit: 20_000,
        order: 'asc',
      });
      return scanLogText(
        entries.map((entry) => `${entry.timestamp} [${entry.level}] ${entry.message}`).join('\n'),
      );
    } catch {
      return [];
    }
  }
}
