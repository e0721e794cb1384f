// Wire types for proto/stephost/v1/worker.proto as @grpc/proto-loader hands them
// over with the options below (keepCase, longs as String, enums as String,
// defaults, oneofs). Hand-written rather than generated: the contract is small and
// this keeps the build free of a codegen step. Keep in sync with the proto.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
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

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
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

export function loadProto(path: string = protoPath()): Proto {
  if (!existsSync(path)) {
    throw new Error(`stephost proto not found at ${path} (set STEPHOST_PROTO_PATH)`);
  }
  const definition = protoLoader.loadSync(path, LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    stephost: { v1: { WorkerHost: grpc.ServiceClientConstructor } };
  };
  const WorkerHost = loaded.stephost.v1.WorkerHost;
  const connect = WorkerHost.service['Connect'];
  if (!connect) throw new Error(`${path} has no stephost.v1.WorkerHost/Connect`);
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
