/**
 * The load flags (synth, replay and bench get them from LoadCommand): their relations, checked by oclif at parse
 * time, and the run options loadOptions builds from them, with the checks it keeps by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/cli/base-command.js';
import { LoadCommand, loadFlags, loadOptions } from '../../../src/cli/load-command.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const parse = (...argv: string[]) => parseFlags(loadFlags, argv);
const options = async (...argv: string[]) =>
  loadOptions(await parse(...argv), { database: 'data', verify: true });
const TARGET = ['--target', 'http://node:9925', '--password', 'pw'];

describe('load flags', () => {
  it('are the base flags of every load command', () => {
    assert.deepEqual(Object.keys(LoadCommand.baseFlags), Object.keys(loadFlags));
    assert.equal(LoadCommand.baseFlags.target.helpGroup, 'TARGET', 'with their help groups');
    assert.equal(LoadCommand.enableJsonFlag, true);
  });

  it('default to peer mode on the embedded node', async () => {
    const flags = await parse();
    assert.equal(flags.via, 'peer');
    assert.deepEqual(flags.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(flags.user, 'admin');
    assert.equal(flags.threads, 1);
    assert.equal(flags.progress, true);
    assert.equal(flags.target, undefined);
  });

  it('--fan-out needs --target, --member needs --fan-out', async () => {
    await refuses(loadFlags, ['--fan-out'], /when using --fan-out: --target/);
    await refuses(loadFlags, [...TARGET, '--member', 'http://b:9925'], /when using --member: --fan-out/);
    const flags = await parse(...TARGET, '--fan-out', '--member', 'http://b:9925');
    assert.deepEqual(flags.member, ['http://b:9925']);
  });

  it('--listen-tls, --listen-cert and --listen-key are for peer mode; --listen-tls makes its own certificate', async () => {
    for (const flag of [['--listen-tls'], ['--listen-cert', 'c.pem'], ['--listen-key', 'k.pem']]) {
      await refuses(loadFlags, ['--via', 'push', ...flag], /--via=push cannot also be provided/);
      await parse('--via', 'peer', ...flag);
      await parse(...flag);
    }
    await refuses(
      loadFlags,
      ['--listen-tls', '--listen-cert', 'c.pem'],
      /--listen-cert=c\.pem cannot also be provided when using --listen-tls/,
    );
    await refuses(
      loadFlags,
      ['--listen-tls', '--listen-key', 'k.pem'],
      /--listen-key=k\.pem cannot also be provided when using --listen-tls/,
    );
  });

  it("the embedded node's own flags are refused with --target, not silently ignored", async () => {
    for (const flag of [['--threads', '2'], ['--keep-node'], ['--node-config', 'THREADS_COUNT=2']]) {
      await refuses(
        loadFlags,
        [...TARGET, ...flag],
        new RegExp(`--target=\\S+ cannot also be provided when using ${flag[0]}`),
      );
      await parse(...flag);
    }
    assert.equal((await parse(...TARGET)).threads, 1, 'the default --threads is never refused');
  });

  it('TLS flags and the token apply to a node named with --target, also from the environment', async () => {
    for (const flag of [
      ['--ca', 'ca.pem'],
      ['--ca-from-target'],
      ['--cert', 'c.pem'],
      ['--key', 'k.pem'],
      ['--servername', 'node'],
      ['--insecure'],
      ['--token', 't'],
    ]) {
      await refuses(loadFlags, flag, new RegExp(`when using ${flag[0]}: --target`));
      await parse(...TARGET, ...flag);
    }
    process.env.HARPER_TOKEN = 't';
    try {
      await refuses(loadFlags, [], /when using --token: --target/);
    } finally {
      delete process.env.HARPER_TOKEN;
    }
  });

  it('--via is peer or push', async () => {
    await refuses(
      loadFlags,
      ['--via', 'carrier-pigeon'],
      /Expected --via=carrier-pigeon to be one of: peer, push/,
    );
  });
});

describe('loadOptions', () => {
  it('the embedded node: its settings over the defaults, peer mode on any free loopback port', async () => {
    const run = loadOptions(
      await parse('--node-config', 'THREADS_COUNT=2', '--threads', '2', '--keep-node'),
      {
        database: 'data',
        nodeConfig: { REPLICATION_RECORDCONCURRENCY: '2', THREADS_COUNT: '1' },
        verify: true,
      },
    );
    assert.deepEqual(run.target, {
      url: undefined,
      credentials: undefined,
      replicationUrl: undefined,
      embedded: {
        config: { REPLICATION_RECORDCONCURRENCY: '2', THREADS_COUNT: '2' },
        threads: 2,
        keep: true,
      },
    });
    assert.deepEqual([run.via, run.listenHost, run.listenPort], ['peer', '127.0.0.1', 0]);
    assert.equal(run.maxReconnects, 5);
    assert.deepEqual(
      [
        run.ackTimeoutMs,
        run.subscribeTimeoutMs,
        run.pauseThresholdMs,
        run.blockedAfterMs,
        run.sysinfoIntervalMs,
      ],
      [120_000, 30_000, 50, 500, 250],
    );
    assert.equal(run.highWaterMark, 4 * 2 ** 20);
    assert.equal(run.fanOut, undefined);
    assert.equal(run.listenTls, undefined);
  });

  it('a node of the user: Basic credentials, or the token instead', async () => {
    const basic = await options(...TARGET, '--user', 'hdb', '--replication', 'ws://node:9933');
    assert.deepEqual(basic.target.credentials, { user: 'hdb', password: 'pw' });
    assert.equal(basic.target.replicationUrl, 'ws://node:9933');
    const token = await options('--target', 'http://node:9925', '--token', ' tok ');
    assert.equal(token.target.credentials, undefined);
    assert.equal(token.target.token, 'tok');
    const empty = await options('--target', 'http://node:9925', '--password', '');
    assert.deepEqual(
      empty.target.credentials,
      { user: 'admin', password: '' },
      'an empty password is a password',
    );
  });

  it("--rate takes frames/s (bare or fps) or records/s (rps, through the frames' record count), naming the flag", async () => {
    assert.equal((await options('--rate', '0.25')).rate, 0.25);
    assert.equal((await options('--rate', '2fps')).rate, 2);
    const perRecord = loadOptions(await parse('--rate', '5000rps'), {
      database: 'data',
      verify: true,
      recordsPerFrame: 250,
    });
    assert.equal(perRecord.rate, 20, '5000 records/s in frames of 250 is 20 frames/s');
    await assert.rejects(options('--rate', '5000rps'), /--rate 5000rps: a capture's frames hold different/);
    for (const text of ['0', '-1', 'abc', '1e3', '.5', '5rpm'])
      await assert.rejects(options('--rate', text), /Parsing --rate\s+.* is not a rate above 0/);
  });

  it('fan-out, listen address, rate, thresholds, databases', async () => {
    const run = loadOptions(
      await parse(
        ...TARGET,
        '--fan-out',
        '--listen',
        '[::1]:9950',
        '--rate',
        '20',
        '--threshold',
        'peakRss < 1.5GiB',
        '--max-reconnects',
        '0',
        '--listen-tls',
      ),
      { database: 'data', databases: ['a', 'b'], maxReconnects: 9, verify: false },
    );
    assert.deepEqual([run.fanOut, run.memberUrls], [true, []]);
    assert.deepEqual([run.listenHost, run.listenPort], ['::1', 9950]);
    assert.deepEqual([run.database, run.databases], ['a', ['a', 'b']]);
    assert.deepEqual(run.listenTls, {});
    assert.equal(run.rate, 20);
    assert.equal(run.maxReconnects, 0, '--max-reconnects over the preset');
    assert.equal(run.verify, false);
    assert.equal(run.thresholds?.length, 1);
  });

  it('keeps by hand: --listen-cert with --listen-key, credentials for --target (their wording is relied on)', async () => {
    for (const flag of [
      ['--listen-cert', 'c.pem'],
      ['--listen-key', 'k.pem'],
    ]) {
      await assert.rejects(options(...flag), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, '--listen-cert and --listen-key go together');
        return true;
      });
    }
    await assert.rejects(
      options('--target', 'http://node:9925'),
      (error: unknown) =>
        error instanceof UsageError &&
        /^--target needs credentials: --password or HARPER_PASSWORD/.test(error.message),
    );
  });

  it('a bad value is a usage error naming it; a missing file is bad input', async () => {
    await assert.rejects(
      options('--ack-timeout', 'soon'),
      (error: unknown) => error instanceof UsageError && /"soon" is not a duration/.test(error.message),
    );
    await assert.rejects(options('--high-water-mark', 'lots'), /"lots" is not a size/);
    for (const flag of [
      'ack-timeout',
      'sample-interval',
      'subscribe-timeout',
      'blocked-after',
      'high-water-mark',
    ]) {
      await assert.rejects(
        options(`--${flag}`, '0'),
        (error: unknown) =>
          error instanceof UsageError && error.message === `--${flag} 0: must be more than 0`,
      );
    }
    await assert.rejects(
      options(...TARGET, '--ca', '/no/such/ca.pem'),
      (error: unknown) => error instanceof HarperReplayError && error.exitCode === ExitCode.BAD_INPUT,
    );
  });
});
