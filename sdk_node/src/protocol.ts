// Wire types for proto/stephost/v1/worker.proto as protobufjs hands them over
// with the options below (field names as in the proto, longs as String, enums as
// String, defaults, oneofs), the way @grpc/proto-loader would. Hand-written
// rather than generated: the contract is small. Keep in sync with the proto.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type * as Protobuf from 'protobufjs';
// Imported, so the bundle (scripts/bundle.mjs) holds it: required at run time it was ~25
// files resolved, read and compiled one by one at every worker start.
import ProtobufLight from 'protobufjs/light.js';
import type { WireError } from './errors.js';

export const PROTOCOL_VERSION = 1;

/** uint64/int64 arrive as decimal strings (longs: String); numbers are accepted on send. */
export type Long = string;

// ------------------------------------------------------------------ worker -> host

export interface Hello {
  protocol_version: number;
  sdk_name: string;
  sdk_version: string;
  language: string;
  worker_id: string;
  config_json: Buffer;
  capabilities: Record<string, string>;
  middleware_count: number;
  /** The optional functions the host may invoke: "canAccess", "authenticate". */
  functions: string[];
  /**
   * Absolute paths of the project's own files the step file loaded (itself and
   * its helpers, not installed packages); `dev` restarts the worker when one
   * changes. Empty: unknown.
   */
  source_files: string[];
}

export interface LoadFailure {
  worker_id: string;
  error: WireError;
}

export type BodyKind = 'BODY_KIND_UNSPECIFIED' | 'BODY_KIND_JSON' | 'BODY_KIND_TEXT' | 'BODY_KIND_BYTES' | 'BODY_KIND_EMPTY';

export interface Header {
  name: string;
  value: string;
}

export interface ApiResponse {
  status: number;
  headers: Header[];
  body_kind: BodyKind;
  body: Buffer;
}

export interface Ok {
  response?: ApiResponse | null;
  /** CAN_ACCESS and AUTHENTICATE: the function's return value as JSON. */
  value_json?: Buffer;
}

export type InvocationResult =
  | { invocation_id: string; ok: Ok }
  | { invocation_id: string; error: WireError };

export type StateOp =
  | 'STATE_OP_GET'
  | 'STATE_OP_SET'
  | 'STATE_OP_DELETE'
  | 'STATE_OP_GET_GROUP'
  | 'STATE_OP_CLEAR';

export type StreamOp =
  | 'STREAM_OP_GET'
  | 'STREAM_OP_SET'
  | 'STREAM_OP_DELETE'
  | 'STREAM_OP_GET_GROUP'
  | 'STREAM_OP_SEND';

export interface EmitCall {
  topic: string;
  data_json: Buffer;
  message_group_id: string;
}

export interface StateCall {
  op: StateOp;
  group: string;
  key: string;
  value_json: Buffer;
}

export interface StreamCall {
  op: StreamOp;
  stream: string;
  group_id: string;
  id: string;
  data_json: Buffer;
}

/** The `op` oneof of CtxCall, without the ids the connection adds. */
export type CtxOp = { emit: EmitCall } | { state: StateCall } | { stream: StreamCall };

export type CtxCall = { call_id: Long | number; invocation_id: string } & CtxOp;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Log {
  invocation_id: string;
  level: LogLevel;
  msg: string;
  fields_json: Buffer;
  time_unix_ms: number;
}

export type WorkerMessage =
  | { hello: Hello }
  | { load_failure: LoadFailure }
  | { result: InvocationResult }
  | { call: CtxCall }
  | { log: Log }
  | { pong: { seq: Long } }
  | { drained: Record<string, never> }
  | { batch: { messages: WorkerMessage[] } };

// ------------------------------------------------------------------ host -> worker

export interface Welcome {
  protocol_version: number;
  step_name: string;
  stream_names: string[];
  max_message_bytes: number;
  capabilities: Record<string, string>;
}

export type TriggerKind =
  | 'TRIGGER_KIND_UNSPECIFIED'
  | 'TRIGGER_KIND_API'
  | 'TRIGGER_KIND_EVENT'
  | 'TRIGGER_KIND_CRON'
  | 'TRIGGER_KIND_CAN_ACCESS'
  | 'TRIGGER_KIND_AUTHENTICATE';

export interface Invoke {
  invocation_id: string;
  trigger: TriggerKind;
  payload_json: Buffer;
  trace_id: string;
  deadline_unix_ms: Long;
  attempt: number;
  event_id: string;
  topic: string;
  flows: string[];
}

export interface CtxReply {
  call_id: Long;
  outcome?: 'value_json' | 'error';
  value_json?: Buffer;
  error?: WireError;
}

export interface Cancel {
  invocation_id: string;
  reason: string;
}

export type HostMessage =
  | { kind: 'welcome'; welcome: Welcome }
  | { kind: 'invoke'; invoke: Invoke }
  | { kind: 'reply'; reply: CtxReply }
  | { kind: 'cancel'; cancel: Cancel }
  | { kind: 'ping'; ping: { seq: Long } }
  | { kind: 'drain'; drain: { deadline_unix_ms: Long } }
  | { kind: 'batch'; batch: { messages: HostMessage[] } };

/** The capability both sides announce when they read batches (Hello and Welcome). */
export const BATCH_CAPABILITY = 'batch';
/** A batch is cut at this many messages or bytes (docs/protocol.md, Batches). */
export const BATCH_MAX_MESSAGES = 256;
export const BATCH_MAX_BYTES = 1024 * 1024;

// ------------------------------------------------------------------ loading

/** How decoded messages look (protobufjs toObject options, as proto-loader passes them). */
export const DECODE_OPTIONS: Protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** 64 MiB: large request bodies and handler results cross in one message. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The most a Log message may weigh (docs/protocol.md, Sizes); a bigger one gets the worker disconnected. */
export const MAX_LOG_BYTES = 1024 * 1024;

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Written by `npm run build` (scripts/proto-json.mjs) from worker.proto: {source: sha256 of it, root}. */
const PROTO_JSON = resolve(PACKAGE_DIR, 'dist', 'worker.proto.json');

/**
 * The proto lives beside the SDK in the repository (../proto). An installed copy
 * of the SDK elsewhere can point at it with STEPHOST_PROTO_PATH.
 */
export function protoPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['STEPHOST_PROTO_PATH'];
  if (override) return resolve(override);
  return resolve(PACKAGE_DIR, '..', 'proto', 'stephost', 'v1', 'worker.proto');
}

export interface Proto {
  /** The generated service client constructor for stephost.v1.WorkerHost. */
  WorkerHost: grpc.ServiceClientConstructor;
  /** The service definition, for servers (the protocol test uses it). */
  service: grpc.ServiceDefinition;
  /** Encodes a WorkerMessage exactly as it goes on the wire, to measure it. */
  encodeWorkerMessage(message: WorkerMessage): Buffer;
}

/**
 * The definitions of worker.proto. Parsing the .proto text costs every worker
 * start ~50 ms of CPU (protobufjs' parser plus proto-loader's descriptors), so
 * the JSON form the build made from the same file is read instead, with the
 * light protobufjs build (no parser), as long as it was made from this very
 * text. Otherwise (a proto edited since the build, or another one named by
 * STEPHOST_PROTO_PATH) the text is parsed.
 */
function loadRoot(path: string): Protobuf.Root {
  const text = readFileSync(path);
  if (existsSync(PROTO_JSON)) {
    const built = JSON.parse(readFileSync(PROTO_JSON, 'utf8')) as { source: string; root: Protobuf.INamespace };
    if (built.source === createHash('sha256').update(text).digest('hex')) {
      return (ProtobufLight as typeof Protobuf).Root.fromJSON(built.root);
    }
  }
  // The .proto changed since the build: parse its text. Required here, not imported: the
  // full protobufjs (its parser) is needed only then.
  const require = createRequire(import.meta.url);
  // keepCase: field names stay as in the proto (snake_case), as the wire types above expect.
  return new (require('protobufjs') as typeof Protobuf).Root().loadSync(path, { keepCase: true });
}

/** What @grpc/proto-loader would build for `method`: protobufjs encoding, decoded with DECODE_OPTIONS. */
function methodDefinition(service: string, method: Protobuf.Method): grpc.MethodDefinition<object, object> {
  method.resolve();
  const serialize = (type: Protobuf.Type) => (value: object) => type.encode(type.fromObject(value)).finish() as Buffer;
  const deserialize = (type: Protobuf.Type) => (bytes: Buffer) => type.toObject(type.decode(bytes), DECODE_OPTIONS);
  const request = method.resolvedRequestType as Protobuf.Type;
  const response = method.resolvedResponseType as Protobuf.Type;
  return {
    path: `/${service}/${method.name}`,
    requestStream: Boolean(method.requestStream),
    responseStream: Boolean(method.responseStream),
    requestSerialize: serialize(request),
    requestDeserialize: deserialize(request),
    responseSerialize: serialize(response),
    responseDeserialize: deserialize(response),
  };
}

export function loadProto(path: string = protoPath()): Proto {
  if (!existsSync(path)) {
    throw new Error(`stephost proto not found at ${path} (set STEPHOST_PROTO_PATH)`);
  }
  const name = 'stephost.v1.WorkerHost';
  const found = loadRoot(path).lookup(name);
  if (!found || !('methodsArray' in found)) throw new Error(`${path} has no service ${name}`);
  const service: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of (found as Protobuf.Service).methodsArray) service[method.name] = methodDefinition(name, method);
  const connect = service['Connect'];
  if (!connect) throw new Error(`${path} has no ${name}/Connect`);
  const WorkerHost = grpc.makeClientConstructor(service, name);
  return {
    WorkerHost,
    service: WorkerHost.service,
    encodeWorkerMessage: (message) => connect.requestSerialize(message),
  };
}

/** The package.json version, reported as Hello.sdk_version. */
export async function sdkVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    const pkg = JSON.parse(await readFile(resolve(PACKAGE_DIR, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
