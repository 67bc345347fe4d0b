import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { NdjsonSink, readNdjson } from '../../../src/report/ndjson-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'harper-replay-ndjson-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const warning = (i: number): RunEvent => ({
  type: 'warning',
  t: 1_000 + i,
  message: `w${i} ${'x'.repeat(i % 97)}`,
});

async function readAll(path: string, onCutOff?: (message: string) => void): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of readNdjson(path, onCutOff)) events.push(event);
  return events;
}

describe('NdjsonSink and readNdjson', () => {
  it('round-trips every event in order, across many flushes and read chunks', async () => {
    const path = join(dir, 'round-trip.ndjson');
    const sink = new NdjsonSink(path);
    const written = Array.from({ length: 20_000 }, (_, i) => warning(i));
    for (const event of written) sink.sink(event);
    await sink.close();
    assert.deepEqual(await readAll(path), written);
  });

  it('writes what it holds as the sink goes, before close (an abrupt end keeps the run so far)', async () => {
    const path = join(dir, 'early.ndjson');
    const sink = new NdjsonSink(path);
    // Beyond one 64 KiB batch: the first batches are on disk already.
    for (let i = 0; i < 2_000; i++) sink.sink(warning(i));
    const early = readFileSync(path, 'utf8').split('\n').length - 1;
    assert.ok(early > 0 && early < 2_000, `${early} lines on disk before close`);
    await sink.close();
    assert.equal((await readAll(path)).length, 2_000);
  });

  it('a process that exits at once (second Ctrl-C) still leaves every event on disk', () => {
    const path = join(dir, 'exit.ndjson');
    const module = new URL('../../../src/report/ndjson-sink.js', import.meta.url).href;
    const script = `
      const { NdjsonSink } = await import(${JSON.stringify(module)});
      const sink = new NdjsonSink(${JSON.stringify(path)});
      for (let i = 0; i < 10; i++) sink.sink({ type: 'warning', t: i, message: 'm' + i });
      process.exit(130);`;
    assert.throws(() => execFileSync(process.execPath, ['--input-type=module', '-e', script]), {
      status: 130,
    });
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 10);
  });

  it('a file that cannot be written is an error at close, not a crash mid-run', async () => {
    const sink = new NdjsonSink(join(dir, 'no-such-dir', 'x.ndjson'));
    sink.sink(warning(1));
    await assert.rejects(sink.close(), /cannot write samples to .*no-such-dir.*ENOENT/);
  });

  it('a last line cut off mid-write is left out with a warning; the events before it count', async () => {
    const path = join(dir, 'cut.ndjson');
    writeFileSync(path, `${JSON.stringify(warning(1))}\n${JSON.stringify(warning(2))}\n`);
    appendFileSync(path, '{"type":"sample","t":3,"sam');
    const warnings: string[] = [];
    const events = await readAll(path, (message) => warnings.push(message));
    assert.deepEqual(events, [warning(1), warning(2)]);
    assert.match(warnings[0] ?? '', /cut\.ndjson:3: the last line is cut off/);
    await assert.rejects(readAll(path), /cut\.ndjson:3: not JSON/, 'without a handler it is an error');
  });

  it('names the line of a corrupt line in the middle, and of a JSON line that is not an event', async () => {
    const path = join(dir, 'corrupt.ndjson');
    writeFileSync(path, `${JSON.stringify(warning(1))}\n{oops\n${JSON.stringify(warning(2))}\n`);
    await assert.rejects(
      readAll(path, () => {}),
      /corrupt\.ndjson:2: not JSON/,
    );
    writeFileSync(path, `\n${JSON.stringify(warning(1))}\r\n[1,2]\n`);
    await assert.rejects(readAll(path), /corrupt\.ndjson:3: not a harper-replay event/);
  });
});
