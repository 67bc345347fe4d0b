import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import forge from 'node-forge';
import {
  certificateNames,
  runIdentity,
  serialHex,
  signCertificateRequest,
} from '../../../src/session/peer-pki.js';

/** A CSR shaped like the one Harper 4.7.29 puts into add_node_back (subject, SAN and key usages requested). */
function harperLikeCsr(nodeName: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([
    { name: 'commonName', value: nodeName },
    { name: 'organizationName', value: 'HarperDB, Inc.' },
  ]);
  csr.setAttributes([
    {
      name: 'extensionRequest',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
            { type: 2, value: nodeName },
          ],
        },
      ],
    },
  ]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('peer PKI', () => {
  const identity = runIdentity('harper-replay-0a1b2c3d', ['127.0.0.1']);
  const ca = new X509Certificate(identity.ca!.cert);

  it("makes a CA for the run and a listener certificate it signed, naming the tool for the target's SNI", () => {
    assert.equal(ca.ca, true);
    assert.equal(identity.caName, 'harper-replay-0a1b2c3d-ca');
    const leaf = new X509Certificate(identity.cert);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'signed by the run CA');
    assert.match(leaf.subjectAltName!, /DNS:harper-replay-0a1b2c3d/);
    assert.match(leaf.subjectAltName!, /IP Address:127\.0\.0\.1/);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(identity.key)), 'the key goes with the certificate');
    assert.ok(new Date(leaf.validTo).getTime() < Date.now() + 8 * 86_400_000, 'short-lived');
  });

  it('signs a CSR keeping its subject and requested names, issued by the run CA', () => {
    const signed = new X509Certificate(signCertificateRequest(identity.ca!, harperLikeCsr('node-A')));
    assert.ok(signed.verify(ca.publicKey));
    assert.match(signed.subject, /CN=node-A/);
    assert.match(signed.subject, /O=HarperDB\\, Inc\./);
    assert.match(signed.issuer, /CN=harper-replay-0a1b2c3d-ca/);
    assert.equal(signed.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, DNS:node-A');
    assert.deepEqual(certificateNames(signed.toString()), ['node-A', 'localhost']);
  });

  it('refuses a CSR whose signature does not verify', () => {
    const pem = harperLikeCsr('node-B');
    // Change one byte of the signed subject (node-B → node-C): the signature no longer covers it.
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf('node-B');
    der[at + 5] = 'C'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => signCertificateRequest(identity.ca!, tampered), /does not verify/);
  });
});

describe('serialHex', () => {
  it('every first random byte gives 16 bytes, positive, with no leading zero byte (DER-valid)', () => {
    for (let first = 0; first < 256; first++) {
      const hex = serialHex(String.fromCharCode(first) + '\0'.repeat(15));
      assert.equal(hex.length, 32);
      const lead = Number.parseInt(hex.slice(0, 2), 16);
      assert.ok(lead >= 0x01 && lead <= 0x7f, `${first} → ${hex}`);
      if (first % 64 !== 0) continue;
      const cert = forge.pki.createCertificate();
      cert.serialNumber = hex;
      const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
      cert.publicKey = keys.publicKey;
      cert.sign(keys.privateKey);
      // Node's parser is the strict one that failed on a padded serial.
      assert.equal(new X509Certificate(forge.pki.certificateToPem(cert)).serialNumber.toLowerCase(), hex);
    }
  });
});
