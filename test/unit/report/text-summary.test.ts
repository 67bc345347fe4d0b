import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';
import { capturedDogShape } from '../../helpers/shape-summary.js';
import { at, completeRun, ev, fold, MiB, T0 } from './support.js';

/** The value printed after a row's label (labels are padded to 18 columns). */
function row(summary: string, label: string): string {
  const prefix = `  ${label.padEnd(18)} `;
  const lines = summary.split('\n').filter((l) => l.startsWith(prefix));
  assert.equal(lines.length, 1, `one "${label}" row in:\n${summary}`);
  return lines[0]!.slice(prefix.length);
}

const lines = (summary: string) => summary.split('\n');

/** A local target: /proc and system_information samples, one stall, an OOM, a resume, another member. */
const richEvents = (): RunEvent[] =>
  completeRun(
    [
      ev.proc(150, 100 * MiB),
      ev.proc(190, 104 * MiB),
      ev.sysinfo(300, 101 * MiB, [
        { threadId: 1, heapUsed: 20 * MiB },
        { threadId: 2, heapUsed: 10 * MiB },
      ]),
      ev.connection(300, 2, 'ignored', { remoteNodeName: 'node-b' }),
      ev.tcp(900, 1, { rx: 0, tx: 9000 }),
      ev.tcp(1000, 1, { rx: 5000, tx: 1000 }),
      ...[1100, 1200, 1300, 1400, 1500].map((ms) => ev.tcp(ms, 1, { rx: 5000, tx: 1000 })),
      ev.tcp(1600, 1, { rx: 0, tx: 0 }),
      ...[900, 1000, 1100, 1200, 1300, 1400, 1500, 1600].map((ms) => ev.probe(ms, 5)),
      ev.sysinfo(1550, 300 * MiB, [{ threadId: 1, heapUsed: 80 * MiB }], 900),
      ev.proc(1600, 500 * MiB, 520 * MiB),
      ev.log(1800, 'oom', 'ERR_WORKER_OUT_OF_MEMORY'),
      ev.log(1900, 'uncaught', 'uncaughtException: boom'),
      ev.log(1950, 'replication-error', 'Error handling incoming replication message'),
      ev.log(1960, 'blob-save-failed', 'Blob save failed'),
      // Distinct counts per kind: 1 OOM, 2 uncaught, 3 blob save failures, 4 replication message errors.
      ev.log(1970, 'uncaught', 'uncaughtException: again'),
      ...[1980, 1990].map((ms) => ev.log(ms, 'blob-save-failed', 'Blob save failed')),
      ...[2000, 2010, 2020].map((ms) =>
        ev.log(ms, 'replication-error', 'Error handling incoming replication message'),
      ),
      ev.resume(2100, 3),
      ev.warning(2200, 'the target is remote: no kernel queues'),
      ev.proc(2400, 400 * MiB, 520 * MiB),
    ],
    {
      meta: {
        workload: {
          preset: 'catchup-40x500',
          frames: 4,
          recordsPerFrame: 10,
          recordSize: 100,
          blobSize: 51_200,
          seed: 7,
        },
        thresholds: [
          'peakRss<400MiB',
          'ackP99<400ms',
          'committedPct>=100',
          'oomEvents==0',
          'recordsPerSec>10',
        ],
      },
    },
  );

describe('formatRunSummary: a complete run with every section', () => {
  const summary = formatRunSummary(fold(richEvents()));

  it('header, target, table and workload', () => {
    assert.equal(lines(summary)[0], 'harper-replay synth — COMPLETE');
    assert.equal(row(summary, 'target'), 'node-a (http://127.0.0.1:9925) via peer');
    assert.equal(row(summary, 'table'), 'data.synthetic');
    assert.equal(
      row(summary, 'workload'),
      'catchup-40x500: 4 frames × 10 records × 100 B, 50.0 KiB blobs (seed 7)',
    );
  });

  it('sent, send rate, committed, ack latency, verify', () => {
    assert.equal(row(summary, 'sent'), '4 frames, 40 records, 976.6 KiB');
    assert.equal(row(summary, 'send rate'), '40 records/s, 1 MB/s over 1.00 s');
    assert.equal(row(summary, 'committed'), '4 of 4 frames, 40 records in 3 acks (27 records/s)');
    assert.equal(row(summary, 'ack latency'), 'p50 150 ms  p99 500 ms  max 500 ms');
    assert.equal(
      row(summary, 'ack stalls'),
      '1 ≥ 250 ms, 500 ms in all, longest 500 ms (waiting on frame 3)',
    );
    assert.equal(row(summary, 'verify'), '40 of 40 records on the target — OK');
  });

  it('ack stalls: a frame never acked is named, and its stall runs to the end of the run', () => {
    const events = completeRun().filter((e) => !(e.type === 'frame-committed' && e.index === 3));
    assert.equal(
      row(formatRunSummary(fold(events)), 'ack stalls'),
      '1 ≥ 250 ms, 1.00 s in all, longest 1.00 s (waiting on frame 3, never acked); 1 frame(s) never acked: 3',
    );
  });

  it('pauses: the source, the one 600 ms stall, its cause, and the probe caveat with 2 worker threads', () => {
    assert.ok(lines(summary).includes('pauses (stalls > 50 ms, from kernel socket queues)'));
    assert.equal(row(summary, 'stalls'), '1 episodes, 600 ms in total, longest 600 ms');
    assert.equal(
      row(summary, 'cause'),
      'flow control (target responsive) 600 ms, blocked (target unresponsive > 500 ms) 0.00 ms',
    );
    assert.equal(
      row(summary, ''),
      '(2 worker threads: the probe may be answered by an idle one, so blocked time can be under-reported)',
    );
    assert.equal(
      row(summary, "target's own word"),
      'not logged at this log level (run the node with LOGGING_LEVEL=debug)',
    );
    assert.equal(row(summary, 'tool drain waits'), '0, 0.00 ms in total, longest 0.00 ms');
  });

  it('memory: /proc baseline, peak, growth and its time, VmHWM, and what system_information missed', () => {
    assert.ok(lines(summary).includes('memory (/proc every 20 ms)'));
    assert.equal(
      row(summary, 'target RSS'),
      'baseline 102.0 MiB, peak 500.0 MiB (+398.0 MiB) at 600 ms, end 400.0 MiB',
    );
    assert.equal(row(summary, 'kernel VmHWM'), '520.0 MiB');
    assert.equal(
      row(summary, 'system_information'),
      'peak RSS 300.0 MiB, worker heap peak 80.0 MiB, slowest answer 900 ms — missed 200.0 MiB of the peak',
    );
  });

  it('workers: deaths, reconnects, log errors and their first three lines', () => {
    assert.equal(row(summary, 'deaths'), '1 (OOM events 1, thread ids gone: 2)');
    assert.equal(row(summary, 'reconnects'), '1 (resumed at frames 3)');
    assert.equal(
      row(summary, 'log errors'),
      'OOM 1, uncaught 2, blob save failed 3, replication message errors 4',
    );
    const all = lines(summary);
    const index = all.findIndex((l) => l.startsWith('  log errors'));
    assert.deepEqual(
      all.slice(index + 1, index + 5),
      [
        '    ERR_WORKER_OUT_OF_MEMORY',
        '    uncaughtException: boom',
        '    Error handling incoming replication message',
        '',
      ],
      'the first three lines, then the next section',
    );
  });

  it('the other member, every threshold verdict with its value, duration and warnings', () => {
    assert.equal(row(summary, 'not loaded'), '1 other cluster member(s) subscribed; not loaded: node-b');
    const verdicts = lines(summary).filter((l) => /^ {2}[✓✗] /.test(l));
    assert.deepEqual(verdicts, [
      `  ✗ ${'peakRss<400MiB'.padEnd(28)} 500.0 MiB`,
      `  ✗ ${'ackP99<400ms'.padEnd(28)} 500 ms`,
      `  ✓ ${'committedPct>=100'.padEnd(28)} 100.0 %`,
      `  ✗ ${'oomEvents==0'.padEnd(28)} 1`,
      `  ✓ ${'recordsPerSec>10'.padEnd(28)} 27`,
    ]);
    assert.equal(row(summary, 'duration'), '3.00 s');
    assert.equal(lines(summary).at(-1), '  warning: the target is remote: no kernel queues');
    assert.ok(!summary.includes('streams ('), 'no stream section for one stream');
    assert.ok(!summary.includes('members ('), 'no member section without --fan-out');
  });
});

describe('formatRunSummary: variants', () => {
  it('thresholds of a run that never reached its target are marked not evaluated', () => {
    const result = fold(completeRun([], { meta: { thresholds: ['peakRss<1GiB'] } }));
    result.thresholds = [{ ...result.thresholds[0]!, value: null, ok: null }];
    assert.ok(
      lines(formatRunSummary(result)).includes(
        `  – ${'peakRss<1GiB'.padEnd(28)} not evaluated (the target was never reached)`,
      ),
    );
  });

  it('a plain run without samples says there is no data', () => {
    const summary = formatRunSummary(fold(completeRun()));
    assert.ok(lines(summary).includes('pauses (stalls > 50 ms, from no data)'));
    assert.ok(lines(summary).includes('memory (no samples)'));
    assert.equal(row(summary, 'target RSS'), 'baseline –, peak –, end –');
    assert.equal(row(summary, 'system_information'), 'peak RSS –, worker heap peak –, slowest answer –');
    assert.equal(row(summary, 'deaths'), '0 (OOM events 0)');
    assert.equal(row(summary, 'reconnects'), '0');
    assert.equal(row(summary, 'watchdog reconnects'), '0 (the receive watchdog exists from Harper 5.x on)');
    assert.ok(!summary.includes('kernel VmHWM'));
    assert.ok(!summary.includes('worker threads: the probe'));
    assert.ok(!summary.includes('\ncluster\n'));
    assert.ok(!summary.includes('\nthresholds\n'));
  });

  it('a failed run names its error; the exited target is said', () => {
    const events = completeRun([ev.exited(2900)]).map((e) =>
      e.type === 'run-end' ? ev.end(3000, 'failed', 1, { error: 'the target process exited at frame 3' }) : e,
    );
    const summary = formatRunSummary(fold(events));
    assert.equal(lines(summary)[0], 'harper-replay synth — FAILED: the target process exited at frame 3');
    assert.equal(row(summary, 'deaths'), '0 (OOM events 0) — the target process exited');
  });

  const verifies: Array<{ name: string; verify: RunEvent[]; text: string }> = [
    { name: 'skipped', verify: [], text: 'skipped (--no-verify)' },
    { name: 'count unreadable', verify: [ev.verify(2800, 40, null)], text: 'not done' },
    {
      name: 'mismatch',
      verify: [ev.verify(2800, 40, 38)],
      text: '38 of 40 records on the target — MISMATCH',
    },
  ];
  for (const { name, verify, text } of verifies) {
    it(`verify row: ${name}`, () => {
      const events = [...completeRun().filter((e) => e.type !== 'verify'), ...verify].sort(
        (a, b) => a.t - b.t,
      );
      assert.equal(row(formatRunSummary(fold(events)), 'verify'), text);
    });
  }

  it('a remote, embedded target at debug level: drain waits, system_information, the node’s own pause lines', () => {
    const summary = formatRunSummary(
      fold(
        completeRun(
          [
            ev.sysinfo(150, 200 * MiB, [{ threadId: 1, heapUsed: 30 * MiB }]),
            ev.drain(1500, 1200, 300, 4096),
            ev.drain(1900, 1850, 50, 4096),
            ev.log(1500, 'pause', 'Commit backlog causing replication back-pressure'),
            ev.log(1600, 'pause', 'Commit backlog causing replication back-pressure'),
            ev.log(1700, 'resume', 'resumed'),
            ev.sysinfo(1750, 250 * MiB, [{ threadId: 1, heapUsed: 60 * MiB }], 40),
          ],
          { target: { embedded: true, local: false, loggingLevel: 'debug' } },
        ),
      ),
    );
    assert.equal(row(summary, 'target'), 'node-a (embedded harperdb 4.7.29) via peer');
    assert.ok(lines(summary).includes('pauses (stalls > 50 ms, from drain waits)'));
    assert.equal(row(summary, 'stalls'), '1 episodes, 300 ms in total, longest 300 ms');
    assert.equal(row(summary, "target's own word"), '2 pause / 1 resume lines in its log');
    assert.equal(row(summary, 'tool drain waits'), '2, 350 ms in total, longest 300 ms');
    assert.ok(lines(summary).includes('memory (system_information)'));
    assert.equal(
      row(summary, 'target RSS'),
      'baseline 200.0 MiB, peak 250.0 MiB (+50.0 MiB) at 750 ms, end 250.0 MiB',
    );
    assert.equal(
      row(summary, 'system_information'),
      'peak RSS 250.0 MiB, worker heap peak 60.0 MiB, slowest answer 40 ms',
    );
  });

  it('issue 13 rows: liveness, target faults, blob lines and one line per death of the herd', () => {
    // All before run-end (3000): the result is what happened up to it.
    const extra: RunEvent[] = [
      at(1800, { type: 'connection', socketId: 1, event: 'closed', code: 1006, reason: '' }),
      at(2300, {
        type: 'resume',
        socketId: 2,
        startTime: 5,
        fromFrame: 3,
        attempt: 1,
        stream: 'node-a/data',
      }),
      ev.log(2400, 'fault-fired', 'harper-replay target fault fired: blob-write-fail (write 7)'),
      ev.log(2450, 'uncaught', 'uncaughtException Error: Blob error: x for record 7 from y'),
      at(2650, { type: 'liveness', stream: 'node-a/data', ok: true, latencyMs: 12 }),
    ];
    const summary = formatRunSummary(
      fold(completeRun(extra, { target: { faults: ['blob-write-fail every 7'] } })),
    );
    assert.equal(row(summary, 'liveness'), 'probe record committed after 12 ms');
    assert.equal(row(summary, 'target faults'), 'blob-write-fail every 7: armed, fired 1 time(s)');
    assert.equal(row(summary, 'blob lines'), 'Blob error 1, blob stream timeout 0, Blob save failed 0');
    assert.equal(
      row(summary, 're-subscriptions'),
      'death 1 at 800 ms: 1 of 1 stream(s) re-subscribed (first after 500 ms)',
    );
  });

  it('a death with the target\'s "Setting up subscription" lines says how many and when', () => {
    // The log is read as the run ends: 2.1 s after the drop, late enough to count this death's lines.
    const setup = (ms: number) =>
      ev.log(
        3100,
        'subscription-setup',
        'Setting up subscription with leader x for node x',
        new Date(T0 + ms).toISOString(),
      );
    const events: RunEvent[] = [
      ev.meta(0),
      ev.start(10),
      ev.streaming(20),
      ev.sent(100, 0),
      at(1000, { type: 'connection', socketId: 1, event: 'closed', code: 1006, reason: '' }),
      setup(30),
      setup(1979),
      setup(1980),
      ev.end(4000, 'failed', 1),
    ];
    assert.equal(
      row(formatRunSummary(fold(events)), 're-subscriptions'),
      'death 1 at 900 ms: 0 of 1 stream(s) re-subscribed; the target logged 2 "Setting up subscription" line(s) 979 ms–980 ms after',
    );
  });

  it('a threshold whose metric has no value prints "no data"', () => {
    const summary = formatRunSummary(fold(completeRun([], { meta: { thresholds: ['peakRss<1GiB'] } })));
    assert.ok(lines(summary).includes(`  ✗ ${'peakRss<1GiB'.padEnd(28)} no data`));
  });

  it('several databases: the table names them, the committed row counts every stream, one row per stream', () => {
    const streams = [
      { stream: 'node-a/data_1', member: 'node-a', database: 'data_1' },
      { stream: 'node-a/data_2', member: 'node-a', database: 'data_2' },
    ];
    const events: RunEvent[] = [
      ev.meta(0, {
        database: 'data_1',
        databases: ['data_1', 'data_2'],
        workload: { frames: 2, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 7 },
      }),
      ev.start(100, { frames: 4, records: 40, streams }),
      ev.streaming(200, 1, 'node-a/data_1'),
      ev.streaming(210, 2, 'node-a/data_2'),
      ev.sent(1000, 0, { socketId: 1, stream: 'node-a/data_1' }),
      ev.sent(1010, 0, { socketId: 2, stream: 'node-a/data_2' }),
      ev.sent(1100, 1, { socketId: 1, stream: 'node-a/data_1' }),
      ev.sent(1110, 1, { socketId: 2, stream: 'node-a/data_2' }),
      ev.committed(1200, 0, 100, 10, 'node-a/data_1'),
      ev.committed(1300, 1, 200, 10, 'node-a/data_1'),
      ev.committed(1400, 0, 300, 10, 'node-a/data_2'),
      at(1500, {
        type: 'resume',
        socketId: 3,
        startTime: 0,
        fromFrame: 1,
        attempt: 1,
        stream: 'node-a/data_2',
      }),
      ev.verify(2000, 20, 20, 'node-a/data_1'),
      ev.verify(2010, 20, 10, 'node-a/data_2'),
      ev.end(2100, 'incomplete', 3),
    ];
    const summary = formatRunSummary(fold(events));
    assert.equal(lines(summary)[0], 'harper-replay synth — INCOMPLETE');
    assert.equal(row(summary, 'table'), 'synthetic in 2 databases: data_1, data_2');
    assert.equal(row(summary, 'committed'), '3 of 4 frames, 30 records in 0 acks (75 records/s)');
    assert.equal(row(summary, 'verify'), '30 of 40 records on the target — MISMATCH');
    assert.ok(lines(summary).includes('streams (2, each over its own connection)'));
    assert.equal(
      row(summary, 'node-a/data_1'),
      '2/2 frames committed, 20 records, ack p99 200 ms, 20 of 20 on the target',
    );
    assert.equal(
      row(summary, 'node-a/data_2'),
      '1/2 frames committed, 10 records, ack p99 300 ms, 1 resumes, 10 of 20 on the target — MISMATCH',
    );
  });

  it('a replay of several connections: each stream its own frame count and captured connection', () => {
    const streams = [
      { stream: 'node-a/zoo', member: 'node-a', database: 'zoo', frames: 3, connection: 3 },
      { stream: 'node-a/farm', member: 'node-a', database: 'farm', frames: 1, connection: 5 },
    ];
    const events: RunEvent[] = [
      ev.meta(0, {
        command: 'replay',
        database: 'zoo',
        databases: ['zoo', 'farm'],
        workload: { frames: 4, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 0 },
      }),
      ev.start(100, { frames: 4, records: 40, streams }),
      ev.streaming(200, 1, 'node-a/zoo'),
      ev.streaming(210, 2, 'node-a/farm'),
      ev.sent(1000, 0, { socketId: 1, stream: 'node-a/zoo' }),
      ev.sent(1010, 0, { socketId: 2, stream: 'node-a/farm' }),
      ev.committed(1200, 0, 100, 10, 'node-a/zoo'),
      ev.committed(1300, 0, 200, 10, 'node-a/farm'),
      ev.end(2100, 'incomplete', 3),
    ];
    const summary = formatRunSummary(fold(events));
    assert.equal(row(summary, 'committed'), '2 of 4 frames, 20 records in 0 acks (67 records/s)');
    assert.ok(lines(summary).includes('streams (2, each over its own connection)'));
    assert.equal(
      row(summary, 'node-a/zoo (connection 3)'),
      '1/3 frames committed, 10 records, ack p99 100 ms',
    );
    assert.equal(
      row(summary, 'node-a/farm (connection 5)'),
      '1/1 frames committed, 10 records, ack p99 200 ms',
    );
  });

  it('--fan-out: a row per member and the cluster totals (an unsampled member leaves the RSS sum unknown)', () => {
    const streams = [
      { stream: 'node-a/data', member: 'node-a', database: 'data' },
      { stream: 'node-b/data', member: 'node-b', database: 'data' },
    ];
    const events: RunEvent[] = [
      ev.meta(0, { fanOut: true }),
      at(100, {
        type: 'run-start',
        frames: 4,
        records: 40,
        target: {
          nodeName: 'node-a',
          operationsUrl: 'x',
          replicationUrl: 'y',
          embedded: false,
          local: false,
        },
        streams,
        members: [
          { nodeName: 'node-a', sampled: true },
          { nodeName: 'node-b', sampled: false },
        ],
      }),
      ev.sysinfo(150, 100 * MiB, []),
      ev.streaming(200, 1, 'node-a/data', 'node-a'),
      ev.streaming(210, 2, 'node-b/data', 'node-b'),
      ev.sent(1000, 0, { socketId: 1, stream: 'node-a/data' }),
      ev.sent(1010, 0, { socketId: 2, stream: 'node-b/data' }),
      ev.sent(1100, 1, { socketId: 1, stream: 'node-a/data' }),
      ev.sysinfo(1150, 200 * MiB, []),
      ev.committed(1200, 0, 100, 10, 'node-a/data'),
      ev.committed(1300, 1, 200, 10, 'node-a/data'),
      ev.committed(1400, 0, 50, 10, 'node-b/data'),
      ev.drain(1800, 1500, 300, 4096, 2),
      ev.end(2000, 'incomplete', 3),
    ];
    const result = fold(events);
    const summary = formatRunSummary(result);
    assert.equal(result.pauses.count, 0, "node-b's stall is not the target's");
    assert.ok(lines(summary).includes('members (--fan-out: 2 loaded)'));
    assert.equal(
      row(summary, 'node-a'),
      '20 records committed, ack p99 200 ms, peak RSS 200.0 MiB (+100.0 MiB), 0 stalls (0.00 ms), 0 worker deaths',
    );
    assert.equal(
      row(summary, 'node-b'),
      '10 records committed, ack p99 50 ms, not sampled, 1 stalls (300 ms), 0 worker deaths',
    );
    assert.equal(
      row(summary, 'cluster total'),
      '30 records committed, peak RSS sum –, 1 stalls (300 ms), 0 worker deaths',
    );
  });
});

describe('text summary of a --mix run', () => {
  const operations = {
    mix: 'insert=70,update=25,delete=5',
    keys: 'zipf:1.1',
    planned: { insert: 28, update: 10, delete: 2 },
    sent: { insert: 30, update: 9, delete: 1 },
  };
  const meta = {
    workload: { frames: 4, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 7, operations },
  };
  const verifyWithSample = (mismatches: number) =>
    at(2800, {
      type: 'verify',
      expectedRecords: 29,
      targetRecords: 29,
      ok: mismatches === 0,
      sample: {
        checked: 30,
        present: 29,
        mismatches,
        firstMismatches: mismatches ? ['id 3: missing (expected generation 0)'] : [],
      },
      stream: 'node-a/data',
    });
  const withSample = (mismatches: number) =>
    completeRun([], { meta }).map((e) => (e.type === 'verify' ? verifyWithSample(mismatches) : e));

  it('names the mix, the keys and the operations sent (planned where they differ), and the value sample', () => {
    const result = fold(withSample(0));
    assert.deepEqual(result.workload.operations, operations);
    assert.deepEqual(result.verify.sample, { checked: 30, present: 29, mismatches: 0, firstMismatches: [] });
    const summary = formatRunSummary(result);
    assert.equal(
      row(summary, 'operations'),
      'insert=70,update=25,delete=5, keys zipf:1.1: sent 30 inserts (28 planned), 9 updates (10 planned), 1 deletes (2 planned)',
    );
    assert.equal(row(summary, 'values'), '30 ids read back (29 present, 1 absent): all as expected');
  });

  it('a shaped run names its mix too; --scale --mix says how many leading inserts re-create the captured ids', () => {
    const shaped = { workload: { ...meta.workload, operations: { ...operations, leadingInserts: 12 } } };
    const events = completeRun([at(150, { type: 'shapes', tables: [capturedDogShape] })], { meta: shaped });
    const summary = formatRunSummary(fold(events));
    assert.match(row(summary, 'workload') ?? '', /^shaped records: /);
    assert.equal(
      row(summary, 'operations'),
      'insert=70,update=25,delete=5, keys zipf:1.1: sent 30 inserts (28 planned), 9 updates (10 planned), 1 deletes (2 planned); the first 12 re-create the captured ids',
    );
  });

  it('a mismatched sample fails the verification and shows its first mismatch', () => {
    const result = fold(withSample(2));
    assert.equal(result.verify.ok, false);
    const summary = formatRunSummary(result);
    assert.equal(row(summary, 'verify'), '29 of 29 records on the target — MISMATCH');
    assert.equal(
      row(summary, 'values'),
      '30 ids read back (29 present, 1 absent): 2 MISMATCH — id 3: missing (expected generation 0)',
    );
    assert.equal(formatRunSummary(fold(completeRun())).includes('operations'), false, 'no mix, no row');
  });
});

describe('formatRunSummary: the receive watchdog', () => {
  const watchdogLine = 'Receive watchdog: stalled 30000 ms, terminating connection and reconnecting';
  it("counts the target's watchdog reconnects in the workers section", () => {
    const harper = { version: '5.0.16', family: '5.x', verification: 'built from source only', verified: [] };
    const quiet = formatRunSummary(fold(completeRun([], { target: { harper } })));
    assert.equal(row(quiet, 'watchdog reconnects'), "0 (the target's receive watchdog)");
    const events = completeRun([
      ev.log(1200, 'watchdog-reconnect', watchdogLine),
      ev.log(1800, 'watchdog-reconnect', watchdogLine),
    ]);
    assert.equal(
      row(formatRunSummary(fold(events)), 'watchdog reconnects'),
      "2 (the target's receive watchdog)",
    );
  });
});
