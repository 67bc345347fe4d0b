/**
 * Verification of a mix: which ids to read back, and how a row read from the target compares with the expected
 * state (present ids hold expected(id, generation), deleted ones are gone).
 */

import type { ValueSample } from '../events/schema.js';
import { mix, prng } from './deterministic.js';
import type { ExpectedState } from './operation-plan.js';
import type { RecordEncoder } from './record-encoder.js';

/** Ids read back by default: enough to see a systematic fault, few enough to read in one request. */
export const SAMPLE_SIZE = 200;
const REPORTED_MISMATCHES = 5;

/** `size` distinct ids of firstId…state.maxId (all of them when fewer), deterministic from the seed, ascending. */
export function sampleIds(state: ExpectedState, firstId: number, seed: number, size = SAMPLE_SIZE): number[] {
  const span = state.maxId - firstId + 1;
  if (span <= 0) return [];
  if (span <= size) return Array.from({ length: span }, (_, i) => firstId + i);
  const random = prng(mix(seed, 0x73616d70));
  const chosen = new Set<number>();
  while (chosen.size < size) chosen.add(firstId + (random() % span));
  return [...chosen].sort((a, b) => a - b);
}

/** The attributes verification reads back: every attribute of a record but blobs (compared by presence only). */
export function comparedAttributes(encoder: RecordEncoder, id: number): string[] {
  return Object.keys(encoder.expected(id, 0)).filter((name) => name !== 'blob');
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** Compares the rows read for `ids` (by id; a missing id has no row) with the expected state. */
export function checkSample(
  ids: readonly number[],
  rows: ReadonlyArray<Record<string, unknown>>,
  state: ExpectedState,
  encoder: Pick<RecordEncoder, 'expected'>,
  attributes: readonly string[],
  primaryKey = 'id',
): ValueSample {
  // 4.7.29's search_by_id answers a deleted id with a row whose id is null: that is no row.
  const byId = new Map(
    rows.filter((row) => row[primaryKey] != null).map((row) => [Number(row[primaryKey]), row]),
  );
  const sample: ValueSample = { checked: ids.length, present: 0, mismatches: 0, firstMismatches: [] };
  const mismatch = (line: string) => {
    sample.mismatches++;
    if (sample.firstMismatches.length < REPORTED_MISMATCHES) sample.firstMismatches.push(line);
  };
  for (const id of ids) {
    const generation = state.generationOf(id);
    const row = byId.get(id);
    if (generation === undefined) {
      if (row) mismatch(`id ${id}: should be absent (deleted or never inserted), found a row`);
      continue;
    }
    sample.present++;
    if (!row) {
      mismatch(`id ${id}: missing (expected generation ${generation})`);
      continue;
    }
    const expected = encoder.expected(id, generation);
    const differing = attributes.find((name) => !same(row[name], expected[name]));
    if (differing !== undefined) {
      mismatch(
        `id ${id}: ${differing} is ${show(row[differing])}, expected ${show(expected[differing])} (generation ${generation})`,
      );
    }
  }
  return sample;
}
