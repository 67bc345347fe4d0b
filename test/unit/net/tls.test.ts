/**
 * The pure TLS parts: every failure code a Node/ws client reports (the ones seen live against harperdb 4.7.29 in
 * /work/tls-findings.md §3 and §5, plus the OpenSSL alerts for a refused client certificate) maps to one line naming
 * the cause and the fix; 1008 after the upgrade names the credential that was refused; flags become settings, with
 * bad files and contradictions refused with their exit codes.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { anyTlsFlag, readListenCertificate, resolveTlsFlags } from '../../../src/cli/tls-options.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { OperationsApiError } from '../../../src/harper/operations-client.js';
import { describeConnectFailure, tlsClientOptions } from '../../../src/net/tls.js';
import { targetError } from '../../../src/run/target.js';
import { DialError, dialFailure, handshakeClosed } from '../../../src/session/dial.js';
import { createRunCa } from '../../../src/session/peer-pki.js';

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

describe('resolveTlsFlags', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'harper-replay-tls-unit-'));
    for (const name of ['a', 'b']) {
      const { cert, key } = createRunCa(name);
      writeFileSync(file(`${name}.pem`), cert);
      writeFileSync(file(`${name}.key`), key);
    }
    writeFileSync(
      file('enc.key'),
      createPrivateKey(readFileSync(file('a.key'), 'utf8')).export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'secret',
      }),
    );
    writeFileSync(
      file('bundle.pem'),
      readFileSync(file('a.pem'), 'utf8') + readFileSync(file('b.pem'), 'utf8'),
    );
    writeFileSync(file('crlf.pem'), readFileSync(file('a.pem'), 'utf8').replace(/\n/g, '\r\n'));
    writeFileSync(file('junk.pem'), 'not a certificate\n');
    writeFileSync(file('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fails = (
    flags: Parameters<typeof resolveTlsFlags>[0],
    exitCode: number,
    pattern: RegExp,
    password?: string,
  ) => {
    assert.throws(
      () => resolveTlsFlags(flags, password),
      (error: unknown) => {
        assert.ok(error instanceof HarperReplayError);
        assert.equal(error.exitCode, exitCode, error.message);
        assert.match(error.message, pattern);
        return true;
      },
    );
  };

  it('no flags: no settings (verification against the system CAs)', () => {
    assert.deepEqual(resolveTlsFlags({}, 'pw'), { caFromTarget: false });
    assert.equal(anyTlsFlag({}), false);
    assert.equal(anyTlsFlag({ insecure: true }), true);
    assert.deepEqual(tlsClientOptions(undefined), { rejectUnauthorized: true });
  });

  it('reads a CA bundle (CRLF too), a client certificate and its key', () => {
    const bundle = resolveTlsFlags({ ca: file('bundle.pem') }, undefined);
    assert.equal(bundle.tls?.ca?.[0]?.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.ok(
      resolveTlsFlags({ ca: file('crlf.pem') }, undefined).tls?.ca?.[0]?.includes('BEGIN CERTIFICATE'),
    );
    const client = resolveTlsFlags({ cert: file('a.pem'), key: file('a.key'), servername: 'node-a' }, 'pw');
    assert.match(client.tls?.cert ?? '', /BEGIN CERTIFICATE/);
    assert.match(client.tls?.key ?? '', /PRIVATE KEY/);
    const options = tlsClientOptions(client.tls);
    assert.equal(options.servername, 'node-a');
    assert.equal(options.rejectUnauthorized, true);
    assert.equal(
      tlsClientOptions(resolveTlsFlags({ insecure: true }, undefined).tls).rejectUnauthorized,
      false,
    );
    assert.deepEqual(resolveTlsFlags({ token: ' t0k ' }, undefined), { caFromTarget: false, token: 't0k' });
    assert.equal(resolveTlsFlags({ 'ca-from-target': true }, 'pw').caFromTarget, true);
  });

  it('a missing, non-PEM or broken file is bad input (exit 6), named by path and never quoted', () => {
    fails(
      { ca: file('missing.pem') },
      ExitCode.BAD_INPUT,
      /^--ca .*missing\.pem: cannot read it \(no such file\)$/,
    );
    fails({ ca: file('junk.pem') }, ExitCode.BAD_INPUT, /is not a PEM certificate/);
    fails({ ca: file('broken.pem') }, ExitCode.BAD_INPUT, /certificate 1 of 1 cannot be parsed/);
    fails(
      { cert: file('a.pem'), key: file('junk.pem') },
      ExitCode.BAD_INPUT,
      /--key .* is not a PEM private key/,
    );
    fails(
      { cert: file('a.pem'), key: file('b.key') },
      ExitCode.BAD_INPUT,
      /--key .*b\.key is not the private key of --cert .*a\.pem/,
    );
    fails({ cert: file('a.pem'), key: file('enc.key') }, ExitCode.BAD_INPUT, /is encrypted/);
    const keyBody = readFileSync(file('a.key'), 'utf8').split('\n')[1]!;
    try {
      resolveTlsFlags({ cert: file('b.pem'), key: file('a.key') }, undefined);
      assert.fail('mismatch accepted');
    } catch (error) {
      assert.ok(!(error as Error).message.includes(keyBody), 'the key never appears in a message');
    }
  });

  it('an expired or not yet valid --cert or --listen-cert is bad input (exit 6) naming its dates', () => {
    const day = 24 * 60 * 60 * 1000;
    writePeriodCertificate(file('expired'), new Date(Date.now() - 30 * day), new Date(Date.now() - day));
    writePeriodCertificate(file('future'), new Date(Date.now() + day), new Date(Date.now() + 30 * day));
    fails(
      { cert: file('expired.pem'), key: file('expired.key') },
      ExitCode.BAD_INPUT,
      /^--cert .*expired\.pem expired on .* GMT \(now 20\d\d-.*\): renew it, or check this machine's clock$/,
    );
    fails(
      { cert: file('future.pem'), key: file('future.key') },
      ExitCode.BAD_INPUT,
      /^--cert .*future\.pem is not valid before .* GMT/,
    );
    assert.throws(
      () => readListenCertificate(file('expired.pem'), file('expired.key')),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.BAD_INPUT &&
        /^--listen-cert .*expired\.pem expired on /.test(error.message),
    );
    assert.doesNotThrow(() => readListenCertificate(file('a.pem'), file('a.key')), 'a current one is fine');
  });

  it('contradictions are usage errors (exit 2)', () => {
    fails({ token: 't' }, ExitCode.USAGE, /--token and --password exclude each other/, 'pw');
    fails({ token: '  ' }, ExitCode.USAGE, /--token is empty/);
    fails({ cert: file('a.pem') }, ExitCode.USAGE, /--cert and --key go together/);
    fails({ key: file('a.key') }, ExitCode.USAGE, /--cert and --key go together/);
    fails({ insecure: true, ca: file('a.pem') }, ExitCode.USAGE, /--insecure .*--ca/);
    fails({ insecure: true, 'ca-from-target': true }, ExitCode.USAGE, /--insecure .*--ca-from-target/);
  });

  it('DialError kinds stay what callers switch on', () => {
    assert.equal(new DialError('x', 'tls').kind, 'tls');
  });
});

/** A self-signed certificate (and key) valid only from `notBefore` to `notAfter`, as `<base>.pem` / `<base>.key`. */
function writePeriodCertificate(base: string, notBefore: Date, notAfter: Date): void {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '0a';
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const name = [{ name: 'commonName', value: 'period-test' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  writeFileSync(`${base}.pem`, forge.pki.certificateToPem(cert));
  writeFileSync(`${base}.key`, forge.pki.privateKeyToPem(keys.privateKey));
}
