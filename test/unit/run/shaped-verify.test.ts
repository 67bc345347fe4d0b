/** The in-run index check's plan: a value written to a present sampled id, and every sampled id that holds it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexSearchPlan, type VerifiedTable } from '../../../src/run/shaped-verify.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { OperationPlan } from '../../../src/workload/operation-plan.js';
import { idsHolding, productsEncoder } from '../../helpers/shaped-fixture.js';

function table(indexed: string[]): VerifiedTable {
  return { table: 'p', primaryKey: 'id', indexed, encoder: productsEncoder('p', 4) };
}

describe('indexSearchPlan', () => {
  it('searches the first indexed attribute, for the ids of the sample that hold the value now (deleted ones left out)', () => {
    const plan = new OperationPlan({
      seed: 9,
      frames: 20,
      recordsPerFrame: 50,
      mix: parseOperationMix('insert=60,update=30,delete=10'),
      keys: { kind: 'uniform' },
    });
    const state = plan.finalState();
    const entry = table(['category', 'brand']);
    const search = indexSearchPlan(entry, state, 9);
    assert.ok(search);
    assert.equal(search.attribute, 'category');
    assert.ok(search.ids.length > 0);
    for (const id of search.ids) {
      const generation = state.generationOf(id);
      assert.notEqual(generation, undefined, `id ${id} is deleted`);
      assert.equal(entry.encoder.expected(id, generation!).category, search.value);
    }
    // Every present id of the whole run with that value that the sample holds is listed: none left out.
    const all = idsHolding(state, entry.encoder, 'category', search.value);
    assert.ok(search.ids.every((id) => all.includes(id)));
  });

  it('nothing to search without indexed attributes; a non-plain indexed value is passed over', () => {
    const state = new OperationPlan({
      seed: 1,
      frames: 2,
      recordsPerFrame: 10,
      mix: parseOperationMix('insert=1'),
      keys: { kind: 'uniform' },
    }).finalState();
    assert.equal(indexSearchPlan(table([]), state, 1), undefined);
    // dimensions is an object: the search falls to brand.
    assert.equal(indexSearchPlan(table(['dimensions', 'brand']), state, 1)?.attribute, 'brand');
  });
});
