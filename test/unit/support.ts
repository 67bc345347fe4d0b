/** Shared helpers of the unit tests: the golden frames of a live harperdb 4.7.29 node and a seeded PRNG. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CodecError } from '../../src/protocol/varint.js';

export interface GoldenFrame {
  name: string;
  direction: 'tool->node' | 'node->tool';
  hex: string;
  note: string;
  decoded: unknown;
}

interface GoldenFile {
  harperdb: string;
  frames: GoldenFrame[];
}

// Compiled, this file is dist/test/unit/support.js: three levels up is the package root.
const FIXTURE = new URL('../../../test/fixtures/golden-4.7.29.json', import.meta.url);

let cache: GoldenFile | undefined;

export function goldenFrames(): GoldenFrame[] {
  cache ??= JSON.parse(readFileSync(FIXTURE, 'utf8')) as GoldenFile;
  return cache.frames;
}

export function golden(name: string): GoldenFrame {
  const frame = goldenFrames().find((f) => f.name === name);
  if (!frame) throw new Error(`no golden frame ${name}`);
  return frame;
}

export function goldenBytes(name: string): Buffer {
  return Buffer.from(golden(name).hex, 'hex');
}

/** The float64 sequence id in the last 8 bytes of a txn frame's `09 0b <f64>` tail. */
export function tailOf(frame: Uint8Array): number {
  assert.equal(frame[frame.length - 10], 0x09, 'frame ends with a 09 0b tail');
  assert.equal(frame[frame.length - 9], 0x0b, 'frame ends with a 09 0b tail');
  return Buffer.from(frame).readDoubleBE(frame.length - 8);
}

/** mulberry32, kept separate from src/workload/deterministic.ts so a bug there cannot hide one here. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max] (inclusive). */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Runs `fn` and returns the CodecError it throws; fails on no throw or any other error type. */
export function expectCodecError(fn: () => unknown, message?: string): CodecError {
  try {
    fn();
  } catch (error) {
    assert.ok(
      error instanceof CodecError,
      `${message ?? 'expected a CodecError'}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
    );
    return error;
  }
  assert.fail(`${message ?? 'expected a CodecError'}, but nothing was thrown`);
}
