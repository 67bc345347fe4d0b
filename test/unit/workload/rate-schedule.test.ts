import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  constantSchedule,
  framesWithin,
  parseStages,
  rateAt,
  stageAmount,
  stageAt,
  stageLabel,
  timeOfAmount,
  totalAmount,
  totalDurationMs,
} from '../../../src/workload/rate-schedule.js';

describe('parseStages', () => {
  it('reads holds and ramps in one unit (k6 stages, a hold written D:R, a ramp D:A-B)', () => {
    assert.deepEqual(parseStages('30s:0-5000rps,10m:5000rps,30s:5000-0rps'), {
      unit: 'rps',
      stages: [
        { durationMs: 30_000, from: 0, to: 5000 },
        { durationMs: 600_000, from: 5000, to: 5000 },
        { durationMs: 30_000, from: 5000, to: 0 },
      ],
    });
    assert.deepEqual(parseStages('2s:1.5'), {
      unit: 'fps',
      stages: [{ durationMs: 2000, from: 1.5, to: 1.5 }],
    });
    assert.equal(parseStages('1s:0-10,1s:10fps').unit, 'fps', 'a bare stage takes the unit of the others');
  });

  it('refuses nonsense with one line', () => {
    const cases: Array<[string, RegExp]> = [
      ['0s:100rps', /duration must be more than 0/],
      ['10s:-5rps', /is not DURATION:RATE|is not a rate/],
      ['10s:5-rps', /is not a rate/],
      ['10s:0rps,5s:0-0rps', /ask for nothing/],
      ['10s:5rps,10s:5fps', /same unit/],
      ['10s', /is not DURATION:RATE/],
      ['abc:5rps', /is not a duration/],
      ['10s:5rpm', /is not a rate/],
      ['', /is not DURATION:RATE/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => parseStages(text),
        (error: Error) => {
          assert.match(error.message, pattern, text);
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
    }
  });
});

describe('schedule math', () => {
  const ramp = parseStages('5s:0-2000rps,10s:2000rps,5s:2000-0rps');

  it('integrates each stage (a ramp asks for half its hold)', () => {
    assert.deepEqual(
      ramp.stages.map((s) => stageAmount(s)),
      [5000, 20_000, 5000],
    );
    assert.equal(totalAmount(ramp), 30_000);
    assert.equal(totalDurationMs(ramp), 20_000);
  });

  it('timeOfAmount inverts the integral: a ramp from 0 reaches x at sqrt(2 x D / R)', () => {
    assert.equal(timeOfAmount(ramp, 0), 0);
    // 0→2000 over 5 s: amount(t) = 200 t², so 1250 records by 2.5 s.
    assert.ok(Math.abs(timeOfAmount(ramp, 1250)! - 2500) < 1e-6);
    assert.ok(Math.abs(timeOfAmount(ramp, 5000)! - 5000) < 1e-6);
    assert.ok(Math.abs(timeOfAmount(ramp, 15_000)! - 10_000) < 1e-6);
    // The ramp down: 25,000 + 2000 t − 200 t², so 28,750 at t = 2.5 s into it (17.5 s).
    assert.ok(Math.abs(timeOfAmount(ramp, 28_750)! - 17_500) < 1e-6);
    assert.ok(Math.abs(timeOfAmount(ramp, 30_000)! - 20_000) < 1e-6);
    assert.equal(timeOfAmount(ramp, 30_001), undefined, 'past what the schedule asks for');
  });

  it('timeOfAmount is increasing and its amount matches the integral (any schedule)', () => {
    const stage = fc.record({
      durationMs: fc.integer({ min: 1, max: 100_000 }),
      from: fc.integer({ min: 0, max: 10_000 }),
      to: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(stage, { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (stages, share) => {
          const schedule = { unit: 'rps' as const, stages };
          const total = totalAmount(schedule);
          fc.pre(total > 1);
          const amount = total * share;
          const t = timeOfAmount(schedule, amount)!;
          assert.ok(t >= 0 && t <= totalDurationMs(schedule) + 1e-6);
          // Integrate the rate up to t piece by piece: within a stage the rate is linear, so its value at a
          // piece's midpoint times the piece's length is exact (a fixed step misses a 1 ms spike of 1,387/s).
          let integral = 0;
          let start = 0;
          for (const { durationMs } of stages) {
            const end = Math.min(start + durationMs, t);
            if (end > start) integral += (rateAt(schedule, (start + end) / 2) * (end - start)) / 1000;
            start += durationMs;
            if (start >= t) break;
          }
          assert.ok(Math.abs(integral - amount) <= Math.max(1e-6, total * 1e-9), `${integral} vs ${amount}`);
          assert.ok(timeOfAmount(schedule, amount * 0.5)! <= t + 1e-9);
        },
      ),
    );
  });

  it('stageAt, rateAt, labels', () => {
    assert.equal(stageAt(ramp, 0), 0);
    assert.equal(stageAt(ramp, 4999), 0);
    assert.equal(stageAt(ramp, 5000), 1);
    assert.equal(stageAt(ramp, 19_999), 2);
    assert.equal(stageAt(ramp, 25_000), 2, 'after the end: the last stage');
    assert.equal(rateAt(ramp, 2500), 1000);
    assert.equal(rateAt(ramp, 7000), 2000);
    assert.equal(rateAt(ramp, 20_000), 0);
    assert.equal(stageLabel(ramp.stages[0]!, 'rps'), '5s 0→2,000 rps');
    assert.equal(stageLabel({ durationMs: 600_000, from: 5000, to: 5000 }, 'rps'), '10m at 5,000 rps');
  });

  it('framesWithin: every frame whose first unit is due before the end', () => {
    assert.equal(framesWithin(ramp, 100), 300);
    assert.equal(framesWithin(ramp, 7), Math.ceil(30_000 / 7));
    assert.equal(framesWithin(constantSchedule(0.5, 'fps', 20_000), 1), 10);
    assert.equal(framesWithin(constantSchedule(3, 'fps', 1000), 1), 3);
  });
});
