/** The node under test as the run sees it: errors mapped to exit codes, the replication URL, trusted CAs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { EmbeddedNodeError } from '../../../src/harper/embedded-node.js';
import { OperationsApiError, type OpsErrorKind } from '../../../src/harper/operations-client.js';
import { RestartError } from '../../../src/harper/reconfigure.js';
import {
  caFromTargetError,
  createUnlessExists,
  deriveReplicationUrl,
  describeTrustedCas,
  targetError,
  withCas,
} from '../../../src/run/target.js';
import { DialError } from '../../../src/session/dial.js';

describe('targetError', () => {
  const ops = (kind: OpsErrorKind) => new OperationsApiError(kind, `ops ${kind}`);
  const cases: Array<[string, unknown, number]> = [
    ['dial refused', new DialError('refused', 'refused'), ExitCode.UNREACHABLE],
    ['dial unauthorized', new DialError('401', 'unauthorized'), ExitCode.AUTH_FAILED],
    ['dial tls', new DialError('tls', 'tls'), ExitCode.TLS_FAILED],
    ['dial rejected', new DialError('HTTP 404, not an upgrade', 'rejected'), ExitCode.ERROR],
    ['dial timeout', new DialError('no upgrade within 10 s', 'timeout'), ExitCode.ERROR],
    ['ops unauthorized', ops('unauthorized'), ExitCode.AUTH_FAILED],
    ['ops tls', ops('tls'), ExitCode.TLS_FAILED],
    ['ops refused', ops('refused'), ExitCode.UNREACHABLE],
    ['ops timeout', ops('timeout'), ExitCode.UNREACHABLE],
    ['ops network', ops('network'), ExitCode.UNREACHABLE],
    ['ops http', ops('http'), ExitCode.ERROR],
    ['ops operation', ops('operation'), ExitCode.ERROR],
    ['a restart that did not come back', new RestartError('did not come back'), ExitCode.UNREACHABLE],
    ['an embedded node that did not start', new EmbeddedNodeError('did not start'), ExitCode.UNREACHABLE],
    ['anything else', new TypeError('x is undefined'), ExitCode.ERROR],
  ];
  for (const [what, error, code] of cases) {
    it(`${what} → exit ${code}, the same message`, () => {
      const mapped = targetError(error);
      assert.equal(mapped.exitCode, code);
      assert.equal(mapped.message, (error as Error).message);
    });
  }

  it('keeps a HarperReplayError as it is, and turns a thrown non-Error into its text', () => {
    const own = new HarperReplayError('bad --ca', ExitCode.BAD_INPUT);
    assert.equal(targetError(own), own);
    assert.equal(targetError('plain string').message, 'plain string');
  });
});

describe('deriveReplicationUrl', () => {
  const ops = 'https://node-a.example:9925';
  const cases: Array<[string, Parameters<typeof deriveReplicationUrl>[1], string]> = [
    ['replication.port', { replication: { port: 9933 } }, 'ws://node-a.example:9933'],
    [
      'replication.port with a wildcard bind',
      { replication: { port: '0.0.0.0:9933' } },
      'ws://node-a.example:9933',
    ],
    [
      'replication.port bound to an address',
      { replication: { port: '10.0.0.5:9933' } },
      'ws://10.0.0.5:9933',
    ],
    ['an IPv6 bind', { replication: { port: '[fd00::1]:9933' } }, 'ws://[fd00::1]:9933'],
    ['only securePort', { replication: { port: null, securePort: 9934 } }, 'wss://node-a.example:9934'],
    [
      "the string 'null' is no port",
      { replication: { port: 'null', securePort: 9934 } },
      'wss://node-a.example:9934',
    ],
    ['no replication port: the operations port itself', {}, 'wss://node-a.example:9925'],
    ['garbage is no port', { replication: { port: 'abc' } }, 'wss://node-a.example:9925'],
  ];
  for (const [what, config, url] of cases) {
    it(`${what} → ${url}`, () => assert.equal(deriveReplicationUrl(ops, config), url));
  }
  it('plain http operations → ws fallback', () => {
    assert.equal(deriveReplicationUrl('http://127.0.0.1:9925', {}), 'ws://127.0.0.1:9925');
  });
});

describe('trusted CAs', () => {
  const ca = { name: 'ca-1', subject: 'CN=Harper CA, O=Example', fingerprint256: 'AA:BB', pem: 'PEM-1' };

  it('withCas adds the node CAs after --ca, and copies the settings when there are none', () => {
    assert.deepEqual(withCas({ ca: ['MINE'] }, [ca]), { ca: ['MINE', 'PEM-1'] });
    assert.deepEqual(withCas(undefined, [ca]), { ca: ['PEM-1'] });
    const given = { insecure: true };
    const same = withCas(given, []);
    assert.deepEqual(same, given);
    assert.notEqual(same, given);
  });

  it('describeTrustedCas names the CA, its CN and fingerprint, and says when it was read over plain http', () => {
    assert.deepEqual(describeTrustedCas('http://n:9925', [ca]), [
      'trusting CA "ca-1" of http://n:9925 (list_certificates over plain http): CN=Harper CA, SHA-256 AA:BB',
    ]);
    assert.doesNotMatch(describeTrustedCas('https://n:9925', [ca])[0] ?? '', /plain http/);
  });

  it('caFromTargetError explains a TLS failure of the operations API (exit 7) and passes other errors through', () => {
    const tls = new OperationsApiError(
      'tls',
      'TLS: certificate signed by an unknown CA: pass --ca FILE or --insecure',
    );
    const mapped = caFromTargetError('https://n:9925', tls);
    assert.ok(mapped instanceof HarperReplayError);
    assert.equal(mapped.exitCode, ExitCode.TLS_FAILED);
    assert.match(
      mapped.message,
      /cannot verify https:\/\/n:9925 to read its CA \(certificate signed by an unknown CA\)/,
    );
    const other = new OperationsApiError('refused', 'refused');
    assert.equal(caFromTargetError('https://n:9925', other), other);
  });
});

describe('createUnlessExists', () => {
  it('made: true; "already exists" (another shard was first): false; any other failure is thrown', async () => {
    assert.equal(await createUnlessExists(async () => ({ message: 'table created' })), true);
    const exists = new Error("create_table failed (HTTP 400): Table 'shard_split' already exists in 'data'");
    assert.equal(
      await createUnlessExists(async () => {
        throw exists;
      }),
      false,
    );
    await assert.rejects(
      createUnlessExists(async () => {
        throw new Error('create_table failed (HTTP 403): not authorized');
      }),
      /not authorized/,
    );
  });
});
