import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appliedSettings,
  flattenConfiguration,
  matrix,
  parseSet,
  schedule,
} from '../../../src/run/bench-run.js';

describe('bench matrix', () => {
  it('parses KEY=v1,v2 and rejects what is not', () => {
    assert.deepEqual(parseSet('replication_recordConcurrency=2, 150'), [
      'REPLICATION_RECORDCONCURRENCY',
      ['2', '150'],
    ]);
    assert.throws(() => parseSet('NOEQUALS'), /not KEY=v1,v2/);
    assert.throws(() => parseSet('A='), /no values/);
    assert.throws(() => parseSet('1A=2'), /not a Harper config key/);
  });

  it('is the cartesian product of the --set lists', () => {
    assert.deepEqual(
      matrix([
        ['A', ['1', '2']],
        ['B', ['x', 'y', 'z']],
      ]).map((c) => c.set),
      [
        { A: '1', B: 'x' },
        { A: '1', B: 'y' },
        { A: '1', B: 'z' },
        { A: '2', B: 'x' },
        { A: '2', B: 'y' },
        { A: '2', B: 'z' },
      ],
    );
  });

  it('interleaves repetitions and rotates the order so no combination always runs first', () => {
    const order = schedule(3, 3);
    assert.equal(order.length, 9);
    assert.deepEqual(
      order.map((o) => o.combination),
      [0, 1, 2, 1, 2, 0, 2, 0, 1],
    );
    assert.deepEqual(
      order.map((o) => o.repetition),
      [0, 0, 0, 1, 1, 1, 2, 2, 2],
    );
  });

  it('reads a setting back from a Harper configuration: known keys applied, unknown ones not', () => {
    const config = { replication: { recordConcurrency: 2, hostname: 'n' }, threads: { count: 1 } };
    assert.deepEqual(flattenConfiguration(config), {
      REPLICATION_RECORDCONCURRENCY: 2,
      REPLICATION_HOSTNAME: 'n',
      THREADS_COUNT: 1,
    });
    assert.deepEqual(
      appliedSettings(config, {
        REPLICATION_RECORDCONCURRENCY: '2',
        THREADS_COUNT: '2',
        REPLICATION_RECEIVEEVENTHIGHWATERMARK: '100',
      }),
      {
        REPLICATION_RECORDCONCURRENCY: true,
        THREADS_COUNT: false,
        REPLICATION_RECEIVEEVENTHIGHWATERMARK: false,
      },
    );
  });
});
