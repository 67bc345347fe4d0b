import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchRun } from '../../../src/report/bench-analysis.js';
import {
  compareRuns,
  compareSettings,
  formatComparison,
  formatMetric,
  formatSettingComparisons,
} from '../../../src/report/comparison.js';
import { completeRun, ev, fold, MiB } from './support.js';

const run = (peakMiB: number) => fold(completeRun([ev.proc(1200, peakMiB * MiB)]));
const files = { runFiles: ['new.ndjson'], baselineFiles: ['old.ndjson'] };

describe('compareRuns', () => {
  it('one run a side: deltas, absolute and %, and no significance', () => {
    const comparison = compareRuns([run(330)], [run(300)], files);
    const peak = comparison.metrics.find((m) => m.metric === 'peakRss')!;
    assert.deepEqual([peak.run, peak.baseline, peak.delta], [330 * MiB, 300 * MiB, 30 * MiB]);
    assert.equal(peak.deltaPct, 10);
    assert.equal(peak.significance, null);
    assert.match(comparison.method, /not judged: significance needs at least 2 runs on each side \(1 vs 1\)/);
    const text = formatComparison(comparison);
    assert.match(text, /peakRss\s+330\.0 MiB\s+300\.0 MiB\s+\+30\.0 MiB\s+\+10\.0 %/);
  });

  it('repetitions: medians, and a significance statement per changed metric', () => {
    const comparison = compareRuns([run(390), run(388), run(392)], [run(300), run(302), run(299)], files);
    const peak = comparison.metrics.find((m) => m.metric === 'peakRss')!;
    assert.equal(peak.delta, 90 * MiB);
    assert.equal(peak.significance?.significant, true);
    assert.match(peak.statement, /^peakRss up 90\.0 MiB: significant \(95 % CI \+\d/);
    assert.match(
      comparison.method,
      /bootstrap percentile CI of the difference of medians .*3 runs vs 3 baseline runs/,
    );
    // Identical runs on both sides: unchanged, not listed as a significance line.
    const same = comparison.metrics.find((m) => m.metric === 'committedRecords')!;
    assert.equal(same.delta, 0);
    assert.doesNotMatch(formatComparison(comparison), /committedRecords unchanged/);
  });

  it('overlapping repetitions: no significant difference', () => {
    const comparison = compareRuns([run(300), run(320), run(305)], [run(310), run(298), run(318)], files);
    const peak = comparison.metrics.find((m) => m.metric === 'peakRss')!;
    assert.equal(peak.significance?.significant, false);
    assert.match(peak.statement, /no significant difference/);
  });

  it('formats values in their units', () => {
    assert.equal(formatMetric(null, 'bytes'), '–');
    assert.equal(formatMetric(-2 * MiB, 'bytes', true), '−2.00 MiB');
    assert.equal(formatMetric(1500, 'ms'), '1.50 s');
    assert.equal(formatMetric(12.345, 'rate'), '12.35/s');
  });
});

describe('compareSettings (bench)', () => {
  it('each setting against the first, over its repetitions, on the bench metrics only', () => {
    const benchRun = (combination: number, peak: number): BenchRun => ({
      combination,
      repetition: 0,
      applied: {},
      samples: `b-${combination}-${peak}.ndjson`,
      result: run(peak),
    });
    const settings = [{ set: { A: '2' } }, { set: { A: '150' } }, { set: { A: '20' } }];
    const runs = [
      benchRun(0, 400),
      benchRun(1, 300),
      benchRun(2, 401),
      benchRun(0, 402),
      benchRun(1, 303),
      benchRun(2, 399),
    ];
    const [high, mid] = compareSettings(settings, runs);
    assert.deepEqual([high!.set, high!.against], [{ A: '150' }, { A: '2' }]);
    assert.deepEqual(high!.comparison.runFiles, ['b-1-300.ndjson', 'b-1-303.ndjson']);
    assert.deepEqual(high!.comparison.metrics.map((m) => m.metric).sort(), [
      'ackP99',
      'pausedMs',
      'pauses',
      'peakRss',
      'recordsPerSec',
      'rssGrowth',
      'workerDeaths',
    ]);
    const peak = (c: typeof high) => c!.comparison.metrics.find((m) => m.metric === 'peakRss')!;
    assert.equal(peak(high).delta, -99.5 * MiB);
    assert.equal(peak(high).significance?.significant, true);
    assert.equal(peak(mid).significance?.significant, false);
    const text = formatSettingComparisons([high!, mid!]);
    assert.match(text, /^A=150 against A=2 — bootstrap percentile CI/);
    assert.match(text, /peakRss down 99\.5 MiB: significant/);
    assert.match(text, /A=20 against A=2 .*\n {2}peakRss (up|down) [^\n]*no significant difference/);
  });
});
