/** bench's flags: the matrix, the workload of every run, and what every run shares. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchFlags, benchOptions } from '../../../src/cli/bench-options.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const flags = { ...loadFlags, ...benchFlags };
const parse = (...argv: string[]) => parseFlags(flags, argv);

describe('bench options', () => {
  it('--set is required', async () => {
    await refuses(flags, [], /Missing required flag set/);
  });

  it('the matrix, three repetitions, the default preset verified, one seed for every run', async () => {
    const bench = benchOptions(
      await parse(
        '--set',
        'replication_recordConcurrency=2,150',
        '--set',
        'THREADS_COUNT=1,2',
        '--frames',
        '5',
      ),
    );
    assert.deepEqual(bench.sets, [
      ['REPLICATION_RECORDCONCURRENCY', ['2', '150']],
      ['THREADS_COUNT', ['1', '2']],
    ]);
    assert.equal(bench.repeat, 3);
    assert.deepEqual(
      [bench.database, bench.table, bench.capture, bench.samples, bench.html],
      ['data', 'harper_replay_synth', undefined, undefined, undefined],
    );
    assert.deepEqual(bench.workload, {
      preset: 'oversized-10k',
      frames: 5,
      recordsPerFrame: 10_000,
      recordSize: 256,
      blobSize: 0,
      blobsPerFrame: undefined,
      seed: 1,
    });
    assert.equal(bench.base.verify, true);
    assert.equal(bench.base.database, 'data');
  });

  it("a preset's node settings and reconnects; a capture instead of synth is not verified by count", async () => {
    const bench = benchOptions(
      await parse(
        '--set',
        'A=1',
        '--preset',
        'oom-crashloop',
        '--capture',
        'c.hrcap',
        '--samples',
        'b.ndjson',
        '--html',
        'b.html',
        '--repeat',
        '1',
      ),
    );
    assert.deepEqual(bench.nodeConfig, { THREADS_MAXHEAPMEMORY: '300' });
    assert.equal(bench.base.maxReconnects, 2);
    assert.equal(bench.base.verify, false);
    assert.deepEqual(
      [bench.capture, bench.samples, bench.html, bench.repeat],
      ['c.hrcap', 'b.ndjson', 'b.html', 1],
    );
  });

  it('an unknown preset, a bad --set or a bad size is an error naming it', async () => {
    await assert.rejects(
      parse('--set', 'A=1', '--preset', 'nope').then(benchOptions),
      /unknown preset "nope"; choose one of: catchup-40x500/,
    );
    await assert.rejects(parse('--set', 'NOEQUALS').then(benchOptions), /--set "NOEQUALS" is not KEY=v1,v2/);
    await assert.rejects(
      parse('--set', 'A=1', '--record-size', 'big').then(benchOptions),
      /"big" is not a size/,
    );
  });
});
