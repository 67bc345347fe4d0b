/** synth's record-shape flags (--template, --like, --scale, --keep-table, --into-source-table) and their refusals. */
import { Flags } from '@oclif/core';
import type { ShapeOptions, ShapeSource } from '../run/shaped-tables.js';

export const shapeFlags = {
  template: Flags.string({
    summary:
      'Records shaped by a template file (JSON or YAML: attributes, types, sizes, value lists, nesting, indexed; see templates/products.yaml), written to --table.',
    helpValue: 'FILE',
  }),
  like: Flags.string({
    summary:
      'Records shaped like a capture (FILE.hrcap: each of its tables) or a table on the target (DB.TABLE: its primary key, indexes and a sample of rows), written to a scratch table <table>_hr_<pid>_<tag> dropped at the end. Repeat for several tables in the same frames.',
    helpValue: 'FILE.hrcap|DB.TABLE',
    multiple: true,
  }),
  scale: Flags.string({
    summary:
      "With --like FILE.hrcap: send N times the capture's record count (e.g. 10x), new ids; with --mix the captured ids (and values) are re-created first, then updated and deleted.",
    helpValue: 'Nx',
  }),
  'keep-table': Flags.boolean({
    summary: "Keep --like's scratch tables at the end (default: dropped, also after Ctrl-C).",
  }),
  'into-source-table': Flags.boolean({
    summary:
      'With --like DB.TABLE: write into that table itself (ids 1…N overwrite its records) instead of a scratch copy.',
  }),
};

export interface ShapeFlagValues {
  template?: string;
  like?: string[];
  scale?: string;
  'keep-table'?: boolean;
  'into-source-table'?: boolean;
  'record-size'?: string;
  'blob-size'?: string;
  'blobs-per-frame'?: number;
  'blob-faults'?: string;
  frames?: number;
  databases?: number;
  database: string;
}

const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$/;

/** What one --like names: a capture file (ends in .hrcap or has a slash) or DB.TABLE. */
export function likeSource(text: string): ShapeSource {
  if (text.endsWith('.hrcap') || text.includes('/')) return { kind: 'capture', path: text };
  const match = TABLE_NAME.exec(text);
  if (!match) throw new Error(`--like "${text}" is neither a capture (FILE.hrcap) nor a table (DB.TABLE)`);
  return { kind: 'table', database: match[1]!, table: match[2]! };
}

/** "10x" or "10" → 10. */
export function parseScale(text: string): number {
  const match = /^(\d+(?:\.\d+)?)x?$/i.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value > 0)) throw new Error(`--scale "${text}" is not a factor like 10x`);
  return value;
}

/** The shape options the flags give (undefined: the fixed {id, frame, payload} records). Throws on nonsense. */
export function shapeOptions(
  flags: ShapeFlagValues,
): { shapes: ShapeOptions; database?: string } | undefined {
  const likes = (flags.like ?? []).map(likeSource);
  if (!flags.template && !likes.length) {
    for (const flag of ['scale', 'keep-table', 'into-source-table'] as const) {
      if (flags[flag]) throw new Error(`--${flag} goes with --like`);
    }
    return undefined;
  }
  if (flags.template && likes.length)
    throw new Error('--template and --like both give the records a shape: use one');
  for (const flag of ['record-size', 'blob-size', 'blobs-per-frame', 'blob-faults'] as const) {
    if (flags[flag] !== undefined)
      throw new Error(
        `--${flag} does not go with --${flags.template ? 'template' : 'like'}: the shape decides the records`,
      );
  }
  const captures = likes.filter((s) => s.kind === 'capture');
  const tables = likes.filter((s) => s.kind === 'table');
  if (flags.scale !== undefined) {
    if (!captures.length)
      throw new Error("--scale multiplies a capture's record count: give --like FILE.hrcap");
    if (flags.frames !== undefined) throw new Error('--scale decides how many records go: drop --frames');
  }
  if (flags['into-source-table'] && !tables.length)
    throw new Error('--into-source-table goes with --like DB.TABLE');
  if (flags['keep-table'] && !likes.length)
    throw new Error('--keep-table goes with --like (a template writes --table, never dropped)');
  const databases = [...new Set(tables.map((t) => t.database))];
  if (databases.length > 1)
    throw new Error(
      `--like tables come from several databases (${databases.join(', ')}): one run loads one database`,
    );
  if (databases.length && (flags.databases !== undefined || flags.database.includes(',')))
    throw new Error(
      `--like ${databases[0]}.… loads database ${databases[0]}: drop --databases or the --database list`,
    );
  const shapes: ShapeOptions = {
    sources: flags.template ? [{ kind: 'template', path: flags.template }] : likes,
    ...(flags.scale !== undefined ? { scale: parseScale(flags.scale) } : {}),
    keepTable: flags['keep-table'] ?? false,
    intoSourceTable: flags['into-source-table'] ?? false,
  };
  return { shapes, ...(databases[0] ? { database: databases[0] } : {}) };
}
