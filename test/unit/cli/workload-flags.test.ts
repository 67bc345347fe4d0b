/** synth's flags: the preset and its shape flags, the databases, what the run is verified by. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFlags } from '../../../src/cli/load-command.js';
import { databaseList, presetNamed, synthFlags, synthOptions } from '../../../src/cli/workload-flags.js';
import { parseFlags, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const parse = (...argv: string[]) => parseFlags({ ...loadFlags, ...synthFlags }, argv);

describe('synth options', () => {
  it('the default preset, shape flags over it, its node settings under --node-config', async () => {
    const synth = synthOptions(
      await parse(
        '--preset',
        'oom-crashloop',
        '--frames',
        '2',
        '--record-size',
        '1KB',
        '--seed',
        '7',
        '--node-config',
        'THREADS_MAXHEAPMEMORY=400',
      ),
    );
    assert.deepEqual(synth.workload, {
      preset: 'oom-crashloop',
      frames: 2,
      recordsPerFrame: 100_000,
      recordSize: 1024,
      blobSize: 0,
      blobsPerFrame: undefined,
      seed: 7,
    });
    assert.deepEqual(synth.target.embedded?.config, { THREADS_MAXHEAPMEMORY: '400' });
    assert.equal(synth.maxReconnects, 2);
    assert.equal(synth.table, 'harper_replay_synth');
    assert.equal(synth.verify, true);
    assert.equal((await parse('--no-verify').then(synthOptions)).verify, false);
  });

  it('one database, a comma list, or --databases N of them', async () => {
    assert.deepEqual(
      [(await parse().then(synthOptions)).database, (await parse().then(synthOptions)).databases],
      ['data', undefined],
    );
    const list = await parse('--database', 'a, b').then(synthOptions);
    assert.deepEqual([list.database, list.databases], ['a', ['a', 'b']]);
    const counted = await parse('--database', 'load', '--databases', '3').then(synthOptions);
    assert.deepEqual(counted.databases, ['load_1', 'load_2', 'load_3']);
    assert.throws(() => databaseList('a,b', 2), /give one --database/);
    assert.throws(() => databaseList('1bad', undefined), /"1bad" is not a database name/);
  });

  it('an unknown preset names the ones there are', async () => {
    assert.equal(presetNamed('blobs-50k').name, 'blobs-50k');
    assert.throws(
      () => presetNamed('nope'),
      /^Error: unknown preset "nope"; choose one of: catchup-40x500, oversized-10k, blobs-50k, oom-crashloop$/,
    );
    await assert.rejects(parse('--preset', 'nope').then(synthOptions), /unknown preset "nope"/);
  });
});
