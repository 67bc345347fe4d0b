/** The live line of a subscriber capture on stderr: frames, records, bytes, records/s and elapsed time. */
import cliProgress from 'cli-progress';
import { formatBytes } from '../common/units.js';

/** The counters a capture reports as it goes. */
export interface CaptureCounters {
  frames: number;
  records: number;
  bytes: number;
  elapsedMs: number;
}

export class CaptureProgressBar {
  private readonly bar: cliProgress.SingleBar;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: ' {frames} frames, {records} records, {bytes}, {rate} records/s | {elapsed}s',
        fps: 4,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(0, 0, { frames: 0, records: 0, bytes: '0 B', rate: 0, elapsed: 0 });
  }

  update(p: CaptureCounters): void {
    this.bar.update(0, {
      frames: p.frames.toLocaleString('en-US'),
      records: p.records.toLocaleString('en-US'),
      bytes: formatBytes(p.bytes),
      rate: p.elapsedMs ? Math.round((p.records * 1000) / p.elapsedMs).toLocaleString('en-US') : 0,
      elapsed: (p.elapsedMs / 1000).toFixed(1),
    });
  }

  stop(): void {
    this.bar.stop();
  }
}
