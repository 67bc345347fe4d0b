/**
 * The node-independent parts of reconfiguring a target: flattening a configuration to UPPER_SNAKE keys (with a
 * property), parsing values the way the YAML would hold them, the values to put back, which keys need a process
 * restart. Nothing here talks to a node; the restart waits are tested against real nodes (bench.test.ts), never
 * against a scripted stand-in for Harper.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  configValue,
  flattenConfiguration,
  needsProcessRestart,
  originalSettings,
} from '../../../src/harper/reconfigure.js';

describe('flattenConfiguration', () => {
  it('joins nested keys with _ and upper-cases them; arrays, null and scalars are leaves', () => {
    const config = {
      replication: { recordConcurrency: 2, port: 9933, routes: ['a:1', 'b:2'] },
      logging: { level: 'debug', rotation: { enabled: false } },
      threads: { count: 4, debug: null },
      rootPath: '/var/harper',
    };
    assert.deepEqual(flattenConfiguration(config), {
      REPLICATION_RECORDCONCURRENCY: 2,
      REPLICATION_PORT: 9933,
      REPLICATION_ROUTES: ['a:1', 'b:2'],
      LOGGING_LEVEL: 'debug',
      LOGGING_ROTATION_ENABLED: false,
      THREADS_COUNT: 4,
      THREADS_DEBUG: null,
      ROOTPATH: '/var/harper',
    });
  });

  it('a scalar, an array or nothing at the top has no keys; an empty section has none either', () => {
    for (const config of [7, 'text', null, undefined, [1, 2], {}, { http: {} }]) {
      assert.deepEqual(flattenConfiguration(config), {}, JSON.stringify(config));
    }
  });

  it('adds to the object it is given, under the prefix it is given', () => {
    const out: Record<string, unknown> = { EXISTING: 1 };
    const result = flattenConfiguration({ port: 2 }, 'http', out);
    assert.equal(result, out);
    assert.deepEqual(out, { EXISTING: 1, HTTP_PORT: 2 });
  });

  const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,7}$/);
  const leaf = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.string(),
    fc.array(fc.integer(), { maxLength: 3 }),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('tree')), { maxKeys: 5 }),
  }));

  /** Every leaf with its path, by walking the object independently of the code under test. */
  function leaves(value: unknown, path: string[] = []): Array<[string[], unknown]> {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
    }
    return path.length ? [[path, value]] : [];
  }

  it('property: one key per leaf, its path joined by _ upper-cased, holding the leaf', () => {
    fc.assert(
      fc.property(tree, (config) => {
        const flat = flattenConfiguration(config);
        const expected = leaves(config);
        // Keys differing only in case collide once upper-cased: the property holds where they do not.
        fc.pre(new Set(expected.map(([path]) => path.join('_').toUpperCase())).size === expected.length);
        assert.equal(Object.keys(flat).length, expected.length);
        for (const [path, value] of expected)
          assert.deepEqual(flat[path.join('_').toUpperCase()], value, path.join('.'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('configValue', () => {
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['true', true],
    ['false', false],
    ['2', 2],
    ['-3', -3],
    ['1.5', 1.5],
    ['-0.25', -0.25],
    ['150', 150],
    ['', ''],
    ['debug', 'debug'],
    ['True', 'True'],
    ['NULL', 'NULL'],
    ['1e3', '1e3'],
    ['.5', '.5'],
    ['2.', '2.'],
    [' 2', ' 2'],
    ['0x10', '0x10'],
    ['127.0.0.1', '127.0.0.1'],
  ];
  for (const [text, value] of cases) {
    it(`${JSON.stringify(text)} → ${JSON.stringify(value)}`, () =>
      assert.deepEqual(configValue(text), value));
  }

  it('property: every safe integer reads back as itself', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => configValue(String(n)) === n));
  });
});

describe('originalSettings', () => {
  it('the node’s own value per key, null where it has none; false and 0 are values', () => {
    const config = { replication: { recordConcurrency: 2, enabled: false, retries: 0, blobTimeout: null } };
    assert.deepEqual(
      originalSettings(config, [
        'REPLICATION_RECORDCONCURRENCY',
        'REPLICATION_ENABLED',
        'REPLICATION_RETRIES',
        'REPLICATION_BLOBTIMEOUT',
        'REPLICATION_UNSET',
      ]),
      {
        REPLICATION_RECORDCONCURRENCY: 2,
        REPLICATION_ENABLED: false,
        REPLICATION_RETRIES: 0,
        REPLICATION_BLOBTIMEOUT: null,
        REPLICATION_UNSET: null,
      },
    );
    assert.deepEqual(originalSettings(config, []), {});
  });
});

describe('needsProcessRestart', () => {
  const cases: Array<[string[], boolean]> = [
    [['THREADS_COUNT'], true],
    [['OPERATIONSAPI_NETWORK_PORT'], true],
    [['HTTP_PORT'], true],
    [['REPLICATION_PORT'], true],
    [['REPLICATION_SECUREPORT'], true],
    [['REPLICATION_URL'], true],
    [['REPLICATION_HOSTNAME'], true],
    [['ROOTPATH'], true],
    [['REPLICATION_RECORDCONCURRENCY'], false],
    [['LOGGING_LEVEL'], false],
    [['OPERATIONSAPI_AUTHENTICATION_ENABLED'], false],
    [['STORAGE_HTTP_PORT'], false],
    [[], false],
    [['LOGGING_LEVEL', 'THREADS_COUNT'], true],
  ];
  for (const [keys, expected] of cases) {
    it(`${JSON.stringify(keys)} → ${expected}`, () => assert.equal(needsProcessRestart(keys), expected));
  }
});
