import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { WorkerAnalysis } from '../../../src/report/worker-analysis.js';
import { ev, T0 } from './support.js';

const summarize = (events: RunEvent[]) => {
  const analysis = new WorkerAnalysis();
  for (const event of events) analysis.sink(event);
  return analysis.summary();
};

const threads = (...ids: number[]) => ids.map((threadId) => ({ threadId, heapUsed: 1 }));

describe('WorkerAnalysis: threads', () => {
  it('a thread id missing from the next system_information answer is a death, counted once', () => {
    const summary = summarize([
      ev.sysinfo(0, 1, threads(1, 2, 3)),
      ev.sysinfo(250, 1, threads(1, 2, 3)),
      ev.sysinfo(500, 1, threads(1, 3)),
      // The restarted worker gets a new id; thread 2 coming back does not undo its death.
      ev.sysinfo(750, 1, threads(1, 2, 3, 4)),
      ev.sysinfo(1000, 1, threads(1, 4)),
    ]);
    assert.deepEqual(
      [...summary.threadsGone].sort((a, b) => a - b),
      [2, 3],
    );
    assert.equal(summary.deaths, 2);
    assert.equal(summary.maxThreads, 4);
  });

  it('never sampled: no threads, maxThreads null', () => {
    const summary = summarize([ev.proc(0, 1), ev.sent(10, 0)]);
    assert.deepEqual(summary.threadsGone, []);
    assert.equal(summary.maxThreads, null);
    assert.equal(summary.deaths, 0);
  });

  const deaths: Array<{ gone: number; ooms: number; deaths: number }> = [
    { gone: 0, ooms: 0, deaths: 0 },
    { gone: 1, ooms: 3, deaths: 3 },
    { gone: 2, ooms: 1, deaths: 2 },
    { gone: 2, ooms: 2, deaths: 2 },
  ];
  for (const { gone, ooms, deaths: expected } of deaths) {
    it(`${gone} thread ids gone and ${ooms} OOM lines: ${expected} deaths (the larger, not the sum)`, () => {
      const ids = [1, 2, 3, 4];
      const events: RunEvent[] = [
        ev.sysinfo(0, 1, threads(...ids)),
        ev.sysinfo(250, 1, threads(...ids.slice(gone))),
      ];
      for (let i = 0; i < ooms; i++) events.push(ev.log(300 + i, 'oom', `ERR_WORKER_OUT_OF_MEMORY #${i}`));
      const summary = summarize(events);
      assert.equal(summary.deaths, expected);
      assert.equal(summary.oomEvents, ooms);
      assert.equal(summary.threadsGone.length, gone);
    });
  }
});

describe('WorkerAnalysis: reconnects and dropped connections', () => {
  it('lists every resume with the frame it resumed from', () => {
    const summary = summarize([ev.resume(1000, 12), ev.resume(2500, 30, 2)]);
    assert.equal(summary.reconnects, 2);
    assert.deepEqual(summary.resumes, [
      { at: T0 + 1000, startTime: T0 + 999, fromFrame: 12 },
      { at: T0 + 2500, startTime: T0 + 2499, fromFrame: 30 },
    ]);
  });

  it('a loaded connection closed with any code but 1000 is dropped; connections never loaded are not', () => {
    const summary = summarize([
      ev.streaming(100, 1),
      ev.streaming(110, 2),
      ev.streaming(120, 4),
      ev.connection(130, 3, 'ignored', { remoteNodeName: 'node-b' }),
      ev.connection(1000, 1, 'closed', { code: 1006, reason: 'abnormal closure' }),
      ev.connection(1100, 2, 'closed', { code: 1000, reason: 'done' }),
      ev.connection(1200, 3, 'closed', { code: 1006, reason: 'other member went away' }),
      ev.connection(1300, 4, 'closed'),
      ev.connection(1400, 5, 'closed', { code: 1011 }),
    ]);
    assert.deepEqual(summary.droppedConnections, [
      { at: T0 + 1000, code: 1006, reason: 'abnormal closure' },
      { at: T0 + 1300, code: null, reason: '' },
    ]);
  });

  it("a close once the run is cleaning up is the tool's remove_node (4.7.29 drops with 1006), not a drop", () => {
    const summary = summarize([
      ev.streaming(100, 1),
      ev.phase(3624, 'cleaning-up'),
      ev.connection(3764, 1, 'closed', { code: 1006, reason: '' }),
    ]);
    assert.deepEqual(summary.droppedConnections, []);
  });
});

describe("WorkerAnalysis: the target's log", () => {
  it('counts each error kind and keeps the first lines; pause and resume lines are not errors', () => {
    const summary = summarize([
      ev.log(100, 'oom', 'ERR_WORKER_OUT_OF_MEMORY', '2025-01-01T00:00:00.100Z'),
      ev.log(200, 'uncaught', 'uncaughtException: boom'),
      ev.log(300, 'pause', 'Commit backlog causing replication back-pressure'),
      ev.log(400, 'blob-save-failed', 'Blob save failed'),
      ev.log(500, 'replication-error', 'Error handling incoming replication message'),
      ev.log(600, 'replication-error', 'Error handling incoming replication message (2)'),
      ev.log(700, 'resume', 'resumed'),
    ]);
    assert.deepEqual(summary.logErrors, {
      oom: 1,
      uncaught: 1,
      blobSaveFailed: 1,
      replicationError: 2,
      first: [
        { kind: 'oom', at: '2025-01-01T00:00:00.100Z', line: 'ERR_WORKER_OUT_OF_MEMORY' },
        { kind: 'uncaught', line: 'uncaughtException: boom' },
        { kind: 'blob-save-failed', line: 'Blob save failed' },
        { kind: 'replication-error', line: 'Error handling incoming replication message' },
        { kind: 'replication-error', line: 'Error handling incoming replication message (2)' },
      ],
    });
    assert.ok(!('at' in summary.logErrors.first[1]!), 'no `at` key when the line had no timestamp');
  });

  it("counts the target's receive-watchdog reconnects (5.x), not as errors", () => {
    const line = 'Receive watchdog: no message for 60000 ms, terminating connection and reconnecting';
    const summary = summarize([
      ev.log(100, 'watchdog-reconnect', line),
      ev.log(200, 'watchdog-reconnect', line),
      ev.log(300, 'uncaught', 'uncaughtException: boom'),
    ]);
    assert.equal(summary.watchdogReconnects, 2);
    assert.equal(summary.reconnects, 0, 'not a stream the tool resumed');
    assert.deepEqual(
      summary.logErrors.first.map((f) => f.kind),
      ['uncaught'],
    );
    assert.equal(summarize([ev.sent(0, 0)]).watchdogReconnects, 0);
  });

  it('keeps only the first 10 lines but counts all', () => {
    const events = Array.from({ length: 25 }, (_, i) => ev.log(i, 'uncaught', `line ${i}`));
    const summary = summarize(events);
    assert.equal(summary.logErrors.uncaught, 25);
    assert.deepEqual(
      summary.logErrors.first.map((f) => f.line),
      Array.from({ length: 10 }, (_, i) => `line ${i}`),
    );
  });

  it('blob lines by kind, whatever kind the line was classified as (4.7.29 logs them as uncaughtException)', () => {
    const summary = summarize([
      ev.log(1, 'uncaught', 'uncaughtException Error: Blob error: boom for record 7 from harper-replay-x'),
      ev.log(2, 'uncaught', 'uncaughtException Error: Timeout waiting for blob stream in replication from y'),
      ev.log(3, 'uncaught', 'uncaughtException Error: Timeout waiting for blob stream in replication from y'),
      ev.log(4, 'blob-save-failed', 'Blob save failed for record 9'),
      ev.log(5, 'uncaught', 'uncaughtException TypeError: x is undefined'),
    ]);
    assert.deepEqual(summary.blobLines, { blobError: 1, blobTimeout: 2, blobSaveFailed: 1 });
    assert.equal(summary.logErrors.uncaught, 4);
  });

  it('a target-exited event marks the target as exited', () => {
    assert.equal(summarize([ev.sent(0, 0)]).targetExited, false);
    assert.equal(summarize([ev.sent(0, 0), ev.exited(100)]).targetExited, true);
  });
});
