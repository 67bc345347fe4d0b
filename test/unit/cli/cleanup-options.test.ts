/** cleanup's flags: --target required, credentials or a token, and what --dry-run / --force ask. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/cli/base-command.js';
import { cleanupFlags, cleanupOptions } from '../../../src/cli/cleanup-options.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const parse = (...argv: string[]) => parseFlags(cleanupFlags, argv);

describe('cleanup options', () => {
  it('the target with its credentials; removes by default', async () => {
    const options = cleanupOptions(await parse('--target', 'http://a:9925', '--password', 'pw'));
    assert.deepEqual(options, {
      target: { url: 'http://a:9925', credentials: { user: 'admin', password: 'pw' } },
      dryRun: false,
      force: false,
    });
  });

  it('--dry-run, --force, --user and a token instead of a password', async () => {
    const options = cleanupOptions(
      await parse('--target', 'http://a:9925', '--token', 'tok', '--user', 'ops', '--dry-run', '--force'),
    );
    assert.deepEqual(options, { target: { url: 'http://a:9925', token: 'tok' }, dryRun: true, force: true });
  });

  it('refuses a run without --target or without credentials, and --ca-from-target (replication only)', async () => {
    await refuses(cleanupFlags, ['--password', 'pw'], /Missing required flag target/);
    await refuses(
      cleanupFlags,
      ['--target', 'http://a:9925', '--ca-from-target'],
      /Nonexistent flag: --ca-from-target/,
    );
    const flags = await parse('--target', 'http://a:9925');
    assert.throws(
      () => cleanupOptions(flags),
      (error: unknown) =>
        error instanceof UsageError && /needs credentials: --password or HARPER_PASSWORD/.test(error.message),
    );
  });
});
