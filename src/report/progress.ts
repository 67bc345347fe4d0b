/** Live progress on stderr (cli-progress): a sink on the metrics bus like any other reporter. */
import cliProgress from 'cli-progress';
import { formatBytes } from '../cli/units.js';
import type { RunEvent, RunPhase } from './metrics-bus.js';

export class ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private frames = 0;
  private records = 0;
  private bytes = 0;
  private committedFrames = 0;
  private totalFrames = 0;
  private phase: RunPhase = 'starting-target';

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          ' {bar} {percentage}% committed | sent {frames}/{total} frames, {records} records, {bytes} | {phase}',
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  readonly sink = (event: RunEvent): void => {
    switch (event.type) {
      case 'run-start':
        this.totalFrames = event.frames;
        this.bar.start(event.frames, 0, this.payload());
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
      case 'phase':
        this.phase = event.phase;
        if (event.phase === 'done') this.stop();
        break;
      default:
        return;
    }
    if (this.started) this.bar.update(this.committedFrames, this.payload());
  };

  private payload() {
    return {
      frames: this.frames.toLocaleString('en-US'),
      total: this.totalFrames.toLocaleString('en-US'),
      records: this.records.toLocaleString('en-US'),
      bytes: formatBytes(this.bytes),
      phase: this.phase,
    };
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.bar.update(this.committedFrames, this.payload());
    this.bar.stop();
  }
}
