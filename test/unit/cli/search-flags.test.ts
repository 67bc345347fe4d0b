/** bench --search's flags: the range, --until, the resolution and repeats, and what they refuse. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchFlags, benchOptions } from '../../../src/cli/bench-options.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { DEFAULT_RECORDS_PLAN } from '../../helpers/search-fixtures.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const flags = { ...loadFlags, ...benchFlags };
const parse = (...argv: string[]) => parseFlags(flags, argv);
const options = async (...argv: string[]) => benchOptions(await parse(...argv));

describe('bench --search flags', () => {
  it('a search per --set combination: range, plan and --until', async () => {
    const bench = await options(
      '--search',
      'records-per-frame=10000..300000',
      '--until',
      ' oomEvents>0 || ackP99>10s ',
      '--set',
      'THREADS_MAXHEAPMEMORY=300,600',
      '--frames',
      '1',
    );
    assert.deepEqual(bench.search?.range, { key: 'records-per-frame', low: 10_000, high: 300_000 });
    assert.equal(bench.search?.until, 'oomEvents>0 || ackP99>10s');
    assert.deepEqual(bench.search?.plan, { ...DEFAULT_RECORDS_PLAN });
    assert.deepEqual(bench.sets, [['THREADS_MAXHEAPMEMORY', ['300', '600']]]);
    assert.equal(bench.workload.frames, 1);
    // A probe ends at its first worker death once the stream is back, unless told otherwise.
    assert.equal(bench.base.untilResubscribed, 1);
    const told = await options(
      '--search',
      'rate=1..2',
      '--until',
      'oomEvents>0',
      '--until-resubscribed',
      '2',
    );
    assert.equal(told.base.untilResubscribed, 2);
    assert.equal((await options('--set', 'A=1')).base.untilResubscribed, undefined, 'not for a comparison');
  });

  it('without --set: one search on the node defaults; --resolution and --search-repeat; --rate kept for the probes', async () => {
    const bench = await options(
      '--search',
      'blob-size=10KB..1MB',
      '--until',
      'blobErrors>0',
      '--resolution',
      '20KB',
      '--search-repeat',
      '3',
      '--rate',
      '2000rps',
    );
    assert.deepEqual(bench.sets, []);
    assert.equal(bench.search?.plan.resolution, 20 * 1024);
    assert.equal(bench.search?.plan.repeat, 3);
    assert.deepEqual(bench.search?.pace, { perSecond: 2000, unit: 'rps' });
    const rate = await options('--search', 'rate=1..4', '--until', 'ackP99>1s', '--resolution', '10%');
    assert.equal(rate.search?.plan.integer, false);
    assert.ok(Math.abs(rate.search!.plan.resolution - 0.3) < 1e-9);
  });

  it('--search and --until go together', async () => {
    await refuses(flags, ['--search', 'rate=1..2'], /--until/);
    await refuses(flags, ['--set', 'A=1', '--until', 'oomEvents>0'], /--search/);
    await refuses(flags, ['--set', 'A=1', '--resolution', '5%'], /--search/);
  });

  it('refuses what a search cannot use, naming the flag', async () => {
    const base = ['--search', 'records-per-frame=10000..300000', '--until', 'oomEvents>0'];
    await assert.rejects(
      options(...base, '--capture', 'x.hrcap'),
      /--search runs synthetic probes .* --capture/,
    );
    await assert.rejects(options(...base, '--samples', 'x.ndjson'), /does not take --samples/);
    await assert.rejects(options(...base, '--junit', 'x.xml'), /does not take --junit/);
    await assert.rejects(options(...base, '--records-per-frame', '5'), /drop --records-per-frame/);
    await assert.rejects(
      options('--search', 'rate=1..2', '--until', 'oomEvents>0', '--rate', '5'),
      /drop --rate/,
    );
    await assert.rejects(
      options('--search', 'frames=1..9', '--until', 'oomEvents>0'),
      /^Error: --search "frames" cannot be searched/,
    );
    await assert.rejects(
      options('--search', 'records-per-frame=1..9', '--until', 'oomEvent>0'),
      /--until .*unknown metric "oomEvent"/,
    );
    await assert.rejects(
      options(...base, '--resolution', 'lots'),
      /--resolution "lots" is not a whole number/,
    );
  });
});
