/**
 * --like FILE.hrcap --scale Nx --mix: the run rewrites the CAPTURED ids. The operation plan numbers ids 1, 2, … in
 * the order it inserts them; per table, plan ids 1…n are the capture's ids (ascending) and later ones follow the
 * largest captured id, so the plan's first n inserts re-create the captured records (with their captured values,
 * CapturedValuesEncoder) and its updates and deletes then hit those ids with later versions.
 */
import { ExitCode, HarperReplayError } from '../common/errors.js';
import type { ExpectedState } from './operation-plan.js';

/** Largest id the plan can carry (its ids are Uint32). */
const MAX_ID = 0xffffffff;

/** Plan ids ↔ a table's keys: 1…n are the captured ids, n + k is the largest captured id + k. */
export class CapturedIdSpace {
  readonly largest: number;

  /** `ids`: the captured ids, ascending and distinct. */
  constructor(readonly ids: Uint32Array) {
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i]! > ids[i - 1]!)) throw new RangeError('captured ids must be ascending and distinct');
    }
    this.largest = ids.length ? ids[ids.length - 1]! : 0;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The key plan id `local` (1-based) writes. */
  keyOf(local: number): number {
    return local <= this.ids.length ? this.ids[local - 1]! : this.largest + (local - this.ids.length);
  }

  /** The plan id of `key`, or undefined for a key the plan never uses (a gap between captured ids, 0, …). */
  localOf(key: number): number | undefined {
    if (!Number.isInteger(key) || key < 1) return undefined;
    if (key > this.largest) return this.ids.length + (key - this.largest);
    let low = 0;
    let high = this.ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const id = this.ids[middle]!;
      if (id === key) return middle + 1;
      if (id < key) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** The plan's final state seen through this table's keys: what verification of this table compares. */
  expected(state: ExpectedState): ExpectedState {
    return {
      maxId: state.maxId ? this.keyOf(state.maxId) : 0,
      presentCount: state.presentCount,
      generationOf: (key) => {
        const local = this.localOf(key);
        return local === undefined ? undefined : state.generationOf(local);
      },
    };
  }
}

/**
 * The ids a capture's table holds at its end (put, not deleted afterwards), ascending. Throws a usage error naming
 * the table when one is not a positive integer: the plan's ids are.
 */
export function capturedIds(keys: Iterable<unknown>, table: string): Uint32Array {
  const ids: number[] = [];
  for (const key of keys) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 1 || key > MAX_ID) {
      throw new HarperReplayError(
        `--mix with --scale rewrites the captured ids, but ${table} has id ${JSON.stringify(key)}: only integer ids 1…${MAX_ID} can be rewritten (drop --mix for new ids)`,
        ExitCode.USAGE,
      );
    }
    ids.push(key);
  }
  return Uint32Array.from(ids.sort((a, b) => a - b));
}

/** Plan ids (local to table t) → keys, per table; a table without captured ids keeps the plan's ids. */
export type TableIdSpaces = ReadonlyArray<CapturedIdSpace | undefined>;
