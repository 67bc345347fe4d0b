/**
 * Live progress on stderr (cli-progress), a sink on the metrics bus like any other reporter: frames, records and
 * bytes sent, committed %, the target's RSS (now / peak), and a STALLED marker with its likely cause while the
 * target is not consuming.
 */

import cliProgress from 'cli-progress';
import { formatBytes, formatMs } from '../common/units.js';
import type { RunEvent, RunPhase, Sample } from '../events/schema.js';
import { isStalled, type TcpSample } from './pause-analysis.js';

export class ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private frames = 0;
  private records = 0;
  private bytes = 0;
  private committedFrames = 0;
  private totalFrames = 0;
  private phase: RunPhase = 'starting-target';
  private rss?: number;
  private peakRss?: number;
  private previousTcp?: TcpSample;
  private stalledSince?: number;
  private stalledMs = 0;
  private probeSentAt?: number;

  constructor(
    private readonly blockedAfterMs = 500,
    private readonly pauseThresholdMs = 50,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          ' {bar} {percentage}% committed | {frames}/{total} frames, {records} records, {bytes} sent | target RSS {rss} | {status}',
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  readonly sink = (event: RunEvent): void => {
    switch (event.type) {
      case 'run-start':
        this.totalFrames = event.frames;
        this.bar.start(event.frames, 0, this.payload(event.t));
        this.started = true;
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
      case 'phase':
        this.phase = event.phase;
        if (event.phase === 'done') this.stop();
        break;
      default:
        return;
    }
    if (this.started) this.bar.update(this.committedFrames, this.payload(event.t));
  };

  private onSample(sample: Sample, t: number): void {
    if (sample.kind === 'proc') {
      this.rss = sample.rss;
      this.peakRss = Math.max(this.peakRss ?? 0, sample.rss);
    } else if (sample.kind === 'probe') {
      // The next probe goes out right after this answer.
      this.probeSentAt = t;
    } else if (sample.kind === 'tcp') {
      const previous = this.previousTcp;
      this.previousTcp = sample;
      if (previous !== undefined && isStalled(previous, sample)) this.stalledSince ??= t;
      else if (this.stalledSince !== undefined) {
        const duration = t - this.stalledSince;
        if (duration > this.pauseThresholdMs) this.stalledMs += duration;
        this.stalledSince = undefined;
      }
    }
  }

  private status(now: number): string {
    const stalledFor = this.stalledSince === undefined ? 0 : now - this.stalledSince;
    const total = `stalled ${formatMs(this.stalledMs + (stalledFor > this.pauseThresholdMs ? stalledFor : 0))}`;
    if (stalledFor > this.pauseThresholdMs) {
      const unanswered = this.probeSentAt === undefined ? 0 : now - this.probeSentAt;
      const cause = unanswered > this.blockedAfterMs ? 'target blocked' : 'flow control';
      return `STALLED ${formatMs(stalledFor)} (${cause}) | ${total}`;
    }
    return `${this.phase} | ${total}`;
  }

  private payload(now: number) {
    return {
      frames: this.frames.toLocaleString('en-US'),
      total: this.totalFrames.toLocaleString('en-US'),
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
    this.bar.update(this.committedFrames, this.payload(Date.now()));
    this.bar.stop();
  }
}
