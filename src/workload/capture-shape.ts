/**
 * --like FILE.hrcap: the shape of each table a capture carries — its TABLE_FIXED_STRUCTUREs (primary key, indexed
 * attributes) and the values of its records (decoded with the captured structures, as the receiver did) — and how
 * many records it carried, which --scale multiplies.
 */
import { Direction, RecordKind } from '../capture/format.js';
import { CaptureReader } from '../capture/reader.js';
import { inputFileError } from '../common/errors.js';
import type { AttributeDescription } from '../protocol/control-frame.js';
import { decodeControlFrame, isControlFrame } from '../protocol/control-frame.js';
import { TableDecoders } from '../protocol/table-decoder.js';
import { decodeTxnFrame } from '../protocol/txn-frame.js';
import type { RecordShape } from './record-shape.js';
import { ShapeLearner } from './shape-inference.js';

/** Record values sampled per table: enough for sizes and value lists, cheap for a big capture. */
const SAMPLE_LIMIT = 5000;

export interface CapturedShape {
  table: string;
  shape: RecordShape;
  /** Put entries of this table in the capture (records carried, updates included). */
  records: number;
  /** Attributes seen only as binary or blobs: not synthesized. */
  skipped: string[];
  /** With `finalValues`: each id the table holds at the capture's end (put, not deleted after) → its last value. */
  finalValues?: Map<unknown, Record<string, unknown>>;
}

interface TableState {
  learner: ShapeLearner;
  records: number;
  attributes: AttributeDescription[];
  finalValues?: Map<unknown, Record<string, unknown>>;
}

export interface CaptureShapeOptions {
  /** Keep every id's last captured value (--scale with --mix re-creates them): memory grows with the ids. */
  finalValues?: boolean;
}

/** Every table with records in the capture at `path`; throws a bad-input error (6) for an unreadable capture. */
export async function captureShapes(
  path: string,
  options: CaptureShapeOptions = {},
): Promise<CapturedShape[]> {
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(path);
  } catch (error) {
    throw inputFileError(error, path);
  }
  const tables = new Map<string, TableState>();
  try {
    await readTables(reader, tables, options);
  } catch (error) {
    throw inputFileError(error, path);
  } finally {
    await reader.close();
  }
  const shapes = [...tables].filter(([, t]) => t.records > 0).map(([table, t]) => shapeOf(table, t));
  if (!shapes.length) throw inputFileError(new Error('the capture holds no records to shape'), path);
  return shapes;
}

async function readTables(
  reader: CaptureReader,
  tables: Map<string, TableState>,
  options: CaptureShapeOptions,
): Promise<void> {
  const decoders = new Map<number, TableDecoders>();
  for await (const record of reader.records()) {
    if (record.kind !== RecordKind.MESSAGE || record.direction !== Direction.FROM_SOURCE) continue;
    const connection = decoders.get(record.connection) ?? new TableDecoders();
    decoders.set(record.connection, connection);
    if (isControlFrame(record.payload)) {
      const frame = decodeControlFrame(record.payload);
      if (frame.type !== 'TABLE_FIXED_STRUCTURE') continue;
      connection.define(frame.tableId, frame.tableName, frame.structure);
      tableState(tables, frame.tableName, options).attributes = frame.structure.attributes;
      continue;
    }
    for (const entry of decodeTxnFrame(record.payload).entries) {
      const name = connection.table(entry.tableId)?.tableName;
      if (!name) continue;
      const state = tableState(tables, name, options);
      if (entry.type === 'delete') state.finalValues?.delete(entry.key);
      if (entry.type !== 'put' || !entry.value) continue;
      state.records++;
      const sampled = state.learner.count < SAMPLE_LIMIT;
      if (!sampled && !state.finalValues) continue;
      const value = connection.decode(entry.tableId, entry.value);
      if (sampled) state.learner.add(value);
      state.finalValues?.set(entry.key, value as Record<string, unknown>);
    }
  }
}

function tableState(tables: Map<string, TableState>, name: string, options: CaptureShapeOptions): TableState {
  const state = tables.get(name) ?? {
    learner: new ShapeLearner(),
    records: 0,
    attributes: [],
    ...(options.finalValues ? { finalValues: new Map() } : {}),
  };
  tables.set(name, state);
  return state;
}

function shapeOf(table: string, state: TableState): CapturedShape {
  const primaryKey = state.attributes.find((a) => a.isPrimaryKey)?.name ?? 'id';
  const indexed = state.attributes.filter((a) => a.indexed && !a.isPrimaryKey).map((a) => a.name);
  const { skipped, ...shape } = state.learner.shape(primaryKey, indexed);
  return {
    table,
    shape,
    records: state.records,
    skipped,
    ...(state.finalValues ? { finalValues: state.finalValues } : {}),
  };
}
