/**
 * Dialing a node's replication port: the WebSocket upgrade with the subprotocol and credentials, and what its
 * failures mean. Harper completes the upgrade whatever the credentials and closes 1008 "Unauthorized" on the
 * first frame, so a handshake that ends that way is "authentication refused", not "connection closed".
 */
import WebSocket from 'ws';
import { PUSH_MODE_MAX_FRAME, SUBPROTOCOL } from '../protocol/codes.js';

export type DialFailure = 'refused' | 'unauthorized' | 'rejected' | 'timeout';

export class DialError extends Error {
  constructor(
    message: string,
    readonly kind: DialFailure,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

/** Opens a replication WebSocket; rejects with a DialError saying why it could not. */
export async function dialReplication(
  url: string,
  options: { authorization?: string; timeoutMs: number },
): Promise<WebSocket> {
  const ws = new WebSocket(url, SUBPROTOCOL, {
    headers: options.authorization ? { authorization: options.authorization } : {},
    maxPayload: PUSH_MODE_MAX_FRAME,
    perMessageDeflate: false,
    handshakeTimeout: options.timeoutMs,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (error: Error & { code?: string }) =>
      reject(
        new DialError(
          `cannot open replication socket ${url}: ${error.message}`,
          error.code === 'ECONNREFUSED' ? 'refused' : 'rejected',
        ),
      ),
    );
    ws.once('unexpected-response', (_request, response) =>
      reject(new DialError(`${url} refused the WebSocket upgrade (HTTP ${response.statusCode})`, 'rejected')),
    );
  });
  // Errors after the upgrade surface as a close (1006); keep the process alive.
  ws.on('error', () => {});
  return ws;
}

/** What a close during the handshake means. */
export function handshakeClosed(url: string, code: number, reason: string): DialError {
  if (code === 1008 && /unauthori[sz]ed/i.test(reason)) {
    return new DialError(`authentication refused by ${url}: check --user/--password`, 'unauthorized');
  }
  return new DialError(
    `${url} closed the connection during the handshake (${code} ${reason})`.trim(),
    'rejected',
  );
}
