/** Before a replay: the capture opened (its errors in one line each), and --dry-run. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { dryRun, formatDryRun, openReplaySource } from '../../../src/run/replay-dry-run.js';

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

describe('replay --dry-run', () => {
  it('what would be sent, per loop times loops, and the line that says so', async () => {
    const file = capture('blobs-12x50k.hrcap');
    const warnings: string[] = [];
    const once = await dryRun(file, await openReplaySource(file, replay()), 1, 'peer', (w) =>
      warnings.push(w),
    );
    assert.deepEqual(
      { ...once, originalAckLatencyMs: undefined },
      {
        dryRun: true,
        capture: file,
        connection: 1,
        frames: 3,
        records: 12,
        bytes: once.bytes,
        largestFrame: 698,
        loops: 1,
        scheduledDurationMs: once.scheduledDurationMs,
        tables: ['photos'],
        truncated: false,
        originalAckLatencyMs: undefined,
        connections: [
          {
            connection: 1,
            database: 'media',
            frames: 3,
            records: 12,
            bytes: once.bytes,
            largestFrame: 698,
            tables: ['photos'],
          },
        ],
      },
    );
    assert.deepEqual(warnings, [], 'a 698 B frame is no problem in peer mode');
    assert.equal(
      formatDryRun(once, '1x'),
      `${file}: would send 3 frames, 12 records, 2.03 KiB (largest frame 698 B; connection 1, tables photos) — expected duration 4.00 ms at 1x`,
    );
    const twice = await dryRun(file, await openReplaySource(file, replay({ loops: 2 })), 2, 'push', () => {});
    assert.deepEqual([twice.frames, twice.records, twice.bytes], [6, 24, once.bytes * 2]);
  });

  it('flat out has no expected duration', async () => {
    const file = capture('catchup-40x500.hrcap');
    const speed = Number.POSITIVE_INFINITY;
    const result = await dryRun(file, await openReplaySource(file, replay({ speed })), 1, 'peer', () => {});
    assert.equal(result.scheduledDurationMs, null);
    assert.match(
      formatDryRun(result, 'max'),
      /: would send 42 frames, 20,003 records, .* — expected duration as fast as the target reads at max$/,
    );
  });

  it('a capture of three databases: every connection at once, one line each; --connection narrows it', async () => {
    const file = capture('proxy-three-databases.hrcap');
    const all = await dryRun(file, await openReplaySource(file, replay()), 1, 'peer', () => {});
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
    const lines = formatDryRun(all, '1x').split('\n');
    assert.match(lines[0]!, /would send 17 frames, 25 records, .*3 connections at once/);
    assert.deepEqual(
      lines.slice(1).map((line) => /^ {2}connection \d+ → (\w+): (\d+) frames/.exec(line)?.slice(1)),
      [
        ['zoo', '6'],
        ['shop', '5'],
        ['farm', '6'],
      ],
    );
    const shop = all.connections[1]!.connection;
    const one = await dryRun(
      file,
      await openReplaySource(file, replay({ connection: shop })),
      1,
      'peer',
      () => {},
    );
    assert.deepEqual([one.connection, one.frames, one.tables], [shop, 5, ['item']]);
    assert.equal(formatDryRun(one, '1x').split('\n').length, 1);
    await assert.rejects(
      openReplaySource(file, replay({ fromFrame: 1 })),
      usage(
        /^--from-frame counts the frames of one connection; this capture replays 3 \(3, 4, 5\): pick one with --connection$/,
      ),
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
