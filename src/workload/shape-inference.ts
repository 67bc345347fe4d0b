/**
 * A RecordShape learned from sample records (a capture's values, a table's rows): per attribute the most common
 * type, sizes and ranges, how often it is null, nesting of objects and arrays; low-cardinality strings keep their
 * values. Pure: callers feed it records.
 */
import type { AttributeShape, Range, RecordShape, ValueShape, ValueType } from './record-shape.js';

/** Strings with at most this many distinct values (each seen a few times) are replayed as a value list. */
const MAX_LISTED_VALUES = 16;
/** Distinct strings remembered per attribute. */
const DISTINCT_CAP = 1000;

type Observed = ValueType | 'other';

/** What one attribute (or array item) has been seen holding. */
class ValueStats {
  seen = 0;
  nulls = 0;
  readonly types = new Map<Observed, number>();
  readonly strings = new Set<string>();
  length?: Range;
  numbers?: Range;
  object?: ObjectStats;
  items?: ValueStats;

  add(value: unknown): void {
    this.seen++;
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    const type = typeOf(value);
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    if (type === 'string') {
      const text = value as string;
      this.length = widen(this.length, Buffer.byteLength(text));
      if (this.strings.size < DISTINCT_CAP) this.strings.add(text);
    } else if (type === 'int' || type === 'float') {
      this.numbers = widen(this.numbers, Number(value));
    } else if (type === 'date') {
      this.numbers = widen(this.numbers, (value as Date).getTime());
    } else if (type === 'array') {
      const list = value as unknown[];
      this.length = widen(this.length, list.length);
      this.items ??= new ValueStats();
      for (const item of list) this.items.add(item);
    } else if (type === 'object') {
      this.object ??= new ObjectStats();
      this.object.add(value as Record<string, unknown>);
    }
  }

  /** The learned shape, or undefined when nothing usable was seen (only nulls, binary, blobs). */
  shape(): ValueShape | undefined {
    const type = this.mainType();
    if (!type) return undefined;
    const nullRate = this.seen ? round(this.nulls / this.seen) : 0;
    const shape = this.typed(type);
    if (!shape) return undefined;
    return nullRate > 0 ? { ...shape, nullRate } : shape;
  }

  private mainType(): ValueType | undefined {
    let best: ValueType | undefined;
    let bestCount = 0;
    for (const [type, count] of this.types) {
      if (type === 'other' || count <= bestCount) continue;
      best = type;
      bestCount = count;
    }
    // Integers and fractions in one attribute are floats.
    if (best === 'int' && this.types.has('float')) return 'float';
    return best;
  }

  private typed(type: ValueType): ValueShape | undefined {
    switch (type) {
      case 'string': {
        const count = this.types.get('string') ?? 0;
        if (this.strings.size <= MAX_LISTED_VALUES && count >= 2 * this.strings.size)
          return { type, values: [...this.strings].sort() };
        return { type, size: this.length ?? { min: 0, max: 0 } };
      }
      case 'int':
      case 'float':
      case 'date':
        return { type, range: this.numbers ?? { min: 0, max: 0 } };
      case 'boolean':
        return { type };
      case 'array': {
        const items = this.items?.shape();
        return items ? { type, size: this.length ?? { min: 0, max: 0 }, items } : undefined;
      }
      case 'object': {
        const attributes = this.object?.attributes() ?? [];
        return attributes.length ? { type, attributes } : undefined;
      }
    }
  }
}

/** The attributes of objects, in the order first seen. */
class ObjectStats {
  private records = 0;
  private readonly byName = new Map<string, ValueStats>();

  add(record: Record<string, unknown>): void {
    this.records++;
    for (const [name, value] of Object.entries(record)) {
      let stats = this.byName.get(name);
      if (!stats) {
        stats = new ValueStats();
        // Records before this one did not have it: they count as nulls.
        stats.seen = stats.nulls = this.records - 1;
        this.byName.set(name, stats);
      }
      stats.add(value);
    }
    for (const [name, stats] of this.byName) if (!(name in record)) stats.add(null);
  }

  get count(): number {
    return this.records;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  attributes(skip?: string): AttributeShape[] {
    const out: AttributeShape[] = [];
    for (const [name, stats] of this.byName) {
      if (name === skip) continue;
      const shape = stats.shape();
      if (shape) out.push({ name, ...shape });
    }
    return out;
  }
}

/** Feeds sample records, then gives the shape. */
export class ShapeLearner {
  private readonly records = new ObjectStats();

  add(record: unknown): void {
    if (typeOf(record) === 'object') this.records.add(record as Record<string, unknown>);
  }

  get count(): number {
    return this.records.count;
  }

  /**
   * The shape: `primaryKey` left out of the attributes (the synthesizer writes ids), `indexed` ones flagged,
   * `declared` attributes no sample showed kept (so the structure still lists them): always null when there were
   * rows, of their declared type when there were none.
   */
  shape(
    primaryKey: string,
    indexed: readonly string[] = [],
    declared: ReadonlyArray<{ name: string; type?: string }> = [],
  ): RecordShape & { skipped: string[] } {
    const attributes = this.records.attributes(primaryKey);
    const learned = new Set(attributes.map((a) => a.name));
    const skipped = this.records.names().filter((n) => n !== primaryKey && !learned.has(n));
    for (const { name, type } of declared) {
      if (name !== primaryKey && !learned.has(name) && !skipped.includes(name))
        attributes.push(declaredShape(name, type, this.count));
    }
    for (const attribute of attributes) if (indexed.includes(attribute.name)) attribute.indexed = true;
    return { primaryKey, attributes, skipped };
  }
}

/** Harper's declared types (describe_table) as value types; untyped ones are strings. */
const DECLARED_TYPES: Record<string, ValueShape> = {
  String: { type: 'string', size: { min: 8, max: 32 } },
  Int: { type: 'int', range: { min: 0, max: 1_000_000 } },
  Long: { type: 'int', range: { min: 0, max: 1_000_000 } },
  Float: { type: 'float', range: { min: 0, max: 1000 } },
  Boolean: { type: 'boolean' },
  Date: { type: 'date', range: { min: Date.UTC(2020, 0, 1), max: Date.UTC(2026, 0, 1) } },
};

/** A declared attribute no sample showed: its declared type with default sizes, or null when rows exist without it. */
function declaredShape(name: string, type: string | undefined, sampled: number): AttributeShape {
  const shape = DECLARED_TYPES[type ?? ''] ?? { type: 'string', size: { min: 8, max: 32 } };
  return sampled ? { name, type: 'string', size: { min: 0, max: 0 }, nullRate: 1 } : { name, ...shape };
}

function typeOf(value: unknown): Observed {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'boolean';
    case 'object':
      if (value instanceof Date) return 'date';
      if (Array.isArray(value)) return 'array';
      if (value === null || value instanceof Uint8Array) return 'other';
      // Blob references and other classes cannot be synthesized as plain values.
      return Object.getPrototypeOf(value) === Object.prototype ? 'object' : 'other';
    default:
      return 'other';
  }
}

function widen(range: Range | undefined, value: number): Range {
  if (!range) return { min: value, max: value };
  return { min: Math.min(range.min, value), max: Math.max(range.max, value) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
