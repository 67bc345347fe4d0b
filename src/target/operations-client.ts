/**
 * Typed calls to Harper's operations API (HTTP POST JSON). Errors say what went wrong in one line and never
 * contain credentials.
 */
import type { TableDescription } from '../protocol/control-frame.js';

export type OpsErrorKind =
  | 'refused'
  | 'unauthorized'
  | 'timeout'
  | 'not-json'
  | 'http'
  | 'operation'
  | 'network';

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
  /** Per-call timeout (ms). */
  timeoutMs?: number;
}

export interface SystemInformation {
  memory?: { rss: number; heapUsed: number; heapTotal: number; external?: number; arrayBuffers?: number };
  threads?: Array<{
    threadId: number;
    name?: string;
    heapUsed?: number;
    heapTotal?: number;
    utilization?: number;
    idle?: number;
    active?: number;
  }>;
  harperdb_processes?: { core?: Array<{ pid: number; memRss?: number; params?: string }> };
  [key: string]: unknown;
}

export interface DatabaseSocketStatus {
  database: string;
  connected: boolean;
  latency?: number;
  threadId?: number;
  nodes?: string[];
  lastReceivedVersion?: number;
  lastReceivedStatus?: string;
  backPressurePercent?: number;
  [key: string]: unknown;
}

export interface ClusterConnection {
  url?: string;
  name: string;
  replicates?: boolean | object;
  database_sockets?: DatabaseSocketStatus[];
  [key: string]: unknown;
}

export interface ClusterStatus {
  type: 'cluster-status';
  node_name?: string;
  url?: string;
  is_enabled?: boolean;
  connections: ClusterConnection[];
}

export interface TableInfo {
  schema: string;
  name: string;
  hash_attribute: string;
  record_count?: number;
  schema_defined?: boolean;
  attributes: Array<{ attribute: string; type?: string; is_primary_key?: boolean }>;
  [key: string]: unknown;
}

export interface LogEntry {
  timestamp: string;
  thread?: string;
  level: string;
  tags?: string[];
  message: string;
}

export interface ReadLogOptions {
  limit?: number;
  start?: number;
  level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'notify';
  from?: string;
  until?: string;
  order?: 'asc' | 'desc';
}

export interface HarperConfiguration {
  replication?: {
    hostname?: string;
    url?: string;
    port?: number | string | null;
    securePort?: number | string | null;
    [key: string]: unknown;
  };
  operationsApi?: { network?: { port?: number | string | null; securePort?: number | string | null } };
  threads?: { count?: number; [key: string]: unknown };
  [key: string]: unknown;
}

export interface AddNodeRequest {
  url: string;
  /** A "Basic …" string: Harper forwards it verbatim to the peer (an object would arrive as "[object Object]"). */
  authorization?: string;
  retain_authorization?: boolean;
  verify_tls?: boolean;
  subscriptions?: Array<{ database: string; subscribe: boolean; publish: boolean }>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class OperationsClient {
  readonly url: string;
  private readonly authorization?: string;
  private readonly timeoutMs: number;

  constructor(options: OperationsClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.credentials) {
      const { user, password } = options.credentials;
      this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
  }

  /** Sends one operation; resolves with the parsed JSON answer. */
  async call<T = unknown>(
    body: { operation: string; [key: string]: unknown },
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.url}/`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw this.networkError(error, body.operation, timeoutMs);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.networkError(error, body.operation, timeoutMs);
    }
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
        `authentication refused by ${this.url} (HTTP ${response.status}): check --user/--password or HARPER_USER/HARPER_PASSWORD`,
        response.status,
      );
    }
    if (!response.ok) {
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
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return new OperationsApiError(
        'timeout',
        `${operation}: no answer from ${this.url} within ${timeoutMs} ms`,
      );
    }
    const code = err.cause?.code;
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
      `${operation}: request to ${this.url} failed: ${err.cause?.message ?? err.message}${code ? ` (${code})` : ''}`,
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
    attributes?: Array<{ name: string; type?: string }>,
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

  clusterStatus(): Promise<ClusterStatus> {
    return this.call({ operation: 'cluster_status' });
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
}

/** Table descriptions of the kind NODE_NAME / DB_SCHEMA carry. */
export function toTableDescription(info: TableInfo): TableDescription {
  return {
    table: info.name,
    schemaDefined: info.schema_defined === true,
    attributes: info.attributes.map((a) => ({
      name: a.attribute,
      ...(a.type ? { type: a.type } : {}),
      ...(a.is_primary_key ? { isPrimaryKey: true } : {}),
    })),
  };
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
