/** bench's flags: the matrix, the workload of every run, and what every run shares. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { benchFlags, benchOptions } from '../../../src/cli/bench-options.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { runBench } from '../../../src/run/bench-run.js';
import { parseFlags, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const flags = { ...loadFlags, ...benchFlags };
const parse = (...argv: string[]) => parseFlags(flags, argv);

describe('bench options', () => {
  it('--set or --search is required', async () => {
    await assert.rejects(
      parse().then(benchOptions),
      /bench needs --set KEY=v1,v2 \(settings to compare\) or --search/,
    );
  });

  it('the matrix, three repetitions, the default preset verified, one seed for every run', async () => {
    const bench = benchOptions(
      await parse(
        '--set',
        'replication_recordConcurrency=2,150',
        '--set',
        'THREADS_COUNT=1,2',
        '--frames',
        '5',
      ),
    );
    assert.deepEqual(bench.sets, [
      ['REPLICATION_RECORDCONCURRENCY', ['2', '150']],
      ['THREADS_COUNT', ['1', '2']],
    ]);
    assert.equal(bench.repeat, 3);
    assert.deepEqual(
      [bench.database, bench.table, bench.capture, bench.samples, bench.html],
      ['data', 'harper_replay_synth', undefined, undefined, undefined],
    );
    assert.deepEqual(bench.workload, {
      preset: 'oversized-10k',
      frames: 5,
      recordsPerFrame: 10_000,
      recordSize: 256,
      blobSize: 0,
      blobsPerFrame: undefined,
      seed: 1,
    });
    assert.equal(bench.base.verify, true);
    assert.equal(bench.base.database, 'data');
  });

  it("a preset's node settings and reconnects; a capture instead of synth is not verified by count", async () => {
    const bench = benchOptions(
      await parse(
        '--set',
        'A=1',
        '--preset',
        'oom-crashloop',
        '--capture',
        'captures/catchup-40x500.hrcap',
        '--samples',
        'b.ndjson',
        '--html',
        'b.html',
        '--repeat',
        '1',
      ),
    );
    assert.deepEqual(bench.nodeConfig, { THREADS_MAXHEAPMEMORY: '200' });
    assert.equal(bench.base.maxReconnects, 1);
    assert.equal(bench.base.verify, false);
    assert.deepEqual(
      [bench.capture, bench.samples, bench.html, bench.repeat],
      ['captures/catchup-40x500.hrcap', 'b.ndjson', 'b.html', 1],
    );
  });

  it('an unknown preset, a bad --set or a bad size is an error naming it', async () => {
    await assert.rejects(
      parse('--set', 'A=1', '--preset', 'nope').then(benchOptions),
      /unknown preset "nope"; choose one of: catchup-40x500/,
    );
    await assert.rejects(parse('--set', 'NOEQUALS').then(benchOptions), /--set "NOEQUALS" is not KEY=v1,v2/);
    await assert.rejects(
      parse('--set', 'A=1', '--record-size', 'big').then(benchOptions),
      /"big" is not a size/,
    );
  });

  it('refuses a setting given twice, and a --capture that is missing, a directory or no capture, before any node is touched', async () => {
    await assert.rejects(
      parse('--set', 'A=1,2', '--set', 'a=3').then(benchOptions),
      /--set A is given twice: list all its values in one --set A=v1,v2/,
    );
    // The one check of the capture is runBench's first step (it indexes the file once for every run).
    for (const [path, message] of [
      ['no/such.hrcap', /no such file: no\/such\.hrcap/],
      ['captures', /captures is a directory, not a file/],
      ['README.md', /README\.md: .*not a harper-replay capture/],
    ] as const) {
      const logged: string[] = [];
      await assert.rejects(
        parse('--set', 'A=1', '--capture', path)
          .then(benchOptions)
          .then((options) => runBench(options, (line) => logged.push(line))),
        (error: unknown) =>
          error instanceof HarperReplayError &&
          error.exitCode === ExitCode.BAD_INPUT &&
          message.test(error.message),
        path,
      );
      assert.deepEqual(logged, [], 'nothing started or reconfigured');
    }
  });

  it('checks every numbered --samples file and the --html file against the capture', async () => {
    await assert.rejects(
      parse(
        '--set',
        'A=1',
        '--capture',
        'captures/catchup-40x500.hrcap',
        '--html',
        'captures/catchup-40x500.hrcap',
      ).then(benchOptions),
      /--html captures\/catchup-40x500\.hrcap is the input/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bench-options-'));
    writeFileSync(join(dir, 'bench-2.ndjson'), 'an earlier run');
    await assert.rejects(
      parse('--set', 'A=1,2', '--repeat', '1', '--samples', join(dir, 'bench.ndjson')).then(benchOptions),
      /--samples .*bench-2\.ndjson exists: pass --force/,
    );
    const forced = await parse(
      '--set',
      'A=1,2',
      '--repeat',
      '1',
      '--samples',
      join(dir, 'bench.ndjson'),
      '--force',
    );
    assert.equal(benchOptions(forced).force, true);
  });
});
