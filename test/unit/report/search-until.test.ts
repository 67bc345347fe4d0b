import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeProbe, parseUntil } from '../../../src/report/search-until.js';
import { completeRun, ev, fold } from './support.js';

describe('parseUntil', () => {
  it('reads one term or several joined by ||', () => {
    assert.deepEqual(
      parseUntil('oomEvents>0').map((t) => [t.metric, t.operator, t.limit]),
      [['oomEvents', '>', 0]],
    );
    assert.deepEqual(
      parseUntil(' oomEvents>0 || ackP99>10s||peakRss>=1GiB ').map((t) => [t.metric, t.operator, t.limit]),
      [
        ['oomEvents', '>', 0],
        ['ackP99', '>', 10_000],
        ['peakRss', '>=', 2 ** 30],
      ],
    );
  });
  it('refuses an empty term, an unknown metric and a delta, naming it', () => {
    assert.throws(() => parseUntil('oomEvents>0 ||'), /empty term around \|\|/);
    assert.throws(() => parseUntil('oomEvent>0'), /unknown metric "oomEvent"/);
    assert.throws(() => parseUntil('peakRss>+10%'), /change against a baseline/);
  });
});

describe('judgeProbe', () => {
  const clean = fold(completeRun());
  const withOom = fold(completeRun([ev.log(1800, 'oom', 'ERR_WORKER_OUT_OF_MEMORY')]));

  it('a term that holds fails the probe and names it with its value', () => {
    const judged = judgeProbe(parseUntil('ackP99>10s || oomEvents>0'), withOom, true);
    assert.equal(judged.outcome, 'fail');
    assert.equal(judged.reason, 'oomEvents>0 (1)');
    assert.deepEqual(
      judged.terms.map((t) => [t.expression, t.holds]),
      [
        ['ackP99>10s', false],
        ['oomEvents>0', true],
      ],
    );
  });

  it('no term holds: a pass', () => {
    const judged = judgeProbe(parseUntil('oomEvents>0 || ackP99>10s'), clean, true);
    assert.equal(judged.outcome, 'pass');
    assert.deepEqual(
      judged.terms.map((t) => t.value),
      [0, clean.committed.ackLatencyMs.p99],
    );
  });

  it('a run that never reached its target is an error, not a fail', () => {
    const judged = judgeProbe(
      parseUntil('oomEvents>0'),
      { ...clean, exitCode: 4, error: 'connection refused' },
      false,
    );
    assert.equal(judged.outcome, 'error');
    assert.equal(judged.reason, 'connection refused');
    assert.deepEqual(judged.terms, [{ expression: 'oomEvents>0', value: null, holds: null }]);
  });

  it('a term without a value cannot pass: an error unless another term holds', () => {
    const noMemory = judgeProbe(parseUntil('peakRss>1GiB'), clean, true);
    assert.equal(clean.memory.peakRss, null, 'the fixture has no memory sample');
    assert.equal(noMemory.outcome, 'error');
    assert.match(noMemory.reason, /not measured, so not judged: peakRss>1GiB/);
    assert.equal(judgeProbe(parseUntil('peakRss>1GiB || oomEvents>0'), withOom, true).outcome, 'fail');
  });

  it('a failed run that --until does not name is an error that says how to count it', () => {
    const judged = judgeProbe(
      parseUntil('oomEvents>0'),
      { ...clean, exitCode: 1, error: 'the target dropped the stream 1 times' },
      true,
    );
    assert.equal(judged.outcome, 'error');
    assert.match(
      judged.reason,
      /^the target dropped the stream 1 times — not a failure by --until .*workerDeaths>0/,
    );
  });
});
