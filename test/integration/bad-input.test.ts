/**
 * The bad-input table (issue 14): every command given nonsense — missing, damaged or misplaced files, outputs over
 * inputs, values that cannot work, contradicting flags, options the capture does not have, a full disk — answers
 * with its documented exit code and one `Error:` line naming the flag or path, no stack trace, no file left behind,
 * and the inputs byte-identical afterwards. No row needs a node: a "target" is a loopback port nobody listens on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPorts } from '../../src/harper/free-port.js';
import { BIN, runCli } from '../helpers/harper.js';
import { assertJsonDocument } from '../helpers/json-schema.js';

interface Row {
  argv: string[];
  code: number;
  /** Matched against the one error line: names the flag or the path. */
  message: RegExp;
  /** Files that must not exist afterwards (inputs are always checked byte for byte). */
  absent?: string[];
  env?: Record<string, string>;
  /** Run with stdout on /dev/full (a full disk) instead of a pipe. */
  stdoutFull?: boolean;
}

let dir: string;
let port: number;
const inputs: Record<string, string> = {};
const hashes = new Map<string, string>();
const at = (name: string) => join(dir, name);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The inputs every row may read: the committed captures, damaged copies of one, files that are not captures. */
function makeInputs(): void {
  const catchup = readFileSync('captures/catchup-40x500.hrcap');
  copyFileSync('captures/catchup-40x500.hrcap', at('catchup.hrcap'));
  copyFileSync('captures/proxy-two-nodes.hrcap', at('proxy.hrcap'));
  copyFileSync('captures/blobs-12x50k.hrcap', at('blobs.hrcap'));
  // Killed mid-write: the header is whole, the records stop in the middle of one.
  writeFileSync(at('torn.hrcap'), catchup.subarray(0, Math.floor(catchup.length / 2) + 7));
  // A flipped byte in the middle: a CRC fails at a byte offset.
  const corrupt = Buffer.from(catchup);
  const middle = Math.floor(corrupt.length / 2);
  corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
  writeFileSync(at('corrupt.hrcap'), corrupt);
  writeFileSync(at('header-only.hrcap'), catchup.subarray(0, 12));
  writeFileSync(at('empty.hrcap'), '');
  writeFileSync(at('notes.txt'), 'not a capture\n');
  writeFileSync(at('samples.ndjson'), '{"type":"nonsense"}\nnot json at all\n');
  writeFileSync(at('existing.html'), '<p>mine</p>\n');
  writeFileSync(at('existing.pcapng'), 'mine\n');
  writeFileSync(at('existing.ndjson'), '{"mine":true}\n');
  writeFileSync(at('not-pem.pem'), 'hello\n');
  mkdirSync(at('a-dir'));
  // No write permission: refused to anyone but root (root's row is /proc).
  mkdirSync(at('locked'));
  chmodSync(at('locked'), 0o555);
  for (const name of [
    'catchup.hrcap',
    'proxy.hrcap',
    'blobs.hrcap',
    'torn.hrcap',
    'corrupt.hrcap',
    'header-only.hrcap',
    'empty.hrcap',
    'notes.txt',
    'samples.ndjson',
    'existing.html',
    'existing.pcapng',
    'existing.ndjson',
    'not-pem.pem',
  ]) {
    inputs[name] = at(name);
    hashes.set(at(name), sha(at(name)));
  }
}

function rows(): Array<[string, Row]> {
  const cap = at('catchup.hrcap');
  const target = `http://127.0.0.1:${port}`;
  const out = at('out.pcapng');
  const missingFolder = at('no-such-folder/out.html');
  const never = [out, at('out.html'), at('out.ndjson'), at('out.jsonl'), at('out.hrcap')];
  const capOut = at('out.hrcap');
  // A subscriber capture of the unreachable "target" with a password: what most capture rows start from.
  const fromSource = (...flags: string[]) => ['capture', '--source', target, '--password', 'x', ...flags];
  const table: Array<[string, Row]> = [
    // inspect
    ['inspect missing', { argv: ['inspect', at('nope.hrcap')], code: 6, message: /nope\.hrcap/ }],
    ['inspect directory', { argv: ['inspect', at('a-dir')], code: 6, message: /a-dir/ }],
    ['inspect not a capture', { argv: ['inspect', at('notes.txt')], code: 6, message: /notes\.txt/ }],
    ['inspect empty file', { argv: ['inspect', at('empty.hrcap')], code: 6, message: /empty\.hrcap/ }],
    ['inspect header cut', { argv: ['inspect', at('header-only.hrcap')], code: 6, message: /header-only/ }],
    [
      'inspect corrupt',
      { argv: ['inspect', at('corrupt.hrcap')], code: 6, message: /corrupt\.hrcap.*offset|byte/ },
    ],
    [
      'inspect corrupt --json',
      { argv: ['inspect', at('corrupt.hrcap'), '--json'], code: 6, message: /corrupt\.hrcap/ },
    ],
    [
      'inspect --limit 0',
      { argv: ['inspect', cap, '--list-frames', '--limit', '0'], code: 2, message: /--limit/ },
    ],
    ['inspect --limit -3', { argv: ['inspect', cap, '--decode', '--limit=-3'], code: 2, message: /--limit/ }],
    ['inspect --limit abc', { argv: ['inspect', cap, '--limit', 'abc'], code: 2, message: /--limit/ }],
    ['inspect two files', { argv: ['inspect', cap, cap], code: 2, message: /argument|catchup/i }],
    ['inspect no file', { argv: ['inspect'], code: 2, message: /FILE|file|arg/i }],
    [
      'inspect stdout full',
      { argv: ['inspect', cap, '--decode'], code: 1, message: /stdout|ENOSPC|space/i, stdoutFull: true },
    ],
    // export
    [
      'export missing',
      { argv: ['export', at('nope.hrcap'), '--out', out], code: 6, message: /nope\.hrcap/, absent: never },
    ],
    [
      'export directory',
      { argv: ['export', at('a-dir'), '--out', out], code: 6, message: /a-dir/, absent: never },
    ],
    [
      'export not a capture',
      { argv: ['export', at('notes.txt'), '--out', out], code: 6, message: /notes\.txt/, absent: never },
    ],
    [
      'export corrupt',
      { argv: ['export', at('corrupt.hrcap'), '--out', at('c.jsonl')], code: 6, message: /corrupt\.hrcap/ },
    ],
    [
      'export output is the input',
      {
        argv: ['export', cap, '--out', cap, '--format', 'pcapng'],
        code: 2,
        message: /--out .*catchup\.hrcap/,
      },
    ],
    [
      'export input --force',
      {
        argv: ['export', cap, '--out', cap, '--format', 'jsonl', '--force'],
        code: 2,
        message: /--out .*catchup\.hrcap/,
      },
    ],
    [
      'export existing output',
      {
        argv: ['export', cap, '--out', at('existing.pcapng')],
        code: 2,
        message: /existing\.pcapng.*--force/,
      },
    ],
    [
      'export output folder missing',
      { argv: ['export', cap, '--out', at('no-such-folder/x.pcapng')], code: 2, message: /no-such-folder/ },
    ],
    [
      'export output a directory',
      { argv: ['export', cap, '--out', at('a-dir'), '--format', 'jsonl'], code: 2, message: /a-dir/ },
    ],
    [
      'export --connection 99',
      {
        argv: ['export', cap, '--out', out, '--connection', '99'],
        code: 2,
        message: /--connection/,
        absent: never,
      },
    ],
    [
      'export --connection 0',
      {
        argv: ['export', cap, '--out', out, '--connection', '0'],
        code: 2,
        message: /--connection/,
        absent: never,
      },
    ],
    [
      'export --format bogus',
      {
        argv: ['export', cap, '--out', out, '--format', 'bogus'],
        code: 2,
        message: /--format/,
        absent: never,
      },
    ],
    [
      'export unknown extension',
      {
        argv: ['export', cap, '--out', at('out.txt')],
        code: 2,
        message: /--format|out\.txt/,
        absent: [at('out.txt')],
      },
    ],
    [
      'export --out /dev/full',
      {
        argv: ['export', cap, '--out', '/dev/full', '--format', 'jsonl', '--force'],
        code: 1,
        message: /\/dev\/full|space/i,
      },
    ],
    [
      'export stdout full',
      {
        argv: ['export', cap, '--out', '-', '--format', 'jsonl'],
        code: 1,
        message: /stdout|space/i,
        stdoutFull: true,
      },
    ],
    [
      'export --json missing',
      {
        argv: ['export', at('nope.hrcap'), '--out', out, '--json'],
        code: 6,
        message: /nope\.hrcap/,
        absent: never,
      },
    ],
    [
      'export --no-payload pcapng',
      {
        argv: ['export', cap, '--out', out, '--no-payload'],
        code: 2,
        message: /--no-payload|--payload/,
        absent: never,
      },
    ],
    // report
    ['report missing', { argv: ['report', at('nope.ndjson')], code: 6, message: /nope\.ndjson/ }],
    ['report directory', { argv: ['report', at('a-dir')], code: 6, message: /a-dir/ }],
    ['report not samples', { argv: ['report', at('notes.txt')], code: 6, message: /notes\.txt/ }],
    [
      'report garbage ndjson',
      { argv: ['report', at('samples.ndjson')], code: 6, message: /samples\.ndjson/ },
    ],
    ['report a capture', { argv: ['report', cap], code: 6, message: /catchup\.hrcap/ }],
    ['report empty', { argv: ['report', at('empty.hrcap')], code: 6, message: /empty\.hrcap/ }],
    [
      'report --html over input',
      {
        argv: ['report', at('samples.ndjson'), '--html', at('samples.ndjson'), '--force'],
        code: 2,
        message: /--html .*samples\.ndjson/,
      },
    ],
    [
      'report --html existing',
      {
        argv: ['report', at('samples.ndjson'), '--html', at('existing.html')],
        code: 2,
        message: /existing\.html/,
      },
    ],
    [
      'report --html folder missing',
      { argv: ['report', at('samples.ndjson'), '--html', missingFolder], code: 2, message: /no-such-folder/ },
    ],
    [
      'report --baseline missing',
      {
        argv: ['report', at('samples.ndjson'), '--baseline', at('nope.ndjson')],
        code: 6,
        message: /nope\.ndjson/,
      },
    ],
    [
      'report delta threshold without --baseline',
      {
        argv: ['report', at('samples.ndjson'), '--threshold', 'peakRss<+10%'],
        code: 2,
        message: /--threshold "peakRss<\+10%" is a change against a baseline: add --baseline FILE/,
      },
    ],
    [
      'report --junit existing',
      {
        argv: ['report', at('samples.ndjson'), '--junit', at('existing.html')],
        code: 2,
        message: /--junit .*existing\.html.*--force/,
      },
    ],
    [
      'report --junit over --baseline',
      {
        argv: [
          'report',
          at('samples.ndjson'),
          '--baseline',
          at('notes.txt'),
          '--junit',
          at('notes.txt'),
          '--force',
        ],
        code: 2,
        message: /--junit .*notes\.txt is the input/,
      },
    ],
    [
      'report --json garbage',
      { argv: ['report', at('samples.ndjson'), '--json'], code: 6, message: /samples\.ndjson/ },
    ],
    // replay (no node: everything is refused before one would start)
    ['replay missing', { argv: ['replay', at('nope.hrcap'), '--dry-run'], code: 6, message: /nope\.hrcap/ }],
    ['replay directory', { argv: ['replay', at('a-dir'), '--dry-run'], code: 6, message: /a-dir/ }],
    [
      'replay not a capture',
      {
        argv: ['replay', at('notes.txt'), '--target', target, '--password', 'x'],
        code: 6,
        message: /notes\.txt/,
      },
    ],
    [
      'replay corrupt dry-run',
      { argv: ['replay', at('corrupt.hrcap'), '--dry-run'], code: 6, message: /corrupt\.hrcap/ },
    ],
    [
      'replay --table the capture lacks',
      {
        argv: ['replay', cap, '--dry-run', '--tables', 'no_such_table'],
        code: 2,
        message: /--tables.*no_such_table/,
      },
    ],
    [
      'replay --exclude-tables the capture lacks',
      {
        argv: ['replay', cap, '--dry-run', '--exclude-tables', 'nope'],
        code: 2,
        message: /--exclude-tables.*nope/,
      },
    ],
    [
      'replay --connection the capture lacks',
      { argv: ['replay', cap, '--dry-run', '--connection', '42'], code: 2, message: /--connection/ },
    ],
    [
      'replay --from-frame beyond the capture',
      { argv: ['replay', cap, '--dry-run', '--from-frame', '5000'], code: 2, message: /--from-frame/ },
    ],
    [
      'replay --from-frame -1',
      { argv: ['replay', cap, '--dry-run', '--from-frame=-1'], code: 2, message: /--from-frame/ },
    ],
    [
      'replay --speed 0x',
      { argv: ['replay', cap, '--dry-run', '--speed', '0x'], code: 2, message: /--speed/ },
    ],
    [
      'replay --speed fast',
      { argv: ['replay', cap, '--dry-run', '--speed', 'fast'], code: 2, message: /--speed/ },
    ],
    ['replay --loop 0', { argv: ['replay', cap, '--dry-run', '--loop', '0'], code: 2, message: /--loop/ }],
    [
      'replay --max-gap banana',
      { argv: ['replay', cap, '--dry-run', '--max-gap', 'banana'], code: 2, message: /--max-gap/ },
    ],
    [
      'replay --samples over input',
      {
        argv: ['replay', cap, '--target', target, '--password', 'x', '--samples', cap, '--force'],
        code: 2,
        message: /--samples .*catchup\.hrcap/,
      },
    ],
    [
      'replay --html existing',
      {
        argv: ['replay', cap, '--target', target, '--password', 'x', '--html', at('existing.html')],
        code: 2,
        message: /--html .*existing\.html/,
      },
    ],
    [
      'replay --blob-faults bogus',
      {
        argv: ['replay', at('blobs.hrcap'), '--dry-run', '--blob-faults', 'bogus:3'],
        code: 2,
        message: /--blob-faults/,
      },
    ],
    [
      'replay unreachable --json',
      {
        argv: ['replay', cap, '--target', target, '--password', 'x', '--json'],
        code: 4,
        message: /127\.0\.0\.1|refused/,
      },
    ],
    // synth
    ['synth --frames 0', { argv: ['synth', '--frames', '0'], code: 2, message: /--frames/ }],
    ['synth --frames -5', { argv: ['synth', '--frames=-5'], code: 2, message: /--frames/ }],
    [
      'synth --records-per-frame 0',
      { argv: ['synth', '--records-per-frame', '0'], code: 2, message: /--records-per-frame/ },
    ],
    [
      'synth --record-size huge',
      { argv: ['synth', '--record-size', '3GiB'], code: 2, message: /--record-size/ },
    ],
    [
      'synth --record-size banana',
      { argv: ['synth', '--record-size', 'banana'], code: 2, message: /--record-size/ },
    ],
    ['synth --blob-size negative', { argv: ['synth', '--blob-size=-1KB'], code: 2, message: /--blob-size/ }],
    [
      'synth --blobs-per-frame without blobs',
      { argv: ['synth', '--blobs-per-frame', '2'], code: 2, message: /--blobs-per-frame/ },
    ],
    [
      'synth frames beyond 2 GiB',
      {
        argv: ['synth', '--records-per-frame', '100000', '--record-size', '1MiB'],
        code: 2,
        message: /frame|--record/,
      },
    ],
    ['synth --rate 0', { argv: ['synth', '--rate', '0'], code: 2, message: /--rate/ }],
    ['synth --ack-timeout 0s', { argv: ['synth', '--ack-timeout', '0s'], code: 2, message: /--ack-timeout/ }],
    [
      'synth --ack-timeout forever',
      { argv: ['synth', '--ack-timeout', 'forever'], code: 2, message: /--ack-timeout/ },
    ],
    [
      'synth --high-water-mark 0',
      { argv: ['synth', '--high-water-mark', '0'], code: 2, message: /--high-water-mark/ },
    ],
    [
      'synth --sample-interval 0',
      { argv: ['synth', '--sample-interval', '0ms'], code: 2, message: /--sample-interval/ },
    ],
    ['synth --threads 0', { argv: ['synth', '--threads', '0'], code: 2, message: /--threads/ }],
    ['synth --databases 0', { argv: ['synth', '--databases', '0'], code: 2, message: /--databases/ }],
    [
      'synth --listen port 70000',
      { argv: ['synth', '--listen', '127.0.0.1:70000'], code: 2, message: /--listen/ },
    ],
    [
      'synth --listen not a port',
      { argv: ['synth', '--listen', '127.0.0.1:http'], code: 2, message: /--listen/ },
    ],
    // --target URLs that cannot be dialled: not a URL, another scheme, port 0, port beyond 65535
    ...['not a url', 'ftp://127.0.0.1:21', 'http://127.0.0.1:0', 'http://127.0.0.1:99999'].map(
      (url): [string, Row] => [
        `synth --target ${url}`,
        { argv: ['synth', '--target', url, '--password', 'x'], code: 2, message: /--target/ },
      ],
    ),
    [
      'synth --threshold nonsense',
      { argv: ['synth', '--threshold', 'peakRss<<'], code: 2, message: /--threshold/ },
    ],
    [
      'synth --threshold unknown metric',
      { argv: ['synth', '--threshold', 'happiness>3'], code: 2, message: /--threshold|happiness/ },
    ],
    [
      'synth --threshold bad unit',
      { argv: ['synth', '--threshold', 'peakRss<1.5parsecs'], code: 2, message: /--threshold|parsecs/ },
    ],
    [
      'synth --node-config without =',
      { argv: ['synth', '--node-config', 'THREADS_COUNT'], code: 2, message: /--node-config/ },
    ],
    [
      'synth --node-config with --target',
      {
        argv: ['synth', '--target', target, '--password', 'x', '--node-config', 'A=1'],
        code: 2,
        message: /--node-config|--target/,
      },
    ],
    [
      'synth --token and --password',
      {
        argv: ['synth', '--target', target, '--token', 't', '--password', 'x'],
        code: 2,
        message: /--token|--password/,
      },
    ],
    [
      'synth --user without password',
      {
        argv: ['synth', '--target', target, '--user', 'admin'],
        code: 2,
        message: /--password|HARPER_PASSWORD/,
      },
    ],
    ['synth --via nowhere', { argv: ['synth', '--via', 'nowhere'], code: 2, message: /--via/ }],
    [
      'synth --target-fault bogus',
      { argv: ['synth', '--target-fault', 'explode:1'], code: 2, message: /--target-fault/ },
    ],
    [
      'synth --html over --samples',
      {
        argv: ['synth', '--samples', at('same.out'), '--html', at('same.out')],
        code: 2,
        message: /same\.out/,
        absent: [at('same.out')],
      },
    ],
    [
      'synth delta threshold',
      {
        argv: ['synth', '--threshold', 'peakRss<+10%'],
        code: 2,
        message: /--threshold "peakRss<\+10%" is a change against a baseline .*report RUN\.ndjson --baseline/,
      },
    ],
    [
      'synth --prometheus-rw not a URL',
      { argv: ['synth', '--prometheus-rw', 'nowhere:9090'], code: 2, message: /--prometheus-rw/ },
    ],
    [
      'synth --junit existing',
      {
        argv: ['synth', '--junit', at('existing.html')],
        code: 2,
        message: /--junit .*existing\.html.*--force/,
      },
    ],
    [
      'synth --samples existing',
      { argv: ['synth', '--samples', at('existing.ndjson')], code: 2, message: /existing\.ndjson.*--force/ },
    ],
    [
      'synth --html folder missing',
      { argv: ['synth', '--html', missingFolder], code: 2, message: /no-such-folder/ },
    ],
    [
      'synth --samples a directory',
      { argv: ['synth', '--samples', at('a-dir'), '--force'], code: 2, message: /a-dir/ },
    ],
    [
      'synth --ca missing',
      {
        argv: ['synth', '--target', 'https://127.0.0.1:9925', '--password', 'x', '--ca', at('nope.pem')],
        code: 6,
        message: /nope\.pem/,
      },
    ],
    [
      'synth --ca not PEM',
      {
        argv: ['synth', '--target', 'https://127.0.0.1:9925', '--password', 'x', '--ca', at('not-pem.pem')],
        code: 6,
        message: /not-pem\.pem/,
      },
    ],
    [
      'synth --cert without --key',
      {
        argv: ['synth', '--target', 'https://127.0.0.1:9925', '--password', 'x', '--cert', at('not-pem.pem')],
        code: 2,
        message: /--key|--cert/,
      },
    ],
    [
      'synth unreachable',
      {
        argv: ['synth', '--target', target, '--password', 'x', '--frames', '1'],
        code: 4,
        message: /127\.0\.0\.1|refused/,
      },
    ],
    ['synth --json bad value', { argv: ['synth', '--frames', '0', '--json'], code: 2, message: /--frames/ }],
    // bench
    [
      'bench no --set',
      { argv: ['bench'], code: 2, message: /bench needs --set KEY=v1,v2 .* or --search KEY=LOW\.\.HIGH/ },
    ],
    [
      'bench --set duplicate key',
      { argv: ['bench', '--set', 'A=1,2', '--set', 'A=3'], code: 2, message: /--set.*A/ },
    ],
    [
      'bench --set no values',
      { argv: ['bench', '--set', 'REPLICATION_RECORDCONCURRENCY='], code: 2, message: /--set/ },
    ],
    [
      'bench --set no =',
      { argv: ['bench', '--set', 'REPLICATION_RECORDCONCURRENCY'], code: 2, message: /--set/ },
    ],
    ['bench --set duplicate value', { argv: ['bench', '--set', 'A=1,1'], code: 2, message: /--set/ }],
    [
      'bench --repeat 0',
      { argv: ['bench', '--set', 'A=1,2', '--repeat', '0'], code: 2, message: /--repeat/ },
    ],
    [
      'bench --capture missing',
      { argv: ['bench', '--set', 'A=1,2', '--capture', at('nope.hrcap')], code: 6, message: /nope\.hrcap/ },
    ],
    [
      'bench --capture directory',
      { argv: ['bench', '--set', 'A=1,2', '--capture', at('a-dir')], code: 6, message: /a-dir/ },
    ],
    [
      'bench --capture not a capture',
      { argv: ['bench', '--set', 'A=1,2', '--capture', at('notes.txt')], code: 6, message: /notes\.txt/ },
    ],
    [
      'bench --capture corrupt',
      {
        argv: ['bench', '--set', 'A=1,2', '--capture', at('corrupt.hrcap')],
        code: 6,
        message: /corrupt\.hrcap/,
      },
    ],
    [
      'bench --html over --capture',
      {
        argv: ['bench', '--set', 'A=1,2', '--capture', cap, '--html', cap, '--force'],
        code: 2,
        message: /--html .*catchup\.hrcap/,
      },
    ],
    [
      'bench --html existing --json',
      {
        argv: ['bench', '--set', 'A=1,2', '--html', at('existing.html'), '--json'],
        code: 2,
        message: /existing\.html/,
      },
    ],
    [
      'bench --threshold nonsense',
      { argv: ['bench', '--set', 'A=1,2', '--threshold', '<3'], code: 2, message: /--threshold/ },
    ],
    [
      'bench --frames 0',
      { argv: ['bench', '--set', 'A=1,2', '--frames', '0'], code: 2, message: /--frames/ },
    ],
    // outputs in a folder that takes no file: /proc refuses root too (a chmod 555 folder would not)
    [
      'export --out in /proc',
      {
        argv: ['export', cap, '--format', 'pcapng', '--out', '/proc/hr-bad-input.pcapng'],
        code: 2,
        message: /--out \/proc\/hr-bad-input\.pcapng: cannot write in the folder \/proc/,
      },
    ],
    [
      'synth --samples in /proc',
      {
        argv: ['synth', '--samples', '/proc/hr-bad-input.ndjson', '--target', target, '--password', 'x'],
        code: 2,
        message: /--samples \/proc\/hr-bad-input\.ndjson: cannot write in the folder/,
      },
    ],
    [
      'capture --out in /proc',
      {
        argv: fromSource('--out', '/proc/hr-bad-input.hrcap'),
        code: 2,
        message: /--out \/proc\/hr-bad-input\.hrcap: cannot write in the folder/,
      },
    ],
    ...(process.getuid?.() === 0
      ? []
      : ([
          [
            'report --html in a read-only folder',
            {
              argv: ['report', inputs['samples.ndjson']!, '--html', at('locked/r.html')],
              code: 2,
              message: /--html .*locked\/r\.html: cannot write in the folder/,
            },
          ],
        ] as Array<[string, Row]>)),
    // the embedded node's own flags beside --target would be ignored: refused
    [
      'synth --threads with --target',
      {
        argv: ['synth', '--target', target, '--password', 'x', '--threads', '2'],
        code: 2,
        message: /--target=.* cannot also be provided when using --threads/,
      },
    ],
    [
      'replay --keep-node with --target',
      {
        argv: ['replay', cap, '--target', target, '--password', 'x', '--keep-node'],
        code: 2,
        message: /cannot also be provided when using --keep-node/,
      },
    ],
    [
      'bench --threads with --target',
      {
        argv: ['bench', '--set', 'A=1,2', '--target', target, '--password', 'x', '--threads', '2'],
        code: 2,
        message: /when using --threads/,
      },
    ],
    [
      'replay --keep-versions --retime',
      { argv: ['replay', cap, '--keep-versions', '--retime'], code: 2, message: /--retime.*--keep-versions/ },
    ],
    ['synth --listen no port', { argv: ['synth', '--listen', '127.0.0.1:'], code: 2, message: /--listen/ }],
    // capture
    ['capture no --source', { argv: ['capture'], code: 2, message: /--source/ }],
    [
      'capture --source not a URL',
      { argv: ['capture', '--source', 'nope', '--password', 'x'], code: 2, message: /--source/ },
    ],
    [
      'capture --source port 0',
      {
        argv: ['capture', '--source', 'http://127.0.0.1:0', '--password', 'x'],
        code: 2,
        message: /--source/,
      },
    ],
    [
      'capture --since garbage',
      {
        argv: fromSource('--since', 'yesterday-ish', '--out', capOut),
        code: 2,
        message: /--since/,
        absent: never,
      },
    ],
    [
      'capture --duration 0',
      {
        argv: fromSource('--duration', '0s', '--out', capOut),
        code: 2,
        message: /--duration/,
        absent: never,
      },
    ],
    [
      'capture --frames 0',
      {
        argv: fromSource('--frames', '0', '--out', capOut),
        code: 2,
        message: /--frames/,
        absent: never,
      },
    ],
    [
      'capture --until-idle -1s',
      {
        argv: fromSource('--until-idle=-1s', '--out', capOut),
        code: 2,
        message: /--until-idle/,
        absent: never,
      },
    ],
    [
      'capture --flush-interval 0',
      {
        argv: fromSource('--flush-interval', '0s', '--out', capOut),
        code: 2,
        message: /--flush-interval/,
        absent: never,
      },
    ],
    [
      'capture --tables and --exclude-tables',
      {
        argv: fromSource('--tables', 'a', '--exclude-tables', 'b', '--out', capOut),
        code: 2,
        message: /--tables|--exclude-tables/,
        absent: never,
      },
    ],
    [
      'capture --out over an input',
      {
        argv: fromSource('--out', at('existing.pcapng')),
        code: 2,
        message: /existing\.pcapng/,
      },
    ],
    [
      'capture --out folder missing',
      {
        argv: fromSource('--out', at('no-such-folder/x.hrcap')),
        code: 2,
        message: /no-such-folder/,
      },
    ],
    [
      'capture --proxy without --upstream',
      {
        argv: ['capture', '--proxy', '--listen', '0', '--out', capOut],
        code: 2,
        message: /--upstream/,
        absent: never,
      },
    ],
    [
      'capture --proxy --listen 70000',
      {
        argv: [
          'capture',
          '--proxy',
          '--listen',
          '70000',
          '--upstream',
          'ws://127.0.0.1:9933',
          '--out',
          capOut,
        ],
        code: 2,
        message: /--listen/,
        absent: never,
      },
    ],
    [
      'capture --proxy --upstream not ws',
      {
        argv: ['capture', '--proxy', '--listen', '0', '--upstream', 'gopher://x', '--out', capOut],
        code: 2,
        message: /--upstream/,
        absent: never,
      },
    ],
    [
      'capture --proxy with --source',
      {
        argv: [
          'capture',
          '--proxy',
          '--listen',
          '0',
          '--upstream',
          'ws://127.0.0.1:9933',
          '--source',
          target,
          '--out',
          capOut,
        ],
        code: 2,
        message: /--source|--proxy/,
        absent: never,
      },
    ],
    [
      'capture unreachable --json',
      {
        argv: fromSource('--duration', '1s', '--out', capOut, '--json'),
        code: 4,
        message: /127\.0\.0\.1|refused/,
        absent: never,
      },
    ],
    // cleanup
    ['cleanup no --target', { argv: ['cleanup', '--password', 'x'], code: 2, message: /flag target/ }],
    [
      'cleanup --target not a URL',
      { argv: ['cleanup', '--target', '::::', '--password', 'x'], code: 2, message: /--target/ },
    ],
    [
      'cleanup --target port 65536',
      {
        argv: ['cleanup', '--target', 'http://127.0.0.1:65536', '--password', 'x'],
        code: 2,
        message: /--target/,
      },
    ],
    [
      'cleanup --token and --password',
      {
        argv: ['cleanup', '--target', target, '--token', 't', '--password', 'x'],
        code: 2,
        message: /--token|--password/,
      },
    ],
    [
      'cleanup --ca missing',
      {
        argv: ['cleanup', '--target', 'https://127.0.0.1:9925', '--password', 'x', '--ca', at('nope.pem')],
        code: 6,
        message: /nope\.pem/,
      },
    ],
    [
      'cleanup unreachable',
      { argv: ['cleanup', '--target', target, '--password', 'x'], code: 4, message: /127\.0\.0\.1|refused/ },
    ],
    [
      'cleanup unreachable --json',
      {
        argv: ['cleanup', '--target', target, '--password', 'x', '--json'],
        code: 4,
        message: /127\.0\.0\.1|refused/,
      },
    ],
    // Load over time (issue 16): --rate units, --duration, --stages.
    ['synth --rate 5rpm', { argv: ['synth', '--rate', '5rpm'], code: 2, message: /--rate/ }],
    ['synth --rate -5rps', { argv: ['synth', '--rate=-5rps'], code: 2, message: /--rate/ }],
    [
      'synth --duration 0s',
      { argv: ['synth', '--duration', '0s', '--rate', '1'], code: 2, message: /--duration/ },
    ],
    // --duration alone is open-ended (as fast as the target reads); what needs a known count is refused.
    [
      'synth --duration open-ended with --mix',
      {
        argv: ['synth', '--duration', '10s', '--mix', 'insert=70,update=30'],
        code: 2,
        message: /--duration 10s without --rate .*--mix/,
      },
    ],
    [
      'synth --duration open-ended with --template',
      {
        argv: ['synth', '--duration', '10s', '--template', 'templates/products.yaml'],
        code: 2,
        message: /--duration 10s without --rate .*--template/,
      },
    ],
    [
      'synth --stages all zero',
      { argv: ['synth', '--stages', '10s:0rps,5s:0-0rps'], code: 2, message: /--stages.*nothing/ },
    ],
    ['synth --stages 0s', { argv: ['synth', '--stages', '0s:100rps'], code: 2, message: /--stages/ }],
    [
      'synth --stages ramp to negative',
      { argv: ['synth', '--stages', '10s:100--5rps'], code: 2, message: /--stages/ },
    ],
    [
      'synth --stages with --rate',
      { argv: ['synth', '--stages', '10s:100rps', '--rate', '3'], code: 2, message: /--rate|--stages/ },
    ],
    [
      'replay --rate in rps',
      { argv: ['replay', cap, '--rate', '100rps'], code: 2, message: /--rate 100rps/ },
    ],
    ['replay --duration 0s', { argv: ['replay', cap, '--duration', '0s'], code: 2, message: /--duration/ }],
    [
      'replay --duration with --loop',
      { argv: ['replay', cap, '--duration', '5s', '--loop', '2'], code: 2, message: /--duration 5s loops/ },
    ],
    [
      'replay --duration flat out',
      {
        argv: ['replay', cap, '--duration', '5s', '--speed', 'max'],
        code: 2,
        message: /--duration 5s needs a pace/,
      },
    ],
    [
      'replay --pace-by txn-time with --rate',
      {
        argv: ['replay', cap, '--pace-by', 'txn-time', '--rate', '5'],
        code: 2,
        message: /--pace-by txn-time/,
      },
    ],
    [
      'replay --pace-by unknown',
      { argv: ['replay', cap, '--pace-by', 'wallclock'], code: 2, message: /--pace-by/ },
    ],
  ];
  return table.map(([name, row]) => [name, { ...row, absent: row.absent ?? [] }]);
}

/** Runs with stdout on /dev/full: every write to it fails with ENOSPC. */
function runOnFullStdout(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const full = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
    stdio: ['ignore', full, 'pipe'],
  });
  closeSync(full);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: '', stderr })));
}

/** The one error line: under --json the document's error.message, else the `Error:` line on stderr. */
function errorLine(row: Row, run: { stdout: string; stderr: string }): string {
  assert.doesNotMatch(run.stderr, /^\s+at /m, `no stack trace:\n${run.stderr}`);
  if (row.argv.includes('--json')) {
    const document = JSON.parse(run.stdout) as { exitCode: number; error: { message: string } | null };
    assert.equal(document.exitCode, row.code);
    assert.ok(document.error, 'an error document');
    assert.doesNotMatch(document.error.message, /\n/, 'one line');
    return document.error.message;
  }
  const lines = run.stderr.split('\n').filter((line) => /^\s*(Error|›\s+Error)\b/.test(line));
  assert.equal(lines.length, 1, `exactly one Error: line in:\n${run.stderr}`);
  return lines[0]!;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bad-input-'));
  [port] = (await freeLoopbackPorts(1)) as [number];
  makeInputs();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bad input: one clear line, the documented exit code, nothing lost', () => {
  it('the table has at least 60 rows over every command', () => {
    const table = rows();
    assert.ok(table.length >= 60, `${table.length} rows`);
    const commands = new Set(table.map(([, row]) => row.argv[0]));
    for (const command of ['synth', 'replay', 'bench', 'capture', 'inspect', 'export', 'report', 'cleanup'])
      assert.ok(commands.has(command), command);
  });

  it('every row', { timeout: 600_000 }, async () => {
    const table = rows();
    const failures: string[] = [];
    const check = async ([name, row]: [string, Row]) => {
      try {
        const run = row.stdoutFull
          ? await runOnFullStdout(row.argv)
          : await runCli(row.argv, { env: row.env ?? {}, timeoutMs: 60_000 });
        assert.equal(
          run.code,
          row.code,
          `exit code; stderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 500)}`,
        );
        if (row.argv.includes('--json') && !row.stdoutFull) assertJsonDocument(row.argv[0]!, run.stdout);
        assert.match(errorLine(row, run), row.message);
        for (const path of row.absent ?? []) assert.equal(existsSync(path), false, `${path} left behind`);
      } catch (error) {
        failures.push(`${name} [${row.argv.join(' ')}]: ${(error as Error).message}`);
      }
    };
    // Six rows at a time, the next as soon as one ends (batches waited for their slowest row): each row is a CLI
    // start (~1-2 s on a loaded machine) and no row starts a node.
    const queue = [...table];
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await check(next);
    };
    await Promise.all(Array.from({ length: 6 }, lane));
    for (const [path, hash] of hashes) {
      if (sha(path) !== hash) failures.push(`input ${path} changed`);
    }
    assert.deepEqual(
      failures,
      [],
      `${failures.length} of ${table.length} rows failed:\n${failures.join('\n\n')}`,
    );
  });

  it('a capture rewritten while it is read: exit 6, one line naming it, never a silent misread', async () => {
    const changing = at('changing.hrcap');
    copyFileSync('captures/catchup-40x500.hrcap', changing);
    // Another process rewrites its first bytes in place, the same bytes, every millisecond: same size, new
    // modification time — what a copy over it or a tool rewriting it does, without depending on timing.
    const rewriter = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'r+'); const head = Buffer.alloc(64);
         fs.readSync(fd, head, 0, 64, 0); const pause = new Int32Array(new SharedArrayBuffer(4));
         for (;;) { fs.writeSync(fd, head, 0, 64, 0); Atomics.wait(pause, 0, 0, 1); }`,
        changing,
      ],
      { stdio: 'ignore' },
    );
    try {
      for (const argv of [
        ['inspect', changing],
        ['inspect', changing, '--json'],
        ['replay', changing, '--dry-run'],
        ['export', changing, '--format', 'jsonl', '--out', at('changing.jsonl')],
      ]) {
        const row: Row = { argv, code: 6, message: /changing\.hrcap changed while it was read/ };
        const run = await runCli(argv, { timeoutMs: 60_000 });
        assert.equal(run.code, 6, `${argv.join(' ')}: exit code; stderr:\n${run.stderr}`);
        assert.match(errorLine(row, run), row.message);
        assert.equal(existsSync(at('changing.jsonl')), false, 'no output left');
      }
    } finally {
      rewriter.kill();
    }
  });

  it('a reader that goes away (inspect --decode | head -c 10): a quiet exit, no stack, no error line', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', inputs['catchup.hrcap']!, '--decode'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    // `head -c 10`: read ten bytes, then close the pipe while the tool still has 20,000 records to write.
    const first = await new Promise<Buffer>((resolve) => child.stdout!.once('data', resolve));
    assert.ok(first.length >= 10);
    child.stdout!.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, `the pipe convention: a reader that left is not an error; stderr:\n${stderr}`);
    assert.equal(stderr, '', 'nothing on stderr: no stack, no Error line');
  });
});
