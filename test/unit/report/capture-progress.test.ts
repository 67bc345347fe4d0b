/** The live line of a subscriber capture: counts formatted, the rate from records and elapsed time, on a terminal only. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { CaptureProgressBar } from '../../../src/report/capture-progress.js';

class Terminal extends Writable {
  output = '';
  readonly columns = 200;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.output += chunk.toString();
    done();
  }
}

const ESC = String.fromCharCode(27);
const plain = (text: string) => text.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g'), '');

describe('CaptureProgressBar', () => {
  it('shows frames, records, bytes, records/s and seconds, formatted', () => {
    const terminal = new Terminal(true);
    const bar = new CaptureProgressBar(terminal as unknown as NodeJS.WriteStream);
    bar.update({ frames: 1234, records: 1_500_000, bytes: 3 * 1024 * 1024, elapsedMs: 2500 });
    bar.stop();
    const last = plain(terminal.output).trim().split('\n').at(-1) ?? '';
    assert.match(last, /1,234 frames, 1,500,000 records, 3\.00 MiB, 600,000 records\/s \| 2\.5s/);
  });

  it('a rate of 0 before any time has passed; nothing at all on a stream that is not a terminal', () => {
    const terminal = new Terminal(true);
    const bar = new CaptureProgressBar(terminal as unknown as NodeJS.WriteStream);
    bar.update({ frames: 0, records: 10, bytes: 0, elapsedMs: 0 });
    bar.stop();
    assert.match(plain(terminal.output), /10 records, 0 B, 0 records\/s \| 0\.0s/);

    const pipe = new Terminal(false);
    const quiet = new CaptureProgressBar(pipe as unknown as NodeJS.WriteStream);
    quiet.update({ frames: 1, records: 1, bytes: 1, elapsedMs: 1 });
    quiet.stop();
    assert.equal(pipe.output, '');
  });
});
