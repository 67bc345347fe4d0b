/** inspect's one pass over a capture: the summary, the --list-frames / --decode lines within --limit, its errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CaptureInspector } from '../../../src/capture/inspect.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { formatDecoded, formatFrame } from '../../../src/report/inspect-text.js';
import { inspectCapture } from '../../../src/run/inspect-run.js';

const capture = (name: string) => fileURLToPath(new URL(`../../../../captures/${name}`, import.meta.url));

async function lines(file: string, options: { listFrames: boolean; decode: boolean; limit?: number }) {
  const written: string[] = [];
  const result = await inspectCapture(file, options, {
    frame: (record) => written.push(formatFrame(record)),
    decoded: (entry) => written.push(formatDecoded(entry)),
  });
  return { result, written };
}

describe('inspectCapture', () => {
  it('is the fold of the whole capture, whatever is printed', async () => {
    const file = capture('catchup-40x500.hrcap');
    const reader = await CaptureReader.open(file);
    const inspector = new CaptureInspector();
    for await (const record of reader.records()) inspector.add(record);
    await reader.close();
    const { result, written } = await lines(file, { listFrames: false, decode: false });
    assert.deepEqual(written, []);
    assert.deepEqual(result, { file, header: reader.header, ...inspector.summary(reader.status) });
    const limited = await lines(file, { listFrames: true, decode: true, limit: 3 });
    assert.deepEqual(limited.result, result, 'the limit is on lines, not on what is counted');
  });

  it('--list-frames: a line per message, --limit of them', async () => {
    const file = capture('proxy-two-nodes.hrcap');
    const all = await lines(file, { listFrames: true, decode: false });
    assert.equal(all.written.length, all.result.frames.total);
    const some = await lines(file, { listFrames: true, decode: false, limit: 5 });
    assert.deepEqual(some.written, all.written.slice(0, 5));
    assert.match(some.written[0]!, /^\s+337\s+32 ms {2}conn 1 {2}→source {2}OPERATION_REQUEST\s+178 B$/);
  });

  it('--decode: a JSON line per record, --limit of them', async () => {
    const file = capture('catchup-40x500.hrcap');
    const { result, written } = await lines(file, { listFrames: false, decode: true, limit: 7 });
    assert.equal(written.length, 7);
    const records = written.map((line) => JSON.parse(line));
    assert.deepEqual(
      records.map((r) => [r.table, r.type, r.key]),
      [1, 2, 3, 4, 5, 6, 7].map((key) => ['dog', 'put', key]),
    );
    assert.equal(result.records.total, 20_003);
  });

  it('--list-frames and --decode share the limit', async () => {
    const { written } = await lines(capture('blobs-12x50k.hrcap'), {
      listFrames: true,
      decode: true,
      limit: 12,
    });
    assert.equal(written.length, 12);
    assert.ok(
      written.some((line) => line.startsWith('{')),
      'decoded records among them',
    );
    assert.ok(
      written.some((line) => /TRANSACTION/.test(line)),
      'frames among them',
    );
  });

  it('a missing file, a directory and a file that is not a capture are bad input (6) naming it', async () => {
    await assert.rejects(
      lines('no-such.hrcap', { listFrames: false, decode: false }),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.BAD_INPUT &&
        error.message === 'no such file: no-such.hrcap',
    );
    await assert.rejects(
      lines('captures', { listFrames: false, decode: false }),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.BAD_INPUT &&
        error.message === 'captures is a directory, not a file',
    );
    const readme = capture('README.md');
    await assert.rejects(
      lines(readme, { listFrames: false, decode: false }),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.BAD_INPUT &&
        error.message.startsWith(`${readme}: `),
    );
  });
});
