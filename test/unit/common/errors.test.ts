import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  BENCH_EXIT_CODE_HELP,
  EXIT_CODE_HELP,
  ExitCode,
  exitCodeHelp,
  exitKind,
  HarperReplayError,
  inputFileError,
} from '../../../src/common/errors.js';

// Compiled, this file is dist/test/unit/common/errors.test.js: four levels up is the package root.
const README = new URL('../../../../README.md', import.meta.url);

const helpLines = EXIT_CODE_HELP.split('\n');
const helpCodes = helpLines.map((line) => Number(/^(\d+)/.exec(line)?.[1]));

describe('ExitCode', () => {
  it('has the documented values (scripts and CI branch on them)', () => {
    const cases: Array<[keyof typeof ExitCode, number]> = [
      ['OK', 0],
      ['ERROR', 1],
      ['USAGE', 2],
      ['VERIFY_FAILED', 3],
      ['UNREACHABLE', 4],
      ['AUTH_FAILED', 5],
      ['BAD_INPUT', 6],
      ['TLS_FAILED', 7],
      ['READY_TOO_LATE', 8],
      ['SHARDS_INCOMPLETE', 9],
      ['THRESHOLD_BREACHED', 99],
      ['HANGUP', 129],
      ['INTERRUPTED', 130],
    ];
    for (const [name, code] of cases) assert.equal(ExitCode[name], code, name);
    assert.deepEqual(
      Object.keys(ExitCode).sort(),
      cases.map(([name]) => name).sort(),
      'no code undocumented here',
    );
  });

  it('every code is distinct and fits a process exit status', () => {
    const values = Object.values(ExitCode);
    assert.equal(new Set(values).size, values.length);
    for (const value of values) assert.ok(Number.isInteger(value) && value >= 0 && value <= 255, `${value}`);
  });
});

describe('EXIT_CODE_HELP', () => {
  it('has one line per exit code, in ascending order, and no other line', () => {
    assert.equal(helpLines.length, Object.keys(ExitCode).length);
    assert.ok(
      helpCodes.every((code) => Number.isInteger(code)),
      EXIT_CODE_HELP,
    );
    assert.deepEqual(
      helpCodes,
      Object.values(ExitCode).sort((a, b) => a - b),
    );
  });

  it('aligns every description in one column after the code', () => {
    for (const line of helpLines) {
      const match = /^(\d+)( +)(\S.*)$/.exec(line);
      assert.ok(match, `line shape: ${JSON.stringify(line)}`);
      assert.equal(
        match[1]!.length + match[2]!.length,
        5,
        `description at column 5: ${JSON.stringify(line)}`,
      );
      assert.ok(match[3]!.length > 10, `a real description: ${line}`);
    }
  });

  it('says what the codes mean (the lines match their names)', () => {
    const lineOf = (code: number) => helpLines[helpCodes.indexOf(code)]!;
    const cases: Array<[number, RegExp]> = [
      [ExitCode.OK, /verified/],
      [ExitCode.ERROR, /error/],
      [ExitCode.USAGE, /usage/],
      [ExitCode.VERIFY_FAILED, /verification failed/],
      [ExitCode.UNREACHABLE, /unreachable/],
      [ExitCode.AUTH_FAILED, /authentication/],
      [ExitCode.BAD_INPUT, /bad input file/],
      [ExitCode.TLS_FAILED, /TLS failed/],
      [ExitCode.READY_TOO_LATE, /ready too late for --start-at/],
      [ExitCode.SHARDS_INCOMPLETE, /--merge: shards incomplete/],
      [ExitCode.THRESHOLD_BREACHED, /--threshold/],
      [ExitCode.HANGUP, /SIGHUP/],
      [ExitCode.INTERRUPTED, /interrupted/],
    ];
    for (const [code, pattern] of cases) assert.match(lineOf(code), pattern, `code ${code}`);
  });

  it('lists the same codes as the README’s exit code table', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('### Exit codes'));
    const table = section.slice(0, section.indexOf('\n## '));
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(codes, helpCodes);
  });
});

describe('HarperReplayError', () => {
  it('is an Error with its message, name, exit code and a stack', () => {
    for (const code of Object.values(ExitCode)) {
      const error = new HarperReplayError(`failed with ${code}`, code);
      assert.ok(error instanceof Error);
      assert.ok(error instanceof HarperReplayError);
      assert.equal(error.message, `failed with ${code}`);
      assert.equal(error.name, 'HarperReplayError');
      assert.equal(error.exitCode, code);
      assert.match(String(error), new RegExp(`^HarperReplayError: failed with ${code}$`));
      assert.match(error.stack ?? '', /errors\.test\.js/, 'the stack points at the throw site');
    }
  });

  it('keeps the exit code through a throw and catch', () => {
    assert.throws(
      () => {
        throw new HarperReplayError('bad --since', ExitCode.USAGE);
      },
      (error: unknown) => error instanceof HarperReplayError && error.exitCode === 2,
    );
  });
});

describe('exitKind and exitCodeHelp', () => {
  it('names every code once, and an unknown code as error', () => {
    const kinds = Object.values(ExitCode).map(exitKind);
    assert.equal(new Set(kinds).size, kinds.length);
    assert.equal(exitKind(ExitCode.BAD_INPUT), 'bad-input');
    assert.equal(exitKind(42), 'error');
  });

  it("a command's help lists only its codes, success in its own words", () => {
    const help = exitCodeHelp([ExitCode.OK, ExitCode.USAGE, ExitCode.BAD_INPUT], 'read to the end');
    assert.deepEqual(
      help.split('\n').map((line) => Number(/^(\d+)/.exec(line)?.[1])),
      [0, 2, 6],
    );
    assert.match(help, /^0 {4}read to the end$/m);
  });
});

describe('inputFileError', () => {
  it('is bad input (6) naming the path, whatever went wrong', () => {
    const cases: Array<[unknown, string]> = [
      [Object.assign(new Error('x'), { code: 'ENOENT' }), 'no such file: a.hrcap'],
      [Object.assign(new Error('x'), { code: 'EISDIR' }), 'a.hrcap is a directory, not a file'],
      [Object.assign(new Error('x'), { code: 'EACCES' }), 'a.hrcap: permission denied'],
      [new Error('bad magic at byte 0'), 'a.hrcap: bad magic at byte 0'],
      [new Error('a.hrcap: bad magic'), 'a.hrcap: bad magic'],
    ];
    for (const [error, message] of cases) {
      const mapped = inputFileError(error, 'a.hrcap');
      assert.equal(mapped.exitCode, ExitCode.BAD_INPUT);
      assert.equal(mapped.message, message);
    }
    const own = new HarperReplayError('--from-frame 9: past the end', ExitCode.USAGE);
    assert.equal(inputFileError(own, 'a.hrcap'), own);
  });

  it('names the flag first when a flag named the file (--ca, --cert, --key, --listen-cert)', () => {
    const cases: Array<[unknown, string]> = [
      [Object.assign(new Error('x'), { code: 'ENOENT' }), '--ca c.pem: cannot read it (no such file)'],
      [
        Object.assign(new Error('x'), { code: 'EISDIR' }),
        '--ca c.pem: cannot read it (a directory, not a file)',
      ],
      [Object.assign(new Error('x'), { code: 'EACCES' }), '--ca c.pem: cannot read it (permission denied)'],
      [Object.assign(new Error('x'), { code: 'EIO' }), '--ca c.pem: cannot read it (EIO)'],
    ];
    for (const [error, message] of cases) {
      const mapped = inputFileError(error, 'c.pem', '--ca');
      assert.equal(mapped.exitCode, ExitCode.BAD_INPUT);
      assert.equal(mapped.message, message);
    }
  });
});

describe('BENCH_EXIT_CODE_HELP', () => {
  it('is the load table without ready too late: bench takes no --shard', () => {
    const lines = BENCH_EXIT_CODE_HELP.split('\n');
    assert.equal(lines.length, helpLines.length - 1);
    assert.ok(!lines.some((line) => line.startsWith(`${ExitCode.READY_TOO_LATE} `)));
    assert.ok(helpLines.some((line) => line.startsWith(`${ExitCode.READY_TOO_LATE} `)));
  });
});
