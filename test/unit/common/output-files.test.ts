import assert from 'node:assert/strict';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import {
  checkOutputs,
  commitTemporary,
  openAtomicStream,
  sameFile,
  temporaryPath,
  writeFileAtomic,
} from '../../../src/common/output-files.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'hr-out-'));
}

function usageError(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof HarperReplayError && error.exitCode === ExitCode.USAGE && pattern.test(error.message);
}

describe('sameFile', () => {
  it('sees through symlinks, relative paths and hard links', () => {
    const dir = scratch();
    const input = join(dir, 'in.hrcap');
    writeFileSync(input, 'x');
    symlinkSync(input, join(dir, 'link.hrcap'));
    linkSync(input, join(dir, 'hard.hrcap'));
    mkdirSync(join(dir, 'sub'));
    assert.ok(sameFile(join(dir, 'link.hrcap'), input));
    assert.ok(sameFile(join(dir, 'hard.hrcap'), input));
    assert.ok(sameFile(join(dir, 'sub', '..', 'in.hrcap'), input));
    assert.ok(!sameFile(join(dir, 'other.hrcap'), input));
  });
});

describe('checkOutputs', () => {
  it('refuses an input as output even with --force, naming the flag and both paths', () => {
    const dir = scratch();
    const input = join(dir, 'self.hrcap');
    writeFileSync(input, 'capture');
    symlinkSync(input, join(dir, 'alias.pcapng'));
    for (const path of [input, join(dir, 'alias.pcapng')]) {
      assert.throws(
        () => checkOutputs([{ flag: '--out', path }], [input], true),
        usageError(/^--out .* is the input .*self\.hrcap: name another file/),
      );
    }
    assert.equal(readFileSync(input, 'utf8'), 'capture');
  });

  it('refuses an existing file without --force and takes it with --force', () => {
    const dir = scratch();
    const out = join(dir, 'r.html');
    writeFileSync(out, 'old');
    assert.throws(
      () => checkOutputs([{ flag: '--html', path: out }], [], false),
      usageError(/--html .* exists: pass --force/),
    );
    checkOutputs([{ flag: '--html', path: out }], [], true);
  });

  it('refuses a directory, a missing folder, a file as folder and two flags naming one file', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'plain'), '');
    assert.throws(() => checkOutputs([{ flag: '--out', path: dir }], [], true), usageError(/is a directory/));
    assert.throws(
      () => checkOutputs([{ flag: '--out', path: join(dir, 'nope', 'p.hrcap') }], [], false),
      usageError(/--out .*p\.hrcap: the folder .*nope does not exist/),
    );
    assert.throws(
      () => checkOutputs([{ flag: '--out', path: join(dir, 'plain', 'p.hrcap') }], [], false),
      usageError(/is not a folder/),
    );
    assert.throws(
      () =>
        checkOutputs(
          [
            { flag: '--samples', path: join(dir, 'a') },
            { flag: '--html', path: join(dir, '.', 'a') },
          ],
          [],
          false,
        ),
      usageError(/--samples and --html both name/),
    );
  });

  it('refuses a folder no file can be made in, and leaves nothing behind where one can', () => {
    // /proc refuses new files to root too; a folder without write permission only to others than root.
    assert.throws(
      () => checkOutputs([{ flag: '--out', path: '/proc/x.hrcap' }], [], false),
      usageError(/^--out \/proc\/x\.hrcap: cannot write in the folder \/proc \(ENOENT\)$/),
    );
    const dir = scratch();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    if (process.getuid?.() !== 0) {
      assert.throws(
        () => checkOutputs([{ flag: '--html', path: join(locked, 'r.html') }], [], false),
        usageError(/--html .*r\.html: cannot write in the folder .*locked \(EACCES\)/),
      );
    }
    chmodSync(locked, 0o755);
    checkOutputs([{ flag: '--out', path: join(dir, 'x.hrcap') }], [], false);
    assert.deepEqual(readdirSync(dir), ['locked'], 'the probe is removed');
  });

  it('lets the default folder be made later, and passes a new file in an existing folder', () => {
    const dir = scratch();
    checkOutputs([{ flag: '--out', path: join(dir, 'captures', 'x.hrcap'), defaultFolder: true }], [], false);
    checkOutputs([{ flag: '--out', path: join(dir, 'x.hrcap') }], [join(dir, 'in.hrcap')], false);
  });
});

describe('atomic writes', () => {
  it('writeFileAtomic leaves only the finished file', async () => {
    const dir = scratch();
    const path = join(dir, 'page.html');
    await writeFileAtomic(path, '<p>done</p>', false);
    assert.equal(readFileSync(path, 'utf8'), '<p>done</p>');
    assert.deepEqual(readdirSync(dir), ['page.html']);
  });

  it('without force the commit does not replace a file that appeared meanwhile, and keeps the new one aside', async () => {
    const dir = scratch();
    const path = join(dir, 'page.html');
    const { stream, temporary } = openAtomicStream(path);
    assert.ok(temporary);
    assert.equal(temporary, temporaryPath(path));
    await new Promise<void>((resolve) => stream.end('new', () => resolve()));
    writeFileSync(path, 'theirs');
    assert.throws(() => commitTemporary(temporary, path, false), /appeared while it was written/);
    assert.equal(readFileSync(path, 'utf8'), 'theirs');
    assert.equal(readFileSync(temporary, 'utf8'), 'new');
    commitTemporary(temporary, path, true);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['page.html']);
  });

  it('a failed write leaves no temporary file', async () => {
    const dir = scratch();
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.html'), 'x', false), /ENOENT/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a device is written in place, never renamed over', async () => {
    assert.equal(openAtomicStream('/dev/null').temporary, undefined);
    await writeFileAtomic('/dev/null', 'gone', true);
    await assert.rejects(writeFileAtomic('/dev/full', 'x', true), /ENOSPC/);
  });
});
