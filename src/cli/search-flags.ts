/** bench's capacity search flags: --search KEY=LOW..HIGH, --until EXPR, --resolution, --search-repeat. */
import { Flags } from '@oclif/core';
import type { Rate } from '../common/rates.js';
import { parseUntil } from '../report/search-until.js';
import type { SearchOptions } from '../run/bench-search.js';
import {
  parseResolution,
  parseSearchRange,
  SEARCH_KEYS,
  type SearchPlan,
} from '../workload/capacity-search.js';
import { flagValue, needs } from './shared-flags.js';

export const searchFlags = {
  search: Flags.string({
    summary: `Find the largest value that passes: a bisection of KEY over LOW..HIGH, each probe a synth run on a fresh node, per --set combination (KEY: ${SEARCH_KEYS.join(', ')}; values in the units of those flags, e.g. blob-size=10KB..2MB, rate=1000rps..20000rps). Replaces the comparison; --repeat is not used.`,
    helpValue: 'KEY=LOW..HIGH',
    relationships: [needs('until')],
  }),
  until: Flags.string({
    summary:
      "What marks a probe as failed: threshold terms joined by ||, e.g. 'oomEvents>0 || ackP99>10s'. A run that never reached its target is an error (reported, retried once), not a failure.",
    helpValue: 'EXPR',
    relationships: [needs('search')],
  }),
  resolution: Flags.string({
    summary:
      "Stop once the smallest failing value is this close above the largest passing one: a value in KEY's unit (5000, 10KB, 100rps) or a percentage of the range (default 5%).",
    helpValue: 'VALUE|N%',
    relationships: [needs('search')],
  }),
  'search-repeat': Flags.integer({
    summary:
      'Probes of each value near the boundary (within 2 resolutions of it) in all; 1 probes every value once. A repeat that disagrees makes the result "noisy".',
    default: 2,
    min: 1,
    max: 9,
  }),
};

/** Two resolutions either side of the band count as near the boundary. */
const NEAR_BOUNDARY = 2;
/** Probes of one value that never reached the target before the search gives up on it. */
const MAX_ERRORS = 2;
/** A safety net far above what a bisection needs (about 2 + log2(100/5) ≈ 7 values, each repeated a few times). */
const MAX_PROBES = 60;

/** The search the flags describe, or undefined without --search; throws an Error naming the flag. */
export function searchOptions(flags: {
  search?: string;
  until?: string;
  resolution?: string;
  'search-repeat': number;
  rate?: Rate;
  capture?: string;
  samples?: string;
  junit?: string;
  'records-per-frame'?: number;
  'record-size'?: string;
  'blob-size'?: string;
}): SearchOptions | undefined {
  if (flags.search === undefined) return undefined;
  for (const flag of ['capture', 'samples', 'junit'] as const) {
    if (flags[flag] !== undefined)
      throw new Error(`--search runs synthetic probes and writes its own report: it does not take --${flag}`);
  }
  const range = flagValue('search', flags.search, parseSearchRange);
  if (range.key !== 'rate' && flags[range.key] !== undefined)
    throw new Error(`--search ${range.key}=… sets each probe's --${range.key}: drop --${range.key}`);
  if (range.key === 'rate' && flags.rate)
    throw new Error("--search rate=… sets each probe's rate: drop --rate");
  const until = flagValue('until', flags.until!, (text) => {
    parseUntil(text);
    return text.trim();
  });
  const plan: SearchPlan = {
    low: range.low,
    high: range.high,
    resolution:
      flags.resolution === undefined
        ? parseResolution(undefined, range)
        : flagValue('resolution', flags.resolution, (text) => parseResolution(text, range)),
    integer: range.key !== 'rate',
    repeat: flags['search-repeat'],
    nearBoundary: NEAR_BOUNDARY,
    maxErrors: MAX_ERRORS,
    maxProbes: MAX_PROBES,
  };
  return { range, plan, until, ...(flags.rate ? { pace: flags.rate } : {}) };
}
