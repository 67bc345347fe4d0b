import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFlags } from '../../../src/cli/load-command.js';
import { replayFlags } from '../../../src/cli/replay-options.js';
import { RUN_ID_ENV, SHARD_ENV, START_AT_ENV, shardOptions } from '../../../src/cli/shard-flags.js';
import { synthFlags, synthOptions } from '../../../src/cli/workload-flags.js';
import { PRESETS } from '../../../src/workload/presets.js';
import { parseFlags, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const synth = (...argv: string[]) => parseFlags({ ...loadFlags, ...synthFlags }, argv);
const target = ['--target', 'http://127.0.0.1:9925', '--password', 'p'];

describe('shardOptions', () => {
  const now = Date.UTC(2026, 11, 4, 20, 0, 0);

  it('no --shard: an unsharded run', () => {
    assert.equal(shardOptions({}), undefined);
  });

  it('--shard i/n with --run-id (and --start-at) against a --target', () => {
    assert.deepEqual(shardOptions({ shard: '2/3', 'run-id': 'r1', target: 'x', 'start-at': '+5s' }, now), {
      spec: { index: 2, count: 3 },
      runId: 'r1',
      startAt: now + 5000,
    });
    assert.deepEqual(shardOptions({ shard: '0/1', 'run-id': 'r1' }, now), {
      spec: { index: 0, count: 1 },
      runId: 'r1',
    });
  });

  it('refuses a bad or incomplete sharding with one line naming the flag', () => {
    const cases: Array<[Parameters<typeof shardOptions>[0], RegExp]> = [
      [{ shard: '3/3', 'run-id': 'r', target: 'x' }, /^--shard "3\/3": the shard index is 0-based/],
      [{ shard: 'half', 'run-id': 'r', target: 'x' }, /^--shard "half" is not i\/n/],
      [{ shard: '0/2', target: 'x' }, /^--shard 0\/2 needs --run-id \(or HARPER_REPLAY_RUN_ID\)/],
      [{ shard: '0/2', 'run-id': 'a_b', target: 'x' }, /^--run-id "a_b" is not a run id/],
      [{ shard: '0/2', 'run-id': 'r' }, /^--shard 0\/2: the shards load one node together: give --target/],
      [
        { shard: '0/2', 'run-id': 'r', target: 'x', 'start-at': '2020-01-01T00:00:00Z' },
        /^--start-at .*already past/,
      ],
      [{ 'run-id': 'r' }, /^--run-id belongs to a sharded run: give --shard i\/n too/],
      [{ 'start-at': '+1s' }, /^--start-at belongs to a sharded run/],
    ];
    for (const [flags, pattern] of cases) {
      assert.throws(
        () => shardOptions(flags, now),
        (error: Error) => {
          assert.match(error.message, pattern);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    }
  });

  it('reads the environment a pod spec sets (HARPER_REPLAY_SHARD=$(JOB_COMPLETION_INDEX)/N …)', async () => {
    process.env[SHARD_ENV] = '1/4';
    process.env[RUN_ID_ENV] = 'k8s-run';
    process.env[START_AT_ENV] = '+30s';
    try {
      const flags = await synth(...target);
      const options = synthOptions(flags);
      assert.deepEqual(options.shard?.spec, { index: 1, count: 4 });
      assert.equal(options.shard?.runId, 'k8s-run');
      assert.ok(options.shard?.startAt !== undefined && options.shard.startAt > Date.now());
    } finally {
      delete process.env[SHARD_ENV];
      delete process.env[RUN_ID_ENV];
      delete process.env[START_AT_ENV];
    }
  });
});

describe('synth and replay with --shard', () => {
  it('synth carries the shard into its run options', async () => {
    const options = synthOptions(await synth(...target, '--shard', '0/2', '--run-id', 'r1'));
    assert.deepEqual(options.shard, { spec: { index: 0, count: 2 }, runId: 'r1' });
    assert.equal(synthOptions(await synth(...target)).shard, undefined);
  });

  it('a preset that reproduces a single-peer incident refuses --shard: N peers are not one peer', async () => {
    const single = Object.values(PRESETS).filter((p) => p.singlePeer);
    assert.ok(
      single.some((p) => p.name === 'oom-crashloop') && single.some((p) => p.name === 'resubscribe-herd'),
    );
    for (const preset of single) {
      // Presets with faults need the embedded node: a 1-shard run on it reaches the preset's own check.
      const argv = preset.targetFaults?.length
        ? ['--shard', '0/1', '--run-id', 'r']
        : [...target, '--shard', '0/2', '--run-id', 'r'];
      const flags = await synth('--preset', preset.name, ...argv);
      assert.throws(
        () => synthOptions(flags),
        new RegExp(
          `--preset ${preset.name} reproduces .*: N shards are N peers, not one peer, so it refuses --shard$`,
        ),
        preset.name,
      );
    }
  });

  it('synth --shard takes --template shapes; --like (per-process scratch tables) is refused in one line', async () => {
    const shard = ['--shard', '1/2', '--run-id', 'r1'];
    const templated = synthOptions(await synth(...target, ...shard, '--template', 'templates/products.yaml'));
    assert.deepEqual(templated.shard, { spec: { index: 1, count: 2 }, runId: 'r1' });
    assert.deepEqual(templated.shapes?.sources, [{ kind: 'template', path: 'templates/products.yaml' }]);
    for (const like of ['captures/catchup-40x500.hrcap', 'data.products']) {
      const flags = await synth(...target, ...shard, '--like', like);
      assert.throws(
        () => synthOptions(flags),
        /^Error: --shard takes --template shapes only: --like makes per-process/,
      );
    }
  });

  it('replay has the same three flags', () => {
    for (const flag of ['shard', 'run-id', 'start-at']) assert.ok(flag in replayFlags, flag);
  });
});
