/**
 * TLS flags become settings: files read and checked (PEM, an encrypted key, a bundle, validity dates), and
 * contradictions and bad files refused with their exit codes.
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
import { tlsClientOptions } from '../../../src/net/tls.js';
import { DialError } from '../../../src/session/dial.js';
import { createRunCa } from '../../../src/session/peer-pki.js';

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
