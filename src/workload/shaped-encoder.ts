/**
 * Records of a RecordShape, written straight into frame buffers as msgpackr records with shared structures (slot 0
 * the record, one slot per nested object shape), which is what the receiver's per-table Packr decodes (PROTOCOL.md
 * §3.5: plain msgpack maps would decode to Maps and be stored as nulls). Every value is a function of one number c
 * drawn from (seed, attribute, id, generation), so write() and expected() agree without building objects on the
 * hot path.
 */
import type { TableStructure } from '../protocol/control-frame.js';
import {
  writeArrayHeader,
  writeBoolean,
  writeFloat64,
  writeInteger,
  writeNil,
  writeRecordStart,
  writeStringBytes,
  writeTimestamp32,
} from '../protocol/record-writer.js';
import { mix, textPool } from './deterministic.js';
import type { RecordEncoder } from './record-encoder.js';
import { type AttributeShape, type RecordShape, ShapeError, type ValueShape } from './record-shape.js';

/** One compiled value shape: its largest encoding, how to write it and what it decodes to, both from c. */
interface ValueNode {
  bound: number;
  /** Can change between two consecutive c (an update's guaranteed change). */
  varies: boolean;
  nullRate: number;
  write(target: Buffer, pos: number, view: DataView, c: number): number;
  value(c: number): unknown;
}

/** Most shared structures a receiver keeps per table (msgpackr's record slots 0x40–0x5f). */
const MAX_STRUCTURES = 32;
const NULL_SALT = 0x6e756c6c;
const GENERATION_SALT = 0x9e3779b1;
/** Odd step through the text pool: consecutive c land on different offsets. */
const POOL_STEP = 7919;
const FLOAT_STEPS = 1_000_003;

export interface ShapedEncoderOptions {
  tableName: string;
  seed: number;
}

export class ShapedRecordEncoder implements RecordEncoder {
  readonly tableName: string;
  readonly valueBound: number;
  /** The attribute every update changes (the first that can), or undefined when none can. */
  readonly changedOnUpdate?: string;
  private readonly structures: string[][] = [];
  private readonly pool: Buffer;
  private readonly nodes: ValueNode[];
  private readonly seeds: number[];
  private readonly changing: number;

  constructor(
    readonly shape: RecordShape,
    private readonly options: ShapedEncoderOptions,
  ) {
    this.tableName = options.tableName;
    this.pool = textPool(options.seed ^ 0x5eed, Math.max(64 * 1024, 4 * longestString(shape.attributes) + 1));
    this.structures.push([shape.primaryKey, ...shape.attributes.map((a) => a.name)]);
    this.nodes = shape.attributes.map((a) => this.compile(a, a.name));
    this.seeds = shape.attributes.map((_, k) => mix(options.seed, k + 1));
    this.changing = this.nodes.findIndex((n) => n.varies);
    if (this.changing >= 0) this.changedOnUpdate = shape.attributes[this.changing]!.name;
    this.valueBound = 1 + 9 + this.nodes.reduce((sum, n) => sum + n.bound, 0);
  }

  tableStructure(): TableStructure {
    return {
      typedStructs: [],
      structures: this.structures,
      // Dynamic schema: every attribute listed here is indexed by the receiver, so list only the indexed ones.
      attributes: [
        { name: this.shape.primaryKey, isPrimaryKey: true },
        ...this.shape.attributes.filter((a) => a.indexed).map((a) => ({ name: a.name, indexed: true })),
      ],
      schemaDefined: false,
    };
  }

  /** The number attribute k of record (id, generation) is drawn from. */
  private draw(k: number, id: number, generation: number): number {
    // The changing attribute steps by one per generation (its value is sure to differ); the others are rehashed.
    if (k === this.changing) return draw(this.seeds[k]!, id) + generation;
    return draw((this.seeds[k]! ^ Math.imul(generation, GENERATION_SALT)) >>> 0, id);
  }

  private isNull(k: number, c: number, generation: number): boolean {
    const node = this.nodes[k]!;
    if (!node.nullRate || (k === this.changing && generation > 0)) return false;
    return isNullDraw(node.nullRate, c);
  }

  write(target: Buffer, pos: number, view: DataView, id: number, generation: number): number {
    let p = writeRecordStart(target, pos, 0);
    p = writeInteger(target, p, id, view);
    const { nodes, seeds, changing } = this;
    const salt = Math.imul(generation, GENERATION_SALT);
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k]!;
      // As draw() does, inlined: this loop runs once per attribute of every record.
      const c = k === changing ? draw(seeds[k]!, id) + generation : draw((seeds[k]! ^ salt) >>> 0, id);
      p =
        node.nullRate > 0 && (k !== changing || generation === 0) && isNullDraw(node.nullRate, c)
          ? writeNil(target, p)
          : node.write(target, p, view, c);
    }
    return p;
  }

  expected(id: number, generation: number): Record<string, unknown> {
    const record: Record<string, unknown> = { [this.shape.primaryKey]: id };
    for (let k = 0; k < this.nodes.length; k++) {
      const c = this.draw(k, id, generation);
      record[this.shape.attributes[k]!.name] = this.isNull(k, c, generation) ? null : this.nodes[k]!.value(c);
    }
    return record;
  }

  /** Mean and largest encoded size of records 1…count (first versions): what the summary reports. */
  sampleSizes(count = 1000): { mean: number; max: number } {
    const buffer = Buffer.allocUnsafe(this.valueBound);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let total = 0;
    let max = 0;
    for (let id = 1; id <= count; id++) {
      const size = this.write(buffer, 0, view, id, 0);
      total += size;
      if (size > max) max = size;
    }
    return { mean: total / count, max };
  }

  /** Every node built with the same fields in the same order: one hidden class for the hot loop. */
  private compile(shape: ValueShape, path: string): ValueNode {
    const made = this.made(shape, path);
    return {
      bound: made.bound,
      varies: made.varies,
      nullRate: shape.nullRate ?? 0,
      write: made.write,
      value: made.value,
    };
  }

  private made(shape: ValueShape, path: string): Omit<ValueNode, 'nullRate'> {
    switch (shape.type) {
      case 'string':
        return this.stringNode(shape);
      case 'int':
      case 'float':
      case 'boolean':
        return numberNode(shape);
      case 'date':
        return dateNode(shape, path);
      case 'object':
        return this.objectNode(shape.attributes ?? [], path);
      case 'array':
        return this.arrayNode(shape, path);
    }
  }

  private stringNode(shape: ValueShape): Omit<ValueNode, 'nullRate'> {
    if (shape.values) return listNode(shape.values.map((v) => Buffer.from(String(v), 'utf8')));
    const { min, max } = shape.size ?? { min: 0, max: 0 };
    const lengths = max - min + 1;
    const pool = this.pool;
    const distinct = shape.distinct;
    // (i mod span) × step stays a small integer: fast modulo, and consecutive i still land on different offsets.
    const offsetOf = (i: number, length: number) => {
      const span = pool.length - length + 1;
      return ((i % span) * POOL_STEP) % span;
    };
    return {
      bound: 5 + max,
      varies: max > 0 && (distinct ?? 2) > 1,
      write: (target, pos, view, c) => {
        const i = distinct ? c % distinct : c;
        const length = min + (i % lengths);
        return writeStringBytes(target, pos, pool, offsetOf(i, length), length, view);
      },
      value: (c) => {
        const i = distinct ? c % distinct : c;
        const length = min + (i % lengths);
        const offset = offsetOf(i, length);
        return pool.toString('latin1', offset, offset + length);
      },
    };
  }

  private objectNode(attributes: AttributeShape[], path: string): Omit<ValueNode, 'nullRate'> {
    const slot = this.structures.length;
    if (slot >= MAX_STRUCTURES)
      throw new ShapeError(`${path}: more than ${MAX_STRUCTURES - 1} nested object shapes in one record`);
    this.structures.push(attributes.map((a) => a.name));
    const children = attributes.map((a) => this.compile(a, `${path}.${a.name}`));
    const seeds = attributes.map((_, k) => mix(this.options.seed ^ slot, k + 1));
    const childC = (k: number, c: number) => draw(seeds[k]!, c);
    return {
      bound: 1 + children.reduce((sum, n) => sum + n.bound, 0),
      varies: false,
      write: (target, pos, view, c) => {
        let p = writeRecordStart(target, pos, slot);
        for (let k = 0; k < children.length; k++) {
          const cc = childC(k, c);
          const child = children[k]!;
          p = isNullDraw(child.nullRate, cc) ? writeNil(target, p) : child.write(target, p, view, cc);
        }
        return p;
      },
      value: (c) => {
        const out: Record<string, unknown> = {};
        children.forEach((child, k) => {
          const cc = childC(k, c);
          out[attributes[k]!.name] = isNullDraw(child.nullRate, cc) ? null : child.value(cc);
        });
        return out;
      },
    };
  }

  private arrayNode(shape: ValueShape, path: string): Omit<ValueNode, 'nullRate'> {
    const item = this.compile(shape.items ?? { type: 'int' }, `${path}[]`);
    const { min, max } = shape.size ?? { min: 0, max: 0 };
    const itemSeed = mix(this.options.seed, 0xa11a7 + this.structures.length);
    const itemC = (i: number, c: number) => draw((itemSeed + i) >>> 0, c);
    const lengthOf = (c: number) => min + (c % (max - min + 1));
    return {
      bound: 5 + max * item.bound,
      varies: false,
      write: (target, pos, view, c) => {
        const length = lengthOf(c);
        let p = writeArrayHeader(target, pos, length, view);
        for (let i = 0; i < length; i++) {
          const ci = itemC(i, c);
          p = isNullDraw(item.nullRate, ci) ? writeNil(target, p) : item.write(target, p, view, ci);
        }
        return p;
      },
      value: (c) =>
        Array.from({ length: lengthOf(c) }, (_, i) => {
          const ci = itemC(i, c);
          return isNullDraw(item.nullRate, ci) ? null : item.value(ci);
        }),
    };
  }
}

/** The number a value is drawn from: 30 bits, so what is computed from it stays in small-integer arithmetic. */
function draw(seed: number, value: number): number {
  return mix(seed, value) >>> 2;
}

function isNullDraw(rate: number, c: number): boolean {
  return rate > 0 && mix(NULL_SALT, c) >>> 12 < rate * 0x100000;
}

/** A choice among fixed values (strings as bytes, numbers, booleans). */
function listNode(values: Array<Buffer | number | boolean>): Omit<ValueNode, 'nullRate'> {
  const n = values.length;
  const bound = Math.max(...values.map((v) => (Buffer.isBuffer(v) ? 5 + v.length : 9)));
  return {
    bound,
    varies: n > 1,
    write: (target, pos, view, c) => {
      const v = values[c % n]!;
      if (Buffer.isBuffer(v)) return writeStringBytes(target, pos, v, 0, v.length, view);
      if (typeof v === 'boolean') return writeBoolean(target, pos, v);
      return Number.isInteger(v) ? writeInteger(target, pos, v, view) : writeFloat64(target, pos, v, view);
    },
    value: (c) => {
      const v = values[c % n]!;
      return Buffer.isBuffer(v) ? v.toString('utf8') : v;
    },
  };
}

function numberNode(shape: ValueShape): Omit<ValueNode, 'nullRate'> {
  if (shape.values) return listNode(shape.values as Array<number | boolean>);
  if (shape.type === 'boolean') return listNode([false, true]);
  const { min, max } = shape.range ?? { min: 0, max: 0 };
  if (shape.type === 'int') {
    const span = max - min + 1;
    return {
      bound: 9,
      varies: span > 1,
      write: (target, pos, view, c) => writeInteger(target, pos, min + (c % span), view),
      value: (c) => min + (c % span),
    };
  }
  const floatOf = (c: number) => min + ((c % FLOAT_STEPS) / FLOAT_STEPS) * (max - min);
  return {
    bound: 9,
    varies: max > min,
    write: (target, pos, view, c) => writeFloat64(target, pos, floatOf(c), view),
    value: floatOf,
  };
}

/** Whole seconds in [range]: msgpack timestamp 32 reaches 1970 … 2106. */
function dateNode(shape: ValueShape, path: string): Omit<ValueNode, 'nullRate'> {
  const { min, max } = shape.range ?? { min: 0, max: 0 };
  const first = Math.ceil(min / 1000);
  const last = Math.floor(max / 1000);
  if (first < 0 || last > 0xffffffff || first > last)
    throw new ShapeError(`${path}: dates must lie between 1970 and 2106, at least a second apart`);
  const span = last - first + 1;
  return {
    bound: 6,
    varies: span > 1,
    write: (target, pos, view, c) => writeTimestamp32(target, pos, first + (c % span), view),
    value: (c) => new Date((first + (c % span)) * 1000),
  };
}

function longestString(attributes: readonly ValueShape[]): number {
  let longest = 0;
  for (const a of attributes) {
    if (a.type === 'string' && a.size) longest = Math.max(longest, a.size.max);
    if (a.attributes) longest = Math.max(longest, longestString(a.attributes));
    if (a.items) longest = Math.max(longest, longestString([a.items]));
  }
  return longest;
}
