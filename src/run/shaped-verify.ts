/**
 * Verification of shaped tables (synth --template/--like): per table the count of present ids, with a mix a sample
 * of ids' values against the expected state, and for a table with indexed attributes one search by value that the
 * target's index must answer with the sampled ids holding that value.
 */
import type { IndexCheck, ValueSample } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { checkSample, comparedAttributes, sampleIds } from '../workload/expected-state.js';
import type { ExpectedState } from '../workload/operation-plan.js';
import type { RecordEncoder } from '../workload/record-encoder.js';

/** What verification needs of one table of the run. */
export interface VerifiedTable {
  table: string;
  primaryKey: string;
  indexed: readonly string[];
  encoder: RecordEncoder;
}

/** The values as the operations API returns them: JSON (dates as ISO strings). */
function asJson(encoder: RecordEncoder): Pick<RecordEncoder, 'expected'> {
  return { expected: (id, generation) => JSON.parse(JSON.stringify(encoder.expected(id, generation))) };
}

/**
 * Reads attributes the table does not declare: 4.7.29's search_by_id refuses them ("unknown attribute"), so they
 * are declared first, unindexed (create_attribute indexed: false), which costs later writes nothing. They stay:
 * on a table without a schema drop_attribute deletes the attribute's value from every record.
 */
export async function readUndeclared(
  client: OperationsClient,
  database: string,
  table: string,
  ids: number[],
  attributes: string[],
  primaryKey = 'id',
): Promise<Array<Record<string, unknown>>> {
  if (!ids.length) return [];
  const known = new Set((await client.describeTable(database, table)).attributes.map((a) => a.attribute));
  for (const attribute of attributes) {
    if (!known.has(attribute)) {
      await client.call({ operation: 'create_attribute', database, table, attribute, indexed: false });
    }
  }
  return client.searchById(database, table, ids, [primaryKey, ...attributes.filter((a) => a !== primaryKey)]);
}

/** A mix on a shaped table: its sampled ids' values compared with the expected state. */
export async function sampleShapedValues(
  client: OperationsClient,
  database: string,
  entry: VerifiedTable,
  state: ExpectedState,
  seed: number,
): Promise<ValueSample> {
  const ids = sampleIds(state, 1, seed);
  const attributes = comparedAttributes(entry.encoder, 1);
  const rows = await readUndeclared(client, database, entry.table, ids, attributes, entry.primaryKey);
  return checkSample(ids, rows, state, asJson(entry.encoder), attributes, entry.primaryKey);
}

type Searchable = string | number | boolean;
const searchable = (value: unknown): value is Searchable =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * The search: the first indexed attribute with a plain value on a present sampled id; that value searched; every
 * sampled present id whose expected value it is must come back. Undefined when the table indexes nothing searchable.
 */
export function indexSearchPlan(
  entry: VerifiedTable,
  state: ExpectedState,
  seed: number,
): { attribute: string; value: Searchable; ids: number[] } | undefined {
  const present = sampleIds(state, 1, seed).flatMap((id) => {
    const generation = state.generationOf(id);
    return generation === undefined ? [] : [{ id, record: asJson(entry.encoder).expected(id, generation) }];
  });
  for (const attribute of entry.indexed) {
    const first = present.find((p) => searchable(p.record[attribute]));
    if (!first) continue;
    const value = first.record[attribute] as Searchable;
    return { attribute, value, ids: present.filter((p) => p.record[attribute] === value).map((p) => p.id) };
  }
  return undefined;
}

/** Runs the search by value on the target: how many of the ids that should answer it did. */
export async function checkIndex(
  client: OperationsClient,
  database: string,
  entry: VerifiedTable,
  state: ExpectedState,
  seed: number,
): Promise<IndexCheck | undefined> {
  const plan = indexSearchPlan(entry, state, seed);
  if (!plan) return undefined;
  const rows = await client.call<Array<Record<string, unknown>>>({
    operation: 'search_by_value',
    database,
    table: entry.table,
    search_attribute: plan.attribute,
    search_value: plan.value,
    get_attributes: [entry.primaryKey],
  });
  const returned = new Set(rows.map((row) => Number(row[entry.primaryKey])));
  const found = plan.ids.filter((id) => returned.has(id)).length;
  return {
    table: entry.table,
    attribute: plan.attribute,
    value: plan.value,
    expected: plan.ids.length,
    found,
    ok: found === plan.ids.length,
  };
}
