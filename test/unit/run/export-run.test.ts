/**
 * export as a run over the committed real captures (no node, no tshark: the pcapng bytes are checked by the
 * integration tests with Wireshark's dissectors): every record is exported once, JSON lines rebuild the messages,
 * --connection filters, an existing output needs --force, a corrupt capture exports up to the damage.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RecordKind } from '../../../src/capture/format.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { exportCapture } from '../../../src/run/export-run.js';

const PROXY = 'captures/proxy-two-nodes.hrcap';
const CATCHUP = 'captures/catchup-40x500.hrcap';

async function recordsOf(path: string) {
  const reader = await CaptureReader.open(path);
  const records = [];
  for await (const record of reader.records()) records.push(record);
  await reader.close();
  return records;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'export-run-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exportCapture', () => {
  it('JSON lines: a header line, then one line per record whose payload is the message byte for byte', async () => {
    const out = join(dir, 'catchup.jsonl');
    const result = await exportCapture({
      capture: CATCHUP,
      out,
      format: 'jsonl',
      payload: true,
      force: false,
    });
    const expected = await recordsOf(CATCHUP);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, expected.length + 1);
    assert.equal(JSON.parse(lines[0] ?? '{}').kind, 'header');
    assert.equal(result.records, expected.length);
    assert.equal(result.messages, expected.filter((r) => r.kind === RecordKind.MESSAGE).length);
    assert.equal(result.exitCode, ExitCode.OK);
    assert.equal(result.bytesWritten, (await readFile(out)).length);
    expected.forEach((record, i) => {
      const line = JSON.parse(lines[i + 1] ?? '{}') as { offset: number; payload?: string };
      assert.equal(line.offset, record.offset);
      if (record.kind === RecordKind.MESSAGE) assert.equal(line.payload, record.payload.toString('base64'));
    });
  });

  it('--connection of a connection the capture does not have: usage (2), naming those it has, no file left', async () => {
    const out = join(dir, 'none.jsonl');
    await assert.rejects(
      exportCapture({ capture: CATCHUP, out, format: 'jsonl', payload: false, force: false, connection: 5 }),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.USAGE &&
        error.message === '--connection 5: the capture has connection(s) 1',
    );
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes('none.jsonl')),
      [],
    );
  });

  it('--connection keeps one connection (and the footer)', async () => {
    const all = await recordsOf(PROXY);
    const connections = [
      ...new Set(all.filter((r) => r.kind !== RecordKind.FOOTER).map((r) => r.connection)),
    ];
    assert.ok(connections.length > 1, 'the proxy capture holds several connections');
    const chosen = connections[1] as number;
    const out = join(dir, 'one.jsonl');
    const result = await exportCapture({
      capture: PROXY,
      out,
      format: 'jsonl',
      payload: false,
      force: false,
      connection: chosen,
    });
    const kept = all.filter((r) => r.kind === RecordKind.FOOTER || r.connection === chosen);
    assert.equal(result.records, kept.length);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n').slice(1);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { kind: string; connection: number; payload?: string };
      if (parsed.kind !== 'footer') assert.equal(parsed.connection, chosen);
      assert.equal(parsed.payload, undefined, '--no-payload');
    }
  });

  it('pcapng: starts with a Section Header Block and counts its packets', async () => {
    const out = join(dir, 'proxy.pcapng');
    const result = await exportCapture({
      capture: PROXY,
      out,
      format: 'pcapng',
      payload: false,
      force: false,
    });
    const bytes = await readFile(out);
    assert.equal(bytes.readUInt32LE(0), 0x0a0d0d0a);
    assert.ok(
      (result.packets ?? 0) > result.messages,
      'handshakes and closes besides one packet per message',
    );
  });

  it('refuses an existing output without --force and leaves it as it was; replaces it with --force', async () => {
    const out = join(dir, 'exists.jsonl');
    await writeFile(out, 'keep me');
    await assert.rejects(
      exportCapture({ capture: CATCHUP, out, format: 'jsonl', payload: false, force: false }),
      (error: unknown) => error instanceof HarperReplayError && /exists/.test(error.message),
    );
    assert.equal(await readFile(out, 'utf8'), 'keep me');
    await exportCapture({ capture: CATCHUP, out, format: 'jsonl', payload: false, force: true });
    assert.notEqual(await readFile(out, 'utf8'), 'keep me');
  });

  it('never writes onto its input, even with --force, and leaves no temporary file', async () => {
    const input = join(dir, 'self.hrcap');
    await writeFile(input, await readFile(CATCHUP));
    const before = await readFile(input);
    for (const force of [false, true]) {
      await assert.rejects(
        exportCapture({ capture: input, out: input, format: 'pcapng', payload: true, force }),
        (error: unknown) =>
          error instanceof HarperReplayError && error.exitCode === 2 && /is the input/.test(error.message),
      );
    }
    assert.deepEqual(await readFile(input), before);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.partial')),
      [],
    );
  });

  it('a corrupt capture exports the records before the damage and names its offset (exit 6)', async () => {
    const good = await readFile(CATCHUP);
    const records = await recordsOf(CATCHUP);
    const damaged = records[5];
    assert.ok(damaged);
    const bad = Buffer.from(good);
    bad[damaged.offset + 2] = (bad[damaged.offset + 2] ?? 0) ^ 0xff; // inside the record head: its CRC no longer matches
    const capture = join(dir, 'corrupt.hrcap');
    await writeFile(capture, bad);
    const out = join(dir, 'corrupt.jsonl');
    const result = await exportCapture({ capture, out, format: 'jsonl', payload: false, force: false });
    assert.equal(result.exitCode, ExitCode.BAD_INPUT);
    assert.equal(result.records, 5);
    assert.match(result.error ?? '', new RegExp(`offset ${damaged.offset}|byte ${damaged.offset}`));
    assert.equal((await readFile(out, 'utf8')).trimEnd().split('\n').length, 6);
  });

  it('a file that is not a capture is refused before any output is created', async () => {
    const capture = join(dir, 'not-a-capture.hrcap');
    await writeFile(capture, 'hello');
    const out = join(dir, 'never.jsonl');
    await assert.rejects(exportCapture({ capture, out, format: 'jsonl', payload: false, force: false }));
    await assert.rejects(readFile(out), { code: 'ENOENT' });
  });
});

describe('exportCapture stopped by a signal', () => {
  for (const [reason, code] of [
    ['SIGHUP', ExitCode.HANGUP],
    ['SIGINT', ExitCode.INTERRUPTED],
    ['SIGTERM', ExitCode.INTERRUPTED],
  ] as const) {
    it(`${reason}: exit ${code}, the output keeps what was exported`, async () => {
      const out = join(dir, `stopped-${reason}.jsonl`);
      const controller = new AbortController();
      controller.abort(reason);
      const result = await exportCapture({
        capture: CATCHUP,
        out,
        format: 'jsonl',
        payload: false,
        force: false,
        signal: controller.signal,
      });
      assert.equal(result.interrupted, true);
      assert.equal(result.exitCode, code);
      assert.equal(JSON.parse((await readFile(out, 'utf8')).split('\n')[0] ?? '{}').kind, 'header');
    });
  }
});
