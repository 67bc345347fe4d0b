/**
 * Live progress on stderr (cli-progress), a sink on the metrics bus like any other reporter: frames, records and
 * bytes sent, committed %, the target's RSS (now / peak), and a STALLED marker with its likely cause while the
 * target is not consuming.
 */

import cliProgress from 'cli-progress';
import { formatBytes, formatMs } from '../common/units.js';
import type { RunEvent, RunPhase, Sample } from '../events/schema.js';
import { OpenEndedClock } from './open-ended.js';
import { PaceProgress } from './pace-progress.js';
import { isStalled, type TcpSample } from './pause-analysis.js';

/** The bar's line: committed % of the planned frames, or for an open-ended run the share of its time gone. */
const PLANNED_FORMAT =
  ' {bar} {percentage}% committed | {frames}/{frameTotal} frames, {records} records, {bytes} sent | target RSS {rss} | {status}';
const OPEN_ENDED_FORMAT =
  ' {bar} {percentage}% of the time | {frames} frames ({committed} committed), {records} records, {bytes} sent | target RSS {rss} | {status}';

export class ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private started = false;
  private frames = 0;
  private records = 0;
  private bytes = 0;
  private committedFrames = 0;
  private totalFrames = 0;
  private phase: RunPhase = 'starting-target';
  private rss?: number;
  private peakRss?: number;
  /** Per connection: its last kernel-queue sample, and since when it has been stalled (as PauseAnalysis counts). */
  private readonly previousTcp = new Map<number, TcpSample & { t: number }>();
  private readonly stalledSince = new Map<number, number>();
  private stalledMs = 0;
  private probeSentAt?: number;
  /** A scheduled run (--stages, --duration, synth --rate): stage, target and achieved rate. */
  private pace?: PaceProgress;
  /** A shard's --start-at (epoch ms): said while it waits for it. */
  private startAt?: number;
  /** An open-ended run (synth --duration alone): its clock instead of a frame total. */
  private openEnded?: OpenEndedClock;

  constructor(
    private readonly blockedAfterMs = 500,
    private readonly pauseThresholdMs = 50,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  private startBar(frames: number, now: number): void {
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: this.openEnded ? OPEN_ENDED_FORMAT : PLANNED_FORMAT,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.openEnded ? this.openEnded.durationMs : frames, 0, this.payload(now));
    this.started = true;
  }

  /** Where the bar stands: frames committed, or an open-ended run's time gone. */
  private barValue(now: number): number {
    return this.openEnded ? this.openEnded.elapsedMs(now) : this.committedFrames;
  }

  readonly sink = (event: RunEvent): void => {
    this.pace?.sink(event);
    this.openEnded?.sink(event);
    switch (event.type) {
      case 'run-meta':
        if (event.meta.workload.schedule) this.pace = new PaceProgress(event.meta.workload.schedule);
        if (event.meta.workload.openEnded)
          this.openEnded = new OpenEndedClock(event.meta.workload.openEnded.durationMs);
        this.startAt = event.meta.sharding?.startAt;
        return;
      case 'run-start':
        this.totalFrames = event.frames;
        this.startBar(event.frames, event.t);
        return;
      case 'frame-sent':
        this.frames++;
        this.records += event.records;
        this.bytes += event.bytes;
        break;
      case 'frame-committed':
        this.committedFrames++;
        break;
      case 'sample':
        this.onSample(event.sample, event.t);
        break;
      case 'connection':
        if (event.event !== 'closed') return;
        this.endStall(event.socketId, event.t);
        this.previousTcp.delete(event.socketId);
        break;
      case 'phase':
        this.phase = event.phase;
        if (event.phase === 'done') this.stop();
        break;
      default:
        return;
    }
    if (this.started) this.bar?.update(this.barValue(event.t), this.payload(event.t));
  };

  private onSample(sample: Sample, t: number): void {
    if (sample.kind === 'proc') {
      this.rss = sample.rss;
      this.peakRss = Math.max(this.peakRss ?? 0, sample.rss);
    } else if (sample.kind === 'probe') {
      // The next probe goes out right after this answer.
      this.probeSentAt = t;
    } else if (sample.kind === 'tcp') {
      const previous = this.previousTcp.get(sample.socketId);
      this.previousTcp.set(sample.socketId, { ...sample, t });
      if (previous && isStalled(previous, sample)) {
        // An episode starts at the last sample that still showed progress, as in PauseAnalysis.
        if (!this.stalledSince.has(sample.socketId)) this.stalledSince.set(sample.socketId, previous.t);
      } else {
        this.endStall(sample.socketId, t);
      }
    }
  }

  private endStall(socketId: number, at: number): void {
    const since = this.stalledSince.get(socketId);
    if (since === undefined) return;
    this.stalledSince.delete(socketId);
    if (at - since > this.pauseThresholdMs) this.stalledMs += at - since;
  }

  private status(now: number): string {
    const open = [...this.stalledSince.values()].map((since) => now - since);
    const stalledFor = Math.max(0, ...open);
    const openMs = open.filter((ms) => ms > this.pauseThresholdMs).reduce((sum, ms) => sum + ms, 0);
    const total = `stalled ${formatMs(this.stalledMs + openMs)}`;
    if (stalledFor > this.pauseThresholdMs) {
      const unanswered = this.probeSentAt === undefined ? 0 : now - this.probeSentAt;
      const cause = unanswered > this.blockedAfterMs ? 'target blocked' : 'flow control';
      return `STALLED ${formatMs(stalledFor)} (${cause}) | ${total}`;
    }
    if (this.phase === 'waiting-for-start' && this.startAt !== undefined)
      return `waiting for start at ${new Date(this.startAt).toISOString()} (in ${formatMs(Math.max(0, this.startAt - now))}) | ${total}`;
    const pace = this.pace?.describe(now) || this.openEnded?.describe(now);
    return `${this.phase}${pace ? ` | ${pace}` : ''} | ${total}`;
  }

  private payload(now: number) {
    return {
      frames: this.frames.toLocaleString('en-US'),
      // Not `total`: cli-progress overwrites that key with its own unformatted total.
      frameTotal: this.totalFrames.toLocaleString('en-US'),
      committed: this.committedFrames.toLocaleString('en-US'),
      records: this.records.toLocaleString('en-US'),
      bytes: formatBytes(this.bytes),
      rss:
        this.rss === undefined
          ? '–'
          : `${formatBytes(this.rss)} / peak ${formatBytes(this.peakRss ?? this.rss)}`,
      status: this.status(now),
    };
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    const now = Date.now();
    this.bar?.update(this.barValue(now), this.payload(now));
    this.bar?.stop();
  }
}
