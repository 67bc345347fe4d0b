/**
 * cleanup's report lines (what was removed, kept, would be removed, failed, and why) and its error on a node it
 * cannot reach. Finding and removing registrations on a real node: test/integration/lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { freeLoopbackPorts } from '../../../src/harper/free-port.js';
import {
  type CleanupResult,
  certificateOwner,
  formatCleanup,
  runCleanup,
  scratchTableVerdict,
} from '../../../src/run/cleanup-run.js';
import { hostTag } from '../../../src/run/shaped-tables.js';

const result = (
  registrations: CleanupResult['registrations'],
  dryRun = false,
  certificates: CleanupResult['certificates'] = [],
  tables: CleanupResult['tables'] = [],
): CleanupResult => ({
  target: 'http://a:9925',
  dryRun,
  registrations,
  certificates,
  tables,
  exitCode: ExitCode.OK,
});

describe('formatCleanup', () => {
  it('says so when the node holds none of the tool’s registrations', () => {
    assert.deepEqual(formatCleanup(result([])), [
      'no harper-replay registrations or certificates on http://a:9925',
    ]);
  });

  it('one line per registration with its reason, then the counts', () => {
    const lines = formatCleanup(
      result([
        {
          name: 'harper-replay-box-200-abcdef',
          url: 'ws://127.0.0.1:9950',
          action: 'removed',
          reason: 'pid 200 on this host is gone',
        },
        {
          name: 'harper-replay-box-100-abcdef',
          action: 'kept',
          reason: 'pid 100 is still running on this host',
        },
        { name: 'harper-replay-box-300-abcdef', action: 'failed', reason: 'timed out' },
      ]),
    );
    assert.deepEqual(lines, [
      'removed registration harper-replay-box-200-abcdef (ws://127.0.0.1:9950): pid 200 on this host is gone',
      'kept registration harper-replay-box-100-abcdef: pid 100 is still running on this host',
      'FAILED to remove registration harper-replay-box-300-abcdef: timed out',
      'removed 1, kept 1, failed 1 on http://a:9925',
    ]);
  });

  it('certificates get their own lines and count with the registrations', () => {
    const lines = formatCleanup(
      result(
        [{ name: 'harper-replay-box-200-abcdef', action: 'removed', reason: 'pid 200 on this host is gone' }],
        false,
        [
          {
            name: 'harper-replay-box-200-abcdef-ca',
            action: 'removed',
            reason: 'pid 200 on this host is gone',
          },
        ],
      ),
    );
    assert.deepEqual(lines.slice(1), [
      'removed certificate harper-replay-box-200-abcdef-ca: pid 200 on this host is gone',
      'removed 2, kept 0 on http://a:9925',
    ]);
  });

  it('a dry run says what it would do and that nothing changed', () => {
    const lines = formatCleanup(
      result(
        [
          {
            name: 'harper-replay-box-200-abcdef',
            action: 'would-remove',
            reason: 'pid 200 on this host is gone',
          },
        ],
        true,
      ),
    );
    assert.deepEqual(lines, [
      'would remove registration harper-replay-box-200-abcdef: pid 200 on this host is gone',
      'dry run: would remove 1, keep 0; nothing was changed',
    ]);
  });
});

describe('certificateOwner', () => {
  const tool = 'harper-replay-box-200-abcdef';
  it('a run CA by its name, a certificate it signed by its issuer', () => {
    assert.equal(certificateOwner({ name: `${tool}-ca`, certificate: '' }), tool);
    assert.equal(
      certificateOwner({ name: 'hr-target-1', certificate: '', details: { issuer: `CN=${tool}-ca` } }),
      tool,
    );
  });

  it("a shard's CA too: its owner is the shard's name", () => {
    const shard = 'harper-replay-pod-0-1-abcdef-rsoak-s2';
    assert.equal(certificateOwner({ name: `${shard}-ca`, certificate: '' }), shard);
  });

  it('anything else is not the tool’s', () => {
    for (const entry of [
      { name: 'hr-target-1', certificate: '', details: { issuer: 'CN=HarperDB-Certificate-Authority-x' } },
      { name: 'cluster-ca', certificate: '' },
      { name: tool, certificate: '' },
      { name: 'x', certificate: '', details: { issuer: 'CN=someone-else-ca' } },
    ])
      assert.equal(certificateOwner(entry), undefined, entry.name);
  });
});

describe('runCleanup', () => {
  it('a node that does not answer: unreachable (exit 4), nothing else tried', async () => {
    const [port] = await freeLoopbackPorts(1);
    await assert.rejects(
      runCleanup({
        target: { url: `http://127.0.0.1:${port}`, credentials: { user: 'admin', password: 'x' } },
        dryRun: false,
        force: false,
      }),
      (error: unknown) => error instanceof HarperReplayError && error.exitCode === ExitCode.UNREACHABLE,
    );
  });
});

describe('scratch tables', () => {
  const here = { host: 'box', alive: (pid: number) => pid === 200 };
  it('a --like scratch table is judged by its pid and host; other tables are not ours', () => {
    const tag = hostTag('box');
    assert.equal(scratchTableVerdict(`products_hr_300_${tag}`, here).kind, 'stale');
    assert.equal(scratchTableVerdict(`products_hr_200_${tag}`, here).kind, 'live');
    const elsewhere = hostTag('other') === tag ? 'ffff' : hostTag('other');
    assert.equal(scratchTableVerdict(`products_hr_300_${elsewhere}`, here).kind, 'unknown');
    assert.equal(scratchTableVerdict('products', here).kind, 'not-ours');
    assert.equal(scratchTableVerdict('products_hr_x_abcd', here).kind, 'not-ours');
  });

  it('cleanup says what it did with each', () => {
    const lines = formatCleanup(
      result([], false, [], [{ name: 'data.products_hr_300_abcd', action: 'removed', reason: 'gone' }]),
    );
    assert.deepEqual(lines, [
      'removed scratch table data.products_hr_300_abcd: gone',
      'removed 1, kept 0 on http://a:9925',
    ]);
  });
});
