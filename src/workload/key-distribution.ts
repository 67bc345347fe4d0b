/**
 * --keys: which existing id an update or delete touches. Ids are ranked by age, oldest first (ids are inserted in
 * increasing order, so rank 1 is the lowest id still present); a distribution draws a rank in 1…n.
 *   uniform      every present id equally likely
 *   sequential   walk the present ids in id order, wrapping around (a full-table rewrite)
 *   zipf:S       P(rank r) ∝ 1 / r^S (S > 0; YCSB's zipfian with its constant 0.99, over ranks by age)
 *   hot:P%[:Q%]  YCSB's hotspot: the oldest P % of present ids get Q % of the ops (default Q = 100 − P, the
 *                80/20 rule generalised: hot:10% sends 90 % of the ops to the oldest 10 % of ids)
 */

export type KeyDistribution =
  | { kind: 'uniform' }
  | { kind: 'sequential' }
  | { kind: 'zipf'; exponent: number }
  | { kind: 'hot'; hotFraction: number; opFraction: number };

export const KEYS_HELP =
  'uniform | sequential | zipf:S | hot:P%[:Q%] — which present id an update/delete touches, ranked by age (oldest first): zipf P(rank r) ∝ 1/r^S; hot:P% sends (100−P)% of the ops (or Q%) to the oldest P% of ids.';

function percent(text: string, what: string, spec: string): number {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value > 0 && value < 100)) {
    throw new Error(`--keys ${spec}: ${what} must be a percentage between 0% and 100% (exclusive), e.g. 10%`);
  }
  return value / 100;
}

/** Parses a --keys value; throws an Error with a one-line message naming the flag. */
export function parseKeyDistribution(spec: string): KeyDistribution {
  const [kind, ...args] = spec.trim().split(':');
  if (kind === 'uniform' || kind === 'sequential') {
    if (args.length) throw new Error(`--keys ${spec}: ${kind} takes no parameter`);
    return { kind };
  }
  if (kind === 'zipf') {
    const exponent = args.length === 1 && /^\d+(\.\d+)?$/.test(args[0]!) ? Number(args[0]) : Number.NaN;
    if (!(exponent > 0 && exponent <= 10)) {
      throw new Error(`--keys ${spec}: zipf needs an exponent S with 0 < S <= 10, e.g. zipf:1.1`);
    }
    return { kind, exponent };
  }
  if (kind === 'hot') {
    if (args.length < 1 || args.length > 2)
      throw new Error(`--keys ${spec}: expected hot:P% or hot:P%:Q%, e.g. hot:10%`);
    const hotFraction = percent(args[0]!, 'the hot share of ids P', spec);
    const opFraction = args.length === 2 ? percent(args[1]!, 'the share of ops Q', spec) : 1 - hotFraction;
    return { kind, hotFraction, opFraction };
  }
  throw new Error(
    `--keys ${spec}: unknown distribution "${kind}"; choose uniform, sequential, zipf:S or hot:P%`,
  );
}

/** The distribution as --keys spells it (for summaries and --json). */
export function formatKeyDistribution(keys: KeyDistribution): string {
  switch (keys.kind) {
    case 'zipf':
      return `zipf:${keys.exponent}`;
    case 'hot': {
      const p = +(keys.hotFraction * 100).toFixed(6);
      const q = +(keys.opFraction * 100).toFixed(6);
      return q === +(100 - p).toFixed(6) ? `hot:${p}%` : `hot:${p}%:${q}%`;
    }
    default:
      return keys.kind;
  }
}

/** Draws ranks 1…n from a seeded uniform source (`next()` in [0, 1)). */
export interface RankSampler {
  /** A rank in 1…n (n ≥ 1); `previous` is the rank chosen last (sequential walks on from it). */
  draw(n: number, next: () => number, previous: number): number;
}

export function rankSampler(keys: KeyDistribution): RankSampler {
  switch (keys.kind) {
    case 'uniform':
      return { draw: (n, next) => 1 + Math.floor(next() * n) };
    case 'sequential':
      return { draw: (n, _next, previous) => (previous >= n ? 1 : previous + 1) };
    case 'zipf':
      return new ZipfSampler(keys.exponent);
    case 'hot':
      return {
        draw: (n, next) => {
          const hot = Math.max(1, Math.ceil(keys.hotFraction * n));
          if (hot >= n || next() < keys.opFraction) return 1 + Math.floor(next() * hot);
          return hot + 1 + Math.floor(next() * (n - hot));
        },
      };
  }
}

/**
 * Zipf over 1…n by rejection-inversion (Hörmann & Derflinger 1996): O(1) a draw, no table, any n and S > 0,
 * so n can change with every delete. Constants are recomputed only when n changes.
 */
export class ZipfSampler implements RankSampler {
  private n = 0;
  private hIntegralX1 = 0;
  private hIntegralN = 0;
  private readonly s: number;

  constructor(private readonly exponent: number) {
    this.s = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  draw(n: number, next: () => number): number {
    if (n !== this.n) {
      this.n = n;
      this.hIntegralX1 = this.hIntegral(1.5) - 1;
      this.hIntegralN = this.hIntegral(n + 0.5);
    }
    for (;;) {
      const u = this.hIntegralN + next() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      const k = Math.min(n, Math.max(1, Math.round(x)));
      if (k - x <= this.s || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  /** ∫ h from 1 to x, written to stay exact near exponent 1. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.exponent);
    if (t < -1) t = -1;
    return Math.exp(log1pOverX(t) * x);
  }
}

/** (e^x − 1) / x, 1 at 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x / 2;
}

/** ln(1 + x) / x, 1 at 0. */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x / 2;
}
