/** The shared flag definitions and helpers: relations as oclif checks them, env fallbacks, the small parsers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Flags } from '@oclif/core';
import {
  checkUrl,
  commaList,
  excludes,
  flagValue,
  needs,
  nodeConfig,
  positive,
  requiring,
  targetFlags,
  tlsFlags,
} from '../../../src/cli/shared-flags.js';
import { parseDuration, parseSize } from '../../../src/common/units.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

describe('relations', () => {
  const flags = {
    a: Flags.string({ relationships: [needs('b')] }),
    b: Flags.string(),
    c: Flags.boolean({ relationships: [excludes('a')] }),
  };

  it('needs: a flag given without the one it needs is refused (exit 2); with it, parsed', async () => {
    await refuses(flags, ['--a', 'x'], /--b/);
    assert.deepEqual(await parseFlags(flags, ['--a', 'x', '--b', 'y']), { a: 'x', b: 'y' });
  });

  it('excludes: two flags that exclude each other are refused together, each alone is fine', async () => {
    await refuses(flags, ['--c', '--a', 'x', '--b', 'y'], /--a/);
    assert.equal((await parseFlags(flags, ['--c'])).c, true);
  });

  it('requiring: every flag of a group needs the one flag', async () => {
    const group = requiring({ x: Flags.string(), y: Flags.integer() }, 'on');
    const all = { ...group, on: Flags.boolean() };
    await refuses(all, ['--x', '1'], /--on/);
    await refuses(all, ['--y', '2'], /--on/);
    assert.deepEqual(await parseFlags(all, ['--on', '--x', '1', '--y', '2']), { on: true, x: '1', y: 2 });
  });
});

describe('targetFlags and tlsFlags', () => {
  it('defaults: user admin, one embedded thread, no target (the embedded node)', async () => {
    const values = await parseFlags(targetFlags, []);
    assert.equal(values.user, 'admin');
    assert.equal(values.threads, 1);
    assert.equal(values.target, undefined);
  });

  it('read HARPER_TARGET, HARPER_PASSWORD and HARPER_TOKEN from the environment when the flag is not given', async () => {
    process.env.HARPER_TARGET = 'http://127.0.0.1:9925';
    process.env.HARPER_PASSWORD = 'from-env';
    process.env.HARPER_TOKEN = 'tok';
    try {
      const values = await parseFlags({ ...targetFlags, ...tlsFlags }, []);
      assert.equal(values.target, 'http://127.0.0.1:9925');
      assert.equal(values.password, 'from-env');
      assert.equal(values.token, 'tok');
      const given = await parseFlags(targetFlags, ['--target', 'http://127.0.0.1:1']);
      assert.equal(given.target, 'http://127.0.0.1:1', 'the flag wins over the environment');
    } finally {
      delete process.env.HARPER_TARGET;
      delete process.env.HARPER_PASSWORD;
      delete process.env.HARPER_TOKEN;
    }
  });

  it('--threads below 1 is refused at parse time', async () => {
    await refuses(targetFlags, ['--threads', '0'], /threads|0/);
  });
});

describe('nodeConfig and commaList', () => {
  it('nodeConfig: KEY=VALUE pairs into an object (a value may hold "="); none → {}', () => {
    assert.deepEqual(nodeConfig(['A=1', 'B=x=y']), { A: '1', B: 'x=y' });
    assert.deepEqual(nodeConfig(undefined), {});
    assert.throws(() => nodeConfig(['novalue']));
  });

  it('commaList: trimmed, empty parts dropped; not given stays undefined', () => {
    assert.deepEqual(commaList(' a, b,,c '), ['a', 'b', 'c']);
    assert.deepEqual(commaList(''), []);
    assert.equal(commaList(undefined), undefined);
  });
});

describe('flagValue and checkUrl: a bad value names its flag', () => {
  it('flagValue prefixes the flag once', () => {
    const parse = (text: string) => {
      if (text !== 'ok') throw new Error(`"${text}" is not ok`);
      return 1;
    };
    assert.equal(flagValue('rate', 'ok', parse), 1);
    assert.throws(() => flagValue('rate', 'x', parse), /^Error: --rate "x" is not ok$/);
    assert.throws(
      () =>
        flagValue('rate', 'x', () => {
          throw new Error('--rate x: no');
        }),
      /^Error: --rate x: no$/,
    );
    assert.throws(
      () =>
        flagValue('threshold', 'a<<1', () => {
          throw new Error('threshold "a<<1": "<1" is not a size');
        }),
      /^Error: --threshold "a<<1": "<1" is not a size$/,
    );
  });

  it('positive is a parser for flagValue: zero or less refused, the flag named once, parse errors kept', () => {
    assert.equal(flagValue('ack-timeout', '2s', positive(parseDuration)), 2_000);
    assert.equal(flagValue('high-water-mark', '1KB', positive(parseSize)), 1024);
    for (const [flag, text, parse] of [
      ['ack-timeout', '0s', parseDuration],
      ['high-water-mark', '0', parseSize],
    ] as const)
      assert.throws(() => flagValue(flag, text, positive(parse)), {
        message: `--${flag} ${text}: must be more than 0`,
      });
    assert.throws(
      () => flagValue('ack-timeout', 'soon', positive(parseDuration)),
      /^Error: --ack-timeout "soon" is not a duration/,
    );
  });

  it('checkUrl refuses what cannot be dialled: not a URL, another scheme, port 0 or > 65535', () => {
    assert.equal(checkUrl('target', 'http://127.0.0.1:9925'), 'http://127.0.0.1:9925');
    assert.equal(checkUrl('upstream', 'wss://node-a:9933', ['ws', 'wss']), 'wss://node-a:9933');
    for (const bad of ['not a url', 'ftp://127.0.0.1:21', 'http://127.0.0.1:0', 'http://127.0.0.1:65536'])
      assert.throws(
        () => checkUrl('target', bad),
        (error: Error) => error.message.startsWith(`--target ${bad} is not`),
      );
    assert.throws(
      () => checkUrl('upstream', 'http://a:1', ['ws', 'wss']),
      /--upstream http:\/\/a:1 is not a ws or wss URL/,
    );
  });
});
