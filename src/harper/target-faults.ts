/**
 * Target-side faults, only on nodes the tool starts itself (never on a user's node): a small Harper component,
 * placed in the node's root before it first runs, that patches `fs.createWriteStream` (Harper's blob writer looks
 * it up at call time) for files under `<root>/blobs/`:
 *
 *   blob-write-fail:N    every Nth blob file write fails with ENOENT (the #150 fixture's mechanism)
 *   blob-write-slow:MS   blob file writes go through one slow disk per worker: each chunk written takes MS and the
 *                        writes of all blob files queue behind each other (the receiver's chunk buffers grow: #147)
 *
 * The component logs through Harper's logger (hdb.log) that it is armed, and each time it fires; the tool checks
 * the first (a fault that did not arm is an error) and counts the second.
 */
import { parseDuration } from '../common/units.js';

export type TargetFault =
  | { kind: 'blob-write-fail'; every: number }
  | { kind: 'blob-write-slow'; delayMs: number };

export const FAULT_COMPONENT = 'harper-replay-faults';
/** What the component logs once loaded, and on each fault (log-scan classifies both). */
export const ARMED_LINE = 'harper-replay target fault armed:';
export const FIRED_LINE = 'harper-replay target fault fired:';

/** Parses `blob-write-fail:7` / `blob-write-slow:50ms`; throws a usage message. */
export function parseTargetFault(text: string): TargetFault {
  const match = /^\s*([a-z-]+)\s*:\s*(\S+)\s*$/.exec(text);
  if (!match)
    throw new Error(`--target-fault "${text}" is not KIND:VALUE (blob-write-fail:7, blob-write-slow:50ms)`);
  const [, kind, value] = match as unknown as [string, string, string];
  if (kind === 'blob-write-fail') {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new Error(`--target-fault blob-write-fail:${value}: every Nth write, N a whole number ≥ 1`);
    }
    return { kind, every: Number(value) };
  }
  if (kind === 'blob-write-slow') {
    let delayMs: number;
    try {
      delayMs = parseDuration(value);
    } catch {
      throw new Error(`--target-fault blob-write-slow:${value}: a delay such as 50ms`);
    }
    if (delayMs <= 0) throw new Error(`--target-fault blob-write-slow:${value}: the delay must be above 0`);
    return { kind, delayMs };
  }
  throw new Error(`--target-fault: unknown kind "${kind}"; known: blob-write-fail, blob-write-slow`);
}

export function describeTargetFault(fault: TargetFault): string {
  return fault.kind === 'blob-write-fail'
    ? `blob-write-fail every ${fault.every}`
    : `blob-write-slow ${fault.delayMs} ms per chunk`;
}

/** The component's files (config.yaml, package.json, resources.js) for these faults. */
export function faultComponentFiles(faults: readonly TargetFault[]): Record<string, string> {
  const fail = faults.find((f) => f.kind === 'blob-write-fail');
  const slow = faults.find((f) => f.kind === 'blob-write-slow');
  const settings = JSON.stringify({
    failEvery: fail?.kind === 'blob-write-fail' ? fail.every : 0,
    delayMs: slow?.kind === 'blob-write-slow' ? slow.delayMs : 0,
    armed: `${ARMED_LINE} ${faults.map(describeTargetFault).join(', ')}`,
    fired: FIRED_LINE,
  });
  return {
    'config.yaml': "jsResource:\n  files: 'resources.js'\n",
    'package.json': `${JSON.stringify({ name: FAULT_COMPONENT, private: true, type: 'module' })}\n`,
    'resources.js': COMPONENT_SOURCE.replace('__SETTINGS__', settings),
  };
}

// Runs inside the target (Harper's component loader, one copy per worker thread); `logger` is Harper's global.
const COMPONENT_SOURCE = `// Written by harper-replay for a node it started itself; removed with the node.
import { createRequire } from 'node:module';
import { basename, dirname, join, sep } from 'node:path';
const settings = __SETTINGS__;
const fs = createRequire(import.meta.url)('node:fs');
const original = fs.createWriteStream;
const underBlobs = (path) => typeof path === 'string' && path.includes(sep + 'blobs' + sep);
let writes = 0;
fs.createWriteStream = function (path, ...rest) {
  if (!underBlobs(path)) return original.call(this, path, ...rest);
  writes++;
  if (settings.failEvery && writes % settings.failEvery === 0) {
    logger.warn(settings.fired + ' blob-write-fail (write ' + writes + ')');
    return original.call(this, join(dirname(path), 'harper-replay-missing', basename(path)), ...rest);
  }
  const stream = original.call(this, path, ...rest);
  if (settings.delayMs) {
    logger.warn(settings.fired + ' blob-write-slow (write ' + writes + ')');
    const write = stream._write;
    const writev = stream._writev;
    stream._write = function (chunk, encoding, done) {
      setTimeout(() => write.call(stream, chunk, encoding, done), reserveDisk(1));
    };
    if (writev) {
      stream._writev = function (chunks, done) {
        setTimeout(() => writev.call(stream, chunks, done), reserveDisk(chunks.length));
      };
    }
  }
  return stream;
};
// One slow disk per worker: every blob file's writes queue behind each other's, so the worker writes one chunk
// per delayMs in all. (A delay per stream would let a thousand blobs wait in parallel and never fall behind.)
let diskFreeAt = 0;
function reserveDisk(chunks) {
  const now = Date.now();
  diskFreeAt = Math.max(now, diskFreeAt) + settings.delayMs * chunks;
  return diskFreeAt - now;
}
logger.notify(settings.armed);
`;
