import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  Direction,
  MAGIC,
  PREAMBLE_LENGTH,
  RECORD_HEAD_LENGTH,
  RecordKind,
} from '../../../src/capture/format.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { randomBytes, randomInt, seeded } from '../support.js';
import { assertFormatError, makeHeader, type ReadResult, readAll, recordSize, tempDir } from './support.js';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Layout {
  bytes: Buffer;
  dataStart: number;
  /** Start offset and end offset of every record. */
  starts: number[];
  ends: number[];
  payloads: Buffer[];
}

async function buildCapture(name: string, sizes: number[], seed: number): Promise<Layout> {
  const path = tmp.path(name);
  const writer = await CaptureWriter.create(path, makeHeader());
  const random = seeded(seed);
  writer.event(RecordKind.OPEN, 1, { role: 'subscriber', url: 'wss://host/' });
  for (const [i, size] of sizes.entries()) {
    writer.message(i % 2 === 0 ? Direction.FROM_SOURCE : Direction.TO_SOURCE, 1, randomBytes(random, size));
  }
  writer.event(RecordKind.CLOSE, 1, { code: 1000 });
  await writer.close({ endedAtMs: 1, structures: [], reason: 'done' });
  const full = await readAll(path);
  assert.equal(full.error, undefined);
  assert.equal(full.status?.truncated, false);
  const bytes = readFileSync(path);
  const starts = full.records.map((r) => r.offset);
  const ends = full.records.map((r) => r.offset + recordSize(r.payload.length));
  assert.equal(ends.at(-1), bytes.length);
  for (let i = 1; i < starts.length; i++) assert.equal(starts[i], ends[i - 1]);
  return { bytes, dataStart: starts[0]!, starts, ends, payloads: full.records.map((r) => r.payload) };
}

/** Checks what the reader says about the capture cut to `cut` bytes. */
function checkCut(layout: Layout, cut: number, result: ReadResult): void {
  const what = `cut at ${cut} of ${layout.bytes.length}`;
  if (cut < layout.dataStart) {
    const error = assertFormatError(result.error, what);
    assert.equal(result.records.length, 0, what);
    if (cut < MAGIC.length) {
      assert.ok(error.offset <= cut, `${what}: ${error.message}`);
    } else if (cut < PREAMBLE_LENGTH) {
      assert.equal(error.offset, cut, `${what}: ${error.message}`);
      assert.match(error.message, /preamble/, what);
    } else {
      assert.equal(error.offset, PREAMBLE_LENGTH, `${what}: ${error.message}`);
      assert.match(error.message, /past the end of the file/, what);
    }
    return;
  }
  assert.equal(result.error, undefined, `${what}: ${(result.error as Error | undefined)?.message}`);
  const complete = layout.ends.filter((end) => end <= cut).length;
  assert.equal(result.records.length, complete, what);
  for (let i = 0; i < complete; i++) {
    assert.equal(result.records[i]!.offset, layout.starts[i], what);
    assert.ok(result.records[i]!.payload.equals(layout.payloads[i]!), `${what}: record ${i}`);
  }
  const atBoundary = cut === layout.dataStart || layout.ends.includes(cut);
  assert.equal(result.status?.truncated, !atBoundary, what);
  assert.equal(result.status?.records, complete, what);
  const lastEnd = complete === 0 ? layout.dataStart : layout.ends[complete - 1]!;
  assert.equal(result.status?.bytesRead, lastEnd, what);
  if (atBoundary) assert.equal(result.status?.truncatedAt, undefined, what);
  else assert.equal(result.status?.truncatedAt, layout.starts[complete], what);
}

async function cutAndCheck(layout: Layout, cuts: Iterable<number>): Promise<number> {
  const path = tmp.path('cut.hrcap');
  let checked = 0;
  for (const cut of cuts) {
    writeFileSync(path, layout.bytes.subarray(0, cut));
    checkCut(layout, cut, await readAll(path));
    checked++;
  }
  return checked;
}

describe('truncated captures', () => {
  let small: Layout;
  let large: Layout;

  before(async () => {
    small = await buildCapture('small.hrcap', [0, 1, 2, 19, 23, 40, 0, 100, 255, 3, 1], 11);
    large = await buildCapture('large.hrcap', [10, 70 * 1024, 1, 0, 200 * 1024, 5, 3000, 1], 12);
  });

  it('small capture: every cut from 0 bytes to the whole file', async () => {
    const lengths = Array.from({ length: small.bytes.length + 1 }, (_, i) => i);
    const checked = await cutAndCheck(small, lengths);
    assert.equal(checked, small.bytes.length + 1);
    assert.ok(checked > 500, `${checked} cuts`);
  });

  it('large capture: every cut in the last 4 records, around every boundary, and 400 random cuts', async () => {
    const cuts = new Set<number>();
    const tailStart = large.starts.at(-4)!;
    for (let cut = tailStart; cut <= large.bytes.length; cut++) cuts.add(cut);
    for (const boundary of [0, MAGIC.length, PREAMBLE_LENGTH, large.dataStart, ...large.ends]) {
      for (let d = -RECORD_HEAD_LENGTH - 2; d <= RECORD_HEAD_LENGTH + 2; d++) {
        const cut = boundary + d;
        if (cut >= 0 && cut <= large.bytes.length) cuts.add(cut);
      }
    }
    const random = seeded(99);
    for (let i = 0; i < 400; i++) cuts.add(randomInt(random, 0, large.bytes.length));
    const checked = await cutAndCheck(
      large,
      [...cuts].sort((a, b) => a - b),
    );
    assert.ok(checked > 600, `${checked} cuts`);
  });

  it('a torn tail after a valid record: the record head alone, the head and part of the payload', async () => {
    const path = tmp.path('torn.hrcap');
    const lastStart = small.starts.at(-1)!;
    for (const cut of [lastStart + 1, lastStart + RECORD_HEAD_LENGTH, small.bytes.length - 1]) {
      writeFileSync(path, small.bytes.subarray(0, cut));
      const result = await readAll(path);
      assert.equal(result.error, undefined);
      assert.equal(result.status?.truncated, true);
      assert.equal(result.status?.truncatedAt, lastStart);
      assert.equal(result.records.length, small.starts.length - 1);
      assert.ok(!result.records.some((r) => r.kind === RecordKind.FOOTER));
    }
  });
});
