/**
 * The tables of a shaped synth run (--template, --like FILE.hrcap, --like DB.TABLE): where each shape comes from,
 * the table it is written to, and that table's life on the target — a scratch table made with the source's primary
 * key and indexes before the target subscribes, dropped at the end (also after Ctrl-C) unless --keep-table.
 * Scratch tables are named <source table>_hr_<pid>_<host tag>: they cannot collide with a user's table and say which
 * process on which host made them (`cleanup` drops one whose process is gone).
 */

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import type { MetricsBus } from '../events/metrics-bus.js';
import type { ShapeSummary } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { captureShapes } from '../workload/capture-shape.js';
import { CapturedIdSpace, capturedIds } from '../workload/captured-ids.js';
import { CapturedValuesEncoder } from '../workload/captured-values-encoder.js';
import { indexedAttributes, type RecordShape } from '../workload/record-shape.js';
import { ShapeLearner } from '../workload/shape-inference.js';
import { loadTemplate } from '../workload/shape-template.js';
import { ShapedRecordEncoder } from '../workload/shaped-encoder.js';
import { createUnlessExists } from './target.js';

/** Where a shape comes from (parsed from the flags). */
export type ShapeSource =
  | { kind: 'template'; path: string }
  | { kind: 'capture'; path: string }
  | { kind: 'table'; database: string; table: string };

export interface ShapeOptions {
  sources: ShapeSource[];
  /** --scale N: send N × the captured record count (capture shapes). */
  scale?: number;
  keepTable: boolean;
  /** --like DB.TABLE writes into that table itself instead of a scratch copy. */
  intoSourceTable: boolean;
}

/** One table of the run and its shape. */
export interface ShapedTable {
  /** What the shape was taken from: a template path, FILE.hrcap#table, or DB.TABLE. */
  from: string;
  kind: ShapeSource['kind'];
  table: string;
  /** Made by this run, dropped at its end unless --keep-table. */
  scratch: boolean;
  shape: RecordShape;
  encoder: ShapedRecordEncoder;
  /** Capture shapes: put entries of this table in the capture. */
  capturedRecords?: number;
  /** Attributes seen only as binary or blobs: not synthesized. */
  skipped: string[];
  /** --like DB.TABLE of a schema-defined table: its attributes, declared the same way on the scratch table. */
  schema?: DeclaredAttribute[];
  /** --scale with --mix: the captured ids the plan's ids stand for, and the encoder writing their captured values. */
  captured?: { ids: CapturedIdSpace; encoder: CapturedValuesEncoder };
}

/** The encoder a table's entries are written with: its captured values first when the run rewrites captured ids. */
export const writerOf = (entry: ShapedTable) => entry.captured?.encoder ?? entry.encoder;

/** An attribute as describe_table gives it. */
export interface DeclaredAttribute {
  attribute: string;
  type?: string;
  indexed?: boolean;
  is_primary_key?: boolean;
}

/** The part of a scratch table's name that marks it as ours: `_hr_<pid>_<host tag>`. */
export const SCRATCH_MARK = /_hr_(\d+)_([0-9a-f]{4})$/;

/** 4 hex digits of the host's name: `cleanup` tells this host's scratch tables from another's. */
export function hostTag(host = hostname()): string {
  return createHash('sha1').update(host).digest('hex').slice(0, 4);
}
/** Rows read from a --like table to learn its values. */
const TABLE_SAMPLE = 1000;

/** The run's suffix for scratch tables. */
export function scratchSuffix(): string {
  return `_hr_${process.pid}_${hostTag()}`;
}

/**
 * The shapes that need no target: templates and captures (bad files end the run with exit 6 before any node
 * starts). Table shapes are read later by `tableShape`, once the target is known.
 */
export async function fileShapes(
  options: ShapeOptions,
  seed: number,
  table: string,
  suffix: string,
  /** --scale with --mix: keep each capture's final ids and values, which the run re-creates and then rewrites. */
  rewriteCapturedIds = false,
): Promise<Array<ShapedTable | ShapeSource>> {
  const out: Array<ShapedTable | ShapeSource> = [];
  for (const source of options.sources) {
    if (source.kind === 'template') {
      const shape = await loadTemplate(source.path);
      out.push(
        shaped({ from: source.path, kind: 'template', table, scratch: false, shape, skipped: [] }, seed),
      );
    } else if (source.kind === 'capture') {
      for (const captured of await captureShapes(source.path, { finalValues: rewriteCapturedIds })) {
        const entry = {
          from: `${source.path}#${captured.table}`,
          kind: 'capture' as const,
          table: `${captured.table}${suffix}`,
          scratch: true,
          shape: captured.shape,
          capturedRecords: captured.records,
          skipped: captured.skipped,
        };
        const table = shaped(entry, seed + out.length);
        if (captured.finalValues) table.captured = rewritten(table, captured.finalValues);
        out.push(table);
      }
    } else {
      out.push(source);
    }
  }
  return out;
}

function rewritten(table: ShapedTable, values: Map<unknown, Record<string, unknown>>) {
  const ids = new CapturedIdSpace(capturedIds(values.keys(), table.from));
  return {
    ids,
    encoder: new CapturedValuesEncoder(table.encoder, values as Map<number, Record<string, unknown>>),
  };
}

function shaped(entry: Omit<ShapedTable, 'encoder'>, seed: number): ShapedTable {
  return { ...entry, encoder: new ShapedRecordEncoder(entry.shape, { tableName: entry.table, seed }) };
}

/** --like DB.TABLE: the table's primary key, indexed attributes and a sample of its rows, as a shape. */
export async function tableShape(
  client: OperationsClient,
  source: Extract<ShapeSource, { kind: 'table' }>,
  options: { seed: number; suffix: string; intoSourceTable: boolean },
): Promise<ShapedTable> {
  const { database, table } = source;
  const all = await client.describeAll();
  const info = all[database]?.[table];
  if (!info)
    throw new HarperReplayError(
      `--like ${database}.${table}: no such table on ${client.url}`,
      ExitCode.USAGE,
    );
  const primaryKey = info.hash_attribute;
  const attributes = info.attributes as DeclaredAttribute[];
  const declared = attributes
    .filter((a) => !a.attribute.startsWith('__'))
    .map((a) => ({ name: a.attribute, ...(a.type ? { type: a.type } : {}) }));
  // Dynamic tables index every declared attribute; schema-defined ones say which.
  const indexed = attributes
    .filter((a) => !a.is_primary_key && (info.schema_defined ? a.indexed : a.indexed !== false))
    .map((a) => a.attribute);
  const rows = await client.sql(`SELECT * FROM \`${database}\`.\`${table}\` LIMIT ${TABLE_SAMPLE}`, 60_000);
  const learner = new ShapeLearner();
  for (const row of rows) learner.add(row);
  const { skipped, ...shape } = learner.shape(primaryKey, indexed, declared);
  const into = options.intoSourceTable;
  return shaped(
    {
      from: `${database}.${table}`,
      kind: 'table',
      table: into ? table : `${table}${options.suffix}`,
      scratch: !into,
      shape,
      skipped,
      ...(info.schema_defined ? { schema: attributes } : {}),
    },
    options.seed,
  );
}

/**
 * Makes `table` ready before the target subscribes: a scratch table is created with the shape's primary key and
 * its indexed attributes declared (a dynamic table indexes what is declared), and every attribute made readable.
 */
export async function prepareTable(
  client: OperationsClient,
  database: string,
  entry: ShapedTable,
): Promise<void> {
  const all = await client.describeAll();
  // Shards of one run (--shard) prepare at once: what another made first is there, not a failure.
  if (!all[database]) await createUnlessExists(() => client.createDatabase(database));
  if (!all[database]?.[entry.table]) {
    // A schema-defined source: the same declared attributes, types and indexes; else a dynamic table.
    const attributes = entry.schema?.map((a) => ({
      name: a.attribute,
      ...(a.type ? { type: a.type } : {}),
      ...(a.indexed ? { indexed: true } : {}),
      ...(a.is_primary_key ? { isPrimaryKey: true } : {}),
    }));
    const made = await createUnlessExists(() =>
      client.createTable(database, entry.table, entry.shape.primaryKey, attributes),
    );
    if (made && entry.schema) return;
  }
  const info = await client.describeTable(database, entry.table);
  const known = new Set(info.attributes.map((a) => a.attribute));
  for (const attribute of indexedAttributes(entry.shape)) {
    if (!known.has(attribute))
      await createUnlessExists(() =>
        client.call({ operation: 'create_attribute', database, table: entry.table, attribute }),
      );
  }
}

/** Drops the run's scratch tables (unless kept); a failure is a warning, never the run's error. */
export async function dropScratchTables(
  client: OperationsClient,
  database: string,
  tables: readonly ShapedTable[],
  bus: MetricsBus,
): Promise<string[]> {
  const dropped: string[] = [];
  for (const entry of tables) {
    if (!entry.scratch) continue;
    try {
      await client.dropTable(database, entry.table);
      dropped.push(`${database}.${entry.table}`);
    } catch (error) {
      bus.emit({
        type: 'warning',
        message: `could not drop the scratch table ${database}.${entry.table} on ${client.url}: ${(error as Error).message} (harper-replay cleanup --target … drops it)`,
      });
    }
  }
  return dropped;
}

export function shapeSummary(entry: ShapedTable): ShapeSummary {
  const sizes = entry.encoder.sampleSizes(1000);
  return {
    from: entry.from,
    kind: entry.kind,
    table: entry.table,
    scratch: entry.scratch,
    primaryKey: entry.shape.primaryKey,
    attributes: entry.shape.attributes.map((a) => ({
      name: a.name,
      type: a.type === 'array' ? `array of ${a.items?.type}` : a.type,
      ...(a.nullRate ? { nullRate: a.nullRate } : {}),
    })),
    indexed: indexedAttributes(entry.shape),
    meanRecordBytes: Math.round(sizes.mean),
    maxRecordBytes: sizes.max,
    ...(entry.capturedRecords !== undefined ? { capturedRecords: entry.capturedRecords } : {}),
    ...(entry.captured ? { rewrittenIds: entry.captured.ids.size } : {}),
    ...(entry.skipped.length ? { skipped: entry.skipped } : {}),
  };
}
