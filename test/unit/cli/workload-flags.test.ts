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
        '3',
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
      frames: 3,
      recordsPerFrame: 60_000,
      recordSize: 1024,
      blobSize: 0,
      blobsPerFrame: undefined,
      seed: 7,
    });
    assert.deepEqual(synth.target.embedded?.config, { THREADS_MAXHEAPMEMORY: '400' });
    assert.equal(synth.maxReconnects, 1);
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
      /^Error: unknown preset "nope"; choose one of: catchup-40x500, oversized-10k, blobs-50k, oom-crashloop, blob-save-failures, resubscribe-herd, blob-backlog$/,
    );
    await assert.rejects(parse('--preset', 'nope').then(synthOptions), /unknown preset "nope"/);
  });
});

describe('shapes that cannot work', () => {
  it('--blobs-per-frame without blobs, and frames beyond 2 GiB, are refused naming the flags', async () => {
    await assert.rejects(parse('--blobs-per-frame', '2').then(synthOptions), /--blobs-per-frame needs blobs/);
    assert.equal(
      (await parse('--preset', 'blobs-50k', '--blobs-per-frame', '2').then(synthOptions)).workload
        .blobsPerFrame,
      2,
    );
    await assert.rejects(
      parse('--record-size', '5GB', '--records-per-frame', '1').then(synthOptions),
      /^Error: --record-size 5\.00 GiB × --records-per-frame 1 makes frames of 5\.00 GiB: the most a frame can hold is 2 GiB/,
    );
    await assert.rejects(
      parse('--record-size', '1MiB', '--records-per-frame', '4096').then(synthOptions),
      /makes frames of 4\.00 GiB/,
    );
    assert.ok(
      await parse('--record-size', '1MiB', '--records-per-frame', '2048').then(synthOptions),
      '2 GiB is the limit',
    );
  });
});

describe('presets that carry faults, thresholds and databases', () => {
  it('blob-save-failures: its target fault, thresholds and liveness; --no-preset-thresholds drops only the thresholds', async () => {
    const options = synthOptions(
      await parse('--preset', 'blob-save-failures', '--threshold', 'peakRss<2GiB'),
    );
    assert.deepEqual(options.target.embedded?.faults, [{ kind: 'blob-write-fail', every: 7 }]);
    assert.deepEqual(options.thresholds, ['uncaughtExceptions==0', 'livenessMs<30s', 'peakRss<2GiB']);
    assert.equal(options.liveness, true);
    const quiet = synthOptions(await parse('--preset', 'blob-save-failures', '--no-preset-thresholds'));
    assert.deepEqual(quiet.thresholds, []);
    assert.deepEqual(quiet.target.embedded?.faults, [{ kind: 'blob-write-fail', every: 7 }]);
  });

  it('blob-save-failures needs the embedded target', async () => {
    await assert.rejects(
      parse('--preset', 'blob-save-failures', '--target', 'http://127.0.0.1:1', '--password', 'x').then(
        synthOptions,
      ),
      /installs faults into the node under test: it runs only on the embedded target/,
    );
  });

  it('blob-backlog: 2,000 blobs of 50 KB into the slow blob disk; another --target-fault adds to it', async () => {
    const options = synthOptions(await parse('--preset', 'blob-backlog'));
    assert.deepEqual(options.target.embedded?.faults, [{ kind: 'blob-write-slow', delayMs: 3 }]);
    assert.equal(options.workload.frames * options.workload.recordsPerFrame, 2000);
    assert.equal(options.workload.blobSize, 50 * 1024);
    const both = synthOptions(await parse('--preset', 'blob-backlog', '--target-fault', 'blob-write-fail:9'));
    assert.deepEqual(both.target.embedded?.faults, [
      { kind: 'blob-write-slow', delayMs: 3 },
      { kind: 'blob-write-fail', every: 9 },
    ]);
  });

  it('resubscribe-herd loads 8 databases unless told otherwise', async () => {
    assert.equal(synthOptions(await parse('--preset', 'resubscribe-herd')).databases?.length, 8);
    assert.equal(
      synthOptions(await parse('--preset', 'resubscribe-herd', '--databases', '3')).databases?.length,
      3,
    );
    assert.equal(
      synthOptions(await parse('--preset', 'resubscribe-herd', '--database', 'a,b')).databases?.length,
      2,
    );
  });

  it('resubscribe-herd ends once the first death is back (--until-resubscribed 1) unless told otherwise', async () => {
    assert.equal(synthOptions(await parse('--preset', 'resubscribe-herd')).untilResubscribed, 1);
    const later = synthOptions(await parse('--preset', 'resubscribe-herd', '--until-resubscribed', '2'));
    assert.equal(later.untilResubscribed, 2);
    const never = synthOptions(await parse('--preset', 'resubscribe-herd', '--until-resubscribed', '0'));
    assert.equal(never.untilResubscribed, undefined, '0 turns the rule off');
    assert.equal(synthOptions(await parse('--preset', 'oversized-10k')).untilResubscribed, undefined);
  });
});

describe('synth --mix and --keys', () => {
  it('a mix with updates or deletes and its keys (uniform by default) go into the workload', async () => {
    const synth = synthOptions(await parse('--mix', 'update=25,insert=75', '--keys', 'hot:10%'));
    assert.deepEqual(synth.workload.mix, { insert: 0.75, update: 0.25, delete: 0 });
    assert.deepEqual(synth.workload.keys, { kind: 'hot', hotFraction: 0.1, opFraction: 0.9 });
    assert.deepEqual(synthOptions(await parse('--mix', 'insert=1,delete=1')).workload.keys, {
      kind: 'uniform',
    });
    const inserts = synthOptions(await parse('--mix', 'insert=5')).workload;
    assert.equal('mix' in inserts || 'keys' in inserts, false, 'inserts only: today’s workload');
  });

  it('--no-dependency-wait goes into the options with a mix (waiting is the default), and is refused without one', async () => {
    const off = synthOptions(await parse('--mix', 'insert=70,update=30', '--no-dependency-wait'));
    assert.equal(off.dependencyWait, false);
    assert.equal('dependencyWait' in synthOptions(await parse('--mix', 'insert=70,update=30')), false);
    assert.equal(
      'dependencyWait' in synthOptions(await parse('--mix', 'update=1', '--dependency-wait')),
      false,
    );
    await assert.rejects(
      async () => synthOptions(await parse('--no-dependency-wait')),
      /^Error: --no-dependency-wait goes with a --mix with update or delete/,
    );
    await assert.rejects(
      async () => synthOptions(await parse('--mix', 'insert=1', '--no-dependency-wait')),
      /--no-dependency-wait goes with a --mix/,
    );
  });

  it('refuses --keys without updates or deletes, and --blob-faults with a mix', async () => {
    await assert.rejects(
      async () => synthOptions(await parse('--keys', 'zipf:1.1')),
      /^Error: --keys zipf:1.1 chooses the ids of updates and deletes: give a --mix with update or delete$/,
    );
    await assert.rejects(
      async () => synthOptions(await parse('--mix', 'insert=1', '--keys', 'uniform')),
      /give a --mix with update or delete/,
    );
    await assert.rejects(
      async () =>
        synthOptions(await parse('--mix', 'update=1', '--blob-size', '1KB', '--blob-faults', 'error:3')),
      /--blob-faults counts blobs of inserts only: it cannot be combined with --mix/,
    );
    await assert.rejects(
      async () => synthOptions(await parse('--mix', 'insert=1,insert=2')),
      /insert is given twice/,
    );
  });
});
