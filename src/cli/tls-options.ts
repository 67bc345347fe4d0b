/**
 * The TLS and token flags turned into settings: PEM files read and checked (a missing or malformed file is a bad
 * input, exit 6, naming the file and never its contents), contradictions refused (usage, exit 2).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import type { TlsSettings } from '../net/tls.js';
import type { FlagValues, tlsFlags } from './shared-flags.js';

/** Any of the --ca, --cert, … values (each may be missing: the flags are optional). */
export type TlsFlagValues = Partial<FlagValues<typeof tlsFlags>>;

export interface ConnectionSecurity {
  /** Undefined when no TLS flag was given (defaults: verify against the system CAs). */
  tls?: TlsSettings;
  /** Add the node's own CA (list_certificates) to the trusted CAs for replication. */
  caFromTarget: boolean;
  token?: string;
}

/** Whether any TLS flag or a token was given (they only make sense for a node the user names). */
export function anyTlsFlag(flags: TlsFlagValues): boolean {
  return Boolean(
    flags.ca ||
      flags['ca-from-target'] ||
      flags.cert ||
      flags.key ||
      flags.servername ||
      flags.insecure ||
      flags.token,
  );
}

/** Reads and checks the files the flags name. `password` is whether a password was also given. */
export function resolveTlsFlags(flags: TlsFlagValues, password: string | undefined): ConnectionSecurity {
  const usage = (message: string) => new HarperReplayError(message, ExitCode.USAGE);
  if (flags.token !== undefined && password !== undefined)
    throw usage(
      '--token and --password exclude each other (check HARPER_TOKEN and HARPER_PASSWORD): give one credential',
    );
  if (flags.token !== undefined && !flags.token.trim()) throw usage('--token is empty');
  if (Boolean(flags.cert) !== Boolean(flags.key))
    throw usage('--cert and --key go together: the client certificate and its private key');
  if (flags.insecure && (flags.ca || flags['ca-from-target']))
    throw usage('--insecure skips verification: it cannot be combined with --ca or --ca-from-target');
  const settings: TlsSettings = {};
  if (flags.ca) settings.ca = [readCertificates('--ca', flags.ca).pem];
  if (flags.cert && flags.key) {
    const cert = readCertificates('--cert', flags.cert);
    const key = readPrivateKey(flags.key);
    let matches = false;
    try {
      matches = cert.first.checkPrivateKey(createPrivateKey(key));
    } catch {}
    if (!matches)
      throw new HarperReplayError(
        `--key ${flags.key} is not the private key of --cert ${flags.cert}`,
        ExitCode.BAD_INPUT,
      );
    assertCurrent('--cert', flags.cert, cert.first);
    settings.cert = cert.pem;
    settings.key = key;
  }
  if (flags.servername) settings.servername = flags.servername;
  if (flags.insecure) settings.insecure = true;
  return {
    ...(Object.keys(settings).length ? { tls: settings } : {}),
    caFromTarget: flags['ca-from-target'] === true,
    ...(flags.token !== undefined ? { token: flags.token.trim() } : {}),
  };
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw inputFileError(error, path, flag);
  }
}

/** Every certificate of a PEM file, each parsed (so a broken one is reported here, not mid-handshake). */
export function readCertificates(flag: string, path: string): { pem: string; first: X509Certificate } {
  const text = readFile(flag, path);
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (!blocks.length)
    throw new HarperReplayError(
      `${flag} ${path} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
      ExitCode.BAD_INPUT,
    );
  const parsed = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new HarperReplayError(
        `${flag} ${path}: certificate ${i + 1} of ${blocks.length} cannot be parsed`,
        ExitCode.BAD_INPUT,
      );
    }
  });
  return { pem: blocks.join('\n'), first: parsed[0]! };
}

function readPrivateKey(path: string): string {
  const text = readFile('--key', path);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new HarperReplayError(
      `--key ${path} is encrypted; give an unencrypted key (openssl pkey -in ${path} -out plain.key)`,
      ExitCode.BAD_INPUT,
    );
  const block = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/.exec(text)?.[0];
  if (!block)
    throw new HarperReplayError(
      `--key ${path} is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)`,
      ExitCode.BAD_INPUT,
    );
  try {
    createPrivateKey(block);
  } catch {
    throw new HarperReplayError(`--key ${path}: the private key cannot be parsed`, ExitCode.BAD_INPUT);
  }
  return block;
}

/** --listen-cert/--listen-key, checked: PEM, a certificate, the key that goes with it (else exit 6). */
export function readListenCertificate(certFile: string, keyFile: string): { cert: string; key: string } {
  const bad = (message: string) => new HarperReplayError(message, ExitCode.BAD_INPUT);
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw bad(`${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const cert = read(certFile, '--listen-cert');
  const key = read(keyFile, '--listen-key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw bad(`--listen-cert ${certFile} is not a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw bad(`--listen-key ${keyFile} is not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw bad(`--listen-key ${keyFile} is not the key of --listen-cert ${certFile}`);
  }
  assertCurrent('--listen-cert', certFile, x509);
  return { cert, key };
}

/**
 * A certificate of the tool's own that is out of its validity period is refused before anything is dialed: the
 * node would only drop the connection (or, dialing the tool, retry silently until the subscribe timeout).
 */
export function assertCurrent(flag: string, path: string, x509: X509Certificate, now = Date.now()): void {
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  const when = new Date(now).toISOString();
  if (to < now)
    throw new HarperReplayError(
      `${flag} ${path} expired on ${x509.validTo} (now ${when}): renew it, or check this machine's clock`,
      ExitCode.BAD_INPUT,
    );
  if (from > now)
    throw new HarperReplayError(
      `${flag} ${path} is not valid before ${x509.validFrom} (now ${when}): check this machine's clock`,
      ExitCode.BAD_INPUT,
    );
}
