/**
 * The dependency waits of a --mix run: folded from `dependency-wait` events into the result (zeros without any),
 * told in one summary row, and judged by the dependencyWaitTotal threshold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationsMeta } from '../../../src/events/schema.js';
import { describeDependencyWaits } from '../../../src/report/dependency-waits.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';
import { evaluateThresholds, parseThreshold } from '../../../src/report/thresholds.js';
import { assertNear, at, completeRun, fold, runMeta, STREAM } from './support.js';

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
    const none = { frames: 0, totalMs: 0, maxMs: 0, p99Ms: 0, nudges: 0, uncommitted: 0 };
    assert.equal(
      describeDependencyWaits(none, 40, true),
      'none of 40 frames held (no frame rewrote ids still in flight)',
    );
    assert.equal(describeDependencyWaits(none, 40, false), undefined);
    assert.ok(!formatRunSummary(fold(completeRun())).includes('dependency waits'));
  });

  it('names the waits that never got their commit', () => {
    const waits = { frames: 2, totalMs: 1500, maxMs: 1000, p99Ms: 1000, nudges: 3, uncommitted: 1 };
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
