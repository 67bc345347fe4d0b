/**
 * Records of a RecordShape, written straight into frame buffers as msgpackr records with shared structures (slot 0
 * the record, one slot per nested object shape), which is what the receiver's per-table Packr decodes (PROTOCOL.md
 * §3.5: plain msgpack maps would decode to Maps and be stored as nulls). Every value is a function of one number c
 * drawn from (seed, attribute, id, generation), so write() and expected() agree without building objects on the
 * hot path. A record hashes (seed, generation, id) once; each attribute's c is that hash plus the attribute's seed,
 * finalized (two multiplies), and nested values derive theirs from their parent's c the same way. write() is compiled once per shape into one straight-line function (generated from the shape's numbers
 * only, never from its names or values, which stay in constant tables): no per-value calls, lists pre-encoded.
 */
import type { TableStructure } from '../protocol/control-frame.js';
import {
  writeArrayHeader,
  writeBoolean,
  writeFloat64,
  writeInteger,
  writeStringBytes,
  writeStringHeader,
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
  /** Statements writing the value drawn from the variable named `c` at `p` (advancing p). */
  emit(c: string, code: WriterCode): string;
  value(c: number): unknown;
}

type WriteRecord = (target: Buffer, pos: number, view: DataView, id: number, generation: number) => number;

/** Most shared structures a receiver keeps per table (msgpackr's record slots 0x40–0x5f). */
const MAX_STRUCTURES = 32;
const NULL_SALT = 0x6e756c6c;
const GENERATION_SALT = 0x9e3779b1;
/** Odd step between the inputs of an array's items. */
const ITEM_STEP = 0x632be5ab;
/**
 * A text-pool offset (of a string without `distinct`) is c times a golden-ratio constant, its top OFFSET_BITS bits
 * scaled to the span: multiplies and a shift, no division, and c + 1 lands about 0.62 spans away from c.
 */
const OFFSET_BITS = 16;
const OFFSET_MULTIPLIER = 0x9e3779b9;
/** Odd step through the text pool: consecutive c land on different offsets. */
const POOL_STEP = 7919;
/** A float is min plus the low FLOAT_BITS bits of c times (max − min) / 2^FLOAT_BITS: no division. */
const FLOAT_BITS = 20;
/** Strings longer than this are copied natively (a subarray costs less than the loop from here on). */
const LONG_COPY = 256;
/**
 * Strings (and pre-encoded values) up to this many bytes are copied whole-bound in straight-line words: a loop of a
 * drawn length mispredicts its exit once per value, which cost more than copying the unused bytes.
 */
const STRAIGHT_COPY = 128;
/** Largest table of pre-encoded distinct strings (bytes); more distinct values are written from the pool. */
const MAX_TABLE = 1 << 20;

export interface ShapedEncoderOptions {
  tableName: string;
  seed: number;
}

export class ShapedRecordEncoder implements RecordEncoder {
  readonly tableName: string;
  readonly valueBound: number;
  /** The attribute every update changes (the first that can), or undefined when none can. */
  readonly changedOnUpdate?: string;
  /** Writes the value of (id, generation) at pos, returns the new pos: compiled from the shape (compileWriter). */
  readonly write: WriteRecord;
  private readonly structures: string[][] = [];
  private readonly pool: Buffer;
  private readonly nodes: ValueNode[];
  private readonly seeds: number[];
  /** Seed of the hash of (generation, id) every attribute but the changing one derives its c from. */
  private readonly recordSeed: number;
  private readonly changing: number;
  private readonly code: WriterCode;

  constructor(
    readonly shape: RecordShape,
    private readonly options: ShapedEncoderOptions,
  ) {
    this.tableName = options.tableName;
    this.pool = textPool(options.seed ^ 0x5eed, Math.max(64 * 1024, 4 * longestString(shape.attributes) + 1));
    this.code = new WriterCode(this.pool);
    this.structures.push([shape.primaryKey, ...shape.attributes.map((a) => a.name)]);
    this.nodes = shape.attributes.map((a) => this.compile(a, a.name));
    this.seeds = shape.attributes.map((_, k) => mix(options.seed, k + 1));
    this.recordSeed = mix(options.seed, 0x7ec0);
    this.changing = this.nodes.findIndex((n) => n.varies);
    if (this.changing >= 0) this.changedOnUpdate = shape.attributes[this.changing]!.name;
    this.valueBound = 1 + 9 + this.nodes.reduce((sum, n) => sum + n.bound, 0);
    this.write = this.compileWriter();
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
    if (k === this.changing) return (mix(this.seeds[k]!, id) >>> 2) + generation;
    return derive(this.seeds[k]!, mix((this.recordSeed ^ Math.imul(generation, GENERATION_SALT)) >>> 0, id));
  }

  private isNull(k: number, c: number, generation: number): boolean {
    const node = this.nodes[k]!;
    if (!node.nullRate || (k === this.changing && generation > 0)) return false;
    return isNullDraw(node.nullRate, c);
  }

  /** One function for the whole record, as draw() and isNull() say, with every attribute's writer inlined. */
  private compileWriter(): WriteRecord {
    const code = this.code;
    const attributes = this.nodes.map((node, k) => {
      if (k === this.changing) {
        const drawn = `${mixed(this.seeds[k]!, 'id')}\nc = (h >>> 2) + generation;\n`;
        return drawn + withNulls(node.nullRate, 'c', node.emit('c', code), 'generation === 0');
      }
      const drawn = `${finalized(`record + ${lit(this.seeds[k]!)}`)}\nc = h >>> 2;\n`;
      return drawn + withNulls(node.nullRate, 'c', node.emit('c', code));
    });
    const body = `target[pos] = 0x40;
      let p = writeInteger(target, pos + 1, id, view);
      let c = 0;
      let h = 0;
      ${mixed(`(${lit(this.recordSeed)} ^ Math.imul(generation, ${lit(GENERATION_SALT)})) >>> 0`, 'id')}
      const record = h;
      ${attributes.join('\n')}
      return p;`;
    return code.build(body);
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

  /** Every node built with the same fields in the same order. */
  private compile(shape: ValueShape, path: string): ValueNode {
    const made = this.made(shape, path);
    return {
      bound: made.bound,
      varies: made.varies,
      nullRate: shape.nullRate ?? 0,
      emit: made.emit,
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
    // Distinct values: (i mod span) × step stays a small integer and i below the span land on different offsets.
    const distinctOffset = (i: number, length: number) => {
      const span = pool.length - length + 1;
      return ((i % span) * POOL_STEP) % span;
    };
    const offsetOf = (i: number, length: number) =>
      distinct ? distinctOffset(i, length) : scaledOffset(i, pool.length - length + 1);
    return {
      bound: 5 + max,
      varies: max > 0 && (distinct ?? 2) > 1,
      emit: (c, code) => {
        if (distinct && distinct * (5 + max) <= MAX_TABLE) {
          // Few values: each encoded once, then picked like a list's.
          const encoded = Array.from({ length: distinct }, (_, i) => {
            const length = min + (i % lengths);
            const offset = distinctOffset(i, length);
            return pool.subarray(offset, offset + length);
          });
          return pickEncoded(encodedList(encoded, 5 + max), 5 + max, `${c} % ${lit(distinct)}`, code);
        }
        const i = code.name('i');
        const length = code.name('len');
        const span = code.name('span');
        const lengthOf = lengths === 1 ? lit(min) : `${lit(min)} + (${i} % ${lit(lengths)})`;
        const spanOf = lengths === 1 ? lit(pool.length - min + 1) : `${lit(pool.length + 1)} - ${length}`;
        const offset = distinct
          ? `((${i} % ${span}) * ${lit(POOL_STEP)}) % ${span}`
          : scaledOffsetCode(i, span, pool.length - min + 1);
        return `{ const ${i} = ${distinct ? `${c} % ${lit(distinct)}` : c};
          const ${length} = ${lengthOf};
          const ${span} = ${spanOf};
          ${code.copyString('pool', 'poolView', offset, length, { min, max })} }`;
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
    const childC = (k: number, c: number) => derive(seeds[k]!, c);
    return {
      bound: 1 + children.reduce((sum, n) => sum + n.bound, 0),
      varies: false,
      emit: (c, code) => {
        const parts = children.map((child, k) => {
          const cc = code.name('c');
          const value = withNulls(child.nullRate, cc, child.emit(cc, code));
          return `{ ${finalized(`${c} + ${lit(seeds[k]!)}`)}\nconst ${cc} = h >>> 2;\n${value} }`;
        });
        return `target[p++] = ${lit(0x40 | slot)};\n${parts.join('\n')}`;
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
    const itemC = (i: number, c: number) => derive(itemSeed + Math.imul(i, ITEM_STEP), c);
    const lengthOf = (c: number) => min + (c % (max - min + 1));
    return {
      bound: 5 + max * item.bound,
      varies: false,
      emit: (c, code) => {
        const [length, i, ci] = [code.name('len'), code.name('i'), code.name('c')];
        const header =
          max < 0x10
            ? `target[p++] = 0x90 | ${length};`
            : `p = writeArrayHeader(target, p, ${length}, view);`;
        const value = withNulls(item.nullRate, ci, item.emit(ci, code));
        return `{ const ${length} = ${lit(min)} + (${c} % ${lit(max - min + 1)});
          ${header}
          for (let ${i} = 0; ${i} < ${length}; ${i}++) {
            ${finalized(`${c} + ${lit(itemSeed)} + Math.imul(${i}, ${lit(ITEM_STEP)})`)}
            const ${ci} = h >>> 2;
            ${value}
          } }`;
      },
      value: (c) =>
        Array.from({ length: lengthOf(c) }, (_, i) => {
          const ci = itemC(i, c);
          return isNullDraw(item.nullRate, ci) ? null : item.value(ci);
        }),
    };
  }
}

/**
 * The source of a record writer and the constants it refers to (pre-encoded value lists, the text pool). Only
 * numbers this module computed are written into the source (lit), so no text of a shape can become code.
 */
class WriterCode {
  private readonly constants: Uint8Array[] = [];
  private names = 0;

  constructor(pool: Buffer) {
    // The writer's copy of the pool has spare bytes: a string's copy may read up to a whole bound past its end.
    const padded = Buffer.alloc(pool.length + STRAIGHT_COPY + 8);
    pool.copy(padded);
    this.constant(padded);
  }

  /** A fresh variable name. */
  name(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  /** The names of a table of bytes and of its DataView in the generated code. */
  constant(bytes: Uint8Array): [string, string] {
    this.constants.push(bytes);
    const k = this.constants.length - 1;
    return k === 0 ? ['pool', 'poolView'] : [`k${k}`, `k${k}View`];
  }

  /** Copies `length` bytes of `source` from `offset` to p as a msgpack string (header first), length in size. */
  copyString(
    source: string,
    sourceView: string,
    offset: string,
    length: string,
    { min, max }: { min: number; max: number },
  ): string {
    const head = stringHeaderCode(length, min, max, this.name('long'));
    if (max >= 0x100) return `${head}\n${this.copyBytes(source, sourceView, offset, length, max)}`;
    // The pool is printable ASCII (or the zero padding): as float64 every 8 bytes are a finite number, so they come
    // back bit for bit. The copy may write up to 3 bytes past the bound-sized string (at most ceil4(max) bytes after
    // a header of at most 2): inside the value's bound (5 + max), overwritten by what follows.
    const o = this.name('o');
    const words = Math.ceil(max / 4);
    if (words * 4 <= STRAIGHT_COPY) {
      const moves = Array.from({ length: words >> 1 }, (_, w) => {
        const at = w * 8;
        return `view.setFloat64(p + ${at}, ${sourceView}.getFloat64(${o} + ${at}, true), true);`;
      });
      if (words & 1) {
        const at = (words - 1) * 4;
        moves.push(`view.setUint32(p + ${at}, ${sourceView}.getUint32(${o} + ${at}, true), true);`);
      }
      return `${head}\n{ const ${o} = ${offset};\n${moves.join('\n')}\np += ${length}; }`;
    }
    // 8 bytes a step, then at most one word: the last step may write up to 3 bytes past the string (as above).
    const q = this.name('q');
    return `${head}
      { const ${o} = ${offset};
      let ${q} = 0;
      for (; ${q} + 4 < ${length}; ${q} += 8) view.setFloat64(p + ${q}, ${sourceView}.getFloat64(${o} + ${q}, true), true);
      if (${q} < ${length}) view.setUint32(p + ${q}, ${sourceView}.getUint32(${o} + ${q}, true), true);
      p += ${length}; }`;
  }

  /** Copies `length` (≤ max) bytes of `source` from `offset` to p: 4 bytes a step, natively when long. */
  copyBytes(source: string, sourceView: string, offset: string, length: string, max: number): string {
    const o = this.name('o');
    const q = this.name('q');
    const words = `let ${q} = 0;
      for (; ${q} + 4 <= ${length}; ${q} += 4) view.setUint32(p + ${q}, ${sourceView}.getUint32(${o} + ${q}, true), true);
      for (; ${q} < ${length}; ${q}++) target[p + ${q}] = ${source}[${o} + ${q}];`;
    const copy =
      max <= LONG_COPY
        ? words
        : `if (${length} > ${lit(LONG_COPY)}) target.set(${source}.subarray(${o}, ${o} + ${length}), p);
          else { ${words} }`;
    return `{ const ${o} = ${offset};\n${copy}\np += ${length}; }`;
  }

  /** The function: (target, pos, view, id, generation) => end, closed over the helpers and constants. */
  build(body: string): WriteRecord {
    const tables = this.constants.flatMap((_, k) =>
      k === 0 ? ['pool', 'poolView'] : [`k${k}`, `k${k}View`],
    );
    const values = this.constants.flatMap((bytes) => [
      bytes,
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ]);
    const factory = new Function(
      'mix',
      'writeInteger',
      'writeArrayHeader',
      'stringHeader',
      ...tables,
      `"use strict";\nreturn function writeShapedRecord(target, pos, view, id, generation) {\n${body}\n};`,
    );
    return factory(mix, writeInteger, writeArrayHeader, writeStringHeader, ...values) as WriteRecord;
  }
}

/** floor(top OFFSET_BITS bits of c × OFFSET_MULTIPLIER, times span, over 2^OFFSET_BITS): below span. */
function scaledOffset(c: number, span: number): number {
  const top = Math.imul(c, OFFSET_MULTIPLIER) >>> (32 - OFFSET_BITS);
  return Math.floor((top * span) / 2 ** OFFSET_BITS);
}

/** scaledOffset spelled out (c and span are source; widest bounds span): a shift when the product fits 32 bits. */
function scaledOffsetCode(c: string, span: string, widest: number): string {
  const top = `(Math.imul(${c}, ${lit(OFFSET_MULTIPLIER)}) >>> ${lit(32 - OFFSET_BITS)})`;
  return widest * (2 ** OFFSET_BITS - 1) < 2 ** 32
    ? `(${top} * ${span}) >>> ${lit(OFFSET_BITS)}`
    : `Math.floor((${top} * ${span}) / ${lit(2 ** OFFSET_BITS)})`;
}

/** murmur3's 32-bit finalizer: two multiplies, and every input bit reaches every output bit. */
function finalize(input: number): number {
  let h = input | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The number a value is drawn from, given its seed and the hash (or c) it derives from: 30 bits, so what is
 * computed from it stays in small-integer arithmetic. finalized() spells it out in the writer.
 */
function derive(seed: number, from: number): number {
  return finalize(from + seed) >>> 2;
}

function isNullDraw(rate: number, c: number): boolean {
  return rate > 0 && finalize(c ^ NULL_SALT) >>> 12 < rate * 0x100000;
}

/** A choice among fixed values (strings as bytes, numbers, booleans), each pre-encoded once. */
function listNode(values: Array<Buffer | number | boolean>): Omit<ValueNode, 'nullRate'> {
  const n = values.length;
  const bound = Math.max(...values.map((v) => (Buffer.isBuffer(v) ? 5 + v.length : 9)));
  return {
    bound,
    varies: n > 1,
    emit: (c, code) => pickEncoded(encodedList(values, bound), bound, `${c} % ${lit(n)}`, code),
    value: (c) => {
      const v = values[c % n]!;
      return Buffer.isBuffer(v) ? v.toString('utf8') : v;
    },
  };
}

/**
 * writeStringHeader of a length in [min, max], inlined below 256 B (fixstr or str8) without a branch: a drawn length
 * on both sides of 32 would mispredict. A short string's second header byte is overwritten by its text.
 */
function stringHeaderCode(length: string, min: number, max: number, long: string): string {
  if (max < 0x20) return `target[p++] = 0xa0 | ${length};`;
  if (max >= 0x100) return `p = stringHeader(target, p, ${length}, view);`;
  if (min >= 0x20) return `target[p] = 0xd9; target[p + 1] = ${length}; p += 2;`;
  // long is 1 from 32 B on: the first byte is then 0xd9 (str8), else 0xa0 | length (fixstr).
  return `{ const ${long} = (31 - ${length}) >>> 31;
    target[p] = (0xa0 | ${length}) ^ (-${long} & ((0xa0 | ${length}) ^ 0xd9));
    target[p + 1] = ${length};
    p += 1 + ${long}; }`;
}

/** Statements copying entry `index` (source) of an encodedList table to p. */
function pickEncoded(table: Buffer, bound: number, index: string, code: WriterCode): string {
  const [name, view] = code.constant(table);
  const [at, length] = [code.name('at'), code.name('len')];
  let longest = 0;
  for (let slot = 0; slot < table.length; slot += 4 + bound)
    longest = Math.max(longest, table.readUInt32LE(slot));
  // Whole words when the last one cannot pass the value's bound (it is overwritten by what follows): straight-line
  // up to the longest entry, so no loop exit to mispredict.
  const words = Math.ceil(longest / 4);
  const copy =
    words * 4 <= bound && words * 4 <= STRAIGHT_COPY
      ? `${Array.from({ length: words }, (_, w) => `view.setUint32(p + ${w * 4}, ${view}.getUint32(${at} + ${4 + w * 4}, true), true);`).join('\n')}
        p += ${length};`
      : code.copyBytes(name, view, `${at} + 4`, length, bound);
  return `{ const ${at} = (${index}) * ${lit(4 + bound)};
    const ${length} = ${view}.getUint32(${at}, true);
    ${copy} }`;
}

/** Each value's msgpack encoding in a slot of 4 + bound bytes: its length (uint32 LE), then the bytes. */
function encodedList(values: Array<Buffer | number | boolean>, bound: number): Buffer {
  const table = Buffer.alloc(values.length * (4 + bound));
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  values.forEach((v, j) => {
    const at = j * (4 + bound) + 4;
    let end: number;
    if (Buffer.isBuffer(v)) end = writeStringBytes(table, at, v, 0, v.length, view);
    else if (typeof v === 'boolean') end = writeBoolean(table, at, v);
    else end = Number.isInteger(v) ? writeInteger(table, at, v, view) : writeFloat64(table, at, v, view);
    view.setUint32(at - 4, end - at, true);
  });
  return table;
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
      emit: (c, code) => integerCode(`${lit(min)} + (${c} % ${lit(span)})`, min, max, code),
      value: (c) => min + (c % span),
    };
  }
  const step = (max - min) / 2 ** FLOAT_BITS;
  const floatOf = (c: number) => min + (c & (2 ** FLOAT_BITS - 1)) * step;
  return {
    bound: 9,
    varies: max > min,
    // floatOf, spelled out: the same operations in the same order give the same double.
    emit: (c) => `target[p] = 0xcb;
      view.setFloat64(p + 1, ${lit(min)} + (${c} & ${lit(2 ** FLOAT_BITS - 1)}) * ${lit(step)});
      p += 9;`,
    value: floatOf,
  };
}

/** writeInteger of a value in [min, max], inlined for unsigned ranges (only the branches the range reaches). */
function integerCode(value: string, min: number, max: number, code: WriterCode): string {
  if (min < 0 || max > 0xffffffff) return `p = writeInteger(target, p, ${value}, view);`;
  const v = code.name('v');
  const cases = [
    { below: 0x40, write: `target[p++] = ${v};` },
    { below: 0x100, write: `target[p] = 0xcc; target[p + 1] = ${v}; p += 2;` },
    {
      below: 0x10000,
      write: `target[p] = 0xcd; target[p + 1] = ${v} >> 8; target[p + 2] = ${v} & 0xff; p += 3;`,
    },
    { below: 0x100000000, write: `target[p] = 0xce; view.setUint32(p + 1, ${v}); p += 5;` },
  ];
  const reached = cases.filter((_, j) => j === 0 || max >= cases[j - 1]!.below).filter((w) => min < w.below);
  const branches = reached.map((w, j) =>
    j === reached.length - 1 ? `{ ${w.write} }` : `if (${v} < ${lit(w.below)}) { ${w.write} } else `,
  );
  return `{ const ${v} = ${value};\n${branches.join('')} }`;
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
    // msgpack timestamp 32 (ext -1), as writeTimestamp32.
    emit: (c) => `target[p] = 0xd6; target[p + 1] = 0xff;
      view.setUint32(p + 2, ${lit(first)} + (${c} % ${lit(span)}));
      p += 6;`,
    value: (c) => new Date((first + (c % span)) * 1000),
  };
}

/** A number as a literal of generated code: only finite numbers, -0 kept, parenthesised. */
function lit(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`not a finite number: ${value}`);
  return Object.is(value, -0) ? '(-0)' : `(${String(value)})`;
}

/**
 * Statements setting h = mix(a, b) (deterministic.ts), spelled out: a call would box its uint32 result half the
 * time. `a` is a number (its first product folded here) or source; `b` is source.
 */
function mixed(a: number | string, b: string): string {
  const first =
    typeof a === 'number'
      ? lit(Math.imul(a ^ 0x9e3779b9, 0x85ebca6b))
      : `Math.imul((${a}) ^ 0x9e3779b9, 0x85ebca6b)`;
  return `h = (${first} ^ Math.imul(${b} + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;`;
}

/** Statements setting h = finalize(input) (input is source): the writer's spelling of finalize(). */
function finalized(input: string): string {
  return `h = (${input}) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;`;
}

/** A value's statements, or nil where isNullDraw(rate, c) holds (and `when`, source, if given). */
function withNulls(rate: number, c: string, statements: string, when = ''): string {
  if (!rate) return statements;
  const test = `${finalized(`${c} ^ ${lit(NULL_SALT)}`)}\nconst isNull = ${when ? `${when} && ` : ''}h >>> 12 < ${lit(rate * 0x100000)};`;
  return `{ ${test}\nif (isNull) target[p++] = 0xc0;\nelse { ${statements} } }`;
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
