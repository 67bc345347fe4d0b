/**
 * The CLI as users run it: exit codes and one-line errors, Ctrl-C cleanup on a target the test owns, and the
 * README's main command on the embedded default target.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import { freeLoopbackPorts } from '../../src/harper/free-port.js';
import { hdbNodeNames, isAlive, nodeForFile, runCli, whenStreaming } from '../helpers/harper.js';

const node = nodeForFile();

/** A clear error is one line (plus nothing that looks like a stack frame). */
function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const errorLines = lines.filter((line) => /error/i.test(line));
  assert.equal(errorLines.length, 1, `exactly one error line in:\n${stderr}`);
  assert.match(errorLines[0]!, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace in:\n${stderr}`);
}

describe('harper-replay synth (CLI)', () => {
  it('wrong password: exit 5 with one clear line, password never echoed', async () => {
    const run = await runCli(['synth', '--target', node().operationsUrl, '--frames', '1'], {
      env: { HARPER_USER: node().credentials.user, HARPER_PASSWORD: 'not-the-password-x9' },
    });
    assert.equal(run.code, ExitCode.AUTH_FAILED, run.stderr);
    assertOneLineError(run.stderr, /authentication refused/);
    assert.doesNotMatch(run.stdout + run.stderr, /not-the-password-x9/);
  });

  it('unreachable target: exit 4 with one clear line', async () => {
    const [port] = await freeLoopbackPorts(1);
    const run = await runCli(['synth', '--target', `http://127.0.0.1:${port}`, '--password', 'x']);
    assert.equal(run.code, ExitCode.UNREACHABLE, run.stderr);
    assertOneLineError(run.stderr, /connection refused/);
  });

  it('a mistyped command (exit 127) or flag (exit 2) says so in one line, the flag with the nearest one', async () => {
    const command = await runCli(['synt']);
    assert.equal(command.code, 127, command.stderr);
    assertOneLineError(
      command.stderr,
      /^Error: "synt" is not a harper-replay command; did you mean synth\?$/m,
    );
    assert.doesNotMatch(command.stderr, /\n\s+at /, 'no stack');
    const flag = await runCli(['synth', '--rat', '5']);
    assert.equal(flag.code, ExitCode.USAGE, flag.stderr);
    assertOneLineError(flag.stderr, /^Error: Nonexistent flag: --rat; did you mean --rate\?$/m);
  });

  it('unknown preset: exit 2 with one clear line, no node started', async () => {
    const run = await runCli(['synth', '--preset', 'no-such-preset']);
    assert.equal(run.code, ExitCode.USAGE, run.stderr);
    assertOneLineError(run.stderr, /unknown preset "no-such-preset"; choose one of: catchup-40x500/);
  });

  it('under --json an error is one small document with the documented exit code, for every command', async () => {
    for (const [args, code, message] of [
      [['synth', '--bogus', '--json'], ExitCode.USAGE, 'Nonexistent flag: --bogus'],
      [['synth', '--preset', 'nope', '--json'], ExitCode.USAGE, 'unknown preset "nope"'],
      [['inspect', 'no-such.hrcap', '--json'], ExitCode.BAD_INPUT, 'no such file: no-such.hrcap'],
      [['export', 'no-such.hrcap', '--json'], ExitCode.BAD_INPUT, 'no such file: no-such.hrcap'],
      [['report', 'no-such.ndjson', '--json'], ExitCode.BAD_INPUT, 'no such file: no-such.ndjson'],
      [['replay', 'no-such.hrcap', '--dry-run', '--json'], ExitCode.BAD_INPUT, 'no such file: no-such.hrcap'],
      [['capture', '--json'], ExitCode.USAGE, '--source URL is required'],
      [['bench', '--json'], ExitCode.USAGE, 'bench needs --set KEY=v1,v2 (settings to compare) or --search'],
    ] as const) {
      const run = await runCli([...args]);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stdout.length < 500, `${args.join(' ')}: a small object, not oclif's parse context`);
      const document = JSON.parse(run.stdout);
      assert.equal(document.exitCode, code);
      const { error } = document;
      assert.equal(error.exitCode, code);
      assert.equal(error.kind, code === ExitCode.USAGE ? 'usage' : 'bad-input');
      assert.ok(error.message.startsWith(message), `${args.join(' ')}: ${error.message}`);
    }
  });

  it('SIGINT mid-run: exits within 10 s, prints what it sent, and removes itself from the target', async () => {
    const interrupt = whenStreaming(1500, (child) => child.kill('SIGINT'));
    const run = await runCli(
      [
        'synth',
        '--target',
        node().operationsUrl,
        '--frames',
        '1000',
        '--records-per-frame',
        '500',
        '--rate',
        '10',
        '--table',
        'sigint',
      ],
      {
        env: { HARPER_USER: node().credentials.user, HARPER_PASSWORD: node().credentials.password },
        // Interrupt once the target has subscribed and frames are flowing.
        onStart: interrupt.onStart,
      },
    );
    const exitedAfter = Date.now() - interrupt.firedAt();
    assert.ok(interrupt.firedAt() > 0, `the run never got going:\n${run.stderr}`);
    assert.equal(run.code, ExitCode.INTERRUPTED, run.stderr);
    assert.ok(exitedAfter < 10_000, `exited ${exitedAfter} ms after SIGINT`);
    assert.match(run.stdout, /INTERRUPTED/);
    const sent = /sent\s+(\d+) frames, ([\d,]+) records/.exec(run.stdout);
    assert.ok(sent, `summary shows what was sent:\n${run.stdout}`);
    assert.ok(Number(sent[1]) > 0 && Number(sent[1]) < 1000, `some but not all frames sent (${sent[1]})`);
    const client = node().client();
    const status = await client.clusterStatus();
    assert.deepEqual(
      status.connections.filter((c) => c.name.startsWith('harper-replay-')),
      [],
      'cluster_status no longer lists the tool',
    );
    assert.deepEqual(
      (await hdbNodeNames(client)).filter((name) => name.startsWith('harper-replay-')),
      [],
      'hdb_nodes no longer lists the tool',
    );
  });

  it('the README main command runs on the embedded target and leaves no process or temp dir', async () => {
    const run = await runCli(['synth', '--preset', 'catchup-40x500', '--frames', '4', '--json']);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.target.embedded, true);
    assert.match(result.target.nodeName, /^hr-target-/);
    assert.equal(result.sent.frames, 4);
    assert.equal(result.sent.records, 2000);
    assert.ok(result.sent.bytes > 2000 * 256);
    assert.equal(result.sent.blobs, 0);
    assert.equal(result.committed.frames, 4);
    assert.equal(result.committed.records, 2000);
    for (const key of ['p50', 'p99', 'max'])
      assert.equal(typeof result.committed.ackLatencyMs[key], 'number');
    assert.deepEqual(
      [result.verify.expectedRecords, result.verify.targetRecords, result.verify.ok],
      [2000, 2000, true],
    );
    assert.equal(isAlive(result.target.pid), false, 'the embedded node process is gone');
    assert.equal(existsSync(result.target.rootDir), false, 'the embedded node temp dir is gone');
  });
});
