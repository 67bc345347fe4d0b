/**
 * The pure TLS parts: every failure code a Node/ws client reports (the ones seen live against harperdb 4.7.29 in
 * /work/tls-findings.md §3 and §5, plus the OpenSSL alerts for a refused client certificate) maps to one line naming
 * the cause and the fix; 1008 after the upgrade names the credential that was refused (the TLS flags: cli/tls-options.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/common/errors.js';
import { OperationsApiError } from '../../../src/harper/operations-client.js';
import { describeConnectFailure } from '../../../src/net/tls.js';
import { targetError } from '../../../src/run/target.js';
import { dialFailure, handshakeClosed } from '../../../src/session/dial.js';

const WSS = 'wss://127.0.0.1:9933';

describe('describeConnectFailure', () => {
  const cases: Array<{ code: string; message?: string; url?: string; cert?: boolean; expect: RegExp }> = [
    {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      message: 'self-signed certificate in certificate chain',
      expect: /unknown CA \(SELF_SIGNED_CERT_IN_CHAIN\): pass --ca FILE .*--ca-from-target/,
    },
    {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      expect: /a self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\): pass --ca/,
    },
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', expect: /unknown CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/ },
    { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', expect: /unknown CA \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/ },
    { code: 'UNABLE_TO_GET_ISSUER_CERT', expect: /unknown CA/ },
    { code: 'CERT_UNTRUSTED', expect: /unknown CA/ },
    { code: 'CERT_SIGNATURE_FAILURE', expect: /unknown CA/ },
    { code: 'CERT_CHAIN_TOO_LONG', expect: /unknown CA/ },
    { code: 'INVALID_CA', expect: /unknown CA/ },
    { code: 'CERT_REJECTED', expect: /unknown CA/ },
    {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      url: 'https://127.0.0.1:9925',
      expect:
        /unknown CA \(SELF_SIGNED_CERT_IN_CHAIN\): pass --ca FILE with the node's CA \(its list_certificates entry with is_authority: true\)$/,
    },
    {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message:
        "Hostname/IP does not match certificate's altnames: Host: wrong.example. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost",
      expect:
        /not valid for the host name checked \(ERR_TLS_CERT_ALTNAME_INVALID: .*Host: wrong\.example\..*\): .*--servername NAME/,
    },
    {
      code: 'CERT_HAS_EXPIRED',
      message: 'certificate has expired',
      expect: /has expired \(CERT_HAS_EXPIRED\): renew it/,
    },
    { code: 'CERT_NOT_YET_VALID', expect: /not valid yet \(CERT_NOT_YET_VALID\): check the clocks/ },
    { code: 'CERT_REVOKED', expect: /revoked \(CERT_REVOKED\)/ },
    {
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      expect:
        /requires a client certificate \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\): pass --cert FILE --key FILE/,
    },
    {
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      cert: true,
      expect: /refused the client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/,
    },
    { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', cert: true, expect: /refused the client certificate/ },
    { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', cert: true, expect: /refused the client certificate/ },
    { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', cert: true, expect: /refused the client certificate/ },
    { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', cert: true, expect: /refused the client certificate/ },
    {
      code: 'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
      cert: true,
      expect: /refused the client certificate/,
    },
    { code: 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', cert: true, expect: /refused the client certificate/ },
    {
      code: 'EPROTO',
      message:
        'write EPROTO 40E7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:355:',
      expect: /does not speak TLS on that port \(EPROTO\): use ws:\/\/ for it, or the node's TLS port/,
    },
    {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      url: 'https://127.0.0.1:9925',
      expect: /does not speak TLS .*use http:\/\/ for it/,
    },
    {
      code: 'ERR_SSL_DECRYPTION_FAILED',
      message: 'x',
      expect: /^TLS: handshake with .* failed \(ERR_SSL_DECRYPTION_FAILED: x\)$/,
    },
    { code: 'EPROTO', message: 'something else', expect: /^TLS: handshake with .* failed \(EPROTO/ },
  ];
  for (const c of cases) {
    it(`${c.code}${c.cert ? ' (with --cert)' : ''}${c.url ? ` on ${c.url.split(':')[0]}` : ''}`, () => {
      const url = c.url ?? WSS;
      const failure = describeConnectFailure(
        { code: c.code, message: c.message ?? '' },
        { url, clientCert: c.cert },
      );
      assert.ok(failure, 'classified');
      assert.equal(failure.tls, true);
      assert.match(failure.message, c.expect);
      assert.ok(failure.message.startsWith('TLS: '), failure.message);
      assert.ok(failure.message.includes(url), 'names the URL');
      assert.ok(!failure.message.includes('\n'), 'one line');
    });
  }

  it('a plain ws:// dial reset by a TLS port is a hint, not a TLS failure', () => {
    const failure = describeConnectFailure(
      { code: 'ECONNRESET', message: 'socket hang up' },
      { url: 'ws://127.0.0.1:9933' },
    );
    assert.equal(failure?.tls, false);
    assert.match(failure!.message, /reset the connection during the handshake \(ECONNRESET\).*use wss:\/\//);
    assert.match(
      describeConnectFailure({ code: 'ECONNRESET', message: 'socket hang up' }, { url: 'http://h:9925' })!
        .message,
      /use https:\/\//,
    );
  });

  it('leaves non-TLS failures to the caller', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', undefined]) {
      assert.equal(describeConnectFailure({ code, message: 'x' }, { url: WSS }), undefined, String(code));
    }
    // A reset of an already-TLS dial is not a "use wss" hint.
    assert.equal(
      describeConnectFailure({ code: 'ECONNRESET', message: 'socket hang up' }, { url: WSS }),
      undefined,
    );
  });
});

describe('dial failures and exit codes', () => {
  it('maps each kind of dial failure to its exit code', () => {
    const code = (error: Error) => targetError(error).exitCode;
    assert.equal(
      code(dialFailure(WSS, Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }))),
      ExitCode.TLS_FAILED,
    );
    assert.equal(
      code(dialFailure(WSS, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))),
      ExitCode.UNREACHABLE,
    );
    assert.equal(code(dialFailure(WSS, new Error('Opening handshake has timed out'))), ExitCode.ERROR);
    assert.equal(dialFailure(WSS, new Error('Opening handshake has timed out')).kind, 'timeout');
    assert.equal(code(handshakeClosed(WSS, 1008, 'Unauthorized')), ExitCode.AUTH_FAILED);
    assert.equal(code(new OperationsApiError('tls', 'TLS: x')), ExitCode.TLS_FAILED);
    assert.equal(code(new OperationsApiError('unauthorized', 'x')), ExitCode.AUTH_FAILED);
  });

  it('1008 Unauthorized says "authentication refused" and names the credential that was refused', () => {
    const basic = handshakeClosed(WSS, 1008, 'Unauthorized', { authorization: 'Basic YTpi' });
    assert.equal(basic.kind, 'unauthorized');
    assert.match(
      basic.message,
      /^authentication refused by wss:\/\/127\.0\.0\.1:9933 \(1008 Unauthorized\): check --user\/--password/,
    );
    assert.match(
      handshakeClosed(WSS, 1008, 'Unauthorized', { authorization: 'Bearer eyJ' }).message,
      /authentication refused .*the --token \(HARPER_TOKEN\) was not accepted/,
    );
    assert.match(handshakeClosed(WSS, 1008, 'Unauthorized').message, /no credentials were given/);
    const other = handshakeClosed(WSS, 1011, 'boom');
    assert.equal(other.kind, 'rejected');
    assert.match(other.message, /closed the connection during the handshake \(1011 boom\)/);
  });
});
