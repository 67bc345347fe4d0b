/** export's flags: the format (given, or from the output's name) and the output. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/cli/base-command.js';
import { exportFlags, exportOptions, formatOf } from '../../../src/cli/export-options.js';
import { parseFlags, refuses } from './support.js';

const parse = (...argv: string[]) => parseFlags(exportFlags, argv);

describe('export options', () => {
  it('tells the format from the output name', () => {
    assert.equal(formatOf('a.pcapng'), 'pcapng');
    assert.equal(formatOf('a.PCAP'), 'pcapng');
    assert.equal(formatOf('a.jsonl'), 'jsonl');
    assert.equal(formatOf('a.ndjson'), 'jsonl');
    assert.equal(formatOf('a.txt'), undefined);
    assert.equal(formatOf('-'), undefined);
  });

  it('by default: pcapng next to the capture, payloads in, no overwrite', async () => {
    assert.deepEqual(exportOptions('test/run.hrcap', await parse(), false), {
      capture: 'test/run.hrcap',
      out: 'test/run.pcapng',
      format: 'pcapng',
      payload: true,
      // oclif leaves a boolean flag without a default undefined when it is not given.
      force: undefined,
    });
    const jsonl = exportOptions(
      'run.hrcap',
      await parse('--format', 'jsonl', '--no-payload', '--connection', '3', '--force'),
      false,
    );
    assert.deepEqual(jsonl, {
      capture: 'run.hrcap',
      out: 'run.jsonl',
      format: 'jsonl',
      payload: false,
      force: true,
      connection: 3,
    });
    assert.equal(exportOptions('run.hrcap', await parse('--out', 'x.ndjson'), false).format, 'jsonl');
    assert.equal(exportOptions('run.hrcap', await parse('--out', '-', '--format', 'jsonl'), false).out, '-');
  });

  it('refuses an output name without a format, stdout under --json, and an unknown --format', async () => {
    const txt = await parse('--out', 'x.txt');
    assert.throws(
      () => exportOptions('run.hrcap', txt, false),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message === 'cannot tell the format from --out x.txt: pass --format pcapng or --format jsonl',
    );
    const stdout = await parse('--out', '-', '--format', 'pcapng');
    assert.throws(
      () => exportOptions('run.hrcap', stdout, true),
      /--json prints the result on stdout: give --out a file/,
    );
    await refuses(exportFlags, ['--format', 'pcap'], /Expected --format=pcap to be one of: pcapng, jsonl/);
  });
});
