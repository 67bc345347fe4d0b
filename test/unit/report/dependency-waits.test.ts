/**
 * The dependency waits of a --mix run: folded from `dependency-wait` events into the result (zeros without any),
 * told in one summary row, and judged by the dependencyWaitTotal threshold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationsMeta } from '../../../src/events/schema.js';
import { describeDependencyWaits, likelyLossCause } from '../../../src/report/dependency-waits.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';
import { evaluateThresholds, parseThreshold } from '../../../src/report/thresholds.js';
import { assertNear, at, completeRun, ev, fold, runMeta, STREAM, T0 } from './support.js';

const MIX: OperationsMeta = {
  mix: 'insert=70,update=25,delete=5',
  keys: 'zipf:1.1',
  planned: { insert: 28, update: 10, delete: 2 },
  sent: { insert: 29, update: 9, delete: 2 },
};

const held = (ms: number, frame: number, waitedMs: number, nudges = 0, committed = true) =>
  at(ms, {
    type: 'dependency-wait',
    frame,
    dependsOn: frame - 1,
    waitedMs,
    nudges,
    committed,
    stream: STREAM.stream,
  });

/** completeRun's four frames: 1, 2 and 3 each held for the one before. */
const mixRun = (thresholds: string[] = []) =>
  completeRun([held(1240, 1, 140), held(1480, 2, 80.5), held(1990, 3, 610, 1)], {
    meta: { workload: { ...runMeta().workload, operations: MIX }, thresholds },
  });

describe('dependency waits in the result', () => {
  it('sums the held frames, their time and nudges; the largest wait is the max and, of three, the p99', () => {
    const waits = fold(mixRun()).dependencyWaits;
    assert.equal(waits.frames, 3);
    assert.equal(waits.totalMs, 830.5);
    assert.equal(waits.maxMs, 610);
    assertNear(waits.p99Ms, 610, 'p99');
    assert.equal(waits.nudges, 1);
    assert.equal(waits.uncommitted, 0);
  });

  it('a run that held nothing reports zeros (the field is always there)', () => {
    assert.deepEqual(fold(completeRun()).dependencyWaits, {
      frames: 0,
      totalMs: 0,
      maxMs: 0,
      p99Ms: 0,
      nudges: 0,
      uncommitted: 0,
      wait: 'on',
      inFlight: 0,
    });
  });

  it('counts a wait that ended without the commit', () => {
    const waits = fold(completeRun([held(2900, 3, 60_000, 120, false)])).dependencyWaits;
    assert.equal(waits.uncommitted, 1);
    assert.equal(waits.nudges, 120);
  });
});

describe('the dependency waits row of the summary', () => {
  it('says how many of the frames sent were held, for how long, and why', () => {
    const row = formatRunSummary(fold(mixRun()))
      .split('\n')
      .find((line) => line.includes('dependency waits'));
    assert.equal(
      row,
      "  dependency waits   3 of 4 frames held for their dependency's ack, total 831 ms, max 610 ms, p99 610 ms, 1 nudge — 4.7.29 drops a frame read before the frame it rewrites committed",
    );
  });

  it('a mix run that held nothing says so; a run without a mix has no row', () => {
    const none = {
      frames: 0,
      totalMs: 0,
      maxMs: 0,
      p99Ms: 0,
      nudges: 0,
      uncommitted: 0,
      wait: 'on' as const,
      inFlight: 0,
    };
    assert.equal(
      describeDependencyWaits(none, 40, true),
      'none of 40 frames held (no frame rewrote ids still in flight)',
    );
    assert.equal(describeDependencyWaits(none, 40, false), undefined);
    assert.ok(!formatRunSummary(fold(completeRun())).includes('dependency waits'));
  });

  it('names the waits that never got their commit', () => {
    const waits = {
      frames: 2,
      totalMs: 1500,
      maxMs: 1000,
      p99Ms: 1000,
      nudges: 3,
      uncommitted: 1,
      wait: 'on' as const,
      inFlight: 0,
    };
    assert.match(describeDependencyWaits(waits, 10, true) ?? '', /, 3 nudges, 1 never committed — /);
  });
});

describe('the dependencyWaitTotal threshold', () => {
  it('passes under the limit and breaches over it (exit 99)', () => {
    const passed = fold(mixRun(['dependencyWaitTotal<1s']));
    assert.deepEqual(
      passed.thresholds.map((t) => [t.value, t.ok]),
      [[830.5, true]],
    );
    const breached = fold(mixRun(['dependencyWaitTotal<800ms']));
    assert.equal(breached.thresholds[0]?.ok, false);
    assert.equal(breached.exitCode, 99);
  });

  it('has no value (a breach) on a result of an older tool, which never waited and never said so', () => {
    const { dependencyWaits: _, ...older } = fold(completeRun());
    const [verdict] = evaluateThresholds([parseThreshold('dependencyWaitTotal<10s')], older);
    assert.deepEqual([verdict?.value, verdict?.ok], [null, false]);
  });
});

describe('--no-dependency-wait', () => {
  const OFF: OperationsMeta = { ...MIX, dependencyWait: 'off' };
  const inFlight = (ms: number, frame: number) =>
    at(ms, { type: 'dependency-in-flight', frame, dependsOn: frame - 1, stream: STREAM.stream });
  /** completeRun with the wait off: frames 1 and 3 went while the frame before was in flight; `landed` records. */
  const offRun = (landed: number) =>
    completeRun([inFlight(1250, 1), inFlight(2000, 3)], {
      meta: { workload: { ...runMeta().workload, operations: OFF } },
    }).map((e) => (e.type === 'verify' ? ev.verify(e.t - T0, 40, landed) : e));

  it('the result says the wait was off and counts the frames sent while their dependency was in flight', () => {
    const waits = fold(offRun(40)).dependencyWaits;
    assert.equal(waits.wait, 'off');
    assert.equal(waits.inFlight, 2);
    assert.equal(waits.frames, 0);
    const on = fold(mixRun()).dependencyWaits;
    assert.equal(on.wait, 'on');
    assert.equal(on.inFlight, 0);
  });

  it('the summary row says off and the count; a short verification names the likely cause', () => {
    const lines = formatRunSummary(fold(offRun(31))).split('\n');
    assert.equal(
      lines.find((line) => line.includes('dependency waits')),
      '  dependency waits   off (--no-dependency-wait): 2 of 4 frames sent while the frame whose ids they rewrite was in flight',
    );
    const verify = lines.findIndex((line) => line.startsWith('  verify'));
    assert.match(lines[verify]!, /31 of 40 records on the target — MISMATCH/);
    assert.match(
      lines[verify + 1]!,
      /^ {21}likely cause: 2 frames sent before the frame whose ids they rewrite was committed/,
    );
    // All there: no cause to name.
    assert.ok(!formatRunSummary(fold(offRun(40))).includes('likely cause'));
  });

  it('likelyLossCause: only with the wait off, frames in flight and fewer records than expected', () => {
    const waits = fold(offRun(31)).dependencyWaits;
    assert.match(
      likelyLossCause(waits, { expectedRecords: 40, targetRecords: 31 }) ?? '',
      /^likely cause: 2 frames/,
    );
    assert.equal(likelyLossCause(waits, { expectedRecords: 40, targetRecords: 40 }), undefined);
    assert.equal(likelyLossCause(waits, { expectedRecords: 40, targetRecords: null }), undefined);
    assert.equal(
      likelyLossCause({ ...waits, inFlight: 0 }, { expectedRecords: 40, targetRecords: 31 }),
      undefined,
    );
    assert.equal(
      likelyLossCause({ ...waits, wait: 'on' }, { expectedRecords: 40, targetRecords: 31 }),
      undefined,
    );
  });
});
