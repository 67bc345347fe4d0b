import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'junit2json';
import type { BenchRun, BenchSetting } from '../../../src/report/bench-analysis.js';
import { benchSuites, renderJunit, runSuite, writeJunit } from '../../../src/report/junit.js';
import { evaluateThresholds, notEvaluated, parseThreshold } from '../../../src/report/thresholds.js';
import { completeRun, ev, fold, MiB } from './support.js';

const run = (peakMiB: number) => fold(completeRun([ev.proc(1200, peakMiB * MiB)]));
const judge = (peakMiB: number, expressions: string[]) =>
  evaluateThresholds(expressions.map(parseThreshold), run(peakMiB));

interface Parsed {
  tests: number;
  failures?: number;
  errors?: number;
  testsuite: Array<{
    name: string;
    testcase: Array<{
      name: string;
      failure?: Array<{ message: string }>;
      error?: Array<{ message: string }>;
    }>;
  }>;
}

describe('renderJunit', () => {
  it('one test case per threshold; a failure carries the measured value', async () => {
    const verdicts = judge(400, ['peakRss<300MiB', 'committedRecords==40', 'oomEvents==0']);
    const parsed = (await parse(renderJunit([runSuite('synth', verdicts)]))) as Parsed;
    assert.equal(parsed.tests, 3);
    assert.equal(parsed.failures, 1);
    const cases = parsed.testsuite[0]!.testcase;
    assert.deepEqual(
      cases.map((c) => c.name),
      ['peakRss<300MiB', 'committedRecords==40', 'oomEvents==0'],
    );
    assert.match(cases[0]!.failure![0]!.message, /peakRss<300MiB breached: measured 400\.0 MiB/);
    assert.equal(cases[1]!.failure, undefined);
  });

  it('a threshold not evaluated is an error, not a pass', async () => {
    const verdicts = notEvaluated([parseThreshold('peakRss<1GiB')]);
    const parsed = (await parse(renderJunit([runSuite('synth', verdicts)]))) as Parsed;
    assert.equal(parsed.errors, 1);
    assert.match(parsed.testsuite[0]!.testcase[0]!.error![0]!.message, /not evaluated/);
  });

  it('bench: a suite per setting, a failure when any repetition breached', async () => {
    const benchRun = (combination: number, peak: number): BenchRun => ({
      combination,
      repetition: 0,
      applied: {},
      result: { ...run(peak), thresholds: judge(peak, ['peakRss<350MiB']) },
    });
    const setting = (value: string) =>
      ({ set: { REPLICATION_RECORDCONCURRENCY: value } }) as unknown as BenchSetting;
    const runs = [benchRun(0, 300), benchRun(1, 340), benchRun(0, 310), benchRun(1, 360)];
    const parsed = (await parse(renderJunit(benchSuites([setting('2'), setting('150')], runs)))) as Parsed;
    assert.deepEqual(
      parsed.testsuite.map((s) => [s.name, s.testcase.length]),
      [
        ['bench REPLICATION_RECORDCONCURRENCY=2', 1],
        ['bench REPLICATION_RECORDCONCURRENCY=150', 1],
      ],
    );
    assert.equal(parsed.testsuite[0]!.testcase[0]!.failure, undefined);
    assert.match(
      parsed.testsuite[1]!.testcase[0]!.failure![0]!.message,
      /breached in 1 of 2 runs: measured 340\.0 MiB, 360\.0 MiB/,
    );
  });

  it('writeJunit refuses an existing file without force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'junit-'));
    const path = join(dir, 'out.xml');
    writeFileSync(path, 'mine');
    await assert.rejects(
      writeJunit(path, [runSuite('synth', judge(1, ['peakRss<1GiB']))], false),
      /appeared/,
    );
    assert.equal(readFileSync(path, 'utf8'), 'mine');
    await writeJunit(path, [runSuite('synth', judge(1, ['peakRss<1GiB']))], true);
    assert.match(readFileSync(path, 'utf8'), /<testcase classname="synth" name="peakRss&lt;1GiB">/);
  });
});
