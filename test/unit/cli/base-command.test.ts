/**
 * Every command's error contract, on a tiny command run as its own process (base-command-probe.ts): one
 * "Error: …" line on stderr, the documented exit code, and under --json one small object on stdout (not oclif's
 * parse context).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { printError, withSuggestion } from '../../../src/cli/base-command.js';
import { ExitCode } from '../../../src/common/errors.js';

const PROBE = fileURLToPath(new URL('./base-command-probe.js', import.meta.url));

function run(argv: string[], stdout?: number) {
  const child = spawnSync(process.execPath, [PROBE, ...argv], {
    encoding: 'utf8',
    timeout: 30_000,
    ...(stdout === undefined ? {} : { stdio: ['ignore', stdout, 'pipe'] }),
  });
  return { stdout: child.stdout, stderr: child.stderr, exitCode: child.status };
}

describe('BaseCommand', () => {
  it('a usage error: one line on stderr, exit 2', () => {
    const { stderr, exitCode } = run(['--mode', 'usage']);
    assert.equal(stderr, 'Error: --rate must be above 0\n');
    assert.equal(exitCode, ExitCode.USAGE);
  });

  it('an error with its own exit code keeps it (bad input: 6), also through fromFlags', () => {
    assert.equal(run(['--mode', 'bad-input']).exitCode, ExitCode.BAD_INPUT);
    const fromFlags = run(['--mode', 'from-flags']);
    assert.equal(fromFlags.exitCode, ExitCode.USAGE);
    assert.equal(fromFlags.stderr, 'Error: --listen 99999 is not a port\n');
  });

  it('under --json: the same line on stderr and {exitCode, error: {message, exitCode, kind}} on stdout', () => {
    const { stdout, stderr, exitCode } = run(['--mode', 'usage', '--json']);
    assert.equal(stderr, 'Error: --rate must be above 0\n');
    assert.deepEqual(JSON.parse(stdout), {
      exitCode: 2,
      error: { message: '--rate must be above 0', exitCode: 2, kind: 'usage' },
    });
    assert.equal(exitCode, 2);
  });

  it('under --json a parse error is one small object with exit 2, in one line', () => {
    const { stdout, exitCode } = run(['--mode', 'nope', '--json']);
    const parsed = JSON.parse(stdout) as { error: { message: string; exitCode: number } };
    assert.equal(parsed.error.exitCode, 2);
    assert.doesNotMatch(parsed.error.message, /\n/);
    assert.match(parsed.error.message, /nope/);
    assert.ok(stdout.length < 2000, `${stdout.length} bytes: not the whole parse context`);
    assert.equal(exitCode, 2);
  });

  it('under --json an unexpected error is one line, exit 1', () => {
    const { stdout, stderr, exitCode } = run(['--mode', 'thrown', '--json']);
    assert.deepEqual(JSON.parse(stdout), {
      exitCode: 1,
      error: { message: 'boom; second line', exitCode: 1, kind: 'error' },
    });
    assert.equal(stderr, 'Error: boom; second line\n');
    assert.equal(exitCode, 1);
  });

  it('an unexpected error is one line without a stack; --verbose adds the stack', () => {
    const plain = run(['--mode', 'thrown']);
    assert.equal(plain.stderr, 'Error: boom; second line\n');
    assert.equal(plain.exitCode, 1);
    const verbose = run(['--mode', 'thrown', '--verbose']);
    assert.match(verbose.stderr, /^Error: boom; second line\n/);
    assert.match(verbose.stderr, /\n\s+at .*base-command-probe\.js/, 'the stack, for a bug report');
  });

  it('a stdout that fails (a full disk) is one line and exit 1, not a stack', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const { stderr, exitCode } = run(['--mode', 'flood'], fd);
      assert.equal(stderr, 'Error: cannot write to stdout: ENOSPC\n');
      assert.equal(exitCode, ExitCode.ERROR);
    } finally {
      closeSync(fd);
    }
  });

  it('success returns the result under the contract head (as JSON under --json)', () => {
    const { stdout, exitCode } = run(['--mode', 'ok', '--json']);
    assert.deepEqual(JSON.parse(stdout), { exitCode: 0, error: null, ok: true });
    assert.equal(exitCode, 0);
  });

  it('printError writes one "Error:" line', () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      printError('the target refused the credentials');
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(err, ['Error: the target refused the credentials\n']);
  });

  it('a mistyped flag gets the nearest flag of the command, a far one nothing', () => {
    const flags = ['rate', 'records-per-frame', 'speed', 'target'];
    assert.equal(
      withSuggestion('Nonexistent flag: --rat', flags),
      'Nonexistent flag: --rat; did you mean --rate?',
    );
    assert.equal(
      withSuggestion('Nonexistent flag: --speeed', flags),
      'Nonexistent flag: --speeed; did you mean --speed?',
    );
    assert.equal(withSuggestion('Nonexistent flag: --zzzzzz', flags), 'Nonexistent flag: --zzzzzz');
    assert.equal(withSuggestion('Missing required flag set', flags), 'Missing required flag set');
  });
});
