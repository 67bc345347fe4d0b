/** capture's flags: their relations (oclif's), and the subscriber and proxy captures they describe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/cli/base-command.js';
import {
  captureFlags,
  proxyCaptureOptions,
  subscriberCaptureOptions,
} from '../../../src/cli/capture-options.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const parse = (...argv: string[]) => parseFlags(captureFlags, argv);
const PROXY = ['--proxy', '--listen', '9950', '--upstream', 'ws://node-a:9933'];

describe('capture flags', () => {
  it('--proxy needs --listen and --upstream, and refuses --token and --ca-from-target', async () => {
    await refuses(captureFlags, ['--proxy'], /when using --proxy: --listen, --upstream/);
    await refuses(captureFlags, ['--proxy', '--listen', '1'], /when using --proxy: --listen, --upstream/);
    await refuses(
      captureFlags,
      [...PROXY, '--token', 't'],
      /--token=t cannot also be provided when using --proxy/,
    );
    await refuses(
      captureFlags,
      [...PROXY, '--ca-from-target'],
      /--ca-from-target=true cannot also be provided/,
    );
    assert.equal((await parse(...PROXY)).proxy, true);
  });

  it('--listen-cert and --listen-key go together, with --proxy', async () => {
    await refuses(
      captureFlags,
      ['--listen-cert', 'c.pem'],
      /when using --listen-cert: --proxy, --listen-key/,
    );
    await refuses(
      captureFlags,
      [...PROXY, '--listen-key', 'k.pem'],
      /when using --listen-key: --proxy, --listen-cert/,
    );
    await parse(...PROXY, '--listen-cert', 'c.pem', '--listen-key', 'k.pem');
  });

  it('--tables and --exclude-tables exclude each other', async () => {
    await refuses(
      captureFlags,
      ['--tables', 'a', '--exclude-tables', 'b'],
      /cannot also be provided when using --(exclude-)?tables/,
    );
  });
});

describe('a subscriber capture', () => {
  it('from the flags: credentials, lists, the stop conditions, a default file name under captures/', async () => {
    const setup = subscriberCaptureOptions(
      await parse(
        '--source',
        'http://node-a:9925',
        '--password',
        'pw',
        '--database',
        'kennel',
        '--since',
        '0',
        '--tables',
        'dog, cat',
        '--relayed-from',
        'all',
        '--no-ack',
        '--duration',
        '1m',
        '--until-idle',
        '5s',
        '--frames',
        '10',
      ),
    );
    assert.match(setup.out, /^captures\/node-a-9925-kennel-\d{8}T\d{6}Z\.hrcap$/);
    assert.deepEqual(
      { ...setup, out: undefined },
      {
        source: 'http://node-a:9925',
        replicationUrl: undefined,
        credentials: { user: 'admin', password: 'pw' },
        caFromTarget: false,
        database: 'kennel',
        since: 0,
        tables: ['dog', 'cat'],
        excludeTables: undefined,
        origins: ['all'],
        ack: false,
        out: undefined,
        durationMs: 60_000,
        maxFrames: 10,
        untilIdleMs: 5_000,
        flushIntervalMs: 1_000,
        force: undefined,
      },
    );
  });

  it('a token instead of a password; --out as given', async () => {
    const setup = subscriberCaptureOptions(
      await parse('--source', 'ws://node-a:9933', '--token', 'tok', '--out', 'y.hrcap'),
    );
    assert.equal(setup.token, 'tok');
    assert.equal(setup.credentials, undefined);
    assert.equal(setup.out, 'y.hrcap');
    // Only the default folder (captures/) is made; a folder the user named must exist.
    const missingFolder = await parse('--source', 'ws://node-a:9933', '--token', 'tok', '--out', 'x/y.hrcap');
    assert.throws(
      () => subscriberCaptureOptions(missingFolder),
      /--out x\/y\.hrcap: the folder x does not exist/,
    );
  });

  it('keeps by hand: --source is required (its wording is relied on), and credentials', async () => {
    const none = await parse();
    assert.throws(
      () => subscriberCaptureOptions(none),
      (error: unknown) =>
        error instanceof UsageError && error.message === '--source URL is required (or --proxy)',
    );
    const anonymous = await parse('--source', 'http://a:9925');
    assert.throws(
      () => subscriberCaptureOptions(anonymous),
      (error: unknown) => error instanceof UsageError && /^--source needs credentials: /.test(error.message),
    );
  });

  it('a bad duration or --since is a usage error', async () => {
    for (const argv of [
      ['--duration', 'long'],
      ['--until-idle', 'x'],
      ['--flush-interval', 'y'],
      ['--since', 'yesterday'],
    ]) {
      const flags = await parse('--source', 'ws://a:1', '--password', 'p', ...argv);
      assert.throws(() => subscriberCaptureOptions(flags), UsageError, argv.join(' '));
    }
  });
});

describe('a proxy capture', () => {
  it('listens on 127.0.0.1 unless told a host, records into captures/<upstream>-proxy-<time>.hrcap', async () => {
    const setup = proxyCaptureOptions(await parse(...PROXY, '--until-idle', '3s'));
    assert.match(setup.out, /^captures\/node-a-9933-proxy-\d{8}T\d{6}Z\.hrcap$/);
    assert.deepEqual(
      { ...setup, out: undefined },
      {
        listenHost: '127.0.0.1',
        listenPort: 9950,
        upstream: 'ws://node-a:9933',
        out: undefined,
        durationMs: undefined,
        untilIdleMs: 3_000,
        flushIntervalMs: 1_000,
        force: undefined,
      },
    );
    const host = proxyCaptureOptions(
      await parse('--proxy', '--listen', '0.0.0.0:9951', '--upstream', 'ws://b:1'),
    );
    assert.deepEqual([host.listenHost, host.listenPort], ['0.0.0.0', 9951]);
  });
});

describe('capture --relayed-from', () => {
  it('names which relayed writes to capture; its old name --origins still works (deprecated)', async () => {
    const relayed = ['--source', 'ws://node-a:9933', '--token', 't'];
    for (const flag of ['--relayed-from', '--origins']) {
      const setup = subscriberCaptureOptions(await parse(...relayed, flag, 'peer-b,peer-c'));
      assert.deepEqual(setup.origins, ['peer-b', 'peer-c'], flag);
    }
    assert.deepEqual(captureFlags['relayed-from'].aliases, ['origins']);
    assert.equal(captureFlags['relayed-from'].deprecateAliases, true);
  });
});

describe('capture --proxy --listen', () => {
  it('refuses an empty value or a port out of range at parse time, before anything is created', async () => {
    for (const listen of ['', '99999', '127.0.0.1:65536', 'abc']) {
      await assert.rejects(
        parse('--proxy', `--listen=${listen}`, '--upstream', 'ws://node-a:9933'),
        /Parsing --listen\s+".*" is not \[HOST:\]PORT with a port from 0 to 65535/,
      );
    }
  });
});

describe('capture durations', () => {
  it('refuses zero where zero means nothing', async () => {
    for (const flag of ['duration', 'until-idle', 'flush-interval']) {
      const flags = await parse('--source', 'ws://node-a:9933', '--token', 't', `--${flag}`, '0s');
      assert.throws(() => subscriberCaptureOptions(flags), { message: `--${flag} 0s: must be more than 0` });
    }
  });
});
