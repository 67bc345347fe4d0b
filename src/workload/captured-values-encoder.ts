/**
 * The first version of a captured id is the captured record (--like FILE.hrcap --scale --mix re-creates the
 * captured ids before it updates and deletes them); every other (id, generation) is the shape's synthesized value.
 * A captured value is written with the shape's own structures: normalized to the shape's attributes in structure
 * order (an attribute the record lacks is null, one the shape skipped is dropped), so msgpackr finds a shared
 * structure for every object and the receiver decodes it with the TABLE_FIXED_STRUCTURE it was sent.
 */
import { Packr } from 'msgpackr';
import type { TableStructure } from '../protocol/control-frame.js';
import type { RecordEncoder } from './record-encoder.js';
import type { AttributeShape, RecordShape, ValueShape } from './record-shape.js';
import type { ShapedRecordEncoder } from './shaped-encoder.js';

type Plain = Record<string, unknown>;

/** `value` laid out as `shape` says: objects with the shape's attributes in its order, arrays item by item. */
export function normalizeValue(value: unknown, shape: ValueShape): unknown {
  if (value === undefined) return null;
  if (shape.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value))
    return normalizeObject(value as Plain, shape.attributes ?? []);
  if (shape.type === 'array' && Array.isArray(value) && shape.items)
    return value.map((item) => normalizeValue(item, shape.items!));
  return value;
}

function normalizeObject(value: Plain, attributes: readonly AttributeShape[]): Plain {
  const out: Plain = {};
  for (const attribute of attributes) out[attribute.name] = normalizeValue(value[attribute.name], attribute);
  return out;
}

/** A captured record as the shape's structures lay it out, its primary key set to `id`. */
export function normalizeRecord(record: Plain, shape: RecordShape, id: number): Plain {
  return { [shape.primaryKey]: id, ...normalizeObject(record, shape.attributes) };
}

export class CapturedValuesEncoder implements RecordEncoder {
  readonly tableName: string;
  readonly valueBound: number;
  /** Captured values that did not fit the shape's structures (a type the shape does not describe): synthesized. */
  readonly substituted: number;
  private readonly encoded = new Map<number, { bytes: Buffer; record: Plain }>();

  /** `values`: the captured record of each captured id. */
  constructor(
    readonly inner: ShapedRecordEncoder,
    values: ReadonlyMap<number, Plain>,
  ) {
    this.tableName = inner.tableName;
    const structures = inner.tableStructure().structures as string[][];
    const fresh = () => new Packr({ structures: structures.map((s) => [...s]), useBigIntExtension: true });
    const sharedOf = (p: Packr) => (p as unknown as { structures: unknown[] }).structures.length;
    let packr = fresh();
    let largest = 0;
    let substituted = 0;
    for (const [id, value] of values) {
      const record = normalizeRecord(value, inner.shape, id);
      const bytes = packr.pack(record);
      // A new structure would be one the receiver was never sent: that value cannot go out as captured.
      if (sharedOf(packr) !== structures.length) {
        packr = fresh();
        substituted++;
        continue;
      }
      this.encoded.set(id, { bytes: Buffer.from(bytes), record });
      largest = Math.max(largest, bytes.length);
    }
    this.substituted = substituted;
    this.valueBound = Math.max(inner.valueBound, largest);
  }

  /** Captured ids written with their captured value. */
  get captured(): number {
    return this.encoded.size;
  }

  tableStructure(): TableStructure {
    return this.inner.tableStructure();
  }

  write(target: Buffer, pos: number, view: DataView, id: number, generation: number): number {
    const captured = generation === 0 ? this.encoded.get(id) : undefined;
    if (!captured) return this.inner.write(target, pos, view, id, generation);
    captured.bytes.copy(target, pos);
    return pos + captured.bytes.length;
  }

  expected(id: number, generation: number): Plain {
    const captured = generation === 0 ? this.encoded.get(id) : undefined;
    return captured ? captured.record : this.inner.expected(id, generation);
  }

  sampleSizes(count = 1000): { mean: number; max: number } {
    return this.inner.sampleSizes(count);
  }
}
