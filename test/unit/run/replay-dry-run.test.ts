/** Before a replay: the capture opened (its errors in one line each), and --dry-run (built from the flags as the command does). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Direction, RecordKind } from '../../../src/capture/format.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { replayFlags, replayOptions, replayRunOptions } from '../../../src/cli/replay-options.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { Command } from '../../../src/protocol/codes.js';
import { controlCode, isControlFrame } from '../../../src/protocol/control-frame.js';
import { dryRun, formatDryRun, openReplaySource } from '../../../src/run/replay-dry-run.js';
import { parseFlags, withoutHarperEnvironment } from '../cli/support.js';

const capture = (name: string) => fileURLToPath(new URL(`../../../../captures/${name}`, import.meta.url));

const replay = (overrides: Partial<Parameters<typeof openReplaySource>[1]> = {}) => ({
  speed: 1,
  speedLabel: '1x',
  loops: 1,
  fromFrame: 0,
  retime: true,
  origin: 'capture',
  ...overrides,
});

const usage =
  (pattern: RegExp, code: number = ExitCode.USAGE) =>
  (error: unknown) =>
    error instanceof HarperReplayError && error.exitCode === code && pattern.test(error.message);

describe('replay: opening the capture', () => {
  it('no such file, a directory, not a capture: bad input (6); --from-frame past the end: usage', async () => {
    await assert.rejects(
      openReplaySource('no-such.hrcap', replay()),
      usage(/^no such file: no-such\.hrcap$/, ExitCode.BAD_INPUT),
    );
    await assert.rejects(
      openReplaySource('captures', replay()),
      usage(/^captures is a directory, not a file$/, ExitCode.BAD_INPUT),
    );
    await assert.rejects(openReplaySource(capture('README.md'), replay()), usage(/./, ExitCode.BAD_INPUT));
    await assert.rejects(
      openReplaySource(capture('catchup-40x500.hrcap'), replay({ fromFrame: 100 })),
      usage(/^--from-frame 100: the capture has 42 transaction frames$/),
    );
    await assert.rejects(
      openReplaySource(
        capture('catchup-40x500.hrcap'),
        replay({ blobFaults: [{ kind: 'error', every: 2 }] }),
      ),
      usage(
        /^--blob-faults: .*catchup-40x500\.hrcap carries no blob chunks on the replayed connection\(s\) to fault$/,
      ),
    );
  });
});

withoutHarperEnvironment();

/** The dry run of `replay FILE ARGV…`: the command's own option building, then the dry run. */
async function planned(file: string, ...argv: string[]) {
  const flags = await parseFlags({ ...loadFlags, ...replayFlags }, argv);
  const replayed = replayOptions(flags);
  const opened = await openReplaySource(file, replayed);
  let options: ReturnType<typeof replayRunOptions>;
  try {
    options = replayRunOptions(flags, file, opened, replayed);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const warnings: string[] = [];
  const result = await dryRun(options, opened, (w) => warnings.push(w));
  return { result, warnings };
}

/** BLOB_CHUNK frames the source sent in a capture, and their bytes, read straight from the file. */
async function capturedBlobChunks(file: string) {
  const reader = await CaptureReader.open(file);
  const found = { chunks: 0, bytes: 0 };
  try {
    for await (const record of reader.records()) {
      if (record.kind !== RecordKind.MESSAGE || record.direction !== Direction.FROM_SOURCE) continue;
      if (!isControlFrame(record.payload) || controlCode(record.payload) !== Command.BLOB_CHUNK) continue;
      found.chunks++;
      found.bytes += record.payload.length;
    }
  } finally {
    await reader.close();
  }
  return found;
}

describe('replay --dry-run', () => {
  it('what would be sent, blob chunks included, per loop times loops, and the line that says so', async () => {
    const file = capture('blobs-12x50k.hrcap');
    const { result: once, warnings } = await planned(file);
    const chunks = await capturedBlobChunks(file);
    assert.ok(chunks.chunks >= 12, 'the capture carries the chunks of 12 blobs');
    const connection = {
      connection: 1,
      database: 'media',
      frames: 3,
      records: 12,
      bytes: once.bytes,
      blobs: chunks.chunks,
      blobBytes: chunks.bytes,
      largestFrame: 698,
      scheduledDurationMs: 4,
      tables: ['photos'],
    };
    assert.deepEqual(
      { ...once, originalAckLatencyMs: undefined },
      {
        dryRun: true,
        capture: file,
        connection: 1,
        frames: 3,
        records: 12,
        bytes: once.bytes,
        blobs: chunks.chunks,
        blobBytes: chunks.bytes,
        largestFrame: 698,
        loops: 1,
        speed: '1x',
        rate: null,
        scheduledDurationMs: 4,
        paceBy: 'arrival',
        // The capture's frames arrived 4 ms apart; their transaction times are 1 µs apart.
        paceSpansMs: { arrival: 4, txnTime: 0.002 },
        tables: ['photos'],
        truncated: false,
        originalAckLatencyMs: undefined,
        connections: [connection],
      },
    );
    // The transaction frames (at most 698 B each) and the table structure on top of the chunks.
    assert.ok(once.bytes > chunks.bytes && once.bytes < chunks.bytes + 3 * 698 + 4096, String(once.bytes));
    assert.deepEqual(warnings, [], 'a 698 B frame is no problem in peer mode');
    assert.match(
      formatDryRun(once),
      /: would send 3 frames, 12 records, [\d.]+ KiB with \d+ blob chunks of [\d.]+ KiB \(largest frame 698 B; connection 1, tables photos\) — expected duration 4\.00 ms at 1x, paced by arrival \(a pass: 0\.00 ms by txn-time, 4\.00 ms by arrival\)$/,
    );
    const { result: twice } = await planned(file, '--loop', '2', '--via', 'push');
    assert.deepEqual(
      [twice.frames, twice.records, twice.blobs, twice.blobBytes, twice.loops],
      [6, 24, chunks.chunks * 2, chunks.bytes * 2, 2],
    );
    // Every pass re-sends the table structure before its first frame, so twice is exactly double.
    assert.equal(twice.bytes, once.bytes * 2);
  });

  it('flat out has no expected duration; --rate spaces the frames evenly; --max-gap and --speed shorten the clock', async () => {
    const file = capture('catchup-40x500.hrcap');
    const { result: flat } = await planned(file, '--speed', 'max');
    assert.equal(flat.scheduledDurationMs, null);
    assert.match(
      formatDryRun(flat),
      /: would send 42 frames, 20,003 records, .* — expected duration as fast as the target reads at max$/,
    );
    const { result: rated } = await planned(file, '--rate', '20');
    assert.deepEqual([rated.rate, rated.speed, rated.scheduledDurationMs], [20, '20 frames/s', 41 * 50]);
    assert.deepEqual([rated.frames, rated.records, rated.bytes], [flat.frames, flat.records, flat.bytes]);
    const { result: paced } = await planned(file);
    const { result: fast } = await planned(file, '--speed', '4x');
    assert.ok(paced.scheduledDurationMs! > 0);
    assert.ok(Math.abs(fast.scheduledDurationMs! - paced.scheduledDurationMs! / 4) < 0.01);
    const { result: capped } = await planned(file, '--max-gap', '1ms');
    assert.ok(capped.scheduledDurationMs! <= 41, `41 gaps of at most 1 ms: ${capped.scheduledDurationMs}`);
    const { result: looped } = await planned(file, '--rate', '20', '--loop', '2');
    assert.equal(looped.scheduledDurationMs, 83 * 50);
  });

  it('--from-frame sends fewer frames, records and bytes; --exclude-tables drops the entries but not the frames', async () => {
    const file = capture('catchup-40x500.hrcap');
    const { result: all } = await planned(file);
    const { result: later } = await planned(file, '--from-frame', '10');
    assert.equal(later.frames, 32);
    assert.ok(later.records < all.records && later.bytes < all.bytes, `${later.records} ${later.bytes}`);
    assert.ok(later.scheduledDurationMs! < all.scheduledDurationMs!);
    const { result: none } = await planned(file, '--exclude-tables', 'dog');
    assert.deepEqual([none.frames, none.records, none.tables], [42, 0, []]);
    assert.ok(none.bytes < all.bytes / 10, `frames without entries: ${none.bytes} B of ${all.bytes}`);
    const { result: only } = await planned(file, '--tables', 'dog');
    assert.deepEqual([only.records, only.bytes, only.tables], [all.records, all.bytes, ['dog']]);
  });

  it('a capture of three databases: every connection at once, one line each; --connection narrows it', async () => {
    const file = capture('proxy-three-databases.hrcap');
    const { result: all } = await planned(file);
    assert.deepEqual(
      all.connections.map((c) => [c.database, c.frames, c.records, c.tables]),
      [
        ['zoo', 6, 10, ['animal']],
        ['shop', 5, 5, ['item']],
        ['farm', 6, 10, ['crop']],
      ],
    );
    assert.equal(all.frames, 17);
    assert.equal(all.records, 25);
    assert.equal(
      all.bytes,
      all.connections.reduce((sum, c) => sum + c.bytes, 0),
    );
    assert.equal(all.scheduledDurationMs, Math.max(...all.connections.map((c) => c.scheduledDurationMs!)));
    const lines = formatDryRun(all).split('\n');
    assert.match(lines[0]!, /would send 17 frames, 25 records, .*3 connections at once/);
    assert.deepEqual(
      lines.slice(1).map((line) => /^ {2}connection \d+ → (\w+): (\d+) frames/.exec(line)?.slice(1)),
      [
        ['zoo', '6'],
        ['shop', '5'],
        ['farm', '6'],
      ],
    );
    const { result: noAnimals } = await planned(file, '--exclude-tables', 'animal');
    assert.deepEqual(
      noAnimals.connections.map((c) => [c.database, c.frames, c.records]),
      [
        ['zoo', 6, 0],
        ['shop', 5, 5],
        ['farm', 6, 10],
      ],
    );
    const shop = all.connections[1]!.connection;
    const { result: one } = await planned(file, '--connection', String(shop));
    assert.deepEqual([one.connection, one.frames, one.tables], [shop, 5, ['item']]);
    assert.equal(formatDryRun(one).split('\n').length, 1);
    await assert.rejects(
      openReplaySource(file, replay({ fromFrame: 1 })),
      usage(
        /^--from-frame counts the frames of one connection; this capture replays 3 \(3, 4, 5\): pick one with --connection$/,
      ),
    );
  });

  it('runs the checks of the run: a bad --threshold, a zero duration, --target without credentials', async () => {
    const file = capture('catchup-40x500.hrcap');
    await assert.rejects(planned(file, '--threshold', 'peakRss<<1'), /threshold/i);
    await assert.rejects(planned(file, '--ack-timeout', '0s'), /--ack-timeout/);
    await assert.rejects(
      planned(file, '--target', 'http://127.0.0.1:9'),
      /^UsageError: --target needs credentials/,
    );
  });
});

describe('replay: options the capture does not have', () => {
  it('--tables / --exclude-tables naming a table it never carries, --connection without source frames: usage', async () => {
    const file = capture('catchup-40x500.hrcap');
    await assert.rejects(
      openReplaySource(file, replay({ tables: ['dog', 'cow'] })),
      usage(/^--tables cow: not in the capture \(its tables: dog\)$/),
    );
    await assert.rejects(
      openReplaySource(file, replay({ excludeTables: ['nope'] })),
      usage(/^--exclude-tables nope: not in the capture/),
    );
    await assert.rejects(
      openReplaySource(file, replay({ connection: 42 })),
      usage(/^--connection 42: .* has no transaction frames from the source on it \(it has: \d/),
    );
    const fine = await openReplaySource(file, replay({ tables: ['dog'] }));
    await fine.close();
  });
});
