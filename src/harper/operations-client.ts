/**
 * Typed calls to Harper's operations API (HTTP POST JSON, over http or https with the tool's TLS settings: a custom
 * CA, a client certificate, --insecure). Errors say what went wrong in one line and never contain credentials.
 * node:http(s) rather than fetch: Node 20's fetch cannot take a custom CA without undici's Agent.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { describeConnectFailure, type TlsSettings, tlsClientOptions } from '../net/tls.js';
import type {
  AddNodeRequest,
  CertificateEntry,
  ClusterStatus,
  HarperConfiguration,
  LogEntry,
  ReadLogOptions,
  SystemInformation,
  TableInfo,
} from './operations-types.js';

export type OpsErrorKind =
  | 'refused'
  | 'unauthorized'
  | 'timeout'
  | 'not-json'
  | 'http'
  | 'operation'
  | 'network'
  | 'tls';

export class OperationsApiError extends Error {
  constructor(
    readonly kind: OpsErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OperationsApiError';
  }
}

export interface Credentials {
  user: string;
  password: string;
}

export interface OperationsClientOptions {
  /** Base URL of the operations API, e.g. http://127.0.0.1:9925 */
  url: string;
  credentials?: Credentials;
  /** Bearer token (operation_token of create_authentication_tokens), instead of credentials. */
  token?: string;
  /** For an https URL. */
  tls?: TlsSettings;
  /** Per-call timeout (ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Keep-alive pool for plain http (probes every 100 ms must not pay a TCP handshake each). */
const httpAgent = new HttpAgent({ keepAlive: true });

/** The Authorization header for Basic credentials or a bearer token. */
export function authorizationHeader(auth: { credentials?: Credentials; token?: string }): string | undefined {
  if (auth.token) return `Bearer ${auth.token}`;
  if (auth.credentials) {
    const { user, password } = auth.credentials;
    return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return undefined;
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export class OperationsClient {
  readonly url: string;
  private readonly authorization?: string;
  private readonly bearer: boolean;
  private readonly timeoutMs: number;
  private readonly secure: boolean;
  private readonly agent: HttpAgent;
  private readonly tls?: TlsSettings;

  constructor(options: OperationsClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.authorization = authorizationHeader(options);
    this.bearer = !!options.token;
    this.secure = /^https:/i.test(this.url);
    this.tls = options.tls;
    this.agent = this.secure
      ? new HttpsAgent({ keepAlive: true, ...tlsClientOptions(options.tls) })
      : httpAgent;
  }

  /**
   * One POST; resolves with the status and body text. A keep-alive socket the node closed while idle is reset
   * before any answer: that request is sent again once on a new socket (as Node's documentation advises).
   */
  private async post(
    payload: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    try {
      return await this.postOnce(payload, headers, timeoutMs);
    } catch (error) {
      if ((error as { staleSocket?: boolean }).staleSocket) return this.postOnce(payload, headers, timeoutMs);
      throw error;
    }
  }

  private postOnce(
    payload: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      let settled = false;
      const finish = (error: Error | undefined, value?: { status: number; text: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(value!);
      };
      const onResponse = (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          finish(undefined, {
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) => finish(error));
        response.on('aborted', () => finish(new Error('the connection closed mid-answer')));
      };
      const options = {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
        agent: this.agent,
      };
      const request = this.secure
        ? httpsRequest(`${this.url}/`, options, onResponse)
        : httpRequest(`${this.url}/`, options, onResponse);
      const timer = setTimeout(() => finish(new TimeoutError('timeout')), timeoutMs);
      request.on('error', (error: Error & { code?: string; staleSocket?: boolean }) => {
        if (!answered && request.reusedSocket && error.code === 'ECONNRESET') error.staleSocket = true;
        finish(error);
      });
      request.end(payload);
    });
  }

  /** Sends one operation; resolves with the parsed JSON answer. */
  async call<T = unknown>(
    body: { operation: string; [key: string]: unknown },
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    let response: { status: number; text: string };
    try {
      response = await this.post(JSON.stringify(body), headers, timeoutMs);
    } catch (error) {
      throw this.networkError(error, body.operation, timeoutMs);
    }
    const { text } = response;
    let parsed: unknown;
    try {
      parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
      throw new OperationsApiError(
        'not-json',
        `${body.operation}: ${this.url} answered HTTP ${response.status} with non-JSON (${snippet(text)}); is this Harper's operations API?`,
        response.status,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new OperationsApiError(
        'unauthorized',
        `authentication refused by ${this.url} (HTTP ${response.status}): ${
          this.bearer
            ? 'the --token (HARPER_TOKEN) was not accepted (expired, or not an operation_token?)'
            : 'check --user/--password or HARPER_USER/HARPER_PASSWORD'
        }`,
        response.status,
      );
    }
    if (response.status < 200 || response.status > 299) {
      const message = errorMessage(parsed) ?? snippet(text);
      throw new OperationsApiError(
        'operation',
        `${body.operation} failed (HTTP ${response.status}): ${message}`,
        response.status,
      );
    }
    return parsed as T;
  }

  private networkError(error: unknown, operation: string, timeoutMs: number): OperationsApiError {
    const err = error as Error & { code?: string };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return new OperationsApiError(
        'timeout',
        `${operation}: no answer from ${this.url} within ${timeoutMs} ms`,
      );
    }
    const explained = describeConnectFailure(err, { url: this.url, clientCert: !!this.tls?.cert });
    if (explained) return new OperationsApiError(explained.tls ? 'tls' : 'network', explained.message);
    const code = err.code;
    if (code === 'ECONNREFUSED') {
      return new OperationsApiError(
        'refused',
        `cannot reach ${this.url}: connection refused (is the node running?)`,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new OperationsApiError('refused', `cannot reach ${this.url}: host not found`);
    }
    return new OperationsApiError(
      'network',
      `${operation}: request to ${this.url} failed: ${err.message}${code ? ` (${code})` : ''}`,
    );
  }

  userInfo(): Promise<{ username: string; role?: { permission?: { super_user?: boolean } } }> {
    return this.call({ operation: 'user_info' });
  }

  createDatabase(database: string): Promise<{ message: string }> {
    return this.call({ operation: 'create_database', database });
  }

  createTable(
    database: string,
    table: string,
    primaryKey = 'id',
    attributes?: Array<{ name: string; type?: string; indexed?: boolean; isPrimaryKey?: boolean }>,
  ): Promise<{ message: string }> {
    return this.call({ operation: 'create_table', database, table, primary_key: primaryKey, attributes });
  }

  dropTable(database: string, table: string): Promise<{ message: string }> {
    return this.call({ operation: 'drop_table', database, table });
  }

  describeTable(database: string, table: string): Promise<TableInfo> {
    return this.call({ operation: 'describe_table', database, table });
  }

  /** Lists databases and their tables; a missing database is an empty object. */
  describeAll(): Promise<Record<string, Record<string, TableInfo>>> {
    return this.call({ operation: 'describe_all' });
  }

  sql<T = Record<string, unknown>>(sql: string, timeoutMs?: number): Promise<T[]> {
    return this.call({ operation: 'sql', sql }, timeoutMs);
  }

  searchById<T = Record<string, unknown>>(
    database: string,
    table: string,
    ids: Array<string | number>,
    attributes: string[] = ['*'],
  ): Promise<T[]> {
    return this.call({ operation: 'search_by_id', database, table, ids, get_attributes: attributes });
  }

  systemInformation(attributes: string[], timeoutMs?: number): Promise<SystemInformation> {
    return this.call({ operation: 'system_information', attributes }, timeoutMs);
  }

  /**
   * Asked again when an answer is late: a 4.7.29 worker thread keeps one pending cluster_status at a time (a
   * module-level resolver in utility/clustering/clusterStatus.js), so of two concurrent requests — two shards
   * starting, a sampler and a start — one never gets an answer. Attempts wait 2, 4, 8, 16 s: 30 s in all by default.
   */
  async clusterStatus(timeoutMs = 30_000): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    for (let attemptMs = 2000; ; attemptMs *= 2) {
      const wait = Math.min(attemptMs, deadline - Date.now());
      try {
        return await this.call<ClusterStatus>({ operation: 'cluster_status' }, wait);
      } catch (error) {
        const late = error instanceof OperationsApiError && error.kind === 'timeout';
        if (!late || Date.now() >= deadline - 50) {
          throw late
            ? new OperationsApiError(
                'timeout',
                `cluster_status: no answer from ${this.url} within ${timeoutMs} ms`,
              )
            : error;
        }
      }
    }
  }

  /**
   * Every entry of system.hdb_nodes (the node itself included). cluster_status lists only the nodes it holds a
   * connection for; the table is what add_node wrote and remove_node deletes.
   */
  hdbNodes(): Promise<Array<{ name: string; url?: string }>> {
    return this.call({
      operation: 'search_by_value',
      database: 'system',
      table: 'hdb_nodes',
      search_attribute: 'name',
      search_value: '*',
      get_attributes: ['name', 'url'],
    });
  }

  addNode(request: AddNodeRequest, timeoutMs?: number): Promise<{ message: string }> {
    return this.call({ operation: 'add_node', ...request }, timeoutMs);
  }

  removeNode(hostname: string, timeoutMs?: number): Promise<{ message: string }> {
    return this.call({ operation: 'remove_node', hostname }, timeoutMs);
  }

  readLog(options: ReadLogOptions = {}): Promise<LogEntry[]> {
    return this.call({ operation: 'read_log', ...options });
  }

  getConfiguration(): Promise<HarperConfiguration> {
    return this.call({ operation: 'get_configuration' });
  }

  listCertificates(): Promise<CertificateEntry[]> {
    return this.call({ operation: 'list_certificates' });
  }

  addCertificate(entry: {
    name: string;
    certificate: string;
    is_authority: boolean;
  }): Promise<{ message: string }> {
    return this.call({ operation: 'add_certificate', ...entry });
  }

  removeCertificate(name: string): Promise<{ message: string }> {
    return this.call({ operation: 'remove_certificate', name });
  }
}

function errorMessage(parsed: unknown): string | undefined {
  if (parsed && typeof parsed === 'object') {
    const { error, message } = parsed as { error?: unknown; message?: unknown };
    if (typeof error === 'string') return error;
    if (typeof message === 'string') return message;
  }
  return undefined;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || '(empty body)';
}
