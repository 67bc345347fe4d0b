/**
 * `export` of real captures (made by the tool against harperdb 4.7.29, in captures/) to pcapng, read back with
 * tshark: Wireshark follows every TCP stream without a complaint, decodes the WebSocket layer, and the bytes of
 * every message it reassembles are the capture's. And to JSON lines, read back with JSON.parse. Damaged captures
 * export what they hold, and say so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RecordKind } from '../../src/capture/format.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { ExitCode } from '../../src/common/errors.js';
import { frameTypeName } from '../../src/protocol/control-frame.js';
import { BIN, runCli } from '../helpers/harper.js';
import { writeTimedCapture } from '../helpers/synthetic-capture.js';
import { tshark, tsharkFields } from '../helpers/tshark.js';

const captures = new URL('../../../captures/', import.meta.url).pathname;
const CATCHUP = join(captures, 'catchup-40x500.hrcap');
const PROXY = join(captures, 'proxy-two-nodes.hrcap');
const dir = mkdtempSync(join(tmpdir(), 'harper-replay-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

async function messages(path: string): Promise<Array<{ connection: number; hex: string; type: string }>> {
  const reader = await CaptureReader.open(path);
  const out = [];
  for await (const record of reader.records())
    if (record.kind === RecordKind.MESSAGE)
      out.push({
        connection: record.connection,
        hex: record.payload.toString('hex'),
        type: frameTypeName(record.payload),
      });
  await reader.close();
  return out;
}

/** Nothing Wireshark flags: no TCP analysis warnings (lost segments, bad acks), nothing malformed. */
function assertClean(pcap: string): void {
  assert.equal(
    tshark(pcap, ['-Y', 'tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning']),
    '',
  );
}

describe('export to pcapng (read back by tshark)', () => {
  it('a subscriber capture: one TCP stream, the upgrade, every message as a WebSocket frame with its bytes', async () => {
    const out = file('catchup.pcapng');
    const run = await runCli(['export', CATCHUP, '--out', out, '--json']);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.format, 'pcapng');
    assert.equal(result.messages, 49);
    assertClean(out);
    const expected = await messages(CATCHUP);
    const binary = tsharkFields(out, 'websocket.opcode == 2', ['tcp.stream', 'data.data', 'frame.comment']);
    assert.equal(binary.length, expected.length, 'one WebSocket frame per message');
    binary.forEach(([stream, hex, comment], i) => {
      assert.equal(stream, '0');
      assert.equal(hex, expected[i]!.hex, `message ${i}: the bytes Wireshark unmasks are the capture's`);
      assert.match(comment!, /^connection 1: (source → receiver|receiver → source) [A-Z_]+, \d+ bytes$/);
    });
    assert.deepEqual(
      binary.map(([, , comment]) => / ([A-Z_]+), \d+ bytes$/.exec(comment!)?.[1]),
      expected.map((m) => m.type),
      'each packet is commented with its frame type',
    );
    assert.ok(expected.filter((m) => m.type === 'TRANSACTION').length >= 40, 'the 40 catch-up frames');
    const [upgrade] = tsharkFields(out, 'http.request', ['http.request.method', 'http.upgrade']);
    assert.deepEqual(upgrade, ['GET', 'websocket']);
    const [close] = tsharkFields(out, 'websocket.opcode == 8', ['websocket.payload.close.status_code']);
    assert.deepEqual(close, ['1000'], 'the capture ended with its 1000 close');
    assert.doesNotMatch(
      readFileSync(out, 'latin1'),
      /authorization/i,
      'no credentials, not even a header name',
    );
  });

  it('a proxy capture of two nodes: one TCP stream per connection, both directions, closes with their codes', async () => {
    const out = file('proxy.pcapng');
    const run = await runCli(['export', PROXY, '--out', out]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.match(run.stdout, /46 messages \(52 records, \d+ packets\) → .*proxy\.pcapng/);
    assertClean(out);
    const expected = await messages(PROXY);
    const frames = tsharkFields(out, 'websocket.opcode == 2', ['tcp.srcport', 'data.data']);
    assert.deepEqual(
      frames.map(([, hex]) => hex),
      expected.map((m) => m.hex),
    );
    const streams = new Set(tsharkFields(out, 'tcp', ['tcp.stream']).map(([s]) => s));
    assert.equal(streams.size, 3, 'connections 1, 2 and 3');
    // The receiver closed connection 1 without a code (1005, nothing on the wire); the source answered.
    const closes = tsharkFields(out, 'websocket.opcode == 8', ['frame.number', 'tcp.stream']);
    assert.equal(closes.length, 2, 'connection 1 closed from both ends');

    const only = file('proxy-3.pcapng');
    const one = await runCli(['export', PROXY, '--connection', '3', '--out', only, '--json']);
    assert.equal(one.code, ExitCode.OK, one.stderr);
    const onlyThree = expected.filter((m) => m.connection === 3);
    assert.equal(JSON.parse(one.stdout).messages, onlyThree.length);
    assert.deepEqual(
      tsharkFields(only, 'websocket.opcode == 2', ['data.data']).map(([hex]) => hex),
      onlyThree.map((m) => m.hex),
      '--connection 3: that connection only',
    );
    assert.equal(new Set(tsharkFields(only, 'tcp', ['tcp.stream']).map(([s]) => s)).size, 1);
  });

  it('messages larger than a TCP segment are reassembled; the same capture exports to the same bytes', async () => {
    const capture = file('big.hrcap');
    // 1,000 records of ~128 B: ~140 KB messages, three segments each, with 64-bit WebSocket lengths.
    await writeTimedCapture(capture, {
      frames: 3,
      recordsPerFrame: 1000,
      spacingMs: 10,
      database: 'data',
      table: 'big',
    });
    const [first, second] = [file('big-1.pcapng'), file('big-2.pcapng')];
    for (const out of [first, second]) {
      const run = await runCli(['export', capture, '--out', out]);
      assert.equal(run.code, ExitCode.OK, run.stderr);
    }
    assert.deepEqual(readFileSync(first), readFileSync(second), 'deterministic');
    assertClean(first);
    const expected = await messages(capture);
    const frames = tsharkFields(first, 'websocket.opcode == 2', [
      'data.data',
      'websocket.payload_length_ext_64',
    ]);
    assert.deepEqual(
      frames.map(([hex]) => hex),
      expected.map((m) => m.hex),
    );
    assert.equal(frames.filter(([, ext64]) => ext64).length, 3, 'the three big messages use 64-bit lengths');
    const segments = tsharkFields(first, 'tcp.len > 60000', ['tcp.len']);
    assert.ok(segments.length >= 3, `full-size segments: ${segments.length}`);
  });

  it('a torn capture exports up to its last complete record, with a warning; a corrupt one up to the damage, exit 6', async () => {
    const torn = file('torn.hrcap');
    copyFileSync(CATCHUP, torn);
    truncateSync(torn, readFileSync(torn).length - 5000);
    const tornRun = await runCli(['export', torn, '--out', file('torn.pcapng'), '--json']);
    assert.equal(tornRun.code, ExitCode.OK, tornRun.stderr);
    assert.match(
      tornRun.stderr,
      /warning: .*torn\.hrcap is truncated at byte \d+ .*exported up to its last complete record/,
    );
    const tornResult = JSON.parse(tornRun.stdout);
    assert.equal(tornResult.truncated, true);
    assert.ok(tornResult.messages > 40 && tornResult.messages < 49, `${tornResult.messages} messages`);
    assertClean(file('torn.pcapng'));
    assert.equal(
      tsharkFields(file('torn.pcapng'), 'websocket.opcode == 2', ['frame.number']).length,
      tornResult.messages,
    );

    const corrupt = file('corrupt.hrcap');
    const bytes = readFileSync(CATCHUP);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(corrupt, bytes);
    const bad = await runCli(['export', corrupt, '--out', file('corrupt.pcapng')]);
    assert.equal(bad.code, ExitCode.BAD_INPUT);
    assert.match(
      bad.stderr,
      /^Error: .*corrupt\.hrcap: .*at byte \d+.*the output holds the \d+ records before it$/m,
    );
    const kept = tsharkFields(file('corrupt.pcapng'), 'websocket.opcode == 2', ['frame.number']).length;
    assert.ok(kept > 5 && kept < 49, `a valid file with the ${kept} messages before the damage`);
  });
});

describe('export to JSON lines', () => {
  it('the header, then a line per record; message bytes in base64 round-trip, --no-payload leaves them out', async () => {
    const out = file('catchup.jsonl');
    const run = await runCli(['export', CATCHUP, '--out', out]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines[0].kind, 'header');
    const reader = await CaptureReader.open(CATCHUP);
    assert.deepEqual(lines[0].header, reader.header);
    await reader.close();
    const records = lines.slice(1);
    assert.equal(records.length, 52);
    const expected = await messages(CATCHUP);
    const exported = records.filter((r) => r.kind === 'message');
    assert.deepEqual(
      exported.map((r) => Buffer.from(r.payload, 'base64').toString('hex')),
      expected.map((m) => m.hex),
    );
    assert.deepEqual([...new Set(records.map((r) => r.kind))].sort(), ['close', 'footer', 'message', 'open']);
    assert.deepEqual(
      exported.map((r) => r.type),
      expected.map((m) => m.type),
    );
    assert.ok(exported.every((r) => r.bytes > 0 && /^(from|to)-source$/.test(r.direction)));

    const bare = await runCli(['export', CATCHUP, '--format', 'jsonl', '--no-payload', '--out', '-']);
    assert.equal(bare.code, ExitCode.OK, bare.stderr);
    const bareLines = bare.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(bareLines.length, 53, 'to stdout, the same lines');
    assert.ok(bareLines.every((line) => !('payload' in line)));
  });

  it('a full disk is exit 1 naming the file; a reader that stops reading stdout (| head) ends the export quietly', async () => {
    const full = await runCli(['export', CATCHUP, '--format', 'pcapng', '--out', '/dev/full', '--force']);
    assert.equal(full.code, ExitCode.ERROR);
    assert.match(full.stderr, /^Error: cannot write \/dev\/full: ENOSPC$/m);
    const child = spawn(process.execPath, [BIN, 'export', CATCHUP, '--format', 'jsonl', '--out', '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = await once(child, 'exit');
    assert.equal(code, ExitCode.OK, stderr);
    assert.equal(stderr, '', 'no EPIPE stack');
  });

  it('refuses to overwrite without --force, and an output name that names no format', async () => {
    const out = file('twice.jsonl');
    assert.equal((await runCli(['export', CATCHUP, '--out', out])).code, ExitCode.OK);
    const again = await runCli(['export', CATCHUP, '--out', out]);
    assert.equal(again.code, ExitCode.USAGE);
    assert.match(again.stderr, /twice\.jsonl exists: pass --force to replace it/);
    assert.equal((await runCli(['export', CATCHUP, '--out', out, '--force'])).code, ExitCode.OK);
    const unknown = await runCli(['export', CATCHUP, '--out', file('x.txt')]);
    assert.equal(unknown.code, ExitCode.USAGE);
    assert.match(
      unknown.stderr,
      /cannot tell the format from --out .*x\.txt: pass --format pcapng or --format jsonl/,
    );
    const missing = await runCli(['export', file('nope.hrcap')]);
    assert.equal(missing.code, ExitCode.BAD_INPUT);
    assert.match(missing.stderr, /no such file: .*nope\.hrcap/);
  });
});
