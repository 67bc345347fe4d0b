import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/common/errors.js';
import type { ReplayMeta, RunEvent } from '../../../src/events/schema.js';
import { ResultBuilder } from '../../../src/report/result.js';
import { assertNear, completeRun, ev, fold, STREAM, T0, TARGET } from './support.js';

/** The tool's send queue drains at 1100 ms; after that nothing moves (samples every 100 ms up to `lastMs`). */
const stallFrom1100 = (lastMs: number): RunEvent[] => {
  const events = [ev.tcp(1000, 1, { rx: 0, tx: 9000 }), ev.tcp(1100, 1, { rx: 5000, tx: 1000 })];
  for (let ms = 1200; ms <= lastMs; ms += 100) events.push(ev.tcp(ms, 1, { rx: 5000, tx: 1000 }));
  return events;
};

describe('ResultBuilder: a complete run', () => {
  const result = fold(completeRun());

  it('takes outcome, exit code and cleanup from run-end; no error', () => {
    assert.equal(result.command, 'synth');
    assert.equal(result.outcome, 'complete');
    assert.equal(result.exitCode, ExitCode.OK);
    assert.ok(!('error' in result), 'no error key on a clean run');
    assert.deepEqual(result.cleanup, { removedFromTarget: true, targetStopped: false });
  });

  it('describes the workload and the target from run-meta and run-start', () => {
    assert.deepEqual(result.workload, {
      frames: 4,
      recordsPerFrame: 10,
      recordSize: 100,
      blobSize: 0,
      seed: 7,
      totalRecords: 40,
      toolNodeName: 'harper-replay-test',
    });
    assert.deepEqual(result.target, {
      ...TARGET,
      via: 'peer',
      database: 'data',
      databases: ['data'],
      table: 'synthetic',
    });
  });

  it('sums what was sent and committed', () => {
    assert.deepEqual(result.sent, {
      frames: 4,
      records: 40,
      bytes: 1_000_000,
      blobs: 0,
      blobBytes: 0,
      resentFrames: 0,
    });
    assert.equal(result.committed.frames, 4);
    assert.equal(result.committed.records, 40);
    assert.equal(result.committed.allFrames, true);
  });

  it('acks and ack latency: 3 acks for 4 commits, latencies 100/150/200/500 ms', () => {
    assert.equal(result.committed.acks, 3);
    assert.equal(result.committed.ackLatencyMs.count, 4);
    assertNear(result.committed.ackLatencyMs.p50, 150, 'p50');
    assertNear(result.committed.ackLatencyMs.p99, 500, 'p99');
    assertNear(result.committed.ackLatencyMs.max, 500, 'max');
    const { acks, ackLatencyMs, frames, records } = result.streams[0]!.committed;
    assert.deepEqual([frames, records, acks], [4, 40, 3], 'the one stream has every commit and ack');
    assert.deepEqual(ackLatencyMs, result.committed.ackLatencyMs);
  });

  it('timing: from the first event to run-end; send and commit windows from the first frame', () => {
    assert.deepEqual(result.timing, {
      startedAt: T0,
      durationMs: 3000,
      // First frame at 1000, last at 2000: 40 records and 1 MB in 1 s.
      sendMs: 1000,
      sendRecordsPerSec: 40,
      sendMBPerSec: 1,
      // Last commit at 2500: 40 records in 1.5 s.
      commitMs: 1500,
      commitRecordsPerSec: 27,
    });
  });

  it('verification, per stream and in total', () => {
    assert.deepEqual(result.verify, { skipped: false, expectedRecords: 40, targetRecords: 40, ok: true });
    assert.deepEqual(result.streams[0]!.verify, { expectedRecords: 40, targetRecords: 40, ok: true });
    assert.equal(result.streams[0]!.stream, STREAM.stream);
  });

  it('a run without samples, stalls or errors has empty analyses', () => {
    assert.equal(result.pauses.source, 'none');
    assert.equal(result.pauses.count, 0);
    assert.equal(result.memory.sampler, 'none');
    assert.equal(result.workers.deaths, 0);
    assert.deepEqual(result.flow, { waits: 0, totalMs: 0, longestMs: 0 });
    assert.deepEqual(result.cluster, { otherMembers: [] });
    assert.equal(result.members, undefined);
    assert.equal(result.replay, undefined);
    assert.deepEqual(result.thresholds, []);
    assert.deepEqual(result.warnings, []);
  });

  it('what happens after run-end (the cleanup closing sockets) does not change the run', () => {
    const late = fold(
      completeRun([
        ev.connection(3100, 1, 'closed', { code: 1006, reason: 'cleanup' }),
        ev.committed(3200, 4, 900),
        ev.warning(3300, 'late'),
        ev.proc(3400, 5_000_000),
      ]),
    );
    assert.equal(late.committed.frames, 4);
    assert.equal(late.timing.durationMs, 3000);
    assert.deepEqual(late.workers.droppedConnections, []);
    assert.deepEqual(late.warnings, []);
    assert.equal(late.memory.sampler, 'none');
  });

  it('a run with samples folds them into stalls and memory with the run’s own settings', () => {
    const samples = [
      ...[150, 170, 190].map((ms, i) => ev.proc(ms, (100 + i) * 1_000_000)),
      ev.proc(1600, 700_000_000),
      ev.tcp(900, 1, { rx: 0, tx: 9000 }),
      ev.tcp(1000, 1, { rx: 5000, tx: 1000 }),
      ...[1100, 1200, 1300, 1400, 1500].map((ms) => ev.tcp(ms, 1, { rx: 5000, tx: 1000 })),
      ev.tcp(1600, 1, { rx: 0, tx: 0 }),
    ];
    const withDefault = fold(completeRun(samples));
    assert.equal(withDefault.memory.peakRss, 700_000_000);
    assert.equal(withDefault.memory.baselineRss, 101_000_000);
    assert.equal(withDefault.memory.peakAtMs, 600);
    assert.deepEqual(
      withDefault.pauses.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [[1000, 600]],
    );
    assert.equal(withDefault.pauses.thresholdMs, 50);
    const higher = fold(completeRun(samples, { meta: { pauseThresholdMs: 600, blockedAfterMs: 250 } }));
    assert.equal(higher.pauses.count, 0, 'a 600 ms stall is not longer than --pause-threshold 600');
    assert.equal(higher.pauses.blockedAfterMs, 250);
  });
});

describe('ResultBuilder: an interrupted run', () => {
  const partial = (): RunEvent[] => [
    ev.meta(0, { thresholds: ['pausedMs<100ms'] }),
    ev.start(100),
    ev.streaming(220),
    ev.phase(230, 'streaming'),
    ev.sent(1000, 0),
    ev.committed(1100, 0, 100),
    ev.sent(1250, 1),
    ...stallFrom1100(1800),
  ];

  it('a samples file cut off before run-end: interrupted, exit 130, and says why', () => {
    const result = fold(partial().sort((a, b) => a.t - b.t));
    assert.equal(result.outcome, 'interrupted');
    assert.equal(
      result.exitCode,
      ExitCode.INTERRUPTED,
      'a breached threshold does not hide the interruption',
    );
    assert.equal(result.error, 'the run ended without a run-end event');
    assert.deepEqual(result.cleanup, { removedFromTarget: null, targetStopped: false });
    assert.equal(result.committed.frames, 1);
    assert.equal(result.committed.allFrames, false);
    assert.deepEqual(result.verify, { skipped: true, expectedRecords: 40, targetRecords: null, ok: null });
    assert.equal(result.timing.durationMs, 1800);
    // The stall still open at the last event (1800) ends there: 1100 → 1800.
    assert.deepEqual(
      result.pauses.episodes.map((e) => [e.startedAt - T0, e.durationMs]),
      [[1100, 700]],
    );
    assert.deepEqual(
      result.thresholds.map((t) => [t.expression, t.value, t.ok]),
      [['pausedMs<100ms', 700, false]],
    );
  });

  it('Ctrl-C with a run-end: its outcome and 130, no made-up error, the breach does not change the exit code', () => {
    const events = [
      ...partial(),
      ev.end(1900, 'interrupted', ExitCode.INTERRUPTED, { removedFromTarget: true }),
    ];
    const result = fold(events.sort((a, b) => a.t - b.t));
    assert.equal(result.outcome, 'interrupted');
    assert.equal(result.exitCode, ExitCode.INTERRUPTED);
    assert.ok(!('error' in result));
    assert.equal(result.thresholds[0]!.ok, false);
    assert.deepEqual(result.cleanup, { removedFromTarget: true, targetStopped: false });
    assert.equal(result.pauses.episodes[0]!.durationMs, 800, 'the open stall ends at run-end (1900)');
  });
});

describe('ResultBuilder: a failed run', () => {
  const failed = (thresholds: string[]): RunEvent[] => [
    ev.meta(0, { thresholds }),
    ev.start(100),
    ev.streaming(220),
    ev.sent(1000, 0),
    ev.committed(1100, 0, 100),
    ev.sent(1250, 1),
    ev.log(1300, 'oom', 'Error [ERR_WORKER_OUT_OF_MEMORY]: Worker terminated due to reaching memory limit'),
    ev.exited(1400),
    ev.end(1500, 'failed', ExitCode.ERROR, {
      error: 'the target process exited at frame 1 (resume with --from-frame 1)',
      removedFromTarget: null,
    }),
  ];

  it('keeps the error, the exit code and what the target did', () => {
    const result = fold(failed([]));
    assert.equal(result.outcome, 'failed');
    assert.equal(result.exitCode, ExitCode.ERROR);
    assert.equal(result.error, 'the target process exited at frame 1 (resume with --from-frame 1)');
    assert.equal(result.workers.targetExited, true);
    assert.equal(result.workers.oomEvents, 1);
    assert.equal(result.workers.deaths, 1);
    assert.deepEqual(result.cleanup, { removedFromTarget: null, targetStopped: false });
    assert.equal(result.committed.allFrames, false);
    assert.equal(result.verify.skipped, true);
  });

  it('a breach on a failed run exits 99 (README: also when the run itself failed; only 130 wins)', () => {
    const result = fold(failed(['oomEvents==0']));
    assert.equal(result.exitCode, ExitCode.THRESHOLD_BREACHED);
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(
      result.thresholds.map((t) => [t.expression, t.value, t.ok]),
      [['oomEvents==0', 1, false]],
    );
  });
});

describe('ResultBuilder: a run that never reached its target', () => {
  for (const exitCode of [ExitCode.UNREACHABLE, ExitCode.AUTH_FAILED, ExitCode.TLS_FAILED]) {
    it(`exit ${exitCode}: thresholds neither pass nor breach, the exit code stays`, () => {
      const result = fold([
        ev.meta(0, { thresholds: ['peakRss<1.5GiB', 'oomEvents==0'] }),
        ev.end(100, 'failed', exitCode, {
          error: 'connect ECONNREFUSED 127.0.0.1:9',
          removedFromTarget: null,
        }),
      ]);
      assert.equal(result.exitCode, exitCode);
      assert.deepEqual(
        result.thresholds.map((t) => [t.expression, t.value, t.ok]),
        [
          ['peakRss<1.5GiB', null, null],
          ['oomEvents==0', null, null],
        ],
      );
    });
  }
});

describe('ResultBuilder: thresholds and the exit code', () => {
  const cases: Array<{ thresholds: string[]; exitCode: number; verdicts: boolean[] }> = [
    { thresholds: [], exitCode: ExitCode.OK, verdicts: [] },
    { thresholds: ['committedRecords==40'], exitCode: ExitCode.OK, verdicts: [true] },
    {
      thresholds: ['committedRecords==40', 'ackP99<400ms'],
      exitCode: ExitCode.THRESHOLD_BREACHED,
      verdicts: [true, false],
    },
    { thresholds: ['ackP99<600ms', 'durationMs<=3s'], exitCode: ExitCode.OK, verdicts: [true, true] },
    { thresholds: ['peakRss<1GiB'], exitCode: ExitCode.THRESHOLD_BREACHED, verdicts: [false] },
  ];
  for (const { thresholds, exitCode, verdicts } of cases) {
    it(`[${thresholds.join(', ')}] → exit ${exitCode}`, () => {
      const result = fold(completeRun([], { meta: { thresholds } }));
      assert.deepEqual(
        result.thresholds.map((t) => t.ok),
        verdicts,
      );
      assert.equal(result.exitCode, exitCode);
      assert.equal(result.outcome, 'complete', 'a breach does not change the outcome');
    });
  }

  it('an incomplete run (exit 3) with a breach exits 99', () => {
    const events = completeRun([], { meta: { thresholds: ['committedRecords==41'] } }).map((e) =>
      e.type === 'run-end' ? ev.end(3000, 'incomplete', ExitCode.VERIFY_FAILED) : e,
    );
    const result = fold(events);
    assert.equal(result.outcome, 'incomplete');
    assert.equal(result.exitCode, ExitCode.THRESHOLD_BREACHED);
  });

  it('an unknown threshold in run-meta fails the build', () => {
    assert.throws(() => fold(completeRun([], { meta: { thresholds: ['nope<1'] } })), /unknown metric "nope"/);
  });
});

describe('ResultBuilder: verification', () => {
  const withoutVerify = completeRun().filter((e) => e.type !== 'verify');
  const cases: Array<{ name: string; verify: RunEvent[]; expected: object }> = [
    {
      name: 'no verify event (--no-verify): skipped, expecting every record',
      verify: [],
      expected: { skipped: true, expectedRecords: 40, targetRecords: null, ok: null },
    },
    {
      name: 'every record on the target',
      verify: [ev.verify(2800, 40, 40)],
      expected: { skipped: false, expectedRecords: 40, targetRecords: 40, ok: true },
    },
    {
      name: 'records missing',
      verify: [ev.verify(2800, 40, 38)],
      expected: { skipped: false, expectedRecords: 40, targetRecords: 38, ok: false },
    },
    {
      name: 'the count could not be read',
      verify: [ev.verify(2800, 40, null)],
      expected: { skipped: false, expectedRecords: 40, targetRecords: null, ok: null },
    },
  ];
  for (const { name, verify, expected } of cases) {
    it(name, () => {
      const result = fold([...withoutVerify, ...verify].sort((a, b) => a.t - b.t));
      assert.deepEqual(result.verify, expected);
    });
  }
});

describe('ResultBuilder: other shapes of input', () => {
  it('without run-meta there is no result', () => {
    const builder = new ResultBuilder();
    builder.sink(ev.start(0));
    assert.throws(() => builder.build(), /no run-meta event: not a harper-replay run/);
  });

  it('without run-start the totals come from the workload and the target is mostly unknown', () => {
    const result = fold([
      ev.meta(0, { databases: ['data_1', 'data_2'], database: 'data_1' }),
      ev.sent(100, 0),
      ev.committed(200, 0, 50),
      ev.end(300),
    ]);
    assert.equal(result.workload.totalRecords, 40, '4 frames × 10 records');
    assert.equal(result.committed.allFrames, false, '1 of the workload’s 4 frames');
    assert.deepEqual(result.target, {
      embedded: false,
      via: 'peer',
      database: 'data_1',
      databases: ['data_1', 'data_2'],
      table: 'synthetic',
    });
    assert.deepEqual(result.streams, [], 'no stream plan without run-start');
  });

  it('events that arrive before run-meta still reach the stall analysis', () => {
    const result = fold([ev.drain(0, -300, 300, 4096), ev.meta(10), ev.start(20), ev.end(30)]);
    assert.equal(result.pauses.source, 'drain');
    assert.deepEqual(
      result.pauses.episodes.map((e) => [e.durationMs, e.bytesQueued]),
      [[300, 4096]],
    );
    assert.deepEqual(result.flow, { waits: 1, totalMs: 300, longestMs: 300 });
  });

  it('a single frame gives no send rate (no interval to divide by) but a commit rate', () => {
    const result = fold([
      ev.meta(0),
      ev.start(10, { frames: 1, records: 10 }),
      ev.sent(100, 0),
      ev.committed(200, 0, 100),
      ev.end(300),
    ]);
    assert.equal(result.timing.sendMs, 0);
    assert.equal(result.timing.sendRecordsPerSec, null);
    assert.equal(result.timing.sendMBPerSec, null);
    assert.equal(result.timing.commitMs, 100);
    assert.equal(result.timing.commitRecordsPerSec, 100);
    assert.equal(result.committed.allFrames, true);
  });

  it('send MB/s keeps two decimals: 1,234,567 B in 1 s is 1.23 MB/s', () => {
    const result = fold([
      ev.meta(0),
      ev.start(10, { frames: 2, records: 20 }),
      ev.sent(100, 0, { bytes: 1_000_000 }),
      ev.sent(1100, 1, { bytes: 234_567 }),
      ev.end(1200),
    ]);
    assert.equal(result.timing.sendMs, 1000);
    assert.equal(result.timing.sendMBPerSec, 1.23);
    assert.equal(result.timing.sendRecordsPerSec, 20);
  });

  it('nothing sent: no send or commit window', () => {
    const result = fold([ev.meta(0), ev.start(10), ev.end(20, 'failed', 4, { error: 'refused' })]);
    assert.deepEqual(
      [result.timing.sendMs, result.timing.commitMs, result.timing.commitRecordsPerSec],
      [null, null, null],
    );
    assert.equal(result.error, 'refused');
    assert.equal(result.exitCode, 4);
  });

  it('other members that dialed in are listed; warnings are kept', () => {
    const result = fold(
      completeRun([
        ev.connection(300, 2, 'named', { remoteNodeName: 'node-b' }),
        ev.connection(310, 2, 'ignored', { remoteNodeName: 'node-b' }),
        ev.warning(400, '--insecure: TLS certificates are not verified'),
      ]),
    );
    assert.deepEqual(result.cluster.otherMembers, ['node-b']);
    assert.deepEqual(result.warnings, ['--insecure: TLS certificates are not verified']);
  });

  it('replay: the replay meta and how far behind its schedule the replay ran', () => {
    const replay: ReplayMeta = {
      capture: 'cap.hrc',
      connection: 1,
      frames: 3,
      loops: 1,
      speed: '1x',
      fromFrame: 0,
      retime: true,
      origin: 'capture',
      scheduledDurationMs: 200,
      originalAckLatencyMs: { count: 3, p50: 10, p99: 20, max: 20 },
    };
    const run = (lates: Array<number | undefined>) =>
      fold([
        ev.meta(0, { command: 'replay', replay }),
        ev.start(10, { frames: 3, records: 30 }),
        ...lates.map((lateMs, i) => ev.sent(100 + i * 100, i, lateMs === undefined ? {} : { lateMs })),
        ev.end(500),
      ]);
    const late = run([3, 35, 12]);
    assert.equal(late.command, 'replay');
    assert.deepEqual(late.replay, { ...replay, behindScheduleMs: 35 });
    assert.equal(run([undefined, undefined, undefined]).replay!.behindScheduleMs, null);
  });
});
