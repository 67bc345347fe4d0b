import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatBytes,
  formatCount,
  formatMs,
  parseDuration,
  parseKeyValue,
  parseSize,
} from '../../../src/common/units.js';

describe('parseSize', () => {
  it('accepts the documented examples', () => {
    assert.equal(parseSize('256'), 256);
    assert.equal(parseSize('50KB'), 50 * 1024);
    assert.equal(parseSize('1.5MiB'), 1.5 * 1024 * 1024);
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseSize('50kb'), 51200);
    assert.equal(parseSize('50 KiB'), 51200);
    assert.equal(parseSize(' 10k '), 10240);
    assert.equal(parseSize('3m'), 3 * 1024 ** 2);
    assert.equal(parseSize('7b'), 7);
    assert.equal(parseSize('0'), 0);
  });

  it('rejects junk with an Error naming the input', () => {
    for (const junk of ['', ' ', 'abc', 'KB', '-5', '5XB', '1.2.3', '5 K B', '1e3', '0x10', '5PB', '.5MB']) {
      assert.throws(
        () => parseSize(junk),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(error.message.includes(`"${junk}"`), error.message);
          return true;
        },
      );
    }
  });
});

describe('parseDuration', () => {
  it('accepts the documented examples', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 1.5s '), 1500);
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('0ms'), 0);
  });

  it('rejects junk with an Error', () => {
    for (const junk of ['', 'abc', '5', '5x', '30 s', '1m30', 'ms', 's30', '-5s', '5sec', '1m 30s', '00']) {
      assert.throws(
        () => parseDuration(junk),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /is not a duration/);
          return true;
        },
      );
    }
  });
});

describe('parseKeyValue', () => {
  it('splits at the first = and upper-cases the key', () => {
    assert.deepEqual(parseKeyValue('REPLICATION_RECORDCONCURRENCY=2'), [
      'REPLICATION_RECORDCONCURRENCY',
      '2',
    ]);
    assert.deepEqual(parseKeyValue('threads_count=1'), ['THREADS_COUNT', '1']);
    assert.deepEqual(parseKeyValue('A=b=c'), ['A', 'b=c']);
    assert.deepEqual(parseKeyValue(' KEY =v'), ['KEY', 'v']);
  });

  it('rejects junk with an Error', () => {
    for (const junk of ['', 'noequals', '=value', '1KEY=2', 'A B=1', 'A-B=1', ' =x', 'ÄKEY=1']) {
      assert.throws(() => parseKeyValue(junk), Error, junk);
    }
  });
});

describe('formatting', () => {
  it('formatBytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.00 KiB');
    assert.equal(formatBytes(50 * 1024), '50.0 KiB');
    assert.equal(formatBytes(1.5 * 1024 ** 2), '1.50 MiB');
    assert.equal(formatBytes(3 * 1024 ** 5), '3072.0 TiB');
  });

  it('formatMs and formatCount', () => {
    assert.equal(formatMs(undefined), '–');
    assert.equal(formatMs(null), '–');
    assert.equal(formatMs(Number.NaN), '–');
    assert.equal(formatMs(5), '5.00 ms');
    assert.equal(formatMs(250), '250 ms');
    assert.equal(formatMs(1500), '1.50 s');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(null), '–');
  });
});

const SIZE_FACTORS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};
const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A unit in random letter case ('KiB', 'kIb', …). */
const anyCase = (unit: string) =>
  fc
    .array(fc.boolean(), { minLength: unit.length, maxLength: unit.length })
    .map((upper) => [...unit].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
const whitespace = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \t ');

/** Decimals and unit factor of a formatted value ('1.50 MiB' → 2, 1024²), to bound its rounding. */
function precisionOf(text: string, factors: Record<string, number>): { decimals: number; factor: number } {
  const match = /^\d+(?:\.(\d+))? (\S+)$/.exec(text);
  assert.ok(match, `formatted as "<number> <unit>": ${text}`);
  const factor = factors[match[2]!.toLowerCase()];
  assert.ok(factor !== undefined, `a unit the parser knows: ${text}`);
  return { decimals: match[1]?.length ?? 0, factor };
}

describe('units: properties', () => {
  it('parseSize("<integer><unit>") is the integer times the unit, in any letter case and spacing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 20 }),
        fc
          .constantFrom(...Object.keys(SIZE_FACTORS))
          .chain((unit) => fc.tuple(fc.constant(unit), anyCase(unit))),
        whitespace,
        whitespace,
        whitespace,
        (n, [unit, written], lead, middle, trail) => {
          assert.equal(parseSize(`${lead}${n}${middle}${written}${trail}`), n * SIZE_FACTORS[unit]!);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseSize of a decimal is the nearest whole byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.stringMatching(/^\d{1,6}$/),
        fc.constantFrom(...Object.keys(SIZE_FACTORS)),
        (whole, fraction, unit) => {
          const text = `${whole}.${fraction}${unit}`;
          const bytes = parseSize(text);
          const exact = Number(`${whole}.${fraction}`) * SIZE_FACTORS[unit]!;
          assert.ok(Number.isInteger(bytes), `${text} → ${bytes}`);
          assert.ok(Math.abs(bytes - exact) <= 0.5 + 1e-6 * exact, `${text} → ${bytes}, not ≈ ${exact}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseSize reads TiB, the largest unit formatBytes prints', () => {
    assert.equal(parseSize('2TiB'), 2 * 1024 ** 4);
    assert.equal(parseSize(formatBytes(3 * 1024 ** 4)), 3 * 1024 ** 4);
  });

  it('parseSize ∘ formatBytes: exact below 1 KiB, within the printed precision up to 1 TiB', () => {
    const bytes = fc.oneof(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 1024 ** 4 - 1 }));
    fc.assert(
      fc.property(bytes, (b) => {
        const text = formatBytes(b);
        const parsed = parseSize(text);
        if (b < 1024) {
          assert.equal(parsed, b, text);
          return;
        }
        const { decimals, factor } = precisionOf(text, SIZE_FACTORS);
        const slack = 0.5 * 10 ** -decimals * factor + 0.5;
        assert.ok(Math.abs(parsed - b) <= slack, `${b} → "${text}" → ${parsed} (±${slack})`);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseDuration of a sequence of <number><unit> parts is the sum of the parts', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom('ms', 's', 'm', 'h'));
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 6 }),
        whitespace,
        whitespace,
        (parts, lead, trail) => {
          const text = parts.map(([n, unit]) => `${n}${unit}`).join('');
          const expected = parts.reduce((sum, [n, unit]) => sum + n * DURATION_FACTORS[unit]!, 0);
          assert.equal(parseDuration(`${lead}${text}${trail}`), expected, text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseDuration ∘ formatMs (without its space) is within the printed precision', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10_000_000, noNaN: true }), (ms) => {
        const text = formatMs(ms);
        const parsed = parseDuration(text.replace(' ', ''));
        const { decimals, factor } = precisionOf(text, DURATION_FACTORS);
        // Half a unit of the last printed digit, and parseDuration's own rounding to whole ms.
        const slack = 0.5 * 10 ** -decimals * factor + 0.5 + 1e-9 * ms;
        assert.ok(Math.abs(parsed - ms) <= slack, `${ms} → "${text}" → ${parsed} (±${slack})`);
      }),
      { numRuns: 1000 },
    );
  });

  // The accepted languages, written out independently of the parsers' own regular expressions.
  const SIZE_GRAMMAR = /^\s*\d+(?:\.\d+)?\s*(?:|b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)\s*$/i;
  const DURATION_GRAMMAR = /^\s*(?:0|(?:\d+(?:\.\d+)?(?:ms|s|m|h))+)\s*$/;
  const soup = (tokens: string[]) =>
    fc.array(fc.constantFrom(...tokens), { minLength: 0, maxLength: 10 }).map((parts) => parts.join(''));

  it('parseSize accepts exactly its grammar: anything else throws an Error naming the input', () => {
    const tokens = ['0', '1', '9', '42', '.', 'k', 'K', 'b', 'B', 'i', 'm', 'g', 'G', 't', 'T', 'e', 'x'];
    const junk = ['-', '+', ',', '_', ' ', '\t', '\u00a0', 'µ', '%', '0x', 'e3', '１'];
    fc.assert(
      fc.property(
        fc.oneof(soup(tokens), soup([...tokens, ...junk]), fc.string({ unit: 'binary' })),
        (text) => {
          if (SIZE_GRAMMAR.test(text)) {
            const bytes = parseSize(text);
            assert.ok(Number.isInteger(bytes) && bytes >= 0, `${JSON.stringify(text)} → ${bytes}`);
          } else {
            assert.throws(
              () => parseSize(text),
              (error: unknown) => error instanceof Error && error.message.includes(`"${text}"`),
              JSON.stringify(text),
            );
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parseDuration accepts exactly its grammar: anything else throws', () => {
    const tokens = ['0', '1', '5', '30', '.', 'ms', 'm', 's', 'h'];
    const junk = ['M', 'S', 'H', 'd', 'sec', ' ', '\t', '-', '+', ',', ':', '\u2028', 'µs', '1e3'];
    fc.assert(
      fc.property(
        fc.oneof(soup(tokens), soup([...tokens, ...junk]), fc.string({ unit: 'binary' })),
        (text) => {
          if (DURATION_GRAMMAR.test(text)) {
            const ms = parseDuration(text);
            assert.ok(Number.isInteger(ms) && ms >= 0, `${JSON.stringify(text)} → ${ms}`);
          } else {
            assert.throws(() => parseDuration(text), /is not a duration/, JSON.stringify(text));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
