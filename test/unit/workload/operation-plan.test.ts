import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyDistribution } from '../../../src/workload/key-distribution.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import {
  OP_DELETE,
  OP_INSERT,
  OP_UPDATE,
  OperationPlan,
  type OperationPlanOptions,
  PresentIds,
} from '../../../src/workload/operation-plan.js';

const MIXED: OperationPlanOptions = {
  seed: 11,
  frames: 60,
  recordsPerFrame: 50,
  mix: parseOperationMix('insert=70,update=25,delete=5'),
  keys: parseKeyDistribution('zipf:1.1'),
};

/** Replays every frame's plan into a map id → generation: an independent model of the expected state. */
function modelOf(plan: OperationPlan, frames: number): Map<number, number> {
  const model = new Map<number, number>();
  for (let i = 0; i < frames; i++) {
    const { kinds, ids, generations } = plan.frame(i);
    const touched = new Set<number>();
    for (let j = 0; j < kinds.length; j++) {
      const id = ids[j]!;
      assert.ok(!touched.has(id), `frame ${i} touches id ${id} once`);
      touched.add(id);
      if (kinds[j] === OP_INSERT) {
        assert.ok(!model.has(id), `insert of a fresh id ${id}`);
        assert.equal(generations[j], 0);
        model.set(id, 0);
      } else {
        assert.ok(
          model.has(id),
          `frame ${i}: ${kinds[j] === OP_UPDATE ? 'update' : 'delete'} of a present id ${id}`,
        );
        if (kinds[j] === OP_UPDATE) {
          assert.equal(generations[j], model.get(id)! + 1, 'an update writes the next generation');
          model.set(id, generations[j]!);
        } else model.delete(id);
      }
    }
  }
  return model;
}

describe('PresentIds', () => {
  it('finds the k-th present id and counts up to an id', () => {
    const present = new PresentIds(20);
    for (const id of [3, 5, 8, 13, 20]) present.add(id, 1);
    present.add(8, -1);
    assert.equal(present.total, 4);
    assert.deepEqual(
      [1, 2, 3, 4].map((k) => present.kth(k)),
      [3, 5, 13, 20],
    );
    assert.deepEqual(
      [2, 5, 12, 13, 20].map((id) => present.countUpTo(id)),
      [0, 2, 2, 3, 4],
    );
  });
});

describe('OperationPlan', () => {
  it('pure inserts: ids idOffset+1… in order, generation 0, any frame directly', () => {
    const plan = new OperationPlan({ ...MIXED, mix: parseOperationMix('insert=1'), idOffset: 100 });
    assert.deepEqual([...plan.frame(7).ids.slice(0, 3)], [451, 452, 453]);
    assert.ok(plan.frame(59).kinds.every((k) => k === OP_INSERT));
    // firstInsertId (the synthesizer's shortcut) names the same ids as the frame's plan, for every frame.
    for (let index = 0; index < 60; index++) {
      const frame = plan.frame(index);
      const first = plan.firstInsertId(index)!;
      assert.deepEqual(
        [...frame.ids],
        Array.from({ length: frame.ids.length }, (_, j) => first + j),
      );
      assert.ok(frame.generations.every((g) => g === 0));
    }
    assert.throws(() => plan.firstInsertId(60), RangeError);
    assert.equal(new OperationPlan(MIXED).firstInsertId(0), undefined, 'a mix has no shortcut');
    const state = plan.finalState();
    assert.equal(state.maxId, 100 + 3000);
    assert.equal(state.presentCount, 3000);
    assert.deepEqual(
      [100, 101, 3100, 3101].map((id) => state.generationOf(id)),
      [undefined, 0, 0, undefined],
    );
    assert.deepEqual(plan.counts().sent, { insert: 3000, update: 0, delete: 0 });
  });

  it('a mix: each frame touches an id once, updates the next generation, deletes present ids; the final state matches a replay', () => {
    const plan = new OperationPlan(MIXED);
    const model = modelOf(plan, MIXED.frames);
    const state = plan.finalState();
    assert.equal(state.presentCount, model.size);
    for (let id = 1; id <= state.maxId; id++) assert.equal(state.generationOf(id), model.get(id), `id ${id}`);
    const { planned, sent } = plan.counts();
    const total = MIXED.frames * MIXED.recordsPerFrame;
    assert.equal(planned.insert + planned.update + planned.delete, total);
    assert.equal(sent.insert + sent.update + sent.delete, total);
    // Frame 0 has nothing to update: its updates and deletes went out as inserts.
    assert.ok(sent.insert > planned.insert && sent.update <= planned.update);
    assert.equal(state.maxId, sent.insert);
    assert.equal(state.presentCount, sent.insert - sent.delete);
    assert.ok(Math.abs(planned.update / total - 0.25) < 0.04, `planned updates ${planned.update}`);
    // Zipf over ids by age: the old ids are updated (or deleted) far more often than the new ones.
    let oldest = 0;
    let newest = 0;
    for (let id = 1; id <= 100; id++) oldest += state.generationOf(id) ?? 0;
    for (let id = state.maxId - 99; id <= state.maxId; id++) newest += state.generationOf(id) ?? 0;
    assert.ok(
      oldest > 5 * newest && oldest > 100,
      `generations of the oldest 100 ids ${oldest}, newest ${newest}`,
    );
  });

  it('each frame names the latest earlier frame that wrote an id it updates or deletes (what the sender waits for)', () => {
    const plan = new OperationPlan(MIXED);
    const writtenIn = new Map<number, number>();
    const dependencies: number[] = [];
    for (let i = 0; i < MIXED.frames; i++) {
      const { kinds, ids, dependsOn } = plan.frame(i);
      let expected = -1;
      for (let j = 0; j < kinds.length; j++) {
        if (kinds[j] !== OP_INSERT) expected = Math.max(expected, writtenIn.get(ids[j]!)!);
      }
      assert.equal(dependsOn, expected, `frame ${i}`);
      assert.ok(dependsOn < i, `frame ${i} depends on an earlier frame`);
      for (const id of ids) writtenIn.set(id, i);
      dependencies.push(dependsOn);
    }
    assert.equal(dependencies[0], -1, 'frame 0 only inserts');
    // Zipf keys rewrite the ids of the frame just before often: the case 4.7.29 dropped without the wait.
    const onPrevious = dependencies.filter((d, i) => i > 0 && d === i - 1).length;
    assert.ok(onPrevious > 10, `${onPrevious} frames depend on the previous one`);
    // Uniform keys over many ids reach back further: some frames depend on an older frame only.
    const uniform = new OperationPlan({
      ...MIXED,
      recordsPerFrame: 20,
      keys: parseKeyDistribution('uniform'),
    });
    const older = Array.from({ length: MIXED.frames }, (_, i) => uniform.frame(i).dependsOn).filter(
      (d, i) => d >= 0 && d < i - 1,
    ).length;
    assert.ok(older > 0, `${older} frames depend on an older frame only`);
    // Pure inserts depend on nothing.
    const inserts = new OperationPlan({ ...MIXED, mix: parseOperationMix('insert=1') });
    assert.equal(inserts.frame(7).dependsOn, -1);
  });

  it('the same seed plans the same frames; rebuilding an earlier frame (cached or replayed) gives the same plan', () => {
    const a = new OperationPlan(MIXED);
    const b = new OperationPlan(MIXED);
    const inOrder = Array.from({ length: MIXED.frames }, (_, i) => a.frame(i));
    assert.deepEqual(b.frame(59), inOrder[59]);
    assert.deepEqual(b.frame(3), inOrder[3]);
    // A plan whose cache holds 2 frames replays the earlier ones from frame 0.
    const c = new OperationPlan({ ...MIXED, cachedEntries: 1 });
    const frames = Array.from({ length: 10 }, (_, i) => c.frame(i));
    for (const i of [0, 1, 2, 7, 8, 9]) assert.deepEqual(c.frame(i), frames[i], `frame ${i} rebuilt`);
    assert.deepEqual(c.frame(10), inOrder[10]);
    const other = new OperationPlan({ ...MIXED, seed: 12 });
    assert.notDeepEqual(other.frame(10), inOrder[10]);
  });

  it('deletes only: the first frame inserts, later frames delete until nothing is left', () => {
    const plan = new OperationPlan({
      ...MIXED,
      frames: 4,
      recordsPerFrame: 10,
      mix: parseOperationMix('delete=1'),
      keys: parseKeyDistribution('uniform'),
    });
    assert.ok(plan.frame(0).kinds.every((k) => k === OP_INSERT));
    assert.ok(plan.frame(1).kinds.every((k) => k === OP_DELETE));
    assert.ok(
      plan.frame(2).kinds.every((k) => k === OP_INSERT),
      'nothing left to delete: inserts again',
    );
    assert.equal(plan.finalState().presentCount, 0);
    assert.deepEqual(plan.counts(), {
      planned: { insert: 0, update: 0, delete: 40 },
      sent: { insert: 20, update: 0, delete: 20 },
    });
  });

  it('leadingInserts: the first n entries insert ids 1…n whatever the mix, then the mix updates and deletes them', () => {
    const options = { ...MIXED, frames: 12, recordsPerFrame: 10, leadingInserts: 25 };
    const plan = new OperationPlan(options);
    const kinds = [0, 1, 2].flatMap((i) => [...plan.frame(i).kinds]);
    const ids = [0, 1, 2].flatMap((i) => [...plan.frame(i).ids]);
    assert.deepEqual(kinds.slice(0, 25), new Array(25).fill(OP_INSERT));
    assert.deepEqual(
      ids.slice(0, 25),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    const model = modelOf(plan, options.frames);
    const counts = plan.counts();
    assert.ok(counts.sent.update > 0 && counts.sent.delete > 0, JSON.stringify(counts));
    // The first frame the mix plans after the leading inserts rewrites the leading ids only.
    const after = plan.frame(3);
    for (let j = 0; j < after.kinds.length; j++) {
      if (after.kinds[j] !== OP_INSERT) assert.ok(after.ids[j]! <= 30, `frame 3 touches id ${after.ids[j]}`);
    }
    const state = plan.finalState();
    assert.equal(state.presentCount, model.size);
    for (const [id, generation] of model) assert.equal(state.generationOf(id), generation);
    // Without them the same mix updates from frame 1 on: the leading inserts changed the plan.
    const plain = new OperationPlan({ ...MIXED, frames: 12, recordsPerFrame: 10 });
    assert.ok([...plain.frame(1).kinds].some((k) => k !== OP_INSERT));
  });

  it('sequential updates walk the present ids in id order', () => {
    const plan = new OperationPlan({
      ...MIXED,
      frames: 3,
      recordsPerFrame: 4,
      mix: parseOperationMix('update=1'),
      keys: parseKeyDistribution('sequential'),
    });
    assert.deepEqual([...plan.frame(1).ids], [1, 2, 3, 4]);
    assert.deepEqual([...plan.frame(2).ids], [1, 2, 3, 4]);
    assert.deepEqual([...plan.frame(2).generations], [2, 2, 2, 2]);
  });

  it('10M ids stay compact: the state of a 10M-entry plan adds well under 200 MiB', () => {
    const before = process.memoryUsage().arrayBuffers;
    const plan = new OperationPlan({
      ...MIXED,
      frames: 100,
      recordsPerFrame: 100_000,
      keys: parseKeyDistribution('hot:10%'),
    });
    plan.frame(1);
    const grown = (process.memoryUsage().arrayBuffers - before) / 2 ** 20;
    assert.ok(grown < 120, `${grown.toFixed(0)} MiB of typed arrays`);
  });
});
