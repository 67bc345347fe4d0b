/**
 * The shape of synthetic records: which attributes a record has, of what type, how big, how often null, which are
 * indexed — from a --template file, a capture (--like FILE.hrcap) or a table (--like DB.TABLE). Pure: parsing and
 * checking only; ShapedRecordEncoder (shaped-encoder.ts) turns a shape into values.
 */
import { parseSize } from '../common/units.js';

export const VALUE_TYPES = ['string', 'int', 'float', 'boolean', 'date', 'object', 'array'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** Inclusive bounds. */
export interface Range {
  min: number;
  max: number;
}

export interface ValueShape {
  type: ValueType;
  /** string: length in bytes; array: number of items. */
  size?: Range;
  /** int, float: the values; date: epoch ms. */
  range?: Range;
  /** Pick one of these (uniformly) instead of a generated value. */
  values?: Array<string | number | boolean>;
  /** string: this many distinct values (low cardinality, what an index on it sees). */
  distinct?: number;
  /** Share of records whose value is null (0–1). */
  nullRate?: number;
  /** object: its attributes. */
  attributes?: AttributeShape[];
  /** array: the shape of each item. */
  items?: ValueShape;
}

export interface AttributeShape extends ValueShape {
  name: string;
  /** Declared in the table structure the tool sends, so the target indexes it (top level only). */
  indexed?: boolean;
}

export interface RecordShape {
  /** The primary key attribute: record ids 1…N, integers. */
  primaryKey: string;
  /** Every other attribute, in record order. */
  attributes: AttributeShape[];
}

/** A mistake in a shape description, naming where it is (`attributes[3].size`). */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const DEFAULT_STRING_SIZE: Range = { min: 8, max: 32 };
const DEFAULT_INT_RANGE: Range = { min: 0, max: 1_000_000 };
const DEFAULT_FLOAT_RANGE: Range = { min: 0, max: 1000 };
const DEFAULT_DATE_RANGE: Range = { min: Date.UTC(2020, 0, 1), max: Date.UTC(2026, 0, 1) };
const DEFAULT_ARRAY_SIZE: Range = { min: 0, max: 4 };
/** A record value must fit a frame: strings and arrays stay under this. */
const MAX_SIZE = 16 * 1024 * 1024;
const MAX_DEPTH = 8;

type Doc = Record<string, unknown>;
const isDoc = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** A size: 32, "1KB", "8-32", "1KB-4KB", [8, 32] or {min, max}. */
function sizeRange(value: unknown, path: string): Range {
  const one = (v: unknown): number => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === 'string') {
      try {
        return parseSize(v.trim());
      } catch {
        // falls through to the error naming the path
      }
    }
    throw new ShapeError(`${path}: ${show(value)} is not a size`);
  };
  let range: Range;
  if (Array.isArray(value) && value.length === 2) range = { min: one(value[0]), max: one(value[1]) };
  else if (isDoc(value)) range = { min: one(value.min), max: one(value.max) };
  else if (typeof value === 'string' && /^[^-]+-[^-]+$/.test(value)) {
    const [min, max] = value.split('-');
    range = { min: one(min), max: one(max) };
  } else {
    const size = one(value);
    range = { min: size, max: size };
  }
  if (range.min > range.max) throw new ShapeError(`${path}: min ${range.min} is above max ${range.max}`);
  if (range.max > MAX_SIZE) throw new ShapeError(`${path}: ${range.max} is above the 16 MiB limit`);
  return range;
}

/** A numeric range [min, max] or {min, max}; dates also take ISO strings. */
function numberRange(value: unknown, path: string, dates: boolean): Range {
  const one = (v: unknown): number => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (dates && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
    throw new ShapeError(`${path}: ${show(v)} is not a ${dates ? 'date' : 'number'}`);
  };
  const pair =
    Array.isArray(value) && value.length === 2 ? value : isDoc(value) ? [value.min, value.max] : null;
  if (!pair) throw new ShapeError(`${path}: ${show(value)} is not a range ([min, max] or {min, max})`);
  const range = { min: one(pair[0]), max: one(pair[1]) };
  if (range.min > range.max) throw new ShapeError(`${path}: min ${range.min} is above max ${range.max}`);
  return range;
}

const ALLOWED_KEYS = new Set([
  'name',
  'type',
  'size',
  'range',
  'values',
  'distinct',
  'nullRate',
  'attributes',
  'items',
  'indexed',
]);

/** One value's shape from a document; `path` names it in errors. */
function valueShape(doc: unknown, path: string, depth: number): ValueShape {
  if (!isDoc(doc)) throw new ShapeError(`${path}: ${show(doc)} is not an object`);
  for (const key of Object.keys(doc)) {
    if (!ALLOWED_KEYS.has(key)) throw new ShapeError(`${path}.${key}: unknown field`);
  }
  if (depth > MAX_DEPTH) throw new ShapeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  const type = doc.type;
  if (!VALUE_TYPES.includes(type as ValueType)) {
    throw new ShapeError(`${path}.type: ${show(type)} is not one of ${VALUE_TYPES.join(', ')}`);
  }
  const shape: ValueShape = { type: type as ValueType };
  if (doc.nullRate !== undefined) {
    const rate = doc.nullRate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
      throw new ShapeError(`${path}.nullRate: ${show(rate)} is not a number from 0 to 1`);
    shape.nullRate = rate;
  }
  const scalar = shape.type !== 'object' && shape.type !== 'array';
  if (doc.values !== undefined) {
    if (!scalar || shape.type === 'date')
      throw new ShapeError(`${path}.values: only string, int, float and boolean take values`);
    const values = doc.values;
    if (!Array.isArray(values) || !values.length)
      throw new ShapeError(`${path}.values: ${show(values)} is not a non-empty list`);
    values.forEach((v, i) => {
      if (!valueFits(shape.type, v))
        throw new ShapeError(`${path}.values[${i}]: ${show(v)} is not a ${shape.type}`);
    });
    shape.values = values as Array<string | number | boolean>;
  }
  if (doc.size !== undefined) {
    if (shape.type !== 'string' && shape.type !== 'array')
      throw new ShapeError(`${path}.size: only string and array take a size`);
    shape.size = sizeRange(doc.size, `${path}.size`);
  }
  if (doc.range !== undefined) {
    if (!['int', 'float', 'date'].includes(shape.type))
      throw new ShapeError(`${path}.range: only int, float and date take a range`);
    shape.range = numberRange(doc.range, `${path}.range`, shape.type === 'date');
  }
  if (doc.distinct !== undefined) {
    if (shape.type !== 'string') throw new ShapeError(`${path}.distinct: only string takes distinct`);
    if (!(Number.isInteger(doc.distinct) && (doc.distinct as number) >= 1))
      throw new ShapeError(`${path}.distinct: ${show(doc.distinct)} is not a positive integer`);
    shape.distinct = doc.distinct as number;
  }
  if (shape.type === 'object') {
    if (doc.attributes === undefined) throw new ShapeError(`${path}.attributes: an object needs attributes`);
    shape.attributes = attributeList(doc.attributes, `${path}.attributes`, depth + 1);
  } else if (doc.attributes !== undefined) {
    throw new ShapeError(`${path}.attributes: only object takes attributes`);
  }
  if (shape.type === 'array') {
    if (doc.items === undefined) throw new ShapeError(`${path}.items: an array needs items`);
    shape.items = valueShape(doc.items, `${path}.items`, depth + 1);
  } else if (doc.items !== undefined) {
    throw new ShapeError(`${path}.items: only array takes items`);
  }
  return withDefaults(shape);
}

function valueFits(type: ValueType, value: unknown): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'int') return Number.isSafeInteger(value);
  if (type === 'float') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === 'boolean';
}

function withDefaults(shape: ValueShape): ValueShape {
  if (shape.values) return shape;
  if (shape.type === 'string' && !shape.size) shape.size = DEFAULT_STRING_SIZE;
  if (shape.type === 'int' && !shape.range) shape.range = DEFAULT_INT_RANGE;
  if (shape.type === 'float' && !shape.range) shape.range = DEFAULT_FLOAT_RANGE;
  if (shape.type === 'date' && !shape.range) shape.range = DEFAULT_DATE_RANGE;
  if (shape.type === 'array' && !shape.size) shape.size = DEFAULT_ARRAY_SIZE;
  return shape;
}

function attributeList(doc: unknown, path: string, depth: number): AttributeShape[] {
  if (!Array.isArray(doc) || !doc.length)
    throw new ShapeError(`${path}: ${show(doc)} is not a non-empty list`);
  const seen = new Set<string>();
  return doc.map((item, i) => {
    const at = `${path}[${i}]`;
    const name = isDoc(item) ? item.name : undefined;
    if (typeof name !== 'string' || !NAME.test(name))
      throw new ShapeError(`${at}.name: ${show(name)} is not an attribute name`);
    if (seen.has(name)) throw new ShapeError(`${at}.name: "${name}" is listed twice`);
    seen.add(name);
    const indexed = (item as Doc).indexed;
    if (indexed !== undefined && typeof indexed !== 'boolean')
      throw new ShapeError(`${at}.indexed: ${show(indexed)} is not true or false`);
    if (indexed && depth > 0) throw new ShapeError(`${at}.indexed: only top-level attributes are indexed`);
    return { name, ...valueShape(item, at, depth), ...(indexed ? { indexed } : {}) };
  });
}

/** A record shape from a parsed template document ({primaryKey?, attributes: [...]}). Throws ShapeError. */
export function parseRecordShape(doc: unknown): RecordShape {
  if (!isDoc(doc)) throw new ShapeError(`the template is ${show(doc)}, not an object with attributes`);
  for (const key of Object.keys(doc)) {
    if (key !== 'primaryKey' && key !== 'attributes') throw new ShapeError(`${key}: unknown field`);
  }
  const primaryKey = doc.primaryKey ?? 'id';
  if (typeof primaryKey !== 'string' || !NAME.test(primaryKey))
    throw new ShapeError(`primaryKey: ${show(primaryKey)} is not an attribute name`);
  const attributes = attributeList(doc.attributes, 'attributes', 0);
  const clash = attributes.findIndex((a) => a.name === primaryKey);
  if (clash >= 0)
    throw new ShapeError(`attributes[${clash}].name: "${primaryKey}" is the primary key (ids are generated)`);
  return { primaryKey, attributes };
}

/** Names of the indexed top-level attributes. */
export function indexedAttributes(shape: RecordShape): string[] {
  return shape.attributes.filter((a) => a.indexed).map((a) => a.name);
}
