/** The shapes of the operations API's answers the tool reads (harperdb 4.7.29; fields a version lacks are optional). */

/** One entry of list_certificates; the CA is the entry with `is_authority: true`. */
export interface CertificateEntry {
  name: string;
  certificate: string;
  is_authority?: boolean;
  is_self_signed?: boolean;
  uses?: string[];
  details?: { subject?: string; issuer?: string; subject_alt_name?: string; valid_to?: string };
  [key: string]: unknown;
}

export interface SystemInformation {
  memory?: { rss: number; heapUsed: number; heapTotal: number; external?: number; arrayBuffers?: number };
  threads?: Array<{
    threadId: number;
    name?: string;
    heapUsed?: number;
    heapTotal?: number;
    externalMemory?: number;
    arrayBuffers?: number;
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
