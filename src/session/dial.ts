/**
 * Dialing a node's replication port: the WebSocket upgrade (ws:// or wss://) with the subprotocol, credentials and
 * TLS settings, and what its failures mean. Harper completes the upgrade whatever the credentials and closes 1008
 * "Unauthorized" on the first frame, so a handshake that ends that way is "authentication refused", not
 * "connection closed". A client certificate Harper does not accept is ignored by it (it falls back to the
 * Authorization header), so without other credentials it also ends in 1008: the message then names the certificate.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import {
  describeConnectFailure,
  type PeerIdentity,
  peerIdentity,
  type TlsSettings,
  tlsClientOptions,
} from '../net/tls.js';
import { PUSH_MODE_MAX_FRAME, SUBPROTOCOL } from '../protocol/codes.js';

export type DialFailure = 'refused' | 'unauthorized' | 'rejected' | 'timeout' | 'tls';

export class DialError extends Error {
  constructor(
    message: string,
    readonly kind: DialFailure,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

/** How the tool identifies itself: an Authorization header value ("Basic …" / "Bearer …") and/or a client cert. */
export interface DialAuth {
  authorization?: string;
  tls?: TlsSettings;
}

export interface DialOptions extends DialAuth {
  timeoutMs: number;
}

export interface Dialed {
  ws: WebSocket;
  /** The node's certificate (wss only): subject and fingerprint, nothing secret. */
  peer?: PeerIdentity;
}

/**
 * An all-zero masking key, a deliberate departure from RFC 6455 §5.3 (a fresh unpredictable key per frame) where it
 * exposes nothing. Masking keeps anyone who chooses the bytes a client sends (a browser script, §10.3; for this tool,
 * whoever wrote the captured records it replays) from steering what a proxy on the path that does not speak
 * WebSocket sees. Over wss:// no proxy sees the bytes, and on loopback there is no proxy: there the tool sends
 * zero-keyed frames, which ws sends as they are, instead of copying every byte into a fresh masked buffer (so the
 * caller must not touch a sent buffer until its write callback). Elsewhere (plain ws:// to another host) ws's own
 * random key. A receiver unmasks whatever key it gets, so Harper reads these frames as any other.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** The masking key generator for a replication URL: zeroMask over TLS or to a loopback host, else ws's random one. */
export function maskFor(url: string): typeof zeroMask | undefined {
  // Not a URL: ws says so when it is given it.
  if (!URL.canParse(url)) return undefined;
  const { protocol, hostname } = new URL(url);
  if (protocol === 'wss:') return zeroMask;
  const loopback = hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
  return loopback ? zeroMask : undefined;
}

/** Opens a replication WebSocket; rejects with a DialError saying why it could not. */
export async function dialReplication(url: string, options: DialOptions): Promise<Dialed> {
  const secure = url.startsWith('wss:');
  const generateMask = maskFor(url);
  const ws = new WebSocket(url, SUBPROTOCOL, {
    headers: options.authorization ? { authorization: options.authorization } : {},
    maxPayload: PUSH_MODE_MAX_FRAME,
    perMessageDeflate: false,
    ...(generateMask ? { generateMask } : {}),
    handshakeTimeout: options.timeoutMs,
    ...(secure ? tlsClientOptions(options.tls) : {}),
  });
  let peer: PeerIdentity | undefined;
  await new Promise<void>((resolve, reject) => {
    ws.once('upgrade', (response: IncomingMessage) => {
      if (secure) peer = identityOf(response.socket as TLSSocket);
    });
    ws.once('open', () => resolve());
    ws.once('error', (error: Error & { code?: string }) => reject(dialFailure(url, error, options)));
    ws.once('unexpected-response', (request, response) => {
      // Not an upgrade: end the request at once (left open, the socket lingers until the handshake timeout).
      request.destroy();
      reject(new DialError(`${url} refused the WebSocket upgrade (HTTP ${response.statusCode})`, 'rejected'));
    });
  });
  // Errors after the upgrade surface as a close (1006); keep the process alive.
  ws.on('error', () => {});
  return { ws, ...(peer ? { peer } : {}) };
}

function identityOf(socket: TLSSocket): PeerIdentity | undefined {
  try {
    return peerIdentity(socket);
  } catch {
    return undefined;
  }
}

/** What an error before the upgrade means. */
export function dialFailure(url: string, error: Error & { code?: string }, auth: DialAuth = {}): DialError {
  const explained = describeConnectFailure(error, { url, clientCert: !!auth.tls?.cert });
  if (explained) return new DialError(explained.message, explained.tls ? 'tls' : 'rejected');
  if (error.code === 'ECONNREFUSED')
    return new DialError(`cannot open replication socket ${url}: ${error.message}`, 'refused');
  if (/handshake has timed out/i.test(error.message))
    return new DialError(
      `cannot open replication socket ${url}: no answer to the WebSocket upgrade (is this the node's replication port?)`,
      'timeout',
    );
  return new DialError(`cannot open replication socket ${url}: ${error.message}`, 'rejected');
}

/** What a close during the handshake means, given how the tool identified itself. */
export function handshakeClosed(url: string, code: number, reason: string, auth: DialAuth = {}): DialError {
  if (code === 1008 && /unauthori[sz]ed/i.test(reason)) {
    const header = auth.authorization?.split(' ')[0]?.toLowerCase();
    const cert = auth.tls?.cert ? certificateName(auth.tls.cert) : undefined;
    const certNote = cert
      ? `the client certificate (${cert}) was not accepted (Harper takes one signed by a CA it trusts whose CN/SAN names an hdb_nodes entry)`
      : undefined;
    const because =
      header === 'basic'
        ? `check --user/--password (HARPER_USER/HARPER_PASSWORD)${certNote ? `; ${certNote}` : ''}`
        : header === 'bearer'
          ? `the --token (HARPER_TOKEN) was not accepted (expired, or not an operation_token?)${certNote ? `; ${certNote}` : ''}`
          : certNote
            ? `${certNote}; or give --user/--password or --token`
            : 'no credentials were given: pass --user/--password or --token';
    return new DialError(`authentication refused by ${url} (1008 Unauthorized): ${because}`, 'unauthorized');
  }
  return new DialError(
    `${url} closed the connection during the handshake (${reason ? `${code} ${reason}` : code})`,
    'rejected',
  );
}

/** "CN=…" of a client certificate, for messages. */
function certificateName(pem: string): string {
  try {
    const subject = new X509Certificate(pem).subject;
    return /^CN=.*$/m.exec(subject)?.[0] ?? subject.split('\n')[0] ?? 'client certificate';
  } catch {
    return 'client certificate';
  }
}
