/**
 * Record values are encoded with the sending table's msgpackr structures; the receiver rebuilds a decoder per
 * table id from each TABLE_FIXED_STRUCTURE (RC case TABLE_FIXED_STRUCTURE). msgpackr 1.11 is required: 2.x has no
 * `randomAccessStructure` (typed structs).
 */
import { Packr } from 'msgpackr';
import { BlobReference, registerBlobExtension } from './blob.js';
import type { TableStructure } from './control-frame.js';

export interface KnownTable {
  tableId: number;
  tableName: string;
  structure: TableStructure;
}

/** Per-connection table state: the latest structure of every table id, and a decoder for its values. */
export class TableDecoders {
  private readonly tables = new Map<number, KnownTable & { decoder: Packr }>();

  constructor() {
    registerBlobExtension();
  }

  /** Applies a TABLE_FIXED_STRUCTURE: replaces the decoder of that table id. */
  define(tableId: number, tableName: string, structure: TableStructure): void {
    const decoder = new Packr({
      useBigIntExtension: true,
      randomAccessStructure: true,
      freezeData: false,
      typedStructs: structure.typedStructs as never,
      structures: structure.structures as never,
    } as ConstructorParameters<typeof Packr>[0]);
    this.tables.set(tableId, { tableId, tableName, structure, decoder });
  }

  table(tableId: number): KnownTable | undefined {
    return this.tables.get(tableId);
  }

  get known(): KnownTable[] {
    return [...this.tables.values()].map(({ tableId, tableName, structure }) => ({
      tableId,
      tableName,
      structure,
    }));
  }

  /** Decodes a value; throws when the table id has no structure yet or the bytes do not decode. */
  decode(tableId: number, value: Uint8Array): unknown {
    const table = this.tables.get(tableId);
    if (!table) throw new Error(`no TABLE_FIXED_STRUCTURE seen for table id ${tableId}`);
    return toPlain(table.decoder.unpack(value));
  }
}

/** Typed-struct records decode to lazy objects; copy them into plain objects (JSON, deep equality). */
function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array || value instanceof Date || value instanceof BlobReference) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(Symbol.iterator in value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      return toPlain((value as { toJSON: () => unknown }).toJSON());
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = toPlain((value as Record<string, unknown>)[key]);
  return out;
}
