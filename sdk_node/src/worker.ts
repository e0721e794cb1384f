#!/usr/bin/env node
// Entry point: `node dist/worker.js`, started by the host with the project root
// as working directory and the STEPHOST_* variables of docs/protocol.md.

// First: it keeps WebAssembly out of sight of the packages below while they load.
import { restoreWebAssembly } from './wasm-deferred.js';
import * as grpc from '@grpc/grpc-js';
import { Connection, type WorkerStream } from './connection.js';
import { encodeLogFields } from './context.js';
import { LOAD_ERROR, StepError, toWireError, type WireError } from './errors.js';
import { languageOf, loadStep, registerCjsLoader, type LoadedStep } from './loader.js';
import { BATCH_CAPABILITY, loadProto, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, sdkVersion, type Proto } from './protocol.js';
import { WorkerRuntime } from './runtime.js';

/** Exit codes the host reads. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_NO_CONNECTION = 3;

export const SDK_NAME = 'stephost-node';

const NOT_CONNECTED: ReadonlySet<number> = new Set([grpc.status.UNAUTHENTICATED, grpc.status.UNAVAILABLE]);

function diagnose(message: string): void {
  process.stderr.write(`[stephost-node] ${message}\n`);
}

interface Settings {
  socket: string;
  workerId: string;
  secret: string;
  stepFile: string;
  projectRoot: string;
  connectTimeoutMs: number;
}

const REQUIRED_VARIABLES = [
  'STEPHOST_SOCKET',
  'STEPHOST_WORKER_ID',
  'STEPHOST_WORKER_SECRET',
  'STEPHOST_STEP_FILE',
  'STEPHOST_PROJECT_ROOT',
] as const;
/** A missing STEPHOST_* variable: the worker was not started by a host. */
const EXIT_USAGE = 2;

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const timeout = Number(env['STEPHOST_CONNECT_TIMEOUT_MS']);
  return {
    socket: env['STEPHOST_SOCKET'] ?? '',
    workerId: env['STEPHOST_WORKER_ID'] ?? '',
    secret: env['STEPHOST_WORKER_SECRET'] ?? '',
    stepFile: env['STEPHOST_STEP_FILE'] ?? '',
    projectRoot: env['STEPHOST_PROJECT_ROOT'] ?? '',
    // The host creates its socket before it starts workers, so a short wait
    // only covers a slow start; past it, "cannot connect" is the honest answer.
    connectTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 5000,
  };
}

function connect(proto: Proto, settings: Settings): Promise<grpc.Client> {
  const client = new proto.WorkerHost(`unix:${settings.socket}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  });
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + settings.connectTimeoutMs, (error) => {
      if (error) {
        client.close();
        reject(error);
      } else {
        resolve(client);
      }
    });
  });
}

async function load(settings: Settings): Promise<LoadedStep | WireError> {
  try {
    // tsx's hooks load while WebAssembly is still out of sight (wasm-deferred.ts); the step does not.
    registerCjsLoader();
    restoreWebAssembly();
    return await loadStep(settings.stepFile, settings.projectRoot);
  } catch (err) {
    return toWireError(err instanceof StepError ? err.code : LOAD_ERROR, err);
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  let client: grpc.Client | undefined;
  const exit = (code: number): void => {
    client?.close();
    process.exit(code);
  };

  // docs/protocol.md W-LAUNCH-2: without all five variables, do not connect; exit 2.
  const missing = REQUIRED_VARIABLES.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    diagnose(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: this process is started by the stephost host`);
    exit(EXIT_USAGE);
    return;
  }
  let proto: Proto;
  try {
    proto = loadProto();
  } catch (err) {
    diagnose(`cannot load the protocol definition: ${(err as Error).message}`);
    exit(EXIT_FAILURE);
    return;
  }

  // Connect before loading, so a load failure can be told to the host.
  try {
    client = await connect(proto, settings);
  } catch (err) {
    diagnose(`cannot reach the host at unix:${settings.socket}: ${(err as Error).message}`);
    exit(EXIT_NO_CONNECTION);
    return;
  }
  const metadata = new grpc.Metadata();
  metadata.set('x-stephost-secret', settings.secret);
  const connectMethod = (client as unknown as { Connect(metadata: grpc.Metadata): WorkerStream }).Connect;
  const stream = connectMethod.call(client, metadata);
  const conn = new Connection(stream, proto.encodeWorkerMessage);

  const loaded = await load(settings);
  if (!('configBytes' in loaded)) {
    diagnose(`${loaded.code}: ${loaded.message}`);
    let rejected: grpc.ServiceError | undefined;
    conn.start({
      welcome: () => {},
      invoke: () => {},
      cancel: () => {},
      drain: () => {},
      closed: (error) => {
        rejected = error;
      },
    });
    conn.send({ load_failure: { worker_id: settings.workerId, error: loaded } });
    await conn.end();
    exit(rejected && NOT_CONNECTED.has(rejected.code) ? EXIT_NO_CONNECTION : EXIT_FAILURE);
    return;
  }

  let welcomed = false;
  const runtime = new WorkerRuntime(loaded, conn, { exit, diagnose });
  conn.start({
    welcome: (welcome) => {
      welcomed = true;
      runtime.welcome(welcome);
    },
    invoke: (invoke) => runtime.invoke(invoke),
    cancel: (cancel) => runtime.cancel(cancel),
    drain: (deadlineUnixMs) => runtime.drain(deadlineUnixMs),
    closed: (error) => {
      // A wrong secret or a vanished host before Welcome: the worker never got
      // connected. Other refusals (e.g. of the config) are ordinary failures.
      if (!welcomed && error && NOT_CONNECTED.has(error.code)) {
        diagnose(`the host refused the connection: ${error.message}`);
        exit(EXIT_NO_CONNECTION);
        return;
      }
      runtime.closed(error);
    },
  });

  // A long-lived worker must not die of one forgotten promise: it would take
  // every other in-flight invocation down with it. Report it and go on.
  process.on('unhandledRejection', (reason) => {
    if (conn.isOpen) {
      runtime.log('', 'error', 'unhandled promise rejection in step code', encodeLogFields({ error: reason }));
    } else {
      diagnose(`unhandled promise rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
    }
  });

  conn.send({
    hello: {
      protocol_version: PROTOCOL_VERSION,
      sdk_name: SDK_NAME,
      sdk_version: await sdkVersion(),
      language: languageOf(loaded.file),
      worker_id: settings.workerId,
      config_json: loaded.configBytes,
      capabilities: { cancel: '1', [BATCH_CAPABILITY]: '1' },
      middleware_count: loaded.middlewareCount,
      functions: loaded.functions,
      source_files: loaded.sourceFiles,
    },
  });
}

main().catch((err: unknown) => {
  diagnose(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT_FAILURE);
});
