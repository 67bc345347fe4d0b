/** --mix insert=70,update=25,delete=5: the share of each operation among a frame's entries. */

export const OPERATIONS = ['insert', 'update', 'delete'] as const;
export type OperationKind = (typeof OPERATIONS)[number];

/** Shares that sum to 1. */
export type OperationMix = Record<OperationKind, number>;

export const PURE_INSERTS: OperationMix = { insert: 1, update: 0, delete: 0 };

/** Parses `op=weight[,op=weight]` (any order, normalised); throws an Error with a one-line message. */
export function parseOperationMix(spec: string): OperationMix {
  const weights: OperationMix = { insert: 0, update: 0, delete: 0 };
  const seen = new Set<string>();
  for (const part of spec.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match)
      throw new Error(`--mix ${spec}: "${part}" is not op=weight (e.g. insert=70,update=25,delete=5)`);
    const op = match[1]!;
    if (!(OPERATIONS as readonly string[]).includes(op)) {
      throw new Error(`--mix ${spec}: unknown operation "${op}"; use insert, update, delete`);
    }
    if (seen.has(op)) throw new Error(`--mix ${spec}: ${op} is given twice`);
    seen.add(op);
    weights[op as OperationKind] = Number(match[2]);
  }
  const sum = weights.insert + weights.update + weights.delete;
  if (!(sum > 0)) throw new Error(`--mix ${spec}: the weights sum to 0`);
  return { insert: weights.insert / sum, update: weights.update / sum, delete: weights.delete / sum };
}

/** The mix as percentages, e.g. insert=70,update=25,delete=5. */
export function formatOperationMix(mix: OperationMix): string {
  return OPERATIONS.filter((op) => mix[op] > 0)
    .map((op) => `${op}=${+(mix[op] * 100).toFixed(2)}`)
    .join(',');
}

export function isPureInserts(mix: OperationMix): boolean {
  return mix.update === 0 && mix.delete === 0;
}
