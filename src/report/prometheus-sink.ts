/**
 * `--prometheus-rw URL`: live metrics into Prometheus by remote write (k6's experimental-prometheus-rw output, same
 * idea), a sink on the metrics bus like every reporter. Every memory sample of the target goes out with its own
 * timestamp (so the series' max is the run's peak); the rest (stall state and time, records and rates per stream,
 * ack latency, worker deaths, reconnects) is folded as the result folds it and sampled once per interval. Labels:
 * run_id (the run's tool node name), command, target (node name) and stream. A Prometheus that is down or refuses
 * is a warning and a count, never a failed or slowed run: one request in flight, a bounded queue, a timeout.
 */
import type { RunEvent, Sample } from '../events/schema.js';
import { isStalled, type TcpSample } from './pause-analysis.js';
import {
  type PrometheusStats,
  REMOTE_WRITE_HEADERS,
  remoteWriteBody,
  type TimeSeries,
} from './remote-write.js';

export type { PrometheusStats } from './remote-write.js';

import { ResultBuilder, type RunResult } from './result.js';

export const PROMETHEUS_RW_ENV = 'HARPER_REPLAY_PROMETHEUS_RW_URL';
export const METRIC_PREFIX = 'harper_replay_';

/** The result's warning about pushes that failed (the run itself is unaffected). */
export function prometheusWarning(stats: PrometheusStats): string {
  return `Prometheus remote write: ${stats.failedPushes} of ${stats.pushes + stats.failedPushes} pushes to ${stats.url} failed (${stats.samplesDropped} samples dropped; last: ${stats.lastError})`;
}

export interface PrometheusSinkOptions {
  intervalMs?: number;
  timeoutMs?: number;
  maxQueuedSamples?: number;
  warn?: (message: string) => void;
}

/** The URL without user:password (which become a Basic Authorization header). Throws on a URL that is not one. */
export function parseRemoteWriteUrl(text: string): { url: string; authorization?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `"${text.replace(/\/\/[^@/]*@/, '//…@')}" is not a URL (e.g. http://127.0.0.1:9090/api/v1/write)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${url.protocol} is not http(s)`);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return {
    url: url.toString(),
    ...(user || password
      ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
      : {}),
  };
}

export class PrometheusSink {
  private readonly builder = new ResultBuilder();
  private readonly queue = new Map<string, TimeSeries>();
  private readonly lastTimestamp = new Map<string, number>();
  private queued = 0;
  private inFlight?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private readonly endpoint: { url: string; authorization?: string };
  private readonly stats: PrometheusStats;
  private base: Record<string, string> = {};
  private local = true;
  /** Samples before run-start: held until the target's name (a label of every series) is known. */
  private early: Array<{ sample: Sample; t: number; member: string | undefined }> | undefined = [];
  private readonly previousTcp = new Map<number, TcpSample>();
  private readonly stalled = new Set<number>();
  private readonly previousRecords = new Map<string, { t: number; sent: number; committed: number }>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxQueuedSamples: number;
  private readonly warn: (message: string) => void;

  constructor(url: string, options: PrometheusSinkOptions = {}) {
    this.endpoint = parseRemoteWriteUrl(url);
    this.intervalMs = options.intervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxQueuedSamples = options.maxQueuedSamples ?? 50_000;
    this.warn = options.warn ?? (() => {});
    this.stats = {
      url: this.endpoint.url,
      runId: null,
      pushes: 0,
      failedPushes: 0,
      samplesSent: 0,
      samplesDropped: 0,
      lastError: null,
    };
    this.timer = setInterval(() => this.tick(Date.now()), this.intervalMs).unref();
  }

  readonly sink = (event: RunEvent): void => {
    this.builder.sink(event);
    if (event.type === 'run-meta') {
      this.stats.runId = event.meta.toolNodeName;
      this.base = { run_id: event.meta.toolNodeName, command: event.meta.command };
    } else if (event.type === 'run-start') {
      this.base.target = event.target.nodeName;
      this.local = event.target.local;
      const early = this.early ?? [];
      this.early = undefined;
      for (const held of early) this.onSample(held.sample, held.t, held.member);
    } else if (event.type === 'sample') {
      if (this.early) this.early.push({ sample: event.sample, t: event.t, member: event.member });
      else this.onSample(event.sample, event.t, event.member);
    }
  };

  private onSample(sample: Sample, t: number, member: string | undefined): void {
    const target: Record<string, string> = member ? { target: member } : {};
    // One RSS source, the one the result's peak comes from: /proc for a local target, else system_information.
    if (sample.kind === 'proc' && !member) this.add('target_rss_bytes', target, sample.rss, t);
    if (sample.kind === 'sysinfo') {
      if ((!this.local || member) && sample.rss !== null) this.add('target_rss_bytes', target, sample.rss, t);
      if (sample.heapUsed !== null) this.add('target_heap_used_bytes', target, sample.heapUsed, t);
      const external = sample.threads.map((thread) => thread.externalMemory ?? 0);
      if (external.length) this.add('target_external_bytes', target, Math.max(...external), t);
    }
    if (sample.kind === 'tcp') {
      const previous = this.previousTcp.get(sample.socketId);
      this.previousTcp.set(sample.socketId, sample);
      if (previous && isStalled(previous, sample)) this.stalled.add(sample.socketId);
      else this.stalled.delete(sample.socketId);
    }
  }

  /** Queues one sample (name without the prefix); over the bound it is dropped and counted. */
  private add(name: string, labels: Record<string, string>, value: number, t: number): void {
    if (!this.base.run_id || !Number.isFinite(value)) return;
    if (this.queued >= this.maxQueuedSamples) {
      this.stats.samplesDropped++;
      return;
    }
    const all = { __name__: `${METRIC_PREFIX}${name}`, ...this.base, ...labels };
    const key = JSON.stringify(all);
    // Prometheus refuses a sample not newer than the last of its series.
    const timestamp = Math.max(t, (this.lastTimestamp.get(key) ?? 0) + 1);
    this.lastTimestamp.set(key, timestamp);
    const series: TimeSeries = this.queue.get(key) ?? { labels: all, samples: [] };
    this.queue.set(key, series);
    series.samples.push({ value, timestamp });
    this.queued++;
  }

  /** The folded state as gauges and counters at `now`, then a push (unless one is still in flight). */
  private tick(now: number): void {
    let result: RunResult | undefined;
    try {
      result = this.builder.build();
    } catch {
      return; // no run-meta yet
    }
    this.addFolded(result, now);
    if (!this.inFlight) this.inFlight = this.push().finally(() => (this.inFlight = undefined));
  }

  private addFolded(result: RunResult, now: number): void {
    this.add('stalled', {}, this.stalled.size ? 1 : 0, now);
    this.add('stalled_seconds_total', {}, result.pauses.totalMs / 1000, now);
    this.add('worker_deaths_total', {}, result.workers.deaths, now);
    this.add('reconnects_total', {}, result.workers.reconnects, now);
    for (const stream of result.streams) {
      const labels = { stream: stream.stream, target: stream.member };
      this.add('sent_records_total', labels, stream.sent.records, now);
      this.add('committed_records_total', labels, stream.committed.records, now);
      const previous = this.previousRecords.get(stream.stream);
      if (previous && now > previous.t) {
        const seconds = (now - previous.t) / 1000;
        this.add('sent_records_per_second', labels, (stream.sent.records - previous.sent) / seconds, now);
        const committed = (stream.committed.records - previous.committed) / seconds;
        this.add('committed_records_per_second', labels, committed, now);
      }
      this.previousRecords.set(stream.stream, {
        t: now,
        sent: stream.sent.records,
        committed: stream.committed.records,
      });
      // k6's trend stats: one series per statistic.
      const latency = stream.committed.ackLatencyMs;
      for (const stat of ['p50', 'p99', 'max'] as const) {
        const ms = latency[stat];
        if (ms !== null && ms !== undefined) this.add(`ack_latency_seconds_${stat}`, labels, ms / 1000, now);
      }
    }
  }

  /** Sends everything queued; a failure is counted and warned about once, and its samples are dropped. */
  private async push(): Promise<void> {
    if (!this.queued) return;
    const series = [...this.queue.values()];
    const count = this.queued;
    this.queue.clear();
    this.queued = 0;
    try {
      const response = await fetch(this.endpoint.url, {
        method: 'POST',
        headers: {
          ...REMOTE_WRITE_HEADERS,
          'User-Agent': 'harper-replay',
          ...(this.endpoint.authorization ? { Authorization: this.endpoint.authorization } : {}),
        },
        body: Buffer.from(remoteWriteBody(series)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text().catch(() => '');
      if (!response.ok) throw new Error(`HTTP ${response.status} ${text.trim().slice(0, 200)}`.trim());
      this.stats.pushes++;
      this.stats.samplesSent += count;
    } catch (error) {
      this.stats.failedPushes++;
      this.stats.samplesDropped += count;
      const reason = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
      if (this.stats.lastError === null) {
        this.warn(
          `Prometheus remote write to ${this.endpoint.url} failed (${reason}); the run goes on, failed pushes are counted`,
        );
      }
      this.stats.lastError = reason;
    }
  }

  /** The last state and everything queued go out (bounded by the timeout); the counts. */
  async close(): Promise<PrometheusStats> {
    clearInterval(this.timer);
    await this.inFlight;
    try {
      this.addFolded(this.builder.build(), Date.now());
    } catch {}
    await this.push();
    return { ...this.stats };
  }
}
