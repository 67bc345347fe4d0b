import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
    for (const junk of ['', ' ', 'abc', 'KB', '-5', '5XB', '1.2.3', '5 K B', '1e3', '0x10', '5TB', '.5MB']) {
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
