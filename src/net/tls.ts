/**
 * TLS for everything the tool dials (replication wss, operations API over https): the settings, the Node socket
 * options they become, what each TLS failure means in one line (cause and fix), and the peer certificate's public
 * identity for capture headers. Pure, apart from `probeTls`. Nothing here ever prints a key.
 */
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface TlsSettings {
  /** Trusted CAs (PEM texts; a text may hold several certificates). Replaces the system roots when given. */
  ca?: string[];
  /** Client certificate and its private key (PEM), presented to the node. */
  cert?: string;
  key?: string;
  /** Name to verify the node's certificate against (and to send as SNI) instead of the URL's host. */
  servername?: string;
  /** Skip verification of the node's certificate. Never the default; always warned about. */
  insecure?: boolean;
}

/** Options for tls.connect / https.request / new WebSocket (only the keys that are set). */
export interface TlsClientOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export function tlsClientOptions(settings: TlsSettings | undefined): TlsClientOptions {
  return {
    ...(settings?.ca?.length ? { ca: settings.ca } : {}),
    ...(settings?.cert ? { cert: settings.cert } : {}),
    ...(settings?.key ? { key: settings.key } : {}),
    ...(settings?.servername ? { servername: settings.servername } : {}),
    rejectUnauthorized: settings?.insecure !== true,
  };
}

export const INSECURE_WARNING =
  "--insecure: the node's TLS certificate is NOT verified — anyone on the path can impersonate it and read the credentials";

/** What a failed connection means, when it is about TLS. `tls: false` = not a TLS failure, but a useful hint. */
export interface ConnectFailure {
  tls: boolean;
  message: string;
}

/** The node's certificate is not signed by a CA we trust. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'CERT_REJECTED',
]);

/** TLS alerts the node sends when it refuses the client certificate (or its absence) during the handshake. */
const CLIENT_CERT_ALERTS = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

const CA_FIX = "pass --ca FILE with the cluster's CA, or --ca-from-target to read it with list_certificates";

/**
 * One line naming the cause and the fix of a failed connection to `url`, or undefined when the error has nothing
 * to do with TLS. `clientCert` says whether a --cert was presented.
 */
export function describeConnectFailure(
  error: { code?: string; message?: string },
  context: { url: string; clientCert?: boolean },
): ConnectFailure | undefined {
  const code = error.code ?? '';
  const detail = (error.message ?? '').replace(/\s+/g, ' ').trim();
  const { url } = context;
  const secure = /^(wss|https):/i.test(url);
  if (UNTRUSTED.has(code)) {
    const what =
      code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
        ? 'a self-signed certificate'
        : 'a certificate signed by an unknown CA';
    const fix = /^https:/i.test(url)
      ? "pass --ca FILE with the node's CA (its list_certificates entry with is_authority: true)"
      : CA_FIX;
    return { tls: true, message: `TLS: ${url} presented ${what} (${code}): ${fix}` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      tls: true,
      message: `TLS: ${url}'s certificate is not valid for the host name checked (${code}: ${detail}): dial a name the certificate lists, or pass --servername NAME`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return {
      tls: true,
      message: `TLS: ${url}'s certificate has expired (${code}): renew it on the node (harperdb renew-certs), or check this machine's clock`,
    };
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return {
      tls: true,
      message: `TLS: ${url}'s certificate is not valid yet (${code}): check the clocks of this machine and the node`,
    };
  }
  if (code === 'CERT_REVOKED') {
    return { tls: true, message: `TLS: ${url}'s certificate has been revoked (${code})` };
  }
  if (CLIENT_CERT_ALERTS.has(code)) {
    return {
      tls: true,
      message: context.clientCert
        ? `TLS: ${url} refused the client certificate (${code}): use a certificate signed by a CA the node trusts`
        : `TLS: ${url} requires a client certificate (${code}): pass --cert FILE --key FILE`,
    };
  }
  if (/wrong version number/i.test(detail) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return {
      tls: true,
      message: `TLS: ${url} does not speak TLS on that port (${code || 'wrong version number'}): use ${
        /^wss:/i.test(url) ? 'ws://' : 'http://'
      } for it, or the node's TLS port (replication.securePort, operationsApi.network.securePort)`,
    };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return { tls: true, message: `TLS: handshake with ${url} failed (${code}: ${detail})` };
  }
  if (!secure && (code === 'ECONNRESET' || /socket hang up/i.test(detail))) {
    return {
      tls: false,
      message: `${url} reset the connection during the handshake (${code || detail}): if that port is a TLS port (replication.securePort), use ${
        /^ws:/i.test(url) ? 'wss://' : 'https://'
      }`,
    };
  }
  return undefined;
}

/** The public identity of the node's certificate: all a capture records about TLS. */
export interface PeerIdentity {
  subject: string;
  issuer?: string;
  fingerprint256: string;
  validTo?: string;
  authorized: boolean;
}

export function peerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  const cert: PeerCertificate | undefined = socket.getPeerCertificate?.();
  if (!cert?.raw) return undefined;
  const x509 = new X509Certificate(cert.raw);
  return {
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    fingerprint256: x509.fingerprint256,
    validTo: x509.validTo,
    authorized: socket.authorized,
  };
}

export class TlsProbeError extends Error {
  override name = 'TlsProbeError';
  constructor(
    message: string,
    readonly tls: boolean,
  ) {
    super(message);
  }
}

/**
 * A TLS handshake with the node behind a wss:// / https:// URL, nothing sent: verifies it as the real connection
 * will (fail fast, with the one-line reason) and returns its certificate's identity.
 */
export function probeTls(
  url: string,
  settings: TlsSettings | undefined,
  timeoutMs = 10_000,
): Promise<PeerIdentity> {
  const target = new URL(url);
  const port = Number(target.port) || 443;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$|:/.test(host);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      ...tlsClientOptions(settings),
      ...(settings?.servername ? {} : isIp ? {} : { servername: host }),
      timeout: timeoutMs,
    });
    const fail = (error: Error & { code?: string }) => {
      socket.destroy();
      const explained = describeConnectFailure(error, { url, clientCert: !!settings?.cert });
      reject(
        new TlsProbeError(explained?.message ?? `cannot reach ${url}: ${error.message}`, !!explained?.tls),
      );
    };
    socket.once('secureConnect', () => {
      const identity = peerIdentity(socket);
      socket.end();
      if (identity) resolve(identity);
      else reject(new TlsProbeError(`TLS: ${url} presented no certificate`, true));
    });
    socket.once('timeout', () => fail(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`))));
    socket.once('error', fail);
  });
}
