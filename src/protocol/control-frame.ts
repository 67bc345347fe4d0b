/**
 * Control frames: plain MessagePack arrays `[command, …]` (msgpackr's module-level pack/unpack, no records).
 * Decoding never trusts the peer: shapes are checked and anything unexpected becomes a CodecError or an UNKNOWN
 * frame that keeps its raw elements.
 */
import { pack, unpack } from 'msgpackr';
import { Command, commandName } from './codes.js';
import { CodecError } from './varint.js';

export interface AttributeDescription {
  name: string;
  type?: string;
  isPrimaryKey?: boolean;
  [key: string]: unknown;
}

export interface TableDescription {
  table: string;
  schemaDefined?: boolean;
  attributes?: AttributeDescription[];
  [key: string]: unknown;
}

export interface SubscriptionEntry {
  /** Node whose originated writes are wanted; the first entry is the directly connected node. */
  name: string;
  /** true: `tables` excludes; false: `tables` includes. */
  replicateByDefault?: boolean;
  tables?: string[];
  /** Sender-local time to stream from (exclusive); 0 asks for a full copy. */
  startTime: number;
  endTime?: number;
  isLeader?: boolean;
  [key: string]: unknown;
}

/** Shared msgpackr structures of one table, as TABLE_FIXED_STRUCTURE carries them. */
export interface TableStructure {
  typedStructs: unknown[];
  structures: unknown[];
  attributes: AttributeDescription[];
  schemaDefined: boolean;
  [key: string]: unknown;
}

export interface BlobChunkHeader {
  fileId: string;
  size?: number;
  finished?: boolean;
  error?: string;
  /** Harper Pro 5.x: a number keying the receive stream instead of fileId (copy transfers of a reused file id). */
  transferId?: number;
  /** Harper Pro 5.x error chunk: the fs error code (e.g. ENOENT: a permanent source failure). */
  errorCode?: string;
  /** Harper Pro 5.x error chunk: HTTP-style status (404/500 permanent, others transient). */
  errorStatus?: number;
  [key: string]: unknown;
}

/** Header fields of a BLOB_CHUNK any known version writes; others are reported as unknown. */
export const KNOWN_BLOB_HEADER_FIELDS: ReadonlySet<string> = new Set([
  'fileId',
  'size',
  'finished',
  'error',
  'transferId',
  'errorCode',
  'errorStatus',
]);

/** Harper Pro 5.x NODE_NAME's 5th element: the subscription-setup capability it advertises. */
export interface NodeNameCapabilities {
  subscriptionSetupAck?: number;
  subscriptionSetupBudgetMs?: number;
  [key: string]: unknown;
}

export interface OperationRequest {
  operation: string;
  requestId?: number;
  [key: string]: unknown;
}

export interface OperationResponse {
  requestId?: number;
  error?: string;
  [key: string]: unknown;
}

export type ControlFrame = KnownControlFrame & { unknownElements?: UnknownElements };

type KnownControlFrame =
  | {
      type: 'SUBSCRIPTION_REQUEST';
      subscriptions: SubscriptionEntry[];
      excludedNodes?: string[];
      requestId?: unknown;
    }
  | { type: 'RESIDENCY_LIST'; nodeNames: string[]; residencyId: number }
  | { type: 'TABLE_FIXED_STRUCTURE'; structure: TableStructure; tableId: number; tableName: string }
  | { type: 'GET_RECORD'; requestId: number; tableId: number; recordId: unknown; tableName?: string }
  | { type: 'GET_RECORD_RESPONSE'; requestId: number; response?: unknown }
  | { type: 'OPERATION_REQUEST'; request: OperationRequest }
  | { type: 'OPERATION_RESPONSE'; response: OperationResponse }
  | {
      type: 'NODE_NAME';
      nodeName: string;
      database: string;
      tables: TableDescription[];
      /** Harper Pro 5.x only (a 4.7 reader ignores it). */
      setup?: NodeNameCapabilities;
    }
  | { type: 'NODE_NAME_TO_ID_MAP'; nodeIds: Record<string, number>; subscribedNames: string[] }
  | { type: 'DISCONNECT' }
  | { type: 'SEQUENCE_ID_UPDATE'; sequenceId: number }
  /** `sequenceId` is null in an edge case of 4.7 (a tail-less frame committing inside the ack window). */
  | { type: 'COMMITTED_UPDATE'; sequenceId: number | null }
  | { type: 'DB_SCHEMA'; tables: TableDescription[]; database: string; requestIdEcho?: unknown }
  | { type: 'BLOB_CHUNK'; header: BlobChunkHeader; chunk: Buffer; unknownHeaderFields?: string[] }
  | { type: 'SUBSCRIPTION_UPDATE'; update: { excludeNodes?: string[]; includeNodes?: string[] } }
  /** copyOrderVersion is absent from a pre-versioning leader. */
  | { type: 'COPY_START'; copyStartTime: number; copyOrderVersion?: number }
  | { type: 'COPY_COMPLETE' }
  | { type: 'UNKNOWN'; code: number; elements: unknown[] };

export type ControlFrameType = ControlFrame['type'];

/** Elements past what any known version sends for a command: reported, never dropped silently. */
export interface UnknownElements {
  /** Index in the message array (0 is the command code) of the first unknown element. */
  fromIndex: number;
  elements: unknown[];
}

/** Message array length (command included) of each known command in the newest layout read. */
const KNOWN_ARITY: Record<number, number> = {
  [Command.SUBSCRIPTION_REQUEST]: 4,
  [Command.RESIDENCY_LIST]: 3,
  [Command.TABLE_FIXED_STRUCTURE]: 4,
  [Command.GET_RECORD]: 5,
  [Command.GET_RECORD_RESPONSE]: 3,
  [Command.OPERATION_REQUEST]: 2,
  [Command.OPERATION_RESPONSE]: 2,
  [Command.NODE_NAME]: 5,
  [Command.NODE_NAME_TO_ID_MAP]: 3,
  [Command.DISCONNECT]: 1,
  [Command.SEQUENCE_ID_UPDATE]: 2,
  [Command.COMMITTED_UPDATE]: 2,
  [Command.DB_SCHEMA]: 4,
  [Command.BLOB_CHUNK]: 3,
  [Command.SUBSCRIPTION_UPDATE]: 2,
  [Command.COPY_START]: 3,
  [Command.COPY_COMPLETE]: 1,
};

/** Unknown trailing elements of a known command, or undefined. */
export function unknownElementsOf(message: unknown[]): UnknownElements | undefined {
  const arity = KNOWN_ARITY[message[0] as number];
  if (arity === undefined || message.length <= arity) return undefined;
  return { fromIndex: arity, elements: message.slice(arity) };
}

/** True when a WebSocket message is a control frame (its first byte is > 127). */
export function isControlFrame(message: Uint8Array): boolean {
  return message.length > 0 && message[0]! > 0x7f;
}

/**
 * A control frame's command code from its first bytes only (no decoding): the first array element, a msgpack
 * positive fixint or uint8. Undefined for a transaction frame or a truncated one.
 */
export function controlCode(message: Uint8Array): number | undefined {
  if (!isControlFrame(message)) return undefined;
  return message[1] === 0xcc ? message[2] : message[1];
}

/** What a message is, from its first bytes: its command name, CONTROL for an unknown command, or TRANSACTION. */
export function frameTypeName(message: Uint8Array): string {
  if (!isControlFrame(message)) return 'TRANSACTION';
  const code = controlCode(message);
  return (code !== undefined && commandName(code)) || 'CONTROL';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && !Number.isNaN(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

function expect<T>(ok: boolean, value: unknown, what: string, code: number): T {
  if (!ok) {
    throw new CodecError(`malformed ${commandName(code) ?? code} frame: ${what}`, 0);
  }
  return value as T;
}

/**
 * Decodes one control frame. Throws CodecError on malformed MessagePack or a known frame with a wrong shape; elements
 * past the known layout come back in `unknownElements`.
 */
export function decodeControlFrame(message: Uint8Array): ControlFrame {
  let decoded: unknown;
  try {
    decoded = unpack(message);
  } catch (error) {
    throw new CodecError(`control frame is not valid MessagePack: ${(error as Error).message}`, 0);
  }
  if (!Array.isArray(decoded) || decoded.length === 0 || !isNumber(decoded[0])) {
    throw new CodecError('control frame is not an array starting with a command code', 0);
  }
  const frame: ControlFrame = decodeKnownFrame(decoded as [number, ...unknown[]]);
  const unknown = unknownElementsOf(decoded);
  if (unknown) frame.unknownElements = unknown;
  return frame;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a flat decoder, one case per command code.
function decodeKnownFrame(decoded: [number, ...unknown[]]): ControlFrame {
  const [code, a, b, c, d] = decoded;
  switch (code) {
    case Command.SUBSCRIPTION_REQUEST: {
      const subscriptions = expect<SubscriptionEntry[]>(
        Array.isArray(a) && a.every((s) => isObject(s) && isString(s.name)),
        a,
        'subscriptions must be a list of {name, startTime}',
        code,
      );
      const frame: ControlFrame = { type: 'SUBSCRIPTION_REQUEST', subscriptions };
      if (b !== undefined)
        frame.excludedNodes = expect<string[]>(isStringArray(b), b, 'excluded nodes', code);
      if (c !== undefined) frame.requestId = c;
      return frame;
    }
    case Command.RESIDENCY_LIST:
      return {
        type: 'RESIDENCY_LIST',
        nodeNames: expect<string[]>(isStringArray(a), a, 'node names', code),
        residencyId: expect<number>(isNumber(b), b, 'residency id', code),
      };
    case Command.TABLE_FIXED_STRUCTURE: {
      const structure = expect<TableStructure>(isObject(a), a, 'structure must be an object', code);
      return {
        type: 'TABLE_FIXED_STRUCTURE',
        structure: {
          ...structure,
          typedStructs: Array.isArray(structure.typedStructs) ? structure.typedStructs : [],
          structures: Array.isArray(structure.structures) ? structure.structures : [],
          attributes: Array.isArray(structure.attributes) ? structure.attributes : [],
          schemaDefined: structure.schemaDefined === true,
        },
        tableId: expect<number>(isNumber(b), b, 'table id', code),
        tableName: expect<string>(isString(c), c, 'table name', code),
      };
    }
    case Command.GET_RECORD: {
      const frame: ControlFrame = {
        type: 'GET_RECORD',
        requestId: expect<number>(isNumber(a), a, 'request id', code),
        tableId: expect<number>(isNumber(b), b, 'table id', code),
        recordId: c,
      };
      if (isString(d)) frame.tableName = d;
      return frame;
    }
    case Command.GET_RECORD_RESPONSE:
      return {
        type: 'GET_RECORD_RESPONSE',
        requestId: expect<number>(isNumber(a), a, 'request id', code),
        response: b,
      };
    case Command.OPERATION_REQUEST:
      return {
        type: 'OPERATION_REQUEST',
        request: expect<OperationRequest>(isObject(a) && isString(a.operation), a, 'operation request', code),
      };
    case Command.OPERATION_RESPONSE:
      return {
        type: 'OPERATION_RESPONSE',
        response: expect<OperationResponse>(isObject(a), a, 'operation response', code),
      };
    case Command.NODE_NAME: {
      const frame: ControlFrame = {
        type: 'NODE_NAME',
        nodeName: expect<string>(isString(a), a, 'node name', code),
        database: expect<string>(isString(b), b, 'database name', code),
        tables: Array.isArray(c) ? (c.filter(isObject) as TableDescription[]) : [],
      };
      if (d !== undefined && d !== null)
        frame.setup = expect<NodeNameCapabilities>(isObject(d), d, 'capabilities', code);
      return frame;
    }
    case Command.NODE_NAME_TO_ID_MAP:
      return {
        type: 'NODE_NAME_TO_ID_MAP',
        nodeIds: expect<Record<string, number>>(
          isObject(a) && Object.values(a).every(isNumber),
          a,
          'node id map must be {name: id}',
          code,
        ),
        subscribedNames: isStringArray(b) ? b : [],
      };
    case Command.DISCONNECT:
      return { type: 'DISCONNECT' };
    case Command.SEQUENCE_ID_UPDATE:
      return { type: 'SEQUENCE_ID_UPDATE', sequenceId: expect<number>(isNumber(a), a, 'sequence id', code) };
    case Command.COMMITTED_UPDATE:
      return {
        type: 'COMMITTED_UPDATE',
        sequenceId:
          a === null || a === undefined ? null : expect<number>(isNumber(a), a, 'sequence id', code),
      };
    case Command.DB_SCHEMA: {
      const frame: ControlFrame = {
        type: 'DB_SCHEMA',
        tables: expect<TableDescription[]>(Array.isArray(a), a, 'tables', code),
        database: expect<string>(isString(b), b, 'database name', code),
      };
      if (c !== undefined) frame.requestIdEcho = c;
      return frame;
    }
    case Command.BLOB_CHUNK:
      return decodeBlobChunk(a, b);
    case Command.SUBSCRIPTION_UPDATE:
      return {
        type: 'SUBSCRIPTION_UPDATE',
        update: expect<{ excludeNodes?: string[]; includeNodes?: string[] }>(isObject(a), a, 'update', code),
      };
    case Command.COPY_START:
      return {
        type: 'COPY_START',
        copyStartTime: expect<number>(isNumber(a), a, 'copy start time', code),
        ...(isNumber(b) ? { copyOrderVersion: b } : {}),
      };
    case Command.COPY_COMPLETE:
      return { type: 'COPY_COMPLETE' };
    default:
      return { type: 'UNKNOWN', code, elements: (decoded as unknown[]).slice(1) };
  }
}

function decodeBlobChunk(header: unknown, chunk: unknown): ControlFrame {
  const checked = expect<BlobChunkHeader>(
    isObject(header) && isString(header.fileId),
    header,
    'blob chunk header',
    Command.BLOB_CHUNK,
  );
  const frame: ControlFrame = {
    type: 'BLOB_CHUNK',
    header: checked,
    chunk:
      chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.alloc(0),
  };
  const unknown = Object.keys(checked).filter((field) => !KNOWN_BLOB_HEADER_FIELDS.has(field));
  if (unknown.length) frame.unknownHeaderFields = unknown;
  return frame;
}

/** Encodes a control frame from its command code and elements. */
export function encodeControl(code: number, ...elements: unknown[]): Buffer {
  return pack([code, ...elements]);
}

export const encodeNodeName = (nodeName: string, database: string, tables: TableDescription[] = []): Buffer =>
  encodeControl(Command.NODE_NAME, nodeName, database, tables);

export const encodeSubscriptionRequest = (subscriptions: SubscriptionEntry[]): Buffer =>
  encodeControl(Command.SUBSCRIPTION_REQUEST, subscriptions);

export const encodeNodeIdMap = (nodeIds: Record<string, number>, subscribedNames: string[]): Buffer =>
  encodeControl(Command.NODE_NAME_TO_ID_MAP, nodeIds, subscribedNames);

export const encodeTableStructure = (structure: TableStructure, tableId: number, tableName: string): Buffer =>
  encodeControl(Command.TABLE_FIXED_STRUCTURE, structure, tableId, tableName);

export const encodeOperationResponse = (response: OperationResponse): Buffer =>
  encodeControl(Command.OPERATION_RESPONSE, response);

export const encodeCommittedUpdate = (sequenceId: number): Buffer =>
  encodeControl(Command.COMMITTED_UPDATE, sequenceId);

export const encodeDisconnect = (): Buffer => encodeControl(Command.DISCONNECT);

export const encodeBlobChunk = (header: BlobChunkHeader, chunk: Uint8Array): Buffer =>
  encodeControl(Command.BLOB_CHUNK, header, chunk);
