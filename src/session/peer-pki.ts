/**
 * The certificates of a peer that listens on wss. Harper 4.7 dials a wss peer with its replication certificate as
 * a client certificate, and when that certificate is its install-time self-signed one, it puts a CSR into
 * add_node_back and insists on a signed certificate in the answer (add_node fails otherwise, whatever verify_tls
 * says). So a peer on wss needs a CA: this run's own, made here and thrown away, or the user's. The listener's
 * certificate must name the tool's node name: once the tool is in hdb_nodes the target dials it with that SNI.
 * node-forge: Harper itself signs CSRs with it; Node's crypto cannot build certificates.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface PemPair {
  cert: string;
  key: string;
}

export interface ListenerIdentity extends PemPair {
  /** The CA that signs the target's CSR (absent: a user certificate without its CA key). */
  ca?: PemPair;
  /** The CA's common name, the name the target stores it under in hdb_certificate. */
  caName?: string;
}

const DAY_MS = 86_400_000;

function rsaKeys(): {
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  pem: string;
} {
  // Node generates the key (fast, native); forge only assembles certificates.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return {
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    pem,
  };
}

function serial(): string {
  return serialHex(forge.random.getBytesSync(16));
}

/**
 * A certificate serial from 16 random bytes: positive (top bit clear) and with no leading zero byte, since DER
 * forbids a 0x00 before a byte whose top bit is clear (a serial starting 00 0x.. failed to parse 1 time in 32).
 */
export function serialHex(randomBytes: string): string {
  const first = (randomBytes.charCodeAt(0) % 0x7f) + 1;
  return first.toString(16).padStart(2, '0') + forge.util.bytesToHex(randomBytes.slice(1, 16));
}

function validity(cert: forge.pki.Certificate, days: number): void {
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
}

function altNames(hosts: string[]): Array<{ type: number; value?: string; ip?: string }> {
  return [...new Set(hosts)].map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
}

/** A CA for one run (valid a week): signs the listener's certificate and the target's CSR. */
export function createRunCa(name: string): PemPair {
  const keys = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, 7);
  const subject = [{ name: 'commonName', value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** The listener's certificate, signed by `ca`, naming the tool's node name and the hosts it is dialed at. */
export function issueListenerCertificate(ca: PemPair, nodeName: string, hosts: string[]): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, 7);
  cert.setSubject([{ name: 'commonName', value: nodeName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: altNames([nodeName, 'localhost', '127.0.0.1', ...hosts]) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/**
 * Signs the target's CSR the way Harper's own signer does: its subject and requested extensions (SAN, key
 * usages) as they are, SHA-256, valid as long as the run's CA.
 */
export function signCertificateRequest(ca: PemPair, csrPem: string): string {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  if (!csr.verify()) throw new Error('the target sent a CSR whose signature does not verify');
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  cert.serialNumber = serial();
  validity(cert, 7);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer(caCert.subject.attributes);
  const requested = csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: object[] } | null;
  cert.setExtensions(
    requested?.extensions?.length
      ? requested.extensions
      : [{ name: 'extKeyUsage', serverAuth: true, clientAuth: true }],
  );
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A fresh identity for a wss listener: this run's CA and a certificate for the tool's node name. */
export function runIdentity(nodeName: string, hosts: string[]): ListenerIdentity {
  const caName = `${nodeName}-ca`;
  const ca = createRunCa(caName);
  return { ...issueListenerCertificate(ca, nodeName, hosts), ca, caName };
}

/** The names a certificate is valid for (CN, then DNS SANs): a user certificate decides the tool's node name. */
export function certificateNames(certPem: string): string[] {
  const cert = new X509Certificate(certPem);
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  const dns = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  return [...new Set([...(cn ? [cn] : []), ...dns])];
}

/** The wss listener's certificate: the user's, or one made for this run with its own CA. */
export function listenerIdentity(
  given: { cert?: string; key?: string },
  toolNodeName: string,
  listenHost: string,
): ListenerIdentity {
  if (given.cert && given.key) return { cert: given.cert, key: given.key };
  return runIdentity(toolNodeName, [listenHost]);
}

/** The tool's node name: the CN/SAN of the user's listener certificate (the target dials it back by that name), or a fresh one. */
export function toolNodeNameFor(listenCert: string | undefined, fresh: () => string): string {
  return (listenCert && certificateNames(listenCert).find((name) => name !== 'localhost')) || fresh();
}
