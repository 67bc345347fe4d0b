/**
 * The operation plan: for frame i, entry j, which operation (insert, update, delete) on which id, in which
 * generation. Deterministic from the seed; pure inserts are computed for any frame directly. A mix has state (which
 * ids exist, each one's generation, the frame that last wrote it) that evolves frame by frame, kept compact: a Fenwick
 * tree of present ids (rank → id in O(log n)), one generation and one frame word per id, 12 bytes an id (10M ids ≈
 * 120 MB).
 *
 * Rules that keep the target's final state predictable:
 * - an update or delete touches an id present before its frame, and at most once per frame: a frame is one
 *   transaction with one version, and Harper drops a second write of a key at an equal version (Table.ts
 *   precedesExistingVersion ties). A drawn id already touched in the frame is redrawn (8 times), then the entry
 *   falls back to an insert, as it does when no id exists yet; both are counted (planned vs sent).
 * - inserts take fresh ids (idOffset + 1, + 2, …), so a deleted id never comes back.
 * - each frame names the latest earlier frame that wrote an id it updates or deletes (`dependsOn`): the sender
 *   holds the frame until the target has acked that one. 4.7.29 applies a received frame as one optimistic
 *   transaction conditioned on the versions it read; when a frame is read before the frame it depends on is
 *   committed, a stale condition on any but its first key silently drops the whole frame (DatabaseTransaction
 *   checks only the outermost of lmdb's nested ifVersion results), although it is acked.
 */

import { mix, prng } from './deterministic.js';
import { type KeyDistribution, type RankSampler, rankSampler } from './key-distribution.js';
import { isPureInserts, OPERATIONS, type OperationKind, type OperationMix } from './operation-mix.js';

export const OP_INSERT = 0;
export const OP_UPDATE = 1;
export const OP_DELETE = 2;

export interface OperationPlanOptions {
  seed: number;
  frames: number;
  recordsPerFrame: number;
  /** Ids start after this (default 0). */
  idOffset?: number;
  mix: OperationMix;
  keys: KeyDistribution;
  /**
   * The first this many entries are inserts whatever the mix draws (ids 1…n): --scale --mix re-creates a capture's
   * ids first, so its updates and deletes start on the captured key space (captured-ids.ts).
   */
  leadingInserts?: number;
  /** Entries of recent frame plans kept for rebuilds (default 1M); older frames are planned again from frame 0. */
  cachedEntries?: number;
}

/**
 * One frame's entries: kind (OP_*), id and generation (the version written; for a delete, the one deleted). Its
 * arrays are read-only: frames of inserts share their kinds and generations.
 */
export interface FramePlan {
  kinds: Uint8Array;
  ids: Uint32Array;
  generations: Uint32Array;
  /** The latest earlier frame that wrote an id this frame updates or deletes; -1 when none does. */
  dependsOn: number;
}

export interface OperationCounts {
  /** What the mix drew. */
  planned: Record<OperationKind, number>;
  /** What the frames carry: an update or delete with no id to touch went out as an insert. */
  sent: Record<OperationKind, number>;
}

/** The target's state after the last frame: what verification compares. */
export interface ExpectedState {
  /** Highest id any frame inserted (ids idOffset+1 … maxId were used). */
  readonly maxId: number;
  /** Ids present at the end. */
  readonly presentCount: number;
  /** The last generation of a present id; undefined for a deleted or never inserted one. */
  generationOf(id: number): number | undefined;
}

const DELETED = 0xffffffff;
const REDRAWS = 8;
const CACHED_ENTRIES = 1 << 20;

const zeroCounts = (): Record<OperationKind, number> => ({ insert: 0, update: 0, delete: 0 });

/** Counts of present ids by id, with k-th present id lookup: the rank space the key distributions draw from. */
export class PresentIds {
  private readonly tree: Int32Array;
  private readonly topBit: number;
  total = 0;

  constructor(readonly capacity: number) {
    this.tree = new Int32Array(capacity + 1);
    this.topBit = capacity > 0 ? 2 ** Math.floor(Math.log2(capacity)) : 0;
  }

  add(id: number, delta: 1 | -1): void {
    this.total += delta;
    for (let i = id; i <= this.capacity; i += i & -i) this.tree[i]! += delta;
  }

  /** Present ids ≤ id. */
  countUpTo(id: number): number {
    let sum = 0;
    for (let i = Math.min(id, this.capacity); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  /** The k-th present id (1-based, k ≤ total). */
  kth(k: number): number {
    let position = 0;
    let rest = k;
    for (let bit = this.topBit; bit > 0; bit >>= 1) {
      const next = position + bit;
      if (next <= this.capacity && this.tree[next]! < rest) {
        position = next;
        rest -= this.tree[next]!;
      }
    }
    return position + 1;
  }
}

/** Plans frames in order from frame 0, holding the state they evolve. */
class PlanCursor {
  next = 0;
  private nextId = 1;
  private readonly present: PresentIds;
  private readonly generation: Uint32Array;
  /** Per id: 1 + the frame that last wrote it (0 = never). */
  private readonly writtenIn: Uint32Array;
  private readonly sampler: RankSampler;
  private lastSequential = 0;
  readonly counts: OperationCounts = { planned: zeroCounts(), sent: zeroCounts() };

  constructor(private readonly options: OperationPlanOptions) {
    const capacity = options.frames * options.recordsPerFrame;
    this.present = new PresentIds(capacity);
    this.generation = new Uint32Array(capacity + 1);
    this.writtenIn = new Uint32Array(capacity + 1);
    this.sampler = rankSampler(options.keys);
  }

  /** Plans frame `this.next` and moves on. */
  advance(): FramePlan {
    const { recordsPerFrame, seed, mix: shares } = this.options;
    const offset = this.options.idOffset ?? 0;
    const random = prng(mix(seed ^ 0x6f70706c, this.next));
    const uniform = () => random() / 2 ** 32;
    const plan: FramePlan = {
      kinds: new Uint8Array(recordsPerFrame),
      ids: new Uint32Array(recordsPerFrame),
      generations: new Uint32Array(recordsPerFrame),
      dependsOn: -1,
    };
    const touched = new Set<number>();
    const fresh: number[] = [];
    const leading = Math.max(0, (this.options.leadingInserts ?? 0) - this.next * recordsPerFrame);
    for (let j = 0; j < recordsPerFrame; j++) {
      const draw = j < leading ? 0 : uniform();
      let kind = OP_DELETE;
      if (draw < shares.insert || j < leading) kind = OP_INSERT;
      else if (draw < shares.insert + shares.update || shares.delete === 0) kind = OP_UPDATE;
      this.counts.planned[OPERATIONS[kind]!]++;
      let id = kind === OP_INSERT ? 0 : this.pick(touched, uniform);
      if (id === 0) kind = OP_INSERT;
      if (kind === OP_INSERT) {
        id = this.nextId++;
        this.generation[id] = 0;
        fresh.push(id);
      } else {
        touched.add(id);
        plan.dependsOn = Math.max(plan.dependsOn, this.writtenIn[id]! - 1);
        if (kind === OP_UPDATE) this.generation[id]!++;
        else this.present.add(id, -1);
      }
      this.counts.sent[OPERATIONS[kind]!]++;
      plan.kinds[j] = kind;
      plan.ids[j] = offset + id;
      plan.generations[j] = this.generation[id]!;
      this.writtenIn[id] = this.next + 1;
      if (kind === OP_DELETE) this.generation[id] = DELETED;
    }
    // This frame's inserts become updatable from the next frame on (one version per frame).
    for (const id of fresh) this.present.add(id, 1);
    this.next++;
    return plan;
  }

  /** A present id not yet touched in this frame, or 0. */
  private pick(touched: Set<number>, uniform: () => number): number {
    const n = this.present.total;
    if (n === 0) return 0;
    const sequential = this.options.keys.kind === 'sequential';
    for (let attempt = 0; attempt < REDRAWS; attempt++) {
      const previous = sequential ? this.present.countUpTo(this.lastSequential) : 0;
      const id = this.present.kth(this.sampler.draw(n, uniform, previous));
      if (sequential) this.lastSequential = id;
      if (!touched.has(id)) return id;
    }
    return 0;
  }

  state(): ExpectedState {
    const offset = this.options.idOffset ?? 0;
    const generation = this.generation;
    const inserted = this.nextId - 1;
    return {
      maxId: offset + inserted,
      presentCount: this.present.total,
      generationOf: (id) => {
        const local = id - offset;
        if (!(local >= 1 && local <= inserted)) return undefined;
        const g = generation[local]!;
        return g === DELETED ? undefined : g;
      },
    };
  }
}

export class OperationPlan {
  readonly pureInserts: boolean;
  private head?: PlanCursor;
  private trailing?: PlanCursor;
  private readonly cache = new Map<number, FramePlan>();

  constructor(readonly options: OperationPlanOptions) {
    this.pureInserts = isPureInserts(options.mix);
  }

  /** The plan of frame `index`: in order it advances the state; an earlier frame comes from the cache or a replay. */
  frame(index: number): FramePlan {
    if (!(index >= 0 && index < this.options.frames)) throw new RangeError(`no frame ${index} in the plan`);
    if (this.pureInserts) return this.insertsOf(index);
    const cached = this.cache.get(index);
    if (cached) return cached;
    this.head ??= new PlanCursor(this.options);
    if (index >= this.head.next) {
      let plan: FramePlan;
      do {
        plan = this.head.advance();
        this.remember(this.head.next - 1, plan);
      } while (this.head.next <= index);
      return plan;
    }
    // Older than the cache: plan again from frame 0 on a second cursor, kept for the frames after it.
    if (!this.trailing || this.trailing.next > index) this.trailing = new PlanCursor(this.options);
    let plan: FramePlan;
    do plan = this.trailing.advance();
    while (this.trailing.next <= index);
    return plan;
  }

  /**
   * With pure inserts, the first id of frame `index` (it inserts that id and the next recordsPerFrame − 1, all in
   * generation 0, as frame(index) lists them); undefined with any other mix.
   */
  firstInsertId(index: number): number | undefined {
    if (!this.pureInserts) return undefined;
    if (!(index >= 0 && index < this.options.frames)) throw new RangeError(`no frame ${index} in the plan`);
    return (this.options.idOffset ?? 0) + index * this.options.recordsPerFrame + 1;
  }

  /** The state after the last frame (plans the frames not planned yet). */
  finalState(): ExpectedState {
    if (this.pureInserts) {
      const offset = this.options.idOffset ?? 0;
      const maxId = offset + this.options.frames * this.options.recordsPerFrame;
      return {
        maxId,
        presentCount: maxId - offset,
        generationOf: (id) => (id > offset && id <= maxId ? 0 : undefined),
      };
    }
    this.frame(this.options.frames - 1);
    return this.head!.state();
  }

  /** Operations planned and sent over the whole run. */
  counts(): OperationCounts {
    if (this.pureInserts) {
      const total = this.options.frames * this.options.recordsPerFrame;
      return { planned: { ...zeroCounts(), insert: total }, sent: { ...zeroCounts(), insert: total } };
    }
    this.frame(this.options.frames - 1);
    const { planned, sent } = this.head!.counts;
    return { planned: { ...planned }, sent: { ...sent } };
  }

  private insertsOf(index: number): FramePlan {
    const { recordsPerFrame } = this.options;
    const first = this.firstInsertId(index)!;
    const ids = new Uint32Array(recordsPerFrame);
    for (let j = 0; j < recordsPerFrame; j++) ids[j] = first + j;
    // Every frame of inserts has the same all-zero kinds and generations: shared, not allocated per frame
    // (zeroed typed arrays of 10,000 were 6 % of a synth run's time). FramePlan arrays are read-only to callers.
    this.zeros ??= { kinds: new Uint8Array(recordsPerFrame), generations: new Uint32Array(recordsPerFrame) };
    return { ...this.zeros, ids, dependsOn: -1 };
  }

  private zeros?: { kinds: Uint8Array; generations: Uint32Array };

  private remember(index: number, plan: FramePlan): void {
    this.cache.set(index, plan);
    const limit = Math.max(
      2,
      Math.floor((this.options.cachedEntries ?? CACHED_ENTRIES) / Math.max(1, this.options.recordsPerFrame)),
    );
    while (this.cache.size > limit) this.cache.delete(this.cache.keys().next().value!);
  }
}
