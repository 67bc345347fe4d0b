import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultCaptureName, parseSince } from '../../../src/cli/since.js';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0, 0);

describe('parseSince', () => {
  it('table: 0, now, durations back from now, ISO times', () => {
    const cases: Array<[string, number]> = [
      ['0', 0],
      [' 0 ', 0],
      ['now', NOW],
      ['  now\t', NOW],
      ['10m', NOW - 10 * 60_000],
      ['1h30m', NOW - 90 * 60_000],
      ['500ms', NOW - 500],
      ['1.5s', NOW - 1500],
      ['2h', NOW - 7_200_000],
      ['0s', NOW],
      [' 30s ', NOW - 30_000],
      ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
      ['2024-01-02T03:04:05.123Z', Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
      ['2024-01-02T03:04:05.123+01:00', Date.UTC(2024, 0, 2, 2, 4, 5, 123)],
      ['2024-01-02T03:04:05-05:30', Date.UTC(2024, 0, 2, 8, 34, 5)],
      // A date alone is UTC midnight (ECMAScript's date-only form).
      ['2024-01-02', Date.UTC(2024, 0, 2)],
      ['1970-01-01T00:00:00Z', 0],
    ];
    for (const [text, expected] of cases) assert.equal(parseSince(text, NOW), expected, JSON.stringify(text));
  });

  it('rejects what is none of those, naming the input', () => {
    const junk = [
      '',
      ' ',
      'yesterday',
      'NOW',
      'Now',
      '-10m',
      '.5s',
      '10M',
      '1d',
      '10mins',
      '10 minutes',
      '10m ago',
      'now-5m',
      'T10m',
      '0x10',
      '2024-13-45T00:00:00Z',
      '2024-01-02T25:00:00Z',
      // A bare number is no ISO time: Date.parse would read '5' as 2001-05-01.
      '5',
      '2024',
      '1700000000000',
    ];
    for (const text of junk) {
      assert.throws(
        () => parseSince(text, NOW),
        (error: unknown) => error instanceof Error && error.message.includes(`"${text}"`),
        JSON.stringify(text),
      );
    }
  });

  it('says what --since takes when a duration-like value is not one', () => {
    assert.throws(() => parseSince('1d', NOW), /--since "1d" is not 0, now, a duration back from now/);
  });

  it('takes an ISO time with a space or a lowercase t between date and time', () => {
    const at = Date.parse('2024-01-02T03:04:05Z');
    assert.equal(parseSince('2024-01-02 03:04:05Z', NOW), at);
    assert.equal(parseSince('2024-01-02t03:04:05Z', NOW), at);
  });

  it('defaults now to the current time', () => {
    const before = Date.now();
    const since = parseSince('10m');
    const after = Date.now();
    assert.ok(since >= before - 600_000 && since <= after - 600_000, `${since}`);
    const now = parseSince('now');
    assert.ok(now >= before && now <= Date.now());
  });

  const part = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('ms', 's', 'm', 'h'));
  const factor: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const pad = fc.constantFrom('', ' ', '\t', '  ');

  it('property: a duration is that many milliseconds before now, whatever now is', () => {
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        pad,
        pad,
        (parts, now, lead, trail) => {
          const text = parts.map(([n, unit]) => `${n}${unit}`).join('');
          const back = parts.reduce((sum, [n, unit]) => sum + n * factor[unit]!, 0);
          assert.equal(parseSince(`${lead}${text}${trail}`, now), now - back, text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: an ISO time (toISOString) is that instant, whatever now is', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        pad,
        (date, now, padding) => {
          const iso = date.toISOString();
          assert.equal(parseSince(`${padding}${iso}${padding}`, now), date.getTime(), iso);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: an ISO time with an offset is the same instant as in UTC', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          assert.equal(parseSince(`${local}${offset}`, NOW), date.getTime(), `${local}${offset}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: words of letters other than "now" are refused', () => {
    fc.assert(
      fc.property(
        fc
          .string({
            unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'),
            minLength: 1,
            maxLength: 12,
          })
          .filter((word) => word !== 'now'),
        (word) => {
          assert.throws(() => parseSince(word, NOW), /is not 0, now, a duration/, word);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('defaultCaptureName', () => {
  const AT = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));

  it('table: host-port, database, UTC time to the second', () => {
    const cases: Array<[string, string, string]> = [
      ['wss://node-a.example:9933', 'data', 'node-a.example-9933-data-20250102T030405Z.hrcap'],
      ['ws://127.0.0.1:9925/', 'data', '127.0.0.1-9925-data-20250102T030405Z.hrcap'],
      ['wss://node-a.example', 'data', 'node-a.example-443-data-20250102T030405Z.hrcap'],
      ['https://node-a.example/', 'data', 'node-a.example-443-data-20250102T030405Z.hrcap'],
      ['ws://node-a.example', 'data', 'node-a.example-80-data-20250102T030405Z.hrcap'],
      ['http://node-a.example', 'data', 'node-a.example-80-data-20250102T030405Z.hrcap'],
      ['wss://[::1]:9933', 'data', '___1_-9933-data-20250102T030405Z.hrcap'],
      ['not a url', 'data', 'source-data-20250102T030405Z.hrcap'],
      ['wss://user:secret@host:1', 'my db/../x', 'host-1-my_db____x-20250102T030405Z.hrcap'],
    ];
    for (const [source, database, name] of cases) {
      assert.equal(defaultCaptureName(source, database, AT), name, `${source} ${database}`);
    }
  });

  it('property: a plain file name (no separators, no credentials) ending in .hrcap', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.string({ unit: 'binary' }),
        (url, database) => {
          const name = defaultCaptureName(url, database, AT);
          assert.match(name, /^[A-Za-z0-9._-]+-20250102T030405Z\.hrcap$/);
          assert.ok(!name.includes('/') && !name.includes('\\'), name);
        },
      ),
      { numRuns: 300 },
    );
  });
});
