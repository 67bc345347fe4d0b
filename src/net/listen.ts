/**
 * A WebSocket server on ws, or on wss when given a certificate: the listening half of peer mode and of the capture
 * proxy. Nodes dialing a wss listener present their replication certificate as a client certificate; it is asked
 * for but not required (the one-time credential, or the upstream, decides who gets in).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ServerOptions, WebSocketServer } from 'ws';

export interface ListenCertificate {
  /** PEM: the certificate, optionally followed by the chain to send (e.g. the issuing CA). */
  cert: string;
  key: string;
}

export interface Listener {
  server: WebSocketServer;
  /** ws://host:port or wss://host:port, as a node should dial it. */
  url: string;
  close(): Promise<void>;
}

export async function listenWebSocket(options: {
  host: string;
  port: number;
  tls?: ListenCertificate;
  ws: Omit<ServerOptions, 'host' | 'port' | 'server' | 'noServer'>;
}): Promise<Listener> {
  let https: Server | undefined;
  let server: WebSocketServer;
  if (options.tls) {
    https = createServer({
      cert: options.tls.cert,
      key: options.tls.key,
      requestCert: true,
      rejectUnauthorized: false,
    });
    server = new WebSocketServer({ server: https, ...options.ws });
    https.listen(options.port, options.host);
  } else {
    server = new WebSocketServer({ host: options.host, port: options.port, ...options.ws });
  }
  const listening = https ?? server;
  // ws re-emits the https server's errors on the WebSocketServer: both must be handled, or a port in use on wss
  // is an uncaught exception instead of a rejected listen.
  let failed: ((error: Error) => void) | undefined;
  server.on('error', (error) => failed?.(error));
  await new Promise<void>((resolve, reject) => {
    failed = reject;
    listening.once('listening', resolve);
    https?.once('error', reject);
  });
  failed = undefined;
  const { port } = listening.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    url: `${options.tls ? 'wss' : 'ws'}://${host}:${port}`,
    close: async () => {
      // Clients still connected would keep the server open: they are ended with it.
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (https) await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
}
