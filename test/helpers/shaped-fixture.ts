/**
 * The shaped-record fixture the unit and integration tests share: the products template's encoder (what a shaped
 * synth with that template and seed writes) and the ids a run's final state has holding a value — what an index
 * search must answer, computed independently of src/run/shaped-verify.ts.
 */
import { readFileSync } from 'node:fs';
import type { ExpectedState } from '../../src/workload/operation-plan.js';
import type { RecordEncoder } from '../../src/workload/record-encoder.js';
import { parseTemplate } from '../../src/workload/shape-template.js';
import { ShapedRecordEncoder } from '../../src/workload/shaped-encoder.js';

export const PRODUCTS_TEMPLATE = 'templates/products.yaml';

/** The encoder of `synth --template templates/products.yaml` into `tableName` with `seed`. */
export function productsEncoder(tableName: string, seed: number): ShapedRecordEncoder {
  return new ShapedRecordEncoder(parseTemplate(readFileSync(PRODUCTS_TEMPLATE, 'utf8')), { tableName, seed });
}

/** Every id present in `state` whose expected `attribute` (at its last generation) equals `value`, ascending. */
export function idsHolding(
  state: ExpectedState,
  encoder: RecordEncoder,
  attribute: string,
  value: unknown,
): number[] {
  return Array.from({ length: state.maxId }, (_, i) => i + 1).filter((id) => {
    const generation = state.generationOf(id);
    return generation !== undefined && encoder.expected(id, generation)[attribute] === value;
  });
}
