/**
 * The files a command writes: checked before anything runs (never an input, never an existing file without
 * --force, never a directory, never in a folder that does not exist), and committed whole (written under a
 * temporary name in the same folder, renamed at the end), so nothing a user had is lost and no half-written file
 * looks finished.
 */

import {
  closeSync,
  createWriteStream,
  existsSync,
  linkSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  type WriteStream,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExitCode, HarperReplayError } from './errors.js';

/** One file a command will write, named by the flag that asked for it (for the message). */
export interface PlannedOutput {
  flag: string;
  path: string;
  /** The folder is the tool's default (captures/): made when missing instead of refused. */
  defaultFolder?: boolean;
}

function usage(message: string): HarperReplayError {
  return new HarperReplayError(message, ExitCode.USAGE);
}

/** The path with its folder's symlinks resolved (the file itself may not exist yet). */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

function identity(path: string): { dev: number; ino: number } | undefined {
  try {
    const stat = statSync(path);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}

/** Same file: the same path once symlinks are resolved, or the same inode (a hard link). */
export function sameFile(a: string, b: string): boolean {
  if (canonical(a) === canonical(b)) return true;
  const x = identity(a);
  const y = identity(b);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Throws a usage error (exit 2) naming the flag and path when an output cannot be written as asked. Run before any
 * node is touched or any file created.
 */
export function checkOutputs(outputs: PlannedOutput[], inputs: string[], force: boolean): void {
  outputs.forEach((output, index) => {
    const { flag, path } = output;
    for (const input of inputs) {
      if (sameFile(path, input)) {
        throw usage(
          `${flag} ${path} is the input ${input}: name another file (--force never replaces an input)`,
        );
      }
    }
    for (const other of outputs.slice(0, index)) {
      if (sameFile(path, other.path))
        throw usage(`${other.flag} and ${flag} both name ${path}: name two files`);
    }
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(path);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) throw usage(`${flag} ${path} is a directory: name a file in it`);
    if (stat && !force) throw usage(`${flag} ${path} exists: pass --force to replace it`);
    const folder = dirname(resolve(path));
    if (!output.defaultFolder) {
      let folderStat: ReturnType<typeof statSync> | undefined;
      try {
        folderStat = statSync(folder);
      } catch {
        throw usage(`${flag} ${path}: the folder ${dirname(path)} does not exist`);
      }
      if (!folderStat.isDirectory()) throw usage(`${flag} ${path}: ${dirname(path)} is not a folder`);
    }
    const unwritable = unwritableReason(folder);
    if (unwritable)
      throw usage(`${flag} ${path}: cannot write in the folder ${dirname(path)} (${unwritable})`);
  });
}

/**
 * Why no file can be made in `folder` (an error code), or undefined when one can (or the folder is yet to be made).
 * Tried, not predicted from the mode bits: root ignores them, and /proc or a read-only mount refuse root too.
 */
function unwritableReason(folder: string): string | undefined {
  if (!existsSync(folder)) return undefined;
  const probe = join(folder, `.harper-replay-probe.${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A probe left by a killed run of the same pid is still proof the folder takes files.
    return code === 'EEXIST' ? undefined : (code ?? (error as Error).message);
  }
  unlinkSync(probe);
  return undefined;
}

/** The temporary name a file is written under until it is complete: hidden, in the same folder, per process. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
}

/**
 * Moves a finished temporary file to its name. Without `force` the move refuses an existing file (link fails on
 * EEXIST), so a file that appeared since the check is not replaced either.
 */
export function commitTemporary(temporary: string, path: string, force: boolean): void {
  if (force) {
    renameSync(temporary, path);
    return;
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new HarperReplayError(
        `${path} appeared while it was written: the new file is ${temporary}`,
        ExitCode.ERROR,
      );
    }
    throw error;
  }
  unlinkSync(temporary);
}

/** Removes a temporary file that will not be committed; a missing one is fine. */
export function discardTemporary(temporary: string): void {
  try {
    unlinkSync(temporary);
  } catch {}
}

/** A whole file written at once, atomically. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  force: boolean,
): Promise<void> {
  if (isSpecialFile(path)) {
    await writeFile(path, data);
    return;
  }
  const temporary = temporaryPath(path);
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    commitTemporary(temporary, path, force);
  } catch (error) {
    discardTemporary(temporary);
    throw error;
  }
}

/** True for an existing output that is not a plain file (/dev/null, /dev/full, a FIFO): written in place. */
export function isSpecialFile(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A stream written under the temporary name (`commitTemporary` gives it its name, `discardTemporary` removes it);
 * a device or FIFO is written directly (`temporary` undefined): it has no name to replace.
 */
export function openAtomicStream(path: string): { stream: WriteStream; temporary: string | undefined } {
  if (isSpecialFile(path)) return { stream: createWriteStream(path, { flags: 'w' }), temporary: undefined };
  const temporary = temporaryPath(path);
  return { stream: createWriteStream(temporary, { flags: 'wx' }), temporary };
}
