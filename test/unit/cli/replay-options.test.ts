/** replay's flags: the pace, the rewrite and the part of the capture they ask for. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadFlags } from '../../../src/cli/load-command.js';
import { parseSpeed, replayFlags, replayOptions, replayRunOptions } from '../../../src/cli/replay-options.js';
import { ReplayCapture } from '../../../src/workload/replay-source.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const flags = { ...loadFlags, ...replayFlags };
const parse = (...argv: string[]) => parseFlags(flags, argv);

describe('replay --speed', () => {
  it('is a multiple of the captured pace, or max', () => {
    assert.equal(parseSpeed('1x'), 1);
    assert.equal(parseSpeed('0.5x'), 0.5);
    assert.equal(parseSpeed(' 4X '), 4);
    assert.equal(parseSpeed('2'), 2);
    assert.equal(parseSpeed('max'), Number.POSITIVE_INFINITY);
    for (const bad of ['fast', '0', '-1x', 'x', 'Infinity'])
      assert.throws(() => parseSpeed(bad), new RegExp(`--speed "${bad}" is not 0.5x, 1x, 4x … or max`));
  });
});

describe('replay --duration and --pace-by', () => {
  it('--duration loops at the captured pace, or for the frames --rate sends in that time', async () => {
    assert.equal(replayOptions(await parse('--duration', '2m')).durationMs, 120_000);
    const rated = replayOptions(await parse('--duration', '10s', '--rate', '2.5'));
    assert.deepEqual([rated.durationMs, rated.frameLimit], [10_000, 25]);
    assert.equal(replayOptions(await parse('--pace-by', 'txn-time')).paceBy, 'txn-time');
  });

  it('refuses what cannot work, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--duration', '0s'], /--duration 0s: must be more than 0$/],
      [['--duration', 'soon'], /--duration "soon" is not a duration/],
      [
        ['--duration', '10s', '--loop', '2'],
        /--duration 10s loops the capture as often as it takes: drop --loop$/,
      ],
      [['--duration', '10s', '--speed', 'max'], /--duration 10s needs a pace/],
      [
        ['--pace-by', 'txn-time', '--rate', '5'],
        /--pace-by txn-time follows the capture's clock and --rate 5 spaces/,
      ],
    ];
    for (const [argv, pattern] of cases) {
      const parsed = await parse(...argv);
      assert.throws(() => replayOptions(parsed), pattern, argv.join(' '));
    }
    await refuses(flags, ['--pace-by', 'wallclock'], /--pace-by/);
  });
});

describe('replay options', () => {
  it('by default: the captured pace, once, from the first frame, new versions, the captured origins', async () => {
    assert.deepEqual(replayOptions(await parse()), {
      connection: undefined,
      speed: 1,
      speedLabel: '1x',
      paceBy: 'arrival',
      maxGapMs: undefined,
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'capture',
      tables: undefined,
      excludeTables: undefined,
    });
  });

  it('--no-retime (and its deprecated old name --keep-versions) send the captured versions', async () => {
    assert.equal(replayOptions(await parse('--keep-versions')).retime, false);
    assert.equal(replayOptions(await parse('--no-retime')).retime, false);
    assert.equal(replayOptions(await parse('--keep-versions', '--no-retime')).retime, false);
    assert.equal(replayOptions(await parse('--retime')).retime, true);
    assert.deepEqual(replayFlags['keep-versions'].deprecated, { to: '--no-retime' });
  });

  it('--keep-versions beside --retime is a contradiction, refused at parse time', async () => {
    await refuses(
      replayFlags,
      ['--keep-versions', '--retime'],
      /--retime=true cannot also be provided when using --keep-versions/,
    );
  });

  it('pace, gaps, loops, the tables and the connection as given', async () => {
    const replay = replayOptions(
      await parse(
        '--speed',
        '4x',
        '--max-gap',
        '1s',
        '--loop',
        '3',
        '--from-frame',
        '7',
        '--tables',
        'dog, cat',
        '--connection',
        '2',
        '--origin',
        'self',
      ),
    );
    assert.deepEqual(
      [
        replay.speed,
        replay.speedLabel,
        replay.maxGapMs,
        replay.loops,
        replay.fromFrame,
        replay.tables,
        replay.connection,
        replay.origin,
      ],
      [4, '4x', 1000, 3, 7, ['dog', 'cat'], 2, 'self'],
    );
    assert.deepEqual(replayOptions(await parse('--exclude-tables', 'a')).excludeTables, ['a']);
    assert.deepEqual(replayOptions(await parse('--blob-faults', 'error:7,orphan:3')).blobFaults, [
      { kind: 'error', every: 7 },
      { kind: 'orphan', every: 3 },
    ]);
    await assert.rejects(
      async () => replayOptions(await parse('--blob-faults', 'lost:7')),
      /unknown kind "lost"/,
    );
  });

  it('--rate replaces the captured clock (flat out, spaced by the rate); with a --speed other than max it is refused', async () => {
    const rated = replayOptions(await parse('--rate', '25'));
    assert.deepEqual([rated.speed, rated.speedLabel], [Number.POSITIVE_INFINITY, '25 frames/s']);
    const withMax = replayOptions(await parse('--rate', '25', '--speed', 'max'));
    assert.deepEqual([withMax.speed, withMax.speedLabel], [Number.POSITIVE_INFINITY, '25 frames/s']);
    const both = await parse('--rate', '25', '--speed', '4x');
    assert.throws(
      () => replayOptions(both),
      /^Error: --rate 25 spaces frames evenly and --speed 4x follows the capture's clock: give one of them$/,
    );
    const plain = replayOptions(await parse('--speed', '0.5x'));
    assert.deepEqual([plain.speed, plain.speedLabel], [0.5, '0.5x']);
  });

  it('a bad --speed or --max-gap is refused; --tables and --exclude-tables exclude each other', async () => {
    const soon = await parse('--speed', 'soon');
    assert.throws(() => replayOptions(soon), /--speed "soon"/);
    await assert.rejects(parse('--max-gap', 'long').then(replayOptions), /"long" is not a duration/);
    await refuses(
      flags,
      ['--tables', 'a', '--exclude-tables', 'b'],
      /cannot also be provided when using --(exclude-)?tables/,
    );
  });
});

describe('replay run options for a capture of several databases', () => {
  const file = fileURLToPath(new URL('../../../../captures/proxy-three-databases.hrcap', import.meta.url));

  it('--database is refused (which connection would it rename?); without it the first connection names the run', async () => {
    const flagValues = await parse();
    const replay = replayOptions(flagValues);
    const capture = await ReplayCapture.open(file, replay);
    try {
      assert.throws(
        () => replayRunOptions({ ...flagValues, database: 'x' }, file, capture, replay),
        /^Error: --database renames one connection's database; this capture replays 3 connections \(3 → zoo, 4 → shop, 5 → farm\): pick one with --connection$/,
      );
      assert.equal(replayRunOptions(flagValues, file, capture, replay).database, 'zoo');
    } finally {
      await capture.close();
    }
  });
});

describe('replay --shard', () => {
  const file = fileURLToPath(new URL('../../../../captures/catchup-40x500.hrcap', import.meta.url));

  it('i/n with n > 1 is accepted with its run id and start (the capture striped over n processes)', async () => {
    const target = ['--target', 'http://127.0.0.1:9925', '--password', 'p'];
    const startAt = Date.now() + 60_000;
    const sharded = await parse(...target, '--shard', '1/3', '--run-id', 'r', '--start-at', String(startAt));
    const replay = replayOptions(sharded);
    const capture = await ReplayCapture.open(file, replay);
    try {
      assert.deepEqual(replayRunOptions(sharded, file, capture, replay).shard, {
        spec: { index: 1, count: 3 },
        runId: 'r',
        startAt,
      });
      const one = await parse(...target, '--shard', '0/1', '--run-id', 'r');
      assert.deepEqual(replayRunOptions(one, file, capture, replay).shard, {
        spec: { index: 0, count: 1 },
        runId: 'r',
      });
    } finally {
      await capture.close();
    }
  });
});
