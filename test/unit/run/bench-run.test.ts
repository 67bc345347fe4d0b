import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import {
  configValue,
  flattenConfiguration,
  needsProcessRestart,
  originalSettings,
} from '../../../src/harper/reconfigure.js';
import type { BenchRun } from '../../../src/report/bench-analysis.js';
import type { RunResult } from '../../../src/report/result.js';
import {
  appliedSettings,
  benchExitCode,
  describeRun,
  describeSettings,
  matrix,
  parseSet,
  runSamplesPath,
  schedule,
  thresholdBreaches,
} from '../../../src/run/bench-run.js';

describe('bench matrix', () => {
  it('parses KEY=v1,v2 and rejects what is not', () => {
    assert.deepEqual(parseSet('replication_recordConcurrency=2, 150'), [
      'REPLICATION_RECORDCONCURRENCY',
      ['2', '150'],
    ]);
    assert.throws(() => parseSet('NOEQUALS'), /not KEY=v1,v2/);
    assert.throws(() => parseSet('A=1,2,1'), /names 1 twice; use --repeat/);
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

describe('reconfiguring an owned target', () => {
  it("types values the way the node's YAML holds them", () => {
    assert.equal(configValue('2'), 2);
    assert.equal(configValue('-1.5'), -1.5);
    assert.equal(configValue('true'), true);
    assert.equal(configValue('false'), false);
    assert.equal(configValue('null'), null);
    assert.equal(configValue('127.0.0.1:9933'), '127.0.0.1:9933');
    assert.equal(configValue('2x'), '2x');
  });

  it("remembers the node's own values, null where it had none (its default then applies again)", () => {
    const config = { replication: { recordConcurrency: 20, blobConcurrency: null }, threads: { count: 2 } };
    assert.deepEqual(
      originalSettings(config, [
        'REPLICATION_RECORDCONCURRENCY',
        'THREADS_COUNT',
        'REPLICATION_RECEIVEEVENTHIGHWATERMARK',
      ]),
      { REPLICATION_RECORDCONCURRENCY: 20, THREADS_COUNT: 2, REPLICATION_RECEIVEEVENTHIGHWATERMARK: null },
    );
  });

  it('restarts worker threads for replication settings, the process for thread counts and ports', () => {
    assert.equal(
      needsProcessRestart(['REPLICATION_RECORDCONCURRENCY', 'REPLICATION_BLOBCONCURRENCY']),
      false,
    );
    assert.equal(needsProcessRestart(['REPLICATION_RECORDCONCURRENCY', 'THREADS_COUNT']), true);
    assert.equal(needsProcessRestart(['REPLICATION_PORT']), true);
    assert.equal(needsProcessRestart(['OPERATIONSAPI_NETWORK_PORT']), true);
  });
});

describe('per-run samples files', () => {
  it('put the run number before the extension, or at the end of a name without one', () => {
    assert.equal(runSamplesPath('bench.ndjson', 3), 'bench-3.ndjson');
    assert.equal(runSamplesPath('/tmp/out.v2/bench.ndjson', 1), '/tmp/out.v2/bench-1.ndjson');
    assert.equal(runSamplesPath('/tmp/out.v2/bench', 2), '/tmp/out.v2/bench-2');
    assert.equal(runSamplesPath('.ndjson', 4), '.ndjson-4');
  });
});

/** A bench run whose result has only what the verdicts read: its outcome and threshold verdicts. */
function benchRun(outcome: string, breached: string[] = [], kept: string[] = []): BenchRun {
  const thresholds = [
    ...breached.map((expression) => ({ expression, ok: false })),
    ...kept.map((expression) => ({ expression, ok: true })),
  ];
  return {
    combination: 0,
    repetition: 0,
    applied: {},
    result: { outcome, thresholds } as unknown as RunResult,
  };
}

describe("the bench's verdict", () => {
  it('names every breached threshold with the number of its run, and only those', () => {
    const runs = [
      benchRun('complete', [], ['peakRss<1GiB']),
      benchRun('complete', ['peakRss<1GiB', 'oomEvents==0']),
      benchRun('complete'),
      benchRun('complete', ['ackP99<500ms'], ['peakRss<1GiB']),
    ];
    assert.deepEqual(thresholdBreaches(runs), [
      'run 2: peakRss<1GiB',
      'run 2: oomEvents==0',
      'run 4: ackP99<500ms',
    ]);
    assert.deepEqual(thresholdBreaches([]), []);
  });

  it('exits 130 when interrupted, then with a node failure, then 1 for a failed run, then 99 for a breach', () => {
    const failure = new HarperReplayError('could not restore', ExitCode.UNREACHABLE);
    const failed = [benchRun('complete'), benchRun('failed')];
    const breaches = ['run 1: peakRss<1GiB'];
    assert.equal(benchExitCode({ interrupted: true, failure, runs: failed, breaches }), ExitCode.INTERRUPTED);
    assert.equal(
      benchExitCode({ interrupted: true, hangup: true, failure, runs: failed, breaches }),
      ExitCode.HANGUP,
    );
    assert.equal(
      benchExitCode({ interrupted: false, failure, runs: failed, breaches }),
      ExitCode.UNREACHABLE,
    );
    assert.equal(benchExitCode({ interrupted: false, runs: failed, breaches }), ExitCode.ERROR);
    assert.equal(
      benchExitCode({ interrupted: false, runs: [benchRun('complete')], breaches }),
      ExitCode.THRESHOLD_BREACHED,
    );
    assert.equal(
      benchExitCode({ interrupted: false, runs: [benchRun('complete')], breaches: [] }),
      ExitCode.OK,
    );
    assert.equal(benchExitCode({ interrupted: false, runs: [], breaches: [] }), ExitCode.OK);
  });

  it('describes settings as KEY=value, a value the node did not have by what stands for its default', () => {
    assert.equal(describeSettings({ A: '2', B: 'x' }), 'A=2 B=x');
    assert.equal(describeSettings({ A: 20, B: null }), 'A=20 B=null');
    assert.equal(describeSettings({ A: 20, B: null }, '(its default)'), 'A=20 B=(its default)');
    assert.equal(describeSettings({}), '');
  });

  it('logs a run as its outcome, peak RSS in MiB, pauses and records/s (– for what was not measured)', () => {
    const result = (peakRss: number | null, recordsPerSec: number | null) =>
      ({
        outcome: 'complete',
        memory: { peakRss },
        pauses: { count: 3, totalMs: 1500 },
        timing: { commitRecordsPerSec: recordsPerSec },
      }) as unknown as RunResult;
    assert.equal(
      describeRun(result(512 * 2 ** 20, 125_000)),
      'complete: peak RSS 512 MiB, 3 pauses (1.50 s), 125000 records/s',
    );
    assert.equal(describeRun(result(null, null)), 'complete: peak RSS –, 3 pauses (1.50 s), – records/s');
  });
});
